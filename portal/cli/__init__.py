"""`tlsauth`: the Flask CLI group of the app, the one entry point (serve, db, org, user, ...).

A service's refusal (ServiceError: invalid input, an unknown name) ends any command here, once,
as a one-line `Error: ...` and exit code 1, never a traceback.
"""

from __future__ import annotations

from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup

from ..services.errors import ServiceError
from .bulk import bulk_group, outbox_group
from .certificates import cert_group, tlsa_command
from .check import check_command
from .check_matrix import check_matrix_command
from .decisions import decisions_group
from .directory import demo_command, org_group, tld_group, token_group, user_group
from .registrars import registrar_group
from .seed import seed_command
from .serve import serve_command

COMMANDS = (
    serve_command,
    org_group,
    user_group,
    token_group,
    tld_group,
    demo_command,
    cert_group,
    tlsa_command,
    registrar_group,
    check_command,
    check_matrix_command,
    decisions_group,
    bulk_group,
    outbox_group,
    seed_command,
)


class TlsauthGroup(FlaskGroup):
    """The app's command group: every command's ServiceError becomes a click error."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ServiceError as exc:
            raise click.ClickException(str(exc)) from exc


def _create_app() -> Flask:
    from ..app import create_app

    return create_app()


cli = TlsauthGroup(
    create_app=_create_app,
    add_version_option=False,
    load_dotenv=False,
    help="TLS Client Authentication harness.",
)
for _command in COMMANDS:
    cli.add_command(_command)


def main() -> None:
    cli.main(prog_name="tlsauth")
