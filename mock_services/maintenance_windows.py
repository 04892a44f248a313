"""What a maintenance-window request must hold (harness-defined, served by both mocks).

Pure: no Flask, no database; the views hand in the parsed JSON body.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from portal.core.mosapi import SERVICES

MAX_WINDOW_DESCRIPTION = 500


def _parse_time(raw: Any, field: str) -> tuple[datetime | None, str | None]:
    if not isinstance(raw, str):
        return None, f"{field} must be an RFC 3339 date-time string"
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None, f"{field} is not an RFC 3339 date-time: {raw!r}"
    if value.tzinfo is None:
        return None, f"{field} needs a time zone (e.g. 2026-12-01T02:00:00Z)"
    return value.astimezone(UTC), None


def parse_window(body: object) -> tuple[dict[str, Any] | None, list[str]]:
    """A window's column values from ``{start, end, services?, description?}``, or ``None`` and
    every problem found. ``services`` defaults to all of them, ``description`` to empty."""
    if not isinstance(body, dict):
        return None, ["the body must be a JSON object {start, end, services, description}"]
    errors: list[str] = []
    start, err = _parse_time(body.get("start"), "start")
    errors += [err] if err else []
    end, err = _parse_time(body.get("end"), "end")
    errors += [err] if err else []
    if start and end and end <= start:
        errors.append("end must be after start")
    services = body.get("services", list(SERVICES))
    if not isinstance(services, list) or not services or any(s not in SERVICES for s in services):
        errors.append(f"services must be a non-empty list of {', '.join(SERVICES)}")
    description = body.get("description", "")
    if not isinstance(description, str) or len(description) > MAX_WINDOW_DESCRIPTION:
        errors.append(f"description must be text of at most {MAX_WINDOW_DESCRIPTION} characters")
    if errors:
        return None, errors
    return {
        "starts_at": start,
        "ends_at": end,
        "services": services,
        "description": description,
    }, []
