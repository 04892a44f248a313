"""Answering a bulk upload's change in the portal: the TLD page's banner (the difference against
the current entries, the actions each side may take), accept, object, ICANN staff's load and
cancel, a stale version, who may not answer, the upload table's actions, and the emails sent in
the background to a real SMTP server."""

from __future__ import annotations

import re
import time

import pytest
from flask import render_template
from flask_login import login_user
from sqlalchemy import select

from infra.database import db
from portal.core.validation import Limits
from portal.models import (
    AuditEvent,
    BulkTldChange,
    ChangeStatus,
    Notification,
    OutboxMessage,
    Tld,
)
from portal.services import bulk_uploads, configuration, directory
from tests.helpers import HTMX
from tests.smtp_server import SmtpServer, closed_port

MiB = 1024 * 1024
FILE = (
    b"tld,domain_name,roles,ip_acl\n"
    b"alpha,keep.rsp.example,mosapi-slam,192.0.2.0/24\n"
    b"alpha,new.rsp.example,rri-monthly-reports;mosapi-slam,198.51.100.0/24\n"
)
ADDED = "Added entry new.rsp.example with roles "
REMOVED_OLD = "Removed entry old.rsp.example"


def entry(name: str) -> dict:
    return {"domain_name": name, "roles": ["mosapi-slam"], "ip_acl": ["192.0.2.0/24"]}


def alpha() -> Tld:
    return db.session.scalar(select(Tld).where(Tld.name == "alpha"))


@pytest.fixture
def upload(app, world) -> int:
    """Alpha holds keep.rsp and old.rsp; RSP One's submitted upload keeps keep.rsp, adds
    new.rsp and so drops old.rsp."""
    with app.app_context():
        s = db.session
        tld = alpha()
        configuration.replace_entries(
            s,
            tld,
            [entry("keep.rsp.example"), entry("old.rsp.example")],
            tld.version,
            configuration.Actor(world.op_a, "ui"),
            Limits(),
        )
        rsp = directory.get_user(s, world.rsp)
        made = bulk_uploads.create_upload(
            s, rsp, FILE, filename="rsp.csv", channel="ui", max_bytes=MiB
        )
        made = bulk_uploads.check_upload(s, made, Limits())
        assert made.status == "ready", made.findings
        bulk_uploads.submit(
            s, made, rsp, attest=True, name="Rita Sample", title="Head of Ops", notice_days=7
        )
        return made.id


def version(app) -> int:
    with app.app_context():
        return alpha().version


def entries(app) -> list[str]:
    with app.app_context():
        return sorted(e.domain_name for e in alpha().entries)


def change(app, upload_id: int) -> BulkTldChange:
    with app.app_context():
        row = db.session.scalar(
            select(BulkTldChange).where(
                BulkTldChange.upload_id == upload_id, BulkTldChange.tld == "alpha"
            )
        )
        db.session.expunge(row)
        return row


def edit_alpha(app, email: str, name: str = "edited.op-a.example") -> None:
    """A registry operator's edit on the TLD page (or anywhere) after the upload."""
    with app.app_context():
        tld = alpha()
        configuration.replace_entries(
            db.session,
            tld,
            [e.as_dict() for e in tld.entries] + [entry(name)],
            tld.version,
            configuration.Actor(email, "ui"),
            Limits(),
        )


def subjects(app, email: str) -> list[str]:
    with app.app_context():
        user = directory.get_user(db.session, email)
        return list(
            db.session.scalars(
                select(Notification.subject)
                .where(Notification.user_id == user.id)
                .order_by(Notification.id)
            )
        )


def emails_to(app, email: str) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(
            db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == email))
        )
        for row in rows:
            db.session.expunge(row)
        return rows


@pytest.fixture
def as_user(client, login):
    """Sign in as `email`, signing out whoever was signed in; the CSRF token."""
    current: dict[str, str] = {}

    def switch(email: str) -> str:
        if current:
            client.post("/logout", headers={"X-CSRFToken": current["token"]})
        current["token"] = login(email)
        return current["token"]

    return switch


@pytest.fixture
def answer(client, upload):
    """POST one answer to alpha's change: `how` accept|object|load|cancel."""

    def post(token: str, how: str, htmx: bool = False, **data: object):
        headers = {**HTMX, "X-CSRFToken": token} if htmx else {}
        form = {"back": "tld", **data}
        if not htmx:
            form["csrf_token"] = token
        return client.post(f"/bulk/uploads/{upload}/tlds/alpha/{how}", data=form, headers=headers)

    return post


