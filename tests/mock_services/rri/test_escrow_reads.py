"""Escrow agent notifications without the optional dates, and the escrow status reads keyed by
the report's watermark date (reports) or repDate (notifications): pure and over real mTLS."""

from __future__ import annotations

from datetime import UTC, date, datetime

import defusedxml.ElementTree as ET

from mock_services.rri import escrow_reads
from mock_services.rri.reports import KIND_ESCROW_NOTIFICATION, KIND_ESCROW_REPORT
from tests import rri_samples as samples
from tests.helpers import iirdea_code

XML = {"Content-Type": "text/xml"}
REPORTS = "{urn:ietf:params:xml:ns:rdeReports-1.0}"
NOTIFICATIONS = "{urn:ietf:params:xml:ns:rdeNotifications-1.0}"
REPORT = "{urn:ietf:params:xml:ns:rdeReport-1.0}"
NOTIFICATION = "{urn:ietf:params:xml:ns:rdeNotification-1.0}"

# A Friday after the GET feature's deployment (icann-client rri/getEscrowMonitor_test.go queries
# 2025-10-17): a FULL deposit's watermark, created an hour later.
DAY = "2025-10-17"
FULL = {"watermark": f"{DAY}T00:00:00Z", "cr_date": f"{DAY}T01:20:00Z"}
# A DRFN (no new deposit received) carries only lastFullDate: icann-client
# rri/testdata/escrow-notifications.xml; nomulus rde-notification.xsd makes reDate, vaDate,
# lastFullDate and the report optional (minOccurs="0").
DRFN = {"status": "DRFN", "re_date": None, "va_date": None, "report": False}


# --------------------------------------------------------------------------- pure


def test_parse_day() -> None:
    assert escrow_reads.parse_day("2025-10-17") == date(2025, 10, 17)
    for key in ("2025-10", "2025-13-01", "20251017", "2025-10-17T00:00:00Z", ""):
        assert escrow_reads.parse_day(key) is None


def test_dates_before_the_deployment_are_2214() -> None:
    # icann-client rri/getRyEscrowReports.go GetRyEscrowReports: "an earlier date is rejected
    # with result code 2214"; the text as rri/getEscrowMonitor_test.go quotes it.
    deployed = escrow_reads.GET_DEPLOYED
    assert escrow_reads.before_deployment(deployed) is None
    refused = escrow_reads.before_deployment(date(2020, 1, 1))
    assert refused is not None and refused.code == 2214
    assert refused.message.startswith(
        "The queried date is earlier than the production deployment of this feature."
    )


def test_received_list_is_the_document_icann_client_decodes() -> None:
    # icann-client rri/getRyEscrowReports.go (xmlReceivedReports) and testdata/escrow-reports.xml
    body = samples.escrow_report_xml("r1", "alpha", **FULL)
    moment = datetime(2025, 10, 17, 1, 34, 13, 741000, tzinfo=UTC)
    root = ET.fromstring(escrow_reads.received_list(KIND_ESCROW_REPORT, [(moment, body)]))
    assert root.tag == f"{REPORTS}reports"
    [item] = root.findall(f"{REPORTS}receivedReport")
    assert item.findtext(f"{REPORTS}received") == "2025-10-17T01:34:13.741Z"
    assert item.findtext(f"{REPORT}report/{REPORT}id") == "r1"


# --------------------------------------------------------------------------- over mTLS


def test_drfn_without_optional_dates_is_accepted(rri) -> None:
    server, cred = rri
    body = samples.escrow_notification_xml("alpha", rep_date=DAY, last_full_date=None, **DRFN)
    answer = server.request(
        "POST", "/report/escrow-agent-notification/alpha", cred=cred, body=body, headers=XML
    )
    assert (answer.status, iirdea_code(answer.body)) == (200, 1000), answer.text


def test_escrow_report_status_is_keyed_by_its_watermark_date(rri) -> None:
    # icann-client rri/getRyEscrowReports.go GetRyEscrowReports: "the registry escrow reports
    # ICANN received for the client's TLD whose watermark falls on date" (draft section 2.3.1).
    server, cred = rri
    for report_id in ("r1", "r2"):
        body = samples.escrow_report_xml(report_id, "alpha", **FULL)
        put = server.request(
            "PUT",
            f"/report/registry-escrow-report/alpha/{report_id}",
            cred=cred,
            body=body,
            headers=XML,
        )
        assert (put.status, iirdea_code(put.body)) == (200, 1000), put.text
    path = f"/info/report/registry-escrow-report/alpha/{DAY}"
    assert server.request("HEAD", path, cred=cred).status == 200
    listing = server.request("GET", path, cred=cred)
    assert listing.status == 200, listing.text
    assert listing.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(listing.body)
    assert root.tag == f"{REPORTS}reports"
    ids = [r.findtext(f"{REPORT}report/{REPORT}id") for r in root]
    assert ids == ["r2", "r1"]  # newest first, as in icann-client's testdata
    today = datetime.now(UTC).date().isoformat()  # the receipt date keys nothing
    assert server.request("HEAD", path.replace(DAY, today), cred=cred).status == 404


def test_notification_status_is_keyed_by_its_rep_date(rri) -> None:
    # icann-client rri/getEscrowNotifications.go GetEscrowNotifications: the notifications
    # "ICANN received for the client's TLD on date", its repDate (draft section 2.3.2).
    server, cred = rri
    body = samples.escrow_notification_xml(
        "alpha", rep_date=DAY, last_full_date="2025-10-14", **DRFN
    )
    post = server.request(
        "POST", "/report/escrow-agent-notification/alpha", cred=cred, body=body, headers=XML
    )
    assert post.status == 200, post.text
    listing = server.request(
        "GET", f"/info/report/escrow-agent-notification/alpha/{DAY}", cred=cred
    )
    assert listing.status == 200, listing.text
    root = ET.fromstring(listing.body)
    assert root.tag == f"{NOTIFICATIONS}notifications"
    [item] = root.findall(f"{NOTIFICATIONS}receivedNotification")
    notification = item.find(f"{NOTIFICATION}notification")
    assert notification is not None
    assert notification.findtext(f"{NOTIFICATION}status") == "DRFN"
    assert notification.findtext(f"{NOTIFICATION}lastFullDate") == "2025-10-14"


def test_a_get_before_the_deployment_is_2214_and_head_still_answers(rri) -> None:
    # icann-client rri/getEscrowMonitor_test.go TestGetRyEscrowReportsDateBeforeDeployment.
    server, cred = rri
    body = samples.escrow_report_xml("old1", "alpha")  # watermark 2024-05-02
    put = server.request(
        "PUT", "/report/registry-escrow-report/alpha/old1", cred=cred, body=body, headers=XML
    )
    assert put.status == 200, put.text
    path = "/info/report/registry-escrow-report/alpha/2024-05-02"
    got = server.request("GET", path, cred=cred)
    assert iirdea_code(got.body) == 2214, got.text
    assert "earlier than the production deployment of this feature" in got.text
    assert server.request("HEAD", path, cred=cred).status == 200
    for kind in (KIND_ESCROW_REPORT, KIND_ESCROW_NOTIFICATION):
        early = server.request("GET", f"/info/report/{kind}/alpha/2020-01-01", cred=cred)
        assert iirdea_code(early.body) == 2214
