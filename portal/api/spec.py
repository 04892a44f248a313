"""The OpenAPI 3.1 document of /api/v1, made by spectree from the routes and the pydantic models
in schemas.py; the same declarations validate each request before its view runs.

`operation` declares a route: its answer, the errors it documents, and (from the view's
signature, spectree's way) its `query`, `json` and `headers` models, which spectree validates
and passes in. A request that fails validation is refused in the API's error shape.
"""

from __future__ import annotations

import copy
import json as jsonlib
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Response as FlaskResponse
from flask import jsonify, request
from pydantic import BaseModel, ValidationError
from spectree import Response, SecurityScheme, SpecTree
from spectree.models import SecuritySchemeData, Server

from . import bp
from .errors import ApiError, field_path
from .schemas import BulkRefusal, ConflictBody, ErrorBody, IfMatch

PREFIX = "/api/v1"
TLD_PARAMETER = "The TLD as an A-label (a U-label is converted)."
UPLOAD_PARAMETER = "The bulk upload's number"

ERROR_ANSWERS: dict[int, tuple[type[BaseModel], str]] = {
    400: (ErrorBody, "Invalid input; details name each field"),
    401: (ErrorBody, "Missing or invalid bearer token"),
    403: (ErrorBody, "Not yours to do; the message says who may"),
    404: (ErrorBody, "Not found, or not yours to manage (the same answer)"),
    409: (ConflictBody, "The version sent is stale; the body carries the current document"),
    412: (ConflictBody, "If-Match is stale; the body carries the current document"),
    413: (ErrorBody, "The body is larger than the operation takes"),
    415: (ErrorBody, "The body is of a media type the operation does not take"),
    422: (BulkRefusal, "Refused as it stands; details say why, findings place a file's problems"),
    428: (ErrorBody, "If-Match missing"),
}
FORM = "multipart/form-data"
# Per operation id: the status, media type and description of an answer that is a file.
MEDIA_ANSWERS: dict[str, tuple[int, str, str]] = {}
# Per operation id: a request body the view reads itself (not a pydantic model), as the
# OpenAPI requestBody object; and the component schemas such bodies refer to.
REQUEST_BODIES: dict[str, dict[str, Any]] = {}
EXTRA_SCHEMAS: dict[str, dict[str, Any]] = {}


class Answers(Response):
    """spectree adds its validation-error answer to every operation. An operation declares 400
    itself when it takes input; one without input never answers 400, so it is left out."""

    def add_model(
        self, code: int, model: Any, replace: bool = True, description: str | None = None
    ) -> None:
        if replace:
            super().add_model(code, model, replace, description)


spec = SpecTree(
    "flask",
    mode="strict",
    title="TLS Client Authentication harness API",
    version="1",
    description="Manage, per gTLD, the TLS client authentication data that the mock MoSAPI "
    "and RRI servers enforce; the harness zone, the mocks' decision log, scenarios and "
    "reports; the certificate workbench.",
    servers=[Server(url=PREFIX)],
    security_schemes=[
        SecurityScheme(name="bearer", data=SecuritySchemeData(type="http", scheme="bearer"))
    ],
    security={"bearer": []},
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
    validation_error_status=400,
    validation_error_model=ErrorBody,
    page_templates={},
)


@dataclass(frozen=True)
class Operation:
    """What the API needs of a route beyond spectree: how it refuses bad input."""

    query: type[BaseModel] | None
    json: type[BaseModel] | None
    form: type[BaseModel] | None  # a multipart/form-data body, instead of the JSON one
    conditional: bool  # needs If-Match, checked before the body
    refused: str  # the message when the input is refused
    public: bool

    def check(self, _req: Any, _resp: Any, error: Exception | None, *_args: Any) -> None:
        """spectree's hook after validating a request, before the view: the API's answers,
        in the order a client fixes them (precondition, media type, body that is no object,
        fields)."""
        if self.conditional:
            expected_version()
        form = self.form is not None and request.mimetype == FORM
        if self.form is not None and not form and not request.is_json:
            raise ApiError(
                415,
                "unsupported_media_type",
                "Send multipart/form-data (the file in the field “file”) or a JSON body "
                "(Content-Type: application/json).",
            )
        if (
            self.json is not None
            and not form
            and not isinstance(request.get_json(silent=True), dict)
        ):
            raise ApiError(400, "invalid_json", _not_an_object())
        if isinstance(error, ValidationError):
            query = self.query is not None and error.title == self.query.__name__
            findings = [field_path(e) for e in error.errors(include_url=False)]
            if query:
                raise ApiError(400, "invalid_query", "The query has errors.", findings)
            raise ApiError(400, "validation_failed", self.refused, findings)


