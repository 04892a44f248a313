"""The simulator's pure part (portal/core/simulation.py): a client known only by its key's
SHA-256 is judged by 3 1 1 records exactly as the full decision judges its certificate, other
records are named as not judged; and paths are mapped to the endpoint table's routes."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from portal.core import pki
from portal.core.decision import (
    LookupResult,
    TldPolicy,
    TlsaLookup,
    decide_certificate,
    parse_address,
)
from portal.core.endpoints import ROUTES, example_path
from portal.core.simulation import (
    CERTIFICATE_NEEDED,
    decide_key_only,
    find_endpoint,
    parse_spki_sha256,
)
from portal.core.tlsa import CertFacts, record_for

NOW = datetime.now(UTC)
# Valid around NOW however long after collection the tests run.
VALID = pki.Validity(NOW - timedelta(days=1), NOW + timedelta(days=30))
LOCAL = parse_address("127.0.0.1")
OTHER = parse_address("127.0.0.2")


def spki_hash(cert) -> bytes:
    der = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).digest()


@pytest.fixture(scope="module")
def certs():
    ca = pki.CA.create("Test CA", validity=VALID)
    return {
        "a": pki.self_signed("a.example", validity=VALID).cert,
        "b": pki.self_signed("b.example", validity=VALID).cert,
        "ta": ca.issue_cert("ta.example", validity=VALID).cert,
        "ca": ca.cert,
        "expired": pki.self_signed(
            "a.example", validity=pki.Validity(NOW - timedelta(days=9), NOW - timedelta(days=1))
        ).cert,
    }


def zone_of(records: dict) -> TlsaLookup:
    return lambda name: LookupResult(tuple(records.get(name, ())))


def policy(*entries) -> TldPolicy:
    return TldPolicy.build("alpha", 1, entries)


ROLE = "mosapi-slam"


def test_3_1_1_records_decide_as_with_the_certificate(certs):
    """Over a grid of entries, sources and roles, the key's hash alone gives the decision the
    certificate gives, when every record is 3 1 1."""
    records = {
        "a.example": [record_for(certs["a"], 3, 1, 1)],
        "b.example": [record_for(certs["b"], 3, 1, 1)],
    }
    pol = policy(
        ("b.example", ["mosapi-daar"], ["127.0.0.1/32"]),
        ("a.example", [ROLE], ["127.0.0.1/32"]),
        ("none.example", [ROLE], ["127.0.0.0/8"]),
    )
    compared = 0
    for name in ("a", "b", "expired", "ta"):
        cert = certs[name]
        for source in (LOCAL, OTHER):
            for role in (ROLE, "mosapi-daar", "probe-node-list"):
                full = decide_certificate(
                    pol, role, [CertFacts(cert)], source, zone_of(records), NOW
                )
                only = decide_key_only(pol, role, spki_hash(cert), source, zone_of(records), NOW)
                assert not only.not_judged and not only.undetermined
                got = only.decision
                assert (got.allowed, got.reasons, got.matched_entry, got.checks) == (
                    full.allowed,
                    full.reasons,
                    full.matched_entry,
                    full.checks,
                ), (name, source, role)
                compared += 1
    assert compared == 24


def test_a_key_hash_matches_nothing_but_its_own_record(certs):
    records = {"a.example": [record_for(certs["a"], 3, 1, 1)]}
    pol = policy(("a.example", [ROLE], ["127.0.0.1/32"]))
    own = decide_key_only(pol, ROLE, spki_hash(certs["a"]), LOCAL, zone_of(records), NOW)
    assert own.decision.allowed and own.decision.matched_entry == "a.example"
    stranger = decide_key_only(pol, ROLE, spki_hash(certs["b"]), LOCAL, zone_of(records), NOW)
    assert stranger.decision.reasons == ["tlsa-mismatch"] and not stranger.undetermined


def test_records_that_need_the_certificate_are_not_judged(certs):
    """A 2 0 1 record (harness CA) and a 3 0 1 record need the certificate: the entry is named
    as not judged, and a refusal it might have turned round is undetermined."""
    records = {
        "ta.example": [record_for(certs["ca"], 2, 0, 1)],
        "full.example": [record_for(certs["a"], 3, 0, 1), record_for(certs["b"], 3, 1, 1)],
    }
    pol = policy(
        ("ta.example", [ROLE], ["127.0.0.1/32"]),
        ("full.example", [ROLE], ["127.0.0.1/32"]),
    )
    got = decide_key_only(pol, ROLE, spki_hash(certs["ta"]), LOCAL, zone_of(records), NOW)
    assert got.not_judged == ("ta.example", "full.example")
    assert got.undetermined and not got.decision.allowed
    checks = {c.domain_name: c.reasons for c in got.decision.checks}
    assert checks["ta.example"] == (CERTIFICATE_NEEDED,)  # not "no TLSA records"
    assert checks["full.example"] == ("tlsa-mismatch",)  # its 3 1 1 record was judged
    # The certificate itself settles it: the harness CA issued it.
    full = decide_certificate(
        pol, ROLE, [CertFacts(certs["ta"])], LOCAL, zone_of(records), NOW, [certs["ca"]]
    )
    assert full.allowed and full.matched_entry == "ta.example"
    # A key that matches the 3 1 1 record of a mixed entry is judged allowed all the same.
    b = decide_key_only(pol, ROLE, spki_hash(certs["b"]), LOCAL, zone_of(records), NOW)
    assert b.decision.allowed and b.decision.matched_entry == "full.example"
    assert not b.undetermined


def test_an_entry_not_judged_that_could_not_admit_leaves_the_refusal_certain(certs):
    """Not judged, but without the role (or the source address): denied whatever it holds."""
    records = {"ta.example": [record_for(certs["ca"], 2, 0, 1)]}
    for entry in (
        ("ta.example", ["mosapi-daar"], ["127.0.0.1/32"]),
        ("ta.example", [ROLE], ["192.0.2.0/24"]),
    ):
        got = decide_key_only(
            policy(entry), ROLE, spki_hash(certs["ta"]), LOCAL, zone_of(records), NOW
        )
        assert got.not_judged == ("ta.example",)
        assert not got.decision.allowed and not got.undetermined, entry


def test_pkix_records_are_judged_from_the_key_alone(certs):
    records = {"a.example": [record_for(certs["a"], 1, 1, 1)]}
    pol = policy(("a.example", [ROLE], ["127.0.0.1/32"]))
    got = decide_key_only(pol, ROLE, spki_hash(certs["a"]), LOCAL, zone_of(records), NOW)
    assert got.decision.reasons == ["pkix-usage-unsupported"]
    assert not got.not_judged and not got.undetermined


def test_spki_hex_is_read_with_or_without_separators():
    digest = bytes(range(32))
    assert parse_spki_sha256(digest.hex()) == digest
    assert parse_spki_sha256(digest.hex().upper()) == digest
    assert parse_spki_sha256(":".join(f"{b:02X}" for b in digest)) == digest
    assert parse_spki_sha256(digest.hex()[:-2]) is None
    assert parse_spki_sha256("zz" * 32) is None


def test_every_route_is_found_by_its_example_path_and_its_rule():
    for route in ROUTES:
        for method in route.methods:
            concrete = find_endpoint(example_path(route, "alpha"), method, route.system)
            assert concrete is not None, (route.rule, method)
            # Another route may share the path shape (werkzeug orders by rule), but never
            # with a different role.
            assert concrete.route.role == route.role, (route.rule, concrete.route.rule)
            assert concrete.tld == ("alpha" if "<tld>" in route.rule else None)
            by_rule = find_endpoint(route.rule, method, route.system)
            assert by_rule is not None and by_rule.route == route and by_rule.tld is None


def test_unknown_paths_and_methods_are_not_found():
    assert find_endpoint("/ry/alpha/v2/nothing-here") is None
    assert find_endpoint("/ry/alpha/v2/monitoring/state", "DELETE") is None
    assert find_endpoint("/ry/alpha/v2/monitoring/state", None).route.role == ROLE
    assert find_endpoint("/ry/alpha/v2/monitoring/state", "GET", "rri") is None
    found = find_endpoint("/info/status/registry/beta?x=1")
    assert found.route.role == "rri-monthly-reports" and found.tld == "beta"
