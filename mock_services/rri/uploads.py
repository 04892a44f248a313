"""What the mock RRI server decides around a report body (harness choices where the published
material is silent). Pure: the views hand in what they read from the request and the database.

* A Content-Type the report kind does not take is 2001, checked before the body is read. No
  Content-Type at all is accepted and the body decides (real uploaders such as getnamingo's
  send none); parameters such as ``charset=utf-8`` are ignored (the body must be UTF-8).
* A TLD whose scenario disables the interface gets 2007 on every RRI request (after
  authentication); a report month that ends before the TLD's creation date is 2008.
* A monthly report may be replaced until the 20th of the month after the report month (its due
  date); after that a replacement is refused with 2002.
* Accepted bodies are stored byte for byte. The status key is the month for monthly reports,
  the watermark date for escrow reports and the ``repDate`` for notifications (``key`` of the
  validation result); a status read answers 200 with 1000 when something was received under
  that key, else 404 (bare: only 200 and 400 answers carry an iirdea body).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date

from .reports import (
    CODE_BAD_MONTH,
    CODE_BEFORE_TLD_CREATION,
    CODE_INTERFACE_DISABLED,
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
    refusal_text,
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
REPLACE_UNTIL_DAY = 20


def interface_refusal(tld: str, disabled: bool) -> RriResult | None:
    """2007 when the TLD's scenario disables the interface."""
    if not disabled:
        return None
    return failure(
        CODE_INTERFACE_DISABLED,
        refusal_text(CODE_INTERFACE_DISABLED, f"the scenario of .{tld} disables the RRI"),
    )


def content_type_refusal(
    kind: str, mimetype: str | None, content_type: str | None
) -> RriResult | None:
    """2001 when ``mimetype`` (the Content-Type without parameters) is given and is not one
    ``kind`` takes."""
    allowed = CONTENT_TYPES[kind]
    if not mimetype or mimetype.lower() in allowed:
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
    *,
    created: date | None = None,
    registrars: Collection[int] | None = None,
) -> RriResult:
    """A monthly report PUT: the month in the URL (2111, then 2008 against the TLD's creation
    date ``created`` when known), the body (a transactions report's registrars against
    ``registrars`` when given: 2102), then the replacement cut-off (2002; ``already_accepted``
    is asked only for a valid body)."""
    parsed = parse_month(month)
    if parsed is None:
        return failure(CODE_BAD_MONTH, f"“{month}” is not a report month (YYYY-MM).")
    if created is not None and parsed < (created.year, created.month):
        return failure(
            CODE_BEFORE_TLD_CREATION,
            refusal_text(
                CODE_BEFORE_TLD_CREATION,
                f"month {month} ends before the TLD was created on {created.isoformat()}",
            ),
        )
    if kind == KIND_TRANSACTIONS:
        result = validate_transactions_report(body, tld, month, today, registrars=registrars)
    else:
        result = validate_activity_report(body, tld, month, today)
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
