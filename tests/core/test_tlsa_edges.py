"""DANE-TA edges the grid does not reach: a SAN written with the root's trailing dot, and a
chain certificate checked at exactly the first and the last instant of its validity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

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
