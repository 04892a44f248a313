"""The mock MoSAPI's measurements: listing levels, one measurement's shape as SLAM writes it,
the cycles of an incident, probes from the harness's probe nodes."""

from __future__ import annotations

from mock_services.mosapi import probe_errors
from mock_services.mosapi.measurements import (
    INTERFACES,
    MIN_NAME_SERVERS_UP,
    incident_measurement,
    incident_measurements,
    measurements,
)
from mock_services.mosapi.monitoring import incidents, state
from mock_services.probe_nodes import PROBE_NODES

from .data_samples import DNS_DOWN, NOW, REF, TLDS, assert_envelope


def test_same_inputs_give_equal_outputs() -> None:
    for tld in TLDS[:3]:
        assert measurements(tld, "rdds", NOW, 2025, 6, 14) == measurements(
            tld, "rdds", NOW, 2025, 6, 14
        )


def test_measurement_listing_levels() -> None:
    # Shapes and order of onasunnymorning/domain-os queryAvailableMeasurement{Years,Months,Days}.go
    # and queryAvailableMeasurements.go: years, months, days newest first; IDs (file names
    # "<clock>.json", ICANN SLAM ApiHelper.pm __gen_measurement_path) oldest first.
    top = measurements("example", "dns", NOW)
    assert_envelope(top)
    assert set(top) == {"version", "lastUpdateApiDatabase", "years"}
    assert top["years"] == ["2025"]
    months = measurements("example", "dns", NOW, 2025)
    assert set(months) == {"version", "lastUpdateApiDatabase", "months"}
    assert months["months"] == ["06", "05", "04", "03"]
    days = measurements("example", "dns", NOW, "2025", "06")["days"]
    assert days == [f"{n:02d}" for n in range(15, 0, -1)]
    listed = measurements("example", "dns", NOW, 2025, 6, 15)
    assert set(listed) == {"version", "lastUpdateApiDatabase", "measurements"}
    ids = listed["measurements"]
    # 60 s cycles from 00:00 to the last complete one before 12:34.
    assert len(ids) == 12 * 60 + 34
    assert ids[-1] == f"{REF - 60}.json" and ids == sorted(ids)
    rdds = measurements("example", "rdds", NOW, 2025, 6, 14)["measurements"]
    assert len(rdds) == 288
    assert measurements("example", "dns", NOW, 2024) is None
    assert measurements("example", "dns", NOW, 2025, 7) is None
    assert measurements("example", "dns", NOW, 2025, 6, 16) is None
    assert measurements("example", "dns", NOW, 2025, 2, 1) is None
    assert measurements("example", "dns", NOW, "20x5") is None
    assert measurements("example", "dns", NOW, None, 6) is None
    assert measurements("example", "dns", NOW, 2025, 6, 15, f"{REF}.json") is None  # running
    assert measurements("example", "dns", NOW, 2025, 6, 15, f"{REF - 90}.json") is None
    assert measurements("example", "dns", NOW, 2025, 6, 14, f"{REF - 60}.json") is None
    assert measurements("example", "dns", NOW, 2025, 6, 15, str(REF - 60)) is None  # no .json
    assert measurements("example", "dns", NOW, 2025, 6, 15, f"{REF - 60}.1.json") is None
    assert measurements("example", "nope", NOW) is None


def test_measurement_object_shape() -> None:
    # The version 2 file of ICANN SLAM: beta6nine9/zabbix_rsm opt/zabbix/scripts/sla-api-recent.pl,
    # calculate_cycle and fill_test_data.
    cities = {node.city for node in PROBE_NODES}
    for service, interfaces in INTERFACES.items():
        scenario = {"services": {service: {}}}
        ids = measurements("example", service.lower(), NOW, 2025, 6, 15, scenario=scenario)
        body = measurements(
            "example", service, NOW, 2025, 6, 15, ids["measurements"][-1], scenario=scenario
        )
        assert_envelope(body)
        name_servers = service in ("DNS", "DNSSEC")
        top = {"version", "lastUpdateApiDatabase", "tld", "service"}
        top |= {"cycleCalculationDateTime", "status", "testedInterface"}
        if name_servers:
            top |= {"minNameServersUp", "nameServerAvailability"}
        assert set(body) == top
        assert body["tld"] == "example" and body["service"] == service.lower()
        assert f"{body['cycleCalculationDateTime']}.json" == ids["measurements"][-1]
        assert body["status"] in ("Up", "Down")
        assert [i["interface"] for i in body["testedInterface"]] == list(interfaces)
        for interface in body["testedInterface"]:
            assert set(interface) == {"interface", "probes"}
            probe_cities = [probe["city"] for probe in interface["probes"]]
            assert probe_cities == sorted(set(probe_cities))
            assert set(probe_cities) <= cities  # the probe-node list's nodes
            for probe in interface["probes"]:
                assert set(probe) == {"city", "status", "transport", "testedName", "testData"}
                assert probe["transport"] in ("udp", "tcp")
                for test in probe["testData"]:
                    assert set(test) == {"target", "status", "metrics"}
                    for metric in test["metrics"]:
                        keys = {"testDateTime", "targetIP", "rtt", "result"}
                        assert set(metric) == (keys | {"nsid"} if name_servers else keys)
        if name_servers:
            assert body["minNameServersUp"] == MIN_NAME_SERVERS_UP
            availability = body["nameServerAvailability"]
            assert set(availability) == {"nameServerStatus", "probes"}
            targets = [t["target"] for t in availability["nameServerStatus"]]
            assert targets == sorted(targets) and targets
            assert [p["city"] for p in availability["probes"]] == [
                p["city"] for p in body["testedInterface"][0]["probes"]
            ]


