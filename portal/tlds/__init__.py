from flask import Blueprint

bp = Blueprint("tlds", __name__, url_prefix="/tlds")

from . import views  # noqa: E402,F401
