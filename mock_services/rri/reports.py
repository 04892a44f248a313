"""Validation of the report bodies the mock RRI server receives: the Registry Functions Activity
and Per-Registrar Transactions reports (CSV), the escrow report and the escrow agent
notification (XML).

Pure: no Flask, no database. Each ``validate_*`` function returns an :class:`RriResult` whose
``code`` is the iirdea result code (1000 on success) and whose ``message`` says precisely what
is wrong (line, column, field, element). :func:`response_xml` renders the iirdea answer.

Decisions (where the published material is silent):

* Checks run in this order: URL parameters (month 2111 / 2004), UTF-8 (2105), then the body.
  Within a body the first problem found is reported (CSV: line by line, left to right, then
  the Totals line, then 2102; XML: the whole structure first, 2001 and 2209, then the
  business rules 2005, 2006, 2212 (header tld), 2202, 2004, 2008, 2211, 2206, 2212/2210
  (rcdn), 2205). A refusal with a code added for fidelity starts with the code's text
  (``CODE_TEXT``; ICANN's own where a client quotes it) and says the detail in parentheses.
* CSV (RFC 4180): every line break must be CRLF; a bare LF or CR anywhere is 2001 ("lines
  must end with CRLF"). The final CRLF is optional, as RFC 4180 allows. Empty lines, line
  breaks inside quoted fields, a UTF-8 byte order mark and an empty body are 2001. Header
  names are exact (case and spaces count). Values are decimal digits only (no sign, no
  spaces, no empty value): ``-N`` is 2003, anything else 2001. ``zfa-passwords`` may be
  exactly ``CZDS``. Transactions: registrar lines need a non-empty name and an ``iana-id``
  (non-negative integer) seen once only; the last line, and only it, starts with ``Totals``.
  With no registrar line the totals must all be 0. Given the list of accredited registrars,
  an ``iana-id`` neither in it nor reserved (9997-9999) is 2102; every such line is named.
* XML is parsed with defusedxml and any DOCTYPE is refused (so entity declarations, external
  entities and entity-expansion bombs never get expanded): 2001. A declared encoding other
  than UTF-8 is 2105. Comments and processing instructions are ignored; text between
  elements, child elements inside simple values and attributes other than ``xsi:*`` (and
  ``uri``/``rcdn``/``registrarId`` on ``count``) are 2001. Values are whitespace-trimmed
  (XSD token/collapse semantics).
* Escrow report: a malformed body ``id`` is 2001, a well-formed one that differs from the URL
  id is 2006. ``version`` other than ``1`` (even non-numeric) is 2005. Negative ``resend`` or
  ``count`` values are 2001 (the schema types are unsigned; 2003 is the CSV code). dateTimes
  without a time zone are taken as UTC; ``crDate``/``watermark`` later than ``now`` (plus an
  optional ``tolerance``, default 0) are 2004; dated (UTC) before the TLD's creation date,
  when one is given, 2008. An empty or missing ``rdeHeader:tld`` is 2209; one that is no valid
  label 2212. TLDs are compared as lower-case A-labels. Counts of both domain models
  (``csvDomain`` and ``rdeDomain``) are 2206. An ``rcdn`` must be a valid name (else 2212) and
  the TLD or a name under it (else 2210). A DIFF or INCR whose watermark (UTC) falls on a
  Sunday is 2205: the registry agreement's Specification 2 wants a Full Deposit each Sunday.
* Escrow agent notification: ``reDate``, ``vaDate``, ``lastFullDate`` and the embedded report
  are optional (``minOccurs="0"`` in the rde-notification schema; a DRFN carries none but
  ``lastFullDate``). The dates accept an xsd:date or an xsd:dateTime and are not checked
  against the clock; ``results`` content is not inspected. A ``repDate`` before the TLD's
  creation is 2008. An embedded report is validated like a PUT one without the id comparison
  (its tld must still equal the URL tld).
* An accepted escrow body's ``key`` is the date its status read finds it under: the
  watermark's UTC date for a report, the ``repDate`` for a notification.
* 2002 (replaced after the cut-off) depends on stored state: ``uploads`` decides it with what
  the server has stored; the code is only exported here.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import escape

import defusedxml
import defusedxml.ElementTree as SafeET
import idna

from portal.core.endpoints import (
    KIND_ACTIVITY,
    KIND_ESCROW_NOTIFICATION,
    KIND_ESCROW_REPORT,
    KIND_TRANSACTIONS,
)
from portal.core.validation import validate_domain_name

# --------------------------------------------------------------------------- result codes

CODE_OK = 1000
CODE_STRUCTURE = 2001  # also a status read that finds nothing, and any HTTP error
CODE_REPLACED_AFTER_CUTOFF = 2002
CODE_NEGATIVE_VALUE = 2003
CODE_NOT_YET = 2004  # month not ended / date in the future
CODE_VERSION = 2005
CODE_ID_MISMATCH = 2006
CODE_INTERFACE_DISABLED = 2007
CODE_BEFORE_TLD_CREATION = 2008
CODE_TOTALS_MISMATCH = 2101
CODE_REGISTRAR_NOT_ACCREDITED = 2102
CODE_TOTALS_SECOND_FIELD = 2103
CODE_NOT_UTF8 = 2105
CODE_BAD_MONTH = 2111
CODE_TLD_MISMATCH = 2202
CODE_UNEXPECTED_DIFF = 2205
CODE_BOTH_DOMAIN_MODELS = 2206
CODE_TLD_MISSING = 2209
CODE_UNEXPECTED_RCDN = 2210
CODE_DUPLICATE_COUNT = 2211
CODE_BAD_NAME = 2212
CODE_DATE_BEFORE_GET = 2214

# The title of each code. Where a client quotes the text ICANN sends (icann-client's README
# and tests: 2205, 2214; 2007 as its tests stub it), the title is that text and a refusal's
# message starts with it; the others are the harness's wording.
CODE_TEXT: dict[int, str] = {
    CODE_OK: "Command completed successfully",
    CODE_STRUCTURE: "The report does not have the expected structure",
    CODE_REPLACED_AFTER_CUTOFF: "The report cannot be replaced after the cut-off date",
    CODE_NEGATIVE_VALUE: "A value is negative",
    CODE_NOT_YET: "The report period has not ended or a date is in the future",
    CODE_VERSION: "Unsupported version",
    CODE_ID_MISMATCH: "The report id does not match the id in the URL",
    CODE_INTERFACE_DISABLED: "Interface disabled for this TLD",
    CODE_BEFORE_TLD_CREATION: "The report is dated before the creation of the TLD",
    CODE_TOTALS_MISMATCH: "The Totals line does not match the sum of the registrar lines",
    CODE_REGISTRAR_NOT_ACCREDITED: "A registrar in the report is not ICANN-accredited",
    CODE_TOTALS_SECOND_FIELD: "The second field of the Totals line must be empty",
    CODE_NOT_UTF8: "The body is not UTF-8",
    CODE_BAD_MONTH: "Bad month in the URL",
    CODE_TLD_MISMATCH: "The header tld does not match the tld in the URL",
    CODE_UNEXPECTED_DIFF: (
        "Report regarding a differential deposit received when a full deposit was expected"
    ),
    CODE_BOTH_DOMAIN_MODELS: "Both csvDomain and rdeDomain counts were provided",
    CODE_TLD_MISSING: "The header has no tld",
    CODE_UNEXPECTED_RCDN: "A count element carries an unexpected rcdn attribute",
    CODE_DUPLICATE_COUNT: "Duplicate count element in the header",
    CODE_BAD_NAME: "Invalid label or domain name syntax",
    CODE_DATE_BEFORE_GET: (
        "The queried date is earlier than the production deployment of this feature."
    ),
}


def refusal_text(code: int, detail: str) -> str:
    """A refusal's message: the code's title, then what exactly is wrong."""
    return f"{CODE_TEXT[code]} ({detail})"


NS_IIRDEA = "urn:ietf:params:xml:ns:iirdea-1.0"
NS_REPORT = "urn:ietf:params:xml:ns:rdeReport-1.0"
NS_HEADER = "urn:ietf:params:xml:ns:rdeHeader-1.0"
NS_NOTIFICATION = "urn:ietf:params:xml:ns:rdeNotification-1.0"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_PREFIX = {
    NS_REPORT: "rdeReport",
    NS_HEADER: "rdeHeader",
    NS_NOTIFICATION: "rdeNotification",
    NS_IIRDEA: "iirdea",
}

# --------------------------------------------------------------------------- column sets

_SRS = (
    "srs-dom-check",
    "srs-dom-create",
    "srs-dom-delete",
    "srs-dom-info",
    "srs-dom-renew",
    "srs-dom-rgp-restore-report",
    "srs-dom-rgp-restore-request",
    "srs-dom-transfer-approve",
    "srs-dom-transfer-cancel",
    "srs-dom-transfer-query",
    "srs-dom-transfer-reject",
    "srs-dom-transfer-request",
    "srs-dom-update",
    "srs-host-check",
    "srs-host-create",
    "srs-host-delete",
    "srs-host-info",
    "srs-host-update",
    "srs-cont-check",
    "srs-cont-create",
    "srs-cont-delete",
    "srs-cont-info",
    "srs-cont-transfer-approve",
    "srs-cont-transfer-cancel",
    "srs-cont-transfer-query",
    "srs-cont-transfer-reject",
    "srs-cont-transfer-request",
    "srs-cont-update",
)
_ACTIVITY_MIDDLE = (
    "zfa-passwords",
    "whois-43-queries",
    "web-whois-queries",
    "searchable-whois-queries",
    "dns-udp-queries-received",
    "dns-udp-queries-responded",
    "dns-tcp-queries-received",
    "dns-tcp-queries-responded",
    *_SRS,
)

#: Known activity column sets, tried in this order (the first is the current one).
ACTIVITY_COLUMN_SETS: dict[str, tuple[str, ...]] = {
    "current": ("operational-registrars", *_ACTIVITY_MIDDLE, "rdap-queries"),
    "without-rdap": ("operational-registrars", *_ACTIVITY_MIDDLE),
    "2013": (
        "operational-registrars",
        "ramp-up-registrars",
        "pre-ramp-up-registrars",
        *_ACTIVITY_MIDDLE,
    ),
}

TRANSACTIONS_COLUMNS: tuple[str, ...] = (
    "registrar-name",
    "iana-id",
    "total-domains",
    "total-nameservers",
    *(f"net-adds-{n}-yr" for n in range(1, 11)),
    *(f"net-renews-{n}-yr" for n in range(1, 11)),
    "transfer-gaining-successful",
    "transfer-gaining-nacked",
    "transfer-losing-successful",
    "transfer-losing-nacked",
    "transfer-disputed-won",
    "transfer-disputed-lost",
    "transfer-disputed-nodecision",
    "deleted-domains-grace",
    "deleted-domains-nograce",
    "restored-domains",
    "restored-noreport",
    "agp-exemption-requests",
    "agp-exemptions-granted",
    "agp-exempted-domains",
    "attempted-adds",
)
TRANSACTIONS_COLUMN_SETS: dict[str, tuple[str, ...]] = {"current": TRANSACTIONS_COLUMNS}

ESCROW_KINDS = ("FULL", "INCR", "DIFF")
NOTIFICATION_STATUSES = ("DVPN", "DVFN", "DRFN")
REPORT_ID_RE = re.compile(r"\w{1,13}", re.ASCII)

# --------------------------------------------------------------------------- result


@dataclass(frozen=True)
class RriResult:
    ok: bool
    code: int  # 1000 on success, else the iirdea error code
    message: str  # human-readable, precise (which line/field/column)
    http_status: int  # 200 on success, 400 on error
    key: str | None = None  # accepted escrow bodies: the date a status read finds them under


def success(message: str) -> RriResult:
    return RriResult(True, CODE_OK, message, 200)


def failure(code: int, message: str) -> RriResult:
    return RriResult(False, code, message, 400)


class _Reject(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


_XML_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# The statuses whose answer is an iirdea body; any other answer is bare. nomulus
# IcannHttpReporter.send: "Only responses with a 200 or 400 status have a body" (after
# draft-lozano-icann-registry-interfaces-13).
IIRDEA_STATUSES = frozenset({200, 400})


def response_xml(result: RriResult) -> bytes:
    """The iirdea answer body for ``result`` (UTF-8, message XML-escaped)."""
    msg = escape(_XML_ILLEGAL.sub("\ufffd", result.message))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<response xmlns="{NS_IIRDEA}">\n'
        f'  <result code="{int(result.code)}">\n'
        f"    <msg>{msg}</msg>\n"
        "  </result>\n"
        "</response>\n"
    ).encode()


def _show(value: str, limit: int = 60) -> str:
    """A user-supplied value, quoted and shortened, safe to put in a message."""
    text = value if len(value) <= limit else value[:limit] + "…"
    return repr(text)


# --------------------------------------------------------------------------- shared checks

_MONTH_RE = re.compile(r"(\d{4})-(\d{2})", re.ASCII)


def parse_month(text: str) -> tuple[int, int] | None:
    """``"YYYY-MM"`` → ``(year, month)``; ``None`` when malformed (month 00 or 13, year 0000)."""
    m = _MONTH_RE.fullmatch(text or "")
    if not m:
        return None
    year, month = int(m.group(1)), int(m.group(2))
    if year < 1 or not 1 <= month <= 12:
        return None
    return year, month


def _check_month(month: str, today: date) -> tuple[int, int]:
    parsed = parse_month(month)
    if parsed is None:
        raise _Reject(
            CODE_BAD_MONTH, f"month {_show(month)} in the URL is not a valid YYYY-MM month"
        )
    if parsed >= (today.year, today.month):
        raise _Reject(
            CODE_NOT_YET,
            f"month {month} has not ended yet (today is {today.isoformat()}); "
            "a monthly report can be sent from the first day of the next month",
        )
    return parsed


def _decode_utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        raise _Reject(
            CODE_NOT_UTF8,
            f"body is not valid UTF-8: byte 0x{body[exc.start]:02x} at offset {exc.start} "
            f"(line {line}) ({exc.reason})",
        ) from None


def _refuse(code: int, detail: str) -> _Reject:
    return _Reject(code, refusal_text(code, detail))


def _run(check: Callable[[], str]) -> RriResult:
    try:
        return success(check())
    except _Reject as rej:
        return failure(rej.code, rej.message)


def _alabel(name: str) -> str:
    name = name.strip()
    try:
        return idna.encode(name, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError, ValueError):
        return name.lower()


# --------------------------------------------------------------------------- CSV reports

# IANA registrar ids a transactions report may use without an accredited registrar: ICANN's SLA
# monitoring registrar (9997), and the registry acting as registrar, billable (9998) and
# non-billable (9999) (Specification 3 field 02 and the IANA registrar id registry).
RESERVED_REGISTRAR_IDS: frozenset[int] = frozenset({9997, 9998, 9999})


def accredited(iana_id: int, registrars: Collection[int]) -> bool:
    """Whether a transactions report line may name ``iana_id``."""
    return iana_id in registrars or iana_id in RESERVED_REGISTRAR_IDS


def _csv_rows(body: bytes) -> list[tuple[int, list[str]]]:
    """Decoded, CRLF-checked CSV rows as ``(line number, fields)``; header first."""
    text = _decode_utf8(body)
    if not text:
        raise _Reject(CODE_STRUCTURE, "the body is empty; a header line is required")
    if text.startswith("\ufeff"):
        raise _Reject(
            CODE_STRUCTURE, "the body starts with a UTF-8 byte order mark; send it without one"
        )
    for m in re.finditer(r"\r(?!\n)|(?<!\r)\n", text):
        line = text.count("\n", 0, m.start()) + 1
        what = "bare CR" if m.group() == "\r" else "bare LF"
        raise _Reject(CODE_STRUCTURE, f"line {line} ends with a {what}; lines must end with CRLF")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    try:
        start = 1
        for fields in reader:
            if not fields:
                raise _Reject(CODE_STRUCTURE, f"line {start} is empty")
            if reader.line_num != start or any("\n" in f or "\r" in f for f in fields):
                raise _Reject(
                    CODE_STRUCTURE, f"line {start}: line breaks inside a field are not accepted"
                )
            rows.append((start, fields))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise _Reject(
            CODE_STRUCTURE, f"line {reader.line_num}: not valid CSV (RFC 4180): {exc}"
        ) from None
    return rows


def _header_problem(header: Sequence[str], expected: Sequence[str]) -> str:
    for i, (got, want) in enumerate(zip(header, expected, strict=False)):
        if got == want:
            continue
        pos = i + 1
        if got.strip().lower() == want:
            return (
                f"header column {pos} is {_show(got)}, expected {want!r} "
                "(column names are exact: case and spaces count)"
            )
        if got in expected and want not in header:
            return f"header is missing column {want!r} (expected at position {pos})"
        if got in expected:
            return f"header column {pos} is {got!r} out of order; expected {want!r}"
        return f"unexpected header column {_show(got)} at position {pos}; expected {want!r}"
    if len(header) < len(expected):
        return (
            f"header is missing column {expected[len(header)]!r} "
            f"(expected at position {len(header) + 1})"
        )
    extra = header[len(expected)]
    return f"unexpected header column {_show(extra)} at position {len(expected) + 1}"


def _match_header(header: list[str], sets: dict[str, tuple[str, ...]], kind: str) -> str:
    for name, columns in sets.items():
        if tuple(header) == columns:
            return name

    def common_prefix(columns: tuple[str, ...]) -> int:
        n = 0
        for got, want in zip(header, columns, strict=False):
            if got != want:
                break
            n += 1
        return n

    closest_name = max(sets, key=lambda n: common_prefix(sets[n]))  # first wins on ties
    known = ", ".join(f"{n} ({len(c)} columns)" for n, c in sets.items())
    raise _Reject(
        CODE_STRUCTURE,
        f"line 1: {_header_problem(header, sets[closest_name])} "
        f"[{kind} header compared with the {closest_name!r} column set; known sets: {known}]",
    )


def _integer(value: str, line: int, column: str, pos: int) -> int:
    if value.isascii() and value.isdigit():
        return int(value)
    where = f"line {line}, column {column!r} (field {pos})"
    if value.startswith("-") and value[1:].isascii() and value[1:].isdigit():
        raise _Reject(CODE_NEGATIVE_VALUE, f"{where}: value {value} is negative")
    if value == "":
        raise _Reject(CODE_STRUCTURE, f"{where}: value is empty; expected an integer")
    raise _Reject(CODE_STRUCTURE, f"{where}: value {_show(value)} is not a non-negative integer")


def _field_count(line: int, fields: list[str], header: list[str]) -> None:
    if len(fields) != len(header):
        raise _Reject(
            CODE_STRUCTURE,
            f"line {line} has {len(fields)} fields but the header has {len(header)}",
        )


def validate_activity_report(body: bytes, tld: str, month: str, today: date) -> RriResult:
    """``PUT /report/registry-functions-activity/<tld>/<YYYY-MM>``."""

    def check() -> str:
        _check_month(month, today)
        rows = _csv_rows(body)
        header = rows[0][1]
        column_set = _match_header(header, ACTIVITY_COLUMN_SETS, KIND_ACTIVITY)
        data = rows[1:]
        if len(data) != 1:
            raise _Reject(
                CODE_STRUCTURE,
                f"exactly one data line is expected after the header, found {len(data)}",
            )
        line, fields = data[0]
        _field_count(line, fields, header)
        for pos, (column, value) in enumerate(zip(header, fields, strict=True), start=1):
            if column == "zfa-passwords" and value == "CZDS":
                continue
            _integer(value, line, column, pos)
        return (
            f"{CODE_TEXT[CODE_OK]}: {KIND_ACTIVITY} report for {tld} {month} accepted "
            f"({column_set!r} column set)"
        )

    return _run(check)


def validate_transactions_report(
    body: bytes, tld: str, month: str, today: date, *, registrars: Collection[int] | None = None
) -> RriResult:
    """``PUT /report/registrar-transactions/<tld>/<YYYY-MM>``; with ``registrars`` (the IANA ids
    of accredited registrars) a line whose ``iana-id`` is neither listed nor reserved is 2102."""

    def check() -> str:
        _check_month(month, today)
        rows = _csv_rows(body)
        header = rows[0][1]
        _match_header(header, TRANSACTIONS_COLUMN_SETS, KIND_TRANSACTIONS)
        if len(rows) < 2:
            raise _Reject(
                CODE_STRUCTURE, "the Totals line is missing (the last line must start with Totals)"
            )
        registrar_rows, (totals_line, totals) = rows[1:-1], rows[-1]
        n_sum = len(header) - 2
        sums = [0] * n_sum
        seen_ids: dict[int, int] = {}
        unaccredited: list[str] = []
        for line, fields in registrar_rows:
            _field_count(line, fields, header)
            name = fields[0]
            if name == "Totals":
                raise _Reject(
                    CODE_STRUCTURE,
                    f"line {line} is a Totals line but is not the last line; "
                    "the Totals line must come after all registrar lines",
                )
            if not name.strip():
                raise _Reject(
                    CODE_STRUCTURE, f"line {line}, column 'registrar-name' (field 1): empty"
                )
            iana_id = _integer(fields[1], line, "iana-id", 2)
            if iana_id in seen_ids:
                raise _Reject(
                    CODE_STRUCTURE,
                    f"line {line}: iana-id {iana_id} already reported on line "
                    f"{seen_ids[iana_id]}; one line per registrar",
                )
            seen_ids[iana_id] = line
            if registrars is not None and not accredited(iana_id, registrars):
                unaccredited.append(f"iana-id {iana_id} ({_show(name)}, line {line})")
            for i in range(n_sum):
                sums[i] += _integer(fields[i + 2], line, header[i + 2], i + 3)
        _field_count(totals_line, totals, header)
        if totals[0] != "Totals":
            hint = " (case counts)" if totals[0].strip().lower() == "totals" else ""
            raise _Reject(
                CODE_STRUCTURE,
                f"line {totals_line}: the last line must be the Totals line, whose first "
                f"field is 'Totals'{hint}; found {_show(totals[0])}",
            )
        if totals[1] != "":
            raise _Reject(
                CODE_TOTALS_SECOND_FIELD,
                f"line {totals_line} (Totals): the second field (iana-id) must be empty, "
                f"found {_show(totals[1])}",
            )
        for i in range(n_sum):
            column = header[i + 2]
            value = _integer(totals[i + 2], totals_line, column, i + 3)
            if value != sums[i]:
                raise _Reject(
                    CODE_TOTALS_MISMATCH,
                    f"line {totals_line} (Totals), column {column!r}: total is {value} but "
                    f"the {len(registrar_rows)} registrar line(s) sum to {sums[i]}",
                )
        if unaccredited:
            raise _refuse(
                CODE_REGISTRAR_NOT_ACCREDITED,
                f"{'; '.join(unaccredited)}: not in the harness's list of ICANN-accredited "
                "registrars (`tlsauth registrar list`)",
            )
        return (
            f"{CODE_TEXT[CODE_OK]}: {KIND_TRANSACTIONS} report for {tld} {month} accepted "
            f"({len(registrar_rows)} registrar line(s))"
        )

    return _run(check)


# --------------------------------------------------------------------------- XML reports

_DECL_ENCODING_RE = re.compile(
    r"""\A\ufeff?<\?xml[^>]*?\bencoding\s*=\s*["']([^"']*)["']""", re.ASCII
)
_DATETIME_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?", re.ASCII
)
_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(Z|[+-]\d{2}:\d{2})?", re.ASCII)


def _xml_root(body: bytes) -> Element:
    text = _decode_utf8(body)
    m = _DECL_ENCODING_RE.match(text)
    if m and m.group(1).lower() not in ("utf-8", "utf8"):
        raise _Reject(
            CODE_NOT_UTF8,
            f"the XML declaration declares encoding {_show(m.group(1))}; only UTF-8 is accepted",
        )
    if not text.strip():
        raise _Reject(CODE_STRUCTURE, "the body is empty; an XML document is required")
    try:
        return SafeET.fromstring(body, forbid_dtd=True)
    except defusedxml.DTDForbidden:
        reason = "document type declarations (DOCTYPE) are not accepted"
    except defusedxml.EntitiesForbidden:
        reason = "entity declarations are not accepted"
    except defusedxml.ExternalReferenceForbidden:
        reason = "external references are not accepted"
    except defusedxml.DefusedXmlException as exc:
        reason = f"refused: {exc}"
    except ParseError as exc:
        line, col = exc.position
        what = str(exc).rsplit(": line ", 1)[0]
        raise _Reject(
            CODE_STRUCTURE, f"XML is not well-formed: {what} (line {line}, column {col + 1})"
        ) from None
    raise _Reject(
        CODE_STRUCTURE,
        f"XML {reason} (entity declarations and external entities are refused)",
    )


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


def _name(tag: str) -> str:
    ns, local = _split(tag)
    if ns in _PREFIX:
        return f"{_PREFIX[ns]}:{local}"
    return f"{{{ns}}}{local}" if ns else local


def _qn(ns: str, local: str) -> str:
    return f"{{{ns}}}{local}"


def _no_mixed_text(elem: Element) -> None:
    pieces = [(elem.text, elem)] + [(child.tail, child) for child in elem]
    for text, _where in pieces:
        if text and text.strip():
            raise _Reject(
                CODE_STRUCTURE,
                f"unexpected text {_show(text.strip())} inside <{_name(elem.tag)}>",
            )


def _attributes(elem: Element, allowed: Sequence[str] = ()) -> None:
    for attr in elem.attrib:
        if attr in allowed or _split(attr)[0] == NS_XSI:
            continue
        raise _Reject(
            CODE_STRUCTURE, f"unexpected attribute {_show(_name(attr))} on <{_name(elem.tag)}>"
        )


def _leaf(elem: Element, allowed_attributes: Sequence[str] = ()) -> str:
    if len(elem):
        raise _Reject(
            CODE_STRUCTURE,
            f"<{_name(elem.tag)}> must hold a value, not child elements "
            f"(found <{_name(elem[0].tag)}>)",
        )
    _attributes(elem, allowed_attributes)
    return (elem.text or "").strip()


@dataclass(frozen=True)
class _Slot:
    tag: str  # Clark notation
    required: bool = True


def _sequence(parent: Element, slots: Sequence[_Slot]) -> dict[str, Element]:
    """Children of ``parent`` matched in order against ``slots`` (each at most once)."""
    _no_mixed_text(parent)
    found: dict[str, Element] = {}
    tags = [s.tag for s in slots]
    where = f"in <{_name(parent.tag)}>"
    i = 0
    for child in parent:
        if not isinstance(child.tag, str):  # comments / processing instructions
            continue
        if child.tag in found:
            raise _Reject(
                CODE_STRUCTURE, f"element <{_name(child.tag)}> appears more than once {where}"
            )
        if child.tag not in tags:
            _unexpected(child, slots[i] if i < len(slots) else None, tags, where)
        at = tags.index(child.tag)
        if at < i:
            raise _Reject(
                CODE_STRUCTURE,
                f"element <{_name(child.tag)}> is out of order {where}: it must come before "
                f"<{_name(next(t for t in tags[at + 1 :] if t in found))}>",
            )
        for slot in slots[i:at]:
            if slot.required and any(c.tag == slot.tag for c in parent):
                raise _Reject(
                    CODE_STRUCTURE,
                    f"element <{_name(slot.tag)}> is out of order {where}: it must come "
                    f"before <{_name(child.tag)}>",
                )
            if slot.required:
                raise _Reject(
                    CODE_STRUCTURE,
                    f"required element <{_name(slot.tag)}> missing {where} "
                    f"(before <{_name(child.tag)}>)",
                )
        found[child.tag] = child
        i = at + 1
    for slot in slots[i:]:
        if slot.required:
            raise _Reject(CODE_STRUCTURE, f"required element <{_name(slot.tag)}> missing {where}")
    return found


def _unexpected(child: Element, expected: _Slot | None, tags: list[str], where: str) -> None:
    ns, local = _split(child.tag)
    hint = ""
    for tag in tags:
        if _split(tag)[1] == local:
            hint = f" (<{_name(tag)}> must be in namespace {_split(tag)[0]}, found {ns or 'none'})"
    expect = f"; expected <{_name(expected.tag)}>" if expected is not None else ""
    raise _Reject(CODE_STRUCTURE, f"unexpected element <{_name(child.tag)}> {where}{expect}{hint}")


def _zone(text: str | None) -> timezone:
    if text is None or text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 14 or minutes > 59:
        raise ValueError("bad time zone offset")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _datetime(value: str, field: str) -> datetime:
    m = _DATETIME_RE.fullmatch(value)
    try:
        if not m:
            raise ValueError
        frac = (m.group(7) or "0")[:6].ljust(6, "0")
        return datetime(
            *(int(m.group(n)) for n in range(1, 7)),
            int(frac),
            tzinfo=_zone(m.group(8)),
        ).astimezone(UTC)
    except ValueError:
        raise _Reject(
            CODE_STRUCTURE,
            f"<{field}> value {_show(value)} is not an xsd:dateTime (e.g. 2024-05-01T00:00:00Z)",
        ) from None


def _date_or_datetime(value: str, field: str, allow_datetime: bool) -> date:
    """The date ``value`` names: an xsd:date as written, an xsd:dateTime's UTC date."""
    m = _DATE_RE.fullmatch(value)
    if m:
        try:
            day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            _zone(m.group(4))
            return day
        except ValueError:
            pass
    elif allow_datetime and _DATETIME_RE.fullmatch(value):
        return _datetime(value, field).date()
    expect = "an xsd:date or xsd:dateTime" if allow_datetime else "an xsd:date (e.g. 2024-05-01)"
    raise _Reject(CODE_STRUCTURE, f"<{field}> value {_show(value)} is not {expect}")


