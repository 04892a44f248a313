"""The harness as its own pytest plugin serves it to a QA suite: a harness started for the run,
seeded from a document, client certificates made here (one self-signed, one from the harness
CA through a CSR), real mTLS calls to both mocks, and the registry operator's browser showing
each decision with its reason. The harness is reset after the test."""

from __future__ import annotations

import requests
from playwright.sync_api import expect

from e2e.conftest import ConsoleWatch
from portal.testing.harness import Harness

PASSWORD = "seeded operator password"
SEED = {
    "version": 1,
    "organisations": [
        {"name": "Seeded RSP", "kind": "rsp"},
        {"name": "Seeded Registry", "kind": "registry-operator"},
    ],
    "users": [
        {
            "email": "ops@seeded-registry.example",
            "organisation": "Seeded Registry",
            "password": PASSWORD,
        },
    ],
    "tlds": [
        {
            "name": "seeded",
            "operator": "Seeded Registry",
            "rsp": "Seeded RSP",
            "entries": [
                {
                    "domain_name": "mosapi.seeded-rsp.example",
                    "roles": ["mosapi-slam"],
                    "ip_acl": ["127.0.0.1/32"],
                },
                {
                    "domain_name": "rri.seeded-rsp.example",
                    "roles": ["rri-monthly-reports"],
                    "ip_acl": ["127.0.0.1/32"],
                },
            ],
        }
    ],
}
STATE = "/ry/seeded/v2/monitoring/state"
REGISTRY_STATUS = "/info/status/registry/seeded"


def _get(harness: Harness, url: str, cert) -> requests.Response:
    return requests.get(url, cert=cert.requests, verify=harness.ca_file, timeout=10)


def test_a_seeded_harness_decides_and_shows_why(
    tlsauth_harness: Harness,
    tlsauth_seed,
    tlsauth_client_cert,
    tlsauth_signed_in_context,
    tlsauth_mtls_context,
    console_watch: ConsoleWatch,
) -> None:
    report = tlsauth_seed(SEED)
    assert report["kinds"]["entries"]["changed"] == ["seeded"]
    mosapi = tlsauth_client_cert("mosapi.seeded-rsp.example")
    rri = tlsauth_client_cert("rri.seeded-rsp.example", key_type="rsa-2048", issuer="harness")

    allowed = _get(tlsauth_harness, tlsauth_harness.mosapi_url + STATE, mosapi)
    assert allowed.status_code == 200, allowed.text
    assert allowed.headers["X-TLSAuth-Decision"].endswith(
        "allowed tls-client-auth via mosapi.seeded-rsp.example"
    )
    assert _get(tlsauth_harness, tlsauth_harness.rri_url + REGISTRY_STATUS, rri).status_code == 200
    # The RRI client's entry does not grant MoSAPI's SLAM data.
    refused = _get(tlsauth_harness, tlsauth_harness.mosapi_url + STATE, rri)
    assert refused.status_code == 401
    assert refused.headers["X-TLSAuth-Decision"].endswith("; role-not-granted")

    browser_call = tlsauth_mtls_context(mosapi).new_page().goto(tlsauth_harness.mosapi_url + STATE)
    assert browser_call is not None and browser_call.status == 200

    context = tlsauth_signed_in_context("ops@seeded-registry.example", PASSWORD)
    console_watch.watch(context)
    page = context.new_page()
    page.goto("/tlds/seeded")
    page.get_by_test_id("tab-decisions").click()
    rows = page.get_by_test_id("decision-row")
    expect(rows).to_have_count(4)
    expect(rows.first).to_contain_text("allowed")  # the browser's call, newest first
    expect(page.get_by_test_id("decision-row").filter(has_text="denied")).to_contain_text(
        "rri.seeded-rsp.example"
    )
    assert not console_watch.problems, console_watch.problems
