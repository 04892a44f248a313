"""The pure decision procedure: which entry's refusal decides when several match the
certificate, each entry's verdict, and how the certificate path and the credential path combine
into one decision whose deciding reason is that of the path the client got furthest on."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime

import pytest

from portal.core import pki
from portal.core.decision import (
    Decision,
    EntryCheck,
    LookupResult,
    TldPolicy,
    combine,
    decide_certificate,
)
from portal.core.tlsa import CertFacts, TlsaRecord, record_for

NOW = datetime.now(UTC)
INSIDE = ipaddress.ip_address("127.0.0.1")
OUTSIDE = ipaddress.ip_address("127.0.0.2")
SLAM = "mosapi-slam"
DAAR = "mosapi-daar"


@pytest.fixture(scope="module")
def leaf() -> pki.LeafCert:
    return pki.self_signed("client.example")


@pytest.fixture(scope="module")
def stranger() -> pki.LeafCert:
    return pki.self_signed("stranger.example")


def zone(**names: list[TlsaRecord]):
    def lookup(name: str) -> LookupResult:
        return LookupResult(tuple(names.get(name.replace(".", "_"), [])))

    return lookup


def rec(cert: pki.LeafCert) -> list[TlsaRecord]:
    return [record_for(cert.cert, 3, 1, 1)]


def decide(entries, lookup, cert: pki.LeafCert | None, source=INSIDE, role=SLAM) -> Decision:
    policy = TldPolicy.build("alpha", 1, entries)
    chain = [CertFacts(cert.cert)] if cert else []
    return decide_certificate(policy, role, chain, source, lookup, NOW)


# --------------------------------------------------------------------------- nearest entry


@pytest.mark.parametrize("order", ["role-first", "acl-first"])
def test_the_entry_with_the_role_decides_over_one_without(leaf, order):
    """Two entries match the certificate: one lacks the role, one has it but not the source.
    The one with the role is nearer to success, whatever the order: its reason decides."""
    no_role = ("a.example", [DAAR], ["127.0.0.0/8"])
    wrong_source = ("b.example", [SLAM], ["10.0.0.0/8"])
    entries = [no_role, wrong_source] if order == "role-first" else [wrong_source, no_role]
    lookup = zone(a_example=rec(leaf), b_example=rec(leaf))
    d = decide(entries, lookup, leaf)
    assert not d.allowed and d.known_client and d.auth_path == "tls-client-auth"
    assert d.reasons == ["source-not-in-acl", "role-not-granted"]
    assert d.deciding_reason == "source-not-in-acl" and d.matched_entry == "b.example"
    assert d.role == SLAM
    assert d.entry_for("source-not-in-acl") == "b.example"
    assert {c.domain_name: c.reasons for c in d.checks} == {
        "a.example": ("role-not-granted",),
        "b.example": ("source-not-in-acl",),
    }
    assert [c.domain_name for c in d.checks] == [e[0] for e in entries]  # in entry order


def test_among_entries_without_the_role_the_first_decides(leaf):
    lookup = zone(a_example=rec(leaf), b_example=rec(leaf))
    d = decide(
        [("a.example", [DAAR], ["0.0.0.0/0"]), ("b.example", [DAAR], ["0.0.0.0/0"])], lookup, leaf
    )
    assert (d.deciding_reason, d.matched_entry) == ("role-not-granted", "a.example")
    assert d.reasons == ["role-not-granted"]


def test_a_matching_entry_hides_the_reasons_of_entries_the_certificate_did_not_match(
    leaf, stranger
):
    lookup = zone(a_example=rec(stranger), b_example=rec(leaf))
    d = decide(
        [("a.example", [SLAM], ["127.0.0.1/32"]), ("b.example", [SLAM], ["10.0.0.0/8"])],
        lookup,
        leaf,
    )
    assert d.reasons == ["source-not-in-acl"] and d.known_client
    # Each entry's own verdict is still there to read.
    assert d.checks == (
        EntryCheck("a.example", False, ("tlsa-mismatch",)),
        EntryCheck("b.example", True, ("source-not-in-acl",)),
    )


def test_the_first_entry_that_admits_wins_with_the_verdicts_before_it(leaf, stranger):
    lookup = zone(a_example=rec(stranger), b_example=rec(leaf), c_example=rec(leaf))
    d = decide(
        [
            ("a.example", [SLAM], ["127.0.0.1/32"]),
            ("b.example", [SLAM], ["127.0.0.1/32"]),
            ("c.example", [SLAM], ["127.0.0.1/32"]),
        ],
        lookup,
        leaf,
    )
    assert d.allowed and d.matched_entry == "b.example" and d.reasons == []
    assert d.deciding_reason is None and d.short_reason == "allowed tls-client-auth via b.example"
    assert d.checks == (
        EntryCheck("a.example", False, ("tlsa-mismatch",)),
        EntryCheck("b.example", True),
    )


def test_an_unknown_certificate_gets_every_reason_in_reading_order(stranger, leaf):
    lookup = zone(b_example=rec(leaf))
    d = decide(
        [("a.example", [DAAR], ["127.0.0.1/32"]), ("b.example", [DAAR], ["127.0.0.1/32"])],
        lookup,
        stranger,
    )
    assert not d.known_client and d.matched_entry is None and d.auth_path == "none"
    # no entry has the role; a.example has no records; b.example's do not match
    assert d.reasons == ["no-entry-for-role", "no-tlsa-at-name", "tlsa-mismatch"]
    assert d.entry_for("tlsa-mismatch") == "b.example"
    assert d.entry_for("no-tlsa-at-name") == "a.example"


def test_no_certificate_and_no_entries(leaf):
    d = decide([("a.example", [SLAM], ["127.0.0.1/32"])], zone(), None)
    assert d.reasons == ["no-certificate"] and d.role == SLAM
    empty = decide_certificate(None, SLAM, [CertFacts(leaf.cert)], INSIDE, zone(), NOW)
    assert empty.reasons == ["tld-not-configured"]


# --------------------------------------------------------------------------- combine


def cert_refused(*reasons: str, known: bool = False, entry: str | None = None) -> Decision:
    return Decision(
        False,
        "tls-client-auth" if known else "none",
        list(reasons),
        ["certificate-expired"] if known else [],
        entry,
        known_client=known,
        role=SLAM,
        checks=(EntryCheck("c.example", known, reasons),),
    )


def test_credentials_sent_decide_over_a_missing_certificate():
    """A wrong Basic password without a certificate is reported as bad-password."""
    d = combine(cert_refused("no-certificate"), Decision(False, "basic", ["bad-password"]))
    assert d.deciding_reason == "bad-password" and d.auth_path == "basic"
    assert d.reasons == ["bad-password", "no-certificate"]
    assert d.role == SLAM and not d.known_client


def test_a_certificate_that_matched_an_entry_decides_over_credentials():
    d = combine(
        cert_refused("source-not-in-acl", known=True, entry="c.example"),
        Decision(False, "basic", ["unknown-user"]),
    )
    assert d.reasons == ["source-not-in-acl", "unknown-user"]
    assert d.auth_path == "tls-client-auth" and d.matched_entry == "c.example"
    assert d.known_client and d.warnings == ["certificate-expired"]
    assert d.checks == (EntryCheck("c.example", True, ("source-not-in-acl",)),)


def test_without_credentials_the_certificate_path_decides_and_says_none_came():
    d = combine(cert_refused("tlsa-mismatch"), None)
    assert d.reasons == ["tlsa-mismatch", "no-credentials"] and d.auth_path == "none"
    assert d.role == SLAM


def test_a_known_account_makes_a_known_client():
    d = combine(
        cert_refused("no-certificate"),
        Decision(False, "basic", ["source-not-in-basic-acl"], known_client=True),
    )
    assert d.known_client and d.deciding_reason == "source-not-in-basic-acl"


def test_either_path_admits():
    allowed_cert = Decision(True, "tls-client-auth", matched_entry="c.example", role=SLAM)
    assert combine(allowed_cert, Decision(False, "basic", ["bad-password"])) is allowed_cert
    basic = Decision(True, "basic", matched_entry="alpha_ry", known_client=True)
    d = combine(cert_refused("no-certificate"), basic)
    assert d.allowed and d.auth_path == "basic" and d.role == SLAM
    assert d.short_reason == "allowed basic via alpha_ry"


def test_repeated_reasons_appear_once():
    d = combine(cert_refused("no-certificate"), Decision(False, "basic", ["no-certificate"]))
    assert d.reasons == ["no-certificate"]
