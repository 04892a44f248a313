"""The inbox (each user's notifications) and, for ICANN staff, the email outbox."""

from flask import Blueprint

bp = Blueprint("inbox", __name__)

from . import views  # noqa: E402,F401
