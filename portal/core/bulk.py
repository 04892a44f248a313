"""The RSP bulk file: TLS client authentication entries for many TLDs in one CSV or JSON file.

Three steps, all pure: `parse_bulk` reads the bytes into rows (or says why it cannot),
`validate_bulk` checks every row with the shared validators of `validation` and groups the
rows per TLD into entry lists (a `BulkPlan`), and `preview` compares a plan with the current
configuration. For every TLD a file names, the file's rows are that TLD's complete list of
entries; TLDs it does not name are left alone. docs/bulk-upload.md describes the format and
every finding.

CSV: UTF-8 (a byte-order mark is skipped), CRLF or LF line ends, the header
`tld,domain_name,roles,ip_acl` (any order), one row per (TLD, domain name), roles and prefixes
inside their cell separated by `;`. JSON: `{"entries": [{"tld": "example", "domain_name": "…",
"roles": ["…"], "ip_acl": ["…"]}, …]}`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .diff import AccessChanges, access_changes, describe_changes
from .validation import (
    Checked,
    Entry,
    Finding,
    Limits,
    validate_domain_name,
    validate_prefix_list,
    validate_roles,
)

Format = Literal["csv", "json"]
# Told (done, total) as work goes on; an exception it raises stops the work.
Progress = Callable[[int, int], None]

COLUMNS: tuple[str, ...] = ("tld", "domain_name", "roles", "ip_acl")
SEPARATOR = ";"  # between the roles, and between the prefixes, inside one cell
MAX_BYTES = 5 * 1024 * 1024  # a suggested upload limit; the full gTLD list at 3 × 10 is ~1 MiB
# A cell starting with one of these is run as a formula by spreadsheet programs. No TLD,
# domain name, role id or prefix starts with one, so such a cell is refused, never altered.
FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@")
MAX_LISTED = 200  # findings listed per severity; the rest are counted in one more finding
PROGRESS_EVERY = 250  # rows (validation) or TLDs (preview) between two calls of `progress`

_JSON_TYPES = {"application/json", "text/json"}
_CSV_TYPES = {"text/csv", "application/csv", "text/plain", "application/vnd.ms-excel"}
_UTF16_32_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
_FIELD_LIMIT = csv.field_size_limit()


# --------------------------------------------------------------------------- findings


@dataclass(frozen=True)
class BulkFinding(Finding):
    """A `Finding` placed in the file: `field` is the column (header name, or "" for a whole
    row or the whole file); `line` the CSV line a row starts on (or a JSON syntax error's
    line); `entry` a JSON entry's position in `entries`, from 1."""

    line: int | None = None
    entry: int | None = None

    @property
    def column(self) -> str:
        return self.field

    def where(self) -> str:
        """“line 4, column ip_acl”, “entry 3, roles”, “line 7”; "" for the whole file."""
        if self.line is not None:
            return f"line {self.line}, column {self.field}" if self.field else f"line {self.line}"
        if self.entry is not None:
            return f"entry {self.entry}, {self.field}" if self.field else f"entry {self.entry}"
        return ""

    def as_dict(self) -> dict[str, Any]:  # type: ignore[override]
        return {
            "line": self.line,
            "entry": self.entry,
            "column": self.field,
            "message": self.message,
            "severity": self.severity,
        }

    def __str__(self) -> str:
        where = self.where()
        return f"{where[:1].upper()}{where[1:]}: {self.message}" if where else self.message


def _sort_key(f: BulkFinding) -> tuple[int, int, int]:
    column = COLUMNS.index(f.field) if f.field in COLUMNS else -1
    return (f.line or 0, f.entry or 0, column)


def _capped(findings: Iterable[BulkFinding]) -> list[BulkFinding]:
    """Every severity in place order, at most MAX_LISTED of each, and how many were left out."""
    out: list[BulkFinding] = []
    for severity in ("error", "warning", "note"):
        same = sorted((f for f in findings if f.severity == severity), key=_sort_key)
        out.extend(same[:MAX_LISTED])
        if len(same) > MAX_LISTED:
            more = len(same) - MAX_LISTED
            kind = {"error": "problems", "warning": "warnings", "note": "notes"}[severity]
            out.append(
                BulkFinding(
                    "",
                    f"{more:,} more {kind} not listed; the first {MAX_LISTED} are above.",
                    severity,  # type: ignore[arg-type]
                )
            )
    return out


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class BulkRow:
    """One row as read: CSV cells as text (roles and prefixes still `;`-joined), JSON values
    as given."""

    tld: Any
    domain_name: Any
    roles: Any
    ip_acl: Any
    line: int | None = None
    entry: int | None = None

    def place(self) -> str:
        return f"line {self.line}" if self.line is not None else f"entry {self.entry}"


