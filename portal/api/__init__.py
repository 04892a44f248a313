from flask import Blueprint

bp = Blueprint("api", __name__)

from . import certificates, mock_routes, routes  # noqa: E402,F401
