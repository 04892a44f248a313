"""The Policy simulator tab: the mocks' decision for a certificate, without a network call."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app
from flask_login import login_required
from werkzeug.wrappers import Response

from infra.database import db

from ..core.certificates import MAX_UPLOAD_BYTES
from ..core.endpoints import ROUTES, MockRoute, example_path, grouped_by_role
from ..core.roles import ROLES_BY_ID
from ..core.validation import Finding
from ..models import Tld
from ..services.errors import Invalid
from ..services.simulator import Sources, simulate
from ..templating import fragment, is_htmx, page_or_fragment
from . import bp
from .forms import SimulatorForm
from .views import TABS, load_tld, tab_context

# Offered beside free input: the addresses a local client can call the mocks from.
SOURCE_SUGGESTIONS = ("127.0.0.1", "127.0.0.2", "::1")


def endpoint_value(route: MockRoute) -> str:
    return f"{route.system} {route.rule}"


def endpoint_groups(tld: Tld) -> list[dict[str, Any]]:
    """Every endpoint that needs a role, under that role: (value, label) per endpoint."""
    return [
        {
            "role": role,
            "label": ROLES_BY_ID[role].label,
            "options": [
                (
                    endpoint_value(r),
                    f"{r.system.upper()} {'/'.join(r.methods)} {example_path(r, tld.name)}",
                )
                for r in routes
            ],
        }
        for role, routes in grouped_by_role().items()
    ]


def _question(form: SimulatorForm) -> dict[str, Any]:
    """The form as the simulator's parameters: the endpoint value names a route of the table."""
    system, _, rule = (form.endpoint.data or "").partition(" ")
    route = next((r for r in ROUTES if r.system == system and r.rule == rule), None)
    if route is None:
        raise Invalid([Finding("endpoint", "Choose an endpoint from the list.")])
    return {
        "system": route.system,
        "method": route.methods[0],
        "path": route.rule,
        "source_address": form.source_address.data or "",
        "certificate": form.certificate_bytes(MAX_UPLOAD_BYTES),
        "spki_sha256": form.spki_sha256.data or "",
    }


@tab_context("simulator")
def simulator_context(tld: Tld) -> dict[str, Any]:
    return {
        "sim_form": SimulatorForm(formdata=None),
        "endpoint_groups": endpoint_groups(tld),
        "source_suggestions": SOURCE_SUGGESTIONS,
        "sim": None,
        "sim_findings": [],
    }


@bp.route("/<name>/simulator", methods=["POST"])
@login_required
def run_simulator(name: str) -> Response:
    tld = load_tld(name)
    form = SimulatorForm()
    if not form.validate():
        abort(400)
    status, context = 200, {"sim_form": form}
    try:
        context["sim"] = simulate(
            db.session, tld, _question(form), Sources.from_config(current_app.config)
        )
    except Invalid as exc:
        status, context["sim_findings"] = 422, exc.findings
    if is_htmx():
        return fragment(
            "tlds/_simulator_result.html",
            status,
            tld=tld,
            **{"sim": None, "sim_findings": [], **context},
        )
    page = {"tld": tld, "tab": "simulator", "tabs": TABS, **simulator_context(tld), **context}
    return page_or_fragment("tlds/detail.html", "tlds/_simulator.html", status, **page)
