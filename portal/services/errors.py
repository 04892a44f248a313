from __future__ import annotations

from dataclasses import dataclass, field

from ..core.validation import Finding
from ..models import Tld
from .audit import EventSummary


class ServiceError(Exception):
    """Base of errors the interfaces translate into their own form (HTML, JSON, exit code)."""


@dataclass
class NotFound(ServiceError):
    what: str

    def __str__(self) -> str:
        return f"{self.what} not found"


@dataclass
class Invalid(ServiceError):
    """Refused input. `findings` may hold warnings and notes beside the errors (in the order of
    the fields, for a form to show next to each); `errors` are the reasons of the refusal."""

    findings: list[Finding]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    def __str__(self) -> str:
        return "; ".join(f"{f.field}: {f.message}" for f in self.errors)


@dataclass
class Conflict(ServiceError):
    """The caller's version is stale: someone saved in between."""

    expected_version: int
    current_version: int
    changes: list[EventSummary] = field(default_factory=list)
    current: Tld | None = None  # the TLD as it is now, for the caller to show or send

    def __str__(self) -> str:
        return (
            f"the configuration changed since version {self.expected_version}; "
            f"it is now version {self.current_version}"
        )
