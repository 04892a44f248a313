"""The mock MoSAPI's monitoring answers: state, alarmed, downtime and incidents of each service.

Services are DNS, DNSSEC, RDDS, RDAP and EPP. Where the published specification is silent the
choices are the harness's, each written next to the code that makes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from portal.core.mosapi import (
    DAY,
    MINUTE,
    RETENTION_DAYS,
    SERVICES,
    database_time,
    service_key,
)
from portal.core.scenario import Scenario, normalise_scenario

from .generation import envelope, rng, seed, tld_label

WEEK = 7 * DAY
RETENTION = RETENTION_DAYS * DAY

# Weekly downtime budget (Specification 10 emergency thresholds), minutes.
BUDGET_MINUTES: dict[str, int] = {
    "DNS": 240,
    "DNSSEC": 240,
    "RDDS": 1440,
    "RDAP": 1440,
    "EPP": 1440,
}


@dataclass(frozen=True)
class Incident:
    start: int
    end: int | None  # None: active
    event_id: int
    false_positive: bool

    @property
    def incident_id(self) -> str:
        """``"<startTime>.<eventId>"``."""
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

    def false_positive_json(self) -> dict[str, Any]:
        """``falsePositive`` and ``updateTime``, which is null unless the incident is flagged."""
        update_time = None
        if self.false_positive:
            update_time = self.end if self.end is not None else self.start
        return {"falsePositive": self.false_positive, "updateTime": update_time}


def _epp_disabled_by_default(tld: str) -> bool:
    # EPP monitoring is not enabled everywhere: about one TLD in three.
    return seed(tld, "epp-enabled") % 3 == 0


def _history(tld: str, service: str, ref: int) -> list[Incident]:
    """Resolved incidents drawn per epoch week; stable whatever ``now`` is.

    For every (TLD, service, calendar week of the Unix epoch) 0-2 incidents of 2-25 minutes are
    drawn; those that ended before ``ref`` and started within the retention window are listed,
    about one in seven flagged false positive. They depend on ``now`` only through that window,
    so their IDs never change.
    """
    found: list[Incident] = []
    oldest = ref - RETENTION
    for week in range(oldest // WEEK, ref // WEEK + 1):
        draw = rng(tld, service, "history", week)
        count = draw.choices((0, 1, 2), weights=(5, 4, 1))[0]
        for _ in range(count):
            start = week * WEEK + draw.randrange(WEEK // MINUTE) * MINUTE
            end = start + draw.randint(2, 25) * MINUTE
            event_id = draw.randint(1000, 99_999)
            false_positive = draw.random() < 1 / 7
            if start >= oldest and end <= ref:
                found.append(Incident(start, end, event_id, false_positive))
    return found


def _scenario_incidents(tld: str, service: str, conf: dict[str, Any], ref: int) -> list[Incident]:
    """The scenario's incidents as of ``ref``: one that starts later is not there yet; a
    resolved one whose end is later is still active."""
    found: list[Incident] = []
    for index, item in enumerate(conf.get("incidents", ())):
        if "started_at" in item:
            start = item["started_at"]
        else:
            start = ref - item["started_minutes_ago"] * MINUTE
        if start > ref:
            continue
        end: int | None = None
        if not item["active"]:
            end = start + item["duration_minutes"] * MINUTE
            if end > ref:
                end = None
        event_id = 100_000 + seed(tld, service, "scenario", index) % 900_000
        found.append(Incident(start, end, event_id, item["false_positive"]))
    return found


@dataclass(frozen=True)
class ServiceView:
    name: str
    status: str
    incidents: tuple[Incident, ...]  # sorted by start
    downtime: int
    emergency_threshold: float

    @property
    def enabled(self) -> bool:
        return self.status != "Disabled"

    def incident(self, incident_id: str) -> Incident | None:
        return next((i for i in self.incidents if i.incident_id == incident_id), None)

    @property
    def alarmed(self) -> str:
        """``Disabled`` for a disabled service; ``Yes`` if it is Down or has an active incident
        that is not a false positive; else ``No``."""
        if not self.enabled:
            return "Disabled"
        if self.status == "Down":
            return "Yes"
        if any(i.active and not i.false_positive for i in self.incidents):
            return "Yes"
        return "No"


def _downtime_minutes(incidents: list[Incident], ref: int) -> int:
    """Minutes of incidents that are not false positives overlapping the rolling last week."""
    window = ref - WEEK
    seconds = 0
    for item in incidents:
        if item.false_positive:
            continue
        end = ref if item.end is None else item.end
        seconds += max(0, min(end, ref) - max(item.start, window))
    return -(-seconds // MINUTE)


def _service(tld: str, service: str, scenario: Scenario, ref: int) -> ServiceView:
    """One service as of ``ref``.

    Status: the scenario's; else ``Disabled`` for EPP where it is off by default (mentioning EPP
    in a scenario enables it); else ``Down`` when the scenario gives it an active incident that
    is not a false positive; else ``Up``. ``Down`` without incidents changes status and alarmed
    only. Incidents: the history plus the scenario's. The emergency threshold is the downtime as
    a percentage (4 decimals) of the weekly budget; a scenario's ``emergency_threshold`` sets it
    and the downtime is derived from it. A disabled service has no incidents and no downtime.
    """
    conf = scenario.get("services", {}).get(service)
    status = conf.get("status") if conf else None
    if status is None and conf is None and service == "EPP" and _epp_disabled_by_default(tld):
        status = "Disabled"
    if status == "Disabled":
        return ServiceView(service, "Disabled", (), 0, 0.0)
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
    return ServiceView(service, status, tuple(incidents), downtime, threshold)


def _overall(views: list[ServiceView], scenario: Scenario) -> str:
    """``Down`` if any enabled service is Down, else ``Up-inconclusive`` if any is, else ``Up``;
    the scenario's ``status`` overrides."""
    if "status" in scenario:
        return scenario["status"]
    statuses = {view.status for view in views if view.enabled}
    if "Down" in statuses:
        return "Down"
    if "Up-inconclusive" in statuses:
        return "Up-inconclusive"
    return "Up"


