"""The Policy simulator tab: the mocks' decision for a certificate, without a network call."""

from __future__ import annotations

from typing import Any

from ..models import Tld
from .views import tab_context


@tab_context("simulator")
def simulator_context(tld: Tld) -> dict[str, Any]:
    return {}
