"""The RSP bulk upload pages over the real app and database: upload, progress, findings,
preview, attestation, the per-TLD status table, its CSV, the file, the one-time rule, and who
may see what. The check and the staging run in the app's background threads; the tests wait
for the upload to leave `checking`/`staging` with a bounded poll."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import time
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from infra.database import db
from portal.bulk import jobs
from portal.core import bulk
from portal.core.validation import Entry
from portal.models import BulkTldChange, BulkUpload, UploadStatus
from portal.services import bulk_background, bulk_changes, bulk_uploads, directory
from portal.services import configuration as cfg
from tests.helpers import HTMX, set_entries
from tests.smtp_server import SmtpServer

WAIT_SECONDS = 30

GOOD_CSV = (
    b"tld,domain_name,roles,ip_acl\r\n"
    b"alpha,client.rsp.alpha,rri-monthly-reports;mosapi-slam,192.0.2.0/24\r\n"
    b"alpha,same.rsp.alpha,mosapi-daar,192.0.2.10\r\n"
    b"gamma,client.rsp.gamma,mosapi-slam,198.51.100.0/24;2001:db8::/48\r\n"
    b"delta,client.rsp.delta,rri-monthly-reports,203.0.113.0/25\r\n"
    b"delta,backup.rsp.delta,mosapi-slam,203.0.113.128/25\r\n"
)

# Line 3: a prefix with host bits; line 4: an unknown role; line 5: a TLD that does not exist.
BAD_CSV = (
    b"tld,domain_name,roles,ip_acl\n"
    b"alpha,client.rsp.alpha,mosapi-slam,192.0.2.0/24\n"
    b"gamma,client.rsp.gamma,mosapi-slam,198.51.100.1/24\n"
    b"delta,client.rsp.delta,no-such-role,203.0.113.0/24\n"
    b"nosuchtld,client.rsp.nosuchtld,mosapi-slam,203.0.113.0/24\n"
)


# --------------------------------------------------------------------------- helpers


class _ByTestId(HTMLParser):
    """The text of every element with a given data-testid (nested ones included)."""

    VOID = {"input", "br", "meta", "link", "img", "hr", "col", "source", "wbr"}

    def __init__(self, testid: str) -> None:
        super().__init__()
        self.testid = testid
        self.depths: list[int] = []
        self.depth = 0
        self.found: list[list[str]] = []
        self.open: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        self.depth += 1
        if dict(attrs).get("data-testid") == self.testid:
            self.depths.append(self.depth)
            self.open.append([])

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        if self.depths and self.depths[-1] == self.depth:
            self.depths.pop()
            self.found.append(self.open.pop())
        self.depth -= 1

    def handle_data(self, data: str) -> None:
        for parts in self.open:
            parts.append(data)


def texts(html: str, testid: str) -> list[str]:
    parser = _ByTestId(testid)
    parser.feed(html)
    return [" ".join("".join(parts).split()) for parts in parser.found]


def text(html: str, testid: str) -> str:
    found = texts(html, testid)
    assert len(found) == 1, (testid, found)
    return found[0]


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF field"
    return match.group(1)


def status_of(app, upload_id: int) -> str:
    with app.app_context():
        return db.session.scalar(select(BulkUpload.status).where(BulkUpload.id == upload_id))


def wait_done(app, upload_id: int) -> str:
    """The upload's status once it has left checking and staging (bounded wait)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        status = status_of(app, upload_id)
        if status not in (UploadStatus.CHECKING, UploadStatus.STAGING):
            return status
        if time.monotonic() > deadline:
            raise AssertionError(f"upload {upload_id} still {status} after {WAIT_SECONDS} s")
        time.sleep(0.02)


def post_file(client, token: str, data: bytes, filename: str = "entries.csv", **extra):
    return client.post(
        "/bulk/uploads",
        data={"csrf_token": token, "file": (io.BytesIO(data), filename), **extra},
        content_type="multipart/form-data",
    )


