"""The portal's inbox and its email outbox.

Every notification lands in the user's inbox and, as an email, in the outbox. Without SMTP
settings the outbox only records what would be sent (ICANN staff read it on the Outbox page and
tests read the table); with them `deliver` sends what is waiting and records each attempt.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from sqlalchemy import func, select, true, update
from sqlalchemy.orm import Session

from ..models import Notification, OutboxMessage, User, utcnow

MAX_ATTEMPTS = 5  # an email that failed this often stays in the outbox, unsent, with its error


@dataclass(frozen=True)
class Smtp:
    """Where the outbox sends; `host` empty means record only."""

    host: str = ""
    port: int = 587
    security: str = "starttls"  # starttls, tls or none
    username: str = ""
    password: str = ""
    sender: str = "tlsauth@localhost"
    portal_url: str = "http://127.0.0.1:5000"

    @classmethod
    def from_config(cls, config: Any) -> Smtp:
        url = config.get("PORTAL_URL") or (
            f"http://{config.get('PORTAL_HOST', '127.0.0.1')}:{config.get('PORTAL_PORT', 5000)}"
        )
        return cls(
            host=config.get("SMTP_HOST", ""),
            port=config.get("SMTP_PORT", 587),
            security=config.get("SMTP_SECURITY", "starttls"),
            username=config.get("SMTP_USERNAME", ""),
            password=config.get("SMTP_PASSWORD", ""),
            sender=config.get("MAIL_FROM", "tlsauth@localhost"),
            portal_url=url.rstrip("/"),
        )

    @property
    def sends(self) -> bool:
        return bool(self.host)


def notify(
    session: Session,
    users: Iterable[User],
    subject: str,
    body: str,
    *,
    link: str = "",
    upload_id: int | None = None,
    portal_url: str = "",
) -> int:
    """Put one message in each active user's inbox and its email in the outbox (added to the
    session, not committed: it belongs to the change that caused it). How many users."""
    count = 0
    for user in users:
        if not user.active:
            continue
        note = Notification(
            user_id=user.id, subject=subject[:200], body=body, link=link, upload_id=upload_id
        )
        session.add(note)
        address = f"{portal_url}{link}" if link and portal_url else link
        email_body = f"{body}\n\n{address}\n" if address else f"{body}\n"
        session.add(
            OutboxMessage(
                to_address=user.email, subject=subject[:200], body=email_body, notification=note
            )
        )
        count += 1
    return count


def unread_count(session: Session, user: User) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        )
        or 0
    )


def inbox(session: Session, user: User, *, limit: int = 100) -> list[Notification]:
    """The user's messages, newest first."""
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


def mark_read(session: Session, user: User, ids: Iterable[int] | None = None) -> int:
    """Mark the user's messages read: those listed, or all. How many changed."""
    stmt = update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(list(ids)))
    result = session.execute(stmt.values(read_at=utcnow()))
    session.commit()
    return result.rowcount or 0


def outbox(session: Session, *, limit: int = 200) -> list[OutboxMessage]:
    """The emails, newest first."""
    return list(
        session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit))
    )


@dataclass(frozen=True)
class Delivery:
    sent: int
    failed: int
    waiting: int


def _connect(smtp: Smtp, timeout: float) -> smtplib.SMTP:
    if smtp.security == "tls":
        return smtplib.SMTP_SSL(
            smtp.host, smtp.port, timeout=timeout, context=ssl.create_default_context()
        )
    client = smtplib.SMTP(smtp.host, smtp.port, timeout=timeout)
    if smtp.security == "starttls":
        client.starttls(context=ssl.create_default_context())
    return client


def deliver(session: Session, smtp: Smtp, *, batch: int = 200, timeout: float = 15) -> Delivery:
    """Send the outbox's unsent emails over one SMTP connection per batch of `batch`, until none
    is left that has attempts to spare, recording every attempt and its error."""
    if not smtp.sends:
        return Delivery(0, 0, _waiting(session))
    sent = failed = 0
    tried: set[int] = set()
    while True:
        waiting = list(
            session.scalars(
                select(OutboxMessage)
                .where(
                    OutboxMessage.sent_at.is_(None),
                    OutboxMessage.attempts < MAX_ATTEMPTS,
                    OutboxMessage.id.not_in(tried) if tried else true(),
                )
                .order_by(OutboxMessage.id)
                .limit(batch)
            )
        )
        if not waiting:
            break
        tried.update(m.id for m in waiting)
        done, errors = _send_batch(session, smtp, waiting, timeout)
        sent, failed = sent + done, failed + errors
        if done == 0 and errors == len(waiting):
            break  # the server is unreachable or refuses us: try again on the next run
    return Delivery(sent, failed, _waiting(session))


def _waiting(session: Session) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)
        )
        or 0
    )


def _send_batch(
    session: Session, smtp: Smtp, waiting: list[OutboxMessage], timeout: float
) -> tuple[int, int]:
    """Send `waiting` over one connection: (sent, failed). A failure to connect or log in
    counts as a failed attempt of every message; one message's failure, of that message."""
    where = f"{smtp.host}:{smtp.port}"
    try:
        client = _connect(smtp, timeout)
    except (OSError, smtplib.SMTPException) as exc:
        return _all_failed(session, waiting, f"cannot reach {where}: {exc}")
    try:
        if smtp.username:
            client.login(smtp.username, smtp.password)
    except (OSError, smtplib.SMTPException) as exc:
        client.close()
        return _all_failed(session, waiting, f"{where} refused the login: {exc}")
    sent = failed = 0
    try:
        for message in waiting:
            email = EmailMessage()
            email["From"] = smtp.sender
            email["To"] = message.to_address
            email["Subject"] = message.subject
            email.set_content(message.body)
            message.attempts += 1
            try:
                client.send_message(email)
            except (OSError, smtplib.SMTPException) as exc:
                message.last_error = str(exc)[:500] or type(exc).__name__
                failed += 1
            else:
                message.sent_at, message.last_error = utcnow(), None
                sent += 1
            session.commit()
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()
    return sent, failed


def _all_failed(session: Session, waiting: list[OutboxMessage], error: str) -> tuple[int, int]:
    for message in waiting:
        message.attempts += 1
        message.last_error = error[:500]
    session.commit()
    return 0, len(waiting)
