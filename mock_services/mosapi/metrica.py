"""The mock MoSAPI's METRICA domain lists: one report per day per TLD.

The latest report is for yesterday (UTC) unless the scenario's ``metrica.date`` says otherwise;
reports exist from ``METRICA_EARLIEST`` up to the latest. The scenario's ``counts`` apply to the
latest report only (threat types it does not give are generated); ``no_report`` removes every
report. Domain names are deterministic labels under the TLD.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from portal.core.mosapi import METRICA_EARLIEST, THREAT_TYPES, database_time, parse_iso_date
from portal.core.scenario import normalise_scenario

from .generation import envelope, rng, tld_label

METRICA_MAX_RANGE_DAYS = 31
DEFAULT_RANGE_DAYS = 30
# resultCode of a refused domainLists query.
CODE_RANGE_TOO_LONG = 2011
CODE_END_BEFORE_START = 2012
CODE_BAD_DATE = {"startDate": 2013, "endDate": 2014}
# Generated counts per report are drawn from 0 to these.
_MAX_COUNTS: dict[str, int] = {"phishing": 6, "malware": 4, "botnetCc": 2, "spam": 8, "pharming": 1}
_THREAT_WORDS: dict[str, tuple[str, ...]] = {
    "phishing": ("secure", "login", "verify", "account", "wallet", "signin"),
    "malware": ("update", "download", "codec", "patch", "driver", "flash"),
    "botnetCc": ("node", "relay", "sync", "gate", "panel", "beacon"),
    "spam": ("deals", "promo", "offer", "bonus", "shop", "prize"),
    "pharming": ("bank", "pay", "portal", "auth", "billing", "id"),
}
_WORDS2: tuple[str, ...] = ("center", "online", "service", "help", "zone", "hub", "now", "web")


def _metrica_conf(scenario: object) -> dict[str, Any]:
    return normalise_scenario(scenario).get("metrica", {})


def _latest_date(conf: dict[str, Any], ref: int) -> date:
    if "date" in conf:
        return date.fromisoformat(conf["date"])
    return datetime.fromtimestamp(ref, UTC).date() - timedelta(days=1)


def _has_report(conf: dict[str, Any], day: date, ref: int) -> bool:
    if conf.get("no_report"):
        return False
    return METRICA_EARLIEST <= day <= _latest_date(conf, ref)


def _abuse_domains(tld: str, day: date, threat: str, count: int) -> list[str]:
    draw = rng(tld, "metrica", day.isoformat(), threat)
    words = _THREAT_WORDS[threat]
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        label = f"{draw.choice(words)}-{draw.choice(_WORDS2)}{draw.randint(1, 9999)}"
        name = f"{label}.{tld}"
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def _report(tld: str, day: date, conf: dict[str, Any], ref: int) -> dict[str, Any] | None:
    """One day's report; ``uniqueAbuseDomains`` counts distinct names over all lists (a count
    of -1, not monitored, lists none)."""
    if not _has_report(conf, day, ref):
        return None
    draw = rng(tld, "metrica-counts", day.isoformat())
    counts = {threat: draw.randint(0, _MAX_COUNTS[threat]) for threat in THREAT_TYPES}
    if day == _latest_date(conf, ref):
        counts.update(conf.get("counts", {}))
    data = []
    unique: set[str] = set()
    for threat in THREAT_TYPES:
        count = counts[threat]
        domains = _abuse_domains(tld, day, threat, count) if count > 0 else []
        unique.update(domains)
        data.append({"threatType": threat, "count": count, "domains": domains})
    return envelope(
        ref,
        tld=tld,
        domainListDate=day.isoformat(),
        uniqueAbuseDomains=len(unique),
        domainListData=data,
    )


def metrica_latest(tld: str, scenario: object, now: datetime) -> dict[str, Any] | None:
    """``v2/metrica/domainList/latest``; ``None`` when the TLD has no report (404)."""
    conf, ref = _metrica_conf(scenario), database_time(now)
    return _report(tld_label(tld), _latest_date(conf, ref), conf, ref)


def metrica_by_date(
    tld: str, date_str: str, scenario: object, now: datetime
) -> dict[str, Any] | None:
    """``v2/metrica/domainList/<YYYY-MM-DD>``; ``None`` for no report or a malformed date."""
    day = parse_iso_date(date_str)
    if day is None:
        return None
    conf, ref = _metrica_conf(scenario), database_time(now)
    return _report(tld_label(tld), day, conf, ref)


def _metrica_error(code: int, message: str, description: str) -> tuple[int, dict[str, Any]]:
    return 400, {"resultCode": code, "message": message, "description": description}


def _bad_date(name: str, raw: str) -> tuple[int, dict[str, Any]]:
    return _metrica_error(
        CODE_BAD_DATE[name],
        f"The {name} is not in a valid date format.",
        f"{name} {raw!r} must be a date written YYYY-MM-DD.",
    )


def metrica_list(
    tld: str, start: str | None, end: str | None, scenario: object, now: datetime
) -> tuple[int, dict[str, Any]]:
    """``v2/metrica/domainLists?startDate=&endDate=`` -> ``(http status, body)``.

    ``endDate`` defaults to the latest report's date, ``startDate`` to ``DEFAULT_RANGE_DAYS``
    before ``endDate``. Checks run in this order: 2013 (bad startDate), 2014 (bad endDate), 2012
    (endDate before startDate), 2011 (more than ``METRICA_MAX_RANGE_DAYS`` between them). Lists
    are ascending by date.
    """
    conf, ref = _metrica_conf(scenario), database_time(now)
    start_day = None if start is None else parse_iso_date(start)
    if start is not None and start_day is None:
        return _bad_date("startDate", start)
    end_day = None if end is None else parse_iso_date(end)
    if end is not None and end_day is None:
        return _bad_date("endDate", end)
    if end_day is None:
        end_day = _latest_date(conf, ref)
    if start_day is None:
        start_day = end_day - timedelta(days=DEFAULT_RANGE_DAYS)
    if end_day < start_day:
        return _metrica_error(
            CODE_END_BEFORE_START,
            "The endDate is before the startDate.",
            f"endDate {end_day.isoformat()} is before startDate {start_day.isoformat()}.",
        )
    if (end_day - start_day).days > METRICA_MAX_RANGE_DAYS:
        return _metrica_error(
            CODE_RANGE_TOO_LONG,
            f"The difference between endDate and startDate is more than "
            f"{METRICA_MAX_RANGE_DAYS} days.",
            f"{start_day.isoformat()} to {end_day.isoformat()} spans "
            f"{(end_day - start_day).days} days; ask for {METRICA_MAX_RANGE_DAYS} at most.",
        )
    lists = []
    day = start_day
    while day <= end_day:
        if _has_report(conf, day, ref):
            lists.append({"domainListDate": day.isoformat()})
        day += timedelta(days=1)
    return 200, envelope(ref, tld=tld_label(tld), domainLists=lists)
