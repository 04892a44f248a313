"""The MoSAPI mock's data: deterministic per TLD, shaped as DESIGN §5, driven by scenarios."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from mock_services.mosapi import data

NOW = datetime(2025, 6, 15, 12, 34, 56, tzinfo=UTC)
REF = int(datetime(2025, 6, 15, 12, 34, tzinfo=UTC).timestamp())
TLDS = ["example", "test", "bank", "xn--p1ai", "shop", "app", "abc", "alpha", "beta", "gamma"]

DNS_DOWN = {
    "services": {
        "DNS": {"status": "Down", "incidents": [{"active": True, "started_minutes_ago": 30}]}
    }
}


def _envelope(body: dict) -> None:
    assert body["version"] == 2
    assert isinstance(body["lastUpdateApiDatabase"], int)
    assert body["lastUpdateApiDatabase"] == REF


def _incident_shape(item: dict) -> None:
    assert set(item) == {"incidentID", "startTime", "endTime", "falsePositive", "state"}
    start, event = item["incidentID"].split(".")
    assert int(start) == item["startTime"]
    assert event.isdigit()
    assert isinstance(item["startTime"], int)
    assert isinstance(item["falsePositive"], bool)
    if item["state"] == "Active":
        assert item["endTime"] is None
    else:
        assert item["state"] == "Resolved"
        assert isinstance(item["endTime"], int)
        assert item["endTime"] > item["startTime"]


# ------------------------------------------------------------------ determinism


def test_same_inputs_give_equal_outputs() -> None:
    for tld in TLDS[:3]:
        assert data.state(tld, None, NOW) == data.state(tld, None, NOW)
        assert data.incidents(tld, "dns", None, NOW) == data.incidents(tld, "dns", None, NOW)
        assert data.metrica_latest(tld, None, NOW) == data.metrica_latest(tld, None, NOW)
        assert data.measurements(tld, "rdds", NOW, 2025, 6, 14) == data.measurements(
            tld, "rdds", NOW, 2025, 6, 14
        )
    assert data.rdap_base_urls(NOW) == data.rdap_base_urls(NOW)


def test_naive_now_is_utc_and_seconds_do_not_matter() -> None:
    naive = NOW.replace(tzinfo=None)
    assert data.state("example", None, naive) == data.state("example", None, NOW)
    same_minute = NOW.replace(second=1)
    assert data.incidents("example", "rdap", None, same_minute) == data.incidents(
        "example", "rdap", None, NOW
    )


def test_tld_case_does_not_matter() -> None:
    assert data.state("EXAMPLE", None, NOW) == data.state("example", None, NOW)


def test_different_tlds_give_different_data() -> None:
    histories = {json.dumps(data.incidents(t, "rdds", None, NOW)) for t in TLDS}
    assert len(histories) == len(TLDS)
    reports = {json.dumps(data.metrica_latest(t, None, NOW)["domainListData"]) for t in TLDS}
    assert len(reports) > 1


def test_history_ids_are_stable_as_time_passes() -> None:
    today = {i["incidentID"]: i for i in data.incidents("example", "dns", None, NOW)["incidents"]}
    later = data.incidents("example", "dns", None, NOW + timedelta(days=3))["incidents"]
    later_ids = {i["incidentID"]: i for i in later}
    kept = [key for key in today if today[key]["startTime"] >= REF + 3 * 86400 - 90 * 86400]
    assert kept
    for key in kept:
        assert later_ids[key] == today[key]


def test_epp_disabled_by_default_for_some_tlds_only() -> None:
    epp = {t: data.state(t, None, NOW)["testedServices"]["EPP"]["status"] for t in TLDS}
    assert set(epp.values()) == {"Up", "Disabled"}


# ------------------------------------------------------------------ shapes


def test_default_state_shape() -> None:
    for tld in TLDS:
        body = data.state(tld, None, NOW)
        _envelope(body)
        assert body["tld"] == tld
        assert body["status"] == "Up"
        assert list(body["testedServices"]) == ["DNS", "DNSSEC", "RDDS", "RDAP", "EPP"]
        for name, svc in body["testedServices"].items():
            if svc["status"] == "Disabled":
                assert name == "EPP"
                assert svc == {"status": "Disabled"}
                continue
            assert set(svc) == {"status", "emergencyThreshold", "incidents"}
            assert svc["status"] == "Up"
            assert isinstance(svc["emergencyThreshold"], float)
            assert 0 <= svc["emergencyThreshold"] < 25
            assert svc["incidents"] == []


def test_alarmed_downtime_incidents_shapes() -> None:
    alarm = data.alarmed("example", "dns", None, NOW)
    _envelope(alarm)
    assert alarm["alarmed"] == "No"
    down = data.downtime("example", "DNS", None, NOW)
    _envelope(down)
    assert isinstance(down["downtime"], int) and down["downtime"] >= 0
    body = data.incidents("example", "rdds", None, NOW)
    _envelope(body)
    assert body["incidents"], "a few resolved historical incidents"
    starts = [i["startTime"] for i in body["incidents"]]
    assert starts == sorted(starts)
    for item in body["incidents"]:
        _incident_shape(item)
        assert item["state"] == "Resolved"
        assert item["startTime"] >= REF - 90 * 86400 and item["endTime"] <= REF


def test_downtime_matches_emergency_threshold() -> None:
    for tld in TLDS:
        state = data.state(tld, None, NOW)["testedServices"]
        for name, budget in data.BUDGET_MINUTES.items():
            if state[name]["status"] == "Disabled":
                continue
            minutes = data.downtime(tld, name, None, NOW)["downtime"]
            assert state[name]["emergencyThreshold"] == round(minutes * 100 / budget, 4)


def test_incident_lookup_false_positive_and_measurements() -> None:
    item = data.incidents("example", "rdds", None, NOW)["incidents"][0]
    found = data.incident("example", "rdds", item["incidentID"], None, NOW)
    _envelope(found)
    assert {k: found[k] for k in item} == item
    flag = data.incident_false_positive("example", "rdds", item["incidentID"], None, NOW)
    _envelope(flag)
    assert flag["falsePositive"] is item["falsePositive"]
    assert (flag["updateTime"] is None) is (not item["falsePositive"])
    listed = data.incident_measurements("example", "rdds", item["incidentID"], None, NOW)
    _envelope(listed)
    assert listed["measurements"]
    for entry in listed["measurements"]:
        assert set(entry) == {"measurementID", "measurementDate", "measurementDataURI"}
        assert entry["measurementDataURI"].startswith(
            "/ry/example/v2/monitoring/rdds/measurements/"
        )
        y, m, d, mid = entry["measurementDataURI"].rsplit("/", 4)[1:]
        assert mid == entry["measurementID"]
        detail = data.measurements("example", "rdds", NOW, y, m, d, mid)
        assert detail is not None and detail["status"] == "Down"
    assert data.incident("example", "rdds", "1.2", None, NOW) is None
    assert data.incident_false_positive("example", "rdds", "1.2", None, NOW) is None
    assert data.incident_measurements("example", "rdds", "1.2", None, NOW) is None


def test_measurement_listing_levels() -> None:
    top = data.measurements("example", "dns", NOW)
    _envelope(top)
    assert top["tld"] == "example" and top["service"] == "DNS"
    assert top["years"] == ["2025"]
    months = data.measurements("example", "dns", NOW, 2025)["months"]
    assert months == ["03", "04", "05", "06"]
    days = data.measurements("example", "dns", NOW, "2025", "06")["days"]
    assert days == [f"{n:02d}" for n in range(1, 16)]
    ids = data.measurements("example", "dns", NOW, 2025, 6, 15)["measurements"]
    # 60 s cycles from 00:00 to the last complete one before 12:34.
    assert len(ids) == 12 * 60 + 34
    assert ids[-1] == str(REF - 60)
    rdds = data.measurements("example", "rdds", NOW, 2025, 6, 14)["measurements"]
    assert len(rdds) == 288
    assert data.measurements("example", "dns", NOW, 2024) is None
    assert data.measurements("example", "dns", NOW, 2025, 7) is None
    assert data.measurements("example", "dns", NOW, 2025, 6, 16) is None
    assert data.measurements("example", "dns", NOW, 2025, 2, 1) is None
    assert data.measurements("example", "dns", NOW, "20x5") is None
    assert data.measurements("example", "dns", NOW, None, 6) is None
    assert data.measurements("example", "dns", NOW, 2025, 6, 15, str(REF)) is None  # running
    assert data.measurements("example", "dns", NOW, 2025, 6, 15, str(REF - 90)) is None
    assert data.measurements("example", "dns", NOW, 2025, 6, 14, str(REF - 60)) is None
    assert data.measurements("example", "nope", NOW) is None


def test_measurement_object_shape() -> None:
    for service, interfaces in data.INTERFACES.items():
        ids = data.measurements(
            "example", service.lower(), NOW, 2025, 6, 15, scenario={"services": {service: {}}}
        )["measurements"]
        body = data.measurements(
            "example", service, NOW, 2025, 6, 15, ids[-1], scenario={"services": {service: {}}}
        )
        _envelope(body)
        assert body["tld"] == "example" and body["service"] == service
        assert body["measurementID"] == ids[-1]
        assert body["cycleCalculationDateTime"] == int(ids[-1])
        assert body["status"] in ("Up", "Down")
        assert [i["interface"] for i in body["testedInterface"]] == list(interfaces)
        for interface in body["testedInterface"]:
            assert interface["probes"]
            for probe in interface["probes"]:
                assert set(probe) == {"city", "status", "testData"}
                for test in probe["testData"]:
                    assert set(test) == {"target", "status", "metrics"}
                    for metric in test["metrics"]:
                        assert set(metric) == {"testDateTime", "targetIP", "rtt", "result"}


def test_unknown_service_is_none() -> None:
    for fn in (data.alarmed, data.downtime, data.incidents):
        assert fn("example", "whois", None, NOW) is None
    assert data.incident("example", "whois", "1.1", None, NOW) is None


def test_rdap_base_urls_shape() -> None:
    body = data.rdap_base_urls(NOW)
    assert body["version"] == "1.0"
    assert body["publication"] == "2025-06-15T00:00:00Z"
    assert isinstance(body["description"], str) and body["description"]
    assert body["lastUpdateApiDatabase"] == REF
    assert body["services"]
    seen: set[str] = set()
    for ids, urls in body["services"]:
        assert ids and all(isinstance(x, str) and x.isdigit() for x in ids)
        assert urls and all(u.startswith("https://") and u.endswith("/") for u in urls)
        assert not seen & set(ids)
        seen |= set(ids)
    assert any(len(ids) > 1 for ids, _ in body["services"])
    later = data.rdap_base_urls(NOW + timedelta(days=1))
    assert later["services"] == body["services"]
    assert later["publication"] == "2025-06-16T00:00:00Z"


# ------------------------------------------------------------------ scenarios


def test_dns_down_with_active_incident() -> None:
    body = data.state("example", DNS_DOWN, NOW)
    assert body["status"] == "Down"
    dns = body["testedServices"]["DNS"]
    assert dns["status"] == "Down"
    assert len(dns["incidents"]) == 1
    active = dns["incidents"][0]
    _incident_shape(active)
    assert active["state"] == "Active" and active["endTime"] is None
    assert active["startTime"] == REF - 30 * 60
    listed = data.incidents("example", "dns", DNS_DOWN, NOW)["incidents"]
    assert any(i["state"] == "Active" and i["endTime"] is None for i in listed)
    assert data.alarmed("example", "dns", DNS_DOWN, NOW)["alarmed"] == "Yes"
    assert data.alarmed("example", "rdds", DNS_DOWN, NOW)["alarmed"] == "No"
    assert data.downtime("example", "dns", DNS_DOWN, NOW)["downtime"] >= 30
    found = data.incident("example", "dns", active["incidentID"], DNS_DOWN, NOW)
    assert found["state"] == "Active"
    cycles = data.incident_measurements("example", "dns", active["incidentID"], DNS_DOWN, NOW)
    assert len(cycles["measurements"]) == 30
    last = cycles["measurements"][-1]["measurementID"]
    detail = data.measurements("example", "dns", NOW, 2025, 6, 15, last, scenario=DNS_DOWN)
    assert detail["status"] == "Down"
    assert detail["testedInterface"][0]["status"] == "Down"
    # Without the scenario, the same cycle is Up.
    plain = data.measurements("example", "dns", NOW, 2025, 6, 15, last)
    assert plain["status"] == "Up"


def test_active_incident_alone_makes_service_down() -> None:
    scenario = {"services": {"rdap": {"incidents": [{}]}}}
    body = data.state("example", scenario, NOW)
    assert body["testedServices"]["RDAP"]["status"] == "Down"
    assert body["status"] == "Down"


def test_false_positive_active_incident_keeps_service_up() -> None:
    scenario = {"services": {"DNS": {"incidents": [{"false_positive": True}]}}}
    body = data.state("example", scenario, NOW)
    assert body["testedServices"]["DNS"]["status"] == "Up"
    assert body["testedServices"]["DNS"]["incidents"][0]["falsePositive"] is True
    assert data.alarmed("example", "dns", scenario, NOW)["alarmed"] == "No"
    flag_id = body["testedServices"]["DNS"]["incidents"][0]["incidentID"]
    flag = data.incident_false_positive("example", "dns", flag_id, scenario, NOW)
    assert flag["falsePositive"] is True and flag["updateTime"] is not None


def test_resolved_scenario_incident() -> None:
    scenario = {
        "services": {
            "EPP": {
                "incidents": [{"active": False, "started_minutes_ago": 120, "duration_minutes": 20}]
            }
        }
    }
    body = data.state("example", scenario, NOW)
    assert body["testedServices"]["EPP"] == {
        "status": "Up",
        "emergencyThreshold": body["testedServices"]["EPP"]["emergencyThreshold"],
        "incidents": [],
    }
    listed = data.incidents("example", "epp", scenario, NOW)["incidents"]
    ours = [i for i in listed if i["startTime"] == REF - 120 * 60]
    assert ours and ours[0]["state"] == "Resolved" and ours[0]["endTime"] == REF - 100 * 60


def test_disabled_service() -> None:
    scenario = {"services": {"DNSSEC": {"status": "Disabled"}}}
    body = data.state("example", scenario, NOW)
    assert body["testedServices"]["DNSSEC"] == {"status": "Disabled"}
    assert body["status"] == "Up"
    assert data.alarmed("example", "dnssec", scenario, NOW)["alarmed"] == "Disabled"
    assert data.downtime("example", "dnssec", scenario, NOW)["downtime"] == 0
    assert data.incidents("example", "dnssec", scenario, NOW)["incidents"] == []
    assert data.measurements("example", "dnssec", NOW, scenario=scenario) is None
    # A disabled service being "Down" elsewhere does not count.
    both = {"services": {"DNSSEC": {"status": "Disabled"}, "RDDS": {"status": "Up-inconclusive"}}}
    assert data.state("example", both, NOW)["status"] == "Up-inconclusive"


def test_mentioning_epp_enables_it() -> None:
    tld = next(
        t
        for t in TLDS
        if data.state(t, None, NOW)["testedServices"]["EPP"] == {"status": "Disabled"}
    )
    assert data.alarmed(tld, "epp", None, NOW)["alarmed"] == "Disabled"
    assert data.measurements(tld, "epp", NOW) is None
    enabled = {"services": {"EPP": {}}}
    assert data.state(tld, enabled, NOW)["testedServices"]["EPP"]["status"] == "Up"
    assert data.alarmed(tld, "epp", enabled, NOW)["alarmed"] == "No"


def test_up_inconclusive_and_overall_override() -> None:
    inconclusive = {"services": {"RDAP": {"status": "Up-inconclusive"}}}
    body = data.state("example", inconclusive, NOW)
    assert body["status"] == "Up-inconclusive"
    assert body["testedServices"]["RDAP"]["status"] == "Up-inconclusive"
    assert data.alarmed("example", "rdap", inconclusive, NOW)["alarmed"] == "No"
    mixed = {"services": {"RDAP": {"status": "Up-inconclusive"}, "DNS": {"status": "Down"}}}
    assert data.state("example", mixed, NOW)["status"] == "Down"
    assert data.alarmed("example", "dns", mixed, NOW)["alarmed"] == "Yes"
    forced = {**mixed, "status": "Up"}
    assert data.state("example", forced, NOW)["status"] == "Up"


def test_emergency_threshold_override() -> None:
    scenario = {"services": {"RDDS": {"emergency_threshold": 50}}}
    assert (
        data.state("example", scenario, NOW)["testedServices"]["RDDS"]["emergencyThreshold"] == 50.0
    )
    assert data.downtime("example", "rdds", scenario, NOW)["downtime"] == 720


def test_anchored_scenario_keeps_incident_ids_stable() -> None:
    relative = {"services": {"DNS": {"incidents": [{"started_minutes_ago": 30}]}}}
    anchored, errors = data.validate_scenario(relative, now=NOW)
    assert errors == []
    incident = anchored["services"]["DNS"]["incidents"][0]
    assert incident == {"active": True, "false_positive": False, "started_at": REF - 1800}
    an_hour_later = NOW + timedelta(hours=1)
    first = data.state("example", anchored, NOW)["testedServices"]["DNS"]["incidents"]
    second = data.state("example", anchored, an_hour_later)["testedServices"]["DNS"]["incidents"]
    assert first == second
    # The normalised form validates again to itself.
    assert data.validate_scenario(anchored) == (anchored, [])
    # A relative scenario moves with now.
    moved = data.state("example", relative, an_hour_later)["testedServices"]["DNS"]["incidents"]
    assert moved[0]["incidentID"] != first[0]["incidentID"]


def test_incident_filter_by_dates() -> None:
    listed = data.incidents("example", "rdds", DNS_DOWN, NOW)["incidents"]
    assert len(listed) >= 2
    pivot = listed[len(listed) // 2]
    after = data.incidents("example", "rdds", DNS_DOWN, NOW, start_date=pivot["startTime"])
    assert after["incidents"][0] == pivot
    before = data.incidents("example", "rdds", DNS_DOWN, NOW, end_date=pivot["startTime"])
    assert before["incidents"][-1] == pivot
    only = data.incidents(
        "example", "rdds", None, NOW, start_date=pivot["startTime"], end_date=pivot["startTime"]
    )
    assert only["incidents"] == [pivot]
    assert data.incidents("example", "rdds", None, NOW, end_date=0)["incidents"] == []


def test_invalid_scenario_raises_in_data_functions() -> None:
    with pytest.raises(ValueError, match="services.FTP"):
        data.state("example", {"services": {"FTP": {}}}, NOW)


# ------------------------------------------------------------------ validate_scenario


def test_validate_accepts_empty_and_none() -> None:
    assert data.validate_scenario(None) == ({}, [])
    assert data.validate_scenario({}) == ({}, [])


def test_validate_normalises() -> None:
    doc = {
        "services": {"dns": {"status": "Down", "incidents": [{}], "emergency_threshold": 12}},
        "status": "Down",
        "metrica": {"date": "2025-06-01", "counts": {"malware": -1}, "no_report": False},
    }
    clean, errors = data.validate_scenario(doc)
    assert errors == []
    assert clean == {
        "services": {
            "DNS": {
                "status": "Down",
                "incidents": [{"active": True, "false_positive": False, "started_minutes_ago": 30}],
                "emergency_threshold": 12.0,
            }
        },
        "status": "Down",
        "metrica": {"date": "2025-06-01", "counts": {"malware": -1}, "no_report": False},
    }
    resolved, _ = data.validate_scenario(
        {"services": {"DNS": {"incidents": [{"active": False, "started_minutes_ago": 5}]}}}
    )
    assert resolved["services"]["DNS"]["incidents"][0]["duration_minutes"] == 5


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ([], "scenario"),
        ("DNS down", "scenario"),
        ({"colour": "red"}, "colour"),
        ({"services": []}, "services"),
        ({"services": {"FTP": {}}}, "services.FTP"),
        ({"services": {"DNS": {"status": "Sideways"}}}, "services.DNS.status"),
        ({"services": {"DNS": {"state": "Up"}}}, "services.DNS.state"),
        ({"services": {"DNS": "Down"}}, "services.DNS"),
        ({"services": {"DNS": {}, "dns": {}}}, "services.dns"),
        ({"services": {"DNS": {"emergency_threshold": 101}}}, "services.DNS.emergency_threshold"),
        ({"services": {"DNS": {"emergency_threshold": "5"}}}, "services.DNS.emergency_threshold"),
        (
            {"services": {"DNS": {"status": "Disabled", "emergency_threshold": 5}}},
            "services.DNS.emergency_threshold",
        ),
        ({"services": {"DNS": {"incidents": {}}}}, "services.DNS.incidents"),
        (
            {"services": {"DNS": {"status": "Disabled", "incidents": [{}]}}},
            "services.DNS.incidents",
        ),
        ({"services": {"DNS": {"incidents": [1]}}}, "services.DNS.incidents[0]"),
        (
            {"services": {"DNS": {"incidents": [{"active": "yes"}]}}},
            "services.DNS.incidents[0].active",
        ),
        (
            {"services": {"DNS": {"incidents": [{"false_positive": 1}]}}},
            "services.DNS.incidents[0].false_positive",
        ),
        (
            {"services": {"DNS": {"incidents": [{"started_minutes_ago": -1}]}}},
            "services.DNS.incidents[0].started_minutes_ago",
        ),
        (
            {"services": {"DNS": {"incidents": [{"started_minutes_ago": 1.5}]}}},
            "services.DNS.incidents[0].started_minutes_ago",
        ),
        (
            {"services": {"DNS": {"incidents": [{"started_minutes_ago": 1, "started_at": 9}]}}},
            "services.DNS.incidents[0].started_at",
        ),
        (
            {"services": {"DNS": {"incidents": [{"duration_minutes": 5}]}}},
            "services.DNS.incidents[0].duration_minutes",
        ),
        (
            {
                "services": {
                    "DNS": {
                        "incidents": [
                            {"active": False, "started_minutes_ago": 5, "duration_minutes": 6}
                        ]
                    }
                }
            },
            "services.DNS.incidents[0].duration_minutes",
        ),
        (
            {"services": {"DNS": {"incidents": [{"active": False, "started_minutes_ago": 0}]}}},
            "services.DNS.incidents[0].started_minutes_ago",
        ),
        (
            {"services": {"DNS": {"incidents": [{"severity": "high"}]}}},
            "services.DNS.incidents[0].severity",
        ),
        ({"status": "Disabled"}, "status"),
        ({"metrica": []}, "metrica"),
        ({"metrica": {"date": "15/06/2025"}}, "metrica.date"),
        ({"metrica": {"date": "2025-02-30"}}, "metrica.date"),
        ({"metrica": {"counts": {"phishing": -2}}}, "metrica.counts.phishing"),
        ({"metrica": {"counts": {"phishing": True}}}, "metrica.counts.phishing"),
        ({"metrica": {"counts": {"ransomware": 1}}}, "metrica.counts.ransomware"),
        ({"metrica": {"counts": [1]}}, "metrica.counts"),
        ({"metrica": {"no_report": "no"}}, "metrica.no_report"),
        ({"metrica": {"latest": True}}, "metrica.latest"),
    ],
)
def test_validate_errors(doc: object, field: str) -> None:
    clean, errors = data.validate_scenario(doc)
    assert clean is None
    assert field in [name for name, _ in errors], errors
    assert all(isinstance(message, str) and message for _, message in errors)


def test_validate_reports_every_error() -> None:
    _, errors = data.validate_scenario(
        {"services": {"FTP": {}, "DNS": {"status": "x"}}, "status": "y", "z": 1}
    )
    assert {name for name, _ in errors} == {"services.FTP", "services.DNS.status", "status", "z"}


# ------------------------------------------------------------------ METRICA


def _report_shape(body: dict, tld: str) -> None:
    _envelope(body)
    assert body["tld"] == tld
    assert data.parse_iso_date(body["domainListDate"]) is not None
    assert [d["threatType"] for d in body["domainListData"]] == list(data.THREAT_TYPES)
    union: set[str] = set()
    for entry in body["domainListData"]:
        assert set(entry) == {"threatType", "count", "domains"}
        if entry["count"] == -1:
            assert entry["domains"] == []
        else:
            assert len(entry["domains"]) == entry["count"]
            assert len(set(entry["domains"])) == entry["count"]
            assert all(name.endswith("." + tld) for name in entry["domains"])
        union |= set(entry["domains"])
    assert body["uniqueAbuseDomains"] == len(union)


def test_metrica_latest_default() -> None:
    body = data.metrica_latest("example", None, NOW)
    _report_shape(body, "example")
    assert body["domainListDate"] == "2025-06-14"
    assert data.metrica_by_date("example", "2025-06-14", None, NOW) == body
    older = data.metrica_by_date("example", "2024-01-31", None, NOW)
    _report_shape(older, "example")
    assert data.metrica_by_date("example", "2025-06-15", None, NOW) is None
    assert data.metrica_by_date("example", "2017-12-31", None, NOW) is None
    assert data.metrica_by_date("example", "2025-6-1", None, NOW) is None
    assert data.metrica_by_date("example", "latest", None, NOW) is None


def test_metrica_scenario_counts() -> None:
    counts = {"phishing": 3, "malware": -1, "botnetCc": 0, "spam": 2, "pharming": 0}
    scenario = {"metrica": {"counts": counts}}
    body = data.metrica_latest("example", scenario, NOW)
    _report_shape(body, "example")
    assert {d["threatType"]: d["count"] for d in body["domainListData"]} == counts
    malware = next(d for d in body["domainListData"] if d["threatType"] == "malware")
    assert malware == {"threatType": "malware", "count": -1, "domains": []}
    assert body["uniqueAbuseDomains"] == 5
    # Only the latest report is overridden.
    assert data.metrica_by_date("example", "2025-06-13", scenario, NOW) == data.metrica_by_date(
        "example", "2025-06-13", None, NOW
    )


def test_metrica_scenario_date_and_partial_counts() -> None:
    scenario = {"metrica": {"date": "2025-06-01", "counts": {"spam": 7}}}
    body = data.metrica_latest("example", scenario, NOW)
    assert body["domainListDate"] == "2025-06-01"
    spam = next(d for d in body["domainListData"] if d["threatType"] == "spam")
    assert spam["count"] == 7
    default = data.metrica_by_date("example", "2025-06-01", None, NOW)
    assert body["domainListData"][0] == default["domainListData"][0]  # phishing generated
    assert data.metrica_by_date("example", "2025-06-02", scenario, NOW) is None


def test_metrica_no_report() -> None:
    scenario = {"metrica": {"no_report": True}}
    assert data.metrica_latest("example", scenario, NOW) is None
    assert data.metrica_by_date("example", "2025-06-14", scenario, NOW) is None
    status, body = data.metrica_list("example", "2025-06-01", "2025-06-14", scenario, NOW)
    assert status == 200 and body["domainLists"] == []


@pytest.mark.parametrize(
    ("start", "end", "code"),
    [
        ("2025-05-01", "2025-06-14", 2011),
        ("2025-05-13", "2025-06-14", 2011),
        ("2024-01-01", None, 2011),
        ("2025-06-14", "2025-06-01", 2012),
        ("2025/06/01", "2025-06-14", 2013),
        ("2025-02-30", "2025-06-14", 2013),
        ("", "2025-06-14", 2013),
        ("2025-06-01", "14-06-2025", 2014),
        ("2025-06-01", "2025-13-01", 2014),
        ("yesterday", "tomorrow", 2013),
    ],
)
def test_metrica_list_errors(start: str | None, end: str | None, code: int) -> None:
    status, body = data.metrica_list("example", start, end, None, NOW)
    assert status == 400
    assert set(body) == {"resultCode", "message", "description"}
    assert body["resultCode"] == code
    assert body["message"] and body["description"]


def test_metrica_list_valid_ranges() -> None:
    status, body = data.metrica_list("example", "2025-05-14", "2025-06-14", None, NOW)
    assert status == 200
    _envelope(body)
    assert body["tld"] == "example"
    dates = [d["domainListDate"] for d in body["domainLists"]]
    assert len(dates) == 32 and dates[0] == "2025-05-14" and dates[-1] == "2025-06-14"
    assert all(set(d) == {"domainListDate"} for d in body["domainLists"])
    # Dates without a report yet are simply absent.
    status, body = data.metrica_list("example", "2025-06-10", "2025-06-20", None, NOW)
    assert status == 200
    assert [d["domainListDate"] for d in body["domainLists"]] == [
        f"2025-06-{n}" for n in range(10, 15)
    ]
    status, body = data.metrica_list("example", None, None, None, NOW)
    assert status == 200
    dates = [d["domainListDate"] for d in body["domainLists"]]
    assert dates[0] == "2025-05-15" and dates[-1] == "2025-06-14"
    status, body = data.metrica_list("example", "2025-06-14", "2025-06-14", None, NOW)
    assert status == 200 and body["domainLists"] == [{"domainListDate": "2025-06-14"}]
