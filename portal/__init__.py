"""The portal: Flask app factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import HTTPException

from . import config as config_module
from .extensions import csrf, db, limiter, login_manager, migrate
from .models import User

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
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 30}})
    app.session_interface = SessionInterface()

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in."

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        user = db.session.get(User, int(user_id))
        return user if user and user.active else None

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        _sqlite_pragmas(app)

    from .api import bp as api_bp
    from .auth import bp as auth_bp
    from .tlds import bp as tlds_bp
    from .tokens import bp as tokens_bp
    from .workbench import bp as workbench_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(tlds_bp)
    app.register_blueprint(tokens_bp)
    app.register_blueprint(workbench_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    csrf.exempt(api_bp)  # bearer tokens only: no ambient credential to forge

    from .templating import register as register_templating

    register_templating(app)
    _register_errors(app)

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    from .cli import register_commands

    register_commands(app)
    return app


def _sqlite_pragmas(app: Flask) -> None:
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: commits survive a process crash; only an OS crash may lose the
            # last ones — right for a test harness whose hottest write is the decision log.
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()


def _register_errors(app: Flask) -> None:
    from flask_wtf.csrf import CSRFError

    from .api.errors import error_body

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> Any:
        if request.path.startswith("/api/"):
            # The API speaks JSON even when a session-authenticated change lacks its token.
            return jsonify(
                error_body(
                    "csrf_failed",
                    "Send the page's CSRF token in an X-CSRFToken header, "
                    "or use an API token (Authorization: Bearer …).",
                )
            ), 400
        return render_template(
            "errors/error.html",
            code=400,
            title="Form expired",
            message="The form's security token is missing or stale. Reload the page and try again.",
        ), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        if request.path.startswith("/api/"):
            code = {
                404: "not_found",
                405: "method_not_allowed",
                413: "too_large",
                429: "rate_limited",
            }.get(exc.code or 500, "http_error")
            return jsonify(error_body(code, exc.description or exc.name)), exc.code
        if exc.code == 413 and request.headers.get("HX-Request") == "true":
            from .core.validation import Finding

            limit = app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
            return render_template(
                "workbench/_errors.html",
                findings=[Finding("form", f"The upload is too large: at most {limit} MiB.")],
            ), 413
        if exc.code == 429 and request.endpoint == "auth.login":
            from .auth.views import render_login

            return render_login(
                error="Too many failed sign-ins. Wait a minute and try again.", status=429
            )
        return render_template(
            "errors/error.html", code=exc.code, title=exc.name, message=exc.description
        ), exc.code
