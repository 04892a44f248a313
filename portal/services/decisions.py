"""Reading the mocks' decision log: filters, one decision, CSV export, the curl to repeat a
call, and pruning by the retention rules."""

from __future__ import annotations

import csv
import hashlib
import io
import ipaddress
import shlex
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, or_, select
from sqlalchemy.orm import Session

from ..core.decision import RESULTS, parse_address
from ..core.reasons import REASONS, CallFacts, explain
from ..core.validation import Finding
from ..models import DecisionLogRow, as_utc
from .errors import NotFound

SYSTEMS = ("mosapi", "rri")
SYSTEM_LABELS = {"mosapi": "MoSAPI", "rri": "RRI"}
MAX_ENDPOINT = 300
MAX_ENTRY = 253
# The most rows one CSV export holds (newest first).
EXPORT_LIMIT = 10_000
# Rows deleted per transaction when pruning: a mock's insert waits for one batch at most.
PRUNE_BATCH = 500


# --------------------------------------------------------------------------- filter


@dataclass(frozen=True)
class DecisionFilter:
    """Which decisions to show: every field set narrows the log (None: any)."""

    result: str | None = None  # allowed | denied
    reason: str | None = None  # the deciding reason
    system: str | None = None  # mosapi | rri
    endpoint: str | None = None  # part of the path, any case
    source: str | None = None  # the source address, canonical form
    entry: str | None = None  # the entry that matched the certificate, or the account
    since: datetime | None = None  # UTC, inclusive
    until: datetime | None = None  # UTC, exclusive

    @property
    def is_empty(self) -> bool:
        return all(v is None for v in asdict(self).values())

    def params(self) -> dict[str, str]:
        """The filter as query parameters (what `read_filter` reads back)."""
        out: dict[str, str] = {}
        for name, value in asdict(self).items():
            if isinstance(value, datetime):
                out[name] = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
            elif value is not None:
                out[name] = str(value)
        return out

    def without(self, name: str) -> DecisionFilter:
        return replace(self, **{name: None})

    def described(self) -> list[tuple[str, str]]:
        """Each active condition as (field, words a reader understands)."""
        words = {
            "result": lambda v: f"only {v} calls",
            "reason": lambda v: f"refused for {v}",
            "system": lambda v: f"to the {SYSTEM_LABELS.get(v, v)} mock",
            "endpoint": lambda v: f"path contains {v}",
            "source": lambda v: f"from {v}",
            "entry": lambda v: f"entry {v}",
            "since": lambda v: f"from {v:%Y-%m-%d %H:%M:%S} UTC",
            "until": lambda v: f"before {v:%Y-%m-%d %H:%M:%S} UTC",
        }
        return [(n, words[n](v)) for n, v in asdict(self).items() if v is not None]


FILTER_FIELDS = tuple(f.name for f in fields(DecisionFilter))


def _time(value: Any) -> datetime:
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(str(value))
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)  # times without an offset are UTC, as shown
    return value.astimezone(UTC)


def read_filter(values: Mapping[str, Any]) -> tuple[DecisionFilter, list[Finding]]:
    """A filter from query parameters (text) or typed values; a value that cannot be read is
    left out and named in a finding."""
    found: dict[str, Any] = {}
    findings: list[Finding] = []

    def refuse(name: str, message: str) -> None:
        findings.append(Finding(name, message))

    for name in FILTER_FIELDS:
        raw = values.get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        text = raw.strip() if isinstance(raw, str) else raw
        if name == "result" and text not in RESULTS:
            refuse(name, f"Choose one of {', '.join(RESULTS)}.")
        elif name == "reason" and text not in REASONS:
            refuse(name, f"{text!r} is no reason code; the codes are listed in the form.")
        elif name == "system" and text not in SYSTEMS:
            refuse(name, f"Choose one of {', '.join(SYSTEMS)}.")
        elif name == "endpoint" and len(text) > MAX_ENDPOINT:
            refuse(name, f"At most {MAX_ENDPOINT} characters.")
        elif name == "source":
            addr = parse_address(text)
            if addr is None:
                refuse(name, f"{text!r} is not an IP address (e.g. 127.0.0.2 or ::1).")
            else:
                found[name] = str(addr)
        elif name == "entry":
            entry = text.lower().rstrip(".")
            if len(entry) > MAX_ENTRY or not entry:
                refuse(name, f"A domain name of at most {MAX_ENTRY} characters.")
            else:
                found[name] = entry
        elif name in ("since", "until"):
            try:
                found[name] = _time(text)
            except ValueError:
                refuse(name, f"{text!r} is not a time like 2026-01-31T14:05 (UTC).")
        else:
            found[name] = text
    flt = DecisionFilter(**found)
    if flt.since and flt.until and flt.until <= flt.since:
        refuse("until", "The end must come after the start.")
        flt = flt.without("until")
    return flt, findings


