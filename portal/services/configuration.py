"""Changes to a TLD's TLS client authentication data and Basic credentials.

Every change takes its input as the form, the API or the CLI gives it and validates it here
(portal.core.validation): refused input raises Invalid with all its findings, errors beside
warnings and notes, so a form can show each next to its field. A change then checks the
caller's version (optimistic concurrency), bumps it atomically, and writes one audit event
holding the configuration before and after.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.security import generate_password_hash

from ..core.validation import (
    Checked,
    Entry,
    Finding,
    Limits,
    check_new_domain,
    split_prefix_text,
    validate_basic_password,
    validate_domain_name,
    validate_entries,
    validate_entry,
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

T = TypeVar("T")


@dataclass(frozen=True)
class Actor:
    label: str
    channel: Channel
    user_id: int | None = None


@dataclass(frozen=True)
class Saved:
    """A stored change and the warnings and notes of the input it accepted."""

    event: AuditEvent
    findings: list[Finding]


@dataclass(frozen=True)
class EntrySaved(Saved):
    """A change to one entry, and that entry as stored."""

    entry: TlsClientAuthEntry


def _accepted(checked: Checked[T]) -> T:
    """The validated value, or Invalid with every finding of the refused input."""
    if not checked.ok or checked.value is None:
        raise Invalid(checked.findings)
    return checked.value


def _remarks(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity != "error"]


def account_username(tld_name: str, kind: str) -> str:
    return f"{tld_name}_{kind}"


def snapshot(tld: Tld) -> dict[str, Any]:
    """Everything History compares; never a password hash."""
    return snapshot_of(
        [e.as_dict() for e in tld.entries],
        tld.basic_ip_acl,
        ((a.username, a.password_set_at) for a in tld.accounts),  # type: ignore[union-attr]
    )


def snapshot_of(
    entries: list[dict[str, Any]],
    basic_ip_acl: list[str] | None,
    accounts: Iterable[tuple[str, datetime]],
) -> dict[str, Any]:
    """`snapshot` from its parts, for callers that read them in bulk."""
    return {
        "entries": entries,
        "basic_ip_acl": list(basic_ip_acl or []),
        "passwords": {username: as_utc(set_at).isoformat() for username, set_at in accounts},  # type: ignore[union-attr]
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


def _try_claim(session: Session, tld: Tld, expected: int) -> bool:
    """Atomically move the TLD from `expected` to the next version; False if it is not at
    `expected` (someone saved in between)."""
    result = session.execute(
        update(Tld)
        .where(Tld.id == tld.id, Tld.version == expected)
        .values(version=Tld.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    set_committed_value(tld, "version", expected + 1)
    return True


def _claim_version(session: Session, tld: Tld, expected: int) -> None:
    """Atomically move the TLD from `expected` to the next version, or raise Conflict."""
    if not _try_claim(session, tld, expected):
        session.rollback()
        session.refresh(tld)
        raise Conflict(expected, tld.version, changes_since(session, tld, expected), tld)


def _record(
    session: Session,
    tld: Tld,
    actor: Actor,
    action: str,
    before: dict[str, Any],
    *,
    bulk_upload_id: int | None = None,
    commit: bool = True,
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
        bulk_upload_id=bulk_upload_id,
    )
    session.add(event)
    if commit:
        session.commit()
    return event


def _change(
    session: Session,
    tld: Tld,
    expected_version: int,
    actor: Actor,
    action: str,
    apply: Callable[[], object],
    *,
    commit: bool = True,
) -> AuditEvent:
    """Claim the next version, apply the change, record it: one audit event, one commit (or,
    with commit=False, inside the caller's transaction)."""
    before = snapshot(tld)
    _claim_version(session, tld, expected_version)
    apply()
    return _record(session, tld, actor, action, before, commit=commit)


def _new_row(tld: Tld, entry: Entry) -> TlsClientAuthEntry:
    return TlsClientAuthEntry(
        tld_id=tld.id,
        domain_name=entry.domain_name,
        roles=list(entry.roles),
        ip_acl=list(entry.ip_acl),
    )


def replace_entries(
    session: Session,
    tld: Tld,
    entries: Any,
    expected_version: int,
    actor: Actor,
    limits: Limits,
) -> Saved:
    """Make the TLD's entries exactly `entries` (the API document's list of entry objects)."""
    checked = validate_entries(entries, limits)
    wanted_entries = _accepted(checked)

    def replace() -> None:
        _replace_rows(session, tld, wanted_entries)

    event = _change(session, tld, expected_version, actor, "replace-entries", replace)
    return Saved(event, _remarks(checked.findings))


def _replace_rows(session: Session, tld: Tld, wanted_entries: Sequence[Entry]) -> None:
    """Make the TLD's entry rows exactly `wanted_entries`, touching only those that differ."""
    current = {e.domain_name: e for e in tld.entries}
    wanted = {e.domain_name for e in wanted_entries}
    for name, row in current.items():
        if name not in wanted:
            session.delete(row)
    now = utcnow()
    for entry in wanted_entries:
        row = current.get(entry.domain_name)
        if row is None:
            session.add(_new_row(tld, entry))
        elif row.roles != list(entry.roles) or row.ip_acl != list(entry.ip_acl):
            row.roles, row.ip_acl, row.updated_at = list(entry.roles), list(entry.ip_acl), now


def load_entries(
    session: Session,
    tld: Tld,
    entries: Sequence[Entry],
    expected_version: int,
    actor: Actor,
    *,
    action: str,
    bulk_upload_id: int | None = None,
) -> AuditEvent | None:
    """Make the TLD's entries exactly `entries`, already checked, inside the caller's
    transaction (nothing is committed): the audit event, or None when the TLD is no longer at
    `expected_version` (then nothing was changed)."""
    before = snapshot(tld)
    if not _try_claim(session, tld, expected_version):
        return None
    _replace_rows(session, tld, entries)
    return _record(session, tld, actor, action, before, bulk_upload_id=bulk_upload_id, commit=False)


def entries_of(tld: Tld) -> list[Entry]:
    """The TLD's stored entries as validated values."""
    return [Entry(e.domain_name, tuple(e.roles), tuple(e.ip_acl)) for e in tld.entries]


def check_field(tld: Tld, field: str, raw: Any, limits: Limits) -> list[Finding]:
    """What saving one field of the add-entry or Basic-prefix form would say, while the user
    types: the field's findings, a name that already has an entry, the stored form of a name."""
    if field == "domain_name":
        checked = validate_domain_name(raw)
        findings = list(checked.findings)
        if checked.value:
            dup = check_new_domain(entries_of(tld), checked.value)
            findings += [dup] if dup else []
            if checked.ok and not dup and checked.value != str(raw).strip():
                findings.append(
                    Finding("domain_name", f"Will be stored as {checked.value}.", "note")
                )
        return findings
    if field in ("ip_acl", "basic_ip_acl"):
        text = raw if isinstance(raw, str) else ""
        return validate_prefix_list(
            text, field, limits, required=bool(split_prefix_text(text))
        ).findings
    raise Invalid([Finding("field", f"No check for the field {field!r}.")])


def add_entry(
    session: Session,
    tld: Tld,
    domain_name: Any,
    roles: Any,
    ip_acl: Any,
    expected_version: int,
    actor: Actor,
    limits: Limits,
) -> EntrySaved:
    checked = validate_entry(
        {"domain_name": domain_name, "roles": roles, "ip_acl": ip_acl}, limits=limits
    )
    entry = _accepted(checked)
    dup = check_new_domain(entries_of(tld), entry.domain_name)
    if dup:
        raise Invalid([dup])
    if len(tld.entries) >= limits.max_entries_per_tld:
        raise Invalid(
            [Finding("domain_name", f"This TLD has {len(tld.entries)} entries, the limit.")]
        )
    row = _new_row(tld, entry)
    event = _change(session, tld, expected_version, actor, "add-entry", lambda: session.add(row))
    return EntrySaved(event, _remarks(checked.findings), row)


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
) -> EntrySaved:
    row = get_entry(tld, entry_id)
    checked_roles = validate_roles(roles)
    checked_acl = validate_prefix_list(ip_acl, limits=limits)
    findings = [*checked_roles.findings, *checked_acl.findings]
    if not checked_roles.ok or not checked_acl.ok:
        raise Invalid(findings)

    def update() -> None:
        row.roles, row.ip_acl, row.updated_at = checked_roles.value, checked_acl.value, utcnow()

    event = _change(session, tld, expected_version, actor, "update-entry", update)
    return EntrySaved(event, _remarks(findings), row)


