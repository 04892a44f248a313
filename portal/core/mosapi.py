"""MoSAPI's vocabulary, as the mock serves it and a scenario names it: the monitored services,
their statuses, the METRICA threat types, how far back data goes, and the database time.

Pure: no Flask, no database, no clock (every time comes in as ``now``).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

# The monitored services as MoSAPI writes them in JSON; its paths use them in lower case.
SERVICES: tuple[str, ...] = ("DNS", "DNSSEC", "RDDS", "RDAP", "EPP")
SERVICE_PATHS: dict[str, str] = {name.lower(): name for name in SERVICES}
SERVICE_STATUSES: tuple[str, ...] = ("Up", "Down", "Disabled", "Up-inconclusive")
OVERALL_STATUSES: tuple[str, ...] = ("Up", "Down", "Up-inconclusive")
# METRICA's threat types, in the order MoSAPI's specification lists them.
THREAT_TYPES: tuple[str, ...] = ("spam", "phishing", "botnetCc", "malware")

MINUTE = 60
DAY = 86_400
# Monitoring data (incidents, measurements) goes back this far.
RETENTION_DAYS = 90
# The first day with a METRICA report.
METRICA_EARLIEST = date(2018, 1, 1)

_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_UNIX_TIME_RE = re.compile(r"[0-9]+")


def as_utc(now: datetime) -> datetime:
    """``now`` in UTC; a naive value is read as UTC."""
    if now.tzinfo is None:
        return now.replace(tzinfo=UTC)
    return now.astimezone(UTC)


def database_time(now: datetime) -> int:
    """``lastUpdateApiDatabase``: ``now`` floored to the minute, in Unix seconds.

    Every relative time (a scenario's ``started_minutes_ago``, the rolling downtime week, the
    retention window) counts back from it, so everything the mock serves is minute aligned and
    the same within a minute.
    """
    ts = int(as_utc(now).timestamp())
    return ts - ts % MINUTE


def service_key(name: str) -> str | None:
    """``dns`` / ``DNS`` -> ``DNS``; ``None`` for an unknown service."""
    key = name.upper() if isinstance(name, str) else ""
    return key if key in SERVICES else None


def parse_iso_date(value: object) -> date | None:
    """Strict ``YYYY-MM-DD`` -> ``date``; ``None`` when malformed or impossible."""
    if not isinstance(value, str) or not _DATE_RE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def parse_unix_time(value: object) -> int | None:
    """Strict Unix seconds (ASCII digits only) -> ``int``; ``None`` when malformed."""
    if not isinstance(value, str) or not _UNIX_TIME_RE.fullmatch(value):
        return None
    return int(value)
