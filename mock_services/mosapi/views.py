"""The mock MoSAPI's Flask views: a thin layer over the pure generators of this package.

Enforcement has already run for every data endpoint; login and logout decide and log themselves.
Every 400 and 404 of MoSAPI's own endpoints is its error envelope (``errors``).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache, wraps
from typing import Any

from flask import Flask, Response, g, jsonify, request
from flask_compress import Compress
from sqlalchemy import delete
from werkzeug.exceptions import HTTPException

from infra.database import db
from portal.core.decision import Decision
from portal.core.endpoints import RY
from portal.core.mosapi import SERVICE_PATHS, parse_unix_time
from portal.models import MosapiSession

from ..enforcement import MOSAPI_DENIED, SESSION_COOKIE, session_hash
from ..harness_views import json_error
from . import measurements as measurement_data
from . import metrica, monitoring, rdap
from .errors import MosapiError, not_found, parse_range

SESSION_LIFETIME = timedelta(minutes=15)
# METRICA answers are gzip-compressed when the client asks (Accept-Encoding) and the body is
# worth it (Flask-Compress: COMPRESS_MIN_SIZE, Content-Encoding and Vary set for us).
compress = Compress()


def _now() -> datetime:
    return datetime.now(UTC)


def scenario_for(tld: str) -> dict[str, Any] | None:
    """The TLD's scenario from the policy cache (checked on this request's version query)."""
    from ..app import enforcer

    return enforcer().cache.scenario(tld)


def _error(error: MosapiError) -> Response:
    response = jsonify(error.body())
    response.status_code = error.status
    return response


def _json(body: dict[str, Any] | MosapiError | None, missing: str) -> Response:
    """The body, the refusal, or (``None``) a 404 saying what is ``missing``."""
    if body is None:
        return _error(not_found(missing))
    if isinstance(body, MosapiError):
        return _error(body)
    return jsonify(body)


def per_service(view: Callable[..., Response]) -> Callable[..., Response]:
    """Views under monitoring/<svc>/: an unknown service is 404, a known one arrives upper-case
    (paths name services in lower case only)."""

    @wraps(view)
    def wrapper(tld: str, svc: str, **kwargs: Any) -> Response:
        service = SERVICE_PATHS.get(svc)
        if service is None:
            return _error(not_found(f"unknown service {svc!r}"))
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
        g.decision = (decision_id, decision, 401)
        return enf.login_denial(decision)
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
    g.decision = (decision_id, decision, 200)
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
    g.decision = (decision_id, decision, status)
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
    return _json(monitoring.alarmed(tld, svc, scenario_for(tld), _now()), "no such service")


@per_service
def downtime(tld: str, svc: str) -> Response:
    return _json(monitoring.downtime(tld, svc, scenario_for(tld), _now()), "no such service")


@per_service
def incidents(tld: str, svc: str) -> Response:
    window = parse_range(
        request.args.get("startDate"),
        request.args.get("endDate"),
        parse_unix_time,
        "a Unix time in seconds",
    )
    if isinstance(window, MosapiError):
        return _error(window)
    listed = monitoring.incidents(tld, svc, scenario_for(tld), _now(), *window)
    return _json(listed, "no such service")


@per_service
def incident(tld: str, svc: str, incident_id: str) -> Response:
    found = monitoring.incident(tld, svc, incident_id, scenario_for(tld), _now())
    return _json(found, "no such incident")


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
def incident_measurement(tld: str, svc: str, incident_id: str, measurement_id: str) -> Response:
    found = measurement_data.incident_measurement(
        tld, svc, incident_id, measurement_id, scenario_for(tld), _now()
    )
    return _json(found, "no such measurement")


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


def _metrica_report(tld: str, report: dict[str, Any] | None) -> Response:
    """A report, ``Last-Modified`` when it was generated; 404 when there is none."""
    response = _json(report, "no report")
    if report is not None:
        day = date.fromisoformat(report["domainListDate"])
        response.last_modified = metrica.generated_at(tld, day)
    return response


@compress.compressed()
def metrica_latest(tld: str) -> Response:
    return _metrica_report(tld, metrica.metrica_latest(tld, scenario_for(tld), _now()))


@compress.compressed()
def metrica_by_date(tld: str, day: str) -> Response:
    return _metrica_report(tld, metrica.metrica_by_date(tld, day, scenario_for(tld), _now()))


@compress.compressed()
def metrica_list(tld: str) -> Response:
    listed = metrica.metrica_list(
        tld,
        request.args.get("startDate"),
        request.args.get("endDate"),
        scenario_for(tld),
        _now(),
    )
    return _json(listed, "no report")


def rdap_base_urls(tld: str) -> Response:
    return jsonify(rdap.rdap_base_urls(_now()))


def init_app(app: Flask) -> None:
    """Compression for the views that ask for it, gzip only (what MoSAPI's clients send)."""
    app.config.update(
        COMPRESS_REGISTER=False,
        COMPRESS_ALGORITHM=["gzip"],
        COMPRESS_EVALUATE_CONDITIONAL_REQUEST=False,
    )
    compress.init_app(app)


def register_errors(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        if exc.code == 404:
            return _error(not_found(exc.description or exc.name))
        return json_error(exc.code or 500, exc.description or exc.name)
