"""What the mock RRI server decides around a report body (harness choices where the published
material is silent). Pure: the views hand in what they read from the request and the database.

* A Content-Type the report kind does not take is 2001, checked before the body is read.
* A monthly report may be replaced until the 20th of the month after the report month (its due
  date); after that a replacement is refused with 2002.
* Accepted bodies are stored byte for byte. The status key is the month for monthly reports and
  the UTC date of receipt for escrow reports and notifications; a status read answers 200 with
  1000 when something was received under that key, else 404 with 2001.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from .reports import (
    CODE_BAD_MONTH,
    CODE_OK,
    CODE_REPLACED_AFTER_CUTOFF,
    CODE_STRUCTURE,
    KIND_ACTIVITY,
    KIND_ESCROW_NOTIFICATION,
    KIND_ESCROW_REPORT,
    KIND_TRANSACTIONS,
    RriResult,
    failure,
    parse_month,
    validate_activity_report,
    validate_transactions_report,
)

# The Content-Types each kind takes; a refusal names the first.
CSV_TYPES: tuple[str, ...] = ("text/csv",)
XML_TYPES: tuple[str, ...] = ("text/xml", "application/xml")
CONTENT_TYPES: dict[str, tuple[str, ...]] = {
    KIND_TRANSACTIONS: CSV_TYPES,
    KIND_ACTIVITY: CSV_TYPES,
    KIND_ESCROW_REPORT: XML_TYPES,
    KIND_ESCROW_NOTIFICATION: XML_TYPES,
}
MONTHLY_VALIDATORS: dict[str, Callable[[bytes, str, str, date], RriResult]] = {
    KIND_TRANSACTIONS: validate_transactions_report,
    KIND_ACTIVITY: validate_activity_report,
}
REPLACE_UNTIL_DAY = 20


def content_type_refusal(
    kind: str, mimetype: str | None, content_type: str | None
) -> RriResult | None:
    """2001 when ``mimetype`` (the Content-Type without parameters) is not one ``kind`` takes."""
    allowed = CONTENT_TYPES[kind]
    if (mimetype or "").lower() in allowed:
        return None
    return failure(
        CODE_STRUCTURE, f"Content-Type must be {allowed[0]}, not {content_type or 'none'}."
    )


def after_cutoff(year: int, month: int, today: date) -> bool:
    """Whether ``today`` is past the due date of the report for ``year``-``month``."""
    due_year, due_month = (year + 1, 1) if month == 12 else (year, month + 1)
    return today > date(due_year, due_month, REPLACE_UNTIL_DAY)


def check_monthly(
    kind: str,
    body: bytes,
    tld: str,
    month: str,
    today: date,
    already_accepted: Callable[[], bool],
) -> RriResult:
    """A monthly report PUT: the month in the URL (2111), the body, then the replacement
    cut-off (2002; ``already_accepted`` is asked only for a valid body)."""
    parsed = parse_month(month)
    if parsed is None:
        return failure(CODE_BAD_MONTH, f"“{month}” is not a report month (YYYY-MM).")
    result = MONTHLY_VALIDATORS[kind](body, tld, month, today)
    if result.ok and already_accepted() and after_cutoff(*parsed, today):
        return failure(
            CODE_REPLACED_AFTER_CUTOFF,
            f"The {month} report was already accepted and its cut-off has passed.",
        )
    return result


def status_read(kind: str, key: str, tld: str, received: bool) -> RriResult:
    """The answer of ``HEAD/GET /info/report/<kind>/<tld>/<key>``."""
    if received:
        return RriResult(True, CODE_OK, f"{kind} {key} for {tld} was received.", 200)
    return RriResult(False, CODE_STRUCTURE, f"No {kind} {key} for {tld} was received.", 404)