def remove_entry(
    session: Session, tld: Tld, entry_id: int, expected_version: int, actor: Actor
) -> Saved:
    row = get_entry(tld, entry_id)
    event = _change(
        session, tld, expected_version, actor, "remove-entry", lambda: session.delete(row)
    )
    return Saved(event, [])


def set_password(
    session: Session,
    tld: Tld,
    kind: Any,
    password: Any,
    expected_version: int,
    actor: Actor,
    confirm: Any = None,
    *,
    commit: bool = True,
) -> Saved:
    if kind not in {k.value for k in AccountKind}:
        raise Invalid([Finding("kind", "Unknown account; choose ry or dea.")])
    problems = validate_basic_password(password, confirm)
    if problems:
        raise Invalid(problems)
    hashed = generate_password_hash(password)

    def store() -> None:
        account = next((a for a in tld.accounts if a.kind == kind), None)
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

    event = _change(session, tld, expected_version, actor, "set-password", store, commit=commit)
    return Saved(event, [])


def set_basic_acl(
    session: Session,
    tld: Tld,
    ip_acl: Any,
    expected_version: int,
    actor: Actor,
    limits: Limits,
    *,
    commit: bool = True,
) -> Saved:
    checked = validate_prefix_list(ip_acl, "basic_ip_acl", limits, required=False)
    acl = _accepted(checked)

    def store() -> None:
        tld.basic_ip_acl = acl

    event = _change(session, tld, expected_version, actor, "set-basic-acl", store, commit=commit)
    return Saved(event, _remarks(checked.findings))
