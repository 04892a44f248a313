"""The portal's Flask app factory: configuration, extensions, blueprints, error pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface

from infra import config as config_module
from infra.database import db, init_database

from .api import bp as api_bp
from .auth import bp as auth_bp
from .bulk import bp as bulk_bp
from .errors import register_error_pages
from .extensions import csrf, limiter, login_manager, migrate
from .inbox import bp as inbox_bp
from .models import User, session_stamp
from .templating import register as register_templating
from .tlds import bp as tlds_bp
from .tokens import bp as tokens_bp
from .workbench import bp as workbench_bp

MIGRATIONS_DIR = str(Path(__file__).parent / "migrations")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)


class SessionInterface(SecureCookieSessionInterface):
    """Mark the session cookie Secure whenever the portal is reached over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:  # type: ignore[override]
        mode = app.config.get("SESSION_COOKIE_SECURE_MODE", "auto")
        if mode in {"true", "1", "yes"}:
            return True
        if mode in {"false", "0", "no"}:
            return False
        return request.is_secure


def _load_user(session_id: str) -> User | None:
    """The signed-in user from the session's `User.get_id`; None for a user who is gone,
    inactive, or not the one the session was made for (an id reused after a reset)."""
    row_id, _, stamp = session_id.partition(".")
    if not row_id.isdigit() or not stamp.isdigit():
        return None
    user = db.session.get(User, int(row_id))
    if user is None or not user.active or session_stamp(user.created_at) != int(stamp):
        return None
    return user


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if request.path.startswith("/api/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_path=config_module.instance_dir().as_posix())
    app.config.update(config_module.from_environment())
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="tlsauth_session",
        WTF_CSRF_TIME_LIMIT=None,  # tied to the session instead of a clock
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        JSON_SORT_KEYS=False,
    )
    if overrides:
        app.config.update(overrides)
    app.session_interface = SessionInterface()

    init_database(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in."
    login_manager.user_loader(_load_user)

    app.register_blueprint(auth_bp)
    app.register_blueprint(tlds_bp)
    app.register_blueprint(tokens_bp)
    app.register_blueprint(workbench_bp)
    app.register_blueprint(bulk_bp)
    app.register_blueprint(inbox_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    # The API checks CSRF itself, only for changes that ride on the portal's session cookie;
    # a bearer token is not ambient, so there is nothing to forge.
    csrf.exempt(api_bp)

    register_templating(app)
    register_error_pages(app)
    app.after_request(_security_headers)
    return app