def uploaded(app, client, token: str, data: bytes, filename: str = "entries.csv") -> int:
    """Upload through the page; the id once its check is done."""
    response = post_file(client, token, data, filename)
    assert response.status_code == 303, response.get_data(as_text=True)
    match = re.fullmatch(r".*/bulk/uploads/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    upload_id = int(match.group(1))
    wait_done(app, upload_id)
    return upload_id


def attest(client, upload_id: int, **fields: str):
    page = client.get(f"/bulk/uploads/{upload_id}").get_data(as_text=True)
    return client.post(
        f"/bulk/uploads/{upload_id}/submit", data={"csrf_token": csrf_of(page), **fields}
    )


FULL_ATTESTATION = {"attest": "y", "attest_name": "Ada Lovelace", "attest_title": "Head of DNS"}


def submitted(app, client, upload_id: int) -> None:
    response = attest(client, upload_id, **FULL_ATTESTATION)
    assert response.status_code == 303, response.get_data(as_text=True)
    assert wait_done(app, upload_id) == UploadStatus.SUBMITTED


def changes_of(app, upload_id: int) -> dict[str, str]:
    with app.app_context():
        rows = db.session.execute(
            select(BulkTldChange.tld, BulkTldChange.status).where(
                BulkTldChange.upload_id == upload_id
            )
        )
        return dict(rows.all())


@pytest.fixture
def bulk_world(app, world):
    """RSP One is RSP of record for alpha and gamma (Operator A), delta and epsilon
    (Operator B); alpha has two entries already."""
    with app.app_context():
        s = db.session
        directory.add_tld(s, "gamma", "Operator A", "RSP One")
        directory.add_tld(s, "delta", "Operator B", "RSP One")
        directory.add_tld(s, "epsilon", "Operator B", "RSP One")
    set_entries(
        app,
        [
            Entry("client.rsp.alpha", ("rri-monthly-reports",), ("192.0.2.0/24",)),
            Entry("old.rsp.alpha", ("mosapi-slam",), ("198.18.0.0/24",)),
            Entry("same.rsp.alpha", ("mosapi-daar",), ("192.0.2.10/32",)),
        ],
    )
    yield world
    jobs.shutdown(app)


@pytest.fixture
def rsp(client, login, bulk_world) -> str:
    return login(bulk_world.rsp)


def other_client(app, login, email: str):
    c = app.test_client()
    login(email, client=c)
    return c


# --------------------------------------------------------------------------- the RSP's path


def test_upload_page_offers_the_form_templates_and_the_rule(client, rsp):
    page = client.get("/bulk/").get_data(as_text=True)
    assert 'type="file"' in page and 'accept=".csv,.json' in page
    assert '<label for="bulk-file">Bulk file (CSV or JSON)</label>' in page
    assert 'enctype="multipart/form-data"' in page
    assert text(page, "replace-rule") == (
        "The upload replaces each listed TLD's entries; TLDs not in the file are left alone."
    )
    assert text(page, "allowance") == "You can submit 1 bulk upload."
    assert 'href="/bulk/template.csv"' in page and 'href="/bulk/template.json"' in page
    assert 'href="/bulk/"' in client.get("/tlds").get_data(as_text=True)  # in the header


def test_good_csv_progress_preview_attestation_and_submit(app, client, rsp, bulk_world):
    response = post_file(client, rsp, GOOD_CSV)
    assert response.status_code == 303
    upload_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert wait_done(app, upload_id) == UploadStatus.READY

    page = client.get(f"/bulk/uploads/{upload_id}").get_data(as_text=True)
    totals = {
        key: text(page, f"total-{key}")
        for key in (
            "tlds",
            "changing",
            "entries-added",
            "entries-removed",
            "entries-changed",
            "entries-unchanged",
            "roles",
            "prefixes",
            "access",
        )
    }
    # alpha: client gains mosapi-slam, old is removed, same is unchanged; gamma and delta new.
    assert totals == {
        "tlds": "3",
        "changing": "3",
        "entries-added": "3",
        "entries-removed": "1",
        "entries-changed": "1",
        "entries-unchanged": "1",
        "roles": "1 / 0",
        "prefixes": "0 / 0",
        # client.rsp.alpha mosapi-slam; gamma 1 role × 2 prefixes; delta 2 entries × 1 each.
        "access": "5 / 1",
    }
    rows = texts(page, "preview-row")
    assert [r.split()[0] for r in rows] == [".alpha", ".delta", ".gamma"]
    assert rows[0].startswith(".alpha 0 1 1 1 1 / 1 2 changes")
    assert "<details>" in page and "old.rsp.alpha" in page
    assert text(page, "statement") == bulk_uploads.statement("RSP One")

    # Every field missing: one message next to each, the preview still there, nothing staged.
    refused = attest(client, upload_id)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "Tick the attestation" in text(page, "attest-errors")
    assert text(page, "attest_name-errors") == "Enter your full name."
    assert text(page, "attest_title-errors") == "Enter your title (job role)."
    assert 'aria-describedby="attest_name-errors" aria-invalid="true"' in page
    assert text(page, "total-tlds") == "3"
    # What was typed stays; only the missing tick is named.
    refused = attest(client, upload_id, attest_name="Ada Lovelace", attest_title="Head of DNS")
    page = refused.get_data(as_text=True)
    assert texts(page, "attest_name-errors") == [] and 'value="Ada Lovelace"' in page
    assert "Tick the attestation" in text(page, "attest-errors")
    assert status_of(app, upload_id) == UploadStatus.READY and changes_of(app, upload_id) == {}

    submitted(app, client, upload_id)
    page = client.get(f"/bulk/uploads/{upload_id}").get_data(as_text=True)
    assert text(page, "attestation-text") == bulk_uploads.statement("RSP One")
    assert text(page, "attested") == "Ada Lovelace, Head of DNS"
    rows = texts(page, "change-row")
    assert [r.split()[:2] for r in rows] == [
        [".alpha", "pending"],
        [".delta", "pending"],
        [".gamma", "pending"],
    ]
    assert text(page, "status-counts").startswith("3 pending")
    assert changes_of(app, upload_id) == {
        "alpha": "pending",
        "delta": "pending",
        "gamma": "pending",
    }
    assert page.count('<td class="change-actions">') == 3  # the operator's buttons go there
    listed = client.get("/bulk/").get_data(as_text=True)
    assert text(listed, "upload-row").startswith(f"#{upload_id} entries.csv submitted")


def test_progress_fragment_polls_then_swaps_in_the_result(app, client, rsp, bulk_world):
    # A stored upload whose check has not started: the page shows the progress and polls.
    with app.app_context():
        user = directory.get_user(db.session, bulk_world.rsp)
        upload = bulk_uploads.create_upload(
            db.session, user, GOOD_CSV, filename="e.csv", channel="ui", max_bytes=10_000
        )
        upload_id = upload.id
    page = client.get(f"/bulk/uploads/{upload_id}").get_data(as_text=True)
    assert f'hx-get="/bulk/uploads/{upload_id}/progress"' in page
    assert 'hx-trigger="every 500ms"' in page
    assert 'role="status" aria-live="polite"' in page
    assert "<progress" in page and text(page, "progress-text") == "Waiting to be checked…"
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page

    with app.app_context():
        db.session.execute(
            BulkUpload.__table__.update()
            .where(BulkUpload.id == upload_id)
            .values(phase="Checking rows", done=1250, total=3717)
        )
        db.session.commit()
    fragment = client.get(f"/bulk/uploads/{upload_id}/progress", headers=HTMX)
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "HX-Reswap" not in fragment.headers
    assert text(html, "progress-text") == "Checking rows: 1,250 of 3,717"
    assert '<progress max="3717" value="1250"' in html
    assert "<html" not in html

    # Without HTMX the progress address leads back to the page.
    plain = client.get(f"/bulk/uploads/{upload_id}/progress")
    assert plain.status_code == 302 and plain.headers["Location"].endswith(f"/{upload_id}")

    jobs.check(app, upload_id)
    assert wait_done(app, upload_id) == UploadStatus.READY
    done = client.get(f"/bulk/uploads/{upload_id}/progress", headers=HTMX)
    html = done.get_data(as_text=True)
    assert done.headers["HX-Reswap"] == "outerHTML"
    assert text(html, "total-tlds") == "3" and "hx-trigger" not in html
    assert 'hx-swap-oob="true"' in html and "Checked: the preview" in html
    page = client.get(f"/bulk/uploads/{upload_id}").get_data(as_text=True)
    assert "http-equiv" not in page


def test_file_with_errors_lists_every_finding_and_stages_nothing(app, client, rsp):
    upload_id = uploaded(app, client, rsp, BAD_CSV, "broken.csv")
    assert status_of(app, upload_id) == UploadStatus.INVALID
    page = client.get(f"/bulk/uploads/{upload_id}").get_data(as_text=True)
    assert texts(page, "findings-count")[0].startswith("Nothing from it was staged. 3 problems")
    rows = texts(page, "finding-row")
    # The three errors first, then the warnings (documentation prefixes are reserved space).
    assert len(rows) == 6 and all(" warning " in r for r in rows[3:])
    assert rows[0].startswith("line 3 ip_acl error 198.51.100.1/24 has host bits set")
    assert rows[1].startswith("line 4 roles error Unknown role")
    assert rows[2].startswith("line 5 tld error There is no TLD .nosuchtld")
    assert 'data-testid="upload-form"' in page  # send a corrected file from here
    assert changes_of(app, upload_id) == {}
    # Nor can it be submitted.
    refused = attest(client, upload_id, **FULL_ATTESTATION)
    assert refused.status_code == 422
    assert changes_of(app, upload_id) == {} and status_of(app, upload_id) == "invalid"


def test_json_findings_name_the_entry_and_key(app, client, rsp):
    doc = {"entries": [{"tld": "alpha", "domain_name": "a.rsp.alpha", "roles": [], "ip_acl": []}]}
    upload_id = uploaded(app, client, rsp, json.dumps(doc).encode(), "entries.json")
    rows = texts(client.get(f"/bulk/uploads/{upload_id}").get_data(as_text=True), "finding-row")
    assert rows[0].startswith("entry 1 roles error")
    assert rows[1].startswith("entry 1 ip_acl error")


# --------------------------------------------------------------------------- the one-time rule


def test_one_time_rule_and_icann_allowing_another(app, client, rsp, bulk_world, login):
    first = uploaded(app, client, rsp, GOOD_CSV)
    submitted(app, client, first)
    index = client.get("/bulk/").get_data(as_text=True)
    assert text(index, "allowance") == (
        f"Your organisation has submitted its bulk upload (#{first}); "
        "ICANN staff can allow another."
    )

    second_file = (
        b"tld,domain_name,roles,ip_acl\nepsilon,client.rsp.epsilon,mosapi-slam,192.0.2.0/24\n"
    )
    second = uploaded(app, client, rsp, second_file, "epsilon.csv")
    page = client.get(f"/bulk/uploads/{second}").get_data(as_text=True)
    assert 'data-testid="attest-form"' not in page
    assert f"submitted its bulk upload (#{first})" in text(page, "no-allowance")
    refused = client.post(
        f"/bulk/uploads/{second}/submit", data={"csrf_token": csrf_of(page), **FULL_ATTESTATION}
    )
    assert refused.status_code == 403
    assert "already submitted its bulk upload" in text(
        refused.get_data(as_text=True), "submit-errors"
    )
    assert changes_of(app, second) == {}

    # Only ICANN staff may allow another.
    assert (
        client.post("/bulk/allowances", data={"csrf_token": rsp, "organisation_id": 1}).status_code
        == 403
    )
    staff = other_client(app, login, bulk_world.icann)
    staff_page = staff.get("/bulk/").get_data(as_text=True)
    rsp_rows = texts(staff_page, "rsp-row")
    assert rsp_rows[1].startswith(f"RSP One 1 1 #{first}")  # Other RSP sorts first
    with app.app_context():
        org_id = directory.get_organisation(db.session, "RSP One").id
    allowed = staff.post(
        "/bulk/allowances",
        data={"csrf_token": csrf_of(staff_page), "organisation_id": org_id, "note": "new TLDs"},
    )
    assert allowed.status_code == 303
    assert "RSP One may submit another bulk upload." in staff.get("/bulk/").get_data(as_text=True)

    page = client.get(f"/bulk/uploads/{second}").get_data(as_text=True)
    assert 'data-testid="attest-form"' in page
    submitted(app, client, second)
    assert changes_of(app, second) == {"epsilon": "pending"}


def test_a_submit_that_loses_the_rule_in_staging_says_so_on_the_page(app, client, rsp, bulk_world):
    one = uploaded(app, client, rsp, GOOD_CSV)
    two = uploaded(
        app,
        client,
        rsp,
        b"tld,domain_name,roles,ip_acl\nepsilon,c.rsp.epsilon,mosapi-slam,192.0.2.0/24\n",
        "two.csv",
    )
    # Upload two's submit is claimed (both pass the rule), then one's stages first.
    with app.app_context():
        user = directory.get_user(db.session, bulk_world.rsp)
        staging = bulk_uploads.begin_submit(
            db.session,
            db.session.get(BulkUpload, two),
            user,
            attest=True,
            name="Ada Lovelace",
            title="Head of DNS",
            notice_days=7,
        )
    page = client.get(f"/bulk/uploads/{two}").get_data(as_text=True)
    assert text(page, "progress-text") == "Staging 1 TLD change…"
    submitted(app, client, one)

    jobs.stage(app, staging).result(timeout=WAIT_SECONDS)
    assert status_of(app, two) == UploadStatus.READY and changes_of(app, two) == {}
    page = client.get(f"/bulk/uploads/{two}").get_data(as_text=True)
    assert "already submitted its bulk upload" in text(page, "submit-stopped")


def test_a_check_that_stops_says_so_and_no_thread_raises(app, client, rsp, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(bulk, "preview", broken)
    upload_id = uploaded(app, client, rsp, GOOD_CSV)
    assert status_of(app, upload_id) == UploadStatus.FAILED
    page = client.get(f"/bulk/uploads/{upload_id}").get_data(as_text=True)
    assert text(page, "failed").startswith("Checking stopped")
    assert "disk on fire" not in page  # the error is for the log, not the page
    assert 'data-testid="upload-form"' in page
    # Whatever a job raises stays in the pool's thread, logged. (Alembic's logging set-up, run
    # by the migrations, disables the loggers that existed before it.)
    monkeypatch.setattr(jobs.log, "disabled", False)
    future = jobs._pool(app).submit(jobs._run, app, "test", upload_id, lambda s: 1 / 0)
    assert future.result(timeout=WAIT_SECONDS) is None
    assert f"bulk test of upload {upload_id} stopped" in caplog.text
    with app.app_context():
        bulk_background.check(db.session, 10**9, cfg.Limits())  # no such upload: nothing


# --------------------------------------------------------------------------- size limit


def test_files_larger_than_the_app_limit_are_taken_up_to_the_bulk_limit(app, client, rsp):
    padding = (" " * 4000 + "\n") * 800  # ~3.1 MiB of blank lines: over the app's 2 MiB
    data = GOOD_CSV + padding.encode()
    assert len(data) > app.config["MAX_CONTENT_LENGTH"]
    upload_id = uploaded(app, client, rsp, data, "padded.csv")
    assert status_of(app, upload_id) == UploadStatus.READY


def test_too_large_file_gets_a_message_on_the_page(app, client, rsp):
    app.config["BULK_MAX_BYTES"] = 100_000
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(BulkUpload))
    # Far over: refused before the body is read, with the page and the limit.
    response = post_file(client, rsp, b"x" * 300_000)
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert text(page, "upload-errors") == (
        "The file is larger than the limit of 97.7 KiB. Split it into several files by TLD."
    )
    assert 'data-testid="upload-form"' in page and "<h1>Bulk upload</h1>" in page
    # Just over: read, and named with its size.
    response = post_file(client, rsp, b"x" * 100_001)
    assert response.status_code == 422
    assert "The file is 100,001 bytes; the limit is 100,000 bytes" in text(
        response.get_data(as_text=True), "upload-errors"
    )
    # No file at all.
    response = client.post("/bulk/uploads", data={"csrf_token": rsp})
    assert response.status_code == 422
    assert "Choose a CSV or JSON file" in text(response.get_data(as_text=True), "upload-errors")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BulkUpload)) == before


