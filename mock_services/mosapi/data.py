"""Deterministic answers of the mock MoSAPI, per TLD, overridable by a per-TLD *scenario*.

Pure module: no Flask, no database, no clock. Every function takes ``now`` (a ``datetime``;
naive values are read as UTC) so the same inputs always give the same output. Randomness comes
from ``random.Random`` instances seeded with SHA-256 of the TLD name and the item being made
(never Python's ``hash()``, never the global random state), so two processes agree and two TLDs
differ. Functions return plain JSON-ready dicts; ``None`` means "not found" (the server answers
404). Service names are accepted in either case (paths use ``dns``, JSON uses ``DNS``); an
unknown service gives ``None``.

Time model
----------
``lastUpdateApiDatabase`` is ``now`` floored to the minute (the "database time", ``ref``); all
relative times of a scenario are counted back from it, so everything is minute aligned.

Scenario (all keys optional; unknown keys or services are errors)
-----------------------------------------------------------------
::

    {
      "services": {                       # keys DNS, DNSSEC, RDDS, RDAP, EPP (any case)
        "DNS": {
          "status": "Up" | "Down" | "Disabled" | "Up-inconclusive",
          "incidents": [
            {"active": true,              # default true
             "false_positive": false,     # default false
             "started_minutes_ago": 30,   # default 30; 0 .. 129600 (90 days)
             "started_at": 1700000000,    # alternative to started_minutes_ago (Unix seconds)
             "duration_minutes": 10}      # resolved incidents only; default min(10, started)
          ],
          "emergency_threshold": 0-100    # percent of the weekly downtime budget consumed
        },
        "DNSSEC": {...}, "RDDS": {...}, "RDAP": {...}, "EPP": {...}
      },
      "status": "Up" | "Down" | "Up-inconclusive",   # overall override
      "metrica": {
        "date": "YYYY-MM-DD",             # date of the latest report (default: yesterday)
        "counts": {"phishing": 3, "malware": -1, "botnetCc": 0, "spam": 2, "pharming": 0},
        "no_report": false                # true: the TLD has no METRICA report at all
      }
    }

``validate_scenario(doc, now=...)`` returns the normalised scenario with defaults filled in.
Given ``now`` it also turns ``started_minutes_ago`` into an absolute ``started_at``: store *that*
form, so incident IDs (which contain the start time) stay stable while time passes. Relative
incidents are otherwise re-anchored to every call's ``now``. The data functions accept raw or
normalised scenarios (they validate again and raise ``ValueError`` on an invalid one).

Decisions (harness choices where the published specification is silent)
-----------------------------------------------------------------------
* Services: DNS, DNSSEC, RDDS, RDAP, EPP. By default all are ``Up``, except EPP, which is
  ``Disabled`` for about one TLD in three (``_epp_disabled_by_default``), as EPP monitoring is
  not enabled everywhere. Mentioning a service in a scenario enables it unless its status there
  is ``Disabled``.
* A service's status defaults to ``Down`` when the scenario gives it an active, non-false-
  positive incident, else ``Up``. ``Down`` without incidents only changes status/alarmed.
* Overall status: ``Down`` if any enabled service is Down, else ``Up-inconclusive`` if any is,
  else ``Up``; the scenario's ``status`` overrides.
* ``alarmed``: ``Disabled`` for a disabled service; ``Yes`` if the service is Down or has an
  active non-false-positive incident; else ``No``.
* History: for every (TLD, service, calendar week of the Unix epoch) 0-2 incidents of 2-25
  minutes are drawn; those that ended before ``ref`` and started within the last 90 days are
  listed, ``Resolved``, about one in seven flagged false positive. They never depend on ``now``
  beyond that window, so their IDs are stable. Scenario incidents are added to them.
  ``incidentID`` is ``"<startTime>.<eventId>"``. A scenario incident that starts after
  ``ref`` is not there yet; a resolved one whose end is after ``ref`` is still ``Active``.
* ``downtime`` = minutes of non-false-positive incidents overlapping the rolling last 7 days;
  ``emergencyThreshold`` = downtime as a percentage (4 decimals) of the weekly budget:
  240 minutes for DNS and DNSSEC, 1440 for RDDS, RDAP and EPP. A scenario
  ``emergency_threshold`` sets the threshold and derives the downtime from it. A disabled
  service has downtime 0 and no incidents.
* ``state`` lists each enabled service's *active* incidents only.
* ``incidents`` filters with ``start_date``/``end_date`` (Unix seconds, as the query string
  carries them) by overlap: an incident is listed when it started before ``end_date`` and had
  not ended before ``start_date``. Sorted by start time.
* Measurements (shapes harness-defined, modelled on the specification): one measurement per
  cycle (60 s for DNS/DNSSEC, 300 s for RDDS/RDAP/EPP) for the last 90 days; its ID is the
  cycle start in Unix seconds as a string. A cycle is ``Down`` when it overlaps any listed
  incident (false positives included: the raw measurement was Down). Listing levels::

      measurements()                -> {"version", "lastUpdateApiDatabase", "tld", "service",
                                        "years": ["2025", ...]}
      measurements(year)            -> {... "year", "months": ["01", ...]}
      measurements(year, month)     -> {... "year", "month", "days": ["01", ...]}
      measurements(y, m, d)         -> {... "year", "month", "day", "measurements": [id, ...]}
      measurements(y, m, d, id)     -> {"version", "lastUpdateApiDatabase", "tld", "service",
                                        "measurementID", "cycleCalculationDateTime", "status",
                                        "testedInterface": [{"interface", "status",
                                          "probes": [{"city", "status", "testData": [{"target",
                                            "status", "metrics": [{"testDateTime", "targetIP",
                                            "rtt", "result"}]}]}]}]}

  ``result`` is ``"ok"`` or the placeholder error code ``"-200"`` (with ``rtt`` null).
  Interfaces: DNS -> DNS, DNSSEC -> DNSSEC, RDDS -> RDDS43 + RDDS80, RDAP -> RDAP, EPP -> EPP.
  A disabled service has no measurements (``None``).
* ``incident_measurements`` -> ``{"version", "lastUpdateApiDatabase", "measurements":
  [{"measurementID", "measurementDate", "measurementDataURI"}]}`` for the cycles the incident
  covers (the 1440 most recent at most); the URI is the path of the measurement on this mock.
  ``incident_false_positive`` -> ``{"version", "lastUpdateApiDatabase", "falsePositive",
  "updateTime"}`` (``updateTime`` null unless flagged).
* METRICA: one report per day; the latest is for yesterday (UTC) unless the scenario's
  ``metrica.date`` says otherwise; reports exist from 2018-01-01 up to the latest. The
  scenario's ``counts`` apply to the latest report only (types not given are generated);
  ``no_report`` removes every report. Domain names are deterministic labels under the TLD;
  ``uniqueAbuseDomains`` counts distinct names over all lists (``-1`` lists are empty).
  ``metrica_list`` defaults ``endDate`` to the latest report date and ``startDate`` to 30 days
  before ``endDate``; checks run 2013, 2014, 2012, then 2011 (more than 31 days between the
  dates). Lists are ascending by date.
* ``rdap_base_urls`` is a fixed fictitious registrar list (IANA IDs as strings, URLs under
  ``.example``), published daily at 00:00Z of ``now``'s date; like every other body it also
  carries ``lastUpdateApiDatabase``, but keeps the bootstrap ``version`` "1.0".
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from portal.core.scenario import (
    DAY,
    METRICA_EARLIEST,
    MINUTE,
    RETENTION_DAYS,
    SERVICES,
    THREAT_TYPES,
    Scenario,
    _ref,
    _utc,
    parse_iso_date,
    service_key,
    validate_scenario,
)

VERSION = 2

WEEK = 7 * DAY
RETENTION = RETENTION_DAYS * DAY
METRICA_MAX_RANGE_DAYS = 31
INCIDENT_MEASUREMENTS_CAP = 1440

# Weekly downtime budget (Specification 10 emergency thresholds), minutes.
BUDGET_MINUTES: dict[str, int] = {
    "DNS": 240,
    "DNSSEC": 240,
    "RDDS": 1440,
    "RDAP": 1440,
    "EPP": 1440,
}
CYCLE_SECONDS: dict[str, int] = {"DNS": 60, "DNSSEC": 60, "RDDS": 300, "RDAP": 300, "EPP": 300}
INTERFACES: dict[str, tuple[str, ...]] = {
    "DNS": ("DNS",),
    "DNSSEC": ("DNSSEC",),
    "RDDS": ("RDDS43", "RDDS80"),
    "RDAP": ("RDAP",),
    "EPP": ("EPP",),
}
PROBE_CITIES: tuple[str, ...] = (
    "Amsterdam",
    "Buenos Aires",
    "Cape Town",
    "Frankfurt",
    "Los Angeles",
    "Mumbai",
    "Singapore",
    "Sydney",
    "Tokyo",
    "Washington DC",
)
_THREAT_WORDS: dict[str, tuple[str, ...]] = {
    "phishing": ("secure", "login", "verify", "account", "wallet", "signin"),
    "malware": ("update", "download", "codec", "patch", "driver", "flash"),
    "botnetCc": ("node", "relay", "sync", "gate", "panel", "beacon"),
    "spam": ("deals", "promo", "offer", "bonus", "shop", "prize"),
    "pharming": ("bank", "pay", "portal", "auth", "billing", "id"),
}
_WORDS2: tuple[str, ...] = ("center", "online", "service", "help", "zone", "hub", "now", "web")


# --------------------------------------------------------------------------- helpers


def _seed(*parts: object) -> int:
    text = "\x1f".join(str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def _rng(*parts: object) -> random.Random:
    return random.Random(_seed(*parts))


def _tld(tld: str) -> str:
    return tld.strip().rstrip(".").lower()


def _envelope(ref: int, **fields: Any) -> dict[str, Any]:
    return {"version": VERSION, "lastUpdateApiDatabase": ref, **fields}


def _normalise(scenario: object) -> Scenario:
    clean, errors = validate_scenario(scenario)
    if clean is None:
        detail = "; ".join(f"{field}: {message}" for field, message in errors)
        raise ValueError(f"invalid MoSAPI scenario: {detail}")
    return clean


# --------------------------------------------------------------------------- incidents


@dataclass(frozen=True)
class _Incident:
    start: int
    end: int | None  # None: active
    event_id: int
    false_positive: bool

    @property
    def incident_id(self) -> str:
        return f"{self.start}.{self.event_id}"

    @property
    def active(self) -> bool:
        return self.end is None

    def as_json(self) -> dict[str, Any]:
        return {
            "incidentID": self.incident_id,
            "startTime": self.start,
            "endTime": self.end,
            "falsePositive": self.false_positive,
            "state": "Active" if self.active else "Resolved",
        }


def _epp_disabled_by_default(tld: str) -> bool:
    return _seed(tld, "epp-enabled") % 3 == 0


def _history(tld: str, service: str, ref: int) -> list[_Incident]:
    """Resolved incidents drawn per epoch week; stable whatever ``now`` is."""
    found: list[_Incident] = []
    oldest = ref - RETENTION
    for week in range(oldest // WEEK, ref // WEEK + 1):
        rng = _rng(tld, service, "history", week)
        count = rng.choices((0, 1, 2), weights=(5, 4, 1))[0]
        for _ in range(count):
            start = week * WEEK + rng.randrange(WEEK // MINUTE) * MINUTE
            end = start + rng.randint(2, 25) * MINUTE
            event_id = rng.randint(1000, 99_999)
            false_positive = rng.random() < 1 / 7
            if start >= oldest and end <= ref:
                found.append(_Incident(start, end, event_id, false_positive))
    return found


def _scenario_incidents(tld: str, service: str, conf: dict[str, Any], ref: int) -> list[_Incident]:
    found: list[_Incident] = []
    for index, item in enumerate(conf.get("incidents", ())):
        if "started_at" in item:
            start = item["started_at"]
        else:
            start = ref - item["started_minutes_ago"] * MINUTE
        if start > ref:
            continue  # not started yet
        end: int | None = None
        if not item["active"]:
            end = start + item["duration_minutes"] * MINUTE
            if end > ref:
                end = None  # still running at database time
        event_id = 100_000 + _seed(tld, service, "scenario", index) % 900_000
        found.append(_Incident(start, end, event_id, item["false_positive"]))
    return found


@dataclass(frozen=True)
class _ServiceView:
    name: str
    status: str
    incidents: tuple[_Incident, ...]  # sorted by start
    downtime: int
    emergency_threshold: float

    @property
    def enabled(self) -> bool:
        return self.status != "Disabled"

    @property
    def alarmed(self) -> str:
        if not self.enabled:
            return "Disabled"
        if self.status == "Down":
            return "Yes"
        if any(i.active and not i.false_positive for i in self.incidents):
            return "Yes"
        return "No"


def _downtime_minutes(incidents: list[_Incident], ref: int) -> int:
    window = ref - WEEK
    seconds = 0
    for item in incidents:
        if item.false_positive:
            continue
        end = ref if item.end is None else item.end
        seconds += max(0, min(end, ref) - max(item.start, window))
    return -(-seconds // MINUTE)


def _service(tld: str, service: str, scenario: Scenario, ref: int) -> _ServiceView:
    conf = scenario.get("services", {}).get(service)
    status = conf.get("status") if conf else None
    if status is None and conf is None and service == "EPP" and _epp_disabled_by_default(tld):
        status = "Disabled"
    if status == "Disabled":
        return _ServiceView(service, "Disabled", (), 0, 0.0)
    extra = _scenario_incidents(tld, service, conf or {}, ref)
    if status is None:
        status = "Down" if any(i.active and not i.false_positive for i in extra) else "Up"
    incidents = sorted(_history(tld, service, ref) + extra, key=lambda i: (i.start, i.event_id))
    budget = BUDGET_MINUTES[service]
    if conf and "emergency_threshold" in conf:
        threshold = round(conf["emergency_threshold"], 4)
        downtime = round(threshold * budget / 100)
    else:
        downtime = _downtime_minutes(incidents, ref)
        threshold = round(min(100.0, downtime * 100 / budget), 4)
    return _ServiceView(service, status, tuple(incidents), downtime, threshold)


def _overall(views: list[_ServiceView], scenario: Scenario) -> str:
    if "status" in scenario:
        return scenario["status"]
    statuses = {view.status for view in views if view.enabled}
    if "Down" in statuses:
        return "Down"
    if "Up-inconclusive" in statuses:
        return "Up-inconclusive"
    return "Up"


# --------------------------------------------------------------------------- monitoring


def state(tld: str, scenario: object, now: datetime) -> dict[str, Any]:
    """``v2/monitoring/state``."""
    tld, clean, ref = _tld(tld), _normalise(scenario), _ref(now)
    views = [_service(tld, name, clean, ref) for name in SERVICES]
    tested: dict[str, Any] = {}
    for view in views:
        if not view.enabled:
            tested[view.name] = {"status": "Disabled"}
            continue
        tested[view.name] = {
            "status": view.status,
            "emergencyThreshold": view.emergency_threshold,
            "incidents": [i.as_json() for i in view.incidents if i.active],
        }
    return _envelope(ref, tld=tld, status=_overall(views, clean), testedServices=tested)


def _view(tld: str, service: str, scenario: object, now: datetime) -> _ServiceView | None:
    key = service_key(service)
    if key is None:
        return None
    return _service(_tld(tld), key, _normalise(scenario), _ref(now))


def alarmed(tld: str, service: str, scenario: object, now: datetime) -> dict[str, Any] | None:
    """``v2/monitoring/<svc>/alarmed`` -> ``alarmed`` Yes / No / Disabled."""
    view = _view(tld, service, scenario, now)
    if view is None:
        return None
    return _envelope(_ref(now), alarmed=view.alarmed)


def downtime(tld: str, service: str, scenario: object, now: datetime) -> dict[str, Any] | None:
    """``v2/monitoring/<svc>/downtime`` -> minutes of downtime in the rolling week."""
    view = _view(tld, service, scenario, now)
    if view is None:
        return None
    return _envelope(_ref(now), downtime=view.downtime)


def incidents(
    tld: str,
    service: str,
    scenario: object,
    now: datetime,
    start_date: int | None = None,
    end_date: int | None = None,
) -> dict[str, Any] | None:
    """``v2/monitoring/<svc>/incidents[?startDate=&endDate=]`` (Unix seconds, overlap filter)."""
    view = _view(tld, service, scenario, now)
    if view is None:
        return None
    listed = []
    for item in view.incidents:
        if end_date is not None and item.start > end_date:
            continue
        if start_date is not None and item.end is not None and item.end < start_date:
            continue
        listed.append(item.as_json())
    return _envelope(_ref(now), incidents=listed)


def _find_incident(
    tld: str, service: str, incident_id: str, scenario: object, now: datetime
) -> tuple[_ServiceView, _Incident] | None:
    view = _view(tld, service, scenario, now)
    if view is None:
        return None
    for item in view.incidents:
        if item.incident_id == incident_id:
            return view, item
    return None


def incident(
    tld: str, service: str, incident_id: str, scenario: object, now: datetime
) -> dict[str, Any] | None:
    """``v2/monitoring/<svc>/incidents/<incidentID>``; ``None`` when unknown."""
    found = _find_incident(tld, service, incident_id, scenario, now)
    if found is None:
        return None
    return _envelope(_ref(now), **found[1].as_json())


def incident_false_positive(
    tld: str, service: str, incident_id: str, scenario: object, now: datetime
) -> dict[str, Any] | None:
    """``.../incidents/<incidentID>/falsePositive`` -> ``falsePositive``, ``updateTime``."""
    found = _find_incident(tld, service, incident_id, scenario, now)
    if found is None:
        return None
    item = found[1]
    update_time = None
    if item.false_positive:
        update_time = item.end if item.end is not None else item.start
    return _envelope(_ref(now), falsePositive=item.false_positive, updateTime=update_time)


def _cycle_bounds(service: str, ref: int) -> tuple[int, int, int]:
    """(cycle length, first available cycle start, last completed cycle start)."""
    length = CYCLE_SECONDS[service]
    first = ref - RETENTION
    first += -first % length
    last = ref - length
    last -= last % length
    return length, first, last


def incident_measurements(
    tld: str, service: str, incident_id: str, scenario: object, now: datetime
) -> dict[str, Any] | None:
    """``.../incidents/<incidentID>/measurements`` -> the cycles the incident covers."""
    found = _find_incident(tld, service, incident_id, scenario, now)
    if found is None:
        return None
    view, item = found
    ref = _ref(now)
    length, first, last = _cycle_bounds(view.name, ref)
    end = ref if item.end is None else item.end
    start_cycle = max(first, item.start - item.start % length)
    cycles = list(range(start_cycle, min(last, end - 1) + 1, length))[-INCIDENT_MEASUREMENTS_CAP:]
    base = f"/ry/{_tld(tld)}/v2/monitoring/{view.name.lower()}/measurements"
    listed = []
    for cycle in cycles:
        day = datetime.fromtimestamp(cycle, UTC)
        listed.append(
            {
                "measurementID": str(cycle),
                "measurementDate": cycle,
                "measurementDataURI": f"{base}/{day:%Y/%m/%d}/{cycle}",
            }
        )
    return _envelope(ref, measurements=listed)


def _as_int(value: int | str | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return -1
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit() and value.isascii():
        return int(value)
    return -1


def _name_servers(tld: str) -> list[tuple[str, str, str]]:
    rng = _rng(tld, "name-servers")
    count = rng.randint(2, 4)
    return [
        (
            f"ns{n}.nic.{tld}",
            f"192.0.2.{rng.randint(1, 254)}",
            f"2001:db8:{rng.randint(1, 0xFFFF):x}::{n}",
        )
        for n in range(1, count + 1)
    ]


def _targets(tld: str, interface: str) -> list[tuple[str, list[str]]]:
    """(target, addresses tested) per interface; documentation-range addresses."""
    if interface in ("DNS", "DNSSEC"):
        return [(name, [v4, v6]) for name, v4, v6 in _name_servers(tld)]
    ip = f"198.51.100.{_seed(tld, interface, 'ip') % 254 + 1}"
    return {
        "RDDS43": [(f"whois.nic.{tld}", [ip])],
        "RDDS80": [(f"https://whois.nic.{tld}/", [ip])],
        "RDAP": [(f"https://rdap.nic.{tld}/", [ip])],
        "EPP": [(f"epp.nic.{tld}", [ip])],
    }[interface]


def _measurement(view: _ServiceView, tld: str, cycle: int, ref: int) -> dict[str, Any]:
    length = CYCLE_SECONDS[view.name]
    down = any(
        item.start < cycle + length and (item.end is None or item.end > cycle)
        for item in view.incidents
    )
    rng = _rng(tld, view.name, "measurement", cycle)
    interfaces = []
    for interface in INTERFACES[view.name]:
        probes = []
        cities = sorted(rng.sample(PROBE_CITIES, 4))
        # Down: all probes but maybe one fail; Up: at most one probe fails.
        failing = set(rng.sample(cities, rng.choice((3, 4)) if down else int(rng.random() < 0.1)))
        for city in cities:
            probe_down = city in failing
            test_data = []
            for target, addresses in _targets(tld, interface):
                metrics = [
                    {
                        "testDateTime": cycle + rng.randrange(length),
                        "targetIP": address,
                        "rtt": None if probe_down else rng.randint(5, 400),
                        "result": "-200" if probe_down else "ok",
                    }
                    for address in addresses
                ]
                test_data.append(
                    {
                        "target": target,
                        "status": "Down" if probe_down else "Up",
                        "metrics": metrics,
                    }
                )
            probes.append(
                {"city": city, "status": "Down" if probe_down else "Up", "testData": test_data}
            )
        interfaces.append(
            {"interface": interface, "status": "Down" if down else "Up", "probes": probes}
        )
    return _envelope(
        ref,
        tld=tld,
        service=view.name,
        measurementID=str(cycle),
        cycleCalculationDateTime=cycle,
        status="Down" if down else "Up",
        testedInterface=interfaces,
    )


def measurements(
    tld: str,
    service: str,
    now: datetime,
    year: int | str | None = None,
    month: int | str | None = None,
    day: int | str | None = None,
    measurement_id: str | None = None,
    *,
    scenario: object = None,
) -> dict[str, Any] | None:
    """``v2/monitoring/<svc>/measurements[/yyyy[/mm[/dd[/<id>]]]]`` (harness-defined shapes).

    ``None`` for an unknown service, a disabled one, a malformed or empty period, or an
    unknown measurement.
    """
    view = _view(tld, service, scenario, now)
    if view is None or not view.enabled:
        return None
    tld, ref = _tld(tld), _ref(now)
    length, first, last = _cycle_bounds(view.name, ref)
    if last < first:
        return None
    y, m, d = _as_int(year), _as_int(month), _as_int(day)
    if (m is not None and y is None) or (d is not None and m is None):
        return None
    if measurement_id is not None and d is None:
        return None
    first_day = datetime.fromtimestamp(first, UTC).date()
    last_day = datetime.fromtimestamp(last, UTC).date()
    days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    head = {"tld": tld, "service": view.name}
    if y is None:
        years = sorted({f"{x.year:04d}" for x in days})
        return _envelope(ref, **head, years=years)
    days = [x for x in days if x.year == y]
    if not days:
        return None
    if m is None:
        months = sorted({f"{x.month:02d}" for x in days})
        return _envelope(ref, **head, year=f"{y:04d}", months=months)
    days = [x for x in days if x.month == m]
    if not days:
        return None
    if d is None:
        listed = [f"{x.day:02d}" for x in days]
        return _envelope(ref, **head, year=f"{y:04d}", month=f"{m:02d}", days=listed)
    days = [x for x in days if x.day == d]
    if not days:
        return None
    day_start = int(datetime(y, m, d, tzinfo=UTC).timestamp())
    lo = max(first, day_start + (-day_start % length))
    hi = min(last, day_start + DAY - 1)
    if measurement_id is None:
        ids = [str(c) for c in range(lo, hi + 1, length)]
        return _envelope(
            ref, **head, year=f"{y:04d}", month=f"{m:02d}", day=f"{d:02d}", measurements=ids
        )
    cycle = _as_int(measurement_id)
    if cycle is None or cycle < lo or cycle > hi or cycle % length:
        return None
    return _measurement(view, tld, cycle, ref)


# --------------------------------------------------------------------------- METRICA


def _metrica_conf(scenario: object) -> dict[str, Any]:
    return _normalise(scenario).get("metrica", {})


def _latest_date(conf: dict[str, Any], ref: int) -> date:
    if "date" in conf:
        return date.fromisoformat(conf["date"])
    return datetime.fromtimestamp(ref, UTC).date() - timedelta(days=1)


def _has_report(conf: dict[str, Any], day: date, ref: int) -> bool:
    if conf.get("no_report"):
        return False
    return METRICA_EARLIEST <= day <= _latest_date(conf, ref)


def _abuse_domains(tld: str, day: date, threat: str, count: int) -> list[str]:
    rng = _rng(tld, "metrica", day.isoformat(), threat)
    words = _THREAT_WORDS[threat]
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        label = f"{rng.choice(words)}-{rng.choice(_WORDS2)}{rng.randint(1, 9999)}"
        name = f"{label}.{tld}"
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def _report(tld: str, day: date, conf: dict[str, Any], ref: int) -> dict[str, Any] | None:
    if not _has_report(conf, day, ref):
        return None
    rng = _rng(tld, "metrica-counts", day.isoformat())
    maxima = {"phishing": 6, "malware": 4, "botnetCc": 2, "spam": 8, "pharming": 1}
    counts = {threat: rng.randint(0, maxima[threat]) for threat in THREAT_TYPES}
    if day == _latest_date(conf, ref):
        counts.update(conf.get("counts", {}))
    data = []
    unique: set[str] = set()
    for threat in THREAT_TYPES:
        count = counts[threat]
        domains = _abuse_domains(tld, day, threat, count) if count > 0 else []
        unique.update(domains)
        data.append({"threatType": threat, "count": count, "domains": domains})
    return _envelope(
        ref,
        tld=tld,
        domainListDate=day.isoformat(),
        uniqueAbuseDomains=len(unique),
        domainListData=data,
    )


def metrica_latest(tld: str, scenario: object, now: datetime) -> dict[str, Any] | None:
    """``v2/metrica/domainList/latest``; ``None`` when the TLD has no report (404)."""
    conf, ref = _metrica_conf(scenario), _ref(now)
    return _report(_tld(tld), _latest_date(conf, ref), conf, ref)


def metrica_by_date(
    tld: str, date_str: str, scenario: object, now: datetime
) -> dict[str, Any] | None:
    """``v2/metrica/domainList/<YYYY-MM-DD>``; ``None`` for no report or a malformed date."""
    day = parse_iso_date(date_str)
    if day is None:
        return None
    conf, ref = _metrica_conf(scenario), _ref(now)
    return _report(_tld(tld), day, conf, ref)


def _metrica_error(code: int, message: str, description: str) -> tuple[int, dict[str, Any]]:
    return 400, {"resultCode": code, "message": message, "description": description}


def metrica_list(
    tld: str, start: str | None, end: str | None, scenario: object, now: datetime
) -> tuple[int, dict[str, Any]]:
    """``v2/metrica/domainLists?startDate=&endDate=`` -> ``(http status, body)``."""
    conf, ref = _metrica_conf(scenario), _ref(now)
    start_day = end_day = None
    if start is not None:
        start_day = parse_iso_date(start)
        if start_day is None:
            return _metrica_error(
                2013,
                "The startDate is not in a valid date format.",
                f"startDate {start!r} must be a date written YYYY-MM-DD.",
            )
    if end is not None:
        end_day = parse_iso_date(end)
        if end_day is None:
            return _metrica_error(
                2014,
                "The endDate is not in a valid date format.",
                f"endDate {end!r} must be a date written YYYY-MM-DD.",
            )
    if end_day is None:
        end_day = _latest_date(conf, ref)
    if start_day is None:
        start_day = end_day - timedelta(days=30)
    if end_day < start_day:
        return _metrica_error(
            2012,
            "The endDate is before the startDate.",
            f"endDate {end_day.isoformat()} is before startDate {start_day.isoformat()}.",
        )
    if (end_day - start_day).days > METRICA_MAX_RANGE_DAYS:
        return _metrica_error(
            2011,
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
    return 200, _envelope(ref, tld=_tld(tld), domainLists=lists)


# --------------------------------------------------------------------------- RDAP base URLs


def rdap_base_urls(now: datetime) -> dict[str, Any]:
    """``v2/registrarRdapBaseUrl/list``: a fixed fictitious registrar list, published daily."""
    rng = _rng("registrar-rdap-base-urls")
    ids = sorted(rng.sample(range(1000, 4000), 14))
    services: list[list[list[str]]] = []
    # Three registrars hosted by one RDAP provider share a base URL.
    services.append(
        [[str(x) for x in ids[:3]], ["https://rdap.shared-registrar-platform.example/"]]
    )
    for n, iana_id in enumerate(ids[3:]):
        urls = [f"https://rdap.registrar-{iana_id}.example/"]
        if n == 0:  # one registrar publishes two base URLs
            urls.append(f"https://rdap2.registrar-{iana_id}.example/rdap/")
        services.append([[str(iana_id)], urls])
    day = _utc(now).date()
    return {
        "publication": f"{day.isoformat()}T00:00:00Z",
        "description": "RDAP base URLs of ICANN-accredited registrars (harness test data)",
        "services": services,
        "version": "1.0",
        "lastUpdateApiDatabase": _ref(now),
    }
