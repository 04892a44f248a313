"""`tlsauth registrar list|add|remove`: the ICANN-accredited registrars the RRI mock checks a
transactions report's iana-id column against."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from infra.database import db

from ..services import registrars


@click.group("registrar")
def registrar_group() -> None:
    """ICANN-accredited registrars (IANA id and name) the RRI mock knows."""


@registrar_group.command("list")
@with_appcontext
def registrar_list() -> None:
    rows = registrars.list_registrars(db.session)
    if not rows:
        click.echo("no registrars: every registrar line of a transactions report is refused")
    for row in rows:
        click.echo(f"{row.iana_id:>6}  {row.name}")


@registrar_group.command("add")
@click.argument("iana_id", type=int)
@click.argument("name")
@with_appcontext
def registrar_add(iana_id: int, name: str) -> None:
    row = registrars.add(db.session, iana_id, name)
    click.echo(f"registrar {row.iana_id} ({row.name}) added")


@registrar_group.command("remove")
@click.argument("iana_id", type=int)
@with_appcontext
def registrar_remove(iana_id: int) -> None:
    row = registrars.remove(db.session, iana_id)
    click.echo(f"registrar {row.iana_id} ({row.name}) removed")
