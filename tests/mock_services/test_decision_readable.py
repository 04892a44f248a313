"""The decision log over live mocks on real mutual TLS: each decision records the status the
client really received, the role the endpoint needs and the deciding reason first, which the
X-TLSAuth-Decision header carries; every logged decision reads as a sentence naming the fix."""

from __future__ import annotations

import pytest

from portal.core.reasons import REASONS, SENTENCES, CallFacts, parse_decision_header, sentence
from portal.core.validation import Entry
from portal.services.decisions import entry_named, sentence_of
from tests.helpers import (
    REGISTRY_PASSWORD,
    basic_auth,
    client_cert,
    last_decision,
    open_basic,
    publish,
    set_entries,
    trusted_client,
)

DOMAIN = "client.alpha-rsp.example"
STATE = "/ry/alpha/v2/monitoring/state"
ACTIVITY = "/report/registry-functions-activity/alpha/2026-01"
ACTIVITY_STATUS = "/info/report/registry-functions-activity/alpha/2026-01"
CSV = {"Content-Type": "text/csv"}


def logged_as_answered(app, answer):
    """The last decision, after checking it is the one the header names."""
    row = last_decision(app)
    verdict = parse_decision_header(answer.decision)
    assert verdict is not None and verdict.decision_id == row.id, answer.decision
    assert row.status_code == answer.status, (row.status_code, answer.status, answer.text)
    return row


def test_the_status_logged_is_the_status_received_when_allowed(app, world, start_mock, tmp_path):
    cred = trusted_client(app, world.rsp, tmp_path, DOMAIN)
    mosapi = start_mock("mosapi")
    rri = start_mock("rri", MAX_BODY_BYTES=1024)

    ok = mosapi.request("GET", STATE, cred=cred)
    assert ok.status == 200
    row = logged_as_answered(app, ok)
    assert (row.result, row.required_role, row.matched_entry) == ("allowed", "mosapi-slam", DOMAIN)

    # An allowed client whose report is no report: the RRI answers 400 with a result code.
    bad = rri.request("PUT", ACTIVITY, cred=cred, body=b"this is not a report\r\n", headers=CSV)
    assert bad.status == 400 and b"<result code=" in bad.body
    row = logged_as_answered(app, bad)
    assert (row.result, row.required_role) == ("allowed", "rri-monthly-reports")

    # An allowed read of a report never sent.
    missing = rri.request("GET", ACTIVITY_STATUS, cred=cred)
    assert missing.status == 404
    row = logged_as_answered(app, missing)
    assert (row.result, row.required_role) == ("allowed", "rri-monthly-reports")

    # A body over TLSAUTH_MAX_BODY_BYTES, from a client the RRI let in.
    large = rri.request("PUT", ACTIVITY, cred=cred, body=b"x" * 4096, headers=CSV)
    assert large.status == 413
    row = logged_as_answered(app, large)
    assert row.result == "allowed" and row.deciding_reason is None
    assert parse_decision_header(large.decision).allowed


def test_the_status_logged_is_the_status_received_when_refused(app, world, start_mock, tmp_path):
    cred = trusted_client(app, world.rsp, tmp_path, DOMAIN)
    rri = start_mock("rri")

    unknown = rri.request("GET", ACTIVITY_STATUS)
    assert unknown.status == 401
    row = logged_as_answered(app, unknown)
    assert (row.result, row.deciding_reason) == ("denied", "no-certificate")
    assert row.required_role == "rri-monthly-reports"

    # The certificate of an entry, from an address outside its prefixes: RRI answers 403.
    outside = rri.request("GET", ACTIVITY_STATUS, cred=cred, source="127.0.0.2")
    assert outside.status == 403
    row = logged_as_answered(app, outside)
    assert (row.result, row.deciding_reason, row.matched_entry) == (
        "denied",
        "source-not-in-acl",
        DOMAIN,
    )


