"""Audit events as people read them: who changed a TLD, through which channel, and what changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from ..core.diff import describe_changes
from ..models import AuditEvent, as_utc

# The ways a change reaches a TLD (the audit table's check constraint lists the same).
Channel = Literal["ui", "api", "cli", "bulk"]


@dataclass(frozen=True)
class EventSummary:
    id: int
    at: datetime
    actor: str
    channel: Channel
    action: str
    version: int | None
    changes: list[str]


def summarise(event: AuditEvent) -> EventSummary:
    return EventSummary(
        id=event.id,
        at=as_utc(event.created_at),  # type: ignore[arg-type]
        actor=event.actor,
        channel=event.channel,  # type: ignore[arg-type]
        action=event.action,
        version=event.version_after,
        changes=describe_changes(event.before, event.after),
    )
