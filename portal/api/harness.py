"""Test mode: seed and empty the harness over HTTP (POST /harness/seed, POST /harness/reset),
for test suites that drive a running harness (the pytest plugin, a CI job).

Open only when TLSAUTH_TEST_MODE=true, only to ICANN staff, and only with an API token: a
reset removes everything, so no browser may be led to send one riding on the portal's session
cookie. A document's `certificates` section is refused (422): the server keeps no private key
it generates, so keys are made on the client's side (the plugin's tlsauth_client_cert).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from flask import current_app, g, request

from infra.config import limits
from infra.database import db

from ..core.access import ICANN
from ..core.seed import DocumentError, load_document, schema
from ..services import seed
from ..services.errors import Conflict, Invalid
from . import bp
from .errors import ApiError
from .schemas import ErrorBody, ResetReport, SeedReport
from .spec import EXTRA_SCHEMAS, operation

JSON_TYPE = "application/json"
YAML_TYPES = ("application/yaml", "text/yaml")
SEED_SCHEMA = "SeedDocument"
NOT_IN_TEST_MODE = (
    "The harness is not in test mode (TLSAUTH_TEST_MODE=true): seeding and resetting over HTTP "
    "are off. Start a harness meant for tests with TLSAUTH_TEST_MODE=true (never in "
    "production), or run `tlsauth seed` on its host."
)
BEARER_ONLY = (
    "Seeding and resetting take an API token (Authorization: Bearer …), not the portal's "
    "session: create one for an ICANN staff user with `tlsauth token create EMAIL`."
)


def _openapi_schema() -> dict[str, Any]:
    """The seed document's JSON Schema as a component of the API's document: its own $defs
    referred to from where the component sits."""
    text = json.dumps({k: v for k, v in schema().items() if k not in ("$schema", "$id")})
    return json.loads(text.replace('"#/$defs/', f'"#/components/schemas/{SEED_SCHEMA}/$defs/'))


EXTRA_SCHEMAS[SEED_SCHEMA] = _openapi_schema()
_SEED_REF = {"$ref": f"#/components/schemas/{SEED_SCHEMA}"}
SEED_BODY = {
    "required": True,
    "description": "The seed document (docs/seed.md), as JSON or YAML; no `certificates`.",
    "content": {media: {"schema": copy.deepcopy(_SEED_REF)} for media in (JSON_TYPE, *YAML_TYPES)},
}


def _allowed() -> None:
    """Test mode, a bearer token, ICANN staff; else 403 saying which is missing."""
    if not current_app.config.get("TEST_MODE"):
        raise ApiError(403, "not_in_test_mode", NOT_IN_TEST_MODE)
    if "Authorization" not in request.headers:
        raise ApiError(403, "token_required", BEARER_ONLY)
    user = g.api_user
    if user.organisation.kind != ICANN:
        raise ApiError(
            403,
            "forbidden",
            f"Only ICANN staff may seed or reset the harness; {user.email} is of "
            f"{user.organisation.name}.",
        )


def _document() -> dict[str, Any]:
    """The body as a document's data: JSON or YAML by its Content-Type."""
    if request.mimetype == JSON_TYPE:
        code, filename, what = "invalid_json", "seed.json", "a JSON object"
    elif request.mimetype in YAML_TYPES:
        code, filename, what = "invalid_yaml", "seed.yaml", "a YAML mapping"
    else:
        raise ApiError(
            415,
            "unsupported_media_type",
            "Send the seed document as JSON (Content-Type: application/json) or YAML "
            "(Content-Type: application/yaml or text/yaml).",
        )
    body = request.get_data()
    try:
        data = load_document(body, filename)
    except DocumentError as exc:
        raise ApiError(
            400, code, f"The body must be {what} (the seed document): {exc}", [exc.finding]
        ) from exc
    if not isinstance(data, dict):
        found = "empty" if data is None else f"a {type(data).__name__}"
        raise ApiError(400, code, f"The body must be {what} (the seed document); it is {found}.")
    return data


@bp.post("/harness/seed")
@operation(
    SeedReport,
    errors=[400, 403, 415],
    also={
        409: (ErrorBody, "A TLD changed while the document was applied; nothing was applied"),
        422: (ErrorBody, "The document has errors, each named by its path; nothing was applied"),
    },
    body=SEED_BODY,
)
def harness_seed() -> SeedReport:
    """Apply a seed document (test mode only, ICANN staff's API token only)

    The body is the document of `tlsauth seed` (docs/seed.md), as JSON or YAML (Content-Type
    application/yaml or text/yaml). It is checked whole first: any error answers 422 with
    every error at its path in the document (`tlds[3].entries[0].ip_acl[1]`) and nothing is
    applied. Otherwise what differs is changed in one transaction, each change in the TLD's
    History with channel `seed`; the same document again changes nothing. `certificates` is
    refused: make keys on the client's side (the pytest plugin's `tlsauth_client_cert`, the
    workbench). The answer lists what was created, changed and left alone, and the passwords
    made for new users the document gave none (in this answer only)."""
    _allowed()
    document = _document()
    try:
        report = seed.apply(
            db.session,
            document,
            allow_certificates=False,
            limits=limits(current_app.config),
            certs_dir=Path(current_app.config["CERTS_DIR"]),
        )
    except Invalid as exc:
        count = len(exc.errors)
        raise ApiError(
            422,
            "invalid_document",
            f"The seed document has {count} error{'s' if count != 1 else ''}; nothing was applied.",
            exc.errors,
        ) from exc
    except Conflict as exc:
        raise ApiError(
            409,
            "conflict",
            "A TLD of the document was changed while it was applied; nothing was applied. "
            "Send the document again.",
        ) from exc
    return SeedReport.model_validate(report.as_dict())


@bp.post("/harness/reset")
@operation(ResetReport, errors=[403])
def harness_reset() -> ResetReport:
    """Empty the harness (test mode only, ICANN staff's API token only)

    Removes every organisation, user, TLD, entry, Basic account, scenario, History event,
    zone record, decision, MoSAPI session, RRI submission, maintenance window, bulk upload and
    message. Kept: the harness CA, the registrar list, and the caller with their organisation
    and API tokens, so the same token can seed next."""
    _allowed()
    report = seed.reset(db.session, keep_users=[g.api_user.email])
    return ResetReport.model_validate(report.as_dict())
