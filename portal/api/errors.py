"""The API's one error shape: {"error": {"code", "message", "details": [{"field", "message"}]}}."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from ..core.validation import Finding


def error_body(code: str, message: str, details: list[Finding] | None = None) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "details": [f.as_dict() for f in details or [] if f.severity == "error"],
        }
    }


def api_error(
    status: int, code: str, message: str, details: list[Finding] | None = None, **extra: Any
) -> Response:
    body = error_body(code, message, details)
    body["error"].update(extra)
    response = jsonify(body)
    response.status_code = status
    return response