def banner(html: str) -> str:
    match = re.search(r'<section id="bulk-banner".*?</section>', html, re.S)
    assert match, "no bulk banner on the page"
    return match.group(0)


def flash(html: str) -> list[str]:
    return re.findall(r'<p class="flash" role="status">([^<]*)</p>', html)


# --------------------------------------------------------------------------- the banner


def test_the_operator_sees_the_banner_with_the_difference_and_its_actions(
    app, client, world, as_user, upload
):
    as_user(world.op_a)
    html = banner(client.get("/tlds/alpha").get_data(as_text=True))
    assert 'role="region"' in html
    assert f'aria-label="Bulk upload #{upload} for .alpha"' in html
    heading = f"Bulk upload #{upload} from RSP One would replace this TLD's TLS client"
    assert f"{heading} authentication entries" in html
    assert "Loads on <strong>" in html and "unless the registry operator objects" in html
    assert ADDED in html and REMOVED_OLD in html
    assert "keep.rsp.example" not in html  # unchanged: not part of the difference
    assert f'name="version" value="{version(app)}"' in html
    assert 'data-testid="bulk-accept"' in html and 'data-testid="bulk-object"' in html
    assert 'data-testid="bulk-load"' not in html and 'data-testid="bulk-cancel"' not in html


def test_the_difference_is_against_the_current_entries_not_those_at_the_upload(
    app, client, world, as_user, upload
):
    edit_alpha(app, world.op_a)
    as_user(world.op_a)
    html = banner(client.get("/tlds/alpha").get_data(as_text=True))
    assert "Removed entry edited.op-a.example" in html  # only true of the current entries
    assert "Removed entry edited.op-a.example" not in change(app, upload).lines
    assert f'name="version" value="{version(app)}"' in html


def test_no_banner_on_a_tld_without_an_open_change(app, client, world, as_user, upload):
    as_user(world.op_b)
    assert 'id="bulk-banner"' not in client.get("/tlds/beta").get_data(as_text=True)


def test_the_rsp_sees_it_read_only_and_icann_staff_may_load_or_cancel(
    app, client, world, as_user, upload
):
    as_user(world.rsp)
    html = banner(client.get("/tlds/alpha").get_data(as_text=True))
    assert ADDED in html and 'data-testid="bulk-read-only"' in html
    assert "<form" not in html
    as_user(world.icann)
    html = banner(client.get("/tlds/alpha").get_data(as_text=True))
    assert 'data-testid="bulk-load"' in html and 'data-testid="bulk-cancel"' in html
    assert 'data-testid="bulk-accept"' not in html and 'data-testid="bulk-object"' not in html


# --------------------------------------------------------------------------- accept


def test_accept_loads_the_entries_records_bulk_history_and_tells_the_rsp(
    app, client, world, as_user, upload, answer
):
    token = as_user(world.op_a)
    before = version(app)
    response = answer(token, "accept", version=before)
    assert response.status_code == 303 and response.location.endswith("/tlds/alpha")
    page = client.get("/tlds/alpha").get_data(as_text=True)
    assert flash(page) == [
        f"Accepted: bulk upload #{upload} is loaded; .alpha is now at version {before + 1}."
    ]
    assert 'id="bulk-banner"' not in page
    assert f"version {before + 1}" in page
    assert 'data-domain="new.rsp.example"' in page and 'data-domain="old.rsp.example"' not in page
    assert entries(app) == ["keep.rsp.example", "new.rsp.example"]
    state = change(app, upload)
    assert state.status == ChangeStatus.ACCEPTED and state.decided_by == world.op_a
    history = client.get("/tlds/alpha/history").get_data(as_text=True)
    assert f"Accepted and loaded from bulk upload #{upload}" in history
    assert "Removed entry old.rsp.example" in history
    assert history.count("via bulk") >= 2  # staged, then loaded
    with app.app_context():
        loaded = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "bulk-accepted"))
        assert loaded.channel == "bulk" and loaded.bulk_upload_id == upload
        assert loaded.version_after == before + 1
    assert f"Bulk upload #{upload} accepted and loaded for .alpha" in subjects(app, world.rsp)
    assert any("accepted and loaded" in m.subject for m in emails_to(app, world.rsp))


