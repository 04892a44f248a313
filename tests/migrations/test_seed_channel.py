"""Migration 0006: the audit trail's channel check admits `seed`, and going back turns the
seed's events into command-line ones (where `tlsauth seed` runs) before narrowing it again."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from infra.database import db

INSERT = text(
    "INSERT INTO audit_events (created_at, actor, channel, action) "
    "VALUES (CURRENT_TIMESTAMP, 'seed', :channel, 'replace-entries')"
)


def channels() -> list[str]:
    with db.engine.connect() as conn:
        return list(conn.scalars(text("SELECT channel FROM audit_events ORDER BY id")))


def test_seed_channel_up_and_down(app):
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(INSERT, {"channel": "seed"})
            conn.execute(INSERT, {"channel": "ui"})
        downgrade(revision="0005")
        db.engine.dispose()
        assert channels() == ["cli", "ui"]
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(INSERT, {"channel": "seed"})
        upgrade()
        db.engine.dispose()
        with db.engine.begin() as conn:
            conn.execute(INSERT, {"channel": "seed"})
            with pytest.raises(IntegrityError), conn.begin_nested():
                conn.execute(INSERT, {"channel": "mail"})
        assert channels() == ["cli", "ui", "seed"]