def _non_negative(value: str, field: str) -> int:
    if value.isascii() and value.isdigit():
        return int(value)
    raise _Reject(CODE_STRUCTURE, f"<{field}> value {_show(value)} is not a non-negative integer")


@dataclass(frozen=True)
class _Count:
    uri: str
    rcdn: str | None
    registrar_id: str | None
    value: int


@dataclass(frozen=True)
class _Report:
    """What the business rules read of a well-formed ``rdeReport:report``."""

    id: str
    version: str
    kind: str
    cr_date: datetime
    watermark: datetime
    tld: str
    counts: tuple[_Count, ...]


def _parse_report(report: Element) -> _Report:
    """The structure of an ``rdeReport:report`` element (2001, 2209)."""
    r = lambda local: _qn(NS_REPORT, local)  # noqa: E731
    _attributes(report)
    parts = _sequence(
        report,
        [
            _Slot(r("id")),
            _Slot(r("version")),
            _Slot(r("rydeSpecEscrow")),
            _Slot(r("rydeSpecMapping"), required=False),
            _Slot(r("resend")),
            _Slot(r("crDate")),
            _Slot(r("kind")),
            _Slot(r("watermark")),
            _Slot(_qn(NS_HEADER, "header")),
        ],
    )
    body_id = _leaf(parts[r("id")])
    if not REPORT_ID_RE.fullmatch(body_id):
        raise _Reject(
            CODE_STRUCTURE,
            f"<rdeReport:id> value {_show(body_id)} is not a valid id (1 to 13 of A-Z a-z 0-9 _)",
        )
    version = _leaf(parts[r("version")])
    for local in ("rydeSpecEscrow", "rydeSpecMapping"):
        if r(local) in parts and not _leaf(parts[r(local)]):
            raise _Reject(CODE_STRUCTURE, f"<rdeReport:{local}> is empty")
    _non_negative(_leaf(parts[r("resend")]), "rdeReport:resend")
    cr_date = _datetime(_leaf(parts[r("crDate")]), "rdeReport:crDate")
    kind = _leaf(parts[r("kind")])
    if kind not in ESCROW_KINDS:
        raise _Reject(
            CODE_STRUCTURE,
            f"<rdeReport:kind> value {_show(kind)} is not one of {', '.join(ESCROW_KINDS)}",
        )
    watermark = _datetime(_leaf(parts[r("watermark")]), "rdeReport:watermark")
    header = parts[_qn(NS_HEADER, "header")]
    _attributes(header)
    _no_mixed_text(header)
    children = [c for c in header if isinstance(c.tag, str)]
    tld_tag, count_tag = _qn(NS_HEADER, "tld"), _qn(NS_HEADER, "count")
    if not any(c.tag == tld_tag for c in children):
        raise _Reject(CODE_TLD_MISSING, "<rdeHeader:header> has no <rdeHeader:tld>")
    if children[0].tag != tld_tag:
        raise _Reject(
            CODE_STRUCTURE,
            "<rdeHeader:tld> must be the first element of <rdeHeader:header> "
            f"(found <{_name(children[0].tag)}> first)",
        )
    header_tld = _leaf(children[0])
    if not header_tld:
        raise _Reject(CODE_TLD_MISSING, "<rdeHeader:tld> in <rdeHeader:header> is empty")
    counts: list[_Count] = []
    for n, child in enumerate(children[1:], start=1):
        if child.tag != count_tag:
            what = "appears more than once" if child.tag == tld_tag else "is not expected"
            raise _Reject(
                CODE_STRUCTURE,
                f"<{_name(child.tag)}> {what} in <rdeHeader:header>; after <rdeHeader:tld> "
                "only <rdeHeader:count> elements may follow",
            )
        text = _leaf(child, ("uri", "rcdn", "registrarId"))
        uri = child.get("uri", "").strip()
        if not uri:
            raise _Reject(
                CODE_STRUCTURE, f"<rdeHeader:count> number {n} has no (or an empty) uri attribute"
            )
        value = _non_negative(text, f"rdeHeader:count uri={uri}")
        counts.append(_Count(uri, child.get("rcdn"), child.get("registrarId"), value))
    if not counts:
        raise _Reject(
            CODE_STRUCTURE, "<rdeHeader:header> needs at least one <rdeHeader:count> element"
        )
    return _Report(body_id, version, kind, cr_date, watermark, header_tld, tuple(counts))


