"""Fixtures: every database test runs on SQLite and, when TLSAUTH_TEST_POSTGRES_URL is set, on
PostgreSQL too. The schema comes from the Alembic migrations (so they are exercised), once per
backend and run; each test starts from empty tables."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import create_engine, text

from infra.database import db
from portal.app import create_app
from portal.cli import cli as tlsauth_cli
from portal.models import Base
from portal.services import directory
from tests.helpers import PASSWORD, sign_in

pytest_plugins = ["tests.mock_fixtures"]

PG_ENV = "TLSAUTH_TEST_POSTGRES_URL"


def backends() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get(PG_ENV) else ["sqlite"]


def pg_url(schema: str) -> str:
    base = os.environ[PG_ENV]
    if base.startswith("postgresql://"):
        base = "postgresql+psycopg://" + base.split("://", 1)[1]
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session", autouse=True)
def _instance_dir(tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("instance")
    os.environ["TLSAUTH_INSTANCE_DIR"] = str(folder)
    os.environ.setdefault("TLSAUTH_SECRET_KEY", secrets.token_hex(16))


@pytest.fixture(scope="session", params=backends())
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    from flask_migrate import upgrade

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        schema = None
    else:
        schema = f"tlsauth_test_{os.getpid()}_{secrets.token_hex(3)}"
        admin = create_engine(pg_url("public"))
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = pg_url(schema)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    yield url
    if schema:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _empty_tables() -> None:
    with db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def app(database_url: str):
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "SERVER_NAME": None}
    )
    with app.app_context():
        _empty_tables()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


class CliRunner(FlaskCliRunner):
    """Runs `tlsauth` commands against the test app."""

    def invoke(self, cli: Any = None, args: Any = None, **kwargs: Any) -> Any:
        return super().invoke(cli or tlsauth_cli, args, **kwargs)


@pytest.fixture
def runner(app):
    return CliRunner(app)


@dataclass
class World:
    """Two operators (one TLD each, one with an RSP of record), an RSP, ICANN staff, an outsider."""

    icann: str = "staff@icann.example"
    rsp: str = "rsp@rsp.example"
    op_a: str = "a@operator-a.example"
    op_b: str = "b@operator-b.example"
    outsider: str = "nobody@other.example"
    tld_a: str = "alpha"  # operator A, RSP of record
    tld_b: str = "beta"  # operator B, no RSP


@pytest.fixture
def world(app) -> World:
    w = World()
    with app.app_context():
        s = db.session
        directory.create_organisation(s, "ICANN", "icann")
        directory.create_organisation(s, "RSP One", "rsp")
        directory.create_organisation(s, "Operator A", "registry-operator")
        directory.create_organisation(s, "Operator B", "registry-operator")
        directory.create_organisation(s, "Other RSP", "rsp")
        for email, org in (
            (w.icann, "ICANN"),
            (w.rsp, "RSP One"),
            (w.op_a, "Operator A"),
            (w.op_b, "Operator B"),
            (w.outsider, "Other RSP"),
        ):
            directory.create_user(s, email, org, PASSWORD)
        directory.add_tld(s, w.tld_a, "Operator A", "RSP One")
        directory.add_tld(s, w.tld_b, "Operator B")
    return w


@pytest.fixture
def login(client):
    """Sign in through the real form (on `client` unless another is given); returns the
    CSRF token for later posts."""

    def _login(email: str, password: str = PASSWORD, *, client=client) -> str:
        return sign_in(client, email, password)

    return _login
