"""`tlsauth serve`: the portal and the two mocks on cheroot, until SIGTERM."""

from __future__ import annotations

import contextlib
import os
import signal
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext


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
    if which in (None, "portal"):
        from portal.bulk.jobs import resume

        if resumed := resume(app):
            click.echo(f"checking again {len(resumed)} interrupted bulk upload(s)", err=True)
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
