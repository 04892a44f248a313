"""The mock MoSAPI's METRICA domain lists: one report a day, scenario counts, list ranges."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from mock_services.mosapi.errors import MosapiError
from mock_services.mosapi.metrica import (
    GENERATED_AFTER,
    generated_at,
    metrica_by_date,
    metrica_latest,
    metrica_list,
)
from portal.core.mosapi import THREAT_TYPES, parse_iso_date

from .data_samples import NOW, TLDS, assert_envelope


def _report_shape(body: dict, tld: str) -> None:
    assert_envelope(body)
    assert body["tld"] == tld
    assert parse_iso_date(body["domainListDate"]) is not None
    # njshah301/nomulus MetricaThreatData.java: spam, phishing, botnetCc and malware.
    assert [d["threatType"] for d in body["domainListData"]] == [
        "spam",
        "phishing",
        "botnetCc",
        "malware",
    ]
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


def test_same_inputs_give_equal_outputs() -> None:
    for tld in TLDS[:3]:
        assert metrica_latest(tld, None, NOW) == metrica_latest(tld, None, NOW)


def test_different_tlds_give_different_reports() -> None:
    reports = {json.dumps(metrica_latest(t, None, NOW)["domainListData"]) for t in TLDS}
    assert len(reports) > 1


def test_metrica_latest_default() -> None:
    body = metrica_latest("example", None, NOW)
    _report_shape(body, "example")
    assert body["domainListDate"] == "2025-06-14"
    assert metrica_by_date("example", "2025-06-14", None, NOW) == body
    older = metrica_by_date("example", "2024-01-31", None, NOW)
    _report_shape(older, "example")
    assert metrica_by_date("example", "2025-06-15", None, NOW) is None
    assert metrica_by_date("example", "2017-12-31", None, NOW) is None
    assert metrica_by_date("example", "2025-6-1", None, NOW) is None
    assert metrica_by_date("example", "latest", None, NOW) is None


def test_metrica_scenario_counts() -> None:
    counts = {"spam": 2, "phishing": 3, "botnetCc": 0, "malware": -1}
    scenario = {"metrica": {"counts": counts}}
    body = metrica_latest("example", scenario, NOW)
    _report_shape(body, "example")
    assert {d["threatType"]: d["count"] for d in body["domainListData"]} == counts
    malware = next(d for d in body["domainListData"] if d["threatType"] == "malware")
    assert malware == {"threatType": "malware", "count": -1, "domains": []}
    assert body["uniqueAbuseDomains"] == 5
    # Only the latest report is overridden.
    assert metrica_by_date("example", "2025-06-13", scenario, NOW) == metrica_by_date(
        "example", "2025-06-13", None, NOW
    )


def test_metrica_scenario_date_and_partial_counts() -> None:
    scenario = {"metrica": {"date": "2025-06-01", "counts": {"spam": 7}}}
    body = metrica_latest("example", scenario, NOW)
    assert body["domainListDate"] == "2025-06-01"
    spam = next(d for d in body["domainListData"] if d["threatType"] == "spam")
    assert spam["count"] == 7
    default = metrica_by_date("example", "2025-06-01", None, NOW)
    assert body["domainListData"][1] == default["domainListData"][1]  # phishing generated
    assert metrica_by_date("example", "2025-06-02", scenario, NOW) is None


def test_metrica_no_report() -> None:
    scenario = {"metrica": {"no_report": True}}
    assert metrica_latest("example", scenario, NOW) is None
    assert metrica_by_date("example", "2025-06-14", scenario, NOW) is None
    assert metrica_list("example", "2025-06-01", "2025-06-14", scenario, NOW)["domainLists"] == []


def test_a_stored_scenario_counting_pharming_still_works() -> None:
    # Scenarios saved before METRICA's threat types were corrected may count "pharming".
    stored = {"metrica": {"counts": {"phishing": 3, "pharming": 1}}}
    body = metrica_latest("example", stored, NOW)
    assert [d["threatType"] for d in body["domainListData"]] == list(THREAT_TYPES)
    assert body["domainListData"][1]["count"] == 3


def test_invalid_scenario_raises() -> None:
    with pytest.raises(ValueError, match="metrica.counts.spam"):
        metrica_latest("example", {"metrica": {"counts": {"spam": -5}}}, NOW)


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
    refused = metrica_list("example", start, end, None, NOW)
    assert isinstance(refused, MosapiError) and refused.status == 400
    body = refused.body()
    assert set(body) == {"resultCode", "message", "description"}
    assert body["resultCode"] == str(code)  # a JSON string (nomulus MosApiErrorResponse)
    assert body["message"] and body["description"]


def test_metrica_list_valid_ranges() -> None:
    body = metrica_list("example", "2025-05-14", "2025-06-14", None, NOW)
    assert_envelope(body)
    assert body["tld"] == "example"
    dates = [d["domainListDate"] for d in body["domainLists"]]
    assert len(dates) == 32 and dates[0] == "2025-05-14" and dates[-1] == "2025-06-14"
    # icann-client MetricaListInfo, nomulus MetricaReportInfo: each item names both dates.
    assert all(
        set(d) == {"domainListDate", "domainListGenerationDate"} for d in body["domainLists"]
    )
    # Dates without a report yet are simply absent.
    body = metrica_list("example", "2025-06-10", "2025-06-20", None, NOW)
    assert [d["domainListDate"] for d in body["domainLists"]] == [
        f"2025-06-{n}" for n in range(10, 15)
    ]
    dates = [
        d["domainListDate"] for d in metrica_list("example", None, None, None, NOW)["domainLists"]
    ]
    assert dates[0] == "2025-05-15" and dates[-1] == "2025-06-14"
    [only] = metrica_list("example", "2025-06-14", "2025-06-14", None, NOW)["domainLists"]
    assert only["domainListDate"] == "2025-06-14"


def test_generation_date_is_the_next_day_and_the_latest_report_is_the_newest_generated() -> None:
    listed = metrica_list("example", "2025-06-01", "2025-06-14", None, NOW)["domainLists"]
    for item in listed:
        day = date.fromisoformat(item["domainListDate"])
        stamp = item["domainListGenerationDate"]
        # RFC 3339 in UTC with hundredths, as icann-client's test sample.
        assert len(stamp) == len("2018-12-13T23:20:50.52Z") and stamp.endswith("Z")
        at = datetime.fromisoformat(stamp)
        assert at == generated_at("example", day)
        after_midnight = at - datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC)
        assert GENERATED_AFTER[0] <= after_midnight < GENERATED_AFTER[1]
    yesterday = date(2025, 6, 14)
    made = generated_at("example", yesterday)
    # The mock's time moves by whole minutes (database time): the next minute shows it.
    next_minute = made + timedelta(minutes=1)
    assert metrica_latest("example", None, next_minute)["domainListDate"] == "2025-06-14"
    just_before = made - timedelta(minutes=1)
    assert metrica_latest("example", None, just_before)["domainListDate"] == "2025-06-13"
    assert metrica_by_date("example", "2025-06-14", None, just_before) is None
