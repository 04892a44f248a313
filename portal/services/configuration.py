"""Changes to a TLD's TLS client authentication data and Basic credentials.

Every change checks the caller's version (optimistic concurrency), bumps it atomically,
and writes one audit event holding the configuration before and after.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.security import generate_password_hash

from ..core.validation import (
    Entry,
    Finding,
    Limits,
    check_new_domain,
    validate_prefix_list,
    validate_roles,
)
from ..models import (
    AccountKind,
    AuditEvent,
    BasicAccount,
    Tld,
    TlsClientAuthEntry,
    as_utc,
    utcnow,
)
from .audit import Channel, EventSummary, summarise
from .errors import Conflict, Invalid, NotFound

MIN_BASIC_PASSWORD = 12
MAX_BASIC_PASSWORD = 128


@dataclass(frozen=True)
class Actor:
    label: str
    channel: Channel
    user_id: int | None = None


def account_username(tld_name: str, kind: str) -> str:
    return f"{tld_name}_{kind}"


def snapshot(tld: Tld) -> dict[str, Any]:
    """Everything History compares; never a password hash."""
    return {
        "entries": [e.as_dict() for e in tld.entries],
        "basic_ip_acl": list(tld.basic_ip_acl or []),
        "passwords": {
            a.username: as_utc(a.password_set_at).isoformat()
            for a in tld.accounts  # type: ignore[union-attr]
        },
    }


def changes_since(session: Session, tld: Tld, version: int) -> list[EventSummary]:
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.tld_id == tld.id, AuditEvent.version_after > version)
        .order_by(AuditEvent.id)
    )
    return [summarise(e) for e in events]


def history(session: Session, tld: Tld, limit: int = 100) -> list[AuditEvent]:
    """The TLD's audit events, newest first."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.tld_id == tld.id)
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
    )


