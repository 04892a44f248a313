"""The RRI mock's rules around a report body: Content-Type, report month, replacement cut-off,
2007 and 2008 from the TLD's switches, status reads (pure, no database)."""

from __future__ import annotations

from datetime import date

import pytest

from mock_services.rri import reports as rr
from mock_services.rri.reports import RriResult
from mock_services.rri.uploads import (
    after_cutoff,
    check_monthly,
    content_type_refusal,
    interface_refusal,
    status_read,
)
from tests import rri_samples as samples

TODAY = date(2024, 6, 15)


@pytest.mark.parametrize(
    ("kind", "mimetype", "refused"),
    [
        (rr.KIND_ACTIVITY, "text/csv", False),
        (rr.KIND_TRANSACTIONS, "TEXT/CSV", False),
        (rr.KIND_ACTIVITY, "text/xml", True),
        (rr.KIND_ESCROW_REPORT, "text/xml", False),
        (rr.KIND_ESCROW_NOTIFICATION, "application/xml", False),
        (rr.KIND_ESCROW_REPORT, "text/csv", True),
        # No Content-Type: the body decides (getnamingo/registry automation/reporting.php
        # uploadFileWithRetry sends none).
        (rr.KIND_ACTIVITY, None, False),
        (rr.KIND_ESCROW_NOTIFICATION, "", False),
    ],
)
def test_content_type_by_kind(kind: str, mimetype: str | None, refused: bool) -> None:
    result = content_type_refusal(kind, mimetype, mimetype)
    assert (result is not None) is refused
    if refused:
        assert (result.code, result.http_status) == (rr.CODE_STRUCTURE, 400)


def test_content_type_refusal_names_the_expected_type() -> None:
    csv = content_type_refusal(rr.KIND_ACTIVITY, "text/xml", "text/xml; charset=utf-8")
    assert csv.message == "Content-Type must be text/csv, not text/xml; charset=utf-8."
    xml = content_type_refusal(rr.KIND_ESCROW_REPORT, "application/json", "application/json")
    assert xml.message == "Content-Type must be text/xml, not application/json."


@pytest.mark.parametrize(
    ("year", "month", "today", "late"),
    [
        (2024, 4, date(2024, 5, 20), False),
        (2024, 4, date(2024, 5, 21), True),
        (2023, 12, date(2024, 1, 20), False),
        (2023, 12, date(2024, 1, 21), True),
    ],
)
def test_cutoff_is_the_20th_of_the_next_month(
    year: int, month: int, today: date, late: bool
) -> None:
    assert after_cutoff(year, month, today) is late


def _never_asked() -> bool:
    raise AssertionError("storage asked for an invalid upload")


def test_monthly_bad_month_comes_first() -> None:
    result = check_monthly(rr.KIND_ACTIVITY, b"", "example", "2024-13", TODAY, _never_asked)
    assert (result.code, result.message) == (
        rr.CODE_BAD_MONTH,
        "“2024-13” is not a report month (YYYY-MM).",
    )


def test_monthly_invalid_body_is_answered_without_asking_storage() -> None:
    body = samples.activity_csv(line_end="\n")
    result = check_monthly(rr.KIND_ACTIVITY, body, "example", "2024-05", TODAY, _never_asked)
    assert result.code == rr.CODE_STRUCTURE


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        (rr.KIND_ACTIVITY, samples.activity_csv()),
        (rr.KIND_TRANSACTIONS, samples.transactions_csv()),
    ],
)
def test_monthly_replacement_until_the_cutoff(kind: str, body: bytes) -> None:
    first = check_monthly(kind, body, "example", "2024-05", TODAY, lambda: False)
    assert first.ok and first.code == rr.CODE_OK
    replaced = check_monthly(kind, body, "example", "2024-05", TODAY, lambda: True)
    assert replaced.ok
    too_late = check_monthly(kind, body, "example", "2024-04", TODAY, lambda: True)
    assert too_late == RriResult(
        False,
        rr.CODE_REPLACED_AFTER_CUTOFF,
        "The 2024-04 report was already accepted and its cut-off has passed.",
        400,
    )
    assert check_monthly(kind, body, "example", "2024-04", TODAY, lambda: False).ok


def test_status_read() -> None:
    assert status_read(rr.KIND_ACTIVITY, "2024-05", "example", True) == RriResult(
        True, rr.CODE_OK, "registry-functions-activity 2024-05 for example was received.", 200
    )
    assert status_read(rr.KIND_ESCROW_REPORT, "2024-05-02", "example", False) == RriResult(
        False,
        rr.CODE_STRUCTURE,
        "No registry-escrow-report 2024-05-02 for example was received.",
        404,
    )


def test_interface_disabled_is_2007() -> None:
    # icann-client rri/iirdeaResponse.go: ResultInterfaceDisabled, the one retryable code.
    assert interface_refusal("example", False) is None
    refused = interface_refusal("example", True)
    assert refused is not None
    assert (refused.code, refused.http_status) == (rr.CODE_INTERFACE_DISABLED, 400)
    assert refused.message.startswith("Interface disabled for this TLD")


def test_monthly_month_before_the_tld_is_2008() -> None:
    # icann-client rri/iirdeaResponse.go: ResultDateBeforeTLDCreation.
    body = samples.activity_csv()
    created = date(2024, 5, 10)
    early = check_monthly(
        rr.KIND_ACTIVITY, body, "example", "2024-04", TODAY, _never_asked, created=created
    )
    assert early.code == rr.CODE_BEFORE_TLD_CREATION
    assert "2024-05-10" in early.message
    same_month = check_monthly(
        rr.KIND_ACTIVITY, body, "example", "2024-05", TODAY, lambda: False, created=created
    )
    assert same_month.ok


def test_monthly_transactions_registrars_are_checked() -> None:
    body = samples.transactions_csv()
    refused = check_monthly(
        rr.KIND_TRANSACTIONS, body, "example", "2024-05", TODAY, _never_asked, registrars={292}
    )
    assert refused.code == rr.CODE_REGISTRAR_NOT_ACCREDITED
    # The activity report names no registrar: the list is not consulted.
    activity = check_monthly(
        rr.KIND_ACTIVITY,
        samples.activity_csv(),
        "example",
        "2024-05",
        TODAY,
        lambda: False,
        registrars=set(),
    )
    assert activity.ok
