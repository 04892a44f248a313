"""Per-TLD MoSAPI scenarios (test data, not configuration: no version bump, no audit event)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ..core.scenario import same_scenario, validate_scenario
from ..core.validation import Finding
from ..models import Counter, Scenario, Tld, as_utc, utcnow
from . import zone
from .errors import Invalid


def get(session: Session, tld: Tld) -> dict[str, Any]:
    row = session.get(Scenario, tld.id)
    return row.data if row else {}


def save(
    session: Session,
    tld: Tld,
    doc: Any,
    who: str,
    *,
    now: datetime | None = None,
    commit: bool = True,
) -> dict[str, Any]:
    """Validate and store; the mocks pick it up on their next call (change counter). With
    commit=False the change stays in the caller's transaction."""
    # Normalised with the time it is stored at: relative incident starts become absolute, so
    # incident IDs stay stable from call to call (and `updated_at` says what they count from).
    now = now or utcnow()
    value, errors = validate_scenario(doc, now=now)
    if value is None:
        raise Invalid([Finding(f, m) for f, m in errors])
    row = session.get(Scenario, tld.id)
    if row is None:
        session.add(Scenario(tld_id=tld.id, data=value, updated_by=who, updated_at=now))
    else:
        row.data, row.updated_at, row.updated_by = value, now, who
    zone.bump_counter(session, Counter.SCENARIO)
    if commit:
        session.commit()
    return value


def unchanged_by(session: Session, tld: Tld, doc: Any, now: datetime) -> bool:
    """Whether saving `doc` now would store what the TLD already has (no scenario: `{}`)."""
    row = session.get(Scenario, tld.id)
    if row is None:
        return same_scenario(doc, {}, now)
    return same_scenario(doc, row.data, as_utc(row.updated_at) or now)
