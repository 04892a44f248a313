"""Decision log rows written straight to the database, for tests of reading, filtering,
exporting and pruning the log (the mocks write the same rows; tests over live mocks show it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select

from infra.database import db
from portal.models import DecisionLogRow


def decision_values(**fields: Any) -> dict[str, Any]:
    """A refused MoSAPI call to alpha from 127.0.0.2, unless `fields` say otherwise."""
    values: dict[str, Any] = {
        "created_at": datetime.now(UTC),
        "system": "mosapi",
        "tld": "alpha",
        "endpoint": "/ry/alpha/v2/monitoring/state",
        "method": "GET",
        "source_address": "127.0.0.2",
        "cert_spki_sha256": None,
        "cert_subject": None,
        "auth_path": "none",
        "result": "denied",
        "status_code": 401,
        "reasons": ["no-certificate", "no-credentials"],
        "warnings": [],
        "matched_entry": None,
        "required_role": "mosapi-slam",
        "deciding_reason": "no-certificate",
        "checks": None,
    }
    values.update(fields)
    return values


def add_decision(app, **fields: Any) -> int:
    with app.app_context():
        row = DecisionLogRow(**decision_values(**fields))
        db.session.add(row)
        db.session.commit()
        return row.id


def add_old_decisions(app, count: int, age: timedelta, tld: str = "alpha") -> None:
    """`count` decisions `age` old, in one statement."""
    at = datetime.now(UTC) - age
    with app.app_context():
        db.session.execute(
            insert(DecisionLogRow), [decision_values(created_at=at, tld=tld)] * count
        )
        db.session.commit()


def logged_ids(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(DecisionLogRow.id).order_by(DecisionLogRow.id)))


def log_size(app) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(DecisionLogRow)) or 0)
