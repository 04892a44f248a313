"""The Decisions tab: the mocks' decision log of the TLD, filtered, live while open, one
decision in detail, and the filtered view as CSV."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from flask import Response, abort, current_app, request, stream_with_context, url_for
from flask_login import login_required

from infra.database import db

from ..core.decision import RESULTS
from ..core.reasons import REASONS, CallFacts, sentence
from ..models import DecisionLogRow, Tld
from ..services import decisions as log
from ..services.errors import NotFound
from ..templating import fragment, page_or_fragment
from . import bp
from .views import TABS, by_field, load_tld, tab_context

DECISIONS_LIMIT = 200
# How often an open Decisions tab asks for new decisions.
POLL_SECONDS = 3


def with_filter(url: str, flt: log.DecisionFilter, **extra: str) -> str:
    """`url` with the filter as its query (a filter field is named `endpoint`, which url_for
    keeps for itself, so the query is added here)."""
    query = {**flt.params(), **extra}
    return f"{url}?{urlencode(query)}" if query else url


def _shown(tld: Tld, args: Mapping[str, str]) -> dict[str, Any]:
    """The filtered log as the tab and its live table show it."""
    flt, findings = log.read_filter(args)
    rows = log.decision_log(db.session, tld.name, flt, DECISIONS_LIMIT)
    seen = log.digest(rows)
    return {
        "flt": flt,
        "filter_findings": by_field(findings),
        "decisions": rows,
        "seen": seen,
        "limit": DECISIONS_LIMIT,
        "poll_seconds": POLL_SECONDS,
        "sentence_of": log.sentence_of,
        "entry_named": log.entry_named,
        "table_url": with_filter(url_for("tlds.decisions_table", name=tld.name), flt, seen=seen),
        "csv_url": with_filter(url_for("tlds.decisions_csv", name=tld.name), flt),
        "tab_url": url_for("tlds.tab", name=tld.name, tab="decisions"),
        "params": flt.params(),
        "with_filter": with_filter,
    }


@tab_context("decisions")
def decisions_context(tld: Tld) -> dict[str, Any]:
    return {
        **_shown(tld, request.args),
        "typed": request.args,
        "results": RESULTS,
        "reasons": REASONS,
        "systems": log.SYSTEM_LABELS,
    }


@bp.route("/<name>/decisions/table")
@login_required
def decisions_table(name: str) -> Response:
    """The live table: 204 while nothing changed since the digest the page holds."""
    tld = load_tld(name)
    shown = _shown(tld, request.args)
    if request.args.get("seen") == shown["seen"]:
        return Response(status=204)
    return fragment("tlds/_decisions_table.html", tld=tld, **shown)


def _reason_lines(row: DecisionLogRow, codes: list[str]) -> list[dict[str, str]]:
    return [
        {"code": c, "sentence": sentence(c, log.facts_of(row, log.entry_for(row, c)))}
        for c in codes
    ]


def _checks(row: DecisionLogRow) -> list[dict[str, Any]]:
    out = []
    for check in row.checks or []:
        facts = log.facts_of(row, str(check["domain_name"]))
        out.append(
            {
                "domain_name": check["domain_name"],
                "matched": bool(check.get("matched")),
                "reasons": [
                    {"code": c, "sentence": sentence(c, facts)} for c in check.get("reasons", [])
                ],
            }
        )
    return out


def _curl(row: DecisionLogRow) -> str:
    config = current_app.config
    port = config["MOSAPI_PORT"] if row.system == "mosapi" else config["RRI_PORT"]
    return log.curl_hint(row, port)


@bp.route("/<name>/decisions/<int:decision_id>")
@login_required
def decision_detail(name: str, decision_id: int) -> Response:
    tld = load_tld(name)
    try:
        row = log.get_decision(db.session, tld.name, decision_id)
    except NotFound:
        abort(404)
    flt, _ = log.read_filter(request.args)
    return page_or_fragment(
        "tlds/decision.html",
        "tlds/_decision_detail.html",
        tld=tld,
        tab="decisions",
        tabs=TABS,
        d=row,
        sentence=log.sentence_of(row),
        entry=log.entry_named(row),
        deciding=_reason_lines(row, list(row.reasons or [])[:1]),
        others=_reason_lines(row, list(row.reasons or [])[1:]),
        warnings=[
            {"code": w, "sentence": sentence(w, CallFacts(row.tld))} for w in row.warnings or []
        ],
        checks=_checks(row),
        curl=_curl(row),
        back_url=with_filter(url_for("tlds.tab", name=tld.name, tab="decisions"), flt),
    )


@bp.route("/<name>/decisions.csv")
@login_required
def decisions_csv(name: str) -> Response:
    """The filtered view (newest first, up to the export limit) as CSV."""
    tld = load_tld(name)
    flt, _ = log.read_filter(request.args)
    rows = log.export_rows(db.session, tld.name, flt)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Response(
        stream_with_context(log.export_csv(rows)),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="decisions-{tld.name}-{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )
