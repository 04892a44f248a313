"""The certificate path of the decision procedure over a generated grid of cases.

Each cell (entries, source address, TLSA record at the client's name, the leaf's validity, the
role) is judged twice: by the engine, and by `expected` below, a plain statement of the rules
of docs/mock-servers.md ("The decision") that calls nothing of the engine. They must agree on
the result, the deciding reason, every reason in order, the warnings and each entry's verdict.
"""

from __future__ import annotations

import hashlib
import ipaddress
import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from portal.core import pki
from portal.core.decision import (
    Decision,
    EntryCheck,
    LookupResult,
    TldPolicy,
    decide_certificate,
)
from portal.core.tlsa import CertFacts, TlsaRecord

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CLIENT = "client.example"
OTHERS = ("first.example", "second.example")
ROLE = "mosapi-slam"
OTHER_ROLE = "mosapi-daar"

# Reading order of the reason codes, as docs/mock-servers.md lists them.
READING_ORDER = (
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
)

# Every entry has the same two prefixes per family; the source is in the first, the second or
# neither.
ACL = ("192.0.2.0/24", "198.51.100.0/24", "2001:db8:1::/48", "2001:db8:2::/48")
SOURCES = {
    "v4-first": "192.0.2.10",
    "v4-second": "198.51.100.20",
    "v4-none": "203.0.113.5",
    "v6-first": "2001:db8:1::10",
    "v6-second": "2001:db8:2::20",
    "v6-none": "2001:db8:9::1",
}

# Where the client's name is among the entries (the others' records name a stranger's key).
LAYOUTS = {
    "no-entries": (),
    "1-none": (OTHERS[0],),
    "1-first": (CLIENT,),
    "2-none": OTHERS,
    "2-first": (CLIENT, OTHERS[1]),
    "2-second": (OTHERS[0], CLIENT),
}

# The record published at the client's name.
TLSA_KINDS = (
    "none",
    "3-1-1-match",
    "3-1-1-mismatch",
    "3-0-1-full",
    "3-0-0-full",
    "2-0-1-ca",
    "2-1-1-ca",
    "0-0-1-ca",
    "1-1-1-leaf",
)
VALIDITIES = ("valid", "expired", "not-yet-valid")
ROLES = ("present", "absent")


@dataclass(frozen=True)
class Certs:
    ca: pki.CA
    leaves: dict[str, pki.LeafCert]
    stranger: pki.LeafCert


@pytest.fixture(scope="module")
def certs() -> Certs:
    ca = pki.CA.create(
        "Grid CA", validity=pki.Validity(NOW - timedelta(days=365), NOW + timedelta(days=365))
    )
    spans = {
        "valid": pki.Validity(NOW - timedelta(days=1), NOW + timedelta(days=30)),
        "expired": pki.Validity(NOW - timedelta(days=30), NOW - timedelta(days=1)),
        "not-yet-valid": pki.Validity(NOW + timedelta(days=1), NOW + timedelta(days=30)),
    }
    leaves = {k: ca.issue_cert(CLIENT, validity=v) for k, v in spans.items()}
    return Certs(ca, leaves, pki.self_signed("stranger.example"))


def record_for(cert: x509.Certificate, usage: int, selector: int, matching: int) -> TlsaRecord:
    """RFC 6698 association data, computed here rather than by the engine's own helper."""
    content = (
        cert.public_bytes(Encoding.DER)
        if selector == 0
        else cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    )
    digest = {0: lambda b: b, 1: lambda b: hashlib.sha256(b).digest()}[matching]
    return TlsaRecord(usage, selector, matching, digest(content))


def published(kind: str, c: Certs, leaf: pki.LeafCert) -> list[TlsaRecord]:
    return {
        "none": [],
        "3-1-1-match": [record_for(leaf.cert, 3, 1, 1)],
        "3-1-1-mismatch": [record_for(c.stranger.cert, 3, 1, 1)],
        "3-0-1-full": [record_for(leaf.cert, 3, 0, 1)],
        "3-0-0-full": [record_for(leaf.cert, 3, 0, 0)],
        "2-0-1-ca": [record_for(c.ca.cert, 2, 0, 1)],
        "2-1-1-ca": [record_for(c.ca.cert, 2, 1, 1)],
        "0-0-1-ca": [record_for(c.ca.cert, 0, 0, 1)],
        "1-1-1-leaf": [record_for(leaf.cert, 1, 1, 1)],
    }[kind]


# --------------------------------------------------------------------------- the oracle


@dataclass(frozen=True)
class Cell:
    layout: str
    source: str
    tlsa: str
    validity: str
    role: str

    @property
    def id(self) -> str:
        return f"{self.layout}|{self.source}|{self.tlsa}|{self.validity}|role-{self.role}"


@dataclass(frozen=True)
class Expected:
    allowed: bool
    auth_path: str
    reasons: list[str]
    warnings: list[str]
    matched_entry: str | None
    known_client: bool
    checks: tuple[EntryCheck, ...]


