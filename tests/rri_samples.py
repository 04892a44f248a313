"""Sample RRI report bodies (the formats the RRI mock validates) for unit and integration tests.

Every builder returns a valid body by default; keyword arguments bend one thing at a time to
craft a failing one. Column lists are written out here as the published header lines,
independently of ``mock_services.rri.reports``, so the tests cross-check that module.
Dates default to 2024, so ``now``/``today`` anywhere after June 2024 accepts them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape, quoteattr

CRLF = "\r\n"

_ACTIVITY_CURRENT = """operational-registrars, zfa-passwords, whois-43-queries,
web-whois-queries, searchable-whois-queries, dns-udp-queries-received,
dns-udp-queries-responded, dns-tcp-queries-received, dns-tcp-queries-responded, srs-dom-check,
srs-dom-create, srs-dom-delete, srs-dom-info, srs-dom-renew, srs-dom-rgp-restore-report,
srs-dom-rgp-restore-request, srs-dom-transfer-approve, srs-dom-transfer-cancel,
srs-dom-transfer-query, srs-dom-transfer-reject, srs-dom-transfer-request, srs-dom-update,
srs-host-check, srs-host-create, srs-host-delete, srs-host-info, srs-host-update, srs-cont-check,
srs-cont-create, srs-cont-delete, srs-cont-info, srs-cont-transfer-approve,
srs-cont-transfer-cancel, srs-cont-transfer-query, srs-cont-transfer-reject,
srs-cont-transfer-request, srs-cont-update, rdap-queries"""

_TRANSACTIONS = """registrar-name, iana-id, total-domains, total-nameservers, net-adds-1-yr,
net-adds-2-yr, net-adds-3-yr, net-adds-4-yr, net-adds-5-yr, net-adds-6-yr, net-adds-7-yr,
net-adds-8-yr, net-adds-9-yr, net-adds-10-yr, net-renews-1-yr, net-renews-2-yr,
net-renews-3-yr, net-renews-4-yr, net-renews-5-yr, net-renews-6-yr, net-renews-7-yr,
net-renews-8-yr, net-renews-9-yr, net-renews-10-yr, transfer-gaining-successful,
transfer-gaining-nacked, transfer-losing-successful, transfer-losing-nacked,
transfer-disputed-won, transfer-disputed-lost, transfer-disputed-nodecision,
deleted-domains-grace, deleted-domains-nograce, restored-domains, restored-noreport,
agp-exemption-requests, agp-exemptions-granted, agp-exempted-domains, attempted-adds"""


def _columns(header: str) -> list[str]:
    return [c.strip() for c in header.replace("\n", " ").split(",")]


ACTIVITY_COLUMNS: dict[str, list[str]] = {"current": _columns(_ACTIVITY_CURRENT)}
ACTIVITY_COLUMNS["without-rdap"] = ACTIVITY_COLUMNS["current"][:-1]
ACTIVITY_COLUMNS["2013"] = [
    "operational-registrars",
    "ramp-up-registrars",
    "pre-ramp-up-registrars",
    *ACTIVITY_COLUMNS["without-rdap"][1:],
]

TRANSACTIONS_COLUMNS: list[str] = _columns(_TRANSACTIONS)
TRANSACTIONS_COUNT_COLUMNS = TRANSACTIONS_COLUMNS[2:]


def _cell(value: Any) -> str:
    text = str(value)
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_body(
    rows: Iterable[Sequence[Any]], *, line_end: str = CRLF, final_eol: bool = True
) -> bytes:
    """RFC 4180 text from rows (fields quoted only when needed)."""
    lines = [",".join(_cell(v) for v in row) for row in rows]
    text = line_end.join(lines) + (line_end if final_eol else "")
    return text.encode("utf-8")


def _num(value: Any) -> int:
    """``int(value)``, or 0 for values deliberately broken by a test."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _key(name: str) -> str:
    return name.replace("_", "-")


