"""The harness zone: TLSA records published by users, owned per name by an organisation.

Any signed-in user may publish at a free name (publish first, then add the entry); the name then
belongs to the publisher's organisation: only its users or ICANN staff may add or remove records
there. Every change bumps the `tlsa` change counter the mocks poll.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..core.access import may_edit_zone_name
from ..core.tlsa import DEFAULT_TTL, TlsaRecord, validate_record
from ..core.validation import Finding, validate_domain_name
from ..models import ChangeCounter, Counter, TlsaRecordRow, User
from .errors import Invalid, NotFound

MAX_RECORDS_PER_NAME = 16
MIN_TTL, MAX_TTL = 60, 86400


def bump_counter(session: Session, name: Counter = Counter.TLSA) -> None:
    """Tell the mocks a cached view changed (committed with the caller's change)."""
    changed = session.execute(
        update(ChangeCounter)
        .where(ChangeCounter.name == name)
        .values(value=ChangeCounter.value + 1)
    ).rowcount
    if not changed:
        session.add(ChangeCounter(name=name, value=1))


def _may_edit(user: User, owner_org_id: int | None) -> bool:
    return may_edit_zone_name(user.organisation.kind, user.organisation_id, owner_org_id)


def records_at(session: Session, name: str) -> list[TlsaRecordRow]:
    return list(
        session.scalars(
            select(TlsaRecordRow).where(TlsaRecordRow.name == name).order_by(TlsaRecordRow.id)
        )
    )


def list_records(session: Session, name: str | None = None) -> list[TlsaRecordRow]:
    stmt = select(TlsaRecordRow).order_by(TlsaRecordRow.name, TlsaRecordRow.id)
    if name:
        checked = validate_domain_name(name, "name")
        if checked.value is None:
            raise Invalid(checked.errors)
        stmt = stmt.where(TlsaRecordRow.name == checked.value)
    return list(session.scalars(stmt))


def publish(session: Session, user: User, body: Any) -> tuple[TlsaRecordRow, list[Finding]]:
    """Publish one record given as {name, usage, selector, matching_type, data, ttl?}."""
    if not isinstance(body, dict):
        raise Invalid(
            [Finding("body", "Send a JSON object {name, usage, selector, matching_type, data}.")]
        )
    record = validate_record(
        body.get("usage"), body.get("selector"), body.get("matching_type"), body.get("data")
    )
    if not record.ok or record.value is None:
        name = validate_domain_name(body.get("name"), "name")
        raise Invalid([*name.errors, *record.errors, *_ttl_errors(body.get("ttl", DEFAULT_TTL))])
    rows, notes = publish_records(
        session, user, body.get("name"), [record.value], body.get("ttl", DEFAULT_TTL)
    )
    return rows[0], [*notes, *record.findings]


def _ttl_errors(ttl: Any) -> list[Finding]:
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not MIN_TTL <= ttl <= MAX_TTL:
        return [
            Finding("ttl", f"ttl must be a whole number of seconds from {MIN_TTL} to {MAX_TTL}.")
        ]
    return []


def publish_records(
    session: Session, user: User, name: Any, records: list[TlsaRecord], ttl: Any = DEFAULT_TTL
) -> tuple[list[TlsaRecordRow], list[Finding]]:
    """Publish records at one name, all or none: every rule (the name, the TTL, who holds the
    name, no record twice, the per-name limit) is checked before the one commit."""
    checked = validate_domain_name(name, "name")
    errors = [*checked.errors, *_ttl_errors(ttl)]
    if errors or checked.value is None:
        raise Invalid(errors)
    owner_name = checked.value
    existing = records_at(session, owner_name)
    owner = existing[0].organisation_id if existing else None
    if not _may_edit(user, owner):
        raise Invalid(
            [
                Finding(
                    "name",
                    f"{owner_name} belongs to another organisation; publish under a name of yours.",
                )
            ]
        )
    held = {(r.usage, r.selector, r.matching_type, r.data) for r in existing}
    for rec in records:
        if (rec.usage, rec.selector, rec.matching_type, rec.data_hex) in held:
            kind = f"{rec.usage} {rec.selector} {rec.matching_type}"
            raise Invalid([Finding("data", f"{owner_name} already holds this {kind} record.")])
    if len(existing) + len(records) > MAX_RECORDS_PER_NAME:
        raise Invalid(
            [
                Finding(
                    "name",
                    f"{owner_name} holds {len(existing)} records; {len(records)} more would pass "
                    f"the limit of {MAX_RECORDS_PER_NAME}.",
                )
            ]
        )
    rows = [
        TlsaRecordRow(
            name=owner_name,
            usage=rec.usage,
            selector=rec.selector,
            matching_type=rec.matching_type,
            data=rec.data_hex,
            ttl=ttl,
            organisation_id=owner or user.organisation_id,
            created_by=user.email,
        )
        for rec in records
    ]
    session.add_all(rows)
    bump_counter(session)
    session.commit()
    return rows, [f for f in checked.findings if f.severity != "error"]


def remove(session: Session, user: User, record_id: int) -> None:
    row = session.get(TlsaRecordRow, record_id)
    if row is None or not _may_edit(user, row.organisation_id):
        raise NotFound("TLSA record")
    session.delete(row)
    bump_counter(session)
    session.commit()