@dataclass(frozen=True)
class Parsed:
    format: Format | None  # None: refused before the format mattered (size, encoding)
    rows: tuple[BulkRow, ...]
    findings: tuple[BulkFinding, ...]

    @property
    def errors(self) -> list[BulkFinding]:
        return [f for f in self.findings if f.severity == "error"]


def _size(n: int) -> str:
    return f"{n:,} bytes ({n / 1024 / 1024:.1f} MiB)" if n >= 1024 * 1024 else f"{n:,} bytes"


def _format_of(filename: str, content_type: str, text: str) -> Format:
    """The file name's extension decides, then the content type, then the first character."""
    name = filename.lower()
    if name.endswith(".json"):
        return "json"
    if name.endswith((".csv", ".txt")):
        return "csv"
    media = content_type.split(";", 1)[0].strip().lower()
    if media in _JSON_TYPES or media.endswith("+json"):
        return "json"
    if media in _CSV_TYPES:
        return "csv"
    return "json" if text.lstrip()[:1] in ("{", "[") else "csv"


def _undecodable(data: bytes) -> list[BulkFinding]:
    """One finding per line that is not UTF-8."""
    out = []
    for number, raw in enumerate(data.split(b"\n"), 1):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            out.append(
                BulkFinding(
                    "",
                    f"Not UTF-8: byte 0x{raw[exc.start]:02X} at position {exc.start + 1} of the "
                    "line. Save the file as “CSV UTF-8” (a single-byte encoding such as "
                    "Windows-1252 or Latin-1 writes letters like é this way).",
                    line=number,
                )
            )
    return out


