"""`tlsauth org|user|token|tld|demo`: organisations, users, API tokens, TLDs, the demo data."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..services import directory, tokens
from .inputs import read_secret


def _session() -> Session:
    from infra.database import db

    return db.session


# --------------------------------------------------------------------------- org / user / token


@click.group("org")
def org_group() -> None:
    """Organisations (registry operators, RSPs, ICANN)."""


@org_group.command("create")
@click.argument("name")
@click.option("--kind", required=True, type=click.Choice(["registry-operator", "rsp", "icann"]))
@with_appcontext
def org_create(name: str, kind: str) -> None:
    org = directory.create_organisation(_session(), name, kind)
    click.echo(f"organisation {org.name!r} ({org.kind}) created")


@click.group("user")
def user_group() -> None:
    """Portal users."""


@user_group.command("create")
@click.argument("email")
@click.option("--org", "org_name", required=True, help="The organisation's name.")
@with_appcontext
def user_create(email: str, org_name: str) -> None:
    """Create a user; the password comes from standard input or a prompt."""
    password = read_secret("Password", "password")
    user = directory.create_user(_session(), email, org_name, password)
    click.echo(f"user {user.email} created in {user.organisation.name!r}")


@click.group("token")
def token_group() -> None:
    """API bearer tokens."""


@token_group.command("create")
@click.argument("email")
@click.option("--name", default="cli", help="A label to recognise the token by.")
@with_appcontext
def token_create(email: str, name: str) -> None:
    """Print a new API token for EMAIL once; only its hash is kept."""
    session = _session()
    _, token = tokens.create_token(session, directory.get_user(session, email), name)
    click.echo(token)


# --------------------------------------------------------------------------- tld


@click.group("tld")
def tld_group() -> None:
    """TLDs."""


@tld_group.command("add")
@click.argument("tld")
@click.option("--operator", required=True, help="Registry operator organisation name.")
@click.option("--rsp", default=None, help="RSP of record organisation name.")
@with_appcontext
def tld_add(tld: str, operator: str, rsp: str | None) -> None:
    row = directory.add_tld(_session(), tld, operator, rsp)
    click.echo(f"TLD .{row.name} added")


@tld_group.command("import-gtlds")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def tld_import(file: Path) -> None:
    """Load TLDs from a CSV with columns tld,registry_operator,kind."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{file} is not UTF-8 text") from exc
    result = directory.import_gtlds(_session(), text)
    click.echo(
        f"{result.tlds_added} TLDs added, {result.tlds_existing} already present, "
        f"{result.operators_added} operator organisations created"
    )


# --------------------------------------------------------------------------- demo


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds data.")
@with_appcontext
def demo_command(if_empty: bool) -> None:
    """Seed the documented demo: all gTLDs, ICANN staff, an RSP, an operator, one entry."""
    from ..demo import DEMO_PASSWORD, GTLDS_CSV, seed_demo
    from ..models import Organisation

    session = _session()
    if if_empty and (session.scalar(select(func.count(Organisation.id))) or 0) > 0:
        click.echo("database not empty; demo not loaded")
        return
    click.echo(seed_demo(session, GTLDS_CSV.read_text(encoding="utf-8"), DEMO_PASSWORD))
