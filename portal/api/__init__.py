from flask import Blueprint

bp = Blueprint("api", __name__)

from . import mock_routes, routes  # noqa: E402,F401
