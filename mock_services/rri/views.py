"""RRI handlers (DESIGN §5): report PUTs, the escrow agent notification, status reads.

Accepted bodies are stored byte for byte. A monthly report may be replaced until the 20th of the
month after the report month (its due date); after that a replacement is refused with 2002.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

from flask import Flask, Response, g, request
from sqlalchemy import exists, func, select
from werkzeug.exceptions import HTTPException

from infra.database import db
from portal.models import Submission

from .. import shared
from . import reports
from .reports import RriResult

windows = shared.windows
window = shared.window
probe_nodes = shared.probe_nodes

CSV_TYPES = {"text/csv"}
XML_TYPES = {"text/xml", "application/xml"}
REPLACE_UNTIL_DAY = 20
KINDS = (
    "registrar-transactions",
    "registry-functions-activity",
    "registry-escrow-report",
    "escrow-agent-notification",
)


def _now() -> datetime:
    return datetime.now(UTC)


def answer(result: RriResult) -> Response:
    return Response(reports.response_xml(result), result.http_status, mimetype="text/xml")


def _fail(code: int, message: str) -> Response:
    return answer(RriResult(False, code, message, 400))


def _content_type_ok(allowed: set[str]) -> bool:
    return (request.mimetype or "").lower() in allowed


def _store(tld: str, kind: str, key: str) -> None:
    body = request.get_data(cache=False)
    decided = g.get("decision")
    db.session.add(
        Submission(
            tld=tld,
            kind=kind,
            report_key=key,
            content_type=request.content_type or "",
            body=body,
            size=len(body),
            sha256=hashlib.sha256(body).hexdigest(),
            decision_id=decided[0] if decided else None,
        )
    )
    db.session.commit()


def _already(tld: str, kind: str, key: str) -> bool:
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Submission.tld == tld, Submission.kind == kind, Submission.report_key == key
                )
            )
        )
    )


def _after_cutoff(year: int, month: int, today: date) -> bool:
    due_year, due_month = (year + 1, 1) if month == 12 else (year, month + 1)
    return today > date(due_year, due_month, REPLACE_UNTIL_DAY)


def _monthly(tld: str, month: str, kind: str, validate: object) -> Response:
    if not _content_type_ok(CSV_TYPES):
        return _fail(2001, f"Content-Type must be text/csv, not {request.content_type or 'none'}.")
    parsed = reports.parse_month(month)
    if parsed is None:
        return _fail(2111, f"“{month}” is not a report month (YYYY-MM).")
    today = _now().date()
    result: RriResult = validate(request.get_data(), tld, month, today)  # type: ignore[operator]
    if not result.ok:
        return answer(result)
    if _already(tld, kind, month) and _after_cutoff(*parsed, today):
        return _fail(2002, f"The {month} report was already accepted and its cut-off has passed.")
    _store(tld, kind, month)
    return answer(result)


def transactions_report(tld: str, month: str) -> Response:
    return _monthly(tld, month, "registrar-transactions", reports.validate_transactions_report)


def activity_report(tld: str, month: str) -> Response:
    return _monthly(tld, month, "registry-functions-activity", reports.validate_activity_report)


def escrow_report(tld: str, report_id: str) -> Response:
    if not _content_type_ok(XML_TYPES):
        return _fail(2001, f"Content-Type must be text/xml, not {request.content_type or 'none'}.")
    result = reports.validate_escrow_report(request.get_data(), tld, report_id, _now())
    if result.ok:
        _store(tld, "registry-escrow-report", _now().date().isoformat())
    return answer(result)


def escrow_notification(tld: str) -> Response:
    if not _content_type_ok(XML_TYPES):
        return _fail(2001, f"Content-Type must be text/xml, not {request.content_type or 'none'}.")
    result = reports.validate_escrow_notification(request.get_data(), tld, _now())
    if result.ok:
        _store(tld, "escrow-agent-notification", _now().date().isoformat())
    return answer(result)


def info(tld: str, key: str) -> Response:
    """HEAD/GET /info/report/<kind>/<tld>/<month or date>: 200 received, 404 not."""
    kind = request.path.split("/")[3]
    found = db.session.scalar(
        select(func.count(Submission.id)).where(
            Submission.tld == tld, Submission.kind == kind, Submission.report_key == key
        )
    )
    if found:
        return answer(RriResult(True, 1000, f"{kind} {key} for {tld} was received.", 200))
    return answer(RriResult(False, 2001, f"No {kind} {key} for {tld} was received.", 404))


def register_errors(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        code = 2001
        return answer(RriResult(False, code, exc.description or exc.name, exc.code or 500))