# Count URIs of the two domain object models a header may count, never both (2206).
_DOMAIN_MODELS = ("urn:ietf:params:xml:ns:csvDomain-", "urn:ietf:params:xml:ns:rdeDomain-")
_SUNDAY = 6


def _name_problem(name: str) -> str | None:
    """Why ``name`` is no valid (A-label or U-label) domain name, or None: the validation the
    portal applies to every name, with the name taken as the last labels of one."""
    checked = validate_domain_name(f"x.{name}", "name")
    if checked.value is None:
        return checked.errors[0].message
    if any(label.startswith("_") for label in checked.value.split(".")[1:]):
        return "an underscore may not begin a label here"
    return None


def _under(name: str, tld: str) -> bool:
    return name == tld or name.endswith("." + tld)


def _report_rules(
    report: _Report,
    tld: str,
    report_id: str | None,
    now: datetime,
    tolerance: timedelta,
    created: date | None,
) -> None:
    """The business rules, in the order they are checked; ``report_id`` None skips 2006."""
    if report.version != "1":
        raise _Reject(CODE_VERSION, f"<rdeReport:version> must be 1, found {_show(report.version)}")
    if report_id is not None and report.id != report_id:
        raise _Reject(
            CODE_ID_MISMATCH,
            f"<rdeReport:id> {_show(report.id)} differs from the id in the URL {_show(report_id)}",
        )
    problem = _name_problem(report.tld)
    if problem is not None or "." in report.tld.strip("."):
        why = problem or "a TLD is a single label"
        raise _refuse(CODE_BAD_NAME, f"<rdeHeader:tld> {_show(report.tld)}: {why}")
    if _alabel(report.tld) != _alabel(tld):
        raise _Reject(
            CODE_TLD_MISMATCH,
            f"<rdeHeader:tld> {_show(report.tld)} differs from the tld in the URL {_show(tld)}",
        )
    limit = now + tolerance
    for field, value in (("crDate", report.cr_date), ("watermark", report.watermark)):
        if value > limit:
            raise _Reject(
                CODE_NOT_YET,
                f"<rdeReport:{field}> {value.isoformat()} is in the future "
                f"(server time {now.isoformat()})",
            )
    for field, value in (("crDate", report.cr_date), ("watermark", report.watermark)):
        _not_before_creation(f"<rdeReport:{field}> {value.isoformat()}", value.date(), created)
    seen: set[tuple[str, str | None, str | None]] = set()
    for count in report.counts:
        key = (count.uri, count.rcdn, count.registrar_id)
        if key in seen:
            extra = "".join(
                f" {a}={v!r}" for a, v in zip(("rcdn", "registrarId"), key[1:], strict=True) if v
            )
            raise _Reject(
                CODE_DUPLICATE_COUNT,
                f"duplicate <rdeHeader:count> for uri={key[0]!r}{extra}",
            )
        seen.add(key)
    models = [m for m in _DOMAIN_MODELS if any(c.uri.startswith(m) for c in report.counts)]
    if len(models) > 1:
        raise _refuse(
            CODE_BOTH_DOMAIN_MODELS,
            "the header counts domains as csvDomain and as rdeDomain; count one model only",
        )
    header_tld = _alabel(report.tld)
    for count in report.counts:
        if count.rcdn is None:
            continue
        problem = _name_problem(count.rcdn.strip())
        if problem is not None:
            raise _refuse(
                CODE_BAD_NAME, f"rcdn {_show(count.rcdn)} on uri={count.uri!r}: {problem}"
            )
        if not _under(_alabel(count.rcdn), header_tld):
            raise _refuse(
                CODE_UNEXPECTED_RCDN,
                f"rcdn {_show(count.rcdn)} on uri={count.uri!r} is neither the TLD "
                f"{header_tld!r} nor a name under it",
            )
    if report.kind != "FULL" and report.watermark.weekday() == _SUNDAY:
        raise _refuse(
            CODE_UNEXPECTED_DIFF,
            f"<rdeReport:kind> is {report.kind} but the watermark "
            f"{report.watermark.date().isoformat()} is a Sunday, the weekly FULL deposit's day",
        )


