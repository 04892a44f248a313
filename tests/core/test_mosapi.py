"""MoSAPI's vocabulary: service names, strict dates, the database time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from portal.core.mosapi import (
    SERVICE_PATHS,
    SERVICES,
    THREAT_TYPES,
    as_utc,
    database_time,
    parse_iso_date,
    parse_unix_time,
    service_key,
)


def test_service_names_in_json_and_in_paths() -> None:
    assert SERVICES == ("DNS", "DNSSEC", "RDDS", "RDAP", "EPP")
    assert SERVICE_PATHS == {
        "dns": "DNS",
        "dnssec": "DNSSEC",
        "rdds": "RDDS",
        "rdap": "RDAP",
        "epp": "EPP",
    }
    assert service_key("dns") == service_key("Dns") == "DNS"
    assert service_key("whois") is None
    assert service_key(None) is None  # type: ignore[arg-type]


def test_metrica_threat_types_are_the_four_mosapi_names() -> None:
    # njshah301/nomulus MetricaThreatData.java: "spam, phishing, botnetCc and malware".
    assert THREAT_TYPES == ("spam", "phishing", "botnetCc", "malware")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-06-01", date(2025, 6, 1)),
        ("2025-6-1", None),
        ("2025-02-30", None),
        ("", None),
        ("2025-06-01\n", None),
        ("٢٠٢٥-06-01", None),
    ],
)
def test_parse_iso_date_is_strict(text: str, expected: date | None) -> None:
    assert parse_iso_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1700000000", 1700000000), ("0", 0), ("²", None), ("١٢", None), ("-5", None), ("", None)],
)
def test_parse_unix_time_takes_ascii_digits_only(text: str, expected: int | None) -> None:
    assert parse_unix_time(text) == expected


def test_database_time_is_now_floored_to_the_minute_in_utc() -> None:
    now = datetime(2025, 6, 15, 12, 34, 56, tzinfo=UTC)
    ref = int(datetime(2025, 6, 15, 12, 34, tzinfo=UTC).timestamp())
    assert database_time(now) == ref
    assert database_time(now.replace(tzinfo=None)) == ref  # naive is UTC
    assert database_time(now.astimezone(timezone(timedelta(hours=2)))) == ref
    assert as_utc(now.replace(tzinfo=None)) == now
