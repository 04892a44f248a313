"""The policy simulator: what the mocks would decide for a call, without making it."""

from __future__ import annotations

from flask import current_app, g

from infra.database import db

from ..services.directory import tld_for_user
from ..services.simulator import Sources, simulate
from . import bp
from .schemas import SimulateInput, Simulation
from .spec import operation


@bp.post("/simulate")
@operation(Simulation, errors=[404], refused="Nothing was simulated: the question has errors.")
def simulate_call(json: SimulateInput) -> Simulation:
    """Simulate the mocks' decision for a call

    The same decision procedure the mocks run, over the TLD's stored entries and TLSA
    records: allowed or not, the deciding reason with its fix, and each entry's verdict. The
    TLD must be one you may manage. Give the endpoint (path) or the role it needs, the source
    address, and the client's certificate (or only the SHA-256 of its public key)."""
    tld = tld_for_user(db.session, g.api_user, json.tld)
    result = simulate(
        db.session,
        tld,
        json.model_dump(exclude={"tld"}),
        Sources.from_config(current_app.config),
    )
    return Simulation.model_validate(result)
