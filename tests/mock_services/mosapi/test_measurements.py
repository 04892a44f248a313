"""The mock MoSAPI's measurements: listing levels, one measurement's shape, the cycles of an
incident, probes from the harness's probe nodes."""

from __future__ import annotations

from mock_services.mosapi.measurements import INTERFACES, incident_measurements, measurements
from mock_services.mosapi.monitoring import incidents, state
from mock_services.probe_nodes import PROBE_NODES

from .data_samples import DNS_DOWN, NOW, REF, TLDS, assert_envelope


def test_same_inputs_give_equal_outputs() -> None:
    for tld in TLDS[:3]:
        assert measurements(tld, "rdds", NOW, 2025, 6, 14) == measurements(
            tld, "rdds", NOW, 2025, 6, 14
        )


def test_measurement_listing_levels() -> None:
    top = measurements("example", "dns", NOW)
    assert_envelope(top)
    assert top["tld"] == "example" and top["service"] == "DNS"
    assert top["years"] == ["2025"]
    months = measurements("example", "dns", NOW, 2025)["months"]
    assert months == ["03", "04", "05", "06"]
    days = measurements("example", "dns", NOW, "2025", "06")["days"]
    assert days == [f"{n:02d}" for n in range(1, 16)]
    ids = measurements("example", "dns", NOW, 2025, 6, 15)["measurements"]
    # 60 s cycles from 00:00 to the last complete one before 12:34.
    assert len(ids) == 12 * 60 + 34
    assert ids[-1] == str(REF - 60)
    rdds = measurements("example", "rdds", NOW, 2025, 6, 14)["measurements"]
    assert len(rdds) == 288
    assert measurements("example", "dns", NOW, 2024) is None
    assert measurements("example", "dns", NOW, 2025, 7) is None
    assert measurements("example", "dns", NOW, 2025, 6, 16) is None
    assert measurements("example", "dns", NOW, 2025, 2, 1) is None
    assert measurements("example", "dns", NOW, "20x5") is None
    assert measurements("example", "dns", NOW, None, 6) is None
    assert measurements("example", "dns", NOW, 2025, 6, 15, str(REF)) is None  # running
    assert measurements("example", "dns", NOW, 2025, 6, 15, str(REF - 90)) is None
    assert measurements("example", "dns", NOW, 2025, 6, 14, str(REF - 60)) is None
    assert measurements("example", "nope", NOW) is None


def test_measurement_object_shape() -> None:
    cities = {node.city for node in PROBE_NODES}
    for service, interfaces in INTERFACES.items():
        ids = measurements(
            "example", service.lower(), NOW, 2025, 6, 15, scenario={"services": {service: {}}}
        )["measurements"]
        body = measurements(
            "example", service, NOW, 2025, 6, 15, ids[-1], scenario={"services": {service: {}}}
        )
        assert_envelope(body)
        assert body["tld"] == "example" and body["service"] == service
        assert body["measurementID"] == ids[-1]
        assert body["cycleCalculationDateTime"] == int(ids[-1])
        assert body["status"] in ("Up", "Down")
        assert [i["interface"] for i in body["testedInterface"]] == list(interfaces)
        for interface in body["testedInterface"]:
            assert interface["probes"]
            probe_cities = [probe["city"] for probe in interface["probes"]]
            assert probe_cities == sorted(set(probe_cities))
            assert set(probe_cities) <= cities  # the probe-node list's nodes
            for probe in interface["probes"]:
                assert set(probe) == {"city", "status", "testData"}
                for test in probe["testData"]:
                    assert set(test) == {"target", "status", "metrics"}
                    for metric in test["metrics"]:
                        assert set(metric) == {"testDateTime", "targetIP", "rtt", "result"}


def test_incident_measurements_list_the_down_cycles_it_covers() -> None:
    item = incidents("example", "rdds", None, NOW)["incidents"][0]
    listed = incident_measurements("example", "rdds", item["incidentID"], None, NOW)
    assert_envelope(listed)
    assert listed["measurements"]
    for entry in listed["measurements"]:
        assert set(entry) == {"measurementID", "measurementDate", "measurementDataURI"}
        assert entry["measurementDataURI"].startswith(
            "/ry/example/v2/monitoring/rdds/measurements/"
        )
        y, m, d, mid = entry["measurementDataURI"].rsplit("/", 4)[1:]
        assert mid == entry["measurementID"]
        detail = measurements("example", "rdds", NOW, y, m, d, mid)
        assert detail is not None and detail["status"] == "Down"
    assert incident_measurements("example", "rdds", "1.2", None, NOW) is None


def test_active_incident_makes_its_cycles_down() -> None:
    active = state("example", DNS_DOWN, NOW)["testedServices"]["DNS"]["incidents"][0]
    cycles = incident_measurements("example", "dns", active["incidentID"], DNS_DOWN, NOW)
    assert len(cycles["measurements"]) == 30
    last = cycles["measurements"][-1]["measurementID"]
    detail = measurements("example", "dns", NOW, 2025, 6, 15, last, scenario=DNS_DOWN)
    assert detail["status"] == "Down"
    assert detail["testedInterface"][0]["status"] == "Down"
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
