"""The RSP bulk upload pages: upload, progress, findings, preview, attestation, per-TLD status."""

from flask import Blueprint

bp = Blueprint("bulk", __name__, url_prefix="/bulk")

from . import changes, views  # noqa: E402,F401
