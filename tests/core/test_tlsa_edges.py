"""DANE-TA edges the grid does not reach: a SAN written with the root's trailing dot, and a
chain certificate checked at exactly the first and the last instant of its validity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from portal.core.pki import CA, Validity
from portal.core.tlsa import CertFacts, match_chain, record_for, san_dns_names

T0 = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)
CA_VALIDITY = Validity(T0 - timedelta(days=30), T0 + timedelta(days=365))
LEAF_VALIDITY = Validity(T0, T0 + timedelta(days=10))


@pytest.fixture(scope="module")
def issuer() -> CA:
    return CA.create("Edge CA", validity=CA_VALIDITY)


def test_a_san_with_the_roots_trailing_dot_names_the_same_host(issuer):
    leaf = issuer.issue_cert("client.edge.example.", validity=LEAF_VALIDITY)
    assert san_dns_names(leaf.cert) == ["client.edge.example"]
    outcome = match_chain(
        [record_for(issuer.cert, 2, 1, 1)],
        [CertFacts(leaf.cert), CertFacts(issuer.cert)],
        "client.edge.example",
        now=T0 + timedelta(days=1),
    )
    assert outcome.matched and outcome.reasons == []


@pytest.mark.parametrize(
    ("at", "matched"),
    [
        (LEAF_VALIDITY.not_before, True),
        (LEAF_VALIDITY.not_after, True),
        (LEAF_VALIDITY.not_before - timedelta(seconds=1), False),
        (LEAF_VALIDITY.not_after + timedelta(seconds=1), False),
    ],
    ids=["first-instant", "last-instant", "second-before", "second-after"],
)
def test_a_chain_certificate_is_valid_from_its_first_to_its_last_instant(issuer, at, matched):
    leaf = issuer.issue_cert("client.edge.example", validity=LEAF_VALIDITY)
    outcome = match_chain(
        [record_for(issuer.cert, 2, 1, 1)],
        [CertFacts(leaf.cert), CertFacts(issuer.cert)],
        "client.edge.example",
        now=at,
    )
    assert outcome.matched is matched
    assert outcome.reasons == ([] if matched else ["certificate-expired"])


def _same_key_other_name(ca: CA) -> x509.Certificate:
    """A self-signed certificate for the CA's key under another name: its SPKI matches a
    `2 1 x` record of the CA, but it issued nothing."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Same Key Other Name")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(ca.key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(CA_VALIDITY.not_before)
        .not_valid_after(CA_VALIDITY.not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca.key, hashes.SHA256())
    )


def test_a_dane_ta_record_matching_two_certificates_tries_each(issuer):
    """The first certificate the record matches leads nowhere; the second is the leaf's issuer:
    the record matches."""
    leaf = issuer.issue_cert("client.edge.example", validity=LEAF_VALIDITY)
    decoy = _same_key_other_name(issuer)
    outcome = match_chain(
        [record_for(issuer.cert, 2, 1, 1)],
        [CertFacts(leaf.cert), CertFacts(decoy), CertFacts(issuer.cert)],
        "client.edge.example",
        now=T0 + timedelta(days=1),
    )
    assert outcome.matched and outcome.reasons == []


def test_a_chain_longer_than_the_bound_does_not_reach_its_anchor():
    """Eight intermediates between the leaf and the anchor are past the bound of the path
    search (no real chain is that long); seven are within it."""
    root = CA.create("Deep Root", validity=CA_VALIDITY)
    cas = [root]
    for depth in range(8):
        cas.append(cas[-1].child_ca(f"Deep {depth}", validity=CA_VALIDITY))
    for intermediates, matched in ((7, True), (8, False)):
        bottom = cas[intermediates]
        leaf = bottom.issue_cert("client.edge.example", validity=LEAF_VALIDITY)
        chain = [leaf.cert, *[c.cert for c in reversed(cas[1 : intermediates + 1])], root.cert]
        outcome = match_chain(
            [record_for(root.cert, 2, 1, 1)],
            [CertFacts(c) for c in chain],
            "client.edge.example",
            now=T0 + timedelta(days=1),
        )
        assert outcome.matched is matched, intermediates
        assert outcome.reasons == ([] if matched else ["chain-does-not-reach-anchor"])
