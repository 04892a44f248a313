"""What a maintenance-window request must hold (pure, no Flask)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mock_services.maintenance_windows import MAX_WINDOW_DESCRIPTION, parse_window
from portal.core.mosapi import SERVICES

WINDOW = {"start": "2999-01-01T02:00:00Z", "end": "2999-01-01T04:00:00+01:00"}


def test_a_valid_window_with_defaults() -> None:
    values, errors = parse_window(WINDOW)
    assert errors == []
    assert values == {
        "starts_at": datetime(2999, 1, 1, 2, tzinfo=UTC),
        "ends_at": datetime(2999, 1, 1, 3, tzinfo=UTC),  # 04:00+01:00 in UTC
        "services": list(SERVICES),
        "description": "",
    }


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ([], "the body must be a JSON object"),
        ({**WINDOW, "start": 5}, "start must be an RFC 3339 date-time string"),
        ({**WINDOW, "end": "soon"}, "end is not an RFC 3339 date-time: 'soon'"),
        ({**WINDOW, "start": "2999-01-01T02:00:00"}, "start needs a time zone"),
        ({**WINDOW, "end": "2999-01-01T01:00:00Z"}, "end must be after start"),
        ({**WINDOW, "services": []}, "services must be a non-empty list of DNS, DNSSEC"),
        ({**WINDOW, "services": ["dns"]}, "services must be a non-empty list"),
        ({**WINDOW, "services": "DNS"}, "services must be a non-empty list"),
        ({**WINDOW, "description": 7}, "description must be text"),
        (
            {**WINDOW, "description": "x" * (MAX_WINDOW_DESCRIPTION + 1)},
            f"at most {MAX_WINDOW_DESCRIPTION} characters",
        ),
    ],
)
def test_each_problem_is_named(body: object, fragment: str) -> None:
    values, errors = parse_window(body)
    assert values is None
    assert any(fragment in e for e in errors), errors


def test_every_problem_is_reported() -> None:
    _, errors = parse_window({"start": "x", "end": 1, "services": [], "description": None})
    assert len(errors) == 4
