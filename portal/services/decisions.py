"""Reading the mocks' decision log."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import DecisionLogRow


def decision_log(
    session: Session, tld: str, result: str | None = None, limit: int = 100
) -> list[DecisionLogRow]:
    """The TLD's decisions, newest first, optionally only allowed or denied ones."""
    stmt = select(DecisionLogRow).where(DecisionLogRow.tld == tld)
    if result:
        stmt = stmt.where(DecisionLogRow.result == result)
    return list(session.scalars(stmt.order_by(DecisionLogRow.id.desc()).limit(limit)))
