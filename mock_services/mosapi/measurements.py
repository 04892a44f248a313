"""The mock MoSAPI's measurements (shapes harness-defined, modelled on the specification).

One measurement per cycle (60 s for DNS/DNSSEC, 300 s for RDDS/RDAP/EPP) for the retention
window; its ID is the cycle start in Unix seconds as a string. A cycle is ``Down`` when it
overlaps any listed incident (false positives included: the raw measurement was Down). A
disabled service has no measurements. Listing levels::

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

Probes are cities of the harness's probe nodes (``mock_services.probe_nodes``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from portal.core.mosapi import DAY, database_time

from ..probe_nodes import PROBE_CITIES
from .generation import envelope, rng, seed, tld_label
from .monitoring import RETENTION, ServiceView, service_view

INCIDENT_MEASUREMENTS_CAP = 1440
CYCLE_SECONDS: dict[str, int] = {"DNS": 60, "DNSSEC": 60, "RDDS": 300, "RDAP": 300, "EPP": 300}
INTERFACES: dict[str, tuple[str, ...]] = {
    "DNS": ("DNS",),
    "DNSSEC": ("DNSSEC",),
    "RDDS": ("RDDS43", "RDDS80"),
    "RDAP": ("RDAP",),
    "EPP": ("EPP",),
}
PROBES_PER_INTERFACE = 4


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
    """``.../incidents/<incidentID>/measurements`` -> ``{"version", "lastUpdateApiDatabase",
    "measurements": [{"measurementID", "measurementDate", "measurementDataURI"}]}``.

    The cycles the incident covers, the most recent ``INCIDENT_MEASUREMENTS_CAP`` at most; the
    URI is the path of the measurement on this mock.
    """
    view = service_view(tld, service, scenario, now)
    item = None if view is None else view.incident(incident_id)
    if view is None or item is None:
        return None
    ref = database_time(now)
    length, first, last = _cycle_bounds(view.name, ref)
    end = ref if item.end is None else item.end
    start_cycle = max(first, item.start - item.start % length)
    cycles = list(range(start_cycle, min(last, end - 1) + 1, length))[-INCIDENT_MEASUREMENTS_CAP:]
    base = f"/ry/{tld_label(tld)}/v2/monitoring/{view.name.lower()}/measurements"
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
    return envelope(ref, measurements=listed)


def _as_int(value: int | str | None) -> int | None:
    """A path part as a number; ``-1`` (matching nothing) when it is not one."""
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
    draw = rng(tld, "name-servers")
    count = draw.randint(2, 4)
    return [
        (
            f"ns{n}.nic.{tld}",
            f"192.0.2.{draw.randint(1, 254)}",
            f"2001:db8:{draw.randint(1, 0xFFFF):x}::{n}",
        )
        for n in range(1, count + 1)
    ]


def _targets(tld: str, interface: str) -> list[tuple[str, list[str]]]:
    """(target, addresses tested) per interface; documentation-range addresses."""
    if interface in ("DNS", "DNSSEC"):
        return [(name, [v4, v6]) for name, v4, v6 in _name_servers(tld)]
    ip = f"198.51.100.{seed(tld, interface, 'ip') % 254 + 1}"
    return {
        "RDDS43": [(f"whois.nic.{tld}", [ip])],
        "RDDS80": [(f"https://whois.nic.{tld}/", [ip])],
        "RDAP": [(f"https://rdap.nic.{tld}/", [ip])],
        "EPP": [(f"epp.nic.{tld}", [ip])],
    }[interface]


def _measurement(view: ServiceView, tld: str, cycle: int, ref: int) -> dict[str, Any]:
    """One cycle's measurement. ``result`` is ``"ok"`` or the placeholder error code
    ``"-200"`` (with ``rtt`` null)."""
    length = CYCLE_SECONDS[view.name]
    down = any(
        item.start < cycle + length and (item.end is None or item.end > cycle)
        for item in view.incidents
    )
    draw = rng(tld, view.name, "measurement", cycle)
    interfaces = []
    for interface in INTERFACES[view.name]:
        probes = []
        cities = sorted(draw.sample(PROBE_CITIES, PROBES_PER_INTERFACE))
        # Down: all probes but maybe one fail; Up: at most one probe fails.
        failing = set(
            draw.sample(cities, draw.choice((3, 4)) if down else int(draw.random() < 0.1))
        )
        for city in cities:
            probe_down = city in failing
            test_data = []
            for target, addresses in _targets(tld, interface):
                metrics = [
                    {
                        "testDateTime": cycle + draw.randrange(length),
                        "targetIP": address,
                        "rtt": None if probe_down else draw.randint(5, 400),
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
    return envelope(
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
    """``v2/monitoring/<svc>/measurements[/yyyy[/mm[/dd[/<id>]]]]``.

    ``None`` for an unknown service, a disabled one, a malformed or empty period, or an
    unknown measurement.
    """
    view = service_view(tld, service, scenario, now)
    if view is None or not view.enabled:
        return None
    tld, ref = tld_label(tld), database_time(now)
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
        return envelope(ref, **head, years=years)
    days = [x for x in days if x.year == y]
    if not days:
        return None
    if m is None:
        months = sorted({f"{x.month:02d}" for x in days})
        return envelope(ref, **head, year=f"{y:04d}", months=months)
    days = [x for x in days if x.month == m]
    if not days:
        return None
    if d is None:
        listed = [f"{x.day:02d}" for x in days]
        return envelope(ref, **head, year=f"{y:04d}", month=f"{m:02d}", days=listed)
    days = [x for x in days if x.day == d]
    if not days:
        return None
    day_start = int(datetime(y, m, d, tzinfo=UTC).timestamp())
    lo = max(first, day_start + (-day_start % length))
    hi = min(last, day_start + DAY - 1)
    if measurement_id is None:
        ids = [str(c) for c in range(lo, hi + 1, length)]
        return envelope(
            ref, **head, year=f"{y:04d}", month=f"{m:02d}", day=f"{d:02d}", measurements=ids
        )
    cycle = _as_int(measurement_id)
    if cycle is None or cycle < lo or cycle > hi or cycle % length:
        return None
    return _measurement(view, tld, cycle, ref)
