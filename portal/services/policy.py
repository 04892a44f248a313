"""The stored policy as the decision procedure reads it: a TLD's rows as a `TldPolicy`, the
harness zone's rows as TLSA lookups.

One builder for the mocks (which cache what it builds: mock_services/policy_cache.py) and for
the policy simulator (which builds afresh for each question).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.decision import AccountPolicy, LookupResult, TldPolicy, TlsaLookup
from ..core.tlsa import TlsaRecord
from ..models import BasicAccount, Tld, TlsaRecordRow, TlsClientAuthEntry

# The harness zone as the mocks hold it: owner name → its records, in the order published.
Zone = Mapping[str, tuple[TlsaRecord, ...]]


def build_policy(session: Session, name: str, tld_id: int, version: int) -> TldPolicy:
    """The TLD's entries (in the order they were added), Basic prefixes and accounts."""
    entries = session.execute(
        select(TlsClientAuthEntry.domain_name, TlsClientAuthEntry.roles, TlsClientAuthEntry.ip_acl)
        .where(TlsClientAuthEntry.tld_id == tld_id)
        .order_by(TlsClientAuthEntry.id)
    ).all()
    basic_acl = session.scalar(select(Tld.basic_ip_acl).where(Tld.id == tld_id)) or []
    accounts = [
        AccountPolicy(a.username, a.kind, a.password_hash)
        for a in session.scalars(select(BasicAccount).where(BasicAccount.tld_id == tld_id))
    ]
    return TldPolicy.build(name, version, [tuple(e) for e in entries], basic_acl, accounts)


def policy_of(session: Session, tld: Tld) -> TldPolicy:
    return build_policy(session, tld.name, tld.id, tld.version)


def zone_records(
    session: Session, names: Iterable[str] | None = None
) -> dict[str, tuple[TlsaRecord, ...]]:
    """The harness zone's records by owner name: all of them, or those at `names`."""
    query = select(
        TlsaRecordRow.name,
        TlsaRecordRow.usage,
        TlsaRecordRow.selector,
        TlsaRecordRow.matching_type,
        TlsaRecordRow.data,
    ).order_by(TlsaRecordRow.id)
    if names is not None:
        query = query.where(TlsaRecordRow.name.in_(sorted(set(names))))
    records: dict[str, list[TlsaRecord]] = {}
    for name, usage, selector, matching_type, data in session.execute(query):
        records.setdefault(name, []).append(
            TlsaRecord(usage, selector, matching_type, bytes.fromhex(data))
        )
    return {k: tuple(v) for k, v in records.items()}


def zone_lookup(zone: Zone) -> TlsaLookup:
    """TLSA lookups in the harness zone: the records at the name, none if it has none."""

    def lookup(name: str) -> LookupResult:
        return LookupResult(zone.get(name, ()))

    return lookup