# --------------------------------------------------------------------------- downloads


def test_templates_download_in_both_formats(client, rsp):
    response = client.get("/bulk/template.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="bulk-template.csv"'
    assert response.get_data(as_text=True) == bulk.template_csv()
    response = client.get("/bulk/template.json")
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.get_json() == {
        "entries": [
            {
                "tld": "example",
                "domain_name": "client.rsp.example",
                "roles": ["rri-monthly-reports", "mosapi-slam"],
                "ip_acl": ["192.0.2.0/24", "2001:db8::/48"],
            }
        ]
    }


def test_file_download_is_the_upload_byte_for_byte(app, client, rsp, login, bulk_world):
    upload_id = uploaded(app, client, rsp, GOOD_CSV, "../my entries é.csv")
    submitted(app, client, upload_id)
    page = client.get(f"/bulk/uploads/{upload_id}").get_data(as_text=True)
    digest = hashlib.sha256(GOOD_CSV).hexdigest()
    assert text(page, "sha256") == digest
    response = client.get(f"/bulk/uploads/{upload_id}/file")
    assert response.status_code == 200
    assert response.data == GOOD_CSV
    assert hashlib.sha256(response.data).hexdigest() == digest
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="bulk-upload-{upload_id}-my_entries_e.csv"'
    )
    staff = other_client(app, login, bulk_world.icann)
    assert staff.get(f"/bulk/uploads/{upload_id}/file").data == GOOD_CSV


