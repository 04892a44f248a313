from flask import Blueprint

bp = Blueprint("tlds", __name__, url_prefix="/tlds")

from . import (  # noqa: E402,F401
    connection,
    decisions,
    preview,
    simulator,
    tlsa_status,
    views,  # noqa: E402,F401  (first: the others register tabs on it)
)