def _conditions(flt: DecisionFilter) -> list[ColumnElement[bool]]:
    log = DecisionLogRow
    conds: list[ColumnElement[bool]] = []
    if flt.result:
        conds.append(log.result == flt.result)
    if flt.reason:
        conds.append(log.deciding_reason == flt.reason)
    if flt.system:
        conds.append(log.system == flt.system)
    if flt.endpoint:
        conds.append(log.endpoint.icontains(flt.endpoint, autoescape=True))
    if flt.source:
        conds.append(log.source_address == flt.source)
    if flt.entry:
        conds.append(log.matched_entry == flt.entry)
    if flt.since:
        conds.append(log.created_at >= flt.since)
    if flt.until:
        conds.append(log.created_at < flt.until)
    return conds


def _log_of(tld: str, flt: DecisionFilter) -> Select[tuple[DecisionLogRow]]:
    return select(DecisionLogRow).where(DecisionLogRow.tld == tld, *_conditions(flt))


def decision_log(
    session: Session, tld: str, flt: DecisionFilter | None = None, limit: int = 100
) -> list[DecisionLogRow]:
    """The TLD's decisions that pass the filter, newest first."""
    stmt = _log_of(tld, flt or DecisionFilter()).order_by(DecisionLogRow.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def get_decision(session: Session, tld: str, decision_id: int) -> DecisionLogRow:
    """One decision of the TLD; another TLD's is not found, as one that does not exist."""
    row = session.get(DecisionLogRow, decision_id)
    if row is None or row.tld != tld:
        raise NotFound("decision")
    return row


def digest(rows: Sequence[DecisionLogRow]) -> str:
    """What a reader has seen of a list: changes when a row comes, goes, or gets the status
    really sent."""
    text = ",".join(f"{r.id}:{r.status_code}" for r in rows)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- explaining


def facts_of(row: DecisionLogRow, entry: str | None = None) -> CallFacts:
    return CallFacts(row.tld, row.required_role, row.source_address, entry or entry_named(row))


def sentence_of(row: DecisionLogRow) -> str:
    return explain(row.result == "allowed", row.auth_path, list(row.reasons or []), facts_of(row))


def entry_for(row: DecisionLogRow, reason: str) -> str | None:
    """The entry a reason of a logged decision is about: the matched one, else the first
    entry whose verdict holds it."""
    if row.matched_entry:
        return row.matched_entry
    for check in row.checks or []:
        if reason in check.get("reasons", []):
            return str(check["domain_name"])
    return None


def entry_named(row: DecisionLogRow) -> str | None:
    """The entry a logged decision is about: the matched one, else the first entry whose
    verdict holds the deciding reason."""
    return entry_for(row, row.deciding_reason or "")


def curl_hint(row: DecisionLogRow, port: int) -> str:
    """A curl command that repeats the call from the mocks' host; files and secrets are
    placeholders to fill in. The URL names localhost, the name on the mocks' certificate."""
    parts = ["curl", "--cacert", "harness-ca.pem"]
    if row.cert_subject:
        parts += ["--cert", "client.pem", "--key", "client.key"]
    if row.auth_path == "basic":
        parts += ["--user", f"{row.matched_entry or f'{row.tld}_ry'}:PASSWORD"]
    elif row.auth_path == "session":
        parts += ["--cookie", "id=SESSION"]
    addr = parse_address(row.source_address)
    if addr is not None and addr.is_loopback and addr != ipaddress.ip_address("127.0.0.1"):
        parts += ["--interface", str(addr)]  # the loopback address the call came from
    if row.method == "HEAD":
        parts.append("--head")
    elif row.method != "GET":
        parts += ["-X", row.method, "--data-binary", "@body"]
    parts.append(f"https://localhost:{port}{row.endpoint}")
    return " ".join(shlex.quote(p) for p in parts)


# --------------------------------------------------------------------------- CSV


CSV_COLUMNS = (
    "id",
    "time",
    "system",
    "method",
    "endpoint",
    "source_address",
    "cert_subject",
    "cert_spki_sha256",
    "auth_path",
    "result",
    "status_code",
    "required_role",
    "deciding_reason",
    "reasons",
    "warnings",
    "sentence",
    "matched_entry",
)
# A spreadsheet runs a cell that starts with one of these as a formula; a certificate subject
# or a path comes from the client, so such a cell is written as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_values(row: DecisionLogRow) -> list[Any]:
    at = as_utc(row.created_at)
    return [
        row.id,
        at.isoformat() if at else "",
        row.system,
        row.method,
        row.endpoint,
        row.source_address,
        row.cert_subject,
        row.cert_spki_sha256,
        row.auth_path,
        row.result,
        row.status_code,
        row.required_role,
        row.deciding_reason,
        " ".join(row.reasons or []),
        " ".join(row.warnings or []),
        sentence_of(row),
        row.matched_entry,
    ]


def export_csv(rows: Iterable[DecisionLogRow]) -> Iterator[str]:
    """The rows as CSV, the header line first, one line at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for values in ([*CSV_COLUMNS], *(_csv_values(r) for r in rows)):
        writer.writerow([_cell(v) for v in values])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def export_rows(session: Session, tld: str, flt: DecisionFilter) -> list[DecisionLogRow]:
    """The filtered view for export: newest first, at most EXPORT_LIMIT rows."""
    return decision_log(session, tld, flt, EXPORT_LIMIT)


# --------------------------------------------------------------------------- retention


@dataclass(frozen=True)
class Retention:
    """How much of the log to keep: the newest `max_rows` (0: any number) and those younger
    than `max_age` (None: any age). A row either rule drops is deleted."""

    max_rows: int = 0
    max_age: timedelta | None = None

    @classmethod
    def of(cls, max_rows: int, max_age_days: int) -> Retention:
        return cls(max(0, max_rows), timedelta(days=max_age_days) if max_age_days > 0 else None)

    @property
    def unlimited(self) -> bool:
        return not self.max_rows and self.max_age is None

    def describe(self) -> str:
        rows = f"the newest {self.max_rows}" if self.max_rows else "any number"
        age = f"{self.max_age.days} days" if self.max_age else "any age"
        return f"{rows} decisions, up to {age} old"


def _past_retention(
    session: Session, retention: Retention, now: datetime
) -> ColumnElement[bool] | None:
    """What the rules drop, fixed now: rows that arrive later are newer than both limits."""
    log = DecisionLogRow
    dropped: list[ColumnElement[bool]] = []
    if retention.max_rows:
        newest_dropped = session.scalar(
            select(log.id).order_by(log.id.desc()).offset(retention.max_rows).limit(1)
        )
        if newest_dropped is not None:
            dropped.append(log.id <= newest_dropped)
    if retention.max_age is not None:
        dropped.append(log.created_at < now - retention.max_age)
    session.commit()  # no read transaction is held while the batches run
    return or_(*dropped) if dropped else None


def prune(
    session: Session,
    retention: Retention,
    *,
    now: datetime | None = None,
    batch: int = PRUNE_BATCH,
    guard: Callable[[], AbstractContextManager[Any]] = nullcontext,
    pause: Callable[[], None] = lambda: None,
) -> int:
    """Delete the decisions the retention rules drop, oldest first, `batch` rows per
    transaction; each transaction runs inside `guard()` (a mock's write lock) and `pause()`
    runs between them, so writers queue for one batch at most. Returns how many were deleted."""
    if retention.unlimited:
        return 0
    dropped = _past_retention(session, retention, now or datetime.now(UTC))
    if dropped is None:
        return 0
    log = DecisionLogRow
    deleted = 0
    while True:
        with guard():
            ids = list(session.scalars(select(log.id).where(dropped).order_by(log.id).limit(batch)))
            if ids:
                session.execute(delete(log).where(log.id.in_(ids)))
            session.commit()
        deleted += len(ids)
        if len(ids) < batch:
            return deleted
        pause()
