"""Reading the mocks' decision log."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.reasons import CallFacts, explain
from ..models import DecisionLogRow


def decision_log(
    session: Session, tld: str, result: str | None = None, limit: int = 100
) -> list[DecisionLogRow]:
    """The TLD's decisions, newest first, optionally only allowed or denied ones."""
    stmt = select(DecisionLogRow).where(DecisionLogRow.tld == tld)
    if result:
        stmt = stmt.where(DecisionLogRow.result == result)
    return list(session.scalars(stmt.order_by(DecisionLogRow.id.desc()).limit(limit)))


def entry_named(row: DecisionLogRow) -> str | None:
    """The entry a logged decision is about: the matched one, else the first entry whose
    verdict holds the deciding reason."""
    if row.matched_entry:
        return row.matched_entry
    for check in row.checks or []:
        if row.deciding_reason in check.get("reasons", []):
            return str(check["domain_name"])
    return None


def sentence_of(row: DecisionLogRow) -> str:
    facts = CallFacts(row.tld, row.required_role, row.source_address, entry_named(row))
    return explain(row.result == "allowed", row.auth_path, list(row.reasons or []), facts)