def test_accept_over_htmx_answers_with_the_banner_and_the_entries_follow(
    app, client, world, as_user, upload, answer
):
    token = as_user(world.op_a)
    before = version(app)
    response = answer(token, "accept", htmx=True, version=before)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="bulk-banner"')
    assert 'data-status="accepted"' in html and 'data-testid="bulk-message"' in html
    assert f".alpha is now at version {before + 1}." in html
    # The page fetches its entries tab again: the loaded entries and the new version.
    loader = re.search(
        r'<div hidden hx-get="([^"]+)" hx-trigger="load"\s+hx-target="#tab-panel"', html
    )
    assert loader, html
    panel = client.get(loader.group(1), headers=HTMX).get_data(as_text=True)
    assert 'data-domain="new.rsp.example"' in panel
    assert f"version {before + 1}" in panel
    assert f'id="tld-version" name="version" value="{before + 1}"' in panel


def test_accept_against_a_stale_version_says_so_shows_the_new_difference_and_loads_nothing(
    app, client, world, as_user, upload, answer
):
    token = as_user(world.op_a)
    shown = version(app)
    edit_alpha(app, world.op_a)  # the configuration changes while the operator looks
    response = answer(token, "accept", htmx=True, version=shown)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Nothing was loaded: .alpha changed while you were looking" in html
    assert f"you saw version {shown}; it is now version {shown + 1}" in html
    assert "Removed entry edited.op-a.example" in html  # the difference against what is there now
    assert f'name="version" value="{shown + 1}"' in html
    assert entries(app) == ["edited.op-a.example", "keep.rsp.example", "old.rsp.example"]
    assert change(app, upload).status == ChangeStatus.PENDING
    # Without JavaScript: back to the page, the same sentence, the banner against the current.
    response = answer(token, "accept", version=shown)
    assert response.status_code == 303
    page = client.get("/tlds/alpha").get_data(as_text=True)
    assert any("changed while you were looking" in m for m in flash(page))
    assert "Removed entry edited.op-a.example" in banner(page)
    assert version(app) == shown + 1
    # Accepting what is shown now loads it.
    assert answer(token, "accept", version=shown + 1).status_code == 303
    assert entries(app) == ["keep.rsp.example", "new.rsp.example"]


# --------------------------------------------------------------------------- object


def test_an_objection_with_a_reason_reaches_the_rsps_inbox_and_the_outbox(
    app, client, world, as_user, upload, answer
):
    token = as_user(world.op_a)
    before = version(app)
    response = answer(token, "object", htmx=True, note="  We never   authorized this.  ")
    assert response.status_code == 200
    assert "will not load for .alpha" in response.get_data(as_text=True)
    state = change(app, upload)
    assert state.status == ChangeStatus.OBJECTED and state.note == "We never authorized this."
    assert version(app) == before and "old.rsp.example" in entries(app)
    as_user(world.rsp)
    inbox = client.get("/inbox").get_data(as_text=True)
    assert f"Objection to bulk upload #{upload} for .alpha" in inbox
    assert "Reason: .alpha: We never authorized this." in inbox
    [mail] = [m for m in emails_to(app, world.rsp) if m.subject.startswith("Objection")]
    assert "We never authorized this." in mail.body
    as_user(world.icann)
    outbox = client.get("/outbox").get_data(as_text=True)
    assert f"Objection to bulk upload #{upload} for .alpha" in outbox
    assert "We never authorized this." in outbox
    as_user(world.op_a)
    history = client.get("/tlds/alpha/history").get_data(as_text=True)
    assert "objected to by the registry operator; withdrawn" in history


def test_a_note_too_long_and_a_change_already_answered_are_shown(
    app, client, world, as_user, upload, answer
):
    token = as_user(world.op_a)
    response = answer(token, "object", htmx=True, note="x" * 1001)
    assert response.status_code == 422
    assert "Use at most 1000 characters." in response.get_data(as_text=True)
    assert change(app, upload).status == ChangeStatus.PENDING
    assert answer(token, "accept", version=version(app)).status_code == 303
    response = answer(token, "object", htmx=True, note="too late")
    assert response.status_code == 422
    assert "is already accepted; nothing is left to answer" in response.get_data(as_text=True)
    response = answer(token, "accept")  # no version at all
    assert response.status_code == 303
    assert flash(client.get("/tlds/alpha").get_data(as_text=True))[-1] == (
        "The form is incomplete; reload the page."
    )


