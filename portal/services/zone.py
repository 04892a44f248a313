"""The harness zone: TLSA records published by users, owned per name by an organisation.

Any signed-in user may publish at a free name (publish first, then add the entry); the name then
belongs to the publisher's organisation: only its users or ICANN staff may add or remove records
there. Every change bumps the `tlsa` change counter the mocks poll.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..core.tlsa import DEFAULT_TTL, validate_record
from ..core.validation import Finding, validate_domain_name
from ..models import ChangeCounter, Counter, OrgKind, TlsaRecordRow, User
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
    return (
        owner_org_id is None
        or user.organisation.kind == OrgKind.ICANN
        or user.organisation_id == owner_org_id
    )


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
    if not isinstance(body, dict):
        raise Invalid(
            [Finding("body", "Send a JSON object {name, usage, selector, matching_type, data}.")]
        )
    name = validate_domain_name(body.get("name"), "name")
    record = validate_record(
        body.get("usage"), body.get("selector"), body.get("matching_type"), body.get("data")
    )
    ttl = body.get("ttl", DEFAULT_TTL)
    findings = [*name.findings, *record.findings]
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not MIN_TTL <= ttl <= MAX_TTL:
        findings.append(
            Finding("ttl", f"ttl must be a whole number of seconds from {MIN_TTL} to {MAX_TTL}.")
        )
    if any(f.severity == "error" for f in findings) or name.value is None or record.value is None:
        raise Invalid([f for f in findings if f.severity == "error"])
    existing = records_at(session, name.value)
    owner = existing[0].organisation_id if existing else None
    if not _may_edit(user, owner):
        raise Invalid(
            [
                Finding(
                    "name",
                    f"{name.value} belongs to another organisation; publish under a name of yours.",
                )
            ]
        )
    rec = record.value
    if any(
        (r.usage, r.selector, r.matching_type, r.data)
        == (rec.usage, rec.selector, rec.matching_type, rec.data_hex)
        for r in existing
    ):
        raise Invalid([Finding("data", f"{name.value} already holds this record.")])
    if len(existing) >= MAX_RECORDS_PER_NAME:
        raise Invalid(
            [Finding("name", f"{name.value} already holds {len(existing)} records, the limit.")]
        )
    row = TlsaRecordRow(
        name=name.value,
        usage=rec.usage,
        selector=rec.selector,
        matching_type=rec.matching_type,
        data=rec.data_hex,
        ttl=ttl,
        organisation_id=owner or user.organisation_id,
        created_by=user.email,
    )
    session.add(row)
    bump_counter(session)
    session.commit()
    return row, [f for f in findings if f.severity != "error"]


def remove(session: Session, user: User, record_id: int) -> None:
    row = session.get(TlsaRecordRow, record_id)
    if row is None or not _may_edit(user, row.organisation_id):
        raise NotFound("TLSA record")
    session.delete(row)
    bump_counter(session)
    session.commit()
