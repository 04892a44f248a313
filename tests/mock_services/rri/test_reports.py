"""Unit tests of the RRI report validation (mock_services.rri.reports): pure, no database."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, date, datetime, timedelta

import defusedxml.ElementTree as ET
import pytest

from mock_services.rri import reports as rr
from mock_services.rri.reports import (
    RriResult,
    parse_month,
    response_xml,
    validate_activity_report,
    validate_escrow_notification,
    validate_escrow_report,
    validate_transactions_report,
)
from tests import rri_samples as s

TLD = "example"
MONTH = "2024-05"
TODAY = date(2024, 6, 15)
NOW = datetime(2024, 6, 15, 12, 0, tzinfo=UTC)


def activity(body: bytes, month: str = MONTH, today: date = TODAY) -> RriResult:
    return validate_activity_report(body, TLD, month, today)


def transactions(body: bytes, month: str = MONTH, today: date = TODAY) -> RriResult:
    return validate_transactions_report(body, TLD, month, today)


def escrow(body: bytes, report_id: str = "abc123", tld: str = TLD) -> RriResult:
    return validate_escrow_report(body, tld, report_id, NOW)


def notification(body: bytes, tld: str = TLD) -> RriResult:
    return validate_escrow_notification(body, tld, NOW)


def assert_ok(result: RriResult) -> None:
    assert result.ok, result
    assert (result.code, result.http_status) == (1000, 200)


def assert_code(result: RriResult, code: int, *fragments: str) -> None:
    assert not result.ok, result
    assert (result.code, result.http_status) == (code, 400), result
    for fragment in fragments:
        assert fragment in result.message, (fragment, result.message)


# --------------------------------------------------------------------------- column sets


def test_column_sets_match_the_published_header_lines() -> None:
    assert {k: list(v) for k, v in rr.ACTIVITY_COLUMN_SETS.items()} == s.ACTIVITY_COLUMNS
    assert list(rr.TRANSACTIONS_COLUMNS) == s.TRANSACTIONS_COLUMNS
    assert len(s.ACTIVITY_COLUMNS["current"]) == 38
    assert len(s.TRANSACTIONS_COLUMNS) == 4 + 20 + 15
    assert "tld" not in s.TRANSACTIONS_COLUMNS


def test_result_is_frozen_and_2002_is_exported() -> None:
    result = rr.success("fine")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.code = 2001  # type: ignore[misc]
    assert rr.CODE_REPLACED_AFTER_CUTOFF == 2002
    assert rr.failure(2002, "late") == RriResult(False, 2002, "late", 400)


# --------------------------------------------------------------------------- months


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2024-05", (2024, 5)), ("1999-12", (1999, 12)), ("2024-01", (2024, 1))],
)
def test_parse_month_valid(text: str, expected: tuple[int, int]) -> None:
    assert parse_month(text) == expected


@pytest.mark.parametrize(
    "text",
    ["2024-00", "2024-13", "2024-5", "202405", "24-05", "2024-05-01", "abcd-ef", "", "0000-01"],
)
def test_bad_month_in_url_is_2111(text: str) -> None:
    assert parse_month(text) is None
    assert_code(activity(s.activity_csv(), month=text), 2111, "YYYY-MM")
    assert_code(transactions(s.transactions_csv(), month=text), 2111)


@pytest.mark.parametrize("month", ["2024-06", "2024-07", "2025-01"])
def test_month_not_ended_is_2004(month: str) -> None:
    assert_code(activity(s.activity_csv(), month=month), 2004, "has not ended")
    assert_code(transactions(s.transactions_csv(), month=month), 2004)


def test_month_accepted_from_the_first_day_of_the_next_month() -> None:
    assert_ok(activity(s.activity_csv(), month="2024-05", today=date(2024, 6, 1)))
    assert_ok(activity(s.activity_csv(), month="2023-12", today=date(2024, 1, 1)))
    assert_code(activity(s.activity_csv(), month="2024-05", today=date(2024, 5, 31)), 2004)


# --------------------------------------------------------------------------- activity


@pytest.mark.parametrize("columns", ["current", "without-rdap", "2013"])
def test_activity_each_known_column_set_is_accepted(columns: str) -> None:
    result = activity(s.activity_csv(columns))
    assert_ok(result)
    assert repr(columns) in result.message


def test_activity_czds_in_zfa_passwords() -> None:
    assert_ok(activity(s.activity_csv(zfa_passwords="CZDS")))
    assert_code(activity(s.activity_csv(zfa_passwords="czds")), 2001, "zfa-passwords")
    assert_code(activity(s.activity_csv(whois_43_queries="CZDS")), 2001, "whois-43-queries")


def test_activity_negative_value_is_2003() -> None:
    result = activity(s.activity_csv(srs_dom_create=-5))
    assert_code(result, 2003, "line 2", "'srs-dom-create'", "-5")


@pytest.mark.parametrize("value", ["12a", "1.5", " 7", "+3", "", "１２"])
def test_activity_non_integer_is_2001(value: str) -> None:
    assert_code(activity(s.activity_csv(dns_udp_queries_received=value)), 2001, "line 2")


def test_activity_needs_exactly_one_data_line() -> None:
    assert_code(activity(s.activity_csv(data_row=False)), 2001, "found 0")
    extra = [list(s.activity_values().values())]
    assert_code(activity(s.activity_csv(extra_rows=extra)), 2001, "found 2")


def test_activity_header_missing_column_is_named() -> None:
    header = [c for c in s.ACTIVITY_COLUMNS["current"] if c != "srs-dom-info"]
    result = activity(s.activity_csv(header=header))
    assert_code(result, 2001, "line 1", "missing column 'srs-dom-info'")


def test_activity_header_unexpected_column_is_named() -> None:
    header = ["tld", *s.ACTIVITY_COLUMNS["current"][1:]]
    assert_code(activity(s.activity_csv(header=header)), 2001, "unexpected header column 'tld'")
    header = [*s.ACTIVITY_COLUMNS["current"], "epp-queries"]
    assert_code(activity(s.activity_csv(header=header)), 2001, "'epp-queries'", "position 39")


def test_activity_header_is_case_sensitive_with_a_hint() -> None:
    header = ["Operational-Registrars", *s.ACTIVITY_COLUMNS["current"][1:]]
    assert_code(activity(s.activity_csv(header=header)), 2001, "case and spaces count")


def test_activity_header_2013_set_missing_one_ramp_up_column() -> None:
    header = [c for c in s.ACTIVITY_COLUMNS["2013"] if c != "pre-ramp-up-registrars"]
    assert_code(activity(s.activity_csv(header=header)), 2001, "'pre-ramp-up-registrars'", "'2013'")


def test_activity_field_count_mismatch() -> None:
    body = s.activity_csv().rstrip(b"\r\n") + b",1\r\n"
    assert_code(activity(body), 2001, "line 2 has 39 fields but the header has 38")


# --------------------------------------------------------------------------- CSV framing


def test_bare_lf_is_2001() -> None:
    result = activity(s.activity_csv(line_end="\n"))
    assert_code(result, 2001, "line 1", "lines must end with CRLF")
    body = s.transactions_csv().replace(b"\r\n", b"\n", 2).replace(b"\n", b"\r\n", 1)
    assert_code(transactions(body), 2001, "line 2", "bare LF")


def test_bare_cr_is_2001() -> None:
    assert_code(activity(s.activity_csv(line_end="\r")), 2001, "bare CR")


def test_final_crlf_is_optional() -> None:
    assert_ok(activity(s.activity_csv(final_eol=False)))
    assert_ok(transactions(s.transactions_csv(final_eol=False)))


def test_empty_line_is_2001() -> None:
    assert_code(activity(s.activity_csv() + b"\r\n"), 2001, "line 3 is empty")


@pytest.mark.parametrize("body", [b"", b"\r\n"])
def test_empty_body_is_2001(body: bytes) -> None:
    assert_code(activity(body), 2001)
    assert_code(transactions(body), 2001)


def test_byte_order_mark_is_2001() -> None:
    assert_code(activity(b"\xef\xbb\xbf" + s.activity_csv()), 2001, "byte order mark")


def test_not_utf8_is_2105() -> None:
    body = s.transactions_csv([{"registrar_name": "Caf\u00e9 Registrar", "iana_id": 7}])
    latin1 = body.decode("utf-8").encode("latin-1")
    assert_ok(transactions(body))
    assert_code(transactions(latin1), 2105, "not valid UTF-8", "0xe9", "line 2")
    assert_code(activity(s.activity_csv() + b"\xff"), 2105)


def test_line_break_inside_quoted_field_is_2001() -> None:
    body = s.transactions_csv([{"registrar_name": "Two\r\nLines Ltd", "iana_id": 7}])
    assert_code(transactions(body), 2001, "line 2", "line breaks inside a field")


def test_broken_quoting_is_2001() -> None:
    body = s.transactions_csv().replace(b'"Example Registrar, Inc."', b'"Example" Registrar')
    assert_code(transactions(body), 2001, "RFC 4180")


# --------------------------------------------------------------------------- transactions


def test_transactions_valid_with_quoted_names() -> None:
    body = s.transactions_csv()
    assert b'"Example Registrar, Inc."' in body
    assert b'"The ""Quoted"" Registrar GmbH"' in body
    assert b"\r\nTotals,," in body
    result = transactions(body)
    assert_ok(result)
    assert "3 registrar line(s)" in result.message


def test_transactions_with_no_registrar_lines() -> None:
    zero = {c: 0 for c in s.TRANSACTIONS_COUNT_COLUMNS}
    assert_ok(transactions(s.transactions_csv([], totals=zero)))
    body = s.transactions_csv([], totals={**zero, "total-domains": 1})
    assert_code(transactions(body), 2101, "'total-domains'", "total is 1", "sum to 0")


def test_transactions_totals_mismatch_is_2101() -> None:
    result = transactions(s.transactions_csv(totals={"net-renews-3-yr": 9999}))
    assert_code(result, 2101, "line 5", "'net-renews-3-yr'", "total is 9999", "sum to")


def test_transactions_totals_second_field_is_2103() -> None:
    result = transactions(s.transactions_csv(totals_second_field="0"))
    assert_code(result, 2103, "line 5", "second field", "'0'")


def test_transactions_negative_is_2003() -> None:
    body = s.transactions_csv([{"iana_id": 9, "transfer_losing_nacked": -2}])
    assert_code(transactions(body), 2003, "line 2", "'transfer-losing-nacked'", "-2")
    assert_code(transactions(s.transactions_csv([{"iana_id": -9}])), 2003, "'iana-id'")


def test_transactions_non_integer_is_2001() -> None:
    body = s.transactions_csv([{"iana_id": "IANA-9"}])
    assert_code(transactions(body), 2001, "'iana-id'", "'IANA-9'")
    body = s.transactions_csv([{"iana_id": 9, "total_domains": "lots"}])
    assert_code(transactions(body), 2001, "'total-domains'")


def test_transactions_totals_line_missing_misspelled_or_not_last() -> None:
    assert_code(
        transactions(s.transactions_csv(with_totals=False)), 2001, "first field is 'Totals'"
    )
    assert_code(transactions(s.transactions_csv(totals_label="TOTALS")), 2001, "case counts")
    only_header = s.csv_body([s.TRANSACTIONS_COLUMNS])
    assert_code(transactions(only_header), 2001, "Totals line is missing")
    body = s.transactions_csv() + s.csv_body([["Late Registrar", 77, *[0] * 37]])
    assert_code(transactions(body), 2001, "line 5 is a Totals line but is not the last")


def test_transactions_duplicate_iana_id_is_2001() -> None:
    body = s.transactions_csv([{"iana_id": 5}, {"iana_id": 5, "registrar_name": "Other"}])
    assert_code(transactions(body), 2001, "line 3", "iana-id 5", "line 2")


def test_transactions_empty_registrar_name_is_2001() -> None:
    body = s.transactions_csv([{"registrar_name": "", "iana_id": 5}])
    assert_code(transactions(body), 2001, "registrar-name")


def test_transactions_tld_column_is_refused() -> None:
    header = ["tld", *s.TRANSACTIONS_COLUMNS[1:]]
    result = transactions(s.transactions_csv(header=header))
    assert_code(result, 2001, "unexpected header column 'tld'")


def test_transactions_header_missing_net_adds_column() -> None:
    header = [c for c in s.TRANSACTIONS_COLUMNS if c != "net-adds-7-yr"]
    assert_code(
        transactions(s.transactions_csv(header=header)), 2001, "missing column 'net-adds-7-yr'"
    )


# --------------------------------------------------------------------------- escrow report


def test_escrow_report_valid() -> None:
    result = escrow(s.escrow_report_xml())
    assert_ok(result)
    assert "FULL deposit abc123" in result.message


@pytest.mark.parametrize("kind", ["FULL", "INCR", "DIFF"])
def test_escrow_report_kinds(kind: str) -> None:
    assert_ok(escrow(s.escrow_report_xml(kind=kind)))


def test_escrow_report_variants_accepted() -> None:
    assert_ok(escrow(s.escrow_report_xml(ryde_spec_mapping=None)))
    assert_ok(escrow(s.escrow_report_xml(resend=3)))
    assert_ok(escrow(s.escrow_report_xml(cr_date="2024-06-15T13:59:00+02:00")))
    assert_ok(escrow(s.escrow_report_xml(watermark="2024-06-14T00:00:00")))
    assert_ok(escrow(s.escrow_report_xml(counts=[{"uri": "urn:x", "value": 0}])))
    assert_ok(escrow(b"\xef\xbb\xbf" + s.escrow_report_xml()))
    body = s.escrow_report_xml().replace(b"<rdeReport:kind>", b"<!-- c --><rdeReport:kind>")
    assert_ok(escrow(body))
    assert_ok(
        validate_escrow_report(s.escrow_report_xml(), TLD, "abc123", NOW.replace(tzinfo=None))
    )


def test_escrow_report_id_mismatch_is_2006() -> None:
    assert_code(escrow(s.escrow_report_xml(id="abc123"), "abc124"), 2006, "'abc123'", "'abc124'")
    assert_code(escrow(s.escrow_report_xml(), "not/valid"), 2006)


def test_escrow_report_version_is_2005() -> None:
    assert_code(escrow(s.escrow_report_xml(version=2)), 2005, "must be 1", "'2'")
    assert_code(escrow(s.escrow_report_xml(version="one")), 2005)


@pytest.mark.parametrize(
    ("field", "value"),
    [("cr_date", "2024-06-15T12:00:01Z"), ("watermark", "2030-01-01T00:00:00Z")],
)
def test_escrow_report_date_in_future_is_2004(field: str, value: str) -> None:
    result = escrow(s.escrow_report_xml(**{field: value}))
    assert_code(result, 2004, "in the future")


def test_escrow_report_future_tolerance() -> None:
    body = s.escrow_report_xml(cr_date="2024-06-15T12:00:30Z")
    assert_code(escrow(body), 2004)
    result = validate_escrow_report(body, TLD, "abc123", NOW, tolerance=timedelta(minutes=1))
    assert_ok(result)


def test_escrow_report_tld_mismatch_is_2202() -> None:
    assert_code(escrow(s.escrow_report_xml(tld="other")), 2202, "'other'", "'example'")
    assert_ok(escrow(s.escrow_report_xml(tld="EXAMPLE")))
    assert_ok(escrow(s.escrow_report_xml(tld="\u30c6\u30b9\u30c8"), tld="xn--zckzah"))
    assert_ok(escrow(s.escrow_report_xml(tld="xn--zckzah"), tld="\u30c6\u30b9\u30c8"))


def test_escrow_report_header_without_tld_is_2209() -> None:
    assert_code(escrow(s.escrow_report_xml(tld=None)), 2209, "no <rdeHeader:tld>")
    assert_code(escrow(s.escrow_report_xml(tld="")), 2209, "empty")


def test_escrow_report_duplicate_count_is_2211() -> None:
    counts = [
        {"uri": "urn:ietf:params:xml:ns:rdeDomain-1.0", "value": 1},
        {"uri": "urn:ietf:params:xml:ns:rdeDomain-1.0", "rcdn": "example", "value": 1},
        {"uri": "urn:ietf:params:xml:ns:rdeDomain-1.0", "registrarId": "9999", "value": 1},
    ]
    assert_ok(escrow(s.escrow_report_xml(counts=counts)))
    result = escrow(s.escrow_report_xml(counts=[*counts, {**counts[1], "value": 2}]))
    assert_code(result, 2211, "rdeDomain-1.0", "rcdn='example'")


def _swap(body: bytes, old: bytes, new: bytes) -> bytes:
    assert old in body
    return body.replace(old, new)


KIND_LINE = b"<rdeReport:kind>FULL</rdeReport:kind>\n"
RESEND_LINE = b"<rdeReport:resend>0</rdeReport:resend>\n"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (_swap(s.escrow_report_xml(), KIND_LINE, b""), "<rdeReport:kind> missing"),
        (
            _swap(s.escrow_report_xml(), RESEND_LINE, b"").replace(
                b"</rdeReport:watermark>", b"</rdeReport:watermark>" + RESEND_LINE
            ),
            "<rdeReport:resend> is out of order",
        ),
        (
            _swap(s.escrow_report_xml(), KIND_LINE, KIND_LINE * 2),
            "<rdeReport:kind> appears more than once",
        ),
        (s.escrow_report_xml(kind="full"), "FULL, INCR, DIFF"),
        (s.escrow_report_xml(id="a" * 14), "not a valid id"),
        (s.escrow_report_xml(id="abc-123"), "not a valid id"),
        (s.escrow_report_xml(resend=-1), "<rdeReport:resend>"),
        (s.escrow_report_xml(cr_date="yesterday"), "xsd:dateTime"),
        (s.escrow_report_xml(cr_date="2024-02-30T00:00:00Z"), "xsd:dateTime"),
        (s.escrow_report_xml(counts=[{"uri": "urn:x", "value": -3}]), "non-negative"),
        (s.escrow_report_xml(counts=[{"uri": "urn:x", "value": "many"}]), "non-negative"),
        (s.escrow_report_xml(counts=[{"value": 3}]), "uri attribute"),
        (s.escrow_report_xml(counts=[]), "at least one <rdeHeader:count>"),
        (
            s.escrow_report_xml(counts=[{"uri": "urn:x", "value": 3, "colour": "red"}]).replace(
                b'uri="urn:x"', b'uri="urn:x" colour="red"'
            ),
            "unexpected attribute 'colour'",
        ),
        (
            _swap(
                s.escrow_report_xml(),
                b"</rdeHeader:header>",
                b"<rdeHeader:tld>x</rdeHeader:tld></rdeHeader:header>",
            ),
            "appears more than once",
        ),
        (
            _swap(s.escrow_report_xml(), KIND_LINE, b"<rdeReport:extra/>" + KIND_LINE),
            "unexpected element <rdeReport:extra>",
        ),
        (
            _swap(
                s.escrow_report_xml(),
                b"<rdeReport:id>abc123</rdeReport:id>",
                b'<id xmlns="urn:other">abc123</id>',
            ),
            "must be in namespace urn:ietf:params:xml:ns:rdeReport-1.0",
        ),
        (
            _swap(s.escrow_report_xml(), KIND_LINE, b"stray text" + KIND_LINE),
            "unexpected text 'stray text'",
        ),
        (
            _swap(s.escrow_report_xml(), b">abc123<", b"><b>abc123</b><"),
            "must hold a value",
        ),
        (s.escrow_report_xml()[:-30], "not well-formed"),
        (b"<report/>", "root element must be <rdeReport:report>"),
        (s.escrow_notification_xml(), "root element must be <rdeReport:report>"),
        (b"   ", "empty"),
    ],
)
def test_escrow_report_structure_is_2001(body: bytes, fragment: str) -> None:
    assert_code(escrow(body), 2001, fragment)


def test_escrow_report_structure_reported_before_business_rules() -> None:
    body = _swap(s.escrow_report_xml(id="zzz", version=7, tld="other"), KIND_LINE, b"")
    assert_code(escrow(body), 2001, "kind")


def test_escrow_report_not_utf8_is_2105() -> None:
    latin1 = s.escrow_report_xml(tld="caf\u00e9").decode().encode("latin-1")
    assert_code(escrow(latin1), 2105, "UTF-8")
    declared = s.escrow_report_xml().replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"')
    assert_code(escrow(declared), 2105, "ISO-8859-1")
    utf16 = s.escrow_report_xml().decode().replace('"UTF-8"', '"UTF-16"').encode("utf-16")
    assert_code(escrow(utf16), 2105)


# --------------------------------------------------------------------------- hostile XML


@pytest.mark.parametrize("body", [s.BILLION_LAUGHS, s.EXTERNAL_ENTITY])
def test_entity_attacks_are_refused_fast(body: bytes) -> None:
    start = time.perf_counter()
    report = escrow(body)
    notice = notification(body)
    assert time.perf_counter() - start < 1.0
    for result in (report, notice):
        assert_code(result, 2001, "entity declarations and external entities are refused")
        assert "root:" not in result.message
        assert "lollol" not in result.message


def test_plain_doctype_is_refused() -> None:
    body = s.escrow_report_xml().replace(b"?>\n", b"?>\n<!DOCTYPE rdeReport:report>\n", 1)
    assert_code(escrow(body), 2001, "DOCTYPE")


# --------------------------------------------------------------------------- notification


def test_notification_valid_with_embedded_report() -> None:
    result = notification(s.escrow_notification_xml())
    assert_ok(result)
    assert "DVPN" in result.message
    assert "embedded report" in result.message


@pytest.mark.parametrize("status", ["DVPN", "DVFN", "DRFN"])
def test_notification_statuses(status: str) -> None:
    assert_ok(notification(s.escrow_notification_xml(status=status)))


def test_notification_variants_accepted() -> None:
    assert_ok(notification(s.escrow_notification_xml(report=False, re_date=None)))
    results = '<iirdea:result code="1000"><iirdea:msg>ok</iirdea:msg></iirdea:result>'
    assert_ok(notification(s.escrow_notification_xml(results=results)))
    assert_ok(notification(s.escrow_notification_xml(va_date="2024-05-02")))
    # the embedded report's id is not compared with anything
    assert_ok(notification(s.escrow_notification_xml(report_id="whatever")))


def test_notification_version_is_2005() -> None:
    assert_code(notification(s.escrow_notification_xml(version=2)), 2005, "version")


def test_notification_embedded_report_rules() -> None:
    assert_code(notification(s.escrow_notification_xml(tld="other")), 2202, "'other'")
    assert_code(notification(s.escrow_notification_xml(tld=None)), 2209)
    assert_code(notification(s.escrow_notification_xml(kind="X")), 2001, "rdeReport:kind")
    assert_code(notification(s.escrow_notification_xml(cr_date="2030-01-01T00:00:00Z")), 2004)
    embedded_v2 = s.escrow_notification_xml().replace(
        b"<rdeReport:version>1<", b"<rdeReport:version>2<"
    )
    assert_code(notification(embedded_v2), 2005, "rdeReport:version")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (s.escrow_notification_xml(status="OK"), "DVPN, DVFN, DRFN"),
        (s.escrow_notification_xml(rep_date="2024-05-02T00:00:00Z"), "xsd:date"),
        (s.escrow_notification_xml(va_date="soon"), "rdeNotification:vaDate"),
        (s.escrow_notification_xml(dea_name=""), "deaName> is empty"),
        (
            s.escrow_notification_xml().replace(
                b"<rdeNotification:status>DVPN</rdeNotification:status>\n", b""
            ),
            "<rdeNotification:status> missing",
        ),
        (s.escrow_report_xml(), "root element must be <rdeNotification:notification>"),
        (
            s.escrow_notification_xml(report="<rdeReport:kind>FULL</rdeReport:kind>"),
            "unexpected element",
        ),
    ],
)
def test_notification_structure_is_2001(body: bytes, fragment: str) -> None:
    assert_code(notification(body), 2001, fragment)


def test_notification_not_utf8_is_2105() -> None:
    body = s.escrow_notification_xml(dea_name="Dépôt Agent").decode().encode("latin-1")
    assert_code(notification(body), 2105)


# --------------------------------------------------------------------------- codes for fidelity
# Codes and meanings: onasunnymorning/icann-client rri/iirdeaResponse.go (the Result* constants
# and ResultHint); the quoted texts: its README and rri/getRyEscrowReports_test.go.

DOMAIN_URI = "urn:ietf:params:xml:ns:rdeDomain-1.0"


def test_transactions_registrar_not_accredited_is_2102() -> None:
    body = s.transactions_csv()  # iana-ids 9999 (reserved), 1234, 292
    assert_ok(validate_transactions_report(body, TLD, MONTH, TODAY, registrars={1234, 292}))
    assert_ok(validate_transactions_report(body, TLD, MONTH, TODAY))  # no list: no check
    result = validate_transactions_report(body, TLD, MONTH, TODAY, registrars={292})
    assert_code(result, 2102, rr.CODE_TEXT[2102], "iana-id 1234", "line 3")
    assert "9999" not in result.message and "292" not in result.message
    none = validate_transactions_report(body, TLD, MONTH, TODAY, registrars=set())
    assert_code(none, 2102, "iana-id 1234", "iana-id 292")
    reserved = s.transactions_csv([{"iana_id": n} for n in (9997, 9998, 9999)])
    assert_ok(validate_transactions_report(reserved, TLD, MONTH, TODAY, registrars=set()))
    # The Totals line is judged first: 2101 before 2102.
    broken = s.transactions_csv(totals={"total_domains": 1})
    assert_code(validate_transactions_report(broken, TLD, MONTH, TODAY, registrars=set()), 2101)


def test_escrow_report_dated_before_the_tld_is_2008() -> None:
    created = date(2024, 5, 3)
    result = validate_escrow_report(s.escrow_report_xml(), TLD, "abc123", NOW, created=created)
    assert_code(result, 2008, "crDate", "2024-05-03")
    same_day = date(2024, 5, 2)
    assert_ok(validate_escrow_report(s.escrow_report_xml(), TLD, "abc123", NOW, created=same_day))
    late = validate_escrow_notification(s.escrow_notification_xml(), TLD, NOW, created=created)
    assert_code(late, 2008, "repDate> 2024-05-02")


def test_escrow_diff_with_a_sunday_watermark_is_2205() -> None:
    sunday = {"watermark": "2024-05-05T00:00:00Z", "cr_date": "2024-05-05T01:00:00Z"}
    assert_ok(escrow(s.escrow_report_xml(kind="FULL", **sunday)))
    for kind in ("DIFF", "INCR"):
        result = escrow(s.escrow_report_xml(kind=kind, **sunday))
        assert_code(result, 2205, kind, "2024-05-05 is a Sunday")
        assert result.message.startswith(
            "Report regarding a differential deposit received when a full deposit was expected"
        )
    assert_ok(escrow(s.escrow_report_xml(kind="DIFF")))  # a Thursday


def test_escrow_counts_of_both_domain_models_is_2206() -> None:
    counts = [
        {"uri": DOMAIN_URI, "value": 5},
        {"uri": "urn:ietf:params:xml:ns:csvDomain-1.0", "value": 5},
    ]
    assert_code(escrow(s.escrow_report_xml(counts=counts)), 2206, "csvDomain", "rdeDomain")
    assert_ok(escrow(s.escrow_report_xml(counts=counts[1:])))


def test_escrow_rcdn_outside_the_tld_is_2210_and_a_bad_name_2212() -> None:
    def with_rcdn(rcdn: str) -> RriResult:
        counts = [{"uri": DOMAIN_URI, "rcdn": rcdn, "value": 5}]
        return escrow(s.escrow_report_xml(counts=counts))

    assert_ok(with_rcdn("example"))
    assert_ok(with_rcdn("co.example"))
    assert_ok(with_rcdn("EXAMPLE"))
    assert_code(with_rcdn("other"), 2210, "'other'", "'example'")
    assert_code(with_rcdn("notexample"), 2210)
    assert_code(with_rcdn("exa..mple"), 2212, "empty label")
    assert_code(with_rcdn("-x.example"), 2212, "hyphen")


def test_escrow_header_tld_with_bad_syntax_is_2212() -> None:
    assert_code(escrow(s.escrow_report_xml(tld="ex ample")), 2212, "spaces")
    assert_code(escrow(s.escrow_report_xml(tld="-example")), 2212, "'-example'")
    assert_code(escrow(s.escrow_report_xml(tld="co.example")), 2212, "single label")
    assert_code(escrow(s.escrow_report_xml(tld="_example")), 2212, "underscore")
    assert_ok(escrow(s.escrow_report_xml(tld="\u30c6\u30b9\u30c8"), tld="xn--zckzah"))


def test_accepted_escrow_bodies_carry_their_status_key() -> None:
    report = escrow(s.escrow_report_xml(watermark="2024-05-01T22:00:00-04:00"))
    assert report.key == "2024-05-02"  # the watermark's UTC date
    # A DRFN: no reDate, vaDate or report (nomulus rde-notification.xsd, minOccurs="0").
    drfn = s.escrow_notification_xml(
        status="DRFN", re_date=None, va_date=None, last_full_date=None, report=False
    )
    assert notification(drfn).key == "2024-05-02"  # the repDate


# --------------------------------------------------------------------------- response body


def test_response_xml_success() -> None:
    body = response_xml(validate_activity_report(s.activity_csv(), TLD, MONTH, TODAY))
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(body)
    ns = "{urn:ietf:params:xml:ns:iirdea-1.0}"
    assert root.tag == f"{ns}response"
    result = root.find(f"{ns}result")
    assert result is not None and result.get("code") == "1000"
    assert "Command completed successfully" in (result.findtext(f"{ns}msg") or "")


def test_response_xml_escapes_the_message() -> None:
    message = "column '<tld>' & \"x\" ]]> \x01 café"
    body = response_xml(rr.failure(2001, message))
    assert b"<tld>" not in body and b"&lt;tld&gt;" in body and b"&amp;" in body
    root = ET.fromstring(body)
    ns = "{urn:ietf:params:xml:ns:iirdea-1.0}"
    result = root.find(f"{ns}result")
    assert result is not None and result.get("code") == "2001"
    assert result.findtext(f"{ns}msg") == message.replace("\x01", "\ufffd")


def test_response_xml_for_a_hostile_header_value() -> None:
    header = ["<script>alert(1)</script>", *s.ACTIVITY_COLUMNS["current"][1:]]
    result = activity(s.activity_csv(header=header))
    assert_code(result, 2001, "<script>")
    assert b"<script>" not in response_xml(result)