def _claim_version(session: Session, tld: Tld, expected: int) -> None:
    """Atomically move the TLD from `expected` to the next version, or raise Conflict."""
    result = session.execute(
        update(Tld)
        .where(Tld.id == tld.id, Tld.version == expected)
        .values(version=Tld.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.rollback()
        session.refresh(tld)
        raise Conflict(expected, tld.version, changes_since(session, tld, expected), tld)
    set_committed_value(tld, "version", expected + 1)


def _record(
    session: Session, tld: Tld, actor: Actor, action: str, before: dict[str, Any]
) -> AuditEvent:
    session.flush()
    session.refresh(tld, ["entries", "accounts", "updated_at"])
    event = AuditEvent(
        tld_id=tld.id,
        user_id=actor.user_id,
        actor=actor.label,
        channel=actor.channel,
        action=action,
        version_after=tld.version,
        before=before,
        after=snapshot(tld),
    )
    session.add(event)
    session.commit()
    return event


def replace_entries(
    session: Session, tld: Tld, entries: list[Entry], expected_version: int, actor: Actor
) -> AuditEvent:
    """Make the TLD's entries exactly `entries` (already validated)."""
    before = snapshot(tld)
    _claim_version(session, tld, expected_version)
    current = {e.domain_name: e for e in tld.entries}
    wanted = {e.domain_name for e in entries}
    for name, row in current.items():
        if name not in wanted:
            session.delete(row)
    now = utcnow()
    for entry in entries:
        row = current.get(entry.domain_name)
        if row is None:
            session.add(
                TlsClientAuthEntry(
                    tld_id=tld.id,
                    domain_name=entry.domain_name,
                    roles=list(entry.roles),
                    ip_acl=list(entry.ip_acl),
                )
            )
        elif row.roles != list(entry.roles) or row.ip_acl != list(entry.ip_acl):
            row.roles, row.ip_acl, row.updated_at = list(entry.roles), list(entry.ip_acl), now
    return _record(session, tld, actor, "replace-entries", before)


def _entry_list(tld: Tld) -> list[Entry]:
    return [Entry(e.domain_name, tuple(e.roles), tuple(e.ip_acl)) for e in tld.entries]


def add_entry(
    session: Session, tld: Tld, entry: Entry, expected_version: int, actor: Actor, limits: Limits
) -> AuditEvent:
    dup = check_new_domain(_entry_list(tld), entry.domain_name)
    if dup:
        raise Invalid([dup])
    if len(tld.entries) >= limits.max_entries_per_tld:
        raise Invalid(
            [Finding("domain_name", f"This TLD has {len(tld.entries)} entries, the limit.")]
        )
    before = snapshot(tld)
    _claim_version(session, tld, expected_version)
    session.add(
        TlsClientAuthEntry(
            tld_id=tld.id,
            domain_name=entry.domain_name,
            roles=list(entry.roles),
            ip_acl=list(entry.ip_acl),
        )
    )
    return _record(session, tld, actor, "add-entry", before)


def get_entry(tld: Tld, entry_id: int) -> TlsClientAuthEntry:
    for e in tld.entries:
        if e.id == entry_id:
            return e
    raise NotFound("entry")


def update_entry(
    session: Session,
    tld: Tld,
    entry_id: int,
    roles: Any,
    ip_acl: Any,
    expected_version: int,
    actor: Actor,
    limits: Limits,
) -> AuditEvent:
    row = get_entry(tld, entry_id)
    checked_roles = validate_roles(roles)
    checked_acl = validate_prefix_list(ip_acl, limits=limits)
    findings = checked_roles.errors + checked_acl.errors
    if findings:
        raise Invalid(findings)
    before = snapshot(tld)
    _claim_version(session, tld, expected_version)
    row.roles, row.ip_acl, row.updated_at = checked_roles.value, checked_acl.value, utcnow()
    return _record(session, tld, actor, "update-entry", before)


def remove_entry(
    session: Session, tld: Tld, entry_id: int, expected_version: int, actor: Actor
) -> AuditEvent:
    row = get_entry(tld, entry_id)
    before = snapshot(tld)
    _claim_version(session, tld, expected_version)
    session.delete(row)
    return _record(session, tld, actor, "remove-entry", before)


def validate_basic_password(password: str, confirm: str | None = None) -> list[Finding]:
    out: list[Finding] = []
    if len(password) < MIN_BASIC_PASSWORD:
        out.append(Finding("password", f"Use at least {MIN_BASIC_PASSWORD} characters."))
    elif len(password) > MAX_BASIC_PASSWORD:
        out.append(Finding("password", f"Use at most {MAX_BASIC_PASSWORD} characters."))
    elif not password.isprintable() or ":" in password:
        out.append(
            Finding(
                "password", "Use printable characters only, without “:” (HTTP Basic splits on it)."
            )
        )
    if confirm is not None and confirm != password:
        out.append(Finding("confirm", "The two passwords differ."))
    return out


def set_password(
    session: Session,
    tld: Tld,
    kind: str,
    password: str,
    expected_version: int,
    actor: Actor,
    confirm: str | None = None,
) -> AuditEvent:
    if kind not in {k.value for k in AccountKind}:
        raise Invalid([Finding("kind", "Unknown account; choose ry or dea.")])
    problems = validate_basic_password(password, confirm)
    if problems:
        raise Invalid(problems)
    before = snapshot(tld)
    _claim_version(session, tld, expected_version)
    account = next((a for a in tld.accounts if a.kind == kind), None)
    hashed = generate_password_hash(password)
    if account is None:
        session.add(
            BasicAccount(
                tld_id=tld.id,
                kind=kind,
                username=account_username(tld.name, kind),
                password_hash=hashed,
            )
        )
    else:
        account.password_hash, account.password_set_at = hashed, utcnow()
    return _record(session, tld, actor, "set-password", before)


def set_basic_acl(
    session: Session, tld: Tld, ip_acl: Any, expected_version: int, actor: Actor, limits: Limits
) -> AuditEvent:
    checked = validate_prefix_list(ip_acl, "basic_ip_acl", limits, required=False)
    if not checked.ok:
        raise Invalid(checked.errors)
    before = snapshot(tld)
    _claim_version(session, tld, expected_version)
    tld.basic_ip_acl = checked.value or []
    return _record(session, tld, actor, "set-basic-acl", before)
