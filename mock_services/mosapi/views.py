"""MoSAPI handlers (DESIGN §5). Enforcement has already run for every data endpoint."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache, wraps
from typing import Any

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from infra.database import db
from portal.core.decision import Decision
from portal.models import MosapiSession

from .. import shared
from ..enforcement import MOSAPI_DENIED, SESSION_COOKIE, session_hash
from . import data

SESSION_LIFETIME = timedelta(minutes=15)
SERVICES = {"dns", "dnssec", "rdds", "rdap", "epp"}

windows = shared.windows
window = shared.window
probe_nodes = shared.probe_nodes


def _now() -> datetime:
    return datetime.now(UTC)


def _json(body: dict[str, Any] | None, not_found: str = "no such object") -> Response:
    if body is None:
        return shared.json_error(404, not_found)
    return jsonify(body)


def _service(svc: str) -> str | None:
    return svc.upper() if svc in SERVICES else None


def per_service(view: Callable[..., Response]) -> Callable[..., Response]:
    """Views under monitoring/<svc>/: an unknown service is 404, a known one arrives upper-case."""

    @wraps(view)
    def wrapper(tld: str, svc: str, **kwargs: Any) -> Response:
        service = _service(svc)
        if service is None:
            return shared.json_error(404, f"unknown service {svc!r}")
        return view(tld=tld, svc=service, **kwargs)

    return wrapper


# --------------------------------------------------------------------------- login / logout


def login(tld: str) -> Response:
    from ..app import enforcer

    enf = enforcer()
    source = enf.source_address(request)
    policy, _ = enf.cache.lookup(db.session, tld)
    decision = enf.basic(policy, frozenset({"ry"}), request, source) or Decision(
        False, "basic", ["no-credentials"]
    )
    if not decision.allowed:
        decision_id = enf.log(db.session, request, tld, decision, 401, {"source": source})
        g.decision = (decision_id, decision)
        return Response(MOSAPI_DENIED, 401, mimetype="text/plain")
    username = decision.matched_entry or ""
    token = secrets.token_hex(20)  # the 40-hex-character `id` cookie
    enf.end_sessions(db.session, username)  # one live session per account
    db.session.add(
        MosapiSession(
            token_hash=session_hash(token),
            username=username,
            tld=tld,
            expires_at=_now() + SESSION_LIFETIME,
        )
    )
    db.session.commit()
    decision_id = enf.log(db.session, request, tld, decision, 200, {"source": source})
    g.decision = (decision_id, decision)
    response = Response("", 200, mimetype="text/plain")
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path=f"/ry/{tld}",
        secure=True,
        httponly=True,
    )
    return response


def logout(tld: str) -> Response:
    from sqlalchemy import delete

    from ..app import enforcer

    enf = enforcer()
    token = request.cookies.get(SESSION_COOKIE, "")
    deleted = 0
    if token:
        deleted = db.session.execute(
            delete(MosapiSession).where(
                MosapiSession.token_hash == session_hash(token), MosapiSession.tld == tld
            )
        ).rowcount
        db.session.commit()
    decision = Decision(bool(deleted), "session", [] if deleted else ["session-unknown"])
    status = 200 if deleted else 401
    decision_id = enf.log(
        db.session, request, tld, decision, status, {"source": enf.source_address(request)}
    )
    g.decision = (decision_id, decision)
    if not deleted:
        return Response(MOSAPI_DENIED, 401, mimetype="text/plain")
    response = Response("", 200, mimetype="text/plain")
    response.delete_cookie(SESSION_COOKIE, path=f"/ry/{tld}", secure=True, httponly=True)
    return response


# --------------------------------------------------------------------------- monitoring


@lru_cache(maxsize=4096)
def _state(tld: str, scenario: str, minute: int) -> dict[str, Any]:
    # data.state depends on `now` only through its minute: one computation per minute.
    return data.state(tld, json.loads(scenario), datetime.fromtimestamp(minute * 60, UTC))


def state(tld: str) -> Response:
    scenario = json.dumps(shared.scenario_for(tld), sort_keys=True)
    return jsonify(_state(tld, scenario, int(_now().timestamp()) // 60))


@per_service
def alarmed(tld: str, svc: str) -> Response:
    return _json(data.alarmed(tld, svc, shared.scenario_for(tld), _now()))


@per_service
def downtime(tld: str, svc: str) -> Response:
    return _json(data.downtime(tld, svc, shared.scenario_for(tld), _now()))


def _unix_arg(name: str) -> tuple[int | None, bool]:
    raw = request.args.get(name)
    if raw is None:
        return None, True
    return (int(raw), True) if raw.isdigit() else (None, False)


@per_service
def incidents(tld: str, svc: str) -> Response:
    start, ok_start = _unix_arg("startDate")
    end, ok_end = _unix_arg("endDate")
    if not (ok_start and ok_end):
        return shared.json_error(400, "startDate and endDate are Unix seconds")
    return _json(data.incidents(tld, svc, shared.scenario_for(tld), _now(), start, end))


@per_service
def incident(tld: str, svc: str, incident_id: str) -> Response:
    return _json(data.incident(tld, svc, incident_id, shared.scenario_for(tld), _now()))


@per_service
def incident_false_positive(tld: str, svc: str, incident_id: str) -> Response:
    return _json(
        data.incident_false_positive(tld, svc, incident_id, shared.scenario_for(tld), _now()),
        "no such incident",
    )


@per_service
def incident_measurements(tld: str, svc: str, incident_id: str) -> Response:
    return _json(
        data.incident_measurements(tld, svc, incident_id, shared.scenario_for(tld), _now()),
        "no such incident",
    )


@per_service
def measurements(
    tld: str,
    svc: str,
    year: int | None = None,
    month: int | None = None,
    day: int | None = None,
    measurement_id: str | None = None,
) -> Response:
    return _json(
        data.measurements(
            tld,
            svc,
            _now(),
            year,
            month,
            day,
            measurement_id,
            scenario=shared.scenario_for(tld),
        ),
        "no such measurement",
    )


# --------------------------------------------------------------------------- METRICA, RDAP


def metrica_latest(tld: str) -> Response:
    return _json(data.metrica_latest(tld, shared.scenario_for(tld), _now()), "no report")


def metrica_by_date(tld: str, day: str) -> Response:
    return _json(data.metrica_by_date(tld, day, shared.scenario_for(tld), _now()), "no report")


def metrica_list(tld: str) -> Response:
    status, body = data.metrica_list(
        tld,
        request.args.get("startDate"),
        request.args.get("endDate"),
        shared.scenario_for(tld),
        _now(),
    )
    response = jsonify(body)
    response.status_code = status
    return response


def rdap_base_urls(tld: str) -> Response:
    return jsonify(data.rdap_base_urls(_now()))


def register_errors(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        return shared.json_error(exc.code or 500, exc.description or exc.name)