def test_failed_tests_report_the_probes_error_codes() -> None:
    # ICANN SLAM fill_test_data: a failed test has rtt null and result the error code, one of
    # the RSM probe error table (beta6nine9/zabbix_rsm checks_simple_rsm.h), not a placeholder.
    active = state("example", DNS_DOWN, NOW)["testedServices"]["DNS"]["incidents"][0]
    listed = incident_measurements("example", "dns", active["incidentID"], DNS_DOWN, NOW)
    results: set[str] = set()
    for name in listed["measurements"]:
        body = incident_measurement("example", "dns", active["incidentID"], name, DNS_DOWN, NOW)
        for probe in body["testedInterface"][0]["probes"]:
            for test in probe["testData"]:
                for metric in test["metrics"]:
                    if probe["status"] == "Down":
                        assert metric["rtt"] is None and metric["nsid"] is None
                        transport_codes = (
                            probe_errors.DNS_UDP
                            if probe["transport"] == "udp"
                            else probe_errors.DNS_TCP
                        )
                        assert int(metric["result"]) in transport_codes
                    else:
                        assert metric["result"] == "ok" and isinstance(metric["rtt"], int)
                    results.add(metric["result"])
        if body["status"] == "Down":
            statuses = {s["status"] for s in body["nameServerAvailability"]["nameServerStatus"]}
            assert "Down" in statuses
    assert len(results - {"ok"}) > 3  # codes vary, not one placeholder


def test_incident_measurements_list_the_down_cycles_it_covers() -> None:
    # ICANN SLAM ApiHelper.pm ah_copy_measurement: "<clock>.<eventid>.json" in the incident.
    item = incidents("example", "rdds", None, NOW)["incidents"][0]
    listed = incident_measurements("example", "rdds", item["incidentID"], None, NOW)
    assert_envelope(listed)
    assert set(listed) == {"version", "lastUpdateApiDatabase", "measurements"}
    assert listed["measurements"] == sorted(listed["measurements"])
    event_id = item["incidentID"].split(".")[1]
    for name in listed["measurements"]:
        clock, event, suffix = name.split(".")
        assert event == event_id and suffix == "json"
        assert int(clock) % 300 == 0
        detail = incident_measurement("example", "rdds", item["incidentID"], name, None, NOW)
        assert detail is not None and detail["status"] == "Down"
        assert detail["cycleCalculationDateTime"] == int(clock)
    first = listed["measurements"][0]
    clock = first.split(".")[0]
    for wrong in (f"{clock}.json", f"{clock}.1.json", f"{int(clock) - 300}.{event_id}.json"):
        assert incident_measurement("example", "rdds", item["incidentID"], wrong, None, NOW) is None
    assert incident_measurements("example", "rdds", "1.2", None, NOW) is None
    assert incident_measurement("example", "rdds", "1.2", first, None, NOW) is None


def test_active_incident_makes_its_cycles_down() -> None:
    active = state("example", DNS_DOWN, NOW)["testedServices"]["DNS"]["incidents"][0]
    cycles = incident_measurements("example", "dns", active["incidentID"], DNS_DOWN, NOW)
    assert len(cycles["measurements"]) == 30
    last = cycles["measurements"][-1].split(".")[0] + ".json"
    detail = measurements("example", "dns", NOW, 2025, 6, 15, last, scenario=DNS_DOWN)
    assert detail["status"] == "Down"
    probes = detail["testedInterface"][0]["probes"]
    assert sum(probe["status"] == "Down" for probe in probes) >= 3
    # Without the scenario, the same cycle is Up.
    plain = measurements("example", "dns", NOW, 2025, 6, 15, last)
    assert plain["status"] == "Up"


def test_disabled_service_has_no_measurements() -> None:
    scenario = {"services": {"DNSSEC": {"status": "Disabled"}}}
    assert measurements("example", "dnssec", NOW, scenario=scenario) is None
    tld = next(
        t for t in TLDS if state(t, None, NOW)["testedServices"]["EPP"] == {"status": "Disabled"}
    )
    assert measurements(tld, "epp", NOW) is None