def test_the_header_names_the_deciding_reason_not_the_first_one_found(app, world, start_mock):
    set_entries(app, [Entry(DOMAIN, ("rri-monthly-reports",), ("127.0.0.1/32",))])
    open_basic(app)
    rri = start_mock("rri")
    # No certificate, a wrong Basic password: the password decides.
    answer = rri.request("GET", ACTIVITY_STATUS, headers=basic_auth("alpha_ry", "not-the-one"))
    assert answer.status == 401 and answer.text == "Invalid User and/or Password"
    verdict = parse_decision_header(answer.decision)
    assert verdict is not None and not verdict.allowed and verdict.reason == "bad-password"
    row = logged_as_answered(app, answer)
    assert row.reasons == ["bad-password", "no-certificate"]
    assert row.deciding_reason == "bad-password"
    assert sentence_of(row).startswith("The password is not the account's")

    # The right password: allowed through Basic, the role of the endpoint recorded.
    allowed = rri.request("GET", ACTIVITY_STATUS, headers=basic_auth("alpha_ry", REGISTRY_PASSWORD))
    assert allowed.status == 404  # allowed, nothing received yet
    row = logged_as_answered(app, allowed)
    assert (row.auth_path, row.required_role, row.matched_entry) == (
        "basic",
        "rri-monthly-reports",
        "alpha_ry",
    )
    assert allowed.decision.endswith("; allowed basic via alpha_ry")


@pytest.mark.parametrize("system", ["mosapi", "rri"])
def test_a_known_certificate_from_outside_the_prefixes(app, world, start_mock, tmp_path, system):
    cred = trusted_client(app, world.rsp, tmp_path, DOMAIN)
    server = start_mock(system)
    path = STATE if system == "mosapi" else ACTIVITY_STATUS
    answer = server.request("GET", path, cred=cred, source="127.0.0.2")
    assert answer.status == (401 if system == "mosapi" else 403)
    assert answer.decision.endswith("; source-not-in-acl")
    row = logged_as_answered(app, answer)
    assert row.cert_spki_sha256 == cred.spki_sha256()
    assert row.source_address == "127.0.0.2"
    assert sentence_of(row) == (
        f"127.0.0.2 is not in the prefixes of {DOMAIN} for this role; add it on the TLS client "
        "authentication tab."
    )
    assert [c["domain_name"] for c in row.checks] == [DOMAIN]
    assert row.checks[0]["matched"] is True


def test_an_unknown_certificate_is_explained_with_the_entry_it_failed(
    app, world, start_mock, tmp_path
):
    known = client_cert(tmp_path, DOMAIN)
    set_entries(
        app,
        [
            Entry("nothing-published.example", ("mosapi-daar",), ("127.0.0.1/32",)),
            Entry(DOMAIN, ("mosapi-slam",), ("127.0.0.1/32",)),
        ],
    )
    publish(app, world.rsp, DOMAIN, known.cert)
    intruder = client_cert(tmp_path, DOMAIN, stem="intruder")
    server = start_mock("mosapi")
    answer = server.request("GET", STATE, cred=intruder)
    assert answer.status == 401 and answer.decision.endswith("; no-tlsa-at-name")
    row = logged_as_answered(app, answer)
    assert row.reasons[:2] == ["no-tlsa-at-name", "tlsa-mismatch"]
    assert row.checks == [
        {
            "domain_name": "nothing-published.example",
            "matched": False,
            "reasons": ["no-tlsa-at-name"],
        },
        {"domain_name": DOMAIN, "matched": False, "reasons": ["tlsa-mismatch"]},
    ]
    assert entry_named(row) == "nothing-published.example"
    assert "nothing-published.example" in sentence_of(row)


def test_every_reason_has_a_sentence_that_names_the_facts_it_is_about():
    facts = CallFacts("bank", "mosapi-slam", "192.0.2.7", "tlsa.rsp.example")
    about_source = {"source-not-in-acl", "source-not-in-basic-acl", "too-many-login-failures"}
    about_entry = {
        "no-tlsa-at-name",
        "dnssec-not-validated",
        "dns-error",
        "tlsa-mismatch",
        "san-mismatch",
        "chain-does-not-reach-anchor",
        "pkix-usage-unsupported",
        "role-not-granted",
        "source-not-in-acl",
    }
    for code in REASONS:
        assert code in SENTENCES, code
        text = sentence(code, facts)
        # A sentence opens with a capital, or with the entry's domain name as written.
        opening = text.startswith("tlsa.rsp.example") or not text[0].islower()
        assert opening and text.endswith(".") and "{" not in text, code
        assert ("192.0.2.7" in text) == (code in about_source), code
        assert ("tlsa.rsp.example" in text.lower()) == (code in about_entry), code
    assert "mosapi-slam" in sentence("no-entry-for-role", facts)
