"""The Test connection tab: a real mTLS call to a mock, made by the portal for the user."""

from __future__ import annotations

from typing import Any

from ..models import Tld
from .views import tab_context


@tab_context("connection")
def connection_context(tld: Tld) -> dict[str, Any]:
    return {}
