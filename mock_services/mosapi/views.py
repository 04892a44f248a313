"""The mock MoSAPI's Flask views: a thin layer over the pure generators of this package.

Enforcement has already run for every data endpoint; login and logout decide and log themselves.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache, wraps
from typing import Any

from flask import Flask, Response, g, jsonify, request
from sqlalchemy import delete
from werkzeug.exceptions import HTTPException

from infra.database import db
from portal.core.decision import Decision
from portal.core.mosapi import SERVICE_PATHS
from portal.models import MosapiSession

from ..enforcement import MOSAPI_DENIED, SESSION_COOKIE, session_hash
from ..harness_views import json_error
from ..routes import RY
from . import measurements as measurement_data
from . import metrica, monitoring, rdap

SESSION_LIFETIME = timedelta(minutes=15)


def _now() -> datetime:
    return datetime.now(UTC)


def scenario_for(tld: str) -> dict[str, Any] | None:
    """The TLD's scenario from the policy cache (checked on this request's version query)."""
    from ..app import enforcer

    return enforcer().cache.scenario(tld)


def _json(body: dict[str, Any] | None, not_found: str = "no such object") -> Response:
    if body is None:
        return json_error(404, not_found)
    return jsonify(body)


def per_service(view: Callable[..., Response]) -> Callable[..., Response]:
    """Views under monitoring/<svc>/: an unknown service is 404, a known one arrives upper-case
    (paths name services in lower case only)."""

    @wraps(view)
    def wrapper(tld: str, svc: str, **kwargs: Any) -> Response:
        service = SERVICE_PATHS.get(svc)
        if service is None:
            return json_error(404, f"unknown service {svc!r}")
        return view(tld=tld, svc=service, **kwargs)

    return wrapper


# --------------------------------------------------------------------------- login / logout


def login(tld: str) -> Response:
    from ..app import enforcer

    enf = enforcer()
    source = enf.source_address(request)
    policy, _ = enf.cache.lookup(db.session, tld)
    decision = enf.basic(policy, RY, request, source) or Decision(
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
    # state depends on `now` only through its minute: one computation per minute.
    return monitoring.state(tld, json.loads(scenario), datetime.fromtimestamp(minute * 60, UTC))


def state(tld: str) -> Response:
    scenario = json.dumps(scenario_for(tld), sort_keys=True)
    return jsonify(_state(tld, scenario, int(_now().timestamp()) // 60))


@per_service
def alarmed(tld: str, svc: str) -> Response:
    return _json(monitoring.alarmed(tld, svc, scenario_for(tld), _now()))


@per_service
def downtime(tld: str, svc: str) -> Response:
    return _json(monitoring.downtime(tld, svc, scenario_for(tld), _now()))


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
        return json_error(400, "startDate and endDate are Unix seconds")
    return _json(monitoring.incidents(tld, svc, scenario_for(tld), _now(), start, end))


@per_service
def incident(tld: str, svc: str, incident_id: str) -> Response:
    return _json(monitoring.incident(tld, svc, incident_id, scenario_for(tld), _now()))


@per_service
def incident_false_positive(tld: str, svc: str, incident_id: str) -> Response:
    return _json(
        monitoring.incident_false_positive(tld, svc, incident_id, scenario_for(tld), _now()),
        "no such incident",
    )


@per_service
def incident_measurements(tld: str, svc: str, incident_id: str) -> Response:
    return _json(
        measurement_data.incident_measurements(tld, svc, incident_id, scenario_for(tld), _now()),
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
        measurement_data.measurements(
            tld,
            svc,
            _now(),
            year,
            month,
            day,
            measurement_id,
            scenario=scenario_for(tld),
        ),
        "no such measurement",
    )


# --------------------------------------------------------------------------- METRICA, RDAP


def metrica_latest(tld: str) -> Response:
    return _json(metrica.metrica_latest(tld, scenario_for(tld), _now()), "no report")


def metrica_by_date(tld: str, day: str) -> Response:
    return _json(metrica.metrica_by_date(tld, day, scenario_for(tld), _now()), "no report")


def metrica_list(tld: str) -> Response:
    status, body = metrica.metrica_list(
        tld,
        request.args.get("startDate"),
        request.args.get("endDate"),
        scenario_for(tld),
        _now(),
    )
    response = jsonify(body)
    response.status_code = status
    return response


def rdap_base_urls(tld: str) -> Response:
    return jsonify(rdap.rdap_base_urls(_now()))


def register_errors(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        return json_error(exc.code or 500, exc.description or exc.name)
