from flask import Blueprint

bp = Blueprint("workbench", __name__, url_prefix="/workbench")

from . import views  # noqa: E402,F401
