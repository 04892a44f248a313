"""The mocks' decision log of a TLD: filtered, newest first, and one decision."""

from __future__ import annotations

from infra.database import db

from ..models import DecisionLogRow
from ..services.decisions import decision_log, get_decision, read_filter, sentence_of
from . import bp
from .access import managed_tld
from .errors import ApiError
from .schemas import Decision, DecisionQuery, Decisions
from .spec import operation


def _shape(row: DecisionLogRow) -> Decision:
    return Decision.model_validate(row).model_copy(update={"sentence": sentence_of(row)})


@bp.get("/tlds/<tld>/decisions")
@operation(Decisions, errors=[404])
def decisions(tld: str, query: DecisionQuery) -> Decisions:
    """The mocks' decision log for the TLD, newest first, narrowed by the filters given"""
    name = managed_tld().name
    flt, findings = read_filter(query.model_dump(exclude={"limit"}))
    if findings:
        raise ApiError(400, "invalid_query", "The query has errors.", findings)
    rows = decision_log(db.session, name, flt, query.limit)
    return Decisions(tld=name, decisions=[_shape(r) for r in rows])


@bp.get("/tlds/<tld>/decisions/<int:decision_id>")
@operation(Decision, errors=[404])
def decision(tld: str, decision_id: int) -> Decision:
    """One decision of the TLD's log, with each entry's verdict and the sentence"""
    return _shape(get_decision(db.session, managed_tld().name, decision_id))
