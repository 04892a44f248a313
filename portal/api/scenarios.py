"""The MoSAPI scenario of a TLD: overrides of the mock's generated monitoring data."""

from __future__ import annotations

from flask import g

from infra.database import db

from ..services import scenarios
from . import bp
from .access import managed_tld
from .schemas import ScenarioDocument, ScenarioInput
from .spec import operation


@bp.get("/tlds/<tld>/scenario")
@operation(ScenarioDocument, errors=[404])
def scenario_get(tld: str) -> ScenarioDocument:
    """The TLD's MoSAPI scenario (overrides of the generated data)"""
    row = managed_tld()
    return ScenarioDocument(tld=row.name, scenario=scenarios.get(db.session, row))


@bp.put("/tlds/<tld>/scenario")
@operation(ScenarioDocument, errors=[404], refused="The scenario was not saved.")
def scenario_put(tld: str, json: ScenarioInput) -> ScenarioDocument:
    """Set the TLD's MoSAPI scenario; the next MoSAPI call reflects it"""
    row = managed_tld()
    value = scenarios.save(db.session, row, json.scenario, g.api_user.email)
    return ScenarioDocument(tld=row.name, scenario=value)