def activity_values(columns: str = "current", **overrides: Any) -> dict[str, Any]:
    """Realistic, deterministic values for one month; ``overrides`` use ``_`` for ``-``."""
    values: dict[str, Any] = {}
    for i, column in enumerate(ACTIVITY_COLUMNS[columns]):
        values[column] = (i * 7919 + 13) % 100_000
    values["operational-registrars"] = 42
    values["zfa-passwords"] = 17
    values.update({_key(k): v for k, v in overrides.items()})
    return values


def activity_csv(
    columns: str = "current",
    *,
    header: Sequence[str] | None = None,
    extra_rows: Sequence[Sequence[Any]] = (),
    data_row: bool = True,
    line_end: str = CRLF,
    final_eol: bool = True,
    **overrides: Any,
) -> bytes:
    """A Registry Functions Activity report (``columns``: current | without-rdap | 2013).

    ``activity_csv(zfa_passwords="CZDS", rdap_queries=-1)`` overrides values; ``header``
    replaces the header line only (the data line keeps the column set's order).
    """
    values = activity_values(columns, **overrides)
    names = ACTIVITY_COLUMNS[columns]
    rows: list[Sequence[Any]] = [list(header) if header is not None else names]
    if data_row:
        rows.append([values[c] for c in names])
    rows.extend(extra_rows)
    return csv_body(rows, line_end=line_end, final_eol=final_eol)


DEFAULT_REGISTRARS: tuple[dict[str, Any], ...] = (
    {"registrar-name": "Example Registrar, Inc.", "iana-id": 9999, "total-domains": 1200},
    {"registrar-name": 'The "Quoted" Registrar GmbH', "iana-id": 1234, "total-domains": 35},
    {"registrar-name": "Plain Names LLC", "iana-id": 292, "total-domains": 0},
)


def registrar_row(registrar: Mapping[str, Any], index: int = 0) -> dict[str, Any]:
    """Every transactions column for one registrar: given values, deterministic filler else."""
    row: dict[str, Any] = {}
    for i, column in enumerate(TRANSACTIONS_COUNT_COLUMNS):
        row[column] = (index * 31 + i * 3) % 17
    row["total-nameservers"] = 2 * _num(registrar.get("total-domains", 10))
    row.update({_key(k): v for k, v in registrar.items()})
    row.setdefault("registrar-name", f"Registrar {index}")
    row.setdefault("iana-id", 1000 + index)
    return row


def transactions_csv(
    registrars: Sequence[Mapping[str, Any]] | None = None,
    *,
    totals: Mapping[str, Any] | None = None,
    totals_label: str = "Totals",
    totals_second_field: Any = "",
    with_totals: bool = True,
    header: Sequence[str] | None = None,
    line_end: str = CRLF,
    final_eol: bool = True,
) -> bytes:
    """A Per-Registrar Transactions report: header, one line per registrar, ``Totals,,<sums>``.

    ``registrars`` are mappings of column → value (``_`` or ``-`` in keys); missing columns
    get filler. ``totals`` overrides computed sums per column (e.g. to break them).
    """
    given = DEFAULT_REGISTRARS if registrars is None else registrars
    regs = [registrar_row(r, i) for i, r in enumerate(given)]
    rows: list[Sequence[Any]] = [list(header) if header is not None else TRANSACTIONS_COLUMNS]
    rows += [[r[c] for c in TRANSACTIONS_COLUMNS] for r in regs]
    if with_totals:
        sums = {c: sum(_num(r[c]) for r in regs) for c in TRANSACTIONS_COUNT_COLUMNS}
        sums.update({_key(k): v for k, v in (totals or {}).items()})
        rows.append(
            [totals_label, totals_second_field, *[sums[c] for c in TRANSACTIONS_COUNT_COLUMNS]]
        )
    return csv_body(rows, line_end=line_end, final_eol=final_eol)


