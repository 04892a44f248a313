"""The mocks' decision log of a TLD."""

from __future__ import annotations

from infra.database import db

from ..services.decisions import decision_log, sentence_of
from . import bp
from .access import managed_tld
from .schemas import Decision, DecisionQuery, Decisions
from .spec import operation


@bp.get("/tlds/<tld>/decisions")
@operation(Decisions, errors=[404])
def decisions(tld: str, query: DecisionQuery) -> Decisions:
    """The mocks' decision log for the TLD, newest first"""
    name = managed_tld().name
    rows = decision_log(db.session, name, query.result, query.limit)
    return Decisions(
        tld=name,
        decisions=[
            Decision.model_validate(r).model_copy(update={"sentence": sentence_of(r)}) for r in rows
        ],
    )
