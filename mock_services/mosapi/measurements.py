"""The mock MoSAPI's measurements, shaped as ICANN's SLAM writes the files MoSAPI serves.

SLAM (beta6nine9/zabbix_rsm ``opt/zabbix/scripts/ApiHelper.pm``) stores one file per cycle at
``measurements/yyyy/mm/dd/<clock>.json`` (``__gen_measurement_path``), ``<clock>`` the cycle
start in Unix seconds, and copies each cycle of an incident into the incident's directory as
``<clock>.<eventid>.json`` (``ah_copy_measurement``). The measurement ID is that file name.
Listings (onasunnymorning/domain-os ``queryAvailableMeasurement*.go``)::

    measurements()            -> {"version", "lastUpdateApiDatabase", "years": ["2025", ...]}
    measurements(y)           -> {..., "months": ["06", "05", ...]}      newest first
    measurements(y, m)        -> {..., "days": ["15", "14", ...]}        newest first
    measurements(y, m, d)     -> {..., "measurements": ["<clock>.json", ...]}   oldest first

A measurement is what ``sla-api-recent.pl`` (``calculate_cycle``, ``fill_test_data``) writes
for API version 2: ``tld``, ``service`` (in lower case, as that script writes it),
``cycleCalculationDateTime``, ``status``, ``testedInterface: [{interface, probes: [{city,
status, transport, testedName, testData: [{target, status, metrics: [{testDateTime, targetIP,
rtt, result, nsid}]}]}]}]``, and for DNS and DNSSEC ``minNameServersUp`` and
``nameServerAvailability``; ``nsid`` only for DNS and DNSSEC. ``result`` is ``"ok"`` or the
probe's error code as a string (``probe_errors``), with ``rtt`` null.

Harness choices: one cycle every 60 s (DNS, DNSSEC) or 300 s (RDDS, RDAP, EPP) for the
retention window; a cycle is Down when it overlaps a listed incident (false positives included:
the raw measurement was Down); four probes per interface, drawn from the harness's probe nodes
(``mock_services.probe_nodes``); DNS is tested over TCP one cycle in ten, else UDP; SLAM writes
no EPP measurements, the mock does, in the same shape. A disabled service has none.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from random import Random
from typing import Any

from portal.core.mosapi import DAY, database_time

from ..probe_nodes import PROBE_CITIES
from .generation import envelope, rng, seed, tld_label
from .monitoring import RETENTION, Incident, ServiceView, service_view
from .probe_errors import failure_codes

INCIDENT_MEASUREMENTS_CAP = 1440
CYCLE_SECONDS: dict[str, int] = {"DNS": 60, "DNSSEC": 60, "RDDS": 300, "RDAP": 300, "EPP": 300}
INTERFACES: dict[str, tuple[str, ...]] = {
    "DNS": ("DNS",),
    "DNSSEC": ("DNSSEC",),
    "RDDS": ("RDDS43", "RDDS80"),
    "RDAP": ("RDAP",),
    "EPP": ("EPP",),
}
NAME_SERVER_SERVICES = frozenset({"DNS", "DNSSEC"})
PROBES_PER_INTERFACE = 4
MIN_NAME_SERVERS_UP = 2
DNS_OVER_TCP_EVERY = 10  # cycles

_MEASUREMENT_FILE = re.compile(r"([0-9]+)\.json", re.ASCII)
_INCIDENT_MEASUREMENT_FILE = re.compile(r"([0-9]+)\.([0-9]+)\.json", re.ASCII)
_NSID_SITES = ("ams", "fra", "iad", "lhr", "nrt", "sin", "syd")


def measurement_file(cycle: int) -> str:
    """A measurement's ID: its file name, ``<clock>.json``."""
    return f"{cycle}.json"


def incident_measurement_file(cycle: int, event_id: int) -> str:
    """The ID of a measurement listed under an incident: ``<clock>.<eventid>.json``."""
    return f"{cycle}.{event_id}.json"


def _cycle_bounds(service: str, ref: int) -> tuple[int, int, int]:
    """(cycle length, first available cycle start, last completed cycle start)."""
    length = CYCLE_SECONDS[service]
    first = ref - RETENTION
    first += -first % length
    last = ref - length
    last -= last % length
    return length, first, last