# --------------------------------------------------------------------------- escrow XML

NS_REPORT = "urn:ietf:params:xml:ns:rdeReport-1.0"
NS_HEADER = "urn:ietf:params:xml:ns:rdeHeader-1.0"
NS_NOTIFICATION = "urn:ietf:params:xml:ns:rdeNotification-1.0"
NS_IIRDEA = "urn:ietf:params:xml:ns:iirdea-1.0"
XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'

DEFAULT_COUNTS: tuple[dict[str, Any], ...] = (
    {"uri": "urn:ietf:params:xml:ns:rdeDomain-1.0", "value": 1235},
    {"uri": "urn:ietf:params:xml:ns:rdeHost-1.0", "value": 2470},
    {"uri": "urn:ietf:params:xml:ns:rdeContact-1.0", "value": 3000},
    {"uri": "urn:ietf:params:xml:ns:rdeRegistrar-1.0", "value": 3},
    {"uri": "urn:ietf:params:xml:ns:rdeIDN-1.0", "value": 0},
    {"uri": "urn:ietf:params:xml:ns:rdeNNDN-1.0", "value": 12},
    {"uri": "urn:ietf:params:xml:ns:rdeEppParams-1.0", "value": 1},
    {"uri": "urn:ietf:params:xml:ns:rdeDomain-1.0", "rcdn": "example", "value": 1235},
    {"uri": "urn:ietf:params:xml:ns:rdeDomain-1.0", "registrarId": "9999", "value": 1200},
)


def _count_xml(count: Mapping[str, Any], indent: str) -> str:
    attrs = "".join(
        f" {name}={quoteattr(str(count[name]))}"
        for name in ("uri", "rcdn", "registrarId")
        if count.get(name) is not None
    )
    return f"{indent}<rdeHeader:count{attrs}>{escape(str(count['value']))}</rdeHeader:count>\n"


def escrow_report_element(
    id: str = "abc123",
    tld: str | None = "example",
    *,
    version: Any = "1",
    ryde_spec_escrow: str = "RFC8909",
    ryde_spec_mapping: str | None = "RFC9022",
    resend: Any = 0,
    cr_date: str = "2024-05-02T00:12:34.567Z",
    kind: str = "FULL",
    watermark: str = "2024-05-02T00:00:00Z",
    counts: Sequence[Mapping[str, Any]] | None = None,
    namespaces: bool = True,
    indent: str = "",
) -> str:
    """The ``rdeReport:report`` element as text (``tld=None`` leaves the header tld out)."""
    ns = (
        f' xmlns:rdeReport="{NS_REPORT}"\n{indent}  xmlns:rdeHeader="{NS_HEADER}"'
        if namespaces
        else ""
    )
    i = indent + "  "
    parts = [
        f"{indent}<rdeReport:report{ns}>\n",
        f"{i}<rdeReport:id>{escape(id)}</rdeReport:id>\n",
        f"{i}<rdeReport:version>{escape(str(version))}</rdeReport:version>\n",
        f"{i}<rdeReport:rydeSpecEscrow>{ryde_spec_escrow}</rdeReport:rydeSpecEscrow>\n",
    ]
    if ryde_spec_mapping is not None:
        parts.append(
            f"{i}<rdeReport:rydeSpecMapping>{ryde_spec_mapping}</rdeReport:rydeSpecMapping>\n"
        )
    parts += [
        f"{i}<rdeReport:resend>{escape(str(resend))}</rdeReport:resend>\n",
        f"{i}<rdeReport:crDate>{escape(cr_date)}</rdeReport:crDate>\n",
        f"{i}<rdeReport:kind>{escape(kind)}</rdeReport:kind>\n",
        f"{i}<rdeReport:watermark>{escape(watermark)}</rdeReport:watermark>\n",
        f"{i}<rdeHeader:header>\n",
    ]
    if tld is not None:
        parts.append(f"{i}  <rdeHeader:tld>{escape(tld)}</rdeHeader:tld>\n")
    if counts is None:  # the default rcdn count names the report's own TLD
        counts = [{**c, "rcdn": tld} if c.get("rcdn") else c for c in DEFAULT_COUNTS]
    parts += [_count_xml(c, i + "  ") for c in counts]
    parts += [f"{i}</rdeHeader:header>\n", f"{indent}</rdeReport:report>\n"]
    return "".join(parts)


