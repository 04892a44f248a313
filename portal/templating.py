"""Jinja filters, globals and the page-or-fragment rule for HTMX."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import Flask, Response, make_response, render_template, request

from .core.roles import ROLES, ROLES_BY_ID
from .models import as_utc

# HTMX swaps 409 (conflict) and 422 (validation) answers like successes so the message shows.
HTMX_CONFIG = json.dumps(
    {
        "includeIndicatorStyles": False,
        "allowEval": False,
        "selfRequestsOnly": True,
        "responseHandling": [
            {"code": "204", "swap": False},
            {"code": "[23]..", "swap": True},
            {"code": "(409|413|422)", "swap": True, "error": False},
            {"code": "[45]..", "swap": False, "error": True},
        ],
    }
)


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def page_or_fragment(
    page_template: str, fragment_template: str, status: int = 200, **context: Any
) -> Response:
    """The fragment for an HTMX request, the whole page otherwise; caches keep them apart."""
    template = fragment_template if is_htmx() else page_template
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def fragment(template: str, status: int = 200, **context: Any) -> Response:
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def _when(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M UTC") -> str:
    value = as_utc(value)
    return value.strftime(fmt) if value else "—"


def register(app: Flask) -> None:
    app.jinja_env.filters["when"] = _when
    app.jinja_env.globals.update(ROLES=ROLES, ROLES_BY_ID=ROLES_BY_ID, HTMX_CONFIG=HTMX_CONFIG)
