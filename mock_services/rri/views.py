"""The mock RRI server's Flask views: report uploads, the escrow agent notification, status
reads. A thin layer over the pure rules of ``reports`` (the bodies) and ``uploads`` (around
them); the report kind comes from the route table."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime

from flask import Flask, Response, g, request
from sqlalchemy import exists, select
from werkzeug.exceptions import HTTPException

from infra.database import db
from portal.models import Submission

from . import reports, uploads
from .reports import CODE_STRUCTURE, RriResult


def _now() -> datetime:
    return datetime.now(UTC)


def answer(result: RriResult) -> Response:
    return Response(reports.response_xml(result), result.http_status, mimetype="text/xml")


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


def _received(tld: str, kind: str, key: str) -> bool:
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Submission.tld == tld, Submission.kind == kind, Submission.report_key == key
                )
            )
        )
    )


def _content_type_refusal(kind: str) -> RriResult | None:
    return uploads.content_type_refusal(kind, request.mimetype, request.content_type)


def monthly_report(tld: str, month: str, kind: str) -> Response:
    """PUT /report/<registrar-transactions | registry-functions-activity>/<tld>/<YYYY-MM>."""
    result = _content_type_refusal(kind) or uploads.check_monthly(
        kind, request.get_data(), tld, month, _now().date(), lambda: _received(tld, kind, month)
    )
    if result.ok:
        _store(tld, kind, month)
    return answer(result)


def _escrow_upload(
    tld: str, kind: str, validate: Callable[[bytes, datetime], RriResult]
) -> Response:
    result = _content_type_refusal(kind) or validate(request.get_data(), _now())
    if result.ok:
        _store(tld, kind, _now().date().isoformat())
    return answer(result)


def escrow_report(tld: str, report_id: str, kind: str) -> Response:
    return _escrow_upload(
        tld, kind, lambda body, now: reports.validate_escrow_report(body, tld, report_id, now)
    )


def escrow_notification(tld: str, kind: str) -> Response:
    return _escrow_upload(
        tld, kind, lambda body, now: reports.validate_escrow_notification(body, tld, now)
    )


def info(tld: str, key: str, kind: str) -> Response:
    """HEAD/GET /info/report/<kind>/<tld>/<month or date>: 200 received, 404 not."""
    return answer(uploads.status_read(kind, key, tld, _received(tld, kind, key)))


def register_errors(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        return answer(
            RriResult(False, CODE_STRUCTURE, exc.description or exc.name, exc.code or 500)
        )
