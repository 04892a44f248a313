"""Named cases of the decision procedure that the end-to-end tests do not reach: the second
prefix of an ACL, an empty Basic-auth prefix list, an expired leaf under a DANE-TA record, and
what the PKIX usages (0, 1) do at enforcement time."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from portal.core import pki
from portal.core.decision import (
    AccountPolicy,
    Decision,
    EntryCheck,
    LookupResult,
    TldPolicy,
    combine,
    decide_basic,
    decide_certificate,
    parse_address,
)
from portal.core.reasons import sentence
from portal.core.tlsa import CertFacts, TlsaRecord, record_for, validate_record

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
NAME = "client.example"
ROLE = "rri-escrow-reports"
ACL = ["192.0.2.0/24", "198.51.100.0/24", "2001:db8:1::/48", "2001:db8:2::/48"]


@pytest.fixture(scope="module")
def ca() -> pki.CA:
    return pki.CA.create(
        "Cases CA", validity=pki.Validity(NOW - timedelta(days=365), NOW + timedelta(days=365))
    )


@pytest.fixture(scope="module")
def leaf(ca: pki.CA) -> pki.LeafCert:
    return ca.issue_cert(NAME, validity=pki.Validity(NOW - timedelta(days=1), NOW + timedelta(30)))


@pytest.fixture(scope="module")
def expired_leaf(ca: pki.CA) -> pki.LeafCert:
    return ca.issue_cert(
        NAME, validity=pki.Validity(NOW - timedelta(days=30), NOW - timedelta(days=1))
    )


def decide(
    records: list[TlsaRecord],
    leaf: pki.LeafCert,
    source: str = "192.0.2.1",
    extra: tuple[pki.CA, ...] = (),
    anchors=(),
    name: str = NAME,
) -> Decision:
    policy = TldPolicy.build("cases", 1, [(name, [ROLE], ACL)])
    chain = [CertFacts(leaf.cert), *(CertFacts(c.cert) for c in extra)]
    address = parse_address(source)
    assert address is not None
    return decide_certificate(
        policy, ROLE, chain, address, lambda n: LookupResult(tuple(records)), NOW, anchors
    )


# --------------------------------------------------------------------------- prefixes


@pytest.mark.parametrize("source", ["198.51.100.7", "2001:db8:2::7", "::ffff:198.51.100.7"])
def test_an_address_in_the_second_prefix_is_allowed(leaf, source):
    d = decide([record_for(leaf.cert, 3, 1, 1)], leaf, source)
    assert d.allowed and d.matched_entry == NAME and d.checks == (EntryCheck(NAME, True),)


@pytest.mark.parametrize("source", ["198.51.101.7", "2001:db8:3::7", "10.0.0.1"])
def test_an_address_in_no_prefix_is_refused_as_a_known_client(leaf, source):
    d = decide([record_for(leaf.cert, 3, 1, 1)], leaf, source)
    assert not d.allowed and d.known_client and d.reasons == ["source-not-in-acl"]


# --------------------------------------------------------------------------- Basic


def account(kind: str = "ry") -> AccountPolicy:
    return AccountPolicy(f"cases_{kind}", kind, "hash")


GOOD = "right"


def basic(basic_acl: list[str], source: str, password: str = GOOD) -> Decision:
    policy = TldPolicy.build("cases", 1, [], basic_acl, [account()])
    return decide_basic(
        policy,
        frozenset({"ry"}),
        "cases_ry",
        password,
        ipaddress.ip_address(source),
        lambda stored, given: stored == "hash" and given == GOOD,
    )


@pytest.mark.parametrize("source", ["192.0.2.1", "2001:db8:1::1", "203.0.113.9"])
def test_an_empty_basic_prefix_list_refuses_basic(source):
    d = basic([], source)
    assert not d.allowed and d.auth_path == "basic" and d.known_client
    assert d.reasons == ["source-not-in-basic-acl"]
    # Without a certificate the refused account still decides: it got furthest.
    both = combine(Decision(False, "none", ["no-certificate"], role=ROLE), d)
    assert both.deciding_reason == "source-not-in-basic-acl" and both.known_client
    assert both.reasons == ["source-not-in-basic-acl", "no-certificate"]


@pytest.mark.parametrize("source", ["192.0.2.1", "198.51.100.1", "2001:db8:2::1"])
def test_basic_admits_from_any_listed_prefix(source):
    d = basic(ACL, source)
    assert d.allowed and d.matched_entry == "cases_ry" and d.reasons == []


def test_basic_checks_the_password_before_the_prefixes():
    assert basic([], "192.0.2.1", "wrong").reasons == ["bad-password"]
    assert not basic([], "192.0.2.1", "wrong").known_client


def test_basic_refuses_an_account_of_another_kind_before_the_prefixes():
    policy = TldPolicy.build("cases", 1, [], ACL, [account("dea")])
    d = decide_basic(
        policy,
        frozenset({"ry"}),
        "cases_dea",
        GOOD,
        ipaddress.ip_address("10.9.9.9"),
        lambda stored, given: True,
    )
    assert d.reasons == ["account-not-allowed-here"] and d.known_client


# --------------------------------------------------------------------------- DANE-TA


@pytest.mark.parametrize("params", [(0, 1), (1, 1), (0, 0), (1, 2)])
def test_an_expired_leaf_under_a_valid_dane_ta_anchor_is_refused(ca, expired_leaf, params):
    d = decide([record_for(ca.cert, 2, *params)], expired_leaf, extra=(ca,))
    assert not d.allowed and not d.known_client and d.auth_path == "none"
    assert d.reasons == ["certificate-expired"] and d.warnings == []
    assert d.checks == (EntryCheck(NAME, False, ("certificate-expired",)),)


def test_the_same_expired_leaf_under_dane_ee_is_allowed_with_a_warning(expired_leaf):
    d = decide([record_for(expired_leaf.cert, 3, 1, 1)], expired_leaf)
    assert d.allowed and d.warnings == ["certificate-expired"]


def test_an_expired_intermediate_refuses_a_valid_leaf(ca):
    old = ca.child_ca(
        "Old intermediate",
        validity=pki.Validity(NOW - timedelta(days=60), NOW - timedelta(days=1)),
    )
    leaf = old.issue_cert(NAME, validity=pki.Validity(NOW - timedelta(days=1), NOW + timedelta(9)))
    d = decide([record_for(ca.cert, 2, 0, 1)], leaf, extra=(old, ca))
    assert d.reasons == ["certificate-expired"]


def test_dane_ta_finds_the_anchor_the_server_knows(ca, leaf):
    record = [record_for(ca.cert, 2, 0, 1)]
    assert decide(record, leaf).reasons == ["tlsa-mismatch"]  # leaf alone, no anchors
    assert decide(record, leaf, anchors=(ca.cert,)).allowed


def test_dane_ta_needs_the_entry_name_in_the_san(ca, leaf):
    d = decide([record_for(ca.cert, 2, 0, 1)], leaf, extra=(ca,), name="other.example")
    assert d.reasons == ["san-mismatch"] and d.checks[0].reasons == ("san-mismatch",)


def test_dane_ta_needs_the_leaf_issued_under_the_anchor(ca):
    other = pki.CA.create("Other CA")
    stray = other.issue_cert(NAME)
    d = decide([record_for(ca.cert, 2, 0, 1)], stray, extra=(ca,))
    assert d.reasons == ["chain-does-not-reach-anchor"]


# --------------------------------------------------------------------------- PKIX usages


@pytest.mark.parametrize(
    "usage,subject", [(0, "ca"), (1, "leaf"), (0, "leaf"), (1, "ca")], ids=lambda v: str(v)
)
def test_pkix_usages_are_refused_at_enforcement_even_when_their_data_matches(
    ca, leaf, usage, subject
):
    """No PKIX trust store: a 0 or 1 record refuses the client whatever it names."""
    cert = ca.cert if subject == "ca" else leaf.cert
    d = decide([record_for(cert, usage, 0, 1)], leaf, extra=(ca,), anchors=(ca.cert,))
    assert not d.allowed and not d.known_client
    assert d.reasons == ["pkix-usage-unsupported"]
    assert d.checks == (EntryCheck(NAME, False, ("pkix-usage-unsupported",)),)
    assert "usage 0 or 1 (PKIX)" in sentence("pkix-usage-unsupported")


def test_a_pkix_record_beside_a_matching_dane_record_does_not_block_it(ca, leaf):
    records = [record_for(leaf.cert, 1, 1, 1), record_for(leaf.cert, 3, 1, 1)]
    assert decide(records, leaf).allowed


def test_a_pkix_record_beside_a_mismatching_one_reports_both(ca, leaf):
    stranger = pki.self_signed("stranger.example")
    records = [record_for(leaf.cert, 0, 1, 1), record_for(stranger.cert, 3, 1, 1)]
    assert decide(records, leaf).reasons == ["tlsa-mismatch", "pkix-usage-unsupported"]


@pytest.mark.parametrize("usage", [0, 1])
def test_pkix_usages_are_accepted_when_entered_with_a_warning_that_clients_will_be_refused(
    leaf, usage
):
    checked = validate_record(usage, 1, 1, record_for(leaf.cert, 3, 1, 1).data_hex)
    assert checked.value is not None and checked.value.usage == usage
    assert [f.severity for f in checked.findings] == ["warning"]
    assert "clients will be refused" in checked.findings[0].message


# --------------------------------------------------------------------------- several entries


def two_entries(leaf: pki.LeafCert, first_role_only: bool, source: str) -> Decision:
    """Both entries name the client's key; the first lacks the role, the second has it."""
    other = "other.example"
    entries = [(NAME, ["mosapi-daar"], ACL), (other, [ROLE], ["192.0.2.0/24"])]
    if not first_role_only:
        entries.reverse()
    policy = TldPolicy.build("cases", 1, entries)
    records = (record_for(leaf.cert, 3, 1, 1),)
    address = ipaddress.ip_address(source)
    return decide_certificate(
        policy, ROLE, [CertFacts(leaf.cert)], address, lambda n: LookupResult(records), NOW
    )


