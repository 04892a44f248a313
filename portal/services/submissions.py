"""Reading the reports the RRI mock accepted."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from ..models import Submission, Tld
from .errors import NotFound


def list_submissions(session: Session, tld: Tld, limit: int = 100) -> list[Submission]:
    """The TLD's accepted reports, newest first, without their bodies."""
    return list(
        session.scalars(
            select(Submission)
            .options(defer(Submission.body))
            .where(Submission.tld == tld.name)
            .order_by(Submission.id.desc())
            .limit(limit)
        )
    )


def get_submission(session: Session, tld: Tld, submission_id: int) -> Submission:
    row = session.get(Submission, submission_id)
    if row is None or row.tld != tld.name:
        raise NotFound("submission")
    return row
