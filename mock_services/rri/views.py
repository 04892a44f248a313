"""The mock RRI server's Flask views: report uploads, the escrow agent notification, status
reads. A thin layer over the pure rules of ``reports`` (the bodies), ``uploads`` (around
them), ``escrow_reads`` and ``status`` (what reads answer); the report kind comes from the
route table, the TLD's switches from its scenario."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, jsonify, request
from sqlalchemy import exists, select
from werkzeug.exceptions import HTTPException

from infra.database import db
from portal.core.scenario import RriSwitches, rri_switches
from portal.models import Submission, as_utc
from portal.services import registrars

from ..policy_cache import current_cache
from . import escrow_reads, reports, status, uploads
from .reports import CODE_STRUCTURE, KIND_TRANSACTIONS, RriResult


def _now() -> datetime:
    return datetime.now(UTC)


def bare(status: int) -> Response:
    """An answer with no body and no Content-Type."""
    response = Response(status=status)
    del response.headers["Content-Type"]
    return response


def answer(result: RriResult) -> Response:
    """The iirdea answer of ``result``; bare unless 200 or 400."""
    if result.http_status not in reports.IIRDEA_STATUSES:
        return bare(result.http_status)
    return Response(reports.response_xml(result), result.http_status, mimetype="text/xml")


def _switches(tld: str) -> RriSwitches:
    """The TLD's RRI switches, from the scenario the enforcer's policy check just refreshed."""
    return rri_switches(current_cache().scenario(tld))


def _enabled(view: Callable[..., Response]) -> Callable[..., Response]:
    """2007 instead of the view while the TLD's scenario disables the interface."""

    @functools.wraps(view)
    def wrapper(tld: str, **kwargs: Any) -> Response:
        refused = uploads.interface_refusal(tld, _switches(tld).interface_disabled)
        return answer(refused) if refused else view(tld=tld, **kwargs)

    return wrapper


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


@_enabled
def monthly_report(tld: str, month: str, kind: str) -> Response:
    """PUT /report/<registrar-transactions | registry-functions-activity>/<tld>/<YYYY-MM>."""
    result = _content_type_refusal(kind) or uploads.check_monthly(
        kind,
        request.get_data(),
        tld,
        month,
        _now().date(),
        lambda: _received(tld, kind, month),
        created=_switches(tld).tld_created,
        registrars=(registrars.accredited_ids(db.session) if kind == KIND_TRANSACTIONS else None),
    )
    if result.ok:
        _store(tld, kind, month)
    return answer(result)


def _escrow_upload(
    tld: str, kind: str, validate: Callable[[bytes, datetime], RriResult]
) -> Response:
    result = _content_type_refusal(kind) or validate(request.get_data(), _now())
    if result.ok:
        assert result.key is not None
        _store(tld, kind, result.key)
    return answer(result)


@_enabled
def escrow_report(tld: str, report_id: str, kind: str) -> Response:
    created = _switches(tld).tld_created
    return _escrow_upload(
        tld,
        kind,
        lambda body, now: reports.validate_escrow_report(
            body, tld, report_id, now, created=created
        ),
    )


@_enabled
def escrow_notification(tld: str, kind: str) -> Response:
    created = _switches(tld).tld_created
    return _escrow_upload(
        tld,
        kind,
        lambda body, now: reports.validate_escrow_notification(body, tld, now, created=created),
    )


@_enabled
def info(tld: str, key: str, kind: str) -> Response:
    """HEAD/GET /info/report/<kind>/<tld>/<month or date>: 200 received, 404 not. A GET of an
    escrow kind answers the list of what was received under that date."""
    day = escrow_reads.parse_day(key) if kind in escrow_reads.LIST_KINDS else None
    if request.method == "GET" and day is not None:
        refused = escrow_reads.before_deployment(day)
        if refused:
            return answer(refused)
        received = _received_bodies(tld, kind, key)
        if received:
            return Response(escrow_reads.received_list(kind, received), mimetype="text/xml")
    return answer(uploads.status_read(kind, key, tld, _received(tld, kind, key)))


def _received_bodies(tld: str, kind: str, key: str) -> list[tuple[datetime, bytes]]:
    rows = db.session.execute(
        select(Submission.received_at, Submission.body)
        .where(Submission.tld == tld, Submission.kind == kind, Submission.report_key == key)
        .order_by(Submission.received_at.desc(), Submission.id.desc())
    )
    return [(as_utc(moment), body) for moment, body in rows]


def _json_only() -> Response | None:
    """406 to a client that accepts no JSON (production refuses ``Accept: text/xml``)."""
    if "Accept" in request.headers and not request.accept_mimetypes.best_match(
        ["application/json"]
    ):
        return bare(406)
    return None


@_enabled
def registry_status(tld: str) -> Response:
    """GET /info/status/registry/<tld>: the TLD's reporting summary."""
    return _json_only() or jsonify(status.summary(tld, _switches(tld), _now()))


@_enabled
def escrow_notification_status(tld: str) -> Response:
    """GET /info/status/escrow-agent-notification/<tld>: the summary's Dea path."""
    return _json_only() or jsonify(status.summary(tld, _switches(tld), _now(), status.DEA_PATHS))


def conformance_version() -> Response:
    """GET /info/status/conformance-version: 404, as production answers."""
    return bare(404)


def register_errors(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        return answer(
            RriResult(False, CODE_STRUCTURE, exc.description or exc.name, exc.code or 500)
        )
