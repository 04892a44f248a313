"""Handlers both mocks serve the same way (harness-defined): maintenance windows, probe nodes."""

from __future__ import annotations

import hashlib
import ipaddress
from datetime import UTC, datetime
from typing import Any

from flask import Response, jsonify, request
from sqlalchemy import delete, select

from infra.database import db
from portal.models import MaintenanceWindow, as_utc, utcnow

SERVICES = ("DNS", "DNSSEC", "RDDS", "RDAP", "EPP")
MAX_WINDOW_DESCRIPTION = 500


def scenario_for(tld: str) -> dict[str, Any] | None:
    """The TLD's scenario from the policy cache (checked on this request's version query)."""
    from .app import enforcer

    return enforcer().cache.scenario(tld)


def json_error(status: int, message: str, **extra: Any) -> Response:
    response = jsonify({"error": message, **extra})
    response.status_code = status
    return response


# --------------------------------------------------------------------------- maintenance windows


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


def _window_json(w: MaintenanceWindow) -> dict[str, Any]:
    return {
        "id": w.id,
        "tld": w.tld,
        "start": as_utc(w.starts_at).isoformat().replace("+00:00", "Z"),  # type: ignore[union-attr]
        "end": as_utc(w.ends_at).isoformat().replace("+00:00", "Z"),  # type: ignore[union-attr]
        "services": w.services,
        "description": w.description,
    }


def _window_input() -> tuple[dict[str, Any] | None, list[str]]:
    body = request.get_json(silent=True)
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


def windows(tld: str) -> Response:
    """GET: windows not yet ended; POST: create one."""
    if request.method == "POST":
        values, errors = _window_input()
        if values is None:
            return json_error(400, "invalid maintenance window", details=errors)
        window = MaintenanceWindow(tld=tld, **values)
        db.session.add(window)
        db.session.commit()
        response = jsonify(_window_json(window))
        response.status_code = 201
        response.headers["Location"] = f"{request.path.rstrip('/')}/{window.id}"
        return response
    rows = db.session.scalars(
        select(MaintenanceWindow)
        .where(MaintenanceWindow.tld == tld, MaintenanceWindow.ends_at > utcnow())
        .order_by(MaintenanceWindow.starts_at)
    )
    return jsonify({"tld": tld, "maintenanceWindows": [_window_json(w) for w in rows]})


def window(tld: str, window_id: int) -> Response:
    row = db.session.get(MaintenanceWindow, window_id)
    if row is None or row.tld != tld:
        return json_error(404, "no such maintenance window")
    if request.method == "DELETE":
        db.session.execute(delete(MaintenanceWindow).where(MaintenanceWindow.id == window_id))
        db.session.commit()
        return Response(status=204)
    if request.method == "PUT":
        values, errors = _window_input()
        if values is None:
            return json_error(400, "invalid maintenance window", details=errors)
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at = utcnow()
        db.session.commit()
    return jsonify(_window_json(row))


# --------------------------------------------------------------------------- probe nodes


def probe_nodes(tld: str) -> Response:
    """A fixed, deterministic list of SLAM probe nodes (harness-defined shape)."""
    nodes = []
    for i, (city, country) in enumerate(
        [
            ("Amsterdam", "NL"),
            ("Ashburn", "US"),
            ("Frankfurt", "DE"),
            ("Johannesburg", "ZA"),
            ("Montevideo", "UY"),
            ("Singapore", "SG"),
            ("Sydney", "AU"),
            ("Tokyo", "JP"),
        ]
    ):
        seed = hashlib.sha256(f"probe-{i}".encode()).digest()
        nodes.append(
            {
                "name": f"probe-{country.lower()}-{i + 1:02d}",
                "city": city,
                "country": country,
                "ipv4": str(ipaddress.IPv4Address(0xC6336400 + seed[0])),  # 198.51.100.0/24
                "ipv6": str(
                    ipaddress.IPv6Address((0x20010DB8 << 96) + int.from_bytes(seed[:4], "big"))
                ),
            }
        )
    return jsonify({"version": 2, "lastUpdateApiDatabase": 0, "tld": tld, "probeNodes": nodes})
