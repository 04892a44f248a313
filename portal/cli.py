"""`tlsauth`: the Flask CLI group of the app, the one entry point (serve, db, org, user, ...)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import func, select

from .cli_cert import CERT_COMMANDS
from .services import directory, tokens
from .services.errors import ServiceError

DEMO_PASSWORD = "demo-password-1"  # noqa: S105 - documented in the README; demo data only
DATA_DIR = Path(__file__).parent / "data"


def _fail(exc: ServiceError) -> click.ClickException:
    return click.ClickException(str(exc))


def _db() -> Any:
    from infra.database import db

    return db.session


def _read_password(prompt: str) -> str:
    if sys.stdin.isatty():
        return click.prompt(prompt, hide_input=True, confirmation_prompt=True)
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise click.ClickException("No password on standard input.")
    return line


# --------------------------------------------------------------------------- serve


def build_servers(
    app: Flask,
    which: str | None,
    host: str | None,
    port: int | None,
    *,
    portal: bool = True,
    reuse_port: bool = False,
) -> list[Any]:
    """cheroot servers for the portal and/or the mocks; the mocks get the TLS listener."""
    from infra.tls_listener import make_server
    from mock_services.app import create_mock_app

    cfg = app.config
    servers = []
    if portal and which in (None, "portal"):
        servers.append(
            make_server(
                app,
                host or cfg["PORTAL_HOST"],
                port or cfg["PORTAL_PORT"],
                threads=cfg["THREADS"],
                name="tlsauth-portal",
            )
        )
    for system, port_key in (("mosapi", "MOSAPI_PORT"), ("rri", "RRI_PORT")):
        if which not in (None, system):
            continue
        mock = create_mock_app(system)
        material = mock.config["HARNESS_MATERIAL"]
        servers.append(
            make_server(
                mock,
                host or cfg["MOCK_HOST"],
                port or cfg[port_key],
                certificate=str(material.server_cert),
                private_key=str(material.server_key),
                threads=cfg["MOCK_THREADS"],
                name=f"tlsauth-{system}",
                max_request_body=cfg["MAX_BODY_BYTES"],
                reuse_port=reuse_port,
            )
        )
    return servers


@click.command("serve")
@click.argument("which", required=False, type=click.Choice(["portal", "mosapi", "rri"]))
@click.option("--host", default=None, help="Listen address (one server only).")
@click.option("--port", default=None, type=int, help="Port (one server only).")
@with_appcontext
def serve_command(which: str | None, host: str | None, port: int | None) -> None:
    """Start the portal and both mocks, or one of them, on cheroot; stop on SIGTERM."""
    from infra.tls_listener import serve_until_signalled

    if which is None and (host or port):
        raise click.UsageError("--host/--port apply to one server: name it (portal, mosapi, rri).")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    workers = app.config["MOCK_WORKERS"] if which != "portal" else 1
    children = _fork_mock_workers(app, which, host, port, workers)
    servers = build_servers(app, which, host, port, reuse_port=workers > 1)
    for server in servers:
        scheme = "https" if server.ssl_adapter else "http"
        click.echo(
            f"{server.server_name} on {scheme}://{server.bind_addr[0]}:{server.bind_addr[1]}",
            err=True,
        )
    if any(s.ssl_adapter for s in servers):
        click.echo(f"clients trust {app.config['CERTS_DIR']}/harness-ca.pem", err=True)
    if workers > 1:
        click.echo(f"mocks served by {workers} processes", err=True)
    try:
        serve_until_signalled(servers)
    finally:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        for pid in children:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


def _fork_mock_workers(
    app: Flask, which: str | None, host: str | None, port: int | None, workers: int
) -> list[int]:
    """Extra processes serving the mocks on the same ports (SO_REUSEPORT): Python runs one
    request at a time per process, so this is how the mocks use more than one core. Each
    child builds its own apps, so no database connection crosses the fork."""
    from infra.tls_listener import serve_until_signalled

    children = []
    for _ in range(workers - 1):
        pid = os.fork()
        if pid == 0:  # child
            code = 0
            try:
                serve_until_signalled(
                    build_servers(app, which, host, port, portal=False, reuse_port=True)
                )
            except BaseException:  # noqa: BLE001 - a child must never return into the CLI
                code = 1
            finally:
                os._exit(code)
        children.append(pid)
    return children


# --------------------------------------------------------------------------- org / user / token


@click.group("org")
def org_group() -> None:
    """Organisations (registry operators, RSPs, ICANN)."""


@org_group.command("create")
@click.argument("name")
@click.option("--kind", required=True, type=click.Choice(["registry-operator", "rsp", "icann"]))
@with_appcontext
def org_create(name: str, kind: str) -> None:
    try:
        org = directory.create_organisation(_db(), name, kind)
    except ServiceError as exc:
        raise _fail(exc) from exc
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
    password = _read_password("Password")
    try:
        user = directory.create_user(_db(), email, org_name, password)
    except ServiceError as exc:
        raise _fail(exc) from exc
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
    try:
        user = directory.get_user(_db(), email)
    except ServiceError as exc:
        raise _fail(exc) from exc
    _, token = tokens.create_token(_db(), user, name)
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
    try:
        row = directory.add_tld(_db(), tld, operator, rsp)
    except ServiceError as exc:
        raise _fail(exc) from exc
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
    try:
        result = directory.import_gtlds(_db(), text)
    except ServiceError as exc:
        raise _fail(exc) from exc
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
    from .demo import seed_demo
    from .models import Organisation

    session = _db()
    if if_empty and (session.scalar(select(func.count(Organisation.id))) or 0) > 0:
        click.echo("database not empty; demo not loaded")
        return
    try:
        summary = seed_demo(
            session, (DATA_DIR / "gtlds.csv").read_text(encoding="utf-8"), DEMO_PASSWORD
        )
    except ServiceError as exc:
        raise _fail(exc) from exc
    click.echo(summary)


COMMANDS = (
    serve_command,
    org_group,
    user_group,
    token_group,
    tld_group,
    demo_command,
    *CERT_COMMANDS,
)


def _create_app() -> Flask:
    from .app import create_app

    return create_app()


cli = FlaskGroup(
    create_app=_create_app,
    add_version_option=False,
    load_dotenv=False,
    help="TLS Client Authentication harness.",
)
for _command in COMMANDS:
    cli.add_command(_command)


def main() -> None:
    cli.main(prog_name="tlsauth")