def _not_an_object() -> str:
    """Why the body is no JSON object, with where its JSON breaks when it does."""
    data = request.get_data()
    if not data:
        return "The body must be a JSON object; it is empty."
    try:
        jsonlib.loads(data)
    except jsonlib.JSONDecodeError as exc:
        return (
            f"The body must be a JSON object; it is not valid JSON: {exc.msg} "
            f"(line {exc.lineno}, column {exc.colno})."
        )
    except ValueError:  # bytes that are not UTF-8 (nor UTF-16 or UTF-32) text
        return "The body must be a JSON object; it is not UTF-8 text."
    return "The body must be a JSON object."


def expected_version() -> int:
    """The version named by If-Match: 428 without one, 400 if it is no version."""
    if "If-Match" not in request.headers:
        raise ApiError(
            428,
            "precondition_required",
            "Send If-Match: <version> (the version you read) so no change is overwritten.",
        )
    version = IfMatch.model_validate(dict(request.headers)).version
    if version is None:
        raise ApiError(
            400, "invalid_if_match", "If-Match must be the TLD's version number, e.g. If-Match: 3."
        )
    return version


def operation(
    answer: type[BaseModel] | None,
    *,
    status: int = 200,
    also: Mapping[int, tuple[type[BaseModel], str]] | None = None,
    media: tuple[str, str] | None = None,
    errors: Iterable[int] = (),
    refused: str = "The request has errors; nothing was changed.",
    public: bool = False,
    body: Mapping[str, Any] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a route of the API: `answer` for `status` (and the answers `also`, each a
    model and its description), documented `errors` (400 when it takes input and 401 unless
    `public` are added), `refused` the message for bad input. `media` (media type,
    description) documents a success that is a file rather than JSON (`answer` None). `body`
    documents a request body the view reads itself (an OpenAPI requestBody object)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        hints = typing.get_type_hints(view)
        takes = {name: hints.get(name) for name in ("query", "json", "form", "headers")}
        op = Operation(
            query=takes["query"],
            json=takes["json"],
            form=takes["form"],
            conditional=takes["headers"] is IfMatch,
            refused=refused,
            public=public,
        )
        codes = set(errors) | ({400} if any(takes.values()) else set())
        codes |= set() if public else {401}
        codes |= {415} if op.form is not None else set()
        if media is not None:
            MEDIA_ANSWERS[view.__name__] = (status, *media)
        if body is not None:
            REQUEST_BODIES[view.__name__] = dict(body)
        answers = Answers(
            **{f"HTTP_{status}": answer},  # type: ignore[arg-type]
            **{f"HTTP_{code}": model for code, model in (also or {}).items()},  # type: ignore[arg-type]
            **{f"HTTP_{code}": ERROR_ANSWERS[code] for code in sorted(codes)},  # type: ignore[arg-type]
        )
        validated = spec.validate(
            resp=answers,
            security=[] if public else None,
            before=op.check,
            path_parameter_descriptions={"tld": TLD_PARAMETER, "upload_id": UPLOAD_PARAMETER},
            operation_id=view.__name__,
        )(view)
        validated.operation = op  # type: ignore[attr-defined]
        return validated

    return decorate


def document() -> dict[str, Any]:
    """spectree's document with the paths relative to the server URL /api/v1, the answers
    that are files given their media type, and the bodies views read themselves."""
    made = spec.spec
    paths = {path.removeprefix(PREFIX): _with_media(item) for path, item in made["paths"].items()}
    components = made.get("components", {})
    schemas = {**components.get("schemas", {}), **EXTRA_SCHEMAS}
    return {**made, "paths": paths, "components": {**components, "schemas": schemas}}


def _with_media(item: dict[str, Any]) -> dict[str, Any]:
    out = item
    for method, op in item.items():
        if not isinstance(op, dict):
            continue
        name = op.get("operationId")
        if name not in MEDIA_ANSWERS and name not in REQUEST_BODIES:
            continue
        out = copy.deepcopy(out) if out is item else out
        if name in MEDIA_ANSWERS:
            status, media, description = MEDIA_ANSWERS[name]
            out[method]["responses"][str(status)] = {
                "description": description,
                "content": {media: {"schema": {"type": "string", "format": "binary"}}},
            }
        if name in REQUEST_BODIES:
            out[method]["requestBody"] = REQUEST_BODIES[name]
    return out


@bp.get("/openapi.json")
@operation(None, public=True)
def openapi() -> FlaskResponse:
    """This document"""
    return jsonify(document())
