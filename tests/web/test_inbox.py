"""The inbox page, the header's unread count, marking read, opening a message's link, and the
outbox page for ICANN staff."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select

from infra.database import db
from portal.models import Notification, OutboxMessage, utcnow
from portal.services import directory
from portal.services.notifications import notify
from tests.helpers import HTMX


def send(app, email: str, subject: str, link: str = "/tlds/alpha") -> int:
    with app.app_context():
        user = directory.get_user(db.session, email)
        notify(db.session, [user], subject, f"Body of {subject}.", link=link)
        db.session.commit()
        return db.session.scalar(select(Notification.id).order_by(Notification.id.desc()))


def read_at(app, note_id: int):
    with app.app_context():
        return db.session.get(Notification, note_id).read_at


def nav(html: str) -> str:
    match = re.search(r'<a href="/inbox" id="nav-inbox".*?</a>', html, re.S)
    assert match, "no inbox link in the header"
    return match.group(0)


def items(html: str) -> list[tuple[str, str]]:
    """(subject, unread) of each listed message, in page order."""
    return [
        (
            subject.replace(
                '<span class="pill pill-unread" data-testid="unread-mark">Unread</span> ', ""
            ),
            unread,
        )
        for unread, subject in re.findall(
            r'data-unread="(true|false)">\s*<h2 class="inbox-subject">(.*?)</h2>', html, re.S
        )
    ]


@pytest.fixture
def as_user(client, login):
    current: dict[str, str] = {}

    def switch(email: str) -> str:
        if current:
            client.post("/logout", headers={"X-CSRFToken": current["token"]})
        current["token"] = login(email)
        return current["token"]

    return switch


def test_the_header_shows_the_unread_count_with_one_count_query(app, client, world, as_user):
    for n in range(3):
        send(app, world.op_a, f"message {n}")
    as_user(world.op_a)
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    def render(path: str) -> tuple[str, list[str]]:
        statements.clear()
        event.listen(engine, "before_cursor_execute", seen)
        try:
            html = client.get(path).get_data(as_text=True)
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        counts = [s for s in statements if "count(" in s.lower() and "notifications" in s]
        return html, counts

    html, counts = render("/tlds")
    link = nav(html)
    assert 'aria-label="Inbox, 3 unread"' in link
    assert '<span class="badge" data-testid="inbox-count">3</span>' in link
    assert len(counts) == 1
    assert [s for s in statements if "notifications" in s] == counts  # nothing else read
    # The inbox page shows the count twice (header, summary) from the same one query.
    html, counts = render("/inbox")
    assert "3 unread of 3 messages" in html and len(counts) == 1


def test_no_unread_hides_the_count_and_signed_out_pages_have_no_inbox(app, client, world, as_user):
    assert 'id="nav-inbox"' not in client.get("/login").get_data(as_text=True)
    as_user(world.op_b)
    link = nav(client.get("/tlds").get_data(as_text=True))
    assert 'aria-label="Inbox"' in link
    assert '<span class="badge" data-testid="inbox-count" hidden>0</span>' in link
    assert client.get("/inbox").status_code == 200


def test_the_inbox_lists_ones_own_messages_newest_first_unread_marked(app, client, world, as_user):
    first = send(app, world.op_a, "first")
    send(app, world.op_a, "second")
    send(app, world.op_b, "not yours")
    with app.app_context():
        db.session.get(Notification, first).read_at = utcnow()
        db.session.commit()
    as_user(world.op_a)
    html = client.get("/inbox").get_data(as_text=True)
    assert items(html) == [("second", "true"), ("first", "false")]
    assert "not yours" not in html
    assert "1 unread of 2 messages" in html
    assert "Body of second." in html
    assert (
        html.count('data-testid="unread-mark">Unread</span>') == 1
    )  # read aloud, not only a colour
    assert html.count('data-testid="inbox-open">Open /tlds/alpha</button>') == 2


def test_mark_one_and_all_read(app, client, world, as_user):
    ids = [send(app, world.op_a, f"message {n}") for n in range(3)]
    other = send(app, world.op_b, "b's")
    token = as_user(world.op_a)
    response = client.post("/inbox/read", data={"id": ids[0], "csrf_token": token})
    assert response.status_code == 303 and response.location.endswith("/inbox")
    assert read_at(app, ids[0]) is not None and read_at(app, ids[1]) is None
    # Someone else's message is not marked.
    client.post("/inbox/read", data={"id": other, "csrf_token": token})
    assert read_at(app, other) is None
    # Over HTMX: the list again and the header's count out of band.
    response = client.post(
        "/inbox/read", data={"id": ids[1]}, headers={**HTMX, "X-CSRFToken": token}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<section id="inbox-list"')
    assert 'hx-swap-oob="true"' in nav(html) and 'aria-label="Inbox, 1 unread"' in nav(html)
    response = client.post("/inbox/read", data={"all": "y", "csrf_token": token})
    assert response.status_code == 303
    page = client.get("/inbox").get_data(as_text=True)
    assert "Marked 1 message read." in page
    assert all(unread == "false" for _, unread in items(page))
    assert 'aria-label="Inbox"' in nav(page)
    assert read_at(app, other) is None
    # Neither an id nor all; no CSRF token.
    assert client.post("/inbox/read", data={"csrf_token": token}).status_code == 400
    assert client.post("/inbox/read", data={"all": "y"}).status_code == 400


def test_opening_a_message_marks_it_read_and_goes_to_its_link(app, client, world, as_user):
    note = send(app, world.op_a, "loaded", link="/tlds/alpha?tab=history")
    token = as_user(world.op_a)
    assert client.post(f"/inbox/{note}/open").status_code == 400  # no CSRF token
    assert read_at(app, note) is None
    response = client.post(f"/inbox/{note}/open", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.location.endswith("/tlds/alpha?tab=history")
    assert read_at(app, note) is not None


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example/tlds/alpha",
        "//evil.example/tlds",
        "/\\evil.example",
        "javascript:alert(1)",
        "tlds/alpha",
        "/tlds/alpha\r\nSet-Cookie: x=1",
    ],
)
def test_a_link_that_would_leave_the_portal_goes_to_the_inbox(app, client, world, as_user, link):
    note = send(app, world.op_a, "odd", link=link)
    token = as_user(world.op_a)
    response = client.post(f"/inbox/{note}/open", data={"csrf_token": token})
    assert response.status_code == 303 and response.location.endswith("/inbox")
    assert read_at(app, note) is not None


def test_someone_elses_message_cannot_be_opened(app, client, world, as_user):
    note = send(app, world.op_b, "b's")
    token = as_user(world.op_a)
    assert client.post(f"/inbox/{note}/open", data={"csrf_token": token}).status_code == 404
    assert client.post("/inbox/9999/open", data={"csrf_token": token}).status_code == 404
    assert read_at(app, note) is None


def test_the_inbox_needs_a_signed_in_user(client, world):
    assert client.get("/inbox").status_code == 302
    assert client.get("/outbox").status_code == 302


# --------------------------------------------------------------------------- outbox


def test_the_outbox_is_for_icann_staff_only(app, client, world, as_user):
    send(app, world.op_a, "Objection to bulk upload #4 for .alpha")
    for email in (world.op_a, world.rsp, world.outsider):
        as_user(email)
        assert client.get("/outbox").status_code == 404, email
        assert 'href="/outbox"' not in client.get("/inbox").get_data(as_text=True)
    as_user(world.icann)
    assert 'href="/outbox"' in client.get("/inbox").get_data(as_text=True)
    html = client.get("/outbox").get_data(as_text=True)
    assert "No SMTP server is configured" in html and "only recorded here" in html
    row = re.search(r'<tr data-testid="outbox-row".*?</tr>', html, re.S).group(0)
    assert world.op_a in row and "Objection to bulk upload #4 for .alpha" in row
    assert "<details><summary>Body</summary>" in row and "Body of Objection" in row
    assert "Recorded" in row


def test_the_outbox_shows_the_smtp_server_and_each_delivery(app, client, world, as_user):
    send(app, world.op_a, "sent one")
    send(app, world.op_a, "failed one")
    with app.app_context():
        sent, failed = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        sent.sent_at, sent.attempts = utcnow(), 1
        failed.attempts, failed.last_error = 2, "cannot reach mail.example:587: refused"
        db.session.commit()
    app.config.update(SMTP_HOST="mail.example", SMTP_PORT=587, SMTP_SECURITY="starttls")
    as_user(world.icann)
    html = client.get("/outbox").get_data(as_text=True)
    assert "<code>mail.example:587</code> (starttls)" in html
    rows = re.findall(r'<tr data-testid="outbox-row".*?</tr>', html, re.S)
    assert "failed one" in rows[0] and "sent one" in rows[1]  # newest first
    assert "Not sent" in rows[0] and "2 attempts" in rows[0]
    assert "cannot reach mail.example:587: refused" in rows[0]
    assert "Sent</span>" in rows[1] and "1 attempt<" in rows[1]
