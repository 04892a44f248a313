"""POST /api/v1/simulate: the mocks' decision without a call, checked against the OpenAPI
document's schemas (jsonschema), for callers who may and may not manage the TLD."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from sqlalchemy import func, select

from infra.database import db
from infra.harness_pki import ensure_material
from portal.core.validation import Entry
from portal.models import DecisionLogRow
from tests.helpers import api_token, client_cert, load_ca, publish, set_entries

API = "/api/v1"
DOMAIN = "client.rsp.example"
TA = "ta.rsp.example"


@pytest.fixture
def spec(client) -> dict[str, Any]:
    return client.get(f"{API}/openapi.json").get_json()


def check(spec: dict[str, Any], name: str, value: Any) -> None:
    schema = {**spec, "$ref": f"#/components/schemas/{name}"}
    jsonschema.Draft202012Validator(schema).validate(value)


@pytest.fixture
def alpha(app, world, tmp_path):
    """alpha: DOMAIN (3 1 1) with mosapi-slam from 127.0.0.1, TA (2 0 1, harness CA) with every
    role from ::1. Returns (certificate for DOMAIN, certificate from the harness CA for TA)."""
    certs = tmp_path / "harness"
    app.config["CERTS_DIR"] = str(certs)
    ensure_material(certs)
    ca = load_ca(certs)
    good = client_cert(tmp_path, DOMAIN)
    issued = client_cert(tmp_path, TA, issuer=ca)
    set_entries(
        app,
        [
            Entry(DOMAIN, ("mosapi-slam",), ("127.0.0.1/32",)),
            Entry(TA, ("mosapi-slam", "rri-monthly-reports"), ("::1/128",)),
        ],
    )
    publish(app, world.rsp, DOMAIN, good.cert)
    publish(app, world.rsp, TA, ca.cert, usage=2, selector=0, matching_type=1)
    return good, issued


@pytest.fixture
def call(app, client, world, spec):
    token = api_token(app, world.rsp)

    def _call(expect: int = 200, who_token: str | None = None, **body: Any) -> dict[str, Any]:
        body = {"tld": "alpha", "source_address": "127.0.0.1", **body}
        response = client.post(
            f"{API}/simulate",
            json=body,
            headers={"Authorization": f"Bearer {who_token or token}"},
        )
        assert response.status_code == expect, response.get_json()
        data = response.get_json()
        check(spec, "Simulation" if expect == 200 else "ErrorBody", data)
        return data

    return _call


def _pem(cred) -> str:
    return cred.cert_file.read_text()


def test_a_matching_certificate_from_inside_the_prefixes_is_allowed(app, alpha, call):
    good, _ = alpha
    with app.app_context():
        logged = db.session.scalar(select(func.count()).select_from(DecisionLogRow))
    got = call(path="/ry/alpha/v2/monitoring/state", certificate=_pem(good))
    assert got["result"] == "allowed" and got["deciding_reason"] is None
    assert got["matched_entry"] == DOMAIN and got["role"] == "mosapi-slam"
    assert got["system"] == "mosapi" and got["path"] == "/ry/alpha/v2/monitoring/state"
    assert got["spki_sha256"] == good.spki_sha256() and got["key_only"] is False
    assert DOMAIN in got["sentence"] and got["sentence"].startswith("Allowed")
    first = got["entries"][0]
    assert first == {
        "domain_name": DOMAIN,
        "roles": ["mosapi-slam"],
        "ip_acl": ["127.0.0.1/32"],
        "reached": True,
        "matched": True,
        "grants_role": True,
        "admits_source": True,
        "judged": True,
        "reasons": [],
    }
    assert got["entries"][1]["reached"] is False  # the first entry already admitted the call
    with app.app_context():  # no call was made: the mocks' log is as it was
        assert db.session.scalar(select(func.count()).select_from(DecisionLogRow)) == logged


def test_a_refusal_names_the_deciding_reason_and_each_entrys_why(alpha, call):
    good, _ = alpha
    got = call(
        path="/ry/<tld>/v2/monitoring/state", certificate=_pem(good), source_address="127.0.0.2"
    )
    assert got["result"] == "denied" and got["deciding_reason"] == "source-not-in-acl"
    assert got["path"] == "/ry/alpha/v2/monitoring/state"  # the rule, filled in
    assert got["sentence"] == (
        "127.0.0.2 is not in the prefixes of client.rsp.example for this role; add it on the "
        "TLS client authentication tab."
    )
    assert [r["code"] for r in got["reasons"]] == ["source-not-in-acl"]
    why = {e["domain_name"]: [r["code"] for r in e["reasons"]] for e in got["entries"]}
    assert why == {DOMAIN: ["source-not-in-acl"], TA: ["chain-does-not-reach-anchor"]}
    assert got["entries"][0]["matched"] and not got["entries"][0]["admits_source"]


def test_the_role_may_be_named_instead_of_an_endpoint(alpha, call):
    good, _ = alpha
    got = call(role="mosapi-daar", certificate=_pem(good))
    assert got["result"] == "denied" and got["deciding_reason"] == "role-not-granted"
    assert got["path"] is None and got["system"] is None
    stranger = call(role="mosapi-daar", spki_sha256="ab" * 32)
    assert stranger["deciding_reason"] == "no-entry-for-role"
    probe = call(role="rri-monthly-reports", system="rri", certificate=_pem(good))
    assert probe["path"] == "/info/status/registry/alpha"
    assert probe["deciding_reason"] == "role-not-granted"


def test_the_harness_ca_binds_through_a_2_0_1_record(alpha, call):
    _, issued = alpha
    got = call(path="/info/status/registry/alpha", certificate=_pem(issued), source_address="::1")
    assert got["result"] == "allowed" and got["matched_entry"] == TA


def test_a_key_hash_alone_judges_3_1_1_records_and_says_what_it_cannot_judge(alpha, call):
    good, issued = alpha
    got = call(path="/ry/alpha/v2/monitoring/state", spki_sha256=good.spki_sha256().upper())
    assert got["result"] == "allowed" and got["key_only"] is True
    assert got["matched_entry"] == DOMAIN
    # The harness CA's certificate is bound by 2 0 1: only the certificate could tell.
    unsure = call(
        path="/ry/alpha/v2/monitoring/state", spki_sha256=issued.spki_sha256(), source_address="::1"
    )
    assert unsure["result"] == "undetermined" and unsure["deciding_reason"] is None
    assert TA in unsure["sentence"] and "certificate" in unsure["sentence"]
    ta = next(e for e in unsure["entries"] if e["domain_name"] == TA)
    assert ta["judged"] is False
    assert [r["code"] for r in ta["reasons"]] == ["certificate-needed"]
    # From 127.0.0.2 no entry could admit it whatever the certificate: a certain refusal.
    sure = call(
        path="/ry/alpha/v2/monitoring/state",
        spki_sha256=issued.spki_sha256(),
        source_address="127.0.0.2",
    )
    assert sure["result"] == "denied"


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"path": "/ry/alpha/v2/nothing"}, "path", "no endpoint"),
        ({"path": "/ry/alpha/v2/monitoring/state", "method": "DELETE"}, "method", "answers GET"),
        ({"path": "/ry/beta/v2/monitoring/state"}, "path", ".beta"),
        ({"path": "/ry/alpha/login"}, "path", "needs no role"),
        ({"path": "/info/status/registry/alpha", "system": "mosapi"}, "path", "mosapi mock"),
        ({"role": "nope"}, "role", "valid roles"),
        ({"role": "mosapi-slam", "system": "rri"}, "role", "rri mock has no endpoint"),
        ({}, "path", "Name an endpoint"),
        ({"role": "mosapi-slam", "source_address": "localhost"}, "source_address", "not an"),
        ({"role": "mosapi-slam", "spki_sha256": "abc"}, "spki_sha256", "64 hexadecimal"),
        ({"role": "mosapi-slam", "certificate": "junk"}, "certificate", "not a certificate"),
        (
            {"role": "mosapi-slam", "certificate": "-----BEGIN PRIVATE KEY-----\nAA==\n"},
            "certificate",
            "is it a key",
        ),
        ({"role": "mosapi-slam", "certificate": "x" * (1024 * 1024 + 1)}, "certificate", "KiB"),
    ],
)
def test_questions_that_cannot_be_answered_are_refused_naming_the_field(
    alpha, call, body, field, words
):
    body = {"spki_sha256": "ab" * 32, **body} if "certificate" not in body else body
    got = call(expect=400, **body)
    details = got["error"]["details"]
    assert [d["field"] for d in details] == [field], details
    assert words in details[0]["message"], details


def test_certificate_and_key_hash_together_are_refused(alpha, call):
    good, _ = alpha
    got = call(expect=400, role="mosapi-slam", certificate=_pem(good), spki_sha256="ab" * 32)
    assert got["error"]["details"][0]["field"] == "spki_sha256"


def test_only_those_who_manage_the_tld_may_ask(app, client, world, alpha, call):
    good, _ = alpha
    for who in (world.op_b, world.outsider):
        got = call(
            expect=404, who_token=api_token(app, who), role="mosapi-slam", spki_sha256="ab" * 32
        )
        assert got["error"]["code"] == "not_found"
    assert call(who_token=api_token(app, world.icann), role="mosapi-slam", spki_sha256="ab" * 32)
    response = client.post(f"{API}/simulate", json={"tld": "alpha"})
    assert response.status_code == 401


def test_a_signed_in_page_needs_the_csrf_token(app, client, world, login, alpha):
    token = login(world.rsp)
    body = {
        "tld": "alpha",
        "role": "mosapi-slam",
        "source_address": "127.0.0.1",
        "spki_sha256": "ab" * 32,
    }
    assert client.post(f"{API}/simulate", json=body).status_code == 400
    answer = client.post(f"{API}/simulate", json=body, headers={"X-CSRFToken": token})
    assert answer.status_code == 200 and answer.get_json()["result"] == "denied"


def test_with_the_dns_source_the_records_come_from_the_resolver(app, alpha, call):
    """TLSAUTH_TLSA_SOURCE=dns: the harness zone is not read; the validating resolver is, and an
    unvalidated answer decides as it does for the mocks."""
    from tests.dns_responder import DnsResponder

    good, _ = alpha
    other = client_cert(alpha[0].cert_file.parent, "other.example")
    record = f"3 1 1 {other.spki_sha256()}"  # DNS binds another key than the harness zone
    with DnsResponder({DOMAIN: ([record], 300)}) as dns:
        app.config.update(TLSA_SOURCE="dns", DNS_RESOLVER=dns.setting)
        theirs = call(path="/ry/alpha/v2/monitoring/state", certificate=_pem(other))
        assert theirs["result"] == "allowed" and theirs["tlsa_source"] == "dns"
        mine = call(path="/ry/alpha/v2/monitoring/state", certificate=_pem(good))
        why = {e["domain_name"]: [r["code"] for r in e["reasons"]] for e in mine["entries"]}
        assert why == {DOMAIN: ["tlsa-mismatch"], TA: ["no-tlsa-at-name"]}  # nothing at TA in DNS
        assert dns.queries[DOMAIN] >= 1
        dns.set_ad(DOMAIN, False)
        unsigned = call(path="/ry/alpha/v2/monitoring/state", certificate=_pem(other))
        why = {e["domain_name"]: [r["code"] for r in e["reasons"]] for e in unsigned["entries"]}
        assert why == {DOMAIN: ["dnssec-not-validated"], TA: ["no-tlsa-at-name"]}
