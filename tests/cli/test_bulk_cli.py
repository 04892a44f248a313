"""`tlsauth bulk upload|load-due|status|allow` and `tlsauth outbox send` over the real services
and database: dry run, refused files, attested submit, the one-time rule, the end of the notice
period with a conflict, the status table, the outbox with and without SMTP."""

from __future__ import annotations

import hashlib
import json
import socket
import socketserver
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from infra.database import db
from portal.core.validation import Entry
from portal.models import (
    AuditEvent,
    BulkTldChange,
    BulkUpload,
    Notification,
    OutboxMessage,
    Tld,
    as_utc,
)
from portal.services import configuration as cfg
from portal.services import directory
from tests.helpers import failed, invoke, ok, set_entries

ALPHA_ROW = "alpha,client.rsp.alpha,rri-monthly-reports;mosapi-slam,192.0.2.0/24\r\n"
GAMMA_ROW = "gamma,client.rsp.gamma,mosapi-slam,198.51.100.0/24\r\n"
HEADER = "tld,domain_name,roles,ip_acl\r\n"
NAME, TITLE = "Ada Lovelace", "Head of Registry Services"
ATTEST = ("--attest-name", NAME, "--attest-title", TITLE)


def bulk_file(tmp_path: Path, *rows: str, name: str = "tlds.csv") -> Path:
    path = tmp_path / name
    path.write_bytes((HEADER + "".join(rows)).encode())
    return path


@pytest.fixture
def gamma(app, world) -> str:
    """A second TLD of RSP One, run by operator B."""
    with app.app_context():
        directory.add_tld(db.session, "gamma", "Operator B", "RSP One")
    return "gamma"


def uploads(app) -> list[BulkUpload]:
    with app.app_context():
        rows = list(db.session.scalars(select(BulkUpload).order_by(BulkUpload.id)))
        db.session.expunge_all()
        return rows


def changes(app) -> dict[str, BulkTldChange]:
    with app.app_context():
        rows = {c.tld: c for c in db.session.scalars(select(BulkTldChange))}
        db.session.expunge_all()
        return rows


def entries(app, tld_name: str) -> list[dict]:
    with app.app_context():
        tld = db.session.scalars(select(Tld).where(Tld.name == tld_name)).one()
        return [e.as_dict() for e in tld.entries]


def actions(app, tld_name: str) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent.action)
                .join(Tld, Tld.id == AuditEvent.tld_id)
                .where(Tld.name == tld_name)
                .order_by(AuditEvent.id)
            )
        )


def inbox_of(app, email: str) -> list[str]:
    with app.app_context():
        user = directory.get_user(db.session, email)
        return list(
            db.session.scalars(
                select(Notification.subject)
                .where(Notification.user_id == user.id)
                .order_by(Notification.id)
            )
        )


# --------------------------------------------------------------------------- upload


def test_dry_run_previews_and_stages_nothing(app, runner, world, tmp_path):
    set_entries(app, [Entry("old.rsp.alpha", ("mosapi-daar",), ("203.0.113.0/24",))])
    path = bulk_file(tmp_path, ALPHA_ROW)
    out = ok(invoke(runner, "bulk", "upload", str(path), "--as", world.rsp))
    upload = uploads(app)[0]
    assert f"Upload #{upload.id}: tlds.csv (CSV, {path.stat().st_size:,} bytes)" in out
    assert hashlib.sha256(path.read_bytes()).hexdigest() in out
    assert "1 TLD in the file, 1 of them changed" in out
    assert "entries: 1 added, 1 removed, 0 changed, 0 unchanged" in out
    assert ".alpha: 1 added, 1 removed, 0 changed, 0 unchanged" in out
    assert (
        "  Added entry client.rsp.alpha with roles rri-monthly-reports, mosapi-slam "
        "and prefixes 192.0.2.0/24"
    ) in out
    assert "  Removed entry old.rsp.alpha" in out
    assert "Dry run: nothing was submitted" in out
    assert "has authorized RSP One to provide the TLS client authentication data" in out
    assert "--attest-name NAME --attest-title TITLE" in out
    assert "submitted 0 of 1 allowed upload" in out
    assert upload.status == "ready" and upload.submitted_at is None and upload.channel == "cli"
    assert changes(app) == {}
    assert [e["domain_name"] for e in entries(app, "alpha")] == ["old.rsp.alpha"]