def parse_bulk(
    data: bytes,
    *,
    filename: str = "",
    content_type: str = "",
    max_bytes: int = MAX_BYTES,
    other_keys: Collection[str] = (),
) -> Parsed:
    """Read a bulk file. The format comes from `filename`'s extension, else `content_type`,
    else the first character (`{` or `[` is JSON). Findings are about the file itself:
    size, encoding, CSV structure, JSON shape; the values are checked by `validate_bulk`.
    `other_keys`: top-level keys a JSON document may hold beside "entries" (a request's own
    fields, when the API takes the file as its body)."""
    if len(data) > max_bytes:
        return _refused(
            f"The file is {_size(len(data))}; the limit is {_size(max_bytes)}. "
            "Split it into several files by TLD."
        )
    if data.startswith(_UTF16_32_BOMS):
        return _refused(
            "The file is UTF-16 or UTF-32 text; save it as “CSV UTF-8” (or plain UTF-8)."
        )
    if b"\x00" in data:
        return _refused(
            "The file holds NUL bytes, so it is a binary file (a spreadsheet workbook, an "
            "archive, an image…), not CSV or JSON text. Export the sheet as “CSV UTF-8”."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Parsed(None, (), tuple(_undecodable(data)))
    if not text.strip():
        return _refused("The file is empty; start from the template.")
    fmt = _format_of(filename, content_type, text)
    rows, findings = _parse_json(text, other_keys) if fmt == "json" else _parse_csv(text)
    return Parsed(fmt, tuple(rows), tuple(findings))


def _refused(message: str, fmt: Format | None = None) -> Parsed:
    return Parsed(fmt, (), (BulkFinding("", message),))


# --------------------------------------------------------------------------- CSV


def _csv_error(exc: csv.Error, line: int) -> BulkFinding:
    text = str(exc)
    if "unexpected end of data" in text or "EOF" in text:
        message = (
            f"A quote opened on line {line} is never closed; "
            "close it, or remove it (a value needs quotes only when it holds a comma)."
        )
    elif "field larger than field limit" in text:
        message = f"A value is longer than {_FIELD_LIMIT:,} characters; no value can be that long."
    elif "expected after" in text:
        message = (
            "A closing quote is followed by more text in the same value; "
            'write a quote inside a quoted value as two quotes ("").'
        )
    else:
        message = f"The line cannot be read as CSV: {text}."
    return BulkFinding("", message, line=line)


def _header(cells: list[str], line: int) -> tuple[list[str] | None, list[BulkFinding]]:
    """The column order of the header row, or why it is not a header."""
    names = [c.strip().lstrip("\ufeff").strip().lower() for c in cells]
    while names and not names[-1]:  # trailing empty cells, as spreadsheets sometimes write
        names.pop()
    expected = ", ".join(COLUMNS)
    if sorted(names) == sorted(COLUMNS):
        return names, []
    if len(names) == 1 and any(sep in names[0] for sep in (";", "\t")):
        sep = "“;”" if ";" in names[0] else "tabs"
        return None, [
            BulkFinding(
                "",
                f"The columns are separated by {sep}; a bulk file separates columns with commas "
                "(“;” separates roles and prefixes inside a value). "
                "Save the sheet as “CSV UTF-8 (comma delimited)”.",
                line=line,
            )
        ]
    if len(names) > 2 * len(COLUMNS):
        return None, [
            BulkFinding(
                "",
                f"The header has {len(names):,} columns; a bulk file has exactly "
                f"{len(COLUMNS)}: {expected}.",
                line=line,
            )
        ]
    if not set(names) & set(COLUMNS):
        shown = ",".join(cells)[:80]
        return None, [
            BulkFinding(
                "",
                f"The first line must be the header {','.join(COLUMNS)}; it is “{shown}”.",
                line=line,
            )
        ]
    findings = []
    for name in dict.fromkeys(names):
        if name not in COLUMNS:
            findings.append(
                BulkFinding(
                    name,
                    f"Unknown column “{name}”; the columns are {expected}.",
                    line=line,
                )
            )
        elif names.count(name) > 1:
            findings.append(BulkFinding(name, f"The column {name} appears twice.", line=line))
    for name in COLUMNS:
        if name not in names:
            findings.append(BulkFinding(name, f"The header lacks the column {name}.", line=line))
    return None, findings


def _parse_csv(text: str) -> tuple[list[BulkRow], list[BulkFinding]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[BulkRow] = []
    findings: list[BulkFinding] = []
    columns: list[str] | None = None
    records = 0
    end = 0
    while True:
        start = end + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # The reader drops the rest of the line and goes on with the next one.
            findings.append(_csv_error(exc, start))
            end = reader.line_num
            if columns is None:
                return rows, findings
            records += 1
            continue
        end = reader.line_num
        if not any(cell.strip() for cell in record):
            continue  # a blank line, or one of empty cells only
        if columns is None:
            columns, header_findings = _header(record, start)
            findings.extend(header_findings)
            if columns is None:
                return rows, findings
            continue
        records += 1
        while len(record) > len(columns) and not record[-1].strip():
            record.pop()
        if len(record) != len(columns):
            findings.append(
                BulkFinding(
                    "",
                    f"The row has {len(record):,} values; a row has {len(columns)}: "
                    f"{', '.join(columns)} (a value holding a comma needs quotes; separate "
                    "roles and prefixes with “;”).",
                    line=start,
                )
            )
            continue
        cells = dict(zip(columns, record, strict=True))
        broken = [c for c in columns if "\n" in cells[c] or "\r" in cells[c]]
        if broken:
            findings.extend(
                BulkFinding(
                    c,
                    f"A quoted value runs over lines {start}–{end}; a value cannot hold a line "
                    "break: one row per line, with roles and prefixes separated by “;”.",
                    line=start,
                )
                for c in broken
            )
            continue
        rows.append(BulkRow(**cells, line=start))
    if columns is None:
        findings.append(BulkFinding("", "The file is empty; start from the template."))
    elif records == 0:
        findings.append(
            BulkFinding(
                "",
                "The file has the header but no rows; add one row per TLD and domain name.",
            )
        )
    return rows, findings


# --------------------------------------------------------------------------- JSON


class _DuplicateKey(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _parse_json(
    text: str, other_keys: Collection[str] = ()
) -> tuple[list[BulkRow], list[BulkFinding]]:
    try:
        doc = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        return [], [
            BulkFinding("", f"Not valid JSON: {exc.msg} (column {exc.colno}).", line=exc.lineno)
        ]
    except _DuplicateKey as exc:
        return [], [BulkFinding("", f"The key “{exc}” appears twice in one object.")]
    except RecursionError:
        return [], [BulkFinding("", "The JSON is nested too deeply to be a bulk file.")]
    shape = '{"entries": [{"tld": …, "domain_name": …, "roles": […], "ip_acl": […]}, …]}'
    if not isinstance(doc, dict) or not isinstance(doc.get("entries"), list):
        return [], [BulkFinding("", f"A JSON bulk file is an object {shape}.")]
    findings = [
        BulkFinding(key, f"Unknown key “{key}”; the file's object has only “entries”.")
        for key in doc
        if key != "entries" and key not in other_keys
    ]
    rows: list[BulkRow] = []
    for number, item in enumerate(doc["entries"], 1):
        row, item_findings = _json_row(item, number)
        findings.extend(item_findings)
        if row is not None:
            rows.append(row)
    if not doc["entries"]:
        findings.append(
            BulkFinding("", "“entries” is empty; add one entry per TLD and domain name.")
        )
    return rows, findings


def _json_row(item: Any, number: int) -> tuple[BulkRow | None, list[BulkFinding]]:
    if not isinstance(item, dict):
        return None, [
            BulkFinding(
                "", "Each entry is an object with tld, domain_name, roles, ip_acl.", entry=number
            )
        ]
    findings = [
        BulkFinding(key, f"Unknown key “{key}”; the keys are {', '.join(COLUMNS)}.", entry=number)
        for key in item
        if key not in COLUMNS
    ]
    findings += [
        BulkFinding(key, f"The key {key} is missing.", entry=number)
        for key in COLUMNS
        if key not in item
    ]
    for key in ("tld", "domain_name"):
        if key in item and not isinstance(item[key], str):
            findings.append(BulkFinding(key, f"{key} must be text.", entry=number))
    for key, what in (("roles", "role ids"), ("ip_acl", "prefixes")):
        value = item.get(key)
        if key in item and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            findings.append(
                BulkFinding(key, f"{key} must be a list of {what}, as text.", entry=number)
            )
    if findings:
        return None, findings
    return BulkRow(**{c: item[c] for c in COLUMNS}, entry=number), []


# --------------------------------------------------------------------------- validation


@dataclass(frozen=True)
class BulkPlan:
    """The validated file: per TLD (in name order) its entries, in the file's order."""

    entries: Mapping[str, tuple[Entry, ...]]

    @property
    def tlds(self) -> tuple[str, ...]:
        return tuple(self.entries)

    @property
    def entry_count(self) -> int:
        return sum(len(e) for e in self.entries.values())

    def documents(self) -> dict[str, list[dict[str, Any]]]:
        """Per TLD the entry objects, as the configuration service's `replace_entries` takes
        them (and as `snapshot(tld)["entries"]` holds them)."""
        return {tld: [e.as_dict() for e in entries] for tld, entries in self.entries.items()}


def _parts(value: Any) -> list[Any]:
    """A CSV cell split at `;` (blank parts dropped); a JSON list as it is."""
    if isinstance(value, str):
        return [p.strip() for p in value.split(SEPARATOR) if p.strip()]
    return list(value)


def _formula(row: BulkRow, column: str) -> BulkFinding | None:
    value = getattr(row, column)
    texts = [value] if isinstance(value, str) else []
    texts += (
        [p for p in _parts(value) if isinstance(p, str)] if column in ("roles", "ip_acl") else []
    )
    for text in texts:
        stripped = text.strip()
        if stripped.startswith(FORMULA_STARTS):
            return BulkFinding(
                column,
                f"“{stripped[:40]}” starts with “{stripped[0]}”, which spreadsheet programs run "
                f"as a formula; no TLD, domain name, role or prefix starts with it. "
                "Remove the character.",
                line=row.line,
                entry=row.entry,
            )
    return None


def _placed(findings: Iterable[Finding], column: str, row: BulkRow) -> list[BulkFinding]:
    return [
        BulkFinding(column, f.message, f.severity, line=row.line, entry=row.entry) for f in findings
    ]


def _tld_name(raw: str) -> tuple[str | None, str]:
    """The TLD as an A-label, or why it is not one (checked as the last label of a name)."""
    label = raw.strip().strip(".")
    if not label:
        return None, "Enter the TLD, e.g. example."
    if "." in label:
        return None, f"Enter the TLD alone, e.g. {label.rsplit('.', 1)[-1]}, not “{raw.strip()}”."
    checked = validate_domain_name(f"x.{label}", "tld")
    if checked.value is None:
        return None, checked.errors[0].message
    return checked.value[2:], ""


def _ask(cache: dict[str, bool], tld: str, allowed: Callable[[str], bool]) -> bool:
    if tld not in cache:
        cache[tld] = bool(allowed(tld))
    return cache[tld]


def _rows(rows: Sequence[BulkRow]) -> str:
    """The rows a problem repeats on, as “ (3 rows: line 4, line 9, line 12)”; "" for one."""
    if len(rows) < 2:
        return ""
    places = [r.place() for r in rows[:5]]
    more = f" and {len(rows) - 5:,} more" if len(rows) > 5 else ""
    return f" ({len(rows):,} rows: {', '.join(places)}{more})"


def validate_bulk(
    parsed: Parsed,
    known_tlds: Collection[str],
    may_include: Callable[[str], bool] | Collection[str],
    limits: Limits | None = None,
    *,
    progress: Progress | None = None,
) -> Checked[BulkPlan]:
    """Check every row of a parsed file and group the rows per TLD.

    `known_tlds`: the TLD names (A-labels) the harness has (a mapping's keys will do);
    `may_include`: the TLDs the uploader may configure, as a set or a test; `limits`: the same
    per-TLD and per-entry ceilings as every other edit; `progress`: told (rows checked, rows)
    every `PROGRESS_EVERY` rows and once at the end. The plan is None when any finding is an
    error; all findings (the parser's too) are listed, in the order of the file."""
    limits = limits or Limits()
    allowed = may_include if callable(may_include) else may_include.__contains__
    findings: list[BulkFinding] = list(parsed.findings)
    unknown: dict[str, list[BulkRow]] = {}
    foreign: dict[str, list[BulkRow]] = {}
    grouped: dict[str, list[tuple[Entry, BulkRow]]] = {}
    first_seen: dict[tuple[str, str], BulkRow] = {}
    may: dict[str, bool] = {}
    total = len(parsed.rows)
    for done, row in enumerate(parsed.rows):
        if progress and done and done % PROGRESS_EVERY == 0:
            progress(done, total)
        refused = {c: f for c in COLUMNS if (f := _formula(row, c)) is not None}
        findings.extend(refused.values())
        tld: str | None = None
        if "tld" not in refused:
            tld, why = _tld_name(row.tld)
            if tld is None:
                findings.append(BulkFinding("tld", why, line=row.line, entry=row.entry))
            elif tld not in known_tlds:
                unknown.setdefault(tld, []).append(row)
                tld = None
            elif not _ask(may, tld, allowed):
                foreign.setdefault(tld, []).append(row)
                tld = None
        name = roles = acl = None
        if "domain_name" not in refused:
            checked_name = validate_domain_name(row.domain_name, "domain_name")
            findings += _placed(checked_name.findings, "domain_name", row)
            name = checked_name.value
        if "roles" not in refused:
            checked_roles = validate_roles(_parts(row.roles), "roles")
            findings += _placed(checked_roles.findings, "roles", row)
            roles = checked_roles.value
        if "ip_acl" not in refused:
            checked_acl = validate_prefix_list(_parts(row.ip_acl), "ip_acl", limits)
            findings += _placed(checked_acl.findings, "ip_acl", row)
            acl = checked_acl.value
        if tld is not None and name is not None:
            first = first_seen.setdefault((tld, name), row)
            if first is not row:
                findings.append(
                    BulkFinding(
                        "domain_name",
                        f"{name} for .{tld} is already on {first.place()}; "
                        "put all roles and prefixes of a name on one row.",
                        line=row.line,
                        entry=row.entry,
                    )
                )
                continue
        if tld is not None and name is not None and roles is not None and acl is not None:
            grouped.setdefault(tld, []).append((Entry(name, tuple(roles), tuple(acl)), row))
    if progress:
        progress(total, total)
    for tld, rows in unknown.items():
        findings.append(
            BulkFinding(
                "tld",
                f"There is no TLD .{tld} in the harness{_rows(rows)}.",
                line=rows[0].line,
                entry=rows[0].entry,
            )
        )
    for tld, rows in foreign.items():
        findings.append(
            BulkFinding(
                "tld",
                f".{tld} is not one of your TLDs: a bulk file may include only the TLDs your "
                f"organisation is RSP of record for{_rows(rows)}.",
                line=rows[0].line,
                entry=rows[0].entry,
            )
        )
    for tld, pairs in grouped.items():
        if len(pairs) > limits.max_entries_per_tld:
            extra = pairs[limits.max_entries_per_tld][1]
            findings.append(
                BulkFinding(
                    "tld",
                    f"The file has {len(pairs):,} entries for .{tld}; the limit is "
                    f"{limits.max_entries_per_tld} per TLD (the first one over it is here).",
                    line=extra.line,
                    entry=extra.entry,
                )
            )
    listed = _capped(findings)
    if any(f.severity == "error" for f in listed):
        return Checked(None, list(listed))
    plan = BulkPlan({tld: tuple(e for e, _ in grouped[tld]) for tld in sorted(grouped)})
    return Checked(plan, list(listed))


# --------------------------------------------------------------------------- preview


@dataclass(frozen=True)
class EntryChange:
    domain_name: str
    roles_added: tuple[str, ...] = ()
    roles_removed: tuple[str, ...] = ()
    prefixes_added: tuple[str, ...] = ()
    prefixes_removed: tuple[str, ...] = ()


@dataclass(frozen=True)
class TldPreview:
    """What loading the plan would change on one TLD. `lines` are History's sentences for
    the change; `access` the (domain name, role, prefix) combinations that gain or lose
    access."""

    tld: str
    added: tuple[Entry, ...]
    removed: tuple[Entry, ...]
    changed: tuple[EntryChange, ...]
    unchanged: int
    lines: tuple[str, ...]
    access: AccessChanges

    @property
    def changes(self) -> bool:
        return bool(self.added or self.removed or self.changed)


@dataclass(frozen=True)
class Totals:
    """Sums over every TLD of the file. Roles and prefixes added or removed count inside
    entries kept with changes; an added or removed entry counts once, as an entry."""

    tlds: int = 0
    tlds_changed: int = 0
    entries_added: int = 0
    entries_removed: int = 0
    entries_changed: int = 0
    entries_unchanged: int = 0
    roles_added: int = 0
    roles_removed: int = 0
    prefixes_added: int = 0
    prefixes_removed: int = 0
    access_gained: int = 0
    access_lost: int = 0


@dataclass(frozen=True)
class Preview:
    totals: Totals
    tlds: tuple[TldPreview, ...]  # in TLD name order


def _as_entries(current: Any) -> list[Entry]:
    """A TLD's current entries from a snapshot (`{"entries": [...]}`), a list of entry
    objects, or a list of `Entry` values."""
    if current is None:
        return []
    if isinstance(current, Mapping):
        current = current.get("entries", [])
    out = []
    for e in current:
        if isinstance(e, Entry):
            out.append(e)
        else:
            out.append(Entry(e["domain_name"], tuple(e["roles"]), tuple(e["ip_acl"])))
    return out


def _entry_change(old: Entry, new: Entry) -> EntryChange | None:
    change = EntryChange(
        new.domain_name,
        tuple(r for r in new.roles if r not in old.roles),
        tuple(r for r in old.roles if r not in new.roles),
        tuple(p for p in new.ip_acl if p not in old.ip_acl),
        tuple(p for p in old.ip_acl if p not in new.ip_acl),
    )
    return change if change != EntryChange(new.domain_name) else None


def _tld_preview(tld: str, before: list[Entry], after: Sequence[Entry]) -> TldPreview:
    old = {e.domain_name: e for e in before}
    new = {e.domain_name: e for e in after}
    changed = [c for name in new.keys() & old.keys() if (c := _entry_change(old[name], new[name]))]
    # A name whose entry is the same on both sides adds no line; dropping it from both (every
    # entry of that name, as describe_changes keeps a name's last one) leaves the others' lines.
    same = {name for name in new.keys() & old.keys() if old[name] == new[name]}
    return TldPreview(
        tld=tld,
        added=tuple(e for e in after if e.domain_name not in old),
        removed=tuple(e for e in before if e.domain_name not in new),
        changed=tuple(sorted(changed, key=lambda c: c.domain_name)),
        unchanged=len(new.keys() & old.keys()) - len(changed),
        lines=tuple(
            describe_changes(
                {"entries": [e.as_dict() for e in before if e.domain_name not in same]},
                {"entries": [e.as_dict() for e in after if e.domain_name not in same]},
            )
        ),
        access=_access(before, after),
    )


def _access(before: Sequence[Entry], after: Sequence[Entry]) -> AccessChanges:
    """`access_changes` on the entries that differ: an entry the same on both sides grants
    the same (role, prefix) pairs under its own name before and after, so it neither gains nor
    loses any (and most entries of a large file are unchanged)."""
    kept = set(before) & set(after)
    return access_changes([e for e in before if e not in kept], [e for e in after if e not in kept])


def preview(
    plan: BulkPlan, current: Mapping[str, Any], *, progress: Progress | None = None
) -> Preview:
    """What loading `plan` would change, per TLD of the plan, against `current` (per TLD its
    entries: a snapshot, entry objects or `Entry` values; a TLD missing has none).
    `progress` is told (TLDs compared, TLDs) every `PROGRESS_EVERY` TLDs and once at the end."""
    total = len(plan.entries)
    previews: list[TldPreview] = []
    for tld, entries in plan.entries.items():
        if progress and previews and len(previews) % PROGRESS_EVERY == 0:
            progress(len(previews), total)
        previews.append(_tld_preview(tld, _as_entries(current.get(tld)), entries))
    if progress:
        progress(total, total)
    tlds = tuple(previews)
    totals = Totals(
        tlds=len(tlds),
        tlds_changed=sum(t.changes for t in tlds),
        entries_added=sum(len(t.added) for t in tlds),
        entries_removed=sum(len(t.removed) for t in tlds),
        entries_changed=sum(len(t.changed) for t in tlds),
        entries_unchanged=sum(t.unchanged for t in tlds),
        roles_added=sum(len(c.roles_added) for t in tlds for c in t.changed),
        roles_removed=sum(len(c.roles_removed) for t in tlds for c in t.changed),
        prefixes_added=sum(len(c.prefixes_added) for t in tlds for c in t.changed),
        prefixes_removed=sum(len(c.prefixes_removed) for t in tlds for c in t.changed),
        access_gained=sum(len(t.access.gained) for t in tlds),
        access_lost=sum(len(t.access.lost) for t in tlds),
    )
    return Preview(totals, tlds)


# --------------------------------------------------------------------------- writing


def _csv_text(rows: Iterable[Sequence[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue()


def render_csv(plan: BulkPlan) -> str:
    """The plan as a bulk CSV file (CRLF line ends, no byte-order mark)."""
    return _csv_text(
        (tld, e.domain_name, SEPARATOR.join(e.roles), SEPARATOR.join(e.ip_acl))
        for tld, entries in plan.entries.items()
        for e in entries
    )


def render_json(plan: BulkPlan) -> str:
    """The plan as a bulk JSON file."""
    return json.dumps(
        {
            "entries": [
                {"tld": tld, **e.as_dict()}
                for tld, entries in plan.entries.items()
                for e in entries
            ]
        },
        ensure_ascii=False,
        indent=2,
    )


def template_csv(tld: str = "example") -> str:
    """The downloadable template: the header and one example row (documentation addresses)."""
    return _csv_text(
        [
            (
                tld,
                f"client.rsp.{tld}",
                SEPARATOR.join(("rri-monthly-reports", "mosapi-slam")),
                SEPARATOR.join(("192.0.2.0/24", "2001:db8::/48")),
            )
        ]
    )
