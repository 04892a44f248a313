"""The inbox and the email outbox over a real database, and delivery to a real SMTP server on
loopback (aiosmtpd): what arrives, what is recorded when the server is away or refuses."""

from __future__ import annotations

from sqlalchemy import select

from infra.database import db
from portal.models import OutboxMessage
from portal.services import directory
from portal.services.notifications import (
    MAX_ATTEMPTS,
    Smtp,
    deliver,
    inbox,
    mark_read,
    notify,
    outbox,
    unread_count,
)
from tests.smtp_server import SmtpServer, closed_port

PORTAL = "https://portal.example"


def user(email: str):
    return directory.get_user(db.session, email)


def send(
    *emails: str, subject: str = "Bulk upload #7 loaded for .alpha", link: str = "/tlds/alpha"
):
    count = notify(
        db.session,
        [user(e) for e in emails],
        subject,
        "Bulk upload #7 from RSP One was loaded for .alpha.",
        link=link,
        portal_url=PORTAL,
    )
    db.session.commit()
    return count


def rows() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_notify_fills_inbox_and_outbox_with_the_full_address(app, world):
    with app.app_context():
        assert send(world.op_a, world.rsp) == 2
        [note] = inbox(db.session, user(world.op_a))
        assert note.link == "/tlds/alpha" and note.read_at is None
        emails = {m.to_address: m for m in rows()}
        assert set(emails) == {world.op_a, world.rsp}
        assert emails[world.op_a].body.endswith("\n\nhttps://portal.example/tlds/alpha\n")
        assert emails[world.op_a].notification_id == note.id
        assert emails[world.op_a].sent_at is None and emails[world.op_a].attempts == 0


def test_an_inactive_user_gets_nothing(app, world):
    with app.app_context():
        gone = user(world.op_b)
        gone.active = False
        db.session.commit()
        assert send(world.op_a, world.op_b) == 1
        assert [m.to_address for m in rows()] == [world.op_a]
        assert unread_count(db.session, gone) == 0


def test_inbox_is_newest_first_and_mark_read_touches_only_ones_own(app, world):
    with app.app_context():
        for n in range(3):
            send(world.op_a, world.op_b, subject=f"message {n}")
        a, b = user(world.op_a), user(world.op_b)
        assert [n.subject for n in inbox(db.session, a)] == ["message 2", "message 1", "message 0"]
        assert unread_count(db.session, a) == 3
        b_ids = [n.id for n in inbox(db.session, b)]
        assert mark_read(db.session, a, b_ids) == 0  # someone else's messages
        assert unread_count(db.session, b) == 3
        first = inbox(db.session, a)[-1]
        assert mark_read(db.session, a, [first.id]) == 1
        assert mark_read(db.session, a, [first.id]) == 0  # already read
        assert unread_count(db.session, a) == 2
        assert mark_read(db.session, a) == 2
        assert unread_count(db.session, a) == 0 and unread_count(db.session, b) == 3


def test_deliver_sends_each_waiting_email_to_a_real_smtp_server(app, world):
    with app.app_context():
        send(world.op_a, world.rsp)
        with SmtpServer() as server:
            smtp = Smtp(host=server.host, port=server.port, security="none", sender="tls@h.example")
            result = deliver(db.session, smtp, timeout=5)
            assert (result.sent, result.failed, result.waiting) == (2, 0, 0)
            received = server.wait_for(2)
            # Nothing is sent twice.
            assert deliver(db.session, smtp, timeout=5).sent == 0
        by_to = {m["To"]: m for m in received}
        assert set(by_to) == {world.op_a, world.rsp}
        mail = by_to[world.op_a]
        assert mail["From"] == "tls@h.example"
        assert mail["Subject"] == "Bulk upload #7 loaded for .alpha"
        body = mail.get_content()
        assert "was loaded for .alpha." in body and "https://portal.example/tlds/alpha" in body
        assert sorted(rcpt for _, [rcpt] in server.envelopes) == sorted([world.op_a, world.rsp])
        db.session.expire_all()
        for message in rows():
            assert message.sent_at is not None
            assert message.attempts == 1 and message.last_error is None


def test_a_server_that_is_not_there_is_recorded_on_every_email(app, world):
    with app.app_context():
        send(world.op_a, world.rsp)
        port = closed_port()
        smtp = Smtp(host="127.0.0.1", port=port, security="none")
        result = deliver(db.session, smtp, timeout=5)
        assert (result.sent, result.failed, result.waiting) == (0, 2, 2)
        db.session.expire_all()
        for message in rows():
            assert message.sent_at is None and message.attempts == 1
            assert message.last_error.startswith(f"cannot reach 127.0.0.1:{port}: ")
        for _ in range(MAX_ATTEMPTS - 1):
            deliver(db.session, smtp, timeout=5)
        db.session.expire_all()
        assert {m.attempts for m in rows()} == {MAX_ATTEMPTS}
        # Given up: kept with its error, never tried again.
        assert deliver(db.session, smtp, timeout=5).waiting == 0
        db.session.expire_all()
        assert {m.attempts for m in rows()} == {MAX_ATTEMPTS}


def test_a_refused_recipient_is_recorded_and_the_others_still_go(app, world):
    with app.app_context():
        send(world.op_a, world.rsp)
        with SmtpServer(refuse={world.op_a}) as server:
            smtp = Smtp(host=server.host, port=server.port, security="none")
            result = deliver(db.session, smtp, timeout=5)
            assert (result.sent, result.failed) == (1, 1)
            [mail] = server.wait_for(1)
        assert mail["To"] == world.rsp
        db.session.expire_all()
        refused = next(m for m in rows() if m.to_address == world.op_a)
        assert refused.sent_at is None and refused.attempts == 1
        assert "no such mailbox" in refused.last_error


def test_without_a_host_nothing_is_sent_only_recorded(app, world):
    with app.app_context():
        send(world.op_a)
        smtp = Smtp.from_config({"SMTP_HOST": "", "PORTAL_URL": PORTAL + "/"})
        assert not smtp.sends and smtp.portal_url == PORTAL
        result = deliver(db.session, smtp)
        assert (result.sent, result.failed, result.waiting) == (0, 0, 1)
        assert [(m.attempts, m.sent_at) for m in outbox(db.session)] == [(0, None)]


def test_smtp_from_config_reads_the_settings():
    security = "tls"
    smtp = Smtp.from_config(
        {
            "SMTP_HOST": "mail.example",
            "SMTP_PORT": 2525,
            "SMTP_SECURITY": security,
            "MAIL_FROM": "harness@example",
            "PORTAL_HOST": "portal.lan",
            "PORTAL_PORT": 8080,
        }
    )
    assert smtp.sends and (smtp.host, smtp.port, smtp.security) == ("mail.example", 2525, security)
    assert smtp.sender == "harness@example" and smtp.portal_url == "http://portal.lan:8080"