def _summary(report: _Report) -> str:
    return f"{report.kind} deposit {report.id} for {report.tld}, {len(report.counts)} count(s)"


def _not_before_creation(what: str, day: date, created: date | None) -> None:
    if created is not None and day < created:
        raise _refuse(
            CODE_BEFORE_TLD_CREATION,
            f"{what} is before the TLD was created on {created.isoformat()}",
        )


def _aware(now: datetime) -> datetime:
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def _expect_root(root: Element, ns: str, local: str) -> None:
    if root.tag != _qn(ns, local):
        raise _Reject(
            CODE_STRUCTURE,
            f"root element must be <{_PREFIX[ns]}:{local}> in namespace {ns}, "
            f"found <{_name(root.tag)}>",
        )


def _run_keyed(check: Callable[[], tuple[str, str]]) -> RriResult:
    """Like ``_run`` for a check that also returns the date a status read finds the body under."""
    try:
        message, key = check()
    except _Reject as rej:
        return failure(rej.code, rej.message)
    return RriResult(True, CODE_OK, message, 200, key)


def validate_escrow_report(
    body: bytes,
    tld: str,
    report_id: str,
    now: datetime,
    *,
    tolerance: timedelta = timedelta(0),
    created: date | None = None,
) -> RriResult:
    """``PUT /report/registry-escrow-report/<tld>/<id>``; ``created`` is the TLD's creation date
    (None: not checked). Accepted, ``key`` is the watermark's UTC date."""

    def check() -> tuple[str, str]:
        root = _xml_root(body)
        _expect_root(root, NS_REPORT, "report")
        report = _parse_report(root)
        _report_rules(report, tld, report_id, _aware(now), tolerance, created)
        return (
            f"{CODE_TEXT[CODE_OK]}: escrow report accepted ({_summary(report)})",
            report.watermark.date().isoformat(),
        )

    return _run_keyed(check)


