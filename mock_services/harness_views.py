"""Views of the harness-defined endpoints both mocks serve the same way: maintenance windows and
the probe node list; and the JSON error answer they and the MoSAPI views give.

Both mocks share the same windows (one table).
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from sqlalchemy import delete, select

from infra.database import db
from portal.models import MaintenanceWindow, as_utc, utcnow

from .maintenance_windows import parse_window
from .probe_nodes import probe_node_list


def json_error(status: int, message: str, **extra: Any) -> Response:
    response = jsonify({"error": message, **extra})
    response.status_code = status
    return response


def _window_json(w: MaintenanceWindow) -> dict[str, Any]:
    return {
        "id": w.id,
        "tld": w.tld,
        "start": as_utc(w.starts_at).isoformat().replace("+00:00", "Z"),  # type: ignore[union-attr]
        "end": as_utc(w.ends_at).isoformat().replace("+00:00", "Z"),  # type: ignore[union-attr]
        "services": w.services,
        "description": w.description,
    }


def _invalid(errors: list[str]) -> Response:
    return json_error(400, "invalid maintenance window", details=errors)


def windows(tld: str) -> Response:
    """GET: windows not yet ended; POST: create one."""
    if request.method == "POST":
        values, errors = parse_window(request.get_json(silent=True))
        if values is None:
            return _invalid(errors)
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
    """GET one window, PUT to replace it, DELETE to remove it (204)."""
    row = db.session.get(MaintenanceWindow, window_id)
    if row is None or row.tld != tld:
        return json_error(404, "no such maintenance window")
    if request.method == "DELETE":
        db.session.execute(delete(MaintenanceWindow).where(MaintenanceWindow.id == window_id))
        db.session.commit()
        return Response(status=204)
    if request.method == "PUT":
        values, errors = parse_window(request.get_json(silent=True))
        if values is None:
            return _invalid(errors)
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at = utcnow()
        db.session.commit()
    return jsonify(_window_json(row))


def probe_nodes(tld: str) -> Response:
    return jsonify(probe_node_list(tld))