@pytest.mark.parametrize("first_role_only", [True, False])
def test_the_matched_entry_with_the_role_decides_in_either_order(leaf, first_role_only):
    d = two_entries(leaf, first_role_only, "198.51.100.9")
    assert d.reasons == ["source-not-in-acl", "role-not-granted"]
    assert d.matched_entry == "other.example" and d.known_client
    assert {c.domain_name: c.reasons for c in d.checks} == {
        NAME: ("role-not-granted",),
        "other.example": ("source-not-in-acl",),
    }


def test_the_entry_with_the_role_admits_after_one_without(leaf):
    d = two_entries(leaf, True, "192.0.2.9")
    assert d.allowed and d.matched_entry == "other.example"
    assert d.checks == (
        EntryCheck(NAME, True, ("role-not-granted",)),
        EntryCheck("other.example", True),
    )


def test_a_matched_certificate_decides_over_a_wrong_password(leaf):
    cert = decide([record_for(leaf.cert, 3, 1, 1)], leaf, "10.1.1.1")
    both = combine(cert, basic(ACL, "10.1.1.1", "wrong"))
    assert both.reasons == ["source-not-in-acl", "bad-password"]
    assert both.auth_path == "tls-client-auth" and both.matched_entry == NAME


def test_a_wrong_password_decides_over_an_unknown_certificate(leaf):
    cert = decide([], leaf, "10.1.1.1")
    both = combine(cert, basic(ACL, "10.1.1.1", "wrong"))
    assert both.reasons == ["bad-password", "no-tlsa-at-name"] and both.auth_path == "basic"


def test_full_certificate_data_is_the_der_itself(leaf):
    der = TlsaRecord(3, 0, 0, leaf.cert.public_bytes(Encoding.DER))
    assert decide([der], leaf).allowed