def validate_escrow_notification(
    body: bytes,
    tld: str,
    now: datetime,
    *,
    tolerance: timedelta = timedelta(0),
    created: date | None = None,
) -> RriResult:
    """``POST /report/escrow-agent-notification/<tld>``. ``reDate``, ``vaDate``,
    ``lastFullDate`` and the embedded report are optional (a DRFN has none of the first two nor
    a report). Accepted, ``key`` is the ``repDate``."""

    def check() -> tuple[str, str]:
        root = _xml_root(body)
        _expect_root(root, NS_NOTIFICATION, "notification")
        _attributes(root)
        n = lambda local: _qn(NS_NOTIFICATION, local)  # noqa: E731
        parts = _sequence(
            root,
            [
                _Slot(n("deaName")),
                _Slot(n("version")),
                _Slot(n("repDate")),
                _Slot(n("status")),
                _Slot(n("results"), required=False),
                _Slot(n("reDate"), required=False),
                _Slot(n("vaDate"), required=False),
                _Slot(n("lastFullDate"), required=False),
                _Slot(_qn(NS_REPORT, "report"), required=False),
            ],
        )
        dea = _leaf(parts[n("deaName")])
        if not dea:
            raise _Reject(CODE_STRUCTURE, "<rdeNotification:deaName> is empty")
        version = _leaf(parts[n("version")])
        rep_date = _leaf(parts[n("repDate")])
        rep_day = _date_or_datetime(rep_date, "rdeNotification:repDate", allow_datetime=False)
        status = _leaf(parts[n("status")])
        if status not in NOTIFICATION_STATUSES:
            raise _Reject(
                CODE_STRUCTURE,
                f"<rdeNotification:status> value {_show(status)} is not one of "
                f"{', '.join(NOTIFICATION_STATUSES)}",
            )
        if n("results") in parts:
            _attributes(parts[n("results")])
        for local in ("reDate", "vaDate", "lastFullDate"):
            if n(local) in parts:
                value = _leaf(parts[n(local)])
                _date_or_datetime(value, f"rdeNotification:{local}", allow_datetime=True)
        if version != "1":
            raise _Reject(
                CODE_VERSION, f"<rdeNotification:version> must be 1, found {_show(version)}"
            )
        _not_before_creation(f"<rdeNotification:repDate> {rep_date}", rep_day, created)
        embedded = parts.get(_qn(NS_REPORT, "report"))
        detail = ""
        if embedded is not None:
            report = _parse_report(embedded)
            _report_rules(report, tld, None, _aware(now), tolerance, created)
            detail = f"; embedded report: {_summary(report)}"
        return (
            f"{CODE_TEXT[CODE_OK]}: escrow agent notification from {dea} accepted "
            f"(status {status}, repDate {rep_date}{detail})",
            rep_day.isoformat(),
        )

    return _run_keyed(check)


