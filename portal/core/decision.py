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

from .reasons import REASONS, ordered
from .tlsa import CertFacts, TlsaRecord, match_chain

__all__ = ["REASONS"]  # the reason codes live with their sentences in .reasons

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


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


@dataclass(frozen=True)
class EntryCheck:
    """How one entry of the TLD judged the call: matched the certificate or not, and why not."""

    domain_name: str
    matched: bool
    reasons: tuple[str, ...] = ()


@dataclass
class Decision:
    allowed: bool
    auth_path: str  # tls-client-auth | basic | session | none
    reasons: list[str] = field(default_factory=list)  # the deciding reason first
    warnings: list[str] = field(default_factory=list)
    matched_entry: str | None = None
    known_client: bool = False
    role: str | None = None  # the role the endpoint needs (None: login, logout)
    checks: tuple[EntryCheck, ...] = ()  # certificate path: each entry's verdict, in order

    @property
    def result(self) -> str:
        return RESULTS[0] if self.allowed else RESULTS[1]

    @property
    def deciding_reason(self) -> str | None:
        return None if self.allowed or not self.reasons else self.reasons[0]

    def entry_for(self, reason: str) -> str | None:
        """The entry a reason is about: the matched one, else the first that gave it."""
        if self.matched_entry:
            return self.matched_entry
        return next((c.domain_name for c in self.checks if reason in c.reasons), None)

    @property
    def short_reason(self) -> str:
        if self.allowed:
            via = f" via {self.matched_entry}" if self.matched_entry else ""
            return f"allowed {self.auth_path}{via}"
        return self.deciding_reason or "denied"


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
        return Decision(False, "none", ["tld-not-configured"], role=role)
    if not chain:
        return Decision(False, "none", ["no-certificate"], role=role)
    checks: list[EntryCheck] = []
    # Entries that matched the certificate but refused the call; the one with the role is the
    # nearest to success, so its reason decides.
    near: EntryCheck | None = None
    near_warnings: list[str] = []
    for entry in policy.entries:
        found = lookup(entry.domain_name)
        if found.error:
            checks.append(EntryCheck(entry.domain_name, False, (found.error,)))
            continue
        outcome = match_chain(found.records, chain, entry.domain_name, now, anchors)
        if not outcome.matched:
            checks.append(EntryCheck(entry.domain_name, False, tuple(outcome.reasons)))
            continue
        if role not in entry.roles:
            check = EntryCheck(entry.domain_name, True, ("role-not-granted",))
        elif not admits(entry.networks, source):
            check = EntryCheck(entry.domain_name, True, ("source-not-in-acl",))
        else:
            checks.append(EntryCheck(entry.domain_name, True))
            return Decision(
                True,
                "tls-client-auth",
                [],
                outcome.warnings,
                entry.domain_name,
                known_client=True,
                role=role,
                checks=tuple(checks),
            )
        checks.append(check)
        nearer = near is not None and near.reasons[0] == "role-not-granted" != check.reasons[0]
        if near is None or nearer:
            near, near_warnings = check, outcome.warnings
    if near is not None:
        # A certificate that matched some entry: report only what kept that client out.
        others = {r for c in checks if c.matched for r in c.reasons} - set(near.reasons)
        return Decision(
            False,
            "tls-client-auth",
            [*near.reasons, *ordered(others)],
            near_warnings,
            near.domain_name,
            known_client=True,
            role=role,
            checks=tuple(checks),
        )
    reasons = {r for c in checks for r in c.reasons}
    if not any(role in e.roles for e in policy.entries):
        reasons.add("no-entry-for-role")
    return Decision(False, "none", ordered(reasons), role=role, checks=tuple(checks))


def combine(certificate: Decision, credential: Decision | None) -> Decision:
    """One decision from the certificate path and the credential path (Basic, session cookie).

    Either may admit the call. Refused, the deciding reason is that of the path the client got
    furthest on: a certificate that matched an entry, else credentials it sent, else the
    certificate path's own.
    """
    if certificate.allowed:
        return certificate
    if credential is not None and credential.allowed:
        credential.warnings = certificate.warnings
        credential.role = certificate.role
        return credential
    if credential is None:
        reasons = [*certificate.reasons, "no-credentials"]
    elif certificate.known_client:
        reasons = [*certificate.reasons, *credential.reasons]
    else:
        reasons = [*credential.reasons, *certificate.reasons]
    lead = certificate if credential is None or certificate.known_client else credential
    return Decision(
        False,
        lead.auth_path,
        list(dict.fromkeys(reasons)),
        certificate.warnings,
        lead.matched_entry,
        certificate.known_client or bool(credential and credential.known_client),
        certificate.role,
        certificate.checks,
    )


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
