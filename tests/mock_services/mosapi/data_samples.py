"""What the tests of the MoSAPI generators share: a fixed ``now``, TLDs, a scenario, and the
check of the envelope every answer carries."""

from __future__ import annotations

from datetime import UTC, datetime

NOW = datetime(2025, 6, 15, 12, 34, 56, tzinfo=UTC)
REF = int(datetime(2025, 6, 15, 12, 34, tzinfo=UTC).timestamp())  # NOW's database time
TLDS = ["example", "test", "bank", "xn--p1ai", "shop", "app", "abc", "alpha", "beta", "gamma"]

DNS_DOWN = {
    "services": {
        "DNS": {"status": "Down", "incidents": [{"active": True, "started_minutes_ago": 30}]}
    }
}


def assert_envelope(body: dict) -> None:
    assert body["version"] == 2
    assert isinstance(body["lastUpdateApiDatabase"], int)
    assert body["lastUpdateApiDatabase"] == REF
