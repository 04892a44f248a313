"""The harness zone: TLSA records published by users, and who may vouch for a name.

A name that a TLD's entries name (a *client name* of that TLD) may be published at (records
added or removed) only by users of the registry operator or RSP of record of a TLD that names
it, and by ICANN staff; a squatter's records there can be removed by them. Any other name is
first-come: free to anyone, then held by the organisation that published there first. The
harness CA issues only names the requester may publish (`Publisher.refusal`, used by the
workbench). Each change at a client name is an event in the History of every TLD that names it.
Every change bumps the `tlsa` change counter the mocks poll.

Who sees what (`visible_records`): ICANN staff the whole zone; anyone else the names their
organisation published at and the client names of the TLDs it manages, with the creator's
email address on its own organisation's records only (others show the organisation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..core.access import ICANN, may_publish_at
from ..core.tlsa import DEFAULT_TTL, TlsaRecord, validate_record
from ..core.validation import Finding, validate_domain_name
from ..models import (
    AuditEvent,
    ChangeCounter,
    Counter,
    Organisation,
    Tld,
    TlsaRecordRow,
    TlsClientAuthEntry,
    User,
)
from .audit import ZONE_PUBLISHED, ZONE_REMOVED, Channel, zone_change
from .directory import tld_for_user, visible_clause
from .errors import Invalid, NotFound

MAX_RECORDS_PER_NAME = 16
# Records one organisation may hold in the whole zone.
MAX_RECORDS_PER_ORGANISATION = 500
# Association data in hexadecimal digits: 4 KiB, enough for a whole certificate (matching type
# 0); a hash (matching type 1 or 2) is 64 or 128.
MAX_DATA_HEX = 8192
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


# --------------------------------------------------------------------------- who may publish


def tlds_naming(session: Session, name: str) -> list[Tld]:
    """The TLDs whose entries name `name` (its client names), by TLD name."""
    return list(
        session.scalars(
            select(Tld)
            .join(TlsClientAuthEntry, TlsClientAuthEntry.tld_id == Tld.id)
            .where(TlsClientAuthEntry.domain_name == name)
            .order_by(Tld.name)
        ).unique()
    )


def _vouchers(tlds: Sequence[Tld]) -> frozenset[int]:
    return frozenset(org for t in tlds for org in (t.operator_id, t.rsp_id) if org is not None)


def _client_name_refusal(name: str, tlds: Sequence[Tld], doing: str) -> str:
    if len(tlds) == 1:
        t = tlds[0].name
        return (
            f"{name} is a client name of .{t}; only .{t}'s registry operator, its RSP of record "
            f"or ICANN staff may {doing}."
        )
    listed = ", ".join(f".{t.name}" for t in tlds[:-1]) + f" and .{tlds[-1].name}"
    return (
        f"{name} is a client name of {listed}; only the registry operators and RSPs of record "
        f"of those TLDs, or ICANN staff, may {doing}."
    )


def owner_of(session: Session, name: str) -> int | None:
    """The organisation holding a name that no entry names: the first to publish there."""
    return session.scalar(
        select(TlsaRecordRow.organisation_id)
        .where(TlsaRecordRow.name == name)
        .order_by(TlsaRecordRow.id)
        .limit(1)
    )


@dataclass(frozen=True)
class Publisher:
    """A user publishing in the harness zone, or asking the harness CA for a certificate,
    through a channel (for the History of the TLDs a change affects)."""

    session: Session
    user: User
    channel: Channel

    @property
    def organisation(self) -> Organisation:
        return self.user.organisation

    def refusal(self, name: str, doing: str = "publish there") -> str | None:
        """Why the user may not publish at `name` (a stored domain name), or None."""
        tlds = tlds_naming(self.session, name)
        owner = None if tlds else owner_of(self.session, name)
        org = self.organisation
        if may_publish_at(org.kind, org.id, _vouchers(tlds), owner):
            return None
        if tlds:
            return _client_name_refusal(name, tlds, doing)
        return f"{name} belongs to another organisation (the first to publish there); " + (
            "publish under a name of yours."
            if doing == "publish there"
            else f"only its users or ICANN staff may {doing}."
        )

    def example_tld(self, name: str) -> str | None:
        """A TLD for the user's examples with a credential for `name`: one they manage whose
        entries name it, else the first they manage; None when they manage none."""
        managed = select(Tld.name).where(visible_clause(self.user)).order_by(Tld.name)
        naming = managed.join(TlsClientAuthEntry, TlsClientAuthEntry.tld_id == Tld.id).where(
            TlsClientAuthEntry.domain_name == name
        )
        return self.session.scalar(naming.limit(1)) or self.session.scalar(managed.limit(1))

    def managed_tld(self, name: str) -> str | None:
        """The TLD `name` as stored, if the user manages it."""
        try:
            return tld_for_user(self.session, self.user, name).name
        except NotFound:
            return None

    def issuing_refusals(self, names: Sequence[str], field: str) -> list[Finding]:
        """One finding for each name of a certificate the harness CA may not issue to the user."""
        doing = "have the harness CA issue a certificate for it"
        return [
            Finding(field, message)
            for name in dict.fromkeys(names)
            if (message := self.refusal(name, doing)) is not None
        ]


# --------------------------------------------------------------------------- reading


def records_at(session: Session, name: str) -> list[TlsaRecordRow]:
    return list(
        session.scalars(
            select(TlsaRecordRow).where(TlsaRecordRow.name == name).order_by(TlsaRecordRow.id)
        )
    )


def _checked_name(name: Any, field: str = "name") -> str:
    checked = validate_domain_name(name, field)
    if checked.value is None:
        raise Invalid(checked.errors)
    return checked.value


def list_records(session: Session, name: str | None = None) -> list[TlsaRecordRow]:
    """The whole zone (or one name): for the harness itself (the CLI), not for a user."""
    stmt = select(TlsaRecordRow).order_by(TlsaRecordRow.name, TlsaRecordRow.id)
    if name:
        stmt = stmt.where(TlsaRecordRow.name == _checked_name(name))
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class ZoneRecord:
    """A record as a user sees it: the creator's email only on their organisation's records."""

    id: int
    name: str
    usage: int
    selector: int
    matching_type: int
    data: str
    ttl: int
    presentation: str
    organisation: str
    created_by: str | None
    created_at: datetime
    removable: bool  # by the viewer

    @classmethod
    def of(
        cls, row: TlsaRecordRow, organisation: str, viewer: User, removable: bool = True
    ) -> ZoneRecord:
        own = viewer.organisation.kind == ICANN or row.organisation_id == viewer.organisation_id
        return cls(
            id=row.id,
            name=row.name,
            usage=row.usage,
            selector=row.selector,
            matching_type=row.matching_type,
            data=row.data,
            ttl=row.ttl,
            presentation=row.presentation,
            organisation=organisation,
            created_by=row.created_by if own else None,
            created_at=row.created_at,
            removable=removable,
        )


def _visible_names(user: User) -> Any:
    """The names a user may see, as a subquery; None for ICANN staff (everything)."""
    if user.organisation.kind == ICANN:
        return None
    published = select(TlsaRecordRow.name).where(
        TlsaRecordRow.organisation_id == user.organisation_id
    )
    managed = (
        select(TlsClientAuthEntry.domain_name)
        .join(Tld, Tld.id == TlsClientAuthEntry.tld_id)
        .where(visible_clause(user))
    )
    return published.union(managed).subquery()


def visible_records(publisher: Publisher, name: str | None = None) -> list[ZoneRecord]:
    """The records the user may see (optionally at one name), by name, oldest first, each
    saying whether the user may remove it."""
    session, user = publisher.session, publisher.user
    stmt = (
        select(TlsaRecordRow, Organisation.name)
        .join(Organisation, Organisation.id == TlsaRecordRow.organisation_id)
        .order_by(TlsaRecordRow.name, TlsaRecordRow.id)
    )
    if name:
        stmt = stmt.where(TlsaRecordRow.name == _checked_name(name))
    names = _visible_names(user)
    if names is not None:
        stmt = stmt.where(TlsaRecordRow.name.in_(select(names.c[0])))
    rows = session.execute(stmt).all()
    staff = user.organisation.kind == ICANN
    open_to_user = {
        n: staff or publisher.refusal(n) is None for n in dict.fromkeys(r.name for r, _ in rows)
    }
    return [
        ZoneRecord.of(
            row, org, user, row.organisation_id == user.organisation_id or open_to_user[row.name]
        )
        for row, org in rows
    ]


def publishers_at(session: Session, names: Sequence[str]) -> dict[str, list[tuple[str, int]]]:
    """For each name that holds records: the organisations that published there (name, how
    many records), first publisher first."""
    if not names:
        return {}
    rows = session.execute(
        select(TlsaRecordRow.name, Organisation.name, func.count(), func.min(TlsaRecordRow.id))
        .join(Organisation, Organisation.id == TlsaRecordRow.organisation_id)
        .where(TlsaRecordRow.name.in_(list(names)))
        .group_by(TlsaRecordRow.name, Organisation.name)
        .order_by(func.min(TlsaRecordRow.id))
    )
    out: dict[str, list[tuple[str, int]]] = {}
    for name, org, count, _ in rows:
        out.setdefault(name, []).append((org, count))
    return out


# --------------------------------------------------------------------------- changing


def _ttl_errors(ttl: Any) -> list[Finding]:
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not MIN_TTL <= ttl <= MAX_TTL:
        return [
            Finding("ttl", f"ttl must be a whole number of seconds from {MIN_TTL} to {MAX_TTL}.")
        ]
    return []


def _size_errors(records: Sequence[TlsaRecord]) -> list[Finding]:
    return [
        Finding(
            "data",
            f"The data is {len(rec.data_hex)} hexadecimal digits, more than the limit of "
            f"{MAX_DATA_HEX} (4 KiB); publish a SHA-256 of it (matching type 1) instead.",
        )
        for rec in records
        if len(rec.data_hex) > MAX_DATA_HEX
    ]


def publish(publisher: Publisher, body: Any) -> tuple[TlsaRecordRow, list[Finding]]:
    """Publish one record given as {name, usage, selector, matching_type, data, ttl?}."""
    if not isinstance(body, dict):
        raise Invalid(
            [Finding("body", "Send a JSON object {name, usage, selector, matching_type, data}.")]
        )
    ttl = body.get("ttl", DEFAULT_TTL)
    record = validate_record(
        body.get("usage"), body.get("selector"), body.get("matching_type"), body.get("data")
    )
    if not record.ok or record.value is None:
        name = validate_domain_name(body.get("name"), "name")
        raise Invalid([*name.errors, *record.errors, *_ttl_errors(ttl)])
    rows, notes = publish_records(publisher, body.get("name"), [record.value], ttl)
    return rows[0], [*notes, *record.findings]


def publish_records(
    publisher: Publisher,
    name: Any,
    records: list[TlsaRecord],
    ttl: Any = DEFAULT_TTL,
    *,
    commit: bool = True,
) -> tuple[list[TlsaRecordRow], list[Finding]]:
    """Publish records at one name, all or none: every rule (the name, the TTL, who may
    publish there, the data size, no record twice, the limits) is checked before the one
    commit (or flush, inside the caller's transaction, with commit=False), which also writes
    the event in the History of each TLD naming it."""
    session, user = publisher.session, publisher.user
    checked = validate_domain_name(name, "name")
    errors = [*checked.errors, *_ttl_errors(ttl), *_size_errors(records)]
    if errors or checked.value is None:
        raise Invalid(errors)
    owner_name = checked.value
    refused = publisher.refusal(owner_name)
    if refused:
        raise Invalid([Finding("name", refused)])
    existing = records_at(session, owner_name)
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
    tlds = tlds_naming(session, owner_name)
    # A client name's records say who published them; any other name stays its holder's.
    org_id = user.organisation_id if tlds or not existing else existing[0].organisation_id
    held_by_org = (
        session.scalar(
            select(func.count())
            .select_from(TlsaRecordRow)
            .where(TlsaRecordRow.organisation_id == org_id)
        )
        or 0
    )
    if held_by_org + len(records) > MAX_RECORDS_PER_ORGANISATION:
        raise Invalid(
            [
                Finding(
                    "name",
                    f"The organisation holds {held_by_org} records in the harness zone; "
                    f"{len(records)} more would pass its limit of "
                    f"{MAX_RECORDS_PER_ORGANISATION}. Remove records it no longer uses.",
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
            organisation_id=org_id,
            created_by=user.email,
        )
        for rec in records
    ]
    session.add_all(rows)
    _record_in_history(publisher, tlds, ZONE_PUBLISHED, owner_name, rows)
    bump_counter(session)
    if commit:
        session.commit()
    else:
        session.flush()
    return rows, [f for f in checked.findings if f.severity != "error"]


def may_remove(publisher: Publisher, row: TlsaRecordRow) -> bool:
    """Whoever may publish at a record's name may remove it; an organisation may always
    withdraw its own records (that never grants anything)."""
    return row.organisation_id == publisher.user.organisation_id or not publisher.refusal(row.name)


def remove(publisher: Publisher, record_id: int, *, commit: bool = True) -> None:
    """Remove one record; one the user may not remove is not found (as one they may not see).
    With commit=False the removal stays in the caller's transaction."""
    session = publisher.session
    row = session.get(TlsaRecordRow, record_id)
    if row is None or not may_remove(publisher, row):
        raise NotFound("TLSA record")
    _record_in_history(publisher, tlds_naming(session, row.name), ZONE_REMOVED, row.name, [row])
    session.delete(row)
    bump_counter(session)
    if commit:
        session.commit()
    else:
        session.flush()


def _record_in_history(
    publisher: Publisher, tlds: Sequence[Tld], action: str, name: str, rows: list[TlsaRecordRow]
) -> None:
    """One event in the History of each TLD naming `name` (committed with the change)."""
    user = publisher.user
    for tld in tlds:
        before, after = zone_change(
            action,
            name,
            [f"{r.usage} {r.selector} {r.matching_type} {r.data}" for r in rows],
            user.email,
            user.organisation.name,
        )
        publisher.session.add(
            AuditEvent(
                tld_id=tld.id,
                user_id=user.id,
                actor=user.email,
                channel=publisher.channel,
                action=action,
                version_after=None,
                before=before,
                after=after,
            )
        )
