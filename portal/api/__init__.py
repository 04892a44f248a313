"""The JSON API under /api/v1: bearer tokens, or the portal session (with CSRF on changes)."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from . import (  # noqa: E402,F401  (the modules register their routes and hooks on bp)
    access,
    bulk,
    certificates,
    decisions,
    errors,
    harness,
    scenarios,
    simulate,
    spec,
    submissions,
    tlds,
    zone,
)