__all__ = [
    "ACTIVITY_COLUMN_SETS",
    "CODE_BAD_MONTH",
    "CODE_BAD_NAME",
    "CODE_BEFORE_TLD_CREATION",
    "CODE_BOTH_DOMAIN_MODELS",
    "CODE_DATE_BEFORE_GET",
    "CODE_DUPLICATE_COUNT",
    "CODE_ID_MISMATCH",
    "CODE_INTERFACE_DISABLED",
    "CODE_NEGATIVE_VALUE",
    "CODE_NOT_UTF8",
    "CODE_NOT_YET",
    "CODE_OK",
    "CODE_REGISTRAR_NOT_ACCREDITED",
    "CODE_REPLACED_AFTER_CUTOFF",
    "CODE_STRUCTURE",
    "CODE_TEXT",
    "CODE_TLD_MISMATCH",
    "CODE_TLD_MISSING",
    "CODE_TOTALS_MISMATCH",
    "CODE_TOTALS_SECOND_FIELD",
    "CODE_UNEXPECTED_DIFF",
    "CODE_UNEXPECTED_RCDN",
    "CODE_VERSION",
    "ESCROW_KINDS",
    "KIND_ACTIVITY",
    "KIND_ESCROW_NOTIFICATION",
    "KIND_ESCROW_REPORT",
    "KIND_TRANSACTIONS",
    "NOTIFICATION_STATUSES",
    "RESERVED_REGISTRAR_IDS",
    "RriResult",
    "TRANSACTIONS_COLUMNS",
    "TRANSACTIONS_COLUMN_SETS",
    "accredited",
    "failure",
    "parse_month",
    "refusal_text",
    "response_xml",
    "success",
    "validate_activity_report",
    "validate_escrow_notification",
    "validate_escrow_report",
    "validate_transactions_report",
]
