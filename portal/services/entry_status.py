"""The TLSA status of each entry of a TLD, for the TLS client authentication tab.

For each entry: whether its domain name has TLSA records where the mocks look (the harness
zone, or with the `dns` source a validating resolver), who published them in the harness zone
(an organisation that is neither the TLD's operator nor its RSP of record is flagged: it may be
a squatter, and the TLD's operator or RSP may remove its records), and whether the last
certificate the mocks saw for the entry matched it (from the decision log: the newest decision
of the TLD whose certificate matched the entry or is issued to its name, CN).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.decision import LookupResult
from ..core.reasons import CallFacts, sentence
from ..models import DecisionLogRow, Organisation, Tld, as_utc
from .zone import publishers_at

# How many of the TLD's newest decisions with a certificate are read for "last seen".
DECISIONS_READ = 500
# The most DNS lookups run at once for one table.
DNS_PARALLEL = 8

ZoneState = Literal["published", "none", "not-validated", "dns-failed"]
DnsLookup = Callable[[str], LookupResult]


@dataclass(frozen=True)
class Publisher:
    organisation: str
    records: int
    of_this_tld: bool  # the TLD's operator, its RSP of record, or ICANN staff


@dataclass(frozen=True)
class LastSeen:
    """The newest decision with a certificate for the entry: one that matched it, or one whose
    subject CN is the entry's name (a certificate for another name says nothing of it)."""

    decision_id: int
    at: datetime
    matched: bool
    subject: str | None
    reason: str | None  # why it did not match (the entry's first reason)
    sentence: str | None  # the reason in words, with the fix


@dataclass(frozen=True)
class EntryTlsa:
    domain_name: str
    source: str  # harness | dns
    state: ZoneState
    records: int
    publishers: list[Publisher] = field(default_factory=list)
    problem: str | None = None  # DNS: what went wrong
    last_seen: LastSeen | None = None

    @property
    def foreign_publishers(self) -> list[Publisher]:
        return [p for p in self.publishers if not p.of_this_tld]


def _harness(session: Session, tld: Tld, names: Sequence[str]) -> dict[str, EntryTlsa]:
    published = publishers_at(session, names)
    icann = set(session.scalars(select(Organisation.name).where(Organisation.kind == "icann")))
    own = {tld.operator.name, *([tld.rsp.name] if tld.rsp else []), *icann}
    out: dict[str, EntryTlsa] = {}
    for name in names:
        held = published.get(name, [])
        out[name] = EntryTlsa(
            name,
            "harness",
            "published" if held else "none",
            sum(n for _, n in held),
            [Publisher(org, n, org in own) for org, n in held],
        )
    return out


def _dns_state(name: str, lookup: DnsLookup) -> EntryTlsa:
    try:
        result = lookup(name)
    except Exception as exc:  # a resolver problem must not break the page
        return EntryTlsa(name, "dns", "dns-failed", 0, problem=str(exc) or type(exc).__name__)
    if result.error == "dnssec-not-validated":
        return EntryTlsa(
            name,
            "dns",
            "not-validated",
            0,
            problem="The answer was not DNSSEC-validated; the mocks ignore its records.",
        )
    if result.error:
        return EntryTlsa(
            name, "dns", "dns-failed", 0, problem="The resolver gave no usable answer."
        )
    state: ZoneState = "published" if result.records else "none"
    return EntryTlsa(name, "dns", state, len(result.records))


def _dns(names: Sequence[str], lookup: DnsLookup) -> dict[str, EntryTlsa]:
    if not names:
        return {}
    with ThreadPoolExecutor(max_workers=min(DNS_PARALLEL, len(names))) as pool:
        found = list(pool.map(lambda n: _dns_state(n, lookup), names))
    return {e.domain_name: e for e in found}


def _common_names(subject: str | None) -> set[str]:
    """The CN values of a logged subject (RFC 4514 text; DNS names hold no commas)."""
    parts = (subject or "").split(",")
    return {p[3:].strip().lower().rstrip(".") for p in parts if p[:3].upper() == "CN="}


def last_seen(session: Session, tld: Tld, names: Sequence[str]) -> dict[str, LastSeen]:
    """For each name: the newest decision whose certificate matched the entry, or was issued
    to its name and was judged by it."""
    wanted = set(names)
    rows = session.execute(
        select(
            DecisionLogRow.id,
            DecisionLogRow.created_at,
            DecisionLogRow.cert_subject,
            DecisionLogRow.checks,
        )
        .where(
            DecisionLogRow.tld == tld.name,
            DecisionLogRow.cert_spki_sha256.is_not(None),
            DecisionLogRow.checks.is_not(None),
        )
        .order_by(DecisionLogRow.id.desc())
        .limit(DECISIONS_READ)
    )
    out: dict[str, LastSeen] = {}
    for decision_id, at, subject, checks in rows:
        issued_to = _common_names(subject)
        for check in checks or []:
            name = check.get("domain_name")
            matched = bool(check.get("matched"))
            if name in wanted and name not in out and (matched or name in issued_to):
                reasons = check.get("reasons") or []
                reason = None if matched or not reasons else str(reasons[0])
                facts = CallFacts(tld=tld.name, entry=name)
                out[name] = LastSeen(
                    decision_id,
                    as_utc(at),  # type: ignore[arg-type]
                    matched,
                    subject,
                    reason,
                    sentence(reason, facts) if reason else None,
                )
        if len(out) == len(wanted):
            break
    return out


def entry_statuses(
    session: Session, tld: Tld, source: str, dns_lookup: DnsLookup | None = None
) -> dict[str, EntryTlsa]:
    """Each entry's TLSA status by domain name; `dns_lookup` answers for the `dns` source."""
    names = [e.domain_name for e in tld.entries]
    if source == "dns" and dns_lookup is not None:
        zone = _dns(names, dns_lookup)
    else:
        zone = _harness(session, tld, names)
    seen = last_seen(session, tld, names)
    return {
        name: EntryTlsa(
            status.domain_name,
            status.source,
            status.state,
            status.records,
            status.publishers,
            status.problem,
            seen.get(name),
        )
        for name, status in zone.items()
    }


def dns_lookup(resolver_setting: str, timeout: float = 1.0, lifetime: float = 2.0) -> DnsLookup:
    """A lookup through the configured validating resolver with short timeouts (a page waits
    for it), uncached between pages."""
    from infra.dns_source import DnsTlsaSource

    try:
        source = DnsTlsaSource.from_setting(resolver_setting, timeout=timeout, lifetime=lifetime)
    except ValueError as exc:
        problem = str(exc)

        def broken(name: str) -> LookupResult:
            raise RuntimeError(problem)

        return broken
    return source.lookup
