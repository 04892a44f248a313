"""Routes of the inbox and the outbox."""

from __future__ import annotations

from . import bp  # noqa: F401
