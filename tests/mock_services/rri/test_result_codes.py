"""The result codes the real RRI returns beyond the structural ones, over real mTLS: 2102 (the
harness's registrar list), 2007 and 2008 (the TLD's scenario switches), 2205, 2206, 2210, 2212
(the escrow header rules). Codes and meanings: onasunnymorning/icann-client
rri/iirdeaResponse.go, the Result* constants and ResultHint."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from infra.database import db
from portal.models import Submission, Tld
from portal.services import registrars, scenarios
from tests import rri_samples as samples
from tests.helpers import iirdea_code

CSV = {"Content-Type": "text/csv"}
XML = {"Content-Type": "text/xml"}
TRANSACTIONS = "/report/registrar-transactions/alpha/2026-01"
ACTIVITY = "/report/registry-functions-activity/alpha/2026-01"
ESCROW = "/report/registry-escrow-report/alpha/{id}"
DOMAIN_URI = "urn:ietf:params:xml:ns:rdeDomain-1.0"


def set_scenario(app, doc: dict) -> None:
    with app.app_context():
        tld = db.session.scalars(select(Tld).where(Tld.name == "alpha")).one()
        scenarios.save(db.session, tld, doc, "test")


def refused(answer, code: int) -> str:
    assert (answer.status, iirdea_code(answer.body)) == (400, code), answer.text
    return answer.text


def nothing_stored(app) -> bool:
    with app.app_context():
        return db.session.scalar(select(Submission.id)) is None


def test_a_registrar_not_in_the_list_is_2102_until_added(app, rri) -> None:
    # ResultRegistrarNotAccredited: "a registrar in the report is not ICANN-accredited".
    server, cred = rri
    body = samples.transactions_csv([{"registrar_name": "Unlisted Names LLC", "iana_id": 4321}])
    text = refused(server.request("PUT", TRANSACTIONS, cred=cred, body=body, headers=CSV), 2102)
    assert "iana-id 4321" in text and "Unlisted Names LLC" in text
    assert nothing_stored(app)
    with app.app_context():
        registrars.add(db.session, 4321, "Unlisted Names LLC")
    accepted = server.request("PUT", TRANSACTIONS, cred=cred, body=body, headers=CSV)
    assert (accepted.status, iirdea_code(accepted.body)) == (200, 1000), accepted.text


def test_a_disabled_interface_is_2007_on_every_rri_request(app, rri) -> None:
    # ResultInterfaceDisabled, the one retryable code; its text as icann-client's
    # rri/getReportingStatus_test.go TestGetReportingStatusRejection stubs it.
    server, cred = rri
    set_scenario(app, {"rri": {"interface_disabled": True}})
    put = server.request("PUT", ACTIVITY, cred=cred, body=samples.activity_csv(), headers=CSV)
    assert "Interface disabled for this TLD" in refused(put, 2007)
    assert nothing_stored(app)
    for path in (
        "/info/status/registry/alpha",
        "/info/report/registry-functions-activity/alpha/2026-01",
    ):
        refused(server.request("GET", path, cred=cred), 2007)
    set_scenario(app, {})
    put = server.request("PUT", ACTIVITY, cred=cred, body=samples.activity_csv(), headers=CSV)
    assert put.status == 200, put.text


def test_reports_dated_before_the_tld_creation_are_2008(app, rri) -> None:
    # ResultDateBeforeTLDCreation: "crDate or watermark predates the TLD".
    server, cred = rri
    set_scenario(app, {"rri": {"tld_created": "2026-02-01"}})
    put = server.request("PUT", ACTIVITY, cred=cred, body=samples.activity_csv(), headers=CSV)
    assert "2026-02-01" in refused(put, 2008)
    body = samples.escrow_report_xml("abc123", "alpha")  # watermark 2024-05-02
    refused(
        server.request("PUT", ESCROW.format(id="abc123"), cred=cred, body=body, headers=XML), 2008
    )
    set_scenario(app, {"rri": {"tld_created": "2024-01-01"}})
    ok = server.request("PUT", ESCROW.format(id="abc123"), cred=cred, body=body, headers=XML)
    assert ok.status == 200, ok.text


@pytest.mark.parametrize(
    ("code", "kwargs", "fragment"),
    [
        # ResultUnexpectedDIFF, with the text icann-client's README quotes; a Full Deposit is due
        # each Sunday (base registry agreement, Specification 2 Part A, "Schedule for Deposits").
        (
            2205,
            {
                "kind": "DIFF",
                "watermark": "2025-10-19T00:00:00Z",
                "cr_date": "2025-10-19T01:00:00Z",
            },
            "Report regarding a differential deposit received when a full deposit was expected",
        ),
        # ResultDuplicateDomainCount; icann-client rri/rdeReport.go Validate, hasCSVDomain and
        # hasRDEDomain.
        (
            2206,
            {
                "counts": [
                    {"uri": DOMAIN_URI, "value": 5},
                    {"uri": "urn:ietf:params:xml:ns:csvDomain-1.0", "value": 5},
                ]
            },
            "csvDomain",
        ),
        # ResultRCDNMismatch: "a count element carries an unexpected rcdn attribute".
        (2210, {"counts": [{"uri": DOMAIN_URI, "rcdn": "beta", "value": 5}]}, "'beta'"),
        # ResultInvalidLabel: "an invalid label or domain name syntax was found".
        (2212, {"counts": [{"uri": DOMAIN_URI, "rcdn": "a..alpha", "value": 5}]}, "rcdn"),
    ],
    ids=["2205", "2206", "2210", "2212"],
)
def test_escrow_header_rules(app, rri, code: int, kwargs: dict, fragment: str) -> None:
    server, cred = rri
    body = samples.escrow_report_xml("abc123", "alpha", **kwargs)
    answer = server.request("PUT", ESCROW.format(id="abc123"), cred=cred, body=body, headers=XML)
    assert fragment in refused(answer, code)
    assert nothing_stored(app)
