"""The database handle shared by the portal and the mocks, and its per-backend settings."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event

from portal.models import Base

db = SQLAlchemy(metadata=Base.metadata)


def is_sqlite(app: Flask) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")


def init_database(app: Flask) -> None:
    """Bind `db` to the app; on SQLite wait for the writer and set the connection pragmas."""
    if is_sqlite(app):
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 30}})
    db.init_app(app)
    if is_sqlite(app):
        with app.app_context():
            event.listen(db.engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    # WAL + NORMAL: commits survive a process crash; only an OS crash may lose the last
    # ones — right for a test harness whose hottest write is the decision log.
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()
