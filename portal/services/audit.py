"""Audit events as people read them: who changed a TLD, through which channel, and what changed.

Besides the TLD's own configuration changes, a TLD's History holds the harness-zone changes at
its client names (the names its entries name): `publish-tlsa` and `remove-tlsa`, which change
no version of the TLD.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from ..core.diff import describe_changes
from ..models import AuditEvent, as_utc

# The ways a change reaches a TLD (the audit table's check constraint lists the same).
Channel = Literal["ui", "api", "cli", "bulk", "seed"]

# A TLD's registry operator or RSP of record changed (no version: the mocks' policy has neither).
SET_PARTIES = "set-parties"
ZONE_PUBLISHED = "publish-tlsa"
ZONE_REMOVED = "remove-tlsa"
# Shown of a record's data in History: enough to tell two records of a rollover apart.
DATA_SHOWN = 16


@dataclass(frozen=True)
class EventSummary:
    id: int
    at: datetime
    actor: str
    channel: Channel
    action: str
    version: int | None
    changes: list[str]


def zone_change(
    action: str, name: str, records: list[str], email: str, organisation: str
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The before and after of a harness-zone change at `name` (records as "U S M hex")."""
    state = {"tlsa": {"name": name, "records": records, "by": email, "organisation": organisation}}
    return (None, state) if action == ZONE_PUBLISHED else (state, None)


def _short(record: str) -> str:
    usage, selector, matching, data = record.split(" ", 3)
    shown = data if len(data) <= DATA_SHOWN + 4 else f"{data[:DATA_SHOWN]}…"
    return f"{usage} {selector} {matching} {shown}"


def describe_zone_change(event: AuditEvent) -> list[str]:
    published = event.action == ZONE_PUBLISHED
    state = (event.after if published else event.before) or {}
    tlsa = state.get("tlsa") or {}
    verb = "published at" if published else "removed from"
    return [
        f"TLSA record {_short(record)} {verb} {tlsa.get('name')} by {tlsa.get('by')} "
        f"({tlsa.get('organisation')})"
        for record in tlsa.get("records", [])
    ]


# The bulk process's History events; the two loads change the TLD's version like any edit.
BULK_LOADS = {"bulk-accepted": "Accepted and loaded", "bulk-loaded": "Loaded"}
BULK_NOTICES = {
    "bulk-staged": "staged by {rsp}: loads on {due} unless the registry operator objects",
    "bulk-objected": "objected to by the registry operator; withdrawn",
    "bulk-conflict": "not loaded: the configuration changed after the upload was made "
    "(version {base}); flagged for review",
    "bulk-cancelled": "cancelled by ICANN staff; withdrawn",
}


def describe_bulk_event(event: AuditEvent) -> list[str]:
    """A bulk event's sentences: what happened to the upload's change, then what it changes."""
    if event.action in BULK_LOADS:
        head = f"{BULK_LOADS[event.action]} from bulk upload #{event.bulk_upload_id}"
        return [head, *describe_changes(event.before, event.after)]
    info = (event.after or {}).get("bulk", {})
    due = (info.get("due") or "")[:16].replace("T", " ")
    what = BULK_NOTICES[event.action].format(
        rsp=info.get("rsp"), due=f"{due} UTC", base=info.get("base_version")
    )
    head = f"Bulk upload #{info.get('upload')} {what}"
    note = [f"Note: {info['note']}"] if info.get("note") else []
    return [head, *note, *(f"Would change: {line}" for line in info.get("lines", []))]


def summarise(event: AuditEvent) -> EventSummary:
    zone = event.action in (ZONE_PUBLISHED, ZONE_REMOVED)
    if event.action in BULK_LOADS or event.action in BULK_NOTICES:
        changes = describe_bulk_event(event)
    elif zone:
        changes = describe_zone_change(event)
    else:
        changes = describe_changes(event.before, event.after)
    return EventSummary(
        id=event.id,
        at=as_utc(event.created_at),  # type: ignore[arg-type]
        actor=event.actor,
        channel=event.channel,  # type: ignore[arg-type]
        action=event.action,
        version=event.version_after,
        changes=changes,
    )
