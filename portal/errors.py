"""App-wide error pages: HTML for the portal, the API's JSON error shape under /api/."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .api.errors import error_body
from .auth.views import render_login
from .core.validation import Finding

HTTP_ERROR_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    429: "rate_limited",
}


def _is_api() -> bool:
    return request.path.startswith("/api/")


def csrf_error(exc: CSRFError) -> Any:
    if _is_api():
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


def http_error(exc: HTTPException) -> Any:
    if _is_api():
        code = HTTP_ERROR_CODES.get(exc.code or 500, "http_error")
        return jsonify(error_body(code, exc.description or exc.name)), exc.code
    if exc.code == 413 and request.headers.get("HX-Request") == "true":
        limit = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        return render_template(
            "workbench/_errors.html",
            findings=[Finding("form", f"The upload is too large: at most {limit} MiB.")],
        ), 413
    if exc.code == 429 and request.endpoint == "auth.login":
        return render_login(
            error="Too many failed sign-ins. Wait a minute and try again.", status=429
        )
    return render_template(
        "errors/error.html", code=exc.code, title=exc.name, message=exc.description
    ), exc.code


def register_error_pages(app: Flask) -> None:
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(HTTPException, http_error)
