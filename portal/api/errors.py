"""The API's one error shape, {"error": {"code", "message", "details": [{"field", "message"}]}},
and the one place where service errors become API answers (handlers on the API blueprint)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import Response, current_app, g, request
from pydantic import BaseModel
from pydantic_core import ErrorDetails

from ..core.validation import Finding
from ..services.errors import Conflict, Invalid, NotFound, ServiceError
from . import bp
from .schemas import ConflictBody, Document, ErrorBody, ErrorInfo, EventSummary


class ApiError(Exception):
    """An answer other than success: status, error body and headers."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        findings: Sequence[Finding] = (),
        headers: Mapping[str, str] | None = None,
        body: BaseModel | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = body or ErrorBody.of(code, message, findings)
        self.headers = dict(headers or {})

    def response(self) -> Response:
        return current_app.response_class(
            self.body.model_dump_json(),
            status=self.status,
            headers=self.headers,
            mimetype="application/json",
        )


def error_body(code: str, message: str, details: Sequence[Finding] = ()) -> dict[str, Any]:
    """The error shape as a dict (for the app-wide error pages under /api/)."""
    return ErrorBody.of(code, message, details).model_dump()


def field_path(error: ErrorDetails) -> Finding:
    """A schema error as a finding: ("entries", 0, "roles") → entries[0].roles. Union branch
    tags (named after their models, so capitalised) are left out: they are no field."""
    path = ""
    for part in error["loc"]:
        if isinstance(part, int):
            path += f"[{part}]"
        elif not part[:1].isupper():
            path += f".{part}" if path else part
    return Finding(path or "body", error["msg"])


def current_operation() -> Any:
    """The `spec.Operation` of the route being served (None outside the API's routes)."""
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "operation", None)


def _refused() -> str:
    op = current_operation()
    return op.refused if op else "The request has errors; nothing was changed."


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> Response:
    return exc.response()


@bp.errorhandler(NotFound)
def _not_found(exc: NotFound) -> Response:
    tld = (request.view_args or {}).get("tld")
    if tld is not None and g.get("tld") is not None:
        # The TLD is the caller's: what is missing is the thing under it.
        message = f"No such {exc.what} in .{g.tld.name}."
    elif tld is not None:
        # Anything under a TLD one may not manage answers like a TLD that does not exist.
        message = f"No TLD “{tld}” that you may manage."
    else:
        verb = "remove" if request.method == "DELETE" else "see"
        message = f"No such {exc.what} that you may {verb}."
    return ApiError(404, "not_found", message).response()


@bp.errorhandler(Invalid)
def _invalid(exc: Invalid) -> Response:
    # Only the errors: a refused document's warnings and notes are no reason of the refusal.
    return ApiError(400, "validation_failed", _refused(), exc.errors).response()


@bp.errorhandler(Conflict)
def _conflict(exc: Conflict) -> Response:
    message = (
        f"The configuration is now version {exc.current_version}; "
        f"you sent If-Match {exc.expected_version}. Nothing was saved."
    )
    assert exc.current is not None
    body = ConflictBody(
        error=ErrorInfo(code="version_conflict", message=message, details=[]),
        current=Document.of(exc.current),
        changes=[EventSummary.model_validate(change) for change in exc.changes],
    )
    return ApiError(
        412, "version_conflict", message, headers={"ETag": f'"{exc.current_version}"'}, body=body
    ).response()


@bp.errorhandler(ServiceError)
def _service_error(exc: ServiceError) -> Response:
    return ApiError(400, "refused", str(exc)).response()