# --------------------------------------------------------------------------- who may answer


def test_neither_another_operator_nor_the_rsp_can_answer(
    app, client, world, as_user, upload, answer
):
    before = version(app)
    for email in (world.op_b, world.outsider):
        token = as_user(email)
        for how in ("accept", "object", "load", "cancel"):
            assert answer(token, how, version=before).status_code == 404, (email, how)
    token = as_user(world.rsp)
    for how in ("accept", "object"):
        response = answer(token, how, htmx=(how == "object"), version=before)
        assert response.status_code == 403
        assert "Only the registry operator of .alpha can answer its change." in response.get_data(
            as_text=True
        )
    token = as_user(world.op_a)
    for how in ("load", "cancel"):
        response = answer(token, how)
        assert response.status_code == 403
        assert "Only ICANN staff can load or cancel a bulk change." in response.get_data(
            as_text=True
        )
    assert change(app, upload).status == ChangeStatus.PENDING and version(app) == before
    response = client.post(
        "/bulk/uploads/999/tlds/alpha/accept",
        data={"version": before},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 404


def test_answers_need_the_csrf_token(app, client, world, as_user, upload):
    as_user(world.op_a)
    for how in ("accept", "object", "load", "cancel"):
        for headers in ({}, HTMX, {**HTMX, "X-CSRFToken": "forged"}):
            response = client.post(
                f"/bulk/uploads/{upload}/tlds/alpha/{how}",
                data={"version": version(app), "back": "tld"},
                headers=headers,
            )
            assert response.status_code == 400, (how, headers)
    assert change(app, upload).status == ChangeStatus.PENDING


# --------------------------------------------------------------------------- ICANN staff


def test_icann_staff_load_now_and_both_sides_are_told(app, client, world, as_user, upload, answer):
    token = as_user(world.icann)
    response = answer(token, "load", htmx=True)
    assert response.status_code == 200
    assert f"Loaded bulk upload #{upload} for .alpha" in response.get_data(as_text=True)
    assert entries(app) == ["keep.rsp.example", "new.rsp.example"]
    state = change(app, upload)
    assert state.status == ChangeStatus.LOADED and state.decided_by == world.icann
    for email in (world.rsp, world.op_a):
        assert f"Bulk upload #{upload} loaded for .alpha" in subjects(app, email)


def test_icann_staff_cancel_with_a_note_and_both_sides_are_told(
    app, client, world, as_user, upload, answer
):
    token = as_user(world.icann)
    before = version(app)
    response = answer(token, "cancel", note="Operator asked us by phone.")
    assert response.status_code == 303
    assert flash(client.get("/tlds/alpha").get_data(as_text=True)) == [
        f"Cancelled bulk upload #{upload} for .alpha; the RSP and the registry operator are told."
    ]
    state = change(app, upload)
    assert state.status == ChangeStatus.CANCELLED and state.note == "Operator asked us by phone."
    assert version(app) == before
    for email in (world.rsp, world.op_a):
        assert f"Bulk upload #{upload} cancelled for .alpha" in subjects(app, email)


def test_load_now_over_an_edited_tld_flags_a_conflict_the_operator_can_still_accept(
    app, client, world, as_user, upload, answer
):
    edit_alpha(app, world.op_a)
    token = as_user(world.icann)
    response = answer(token, "load", htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Not loaded: .alpha changed after the upload was made" in html
    assert 'data-status="conflict"' in html and "In conflict" in html
    assert 'data-testid="bulk-load"' not in html and 'data-testid="bulk-cancel"' in html
    assert change(app, upload).status == ChangeStatus.CONFLICT
    assert "edited.op-a.example" in entries(app)
    token = as_user(world.op_a)
    page = banner(client.get("/tlds/alpha").get_data(as_text=True))
    assert "In conflict" in page and "Removed entry edited.op-a.example" in page
    assert answer(token, "accept", version=version(app)).status_code == 303
    assert entries(app) == ["keep.rsp.example", "new.rsp.example"]
    assert change(app, upload).status == ChangeStatus.ACCEPTED


# --------------------------------------------------------------------------- upload table


def render_actions(app, upload_id: int, email: str) -> str:
    with app.test_request_context():
        login_user(directory.get_user(db.session, email))
        row = db.session.scalar(select(BulkTldChange).where(BulkTldChange.upload_id == upload_id))
        return render_template("bulk/_change_actions.html", change=row, upload=row.upload)


def test_the_upload_tables_actions_follow_the_user(app, world, upload):
    operator = render_actions(app, upload, world.op_a)
    assert 'data-testid="change-accept"' in operator and 'data-testid="change-object"' in operator
    assert f'name="version" value="{version(app)}"' in operator
    assert 'name="back" value="upload"' in operator
    icann = render_actions(app, upload, world.icann)
    assert 'data-testid="change-load"' in icann and 'data-testid="change-cancel"' in icann
    assert "change-accept" not in icann
    assert "<form" not in render_actions(app, upload, world.rsp)
    # The table's difference is the one at the upload: once the TLD moved, Accept is on its page.
    edit_alpha(app, world.op_a)
    operator = render_actions(app, upload, world.op_a)
    assert 'data-testid="change-review"' in operator and "change-accept" not in operator
    assert 'data-testid="change-object"' in operator


def test_an_answer_from_the_upload_table_reloads_the_upload_page_or_shows_the_refusal_in_the_row(
    app, client, world, as_user, upload, answer
):
    token = as_user(world.op_a)
    shown = version(app)
    edit_alpha(app, world.op_a)
    response = answer(token, "accept", htmx=True, version=shown, back="upload")
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="change-actions-')
    assert "changed while you were looking" in html
    assert "Removed entry edited.op-a.example" in html  # against what is there now
    assert f'name="version" value="{shown + 1}"' in html and 'name="back" value="upload"' in html
    response = answer(token, "accept", htmx=True, version=shown + 1, back="upload")
    assert response.status_code == 200 and response.headers["HX-Refresh"] == "true"
    page = client.get(f"/bulk/uploads/{upload}").get_data(as_text=True)
    assert f"Accepted: bulk upload #{upload} is loaded; .alpha is now at version {shown + 2}." in (
        flash(page)
    )
    assert 'data-testid="change-actions" data-tld="alpha" data-status="accepted"' in page
    response = answer(token, "object", note="late", back="upload")
    assert response.status_code == 303 and response.location.endswith(f"/bulk/uploads/{upload}")


# --------------------------------------------------------------------------- email


def sent_to(app, email: str, timeout: float = 10.0) -> OutboxMessage:
    """The outbox row to `email` once the background delivery has recorded it sent."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = [m for m in emails_to(app, email) if m.sent_at or m.last_error]
        if rows:
            return rows[-1]
        time.sleep(0.05)
    raise AssertionError(f"no delivery to {email} recorded in {timeout:.0f} s")


def test_an_answer_that_notifies_is_delivered_in_the_background(
    app, client, world, as_user, upload, answer
):
    with SmtpServer() as server:
        app.config.update(
            SMTP_HOST=server.host,
            SMTP_PORT=server.port,
            SMTP_SECURITY="none",
            PORTAL_URL="https://harness.example",
        )
        token = as_user(world.op_a)
        assert answer(token, "object", note="Not ours.").status_code == 303
        # The operator's notice of the submit waited in the outbox; it goes along.
        received = server.wait_for(2)
    by_to = {m["To"]: m for m in received}
    assert set(by_to) == {world.op_a, world.rsp}
    assert by_to[world.rsp]["Subject"] == f"Objection to bulk upload #{upload} for .alpha"
    assert "Not ours." in by_to[world.rsp].get_content()
    assert "https://harness.example/tlds/alpha" in by_to[world.rsp].get_content()
    mail = sent_to(app, world.rsp)
    assert mail.sent_at is not None and mail.last_error is None


def test_a_mail_server_that_is_away_never_fails_the_answer(
    app, client, world, as_user, upload, answer
):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=closed_port(), SMTP_SECURITY="none")
    token = as_user(world.op_a)
    assert answer(token, "object", note="Not ours.").status_code == 303
    assert change(app, upload).status == ChangeStatus.OBJECTED
    mail = sent_to(app, world.rsp)
    assert mail.sent_at is None and mail.attempts == 1
    assert mail.last_error.startswith("cannot reach 127.0.0.1:")