def _incident_cycles(view: ServiceView, item: Incident, ref: int) -> list[int]:
    """The cycles the incident covers, the most recent ``INCIDENT_MEASUREMENTS_CAP`` at most."""
    length, first, last = _cycle_bounds(view.name, ref)
    end = ref if item.end is None else item.end
    start_cycle = max(first, item.start - item.start % length)
    return list(range(start_cycle, min(last, end - 1) + 1, length))[-INCIDENT_MEASUREMENTS_CAP:]


def _find_incident(
    tld: str, service: str, incident_id: str, scenario: object, now: datetime
) -> tuple[ServiceView, Incident] | None:
    view = service_view(tld, service, scenario, now)
    item = None if view is None else view.incident(incident_id)
    return None if view is None or item is None else (view, item)


def incident_measurements(
    tld: str, service: str, incident_id: str, scenario: object, now: datetime
) -> dict[str, Any] | None:
    """``.../incidents/<incidentID>/measurements`` -> ``{"version", "lastUpdateApiDatabase",
    "measurements": ["<clock>.<eventid>.json", ...]}``, oldest first: the files SLAM copies
    into the incident's directory, listed like a day's measurements."""
    found = _find_incident(tld, service, incident_id, scenario, now)
    if found is None:
        return None
    view, item = found
    ref = database_time(now)
    names = [incident_measurement_file(c, item.event_id) for c in _incident_cycles(view, item, ref)]
    return envelope(ref, measurements=names)


def incident_measurement(
    tld: str, service: str, incident_id: str, name: str, scenario: object, now: datetime
) -> dict[str, Any] | None:
    """``.../incidents/<incidentID>/measurements/<clock>.<eventid>.json``: the copy of that
    cycle's measurement; ``None`` when the incident does not list it."""
    found = _find_incident(tld, service, incident_id, scenario, now)
    match = _INCIDENT_MEASUREMENT_FILE.fullmatch(name)
    if found is None or match is None:
        return None
    view, item = found
    cycle, event_id = int(match.group(1)), int(match.group(2))
    ref = database_time(now)
    if event_id != item.event_id or cycle not in _incident_cycles(view, item, ref):
        return None
    return _measurement(view, tld_label(tld), cycle, ref)


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
    """(target, addresses tested) per interface, documentation-range addresses. Targets as
    SLAM names them: the name server, the RDDS host, the RDAP base URL."""
    if interface in NAME_SERVER_SERVICES:
        return [(name, [v4, v6]) for name, v4, v6 in _name_servers(tld)]
    ip = f"198.51.100.{seed(tld, interface, 'ip') % 254 + 1}"
    return {
        "RDDS43": [(f"whois.nic.{tld}", [ip])],
        "RDDS80": [(f"whois.nic.{tld}", [ip])],
        "RDAP": [(f"https://rdap.nic.{tld}/", [ip])],
        "EPP": [(f"epp.nic.{tld}", [ip])],
    }[interface]


def _tested_name(tld: str, interface: str) -> str | None:
    """The name a probe queried: a non-existent domain for DNS (SLAM's DNS test expects
    NXDOMAIN), a registered one for RDDS and RDAP; EPP names none."""
    if interface in NAME_SERVER_SERVICES:
        return f"nonexistent.{tld}"
    return None if interface == "EPP" else f"nic.{tld}"


def _nsid(tld: str, name: str, address: str) -> str | None:
    """The NSID a name server reports (hex), stable per server address; one in four sends
    none (null)."""
    draw = rng(tld, "nsid", name, address)
    if draw.random() < 0.25:
        return None
    label = f"{name.split('.')[0]}.{draw.choice(_NSID_SITES)}{draw.randint(1, 9)}"
    return label.encode().hex()


def _transport(tld: str, interface: str, cycle: int) -> str:
    """DNS and DNSSEC over UDP, one cycle in ``DNS_OVER_TCP_EVERY`` over TCP; the rest TCP."""
    if interface not in NAME_SERVER_SERVICES:
        return "tcp"
    return "tcp" if seed(tld, "dns-over-tcp", cycle) % DNS_OVER_TCP_EVERY == 0 else "udp"


