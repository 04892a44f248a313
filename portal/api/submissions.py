"""Reports the RRI mock accepted for a TLD."""

from __future__ import annotations

from flask import Response

from infra.database import db

from ..services.submissions import get_submission, list_submissions
from . import bp
from .access import managed_tld
from .schemas import LimitQuery, SubmissionInfo, Submissions
from .spec import operation


@bp.get("/tlds/<tld>/submissions")
@operation(Submissions, errors=[404])
def submissions(tld: str, query: LimitQuery) -> Submissions:
    """Reports the RRI mock accepted for the TLD, newest first"""
    row = managed_tld()
    found = list_submissions(db.session, row, query.limit)
    return Submissions(tld=row.name, submissions=[SubmissionInfo.model_validate(s) for s in found])


@bp.get("/tlds/<tld>/submissions/<int:submission_id>")
@operation(None, errors=[404])
def submission_body(tld: str, submission_id: int) -> Response:
    """One accepted report body, byte for byte, with its content type"""
    row = get_submission(db.session, managed_tld(), submission_id)
    return Response(row.body, 200, content_type=row.content_type or "application/octet-stream")
