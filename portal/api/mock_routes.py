"""API routes for the mocks: the harness zone, decision log, scenarios and received reports."""

from __future__ import annotations

from flask import Response, g, jsonify, request
from sqlalchemy import select

from infra.database import db

from ..models import Submission, as_utc
from ..services import scenarios, zone
from ..services.decisions import decision_log
from ..services.errors import Invalid, NotFound
from . import bp
from .errors import api_error
from .routes import _not_found, _tld_or_404


def _limit(default: int = 100, most: int = 1000) -> int | None:
    try:
        return max(1, min(int(request.args.get("limit", default)), most))
    except ValueError:
        return None


# --------------------------------------------------------------------------- harness zone


@bp.get("/tlsa-records")
def tlsa_list() -> Response:
    try:
        rows = zone.list_records(db.session, request.args.get("name"))
    except Invalid as exc:
        return api_error(400, "validation_failed", "Bad name.", exc.findings)
    return jsonify({"records": [zone.record_json(r) for r in rows]})


@bp.post("/tlsa-records")
def tlsa_publish() -> Response:
    body = request.get_json(silent=True)
    if isinstance(body, dict) and "certificate" in body:
        from .certificates import publish_from_certificate

        return publish_from_certificate()
    try:
        row, notes = zone.publish(db.session, g.api_user, body)
    except Invalid as exc:
        return api_error(400, "validation_failed", "The record was not published.", exc.findings)
    body = zone.record_json(row) | {"warnings": [f.as_dict() for f in notes]}
    response = jsonify(body)
    response.status_code = 201
    return response


@bp.delete("/tlsa-records/<int:record_id>")
def tlsa_delete(record_id: int) -> Response:
    try:
        zone.remove(db.session, g.api_user, record_id)
    except NotFound:
        return api_error(404, "not_found", "No such TLSA record that you may remove.")
    return Response(status=204)


# --------------------------------------------------------------------------- decision log


@bp.get("/tlds/<name>/decisions")
def decisions(name: str) -> Response:
    tld = _tld_or_404(name)
    if tld is None:
        return _not_found(name)
    limit = _limit()
    result = request.args.get("result")
    if limit is None or result not in (None, "allowed", "denied"):
        return api_error(400, "invalid_query", "result is allowed or denied; limit a whole number.")
    return jsonify(
        {"tld": tld.name, "decisions": decision_log(db.session, tld.name, result, limit)}
    )


# --------------------------------------------------------------------------- scenario


@bp.get("/tlds/<name>/scenario")
def scenario_get(name: str) -> Response:
    tld = _tld_or_404(name)
    if tld is None:
        return _not_found(name)
    return jsonify({"tld": tld.name, "scenario": scenarios.get(db.session, tld)})


@bp.put("/tlds/<name>/scenario")
def scenario_put(name: str) -> Response:
    tld = _tld_or_404(name)
    if tld is None:
        return _not_found(name)
    body = request.get_json(silent=True)
    doc = body.get("scenario", body) if isinstance(body, dict) else body
    try:
        value = scenarios.save(db.session, tld, doc, g.api_user.email)
    except Invalid as exc:
        return api_error(400, "validation_failed", "The scenario was not saved.", exc.findings)
    return jsonify({"tld": tld.name, "scenario": value})


# --------------------------------------------------------------------------- submissions


@bp.get("/tlds/<name>/submissions")
def submissions(name: str) -> Response:
    tld = _tld_or_404(name)
    if tld is None:
        return _not_found(name)
    limit = _limit()
    if limit is None:
        return api_error(400, "invalid_query", "limit must be a whole number.")
    rows = db.session.execute(
        select(
            Submission.id,
            Submission.kind,
            Submission.report_key,
            Submission.content_type,
            Submission.size,
            Submission.sha256,
            Submission.received_at,
            Submission.decision_id,
        )
        .where(Submission.tld == tld.name)
        .order_by(Submission.id.desc())
        .limit(limit)
    ).all()
    return jsonify(
        {
            "tld": tld.name,
            "submissions": [
                {
                    "id": r.id,
                    "kind": r.kind,
                    "key": r.report_key,
                    "content_type": r.content_type,
                    "size": r.size,
                    "sha256": r.sha256,
                    "received_at": as_utc(r.received_at).isoformat(),  # type: ignore[union-attr]
                    "decision_id": r.decision_id,
                }
                for r in rows
            ],
        }
    )


@bp.get("/tlds/<name>/submissions/<int:submission_id>")
def submission_body(name: str, submission_id: int) -> Response:
    tld = _tld_or_404(name)
    row = db.session.get(Submission, submission_id) if tld else None
    if tld is None or row is None or row.tld != tld.name:
        return _not_found(name)
    return Response(row.body, 200, content_type=row.content_type or "application/octet-stream")
