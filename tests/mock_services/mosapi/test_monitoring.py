"""The mock MoSAPI's monitoring answers: deterministic per TLD, shaped like the published
MoSAPI monitoring endpoints, driven by scenarios."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from mock_services.mosapi import monitoring
from mock_services.mosapi.monitoring import (
    BUDGET_MINUTES,
    alarmed,
    downtime,
    incident,
    incident_false_positive,
    incidents,
    state,
)
from portal.core.scenario import validate_scenario

from .data_samples import DNS_DOWN, NOW, REF, TLDS, assert_envelope


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
        assert state(tld, None, NOW) == state(tld, None, NOW)
        assert incidents(tld, "dns", None, NOW) == incidents(tld, "dns", None, NOW)


def test_naive_now_is_utc_and_seconds_do_not_matter() -> None:
    naive = NOW.replace(tzinfo=None)
    assert state("example", None, naive) == state("example", None, NOW)
    same_minute = NOW.replace(second=1)
    assert incidents("example", "rdap", None, same_minute) == incidents(
        "example", "rdap", None, NOW
    )


def test_tld_case_does_not_matter() -> None:
    assert state("EXAMPLE", None, NOW) == state("example", None, NOW)


def test_different_tlds_give_different_histories() -> None:
    histories = {json.dumps(incidents(t, "rdds", None, NOW)) for t in TLDS}
    assert len(histories) == len(TLDS)


def test_history_ids_are_stable_as_time_passes() -> None:
    today = {i["incidentID"]: i for i in incidents("example", "dns", None, NOW)["incidents"]}
    later = incidents("example", "dns", None, NOW + timedelta(days=3))["incidents"]
    later_ids = {i["incidentID"]: i for i in later}
    kept = [key for key in today if today[key]["startTime"] >= REF + 3 * 86400 - 90 * 86400]
    assert kept
    for key in kept:
        assert later_ids[key] == today[key]


def test_epp_disabled_by_default_for_some_tlds_only() -> None:
    epp = {t: state(t, None, NOW)["testedServices"]["EPP"]["status"] for t in TLDS}
    assert set(epp.values()) == {"Up", "Disabled"}


# ------------------------------------------------------------------ shapes


def test_default_state_shape() -> None:
    for tld in TLDS:
        body = state(tld, None, NOW)
        assert_envelope(body)
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
    alarm = alarmed("example", "dns", None, NOW)
    assert_envelope(alarm)
    assert alarm["alarmed"] == "No"
    down = downtime("example", "DNS", None, NOW)
    assert_envelope(down)
    assert isinstance(down["downtime"], int) and down["downtime"] >= 0
    body = incidents("example", "rdds", None, NOW)
    assert_envelope(body)
    assert body["incidents"], "a few resolved historical incidents"
    starts = [i["startTime"] for i in body["incidents"]]
    assert starts == sorted(starts)
    for item in body["incidents"]:
        _incident_shape(item)
        assert item["state"] == "Resolved"
        assert item["startTime"] >= REF - 90 * 86400 and item["endTime"] <= REF


def test_downtime_matches_emergency_threshold() -> None:
    for tld in TLDS:
        tested = state(tld, None, NOW)["testedServices"]
        for name, budget in BUDGET_MINUTES.items():
            if tested[name]["status"] == "Disabled":
                continue
            minutes = downtime(tld, name, None, NOW)["downtime"]
            assert tested[name]["emergencyThreshold"] == round(minutes * 100 / budget, 4)


def test_incident_lookup_and_false_positive() -> None:
    item = incidents("example", "rdds", None, NOW)["incidents"][0]
    found = incident("example", "rdds", item["incidentID"], None, NOW)
    assert_envelope(found)
    # The incident's state file as ICANN SLAM writes it (beta6nine9/zabbix_rsm ApiHelper.pm
    # ah_save_incident): one incident in a list, beside the envelope, nothing else.
    assert set(found) == {"incidents", "version", "lastUpdateApiDatabase"}
    assert found["incidents"] == [item]
    flag = incident_false_positive("example", "rdds", item["incidentID"], None, NOW)
    assert_envelope(flag)
    assert flag["falsePositive"] is item["falsePositive"]
    assert (flag["updateTime"] is None) is (not item["falsePositive"])
    assert incident("example", "rdds", "1.2", None, NOW) is None
    assert incident_false_positive("example", "rdds", "1.2", None, NOW) is None


def test_unknown_service_is_none() -> None:
    for fn in (alarmed, downtime, incidents):
        assert fn("example", "whois", None, NOW) is None
    assert incident("example", "whois", "1.1", None, NOW) is None
    assert monitoring.service_view("example", "whois", None, NOW) is None


# ------------------------------------------------------------------ scenarios


def test_dns_down_with_active_incident() -> None:
    body = state("example", DNS_DOWN, NOW)
    assert body["status"] == "Down"
    dns = body["testedServices"]["DNS"]
    assert dns["status"] == "Down"
    assert len(dns["incidents"]) == 1
    active = dns["incidents"][0]
    _incident_shape(active)
    assert active["state"] == "Active" and active["endTime"] is None
    assert active["startTime"] == REF - 30 * 60
    listed = incidents("example", "dns", DNS_DOWN, NOW)["incidents"]
    assert any(i["state"] == "Active" and i["endTime"] is None for i in listed)
    assert alarmed("example", "dns", DNS_DOWN, NOW)["alarmed"] == "Yes"
    assert alarmed("example", "rdds", DNS_DOWN, NOW)["alarmed"] == "No"
    assert downtime("example", "dns", DNS_DOWN, NOW)["downtime"] >= 30
    found = incident("example", "dns", active["incidentID"], DNS_DOWN, NOW)
    assert found["incidents"][0]["state"] == "Active"


def test_active_incident_alone_makes_service_down() -> None:
    scenario = {"services": {"rdap": {"incidents": [{}]}}}
    body = state("example", scenario, NOW)
    assert body["testedServices"]["RDAP"]["status"] == "Down"
    assert body["status"] == "Down"


def test_false_positive_active_incident_keeps_service_up() -> None:
    scenario = {"services": {"DNS": {"incidents": [{"false_positive": True}]}}}
    body = state("example", scenario, NOW)
    assert body["testedServices"]["DNS"]["status"] == "Up"
    assert body["testedServices"]["DNS"]["incidents"][0]["falsePositive"] is True
    assert alarmed("example", "dns", scenario, NOW)["alarmed"] == "No"
    flag_id = body["testedServices"]["DNS"]["incidents"][0]["incidentID"]
    flag = incident_false_positive("example", "dns", flag_id, scenario, NOW)
    assert flag["falsePositive"] is True and flag["updateTime"] is not None


def test_resolved_scenario_incident() -> None:
    scenario = {
        "services": {
            "EPP": {
                "incidents": [{"active": False, "started_minutes_ago": 120, "duration_minutes": 20}]
            }
        }
    }
    body = state("example", scenario, NOW)
    assert body["testedServices"]["EPP"] == {
        "status": "Up",
        "emergencyThreshold": body["testedServices"]["EPP"]["emergencyThreshold"],
        "incidents": [],
    }
    listed = incidents("example", "epp", scenario, NOW)["incidents"]
    ours = [i for i in listed if i["startTime"] == REF - 120 * 60]
    assert ours and ours[0]["state"] == "Resolved" and ours[0]["endTime"] == REF - 100 * 60


def test_disabled_service() -> None:
    scenario = {"services": {"DNSSEC": {"status": "Disabled"}}}
    body = state("example", scenario, NOW)
    assert body["testedServices"]["DNSSEC"] == {"status": "Disabled"}
    assert body["status"] == "Up"
    assert alarmed("example", "dnssec", scenario, NOW)["alarmed"] == "Disabled"
    assert downtime("example", "dnssec", scenario, NOW)["downtime"] == 0
    assert incidents("example", "dnssec", scenario, NOW)["incidents"] == []
    # A disabled service being "Down" elsewhere does not count.
    both = {"services": {"DNSSEC": {"status": "Disabled"}, "RDDS": {"status": "Up-inconclusive"}}}
    assert state("example", both, NOW)["status"] == "Up-inconclusive"


def test_mentioning_epp_enables_it() -> None:
    tld = next(
        t for t in TLDS if state(t, None, NOW)["testedServices"]["EPP"] == {"status": "Disabled"}
    )
    assert alarmed(tld, "epp", None, NOW)["alarmed"] == "Disabled"
    enabled = {"services": {"EPP": {}}}
    assert state(tld, enabled, NOW)["testedServices"]["EPP"]["status"] == "Up"
    assert alarmed(tld, "epp", enabled, NOW)["alarmed"] == "No"


def test_up_inconclusive_and_overall_override() -> None:
    inconclusive = {"services": {"RDAP": {"status": "Up-inconclusive"}}}
    body = state("example", inconclusive, NOW)
    assert body["status"] == "Up-inconclusive"
    assert body["testedServices"]["RDAP"]["status"] == "Up-inconclusive"
    assert alarmed("example", "rdap", inconclusive, NOW)["alarmed"] == "No"
    mixed = {"services": {"RDAP": {"status": "Up-inconclusive"}, "DNS": {"status": "Down"}}}
    assert state("example", mixed, NOW)["status"] == "Down"
    assert alarmed("example", "dns", mixed, NOW)["alarmed"] == "Yes"
    forced = {**mixed, "status": "Up"}
    assert state("example", forced, NOW)["status"] == "Up"


def test_emergency_threshold_override() -> None:
    scenario = {"services": {"RDDS": {"emergency_threshold": 50}}}
    assert state("example", scenario, NOW)["testedServices"]["RDDS"]["emergencyThreshold"] == 50.0
    assert downtime("example", "rdds", scenario, NOW)["downtime"] == 720


def test_anchored_scenario_keeps_incident_ids_stable() -> None:
    relative = {"services": {"DNS": {"incidents": [{"started_minutes_ago": 30}]}}}
    anchored, errors = validate_scenario(relative, now=NOW)
    assert errors == []
    an_hour_later = NOW + timedelta(hours=1)
    first = state("example", anchored, NOW)["testedServices"]["DNS"]["incidents"]
    second = state("example", anchored, an_hour_later)["testedServices"]["DNS"]["incidents"]
    assert first == second
    # A relative scenario moves with now.
    moved = state("example", relative, an_hour_later)["testedServices"]["DNS"]["incidents"]
    assert moved[0]["incidentID"] != first[0]["incidentID"]


def test_incident_filter_by_dates() -> None:
    listed = incidents("example", "rdds", DNS_DOWN, NOW)["incidents"]
    assert len(listed) >= 2
    pivot = listed[len(listed) // 2]
    after = incidents("example", "rdds", DNS_DOWN, NOW, start_date=pivot["startTime"])
    assert after["incidents"][0] == pivot
    before = incidents("example", "rdds", DNS_DOWN, NOW, end_date=pivot["startTime"])
    assert before["incidents"][-1] == pivot
    only = incidents(
        "example", "rdds", None, NOW, start_date=pivot["startTime"], end_date=pivot["startTime"]
    )
    assert only["incidents"] == [pivot]
    assert incidents("example", "rdds", None, NOW, end_date=0)["incidents"] == []


def test_invalid_scenario_raises_in_data_functions() -> None:
    with pytest.raises(ValueError, match="services.FTP"):
        state("example", {"services": {"FTP": {}}}, NOW)