def test_dry_run_json(app, runner, world, tmp_path):
    path = bulk_file(tmp_path, ALPHA_ROW)
    doc = json.loads(ok(invoke(runner, "bulk", "upload", str(path), "--as", world.rsp, "--json")))
    assert doc["status"] == "ready" and doc["submitted_at"] is None and doc["tlds"] == []
    assert doc["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert doc["rsp"] == "RSP One" and doc["filename"] == "tlds.csv" and doc["format"] == "csv"
    assert doc["preview"]["totals"]["entries_added"] == 1
    assert [(row["tld"], row["added"]) for row in doc["preview"]["tlds"]] == [("alpha", 1)]
    assert doc["preview"]["tlds"][0]["changes"][0].startswith("Added entry client.rsp.alpha")
    assert "RSP One" in doc["statement"] and doc["attestation"] is None
    assert (doc["uploads_allowed"], doc["uploads_submitted"]) == (1, 0)


def test_invalid_file_lists_every_finding_by_line_and_exits_1(app, runner, world, tmp_path):
    path = bulk_file(
        tmp_path,
        "alpha,a.rsp.alpha,no-such-role,192.0.2.0/24\r\n",
        "alpha,b.rsp.alpha,mosapi-slam,192.0.2.1/24\r\n",
        "beta,c.rsp.beta,mosapi-slam,192.0.2.0/24\r\n",
    )
    out = failed(
        invoke(runner, "bulk", "upload", str(path), "--as", world.rsp, *ATTEST),
        "is refused: 3 errors; nothing was staged",
        "Line 2, column roles: Unknown role 'no-such-role'",
        "Line 3, column ip_acl: 192.0.2.1/24 has host bits set",
        "Line 4, column tld: .beta is not one of your TLDs",
    )
    assert "Dry run" not in out and "Submitted" not in out
    assert [u.status for u in uploads(app)] == ["invalid"]
    assert uploads(app)[0].submitted_at is None
    assert changes(app) == {} and entries(app, "alpha") == []


def test_invalid_file_json(app, runner, world, tmp_path):
    path = bulk_file(tmp_path, "alpha,a.rsp.alpha,mosapi-slam,192.0.2.1/24\r\n")
    result = invoke(runner, "bulk", "upload", str(path), "--as", world.rsp, "--json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["status"] == "invalid"
    errors = [f for f in doc["findings"] if f["severity"] == "error"]
    assert [(f["line"], f["column"]) for f in errors] == [(2, "ip_acl")]


def test_submit_stages_notifies_and_stores_the_attestation(app, runner, world, tmp_path):
    path = bulk_file(tmp_path, ALPHA_ROW)
    before = datetime.now(UTC)
    out = ok(invoke(runner, "bulk", "upload", str(path), "--as", world.rsp, *ATTEST))
    upload = uploads(app)[0]
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    due = as_utc(upload.notice_ends_at)
    assert before + timedelta(days=7) <= due <= datetime.now(UTC) + timedelta(days=7)
    assert f"Attested by {NAME}, {TITLE} ({world.rsp}):" in out
    assert f"  {upload.attestation_text}" in out
    assert f"Submitted upload #{upload.id} at " in out
    assert f"  SHA-256 {sha}" in out
    assert f"1 TLD staged, loading on {due:%Y-%m-%d %H:%M} UTC" in out
    assert out.rstrip().endswith(": .alpha")
    assert "Dry run" not in out
    assert upload.status == "submitted" and upload.sequence == 1 and upload.sha256 == sha
    assert (upload.attested_name, upload.attested_title, upload.attested_by) == (
        NAME,
        TITLE,
        world.rsp,
    )
    assert "RSP One" in upload.attestation_text
    change = changes(app)["alpha"]
    assert change.status == "pending" and as_utc(change.due_at) == due
    assert entries(app, "alpha") == []  # nothing loads before the operator or the clock says
    assert actions(app, "alpha") == ["bulk-staged"]
    assert inbox_of(app, world.op_a) == [
        "RSP One submitted TLS client authentication data for .alpha"
    ]
    with app.app_context():
        emails = list(db.session.scalars(select(OutboxMessage)))
        assert [(m.to_address, m.sent_at) for m in emails] == [(world.op_a, None)]
        assert "/tlds/alpha" in emails[0].body


def test_submit_json(app, runner, world, tmp_path):
    path = bulk_file(tmp_path, ALPHA_ROW)
    doc = json.loads(
        ok(invoke(runner, "bulk", "upload", str(path), "--as", world.rsp, "--json", *ATTEST))
    )
    upload = uploads(app)[0]
    assert doc["status"] == "submitted" and doc["submitted_at"] is not None
    (tld,) = doc["tlds"]
    assert (tld["tld"], tld["status"], tld["upload_id"]) == ("alpha", "pending", upload.id)
    assert tld["base_version"] == tld["tld_version"] and tld["loaded_at"] is None
    assert tld["changes"] == [
        "Added entry client.rsp.alpha with roles rri-monthly-reports, mosapi-slam and "
        "prefixes 192.0.2.0/24"
    ]
    assert doc["counts"]["pending"] == 1
    assert doc["attestation"] == {
        "statement": upload.attestation_text,
        "name": NAME,
        "title": TITLE,
        "by": world.rsp,
    }
    assert doc["notice_ends_at"] == as_utc(upload.notice_ends_at).isoformat(timespec="seconds")
    assert doc["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (doc["uploads_allowed"], doc["uploads_submitted"]) == (1, 1)


def test_attestation_incomplete_is_refused(app, runner, world, tmp_path):
    path = bulk_file(tmp_path, ALPHA_ROW)
    failed(
        invoke(runner, "bulk", "upload", str(path), "--as", world.rsp, "--attest-name", NAME),
        "attestation is incomplete: --attest-title is missing",
    )
    assert uploads(app) == []  # refused before the file was stored
    failed(
        invoke(
            runner,
            "bulk",
            "upload",
            str(path),
            "--as",
            world.rsp,
            "--attest-name",
            "  ",
            "--attest-title",
            TITLE,
        ),
        "--attest-name: Enter your full name.",
    )
    assert [u.status for u in uploads(app)] == ["ready"]
    assert changes(app) == {}


def test_refusals(app, runner, world, tmp_path):
    path = bulk_file(tmp_path, ALPHA_ROW)
    failed(
        invoke(runner, "bulk", "upload", str(path), "--as", world.op_a, *ATTEST),
        "Only an RSP's users can make a bulk upload",
    )
    failed(
        invoke(runner, "bulk", "upload", str(path), "--as", "ghost@nowhere.example"),
        "user ghost@nowhere.example not found",
    )
    app.config["BULK_MAX_BYTES"] = 40
    failed(
        invoke(runner, "bulk", "upload", str(path), "--as", world.rsp),
        "the limit is 40 bytes",
    )
    assert uploads(app) == []


def test_one_time_rule_then_allow_then_submit(app, runner, world, gamma, tmp_path):
    ok(
        invoke(
            runner,
            "bulk",
            "upload",
            str(bulk_file(tmp_path, ALPHA_ROW)),
            "--as",
            world.rsp,
            *ATTEST,
        )
    )
    first = uploads(app)[0]
    second = bulk_file(tmp_path, GAMMA_ROW, name="second.csv")

    out = ok(invoke(runner, "bulk", "upload", str(second), "--as", world.rsp))
    assert "submitted 1 of 1 allowed bulk uploads: ICANN staff must allow another" in out
    out = failed(
        invoke(runner, "bulk", "upload", str(second), "--as", world.rsp, *ATTEST),
        f"already submitted its bulk upload (#{first.id} on ",
        "ICANN staff can allow another",
    )
    refused = uploads(app)[-1]
    assert f"Upload #{refused.id} is checked and ready but was not submitted:\n" in out
    assert refused.status == "ready" and refused.submitted_at is None
    assert "gamma" not in changes(app)

    failed(
        invoke(runner, "bulk", "allow", "RSP One", "--as", world.rsp),
        "Only ICANN staff can allow another bulk upload.",
    )
    failed(
        invoke(runner, "bulk", "allow", "Operator A", "--as", world.icann),
        "Operator A is not an RSP.",
    )
    failed(invoke(runner, "bulk", "allow", "No Such Org", "--as", world.icann), "not found")
    out = ok(invoke(runner, "bulk", "allow", "RSP One", "--as", world.icann, "--note", "new TLDs"))
    assert out.strip() == "RSP One may now submit 2 bulk uploads in all; it has submitted 1."

    out = ok(invoke(runner, "bulk", "upload", str(second), "--as", world.rsp, *ATTEST))
    assert "1 TLD staged" in out and out.rstrip().endswith(": .gamma")
    assert changes(app)["gamma"].status == "pending"
    assert [u.sequence for u in uploads(app) if u.submitted_at] == [1, 2]
    failed(
        invoke(runner, "bulk", "upload", str(second), "--as", world.rsp, *ATTEST),
        ".gamma still has a bulk change open",
    )


# --------------------------------------------------------------------------- load-due, status


def _submitted_over_alpha_and_gamma(app, runner, world, tmp_path) -> BulkUpload:
    set_entries(app, [Entry("old.rsp.alpha", ("mosapi-daar",), ("203.0.113.0/24",))])
    path = bulk_file(tmp_path, ALPHA_ROW, GAMMA_ROW)
    ok(invoke(runner, "bulk", "upload", str(path), "--as", world.rsp, *ATTEST))
    return uploads(app)[-1]


def _operator_edits_gamma(app, world) -> None:
    with app.app_context():
        s = db.session
        tld = s.scalars(select(Tld).where(Tld.name == "gamma")).one()
        user = directory.get_user(s, world.op_b)
        cfg.add_entry(
            s,
            tld,
            "own.operator-b.example",
            ["rri-escrow-reports"],
            "192.0.2.77",
            tld.version,
            cfg.Actor(user.email, "ui", user.id),
            cfg.Limits(),
        )


def test_load_due_loads_after_the_notice_period_and_never_overwrites_an_edit(
    app, runner, world, gamma, tmp_path
):
    upload = _submitted_over_alpha_and_gamma(app, runner, world, tmp_path)
    due = as_utc(upload.notice_ends_at)
    _operator_edits_gamma(app, world)
    gamma_after_edit = entries(app, "gamma")

    out = ok(invoke(runner, "bulk", "load-due"))
    assert out.strip() == "no bulk change is due"
    early = (due - timedelta(minutes=1)).isoformat()
    assert ok(invoke(runner, "bulk", "load-due", "--now", early)).strip() == "no bulk change is due"
    assert {c.status for c in changes(app).values()} == {"pending"}

    late = (due + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    out = ok(invoke(runner, "bulk", "load-due", "--now", late))
    assert "1 TLD loaded: .alpha" in out
    assert "1 TLD flagged as conflict (edited after the upload, not loaded): .gamma" in out

    assert entries(app, "alpha") == [
        {
            "domain_name": "client.rsp.alpha",
            "roles": ["rri-monthly-reports", "mosapi-slam"],
            "ip_acl": ["192.0.2.0/24"],
        }
    ]
    assert entries(app, "gamma") == gamma_after_edit
    assert [e["domain_name"] for e in gamma_after_edit] == ["own.operator-b.example"]
    now = changes(app)
    assert now["alpha"].status == "loaded" and now["alpha"].loaded_at is not None
    assert now["gamma"].status == "conflict" and now["gamma"].loaded_at is None
    base = now["gamma"].base_version
    assert now["gamma"].note == (
        f"Not loaded: .gamma was at version {base} when the upload was made and is now at "
        f"version {base + 1}."
    )
    assert actions(app, "alpha")[-2:] == ["bulk-staged", "bulk-loaded"]
    assert actions(app, "gamma") == ["bulk-staged", "add-entry", "bulk-conflict"]
    conflict = f"Bulk upload #{upload.id} not loaded for .gamma: configuration changed"
    assert conflict in inbox_of(app, world.op_b)
    assert conflict in inbox_of(app, world.rsp)
    assert f"Bulk upload #{upload.id} loaded for .alpha" in inbox_of(app, world.op_a)

    # A conflict is not retried: it waits for the operator or ICANN staff.
    assert ok(invoke(runner, "bulk", "load-due", "--now", late)).strip() == "no bulk change is due"
    assert entries(app, "gamma") == gamma_after_edit


def test_load_due_refuses_a_bad_moment(runner, world):
    failed(
        invoke(runner, "bulk", "load-due", "--now", "next tuesday"),
        "is not an ISO 8601 date and time",
    )


def test_status_table(app, runner, world, gamma, tmp_path):
    upload = _submitted_over_alpha_and_gamma(app, runner, world, tmp_path)
    _operator_edits_gamma(app, world)
    late = (as_utc(upload.notice_ends_at) + timedelta(days=1)).isoformat()
    ok(invoke(runner, "bulk", "load-due", "--now", late))

    out = ok(invoke(runner, "bulk", "status", str(upload.id)))
    lines = out.splitlines()
    assert lines[0] == f"Bulk upload #{upload.id} by {world.rsp} (RSP One): submitted"
    assert f"SHA-256 {upload.sha256}" in lines[1]
    assert lines[2].strip() == (
        "pending 0, accepted 0, objected 0, loaded 1, conflict 1, cancelled 0"
    )
    assert lines[3].split() == [
        "TLD",
        "STATUS",
        "DUE",
        "DECIDED",
        "BY",
        "LOADED",
        "CHANGES",
        "NOTE",
    ]
    assert lines[4].split()[:2] == [".alpha", "loaded"]
    assert lines[5].split()[:2] == [".gamma", "conflict"]
    assert "Not loaded: .gamma was at version" in lines[5]

    only = ok(invoke(runner, "bulk", "status", str(upload.id), "--status", "conflict"))
    assert ".gamma" in only and ".alpha" not in only
    none = ok(invoke(runner, "bulk", "status", str(upload.id), "--status", "objected"))
    assert none.rstrip().endswith("no TLD is objected")

    mine = ok(invoke(runner, "bulk", "status", str(upload.id), "--as", world.op_b))
    assert ".gamma" in mine and ".alpha" not in mine
    assert "loaded 0, conflict 1" in mine
    failed(invoke(runner, "bulk", "status", str(upload.id), "--as", world.outsider), "not found")
    failed(invoke(runner, "bulk", "status", "999999"), "bulk upload not found")


def test_status_of_an_unsubmitted_upload(app, runner, world, tmp_path):
    ok(invoke(runner, "bulk", "upload", str(bulk_file(tmp_path, ALPHA_ROW)), "--as", world.rsp))
    upload = uploads(app)[0]
    out = ok(invoke(runner, "bulk", "status", str(upload.id), "--as", world.rsp))
    assert out.splitlines() == [
        f"Bulk upload #{upload.id} by {world.rsp} (RSP One): ready",
        "  not submitted: no TLD change was staged",
    ]


# --------------------------------------------------------------------------- outbox


def test_outbox_send_without_smtp_only_records(app, runner, world, tmp_path):
    ok(
        invoke(
            runner,
            "bulk",
            "upload",
            str(bulk_file(tmp_path, ALPHA_ROW)),
            "--as",
            world.rsp,
            *ATTEST,
        )
    )
    out = ok(invoke(runner, "outbox", "send"))
    assert out.strip() == (
        "SMTP is not configured (TLSAUTH_SMTP_HOST is empty): emails are only recorded in the "
        "outbox, none sent; 1 email waiting."
    )
    with app.app_context():
        emails = list(db.session.scalars(select(OutboxMessage)))
        assert [(m.sent_at, m.attempts) for m in emails] == [(None, 0)]


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) to take messages: every command answered 250."""

    def handle(self) -> None:
        self.wfile.write(b"220 test ESMTP\r\n")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb == b"DATA":
                self.wfile.write(b"354 go on\r\n")
                data = b"".join(iter(self.rfile.readline, b".\r\n"))
                self.server.received.append(data)  # type: ignore[attr-defined]
                self.wfile.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp_server() -> Iterator[socketserver.ThreadingTCPServer]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpHandler)
    server.daemon_threads = True
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_outbox_send_over_smtp(app, runner, world, tmp_path, smtp_server):
    ok(
        invoke(
            runner,
            "bulk",
            "upload",
            str(bulk_file(tmp_path, ALPHA_ROW)),
            "--as",
            world.rsp,
            *ATTEST,
        )
    )
    app.config.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=smtp_server.server_address[1],
        SMTP_SECURITY="none",
        MAIL_FROM="portal@harness.example",
        PORTAL_URL="https://portal.harness.example",
    )
    assert ok(invoke(runner, "outbox", "send")).strip() == "sent 1, failed 0, waiting 0"
    (message,) = smtp_server.received
    assert b"To: a@operator-a.example" in message and b"From: portal@harness.example" in message
    with app.app_context():
        (email,) = db.session.scalars(select(OutboxMessage))
        assert email.sent_at is not None and email.attempts == 1
    assert ok(invoke(runner, "outbox", "send")).strip() == "sent 0, failed 0, waiting 0"


def test_outbox_send_to_an_unreachable_server_fails(app, runner, world, tmp_path):
    ok(
        invoke(
            runner,
            "bulk",
            "upload",
            str(bulk_file(tmp_path, ALPHA_ROW)),
            "--as",
            world.rsp,
            *ATTEST,
        )
    )
    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_SECURITY="none")
    out = failed(invoke(runner, "outbox", "send"), "1 email not sent")
    assert "sent 0, failed 1, waiting 1" in out
    with app.app_context():
        (email,) = db.session.scalars(select(OutboxMessage))
        assert email.sent_at is None and email.attempts == 1
        assert email.last_error.startswith(f"cannot reach 127.0.0.1:{port}")