def state(tld: str, scenario: object, now: datetime) -> dict[str, Any]:
    """``v2/monitoring/state``: every service, each enabled one with its *active* incidents."""
    tld, clean, ref = tld_label(tld), normalise_scenario(scenario), database_time(now)
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
    return envelope(ref, tld=tld, status=_overall(views, clean), testedServices=tested)


def service_view(tld: str, service: str, scenario: object, now: datetime) -> ServiceView | None:
    """One service as of ``now``; ``None`` for an unknown service."""
    key = service_key(service)
    if key is None:
        return None
    return _service(tld_label(tld), key, normalise_scenario(scenario), database_time(now))


_Found = TypeVar("_Found")


def _answer(
    found: _Found | None, now: datetime, fields: Callable[[_Found], dict[str, Any]]
) -> dict[str, Any] | None:
    """The envelope around ``fields`` of what was found; ``None`` (404) when nothing was."""
    return None if found is None else envelope(database_time(now), **fields(found))


def _find_incident(
    tld: str, service: str, incident_id: str, scenario: object, now: datetime
) -> Incident | None:
    view = service_view(tld, service, scenario, now)
    return None if view is None else view.incident(incident_id)


def alarmed(tld: str, service: str, scenario: object, now: datetime) -> dict[str, Any] | None:
    """``v2/monitoring/<svc>/alarmed`` -> ``alarmed`` Yes / No / Disabled."""
    view = service_view(tld, service, scenario, now)
    return _answer(view, now, lambda found: {"alarmed": found.alarmed})


def downtime(tld: str, service: str, scenario: object, now: datetime) -> dict[str, Any] | None:
    """``v2/monitoring/<svc>/downtime`` -> minutes of downtime in the rolling week."""
    view = service_view(tld, service, scenario, now)
    return _answer(view, now, lambda found: {"downtime": found.downtime})


def incidents(
    tld: str,
    service: str,
    scenario: object,
    now: datetime,
    start_date: int | None = None,
    end_date: int | None = None,
) -> dict[str, Any] | None:
    """``v2/monitoring/<svc>/incidents[?startDate=&endDate=]`` (Unix seconds).

    Filtered by overlap: an incident is listed when it started before ``end_date`` and had not
    ended before ``start_date``. Sorted by start time.
    """

    def overlapping(view: ServiceView) -> dict[str, Any]:
        listed = []
        for item in view.incidents:
            if end_date is not None and item.start > end_date:
                continue
            if start_date is not None and item.end is not None and item.end < start_date:
                continue
            listed.append(item.as_json())
        return {"incidents": listed}

    return _answer(service_view(tld, service, scenario, now), now, overlapping)


def incident(
    tld: str, service: str, incident_id: str, scenario: object, now: datetime
) -> dict[str, Any] | None:
    """``v2/monitoring/<svc>/incidents/<incidentID>`` -> ``{"incidents": [<the incident>],
    "version", "lastUpdateApiDatabase"}``, the incident's ``state`` file as SLAM writes it
    (beta6nine9/zabbix_rsm ``ApiHelper.pm`` ``ah_save_incident``); ``None`` when unknown."""
    found = _find_incident(tld, service, incident_id, scenario, now)
    return _answer(found, now, lambda item: {"incidents": [item.as_json()]})


def incident_false_positive(
    tld: str, service: str, incident_id: str, scenario: object, now: datetime
) -> dict[str, Any] | None:
    """``.../incidents/<incidentID>/falsePositive`` -> ``falsePositive``, ``updateTime``."""
    found = _find_incident(tld, service, incident_id, scenario, now)
    return _answer(found, now, Incident.false_positive_json)
