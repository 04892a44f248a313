"""JSON API under /api/v1: bearer tokens, or the portal session (with CSRF on changes)."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, jsonify, request
from flask_login import current_user
from werkzeug.wrappers import Response

from infra.database import db

from ..core.validation import Limits, validate_entries
from ..extensions import csrf
from ..services import configuration as cfg
from ..services.directory import list_tlds, normalise_tld, tld_for_user
from ..services.errors import Conflict, Invalid, NotFound
from ..services.tokens import user_for_token
from . import bp
from .errors import api_error
from .openapi import build_spec

PUBLIC_ENDPOINTS = {"api.openapi"}


@bp.before_request
def authenticate() -> Response | None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    header = request.headers.get("Authorization", "")
    if not header and current_user.is_authenticated:
        # A signed-in portal page calling the API: the session cookie is ambient, so changes
        # need the CSRF token exactly like a form.
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            csrf.protect()
        g.api_user = current_user._get_current_object()
        return None
    scheme, _, token = header.partition(" ")
    user = (
        user_for_token(db.session, token.strip()) if scheme.lower() == "bearer" and token else None
    )
    if user is None:
        response = api_error(
            401, "unauthorized", "Send a valid API token: Authorization: Bearer <token>."
        )
        response.headers["WWW-Authenticate"] = 'Bearer realm="tlsauth"'
        return response
    g.api_user = user
    return None


def _limits() -> Limits:
    return Limits(
        current_app.config["MAX_ENTRIES_PER_TLD"], current_app.config["MAX_PREFIXES_PER_ENTRY"]
    )


def _tld_or_404(name: str):
    try:
        return tld_for_user(db.session, g.api_user, name)
    except NotFound:
        return None


def _not_found(name: str) -> Response:
    return api_error(404, "not_found", f"No TLD “{name}” that you may manage.")


def _same_tld(raw: Any) -> str | None:
    """The body's TLD as an A-label (the URL's is converted the same way), None if invalid."""
    try:
        return normalise_tld(raw) if isinstance(raw, str) else None
    except Invalid:
        return None


def _with_etag(body: dict[str, Any], status: int = 200) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers["ETag"] = f'"{body["version"]}"'
    return response


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(build_spec())


@bp.get("/tlds")
def tlds() -> Response:
    try:
        page = int(request.args.get("page", 1))
        per_page = int(request.args.get("per_page", 100))
    except ValueError:
        return api_error(400, "invalid_query", "page and per_page must be whole numbers.")
    result = list_tlds(db.session, g.api_user, request.args.get("q", ""), page, per_page)
    return jsonify(
        {
            "tlds": [row.as_dict() for row in result.rows],
            "page": result.page,
            "per_page": result.per_page,
            "total": result.total,
        }
    )


@bp.get("/tlds/<name>/tls-client-auth")
def get_config(name: str) -> Response:
    tld = _tld_or_404(name)
    if tld is None:
        return _not_found(name)
    return _with_etag(cfg.document(tld))


def _parse_if_match() -> int | None:
    raw = request.headers.get("If-Match", "").strip()
    if raw.startswith("W/"):
        raw = raw[2:]
    raw = raw.strip('"')
    return int(raw) if raw.isdigit() else None


@bp.put("/tlds/<name>/tls-client-auth")
def put_config(name: str) -> Response:
    tld = _tld_or_404(name)
    if tld is None:
        return _not_found(name)
    if "If-Match" not in request.headers:
        return api_error(
            428,
            "precondition_required",
            "Send If-Match: <version> (the version you read) so no change is overwritten.",
        )
    expected = _parse_if_match()
    if expected is None:
        return api_error(
            400, "invalid_if_match", "If-Match must be the TLD's version number, e.g. If-Match: 3."
        )
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return api_error(
            400, "invalid_json", "The body must be a JSON object with an “entries” list."
        )
    if "tld" in body and _same_tld(body["tld"]) != tld.name:
        return api_error(
            400, "tld_mismatch", f"The body names TLD “{body['tld']}” but the URL names {tld.name}."
        )
    checked = validate_entries(body.get("entries"), _limits())
    if checked.value is None:
        return api_error(
            400, "validation_failed", "The document has errors; nothing was saved.", checked.errors
        )
    try:
        cfg.replace_entries(
            db.session,
            tld,
            checked.value,
            expected,
            cfg.Actor(g.api_user.email, "api", g.api_user.id),
        )
    except Conflict as exc:
        response = jsonify(
            {
                **api_error(
                    412,
                    "version_conflict",
                    f"The configuration is now version {exc.current_version}; "
                    f"you sent If-Match {exc.expected_version}. Nothing was saved.",
                ).get_json(),
                "current": exc.current,
                "changes": exc.changes,
            }
        )
        response.status_code = 412
        response.headers["ETag"] = f'"{exc.current_version}"'
        return response
    body_out = cfg.document(tld)
    body_out["warnings"] = [f.as_dict() | {"severity": f.severity} for f in checked.findings]
    return _with_etag(body_out)


@bp.get("/tlds/<name>/history")
def history(name: str) -> Response:
    tld = _tld_or_404(name)
    if tld is None:
        return _not_found(name)
    try:
        limit = max(1, min(int(request.args.get("limit", 100)), 1000))
    except ValueError:
        return api_error(400, "invalid_query", "limit must be a whole number.")
    events = cfg.history(db.session, tld, limit)
    return jsonify(
        {
            "tld": tld.name,
            "events": [
                cfg.event_summary(e) | {"before": e.before, "after": e.after} for e in events
            ],
        }
    )
