"""Reading the mocks' decision log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import DecisionLogRow, as_utc


def decision_json(r: DecisionLogRow) -> dict[str, Any]:
    return {
        "id": r.id,
        "at": as_utc(r.created_at).isoformat(),  # type: ignore[union-attr]
        "system": r.system,
        "endpoint": r.endpoint,
        "method": r.method,
        "source_address": r.source_address,
        "cert_spki_sha256": r.cert_spki_sha256,
        "cert_subject": r.cert_subject,
        "auth_path": r.auth_path,
        "result": r.result,
        "status_code": r.status_code,
        "reasons": r.reasons,
        "warnings": r.warnings,
        "matched_entry": r.matched_entry,
    }


def decision_log(
    session: Session, tld: str, result: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """The TLD's decisions, newest first, optionally only allowed or denied ones."""
    stmt = select(DecisionLogRow).where(DecisionLogRow.tld == tld)
    if result:
        stmt = stmt.where(DecisionLogRow.result == result)
    rows = session.scalars(stmt.order_by(DecisionLogRow.id.desc()).limit(limit))
    return [decision_json(r) for r in rows]
