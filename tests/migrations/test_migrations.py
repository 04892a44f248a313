"""The migrations build exactly the schema the models describe, and run both ways."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from infra.database import db
from portal.models import Base


def test_models_match_migrations(app):
    with app.app_context(), db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(ctx, Base.metadata) == []


def test_downgrade_to_base_and_upgrade_again(app):
    with app.app_context():
        downgrade(revision="base")
        db.engine.dispose()
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        db.engine.dispose()
        tables = set(inspect(db.engine).get_table_names())
        assert {t.name for t in Base.metadata.sorted_tables} <= tables