def test_csv_export_filters_and_neutralises_formulas(app, client, rsp, bulk_world):
    upload_id = uploaded(app, client, rsp, GOOD_CSV)
    submitted(app, client, upload_id)
    with app.app_context():
        operator = directory.get_user(db.session, bulk_world.op_a)
        change = bulk_changes.get_change(db.session, operator, upload_id, "gamma")
        bulk_changes.object_to(
            db.session, operator, change, note='=HYPERLINK("http://x.example","hi")', channel="ui"
        )

    def rows(query: str = "") -> list[list[str]]:
        response = client.get(f"/bulk/uploads/{upload_id}.csv{query}")
        assert response.status_code == 200 and response.mimetype == "text/csv"
        assert response.headers["Content-Disposition"].startswith("attachment;")
        return list(csv.reader(io.StringIO(response.get_data(as_text=True))))

    every = rows()
    assert every[0] == [
        "tld",
        "status",
        "due_at",
        "decided_at",
        "decided_by",
        "loaded_at",
        "note",
        "changes",
    ]
    by_tld = {r[0]: r for r in every[1:]}
    assert sorted(by_tld) == ["alpha", "delta", "gamma"]
    assert by_tld["gamma"][1] == "objected" and by_tld["gamma"][4] == bulk_world.op_a
    assert by_tld["gamma"][6] == '\'=HYPERLINK("http://x.example","hi")'
    assert by_tld["alpha"][7] == "2"
    assert [r[0] for r in rows("?status=pending")[1:]] == ["alpha", "delta"]
    assert [r[0] for r in rows("?tld=.GAM")[1:]] == ["gamma"]

    # The page's filter: which one is active, counts per status, the CSV link keeps it.
    page = client.get(f"/bulk/uploads/{upload_id}?status=pending").get_data(as_text=True)
    assert [r.split()[0] for r in texts(page, "change-row")] == [".alpha", ".delta"]
    active = text(page, "active-filter")
    assert active.startswith("Showing 2 of 3: status pending")
    assert f'href="/bulk/uploads/{upload_id}.csv?status=pending"' in page
    assert text(page, "status-counts") == "2 pending 1 objected of 3 TLDs"
    assert '<option value="pending" selected>pending (2)</option>' in page
    page = client.get(f"/bulk/uploads/{upload_id}?status=bogus").get_data(as_text=True)
    assert text(page, "active-filter").startswith("Showing all 3 TLD changes.")


