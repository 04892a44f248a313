"""Who calls the API, and the TLD a route names: both settled before any route runs, so a
caller without a token gets 401 and a TLD they may not manage 404, whatever else is wrong."""

from __future__ import annotations

from flask import g, request
from flask_login import current_user

from infra.database import db

from ..extensions import csrf
from ..models import Tld
from ..services.directory import tld_for_user
from ..services.tokens import user_for_token
from . import bp
from .errors import ApiError, current_operation


@bp.before_request
def authenticate() -> None:
    op = current_operation()
    if op is not None and op.public:
        return
    header = request.headers.get("Authorization", "")
    if not header and current_user.is_authenticated:
        # A signed-in portal page calling the API: the session cookie is ambient, so changes
        # need the CSRF token exactly like a form.
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            csrf.protect()
        g.api_user = current_user._get_current_object()
        return
    scheme, _, token = header.partition(" ")
    user = (
        user_for_token(db.session, token.strip()) if scheme.lower() == "bearer" and token else None
    )
    if user is None:
        raise ApiError(
            401,
            "unauthorized",
            "Send a valid API token: Authorization: Bearer <token>.",
            headers={"WWW-Authenticate": 'Bearer realm="tlsauth"'},
        )
    g.api_user = user


@bp.before_request
def load_tld() -> None:
    """The route's TLD if the caller may manage it; NotFound (404) otherwise."""
    name = (request.view_args or {}).get("tld")
    if name is not None:
        g.tld = tld_for_user(db.session, g.api_user, name)


def managed_tld() -> Tld:
    """The TLD of the current route, loaded by `load_tld` for the current API user."""
    tld: Tld = g.tld
    return tld
