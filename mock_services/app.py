"""Flask apps of the two mocks: routes from the one table, each guarded by the enforcer."""

from __future__ import annotations

import functools
import importlib
import ipaddress
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import MethodNotAllowed

from infra import config as config_module
from infra.database import db, init_database, is_sqlite
from infra.harness_pki import ensure_material
from portal.core.endpoints import MockRoute, routes_for

from . import harness_views
from .client_limits import ClientLimits
from .decision_retention import start_pruning
from .enforcement import DECISION_HEADER, Enforcer
from .policy_cache import CACHE_KEY, PolicyCache

ENFORCER_KEY = "tlsauth.enforcer"
LIMITS_KEY = "tlsauth.client_limits"


def enforcer() -> Enforcer:
    return current_app.extensions[ENFORCER_KEY]


def client_limits() -> ClientLimits | None:
    return current_app.extensions.get(LIMITS_KEY)


def _trusted(text: str) -> tuple[Any, ...]:
    return tuple(ipaddress.ip_network(p.strip()) for p in text.split(",") if p.strip())


def _tlsa_source(app: Flask) -> Any:
    source = app.config["TLSA_SOURCE"]
    if source == "harness":
        return None
    if source == "dns":
        from infra.dns_source import DnsTlsaSource

        return DnsTlsaSource.from_setting(app.config["DNS_RESOLVER"])
    raise SystemExit(f"TLSAUTH_TLSA_SOURCE must be harness or dns, not {source!r}")


def _guard(view: Callable[..., Any], route: MockRoute) -> Callable[..., Any]:
    @functools.wraps(view)
    def guarded(**kwargs: Any) -> Any:
        if "tld" in kwargs:
            kwargs["tld"] = kwargs["tld"].lower().rstrip(".")
        tld = kwargs.get("tld", "")
        limits = client_limits()
        if limits is not None:
            over = limits.check(enforcer(), db.session, route, tld, request)
            if over is not None:
                g.decision = (over.decision_id, over.decision, over.denial.status_code)
                return over.denial
        if route.role is None:  # login/logout decide and log themselves; conformance-version
            response = view(**kwargs)
            if limits is not None:
                limits.answered(enforcer(), route, tld, request, response.status_code)
            return response
        outcome = enforcer().enforce(db.session, route, tld, request)
        status = outcome.denial.status_code if outcome.denial is not None else 200
        g.decision = (outcome.decision_id, outcome.decision, status)
        if outcome.denial is not None:
            return outcome.denial
        return view(**kwargs)

    return guarded


def create_mock_app(system: str, overrides: dict[str, Any] | None = None) -> Flask:
    if system not in ("mosapi", "rri"):
        raise ValueError(system)
    app = Flask(f"mock_services.{system}")
    app.config.update(config_module.from_environment())
    if overrides:
        app.config.update(overrides)
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_BODY_BYTES"]
    init_database(app)
    material = ensure_material(Path(app.config["CERTS_DIR"]))
    cache = app.extensions[CACHE_KEY] = PolicyCache()
    app.extensions[ENFORCER_KEY] = Enforcer(
        system,
        cache,
        tlsa_source=_tlsa_source(app),
        anchors=(material.load_ca(),),
        trusted_proxies=_trusted(app.config["TRUSTED_PROXIES"]),
        explain=app.config["EXPLAIN_HEADER"],
        serialize_writes=is_sqlite(app),
    )
    start_pruning(app, app.extensions[ENFORCER_KEY].write_lock)
    if system == "mosapi":  # the MoSAPI specification's limits (client_limits.py)
        app.extensions[LIMITS_KEY] = ClientLimits.from_config(app.config)
    app.config["HARNESS_MATERIAL"] = material
    views = importlib.import_module(f"mock_services.{system}.views")
    for route in routes_for(system):
        module = harness_views if route.harness_defined else views
        app.add_url_rule(
            route.rule,
            endpoint=route.endpoint,
            view_func=_guard(getattr(module, route.handler), route),
            methods=list(route.methods),
            defaults={"kind": route.kind} if route.kind else None,
        )

    @app.after_request
    def explain(response: Response) -> Response:
        decided = g.get("decision")
        if decided is None:
            return response
        decision_id, decision, logged = decided
        enforcer().settle(db.session, decision_id, logged, response.status_code)
        if enforcer().explain:
            response.headers[DECISION_HEADER] = enforcer().header_value(decision_id, decision)
        return response

    @app.after_request
    def allow(response: Response) -> Response:
        # A 405 names the path's methods (RFC 9110); the mocks' own error answers would drop
        # the Allow header werkzeug puts on its exception.
        refused = request.routing_exception
        if response.status_code == 405 and isinstance(refused, MethodNotAllowed):
            response.headers.update(h for h in refused.get_headers() if h[0] == "Allow")
        return response

    errors = getattr(views, "register_errors", None)
    if errors:
        errors(app)
    extend = getattr(views, "init_app", None)  # what a mock's views need of the app
    if extend:
        extend(app)
    return app