def _test_data(
    draw: Random, tld: str, interface: str, transport: str, tested_at: int, failed: bool
) -> list[dict[str, Any]]:
    """One probe's tests of an interface: each target with its metrics, sorted like SLAM's."""
    codes = failure_codes(interface, transport)
    data = []
    for target, addresses in sorted(_targets(tld, interface)):
        metrics = []
        for address in sorted(addresses):
            metric: dict[str, Any] = {
                "testDateTime": tested_at,
                "targetIP": address,
                "rtt": None if failed else draw.randint(5, 400),
                "result": str(draw.choice(codes)) if failed else "ok",
            }
            if interface in NAME_SERVER_SERVICES:
                metric["nsid"] = None if failed else _nsid(tld, target, address)
            metrics.append(metric)
        data.append({"target": target, "status": "Down" if failed else "Up", "metrics": metrics})
    return data


def _name_server_availability(probes: list[dict[str, Any]]) -> dict[str, Any]:
    """SLAM's aggregate of the DNS tests: each name server Down when any probe found it
    Down, and each probe's view of each name server."""
    aggregate: dict[str, str] = {}
    per_probe = []
    for probe in probes:
        seen = [{"target": t["target"], "status": t["status"]} for t in probe["testData"]]
        for item in seen:
            if aggregate.get(item["target"]) != "Down":
                aggregate[item["target"]] = item["status"]
        per_probe.append({"city": probe["city"], "testData": seen})
    status = [{"target": target, "status": aggregate[target]} for target in sorted(aggregate)]
    return {"nameServerStatus": status, "probes": per_probe}


def _measurement(view: ServiceView, tld: str, cycle: int, ref: int) -> dict[str, Any]:
    """One cycle's measurement (version 2)."""
    length = CYCLE_SECONDS[view.name]
    down = any(
        item.start < cycle + length and (item.end is None or item.end > cycle)
        for item in view.incidents
    )
    draw = rng(tld, view.name, "measurement", cycle)
    interfaces = []
    for interface in INTERFACES[view.name]:
        transport = _transport(tld, interface, cycle)
        cities = sorted(draw.sample(PROBE_CITIES, PROBES_PER_INTERFACE))
        # Down: all probes but maybe one fail; Up: at most one probe fails.
        failing = set(
            draw.sample(cities, draw.choice((3, 4)) if down else int(draw.random() < 0.1))
        )
        probes = []
        for city in cities:
            failed = city in failing
            tested_at = cycle + draw.randrange(length)
            probes.append(
                {
                    "city": city,
                    "status": "Down" if failed else "Up",
                    "transport": transport,
                    "testedName": _tested_name(tld, interface),
                    "testData": _test_data(draw, tld, interface, transport, tested_at, failed),
                }
            )
        interfaces.append({"interface": interface, "probes": probes})
    fields: dict[str, Any] = {
        "tld": tld,
        "service": view.name.lower(),
        "cycleCalculationDateTime": cycle,
        "status": "Down" if down else "Up",
        "testedInterface": interfaces,
    }
    if view.name in NAME_SERVER_SERVICES:
        fields["minNameServersUp"] = MIN_NAME_SERVERS_UP
        fields["nameServerAvailability"] = _name_server_availability(interfaces[0]["probes"])
    return envelope(ref, **fields)


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
    """``v2/monitoring/<svc>/measurements[/yyyy[/mm[/dd[/<clock>.json]]]]``.

    ``None`` for an unknown service, a disabled one, a malformed or empty period, or an
    unknown measurement (a path names a file, and there is none).
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
    if y is None:
        return envelope(ref, years=sorted({f"{x.year:04d}" for x in days}, reverse=True))
    days = [x for x in days if x.year == y]
    if not days:
        return None
    if m is None:
        return envelope(ref, months=sorted({f"{x.month:02d}" for x in days}, reverse=True))
    days = [x for x in days if x.month == m]
    if not days:
        return None
    if d is None:
        return envelope(ref, days=[f"{x.day:02d}" for x in reversed(days)])
    days = [x for x in days if x.day == d]
    if not days:
        return None
    day_start = int(datetime(y, m, d, tzinfo=UTC).timestamp())
    lo = max(first, day_start + (-day_start % length))
    hi = min(last, day_start + DAY - 1)
    if measurement_id is None:
        return envelope(ref, measurements=[measurement_file(c) for c in range(lo, hi + 1, length)])
    match = _MEASUREMENT_FILE.fullmatch(measurement_id)
    cycle = int(match.group(1)) if match else -1
    if cycle < lo or cycle > hi or cycle % length:
        return None
    return _measurement(view, tld, cycle, ref)