def escrow_report_xml(id: str = "abc123", tld: str | None = "example", **kwargs: Any) -> bytes:
    """A complete escrow report body (see :func:`escrow_report_element` for the options)."""
    return (XML_DECL + escrow_report_element(id, tld, **kwargs)).encode("utf-8")


def escrow_notification_xml(
    tld: str | None = "example",
    *,
    dea_name: str = "Example Escrow Agent, Inc.",
    version: Any = "1",
    rep_date: str = "2024-05-02",
    status: str = "DVPN",
    results: str | None = None,
    re_date: str | None = "2024-05-02T01:05:00Z",
    va_date: str | None = "2024-05-02T02:30:00Z",
    last_full_date: str | None = "2024-05-02",
    report: bool | str = True,
    report_id: str = "20240502001",
    **report_kwargs: Any,
) -> bytes:
    """An escrow agent notification; ``report=True`` embeds a report for ``tld`` (id
    ``report_id``, more options through ``report_kwargs``), a string embeds that text,
    ``False`` none. ``results`` is inner XML for the optional ``results`` element; the
    optional dates are left out when None."""
    i = "  "
    parts = [
        XML_DECL,
        "<rdeNotification:notification\n"
        f'  xmlns:rdeNotification="{NS_NOTIFICATION}"\n'
        f'  xmlns:rdeReport="{NS_REPORT}"\n'
        f'  xmlns:rdeHeader="{NS_HEADER}"\n'
        f'  xmlns:iirdea="{NS_IIRDEA}">\n',
        f"{i}<rdeNotification:deaName>{escape(dea_name)}</rdeNotification:deaName>\n",
        f"{i}<rdeNotification:version>{escape(str(version))}</rdeNotification:version>\n",
        f"{i}<rdeNotification:repDate>{escape(rep_date)}</rdeNotification:repDate>\n",
        f"{i}<rdeNotification:status>{escape(status)}</rdeNotification:status>\n",
    ]
    if results is not None:
        parts.append(f"{i}<rdeNotification:results>{results}</rdeNotification:results>\n")
    for local, value in (
        ("reDate", re_date),
        ("vaDate", va_date),
        ("lastFullDate", last_full_date),
    ):
        if value is not None:
            parts.append(f"{i}<rdeNotification:{local}>{escape(value)}</rdeNotification:{local}>\n")
    if report is True:
        parts.append(
            escrow_report_element(report_id, tld, namespaces=False, indent=i, **report_kwargs)
        )
    elif isinstance(report, str):
        parts.append(report)
    parts.append("</rdeNotification:notification>\n")
    return "".join(parts).encode("utf-8")


# --------------------------------------------------------------------------- hostile XML

BILLION_LAUGHS = (
    XML_DECL
    + "<!DOCTYPE lolz [\n"
    + '  <!ENTITY lol "lol">\n'
    + "".join(
        f'  <!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">\n'
        for n in range(1, 10)
    )
    + "]>\n"
    + f'<rdeReport:report xmlns:rdeReport="{NS_REPORT}"><rdeReport:id>&lol9;</rdeReport:id>'
    + "</rdeReport:report>\n"
).encode()

EXTERNAL_ENTITY = (
    XML_DECL
    + '<!DOCTYPE report [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    + f'<rdeReport:report xmlns:rdeReport="{NS_REPORT}"><rdeReport:id>&xxe;</rdeReport:id>'
    + "</rdeReport:report>\n"
).encode()
