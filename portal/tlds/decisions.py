"""The Decisions tab: the mocks' decision log of the TLD."""

from __future__ import annotations

from typing import Any

from flask import request

from infra.database import db

from ..core.decision import RESULTS
from ..models import Tld
from ..services.decisions import decision_log
from .views import tab_context

DECISIONS_LIMIT = 200


@tab_context("decisions")
def decisions_context(tld: Tld) -> dict[str, Any]:
    result = request.args.get("result")
    result = result if result in RESULTS else None
    return {
        "result": result,
        "decisions": decision_log(db.session, tld.name, result, DECISIONS_LIMIT),
    }