# --------------------------------------------------------------------------- who sees what


def test_registry_operator_sees_only_its_tlds_and_cannot_upload(
    app, client, rsp, login, bulk_world
):
    upload_id = uploaded(app, client, rsp, GOOD_CSV)
    operator = other_client(app, login, bulk_world.op_a)
    # Not submitted yet: the operator does not see it.
    assert operator.get(f"/bulk/uploads/{upload_id}").status_code == 404
    submitted(app, client, upload_id)

    index = operator.get("/bulk/").get_data(as_text=True)
    assert 'type="file"' not in index
    row = text(index, "upload-row")
    assert row.startswith(f"#{upload_id} RSP One") and row.endswith("2 pending")
    refused = operator.post(
        "/bulk/uploads",
        data={"csrf_token": csrf_of(index), "file": (io.BytesIO(GOOD_CSV), "e.csv")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 403
    assert "Only an RSP's users can make a bulk upload" in text(
        refused.get_data(as_text=True), "upload-errors"
    )

    page = operator.get(f"/bulk/uploads/{upload_id}").get_data(as_text=True)
    assert [r.split()[0] for r in texts(page, "change-row")] == [".alpha", ".gamma"]
    assert ".delta" not in page
    assert "entries.csv" not in page and "/file" not in page and "sha256" not in page
    assert 'data-testid="attestation"' not in page
    assert "It sets the entries of 2 TLDs of yours" in text(page, "operator-summary")
    assert operator.get(f"/bulk/uploads/{upload_id}/file").status_code == 404
    exported = operator.get(f"/bulk/uploads/{upload_id}.csv").get_data(as_text=True)
    assert [r[0] for r in list(csv.reader(io.StringIO(exported)))[1:]] == ["alpha", "gamma"]
    # Nor can it submit the RSP's upload.
    assert (
        operator.post(
            f"/bulk/uploads/{upload_id}/submit",
            data={"csrf_token": csrf_of(page), **FULL_ATTESTATION},
        ).status_code
        == 404
    )


def test_outsiders_get_404_everywhere(app, client, rsp, login, bulk_world):
    upload_id = uploaded(app, client, rsp, GOOD_CSV)
    outsider = other_client(app, login, bulk_world.outsider)  # another RSP
    token = csrf_of(outsider.get("/bulk/").get_data(as_text=True))
    for path in ("", "/progress", "/file", "/submit"):
        method = outsider.post if path == "/submit" else outsider.get
        kwargs = {"data": {"csrf_token": token, **FULL_ATTESTATION}} if path == "/submit" else {}
        assert method(f"/bulk/uploads/{upload_id}{path}", **kwargs).status_code == 404, path
    assert outsider.get(f"/bulk/uploads/{upload_id}.csv").status_code == 404
    assert outsider.get("/bulk/uploads/999999").status_code == 404
    assert outsider.get("/bulk/").get_data(as_text=True).count('data-testid="upload-row"') == 0
    # Operator B's TLD delta is in it, but it is not submitted: not yet B's business either.
    op_b = other_client(app, login, bulk_world.op_b)
    assert op_b.get(f"/bulk/uploads/{upload_id}").status_code == 404
    # Signed out: the sign-in page.
    anonymous = app.test_client()
    assert anonymous.get(f"/bulk/uploads/{upload_id}").status_code == 302
    assert anonymous.get("/bulk/").status_code == 302


def test_every_post_needs_the_csrf_token(app, client, rsp, bulk_world, login):
    response = client.post(
        "/bulk/uploads",
        data={"file": (io.BytesIO(GOOD_CSV), "e.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and "Form expired" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BulkUpload)) == 0
    upload_id = uploaded(app, client, rsp, GOOD_CSV)
    response = client.post(f"/bulk/uploads/{upload_id}/submit", data=FULL_ATTESTATION)
    assert response.status_code == 400 and status_of(app, upload_id) == UploadStatus.READY
    staff = other_client(app, login, bulk_world.icann)
    assert staff.post("/bulk/allowances", data={"organisation_id": 1}).status_code == 400


def test_with_smtp_set_a_submit_emails_each_registry_operator(app, client, rsp, bulk_world):
    """The staging thread sends the operators' emails once the change is staged."""
    with SmtpServer() as server:
        app.config.update(SMTP_HOST=server.host, SMTP_PORT=server.port, SMTP_SECURITY="none")
        submitted(app, client, uploaded(app, client, rsp, GOOD_CSV))
        mails = server.wait_for(2)
        assert sorted(m["To"] for m in mails) == [bulk_world.op_a, bulk_world.op_b]
        assert all("RSP One submitted" in m["Subject"] for m in mails)