def record_verdict(tlsa: str, validity: str) -> tuple[bool, list[str], list[str]]:
    """Does the one record at the client's name match the client's chain (leaf + CA)?
    (matched, reasons, warnings). The leaf's SAN is the client's name."""
    if tlsa == "none":
        return False, ["no-tlsa-at-name"], []
    usage = int(tlsa[0])
    if usage in (0, 1):  # no PKIX trust store: refused whatever the data
        return False, ["pkix-usage-unsupported"], []
    if tlsa == "3-1-1-mismatch":
        return False, ["tlsa-mismatch"], []
    if usage == 3:  # DANE-EE: the leaf itself, its dates only warned about
        warning = {"valid": [], "expired": ["certificate-expired"]}.get(
            validity, ["certificate-not-yet-valid"]
        )
        return True, [], warning
    # DANE-TA: the CA the record names issued the leaf; the leaf must be inside its dates.
    if validity != "valid":
        return False, ["certificate-expired"], []
    return True, [], []


def reading_order(reasons: set[str]) -> list[str]:
    return [r for r in READING_ORDER if r in reasons]


def expected(cell: Cell) -> Expected:
    names = LAYOUTS[cell.layout]
    if not names:
        return Expected(False, "none", ["tld-not-configured"], [], None, False, ())
    has_role = cell.role == "present"
    in_acl = not cell.source.endswith("-none")
    checks: list[EntryCheck] = []
    refused: list[tuple[EntryCheck, list[str]]] = []  # matched entries that refused, warnings
    for name in names:
        if name != CLIENT:
            checks.append(EntryCheck(name, False, ("tlsa-mismatch",)))
            continue
        matched, reasons, warnings = record_verdict(cell.tlsa, cell.validity)
        if not matched:
            checks.append(EntryCheck(name, False, tuple(reasons)))
        elif not has_role:
            checks.append(EntryCheck(name, True, ("role-not-granted",)))
            refused.append((checks[-1], warnings))
        elif not in_acl:
            checks.append(EntryCheck(name, True, ("source-not-in-acl",)))
            refused.append((checks[-1], warnings))
        else:
            checks.append(EntryCheck(name, True))
            return Expected(True, "tls-client-auth", [], warnings, name, True, tuple(checks))
    if refused:
        # The nearest to success: a matched entry with the role, else the first matched one.
        near, warnings = next(
            ((c, w) for c, w in refused if c.reasons[0] != "role-not-granted"), refused[0]
        )
        rest = {r for c, _ in refused for r in c.reasons} - set(near.reasons)
        return Expected(
            False,
            "tls-client-auth",
            [*near.reasons, *reading_order(rest)],
            warnings,
            near.domain_name,
            True,
            tuple(checks),
        )
    every = {r for c in checks for r in c.reasons}
    if not has_role:
        every.add("no-entry-for-role")
    return Expected(False, "none", reading_order(every), [], None, False, tuple(checks))


CELLS = [
    Cell(*values) for values in itertools.product(LAYOUTS, SOURCES, TLSA_KINDS, VALIDITIES, ROLES)
]


# --------------------------------------------------------------------------- the grid


def run(cell: Cell, c: Certs, anchors=()) -> Decision:
    leaf = c.leaves[cell.validity]
    zone = {name: [record_for(c.stranger.cert, 3, 1, 1)] for name in OTHERS}
    zone[CLIENT] = published(cell.tlsa, c, leaf)
    roles = [ROLE] if cell.role == "present" else [OTHER_ROLE]
    policy = TldPolicy.build("grid", 1, [(n, roles, ACL) for n in LAYOUTS[cell.layout]])
    return decide_certificate(
        policy,
        ROLE,
        [CertFacts(leaf.cert), CertFacts(c.ca.cert)],
        ipaddress.ip_address(SOURCES[cell.source]),
        lambda name: LookupResult(tuple(zone.get(name, []))),
        NOW,
        anchors,
    )


@pytest.mark.parametrize("cell", CELLS, ids=[c.id for c in CELLS])
def test_the_engine_agrees_with_the_rules(cell: Cell, certs: Certs) -> None:
    want = expected(cell)
    got = run(cell, certs)
    assert got.result == ("allowed" if want.allowed else "denied")
    assert got.deciding_reason == (want.reasons[0] if want.reasons else None)
    assert got.reasons == want.reasons
    assert got.warnings == want.warnings
    assert got.checks == want.checks
    assert (got.auth_path, got.matched_entry, got.known_client, got.role) == (
        want.auth_path,
        want.matched_entry,
        want.known_client,
        ROLE,
    )


def test_the_grid_reaches_every_outcome() -> None:
    """The grid is only worth its size if the oracle's every branch is taken."""
    outcomes = [expected(c) for c in CELLS]
    assert {o.allowed for o in outcomes} == {True, False}
    deciding = {o.reasons[0] for o in outcomes if o.reasons}
    assert deciding == {
        "tld-not-configured",
        "no-entry-for-role",
        "no-tlsa-at-name",
        "tlsa-mismatch",
        "certificate-expired",
        "pkix-usage-unsupported",
        "role-not-granted",
        "source-not-in-acl",
    }
    assert {w for o in outcomes for w in o.warnings} == {
        "certificate-expired",
        "certificate-not-yet-valid",
    }
    allowed_from = {c.source for c, o in zip(CELLS, outcomes, strict=True) if o.allowed}
    assert allowed_from == {"v4-first", "v4-second", "v6-first", "v6-second"}
