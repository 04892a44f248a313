"""The TLDs a caller may manage, and each TLD's TLS client authentication data and history."""

from __future__ import annotations

from typing import Any

from flask import current_app, g

from infra.config import limits
from infra.database import db

from ..services import configuration as cfg
from ..services.directory import list_tlds, normalise_tld
from ..services.errors import Invalid
from . import bp
from .access import managed_tld
from .errors import ApiError
from .schemas import (
    Document,
    DocumentInput,
    History,
    HistoryEvent,
    IfMatch,
    LimitQuery,
    SavedDocument,
    TldList,
    TldQuery,
)
from .spec import expected_version, operation


def _etag(document: Document) -> dict[str, str]:
    return {"ETag": f'"{document.version}"'}


def _names_this_tld(raw: Any, tld: str) -> bool:
    """Whether the body's TLD is the URL's (both as A-labels)."""
    try:
        return isinstance(raw, str) and normalise_tld(raw) == tld
    except Invalid:
        return False


@bp.get("/tlds")
@operation(TldList)
def tlds(query: TldQuery) -> TldList:
    """TLDs you may manage"""
    result = list_tlds(db.session, g.api_user, query.q, query.page, query.per_page)
    return TldList.of(result)


@bp.get("/tlds/<tld>/tls-client-auth")
@operation(Document, errors=[404])
def get_config(tld: str) -> tuple[Document, int, dict[str, str]]:
    """The TLD's TLS client authentication data"""
    document = Document.of(managed_tld())
    return document, 200, _etag(document)


@bp.put("/tlds/<tld>/tls-client-auth")
@operation(
    SavedDocument,
    errors=[404, 412, 428],
    refused="The document has errors; nothing was saved.",
)
def put_config(
    tld: str, json: DocumentInput, headers: IfMatch
) -> tuple[SavedDocument, int, dict[str, str]]:
    """Replace the TLD's TLS client authentication data

    Send If-Match with the version you read; a stale one is refused (412) with the current
    document and what changed since."""
    row = managed_tld()
    if "tld" in json.model_fields_set and not _names_this_tld(json.tld, row.name):
        raise ApiError(
            400, "tld_mismatch", f"The body names TLD “{json.tld}” but the URL names {row.name}."
        )
    saved = cfg.replace_entries(
        db.session,
        row,
        json.model_dump()["entries"],
        expected_version(),
        cfg.Actor(g.api_user.email, "api", g.api_user.id),
        limits(current_app.config),
    )
    document = SavedDocument.saved(row, saved.findings)
    return document, 200, _etag(document)


@bp.get("/tlds/<tld>/history")
@operation(History, errors=[404])
def history(tld: str, query: LimitQuery) -> History:
    """Audit events of the TLD, newest first"""
    row = managed_tld()
    events = cfg.history(db.session, row, query.limit)
    return History(tld=row.name, events=[HistoryEvent.of(e) for e in events])
