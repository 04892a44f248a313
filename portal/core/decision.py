"""The decision procedure of the mocks, pure: facts in, decision out.

Certificate path: every entry of the TLD is checked against the presented chain (its TLSA
records come from a lookup function, so the harness zone and live DNS plug in alike); the first
entry that matches, grants the required role AND admits the source address wins. When none wins,
the reasons say why, and `known_client` tells a matched-but-not-allowed client (RRI answers 403)
from an unknown one (401).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509

from .tlsa import CertFacts, TlsaRecord, match_chain

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Reason codes, in the order a tester should read them.
REASONS = (
    "tld-not-configured",
    "no-certificate",
    "no-entry-for-role",
    "no-tlsa-at-name",
    "dnssec-not-validated",
    "dns-error",
    "tlsa-mismatch",
    "san-mismatch",
    "chain-does-not-reach-anchor",
    "certificate-expired",
    "pkix-usage-unsupported",
    "role-not-granted",
    "source-not-in-acl",
    "no-credentials",
    "unknown-user",
    "bad-password",
    "account-not-allowed-here",
    "source-not-in-basic-acl",
    "session-unknown",
    "session-expired",
    "too-many-connections",
    "too-many-login-failures",
)


def parse_address(text: str) -> Address | None:
    try:
        addr = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        return addr.ipv4_mapped  # a dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d
    return addr


def admits(networks: Sequence[Network], addr: Address) -> bool:
    return any(addr.version == n.version and addr in n for n in networks)


@dataclass(frozen=True)
class EntryPolicy:
    domain_name: str
    roles: frozenset[str]
    networks: tuple[Network, ...]


@dataclass(frozen=True)
class AccountPolicy:
    username: str
    kind: str  # ry | dea
    password_hash: str


@dataclass(frozen=True)
class TldPolicy:
    name: str
    version: int
    entries: tuple[EntryPolicy, ...]
    basic_networks: tuple[Network, ...] = ()
    accounts: Mapping[str, AccountPolicy] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        name: str,
        version: int,
        entries: Sequence[tuple[str, Sequence[str], Sequence[str]]],
        basic_acl: Sequence[str] = (),
        accounts: Sequence[AccountPolicy] = (),
    ) -> TldPolicy:
        return cls(
            name,
            version,
            tuple(
                EntryPolicy(d, frozenset(r), tuple(ipaddress.ip_network(p) for p in acl))
                for d, r, acl in entries
            ),
            tuple(ipaddress.ip_network(p) for p in basic_acl),
            {a.username: a for a in accounts},
        )


@dataclass(frozen=True)
class LookupResult:
    records: tuple[TlsaRecord, ...] = ()
    error: str | None = None  # e.g. dnssec-not-validated, dns-error


TlsaLookup = Callable[[str], LookupResult]


# What the decision log records of a decision (`DecisionLogRow.result`).
RESULTS = ("allowed", "denied")


@dataclass
class Decision:
    allowed: bool
    auth_path: str  # tls-client-auth | basic | session | none
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    matched_entry: str | None = None
    known_client: bool = False

    @property
    def result(self) -> str:
        return RESULTS[0] if self.allowed else RESULTS[1]

    @property
    def short_reason(self) -> str:
        if self.allowed:
            via = f" via {self.matched_entry}" if self.matched_entry else ""
            return f"allowed {self.auth_path}{via}"
        return self.reasons[0] if self.reasons else "denied"


def _ordered(reasons: set[str]) -> list[str]:
    return sorted(reasons, key=lambda r: REASONS.index(r) if r in REASONS else len(REASONS))


def decide_certificate(
    policy: TldPolicy | None,
    role: str,
    chain: Sequence[CertFacts],
    source: Address,
    lookup: TlsaLookup,
    now: datetime,
    anchors: Sequence[x509.Certificate] = (),
) -> Decision:
    if policy is None or not policy.entries:
        return Decision(False, "none", ["tld-not-configured"])
    if not chain:
        return Decision(False, "none", ["no-certificate"])
    reasons: set[str] = set()
    known: Decision | None = None
    for entry in policy.entries:
        found = lookup(entry.domain_name)
        if found.error:
            reasons.add(found.error)
            continue
        outcome = match_chain(found.records, chain, entry.domain_name, now, anchors)
        if not outcome.matched:
            reasons.update(outcome.reasons)
            continue
        if role not in entry.roles:
            reasons.add("role-not-granted")
        elif not admits(entry.networks, source):
            reasons.add("source-not-in-acl")
        else:
            return Decision(
                True, "tls-client-auth", [], outcome.warnings, entry.domain_name, known_client=True
            )
        known = known or Decision(
            False, "tls-client-auth", [], outcome.warnings, entry.domain_name, known_client=True
        )
    if not any(role in e.roles for e in policy.entries):
        reasons.add("no-entry-for-role")
    if known is not None:
        # A certificate that matched some entry: report only what kept that client out.
        known.reasons = _ordered(reasons & {"role-not-granted", "source-not-in-acl"})
        return known
    return Decision(False, "none", _ordered(reasons))


def decide_basic(
    policy: TldPolicy | None,
    allowed_kinds: frozenset[str],
    username: str,
    password: str,
    source: Address,
    verify: Callable[[str, str], bool],
) -> Decision:
    """HTTP Basic: the account exists, the password is right, it may call this endpoint, and the
    source address is inside the TLD's Basic-auth prefixes."""
    account = policy.accounts.get(username) if policy else None
    if account is None:
        return Decision(False, "basic", ["unknown-user"])
    if not verify(account.password_hash, password):
        return Decision(False, "basic", ["bad-password"])
    if account.kind not in allowed_kinds:
        return Decision(False, "basic", ["account-not-allowed-here"], known_client=True)
    assert policy is not None
    if not admits(policy.basic_networks, source):
        return Decision(False, "basic", ["source-not-in-basic-acl"], known_client=True)
    return Decision(True, "basic", matched_entry=username, known_client=True)
