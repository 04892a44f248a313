"""The servers under load, each in a process of its own: the MoSAPI mock (`tlsauth serve
mosapi`, or a bench-only variant of it), and the mock's TLS listener around a trivial app.

The variant and the listener are served by bench_mocks.py itself (hidden options), so that
their CPU time is measured in a process of their own like the product's."""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import ROOT, stop_process
from bench.mocks.dataset import STATE_PATH, Setup
from bench.mocks.procstat import children_of

SCRIPT = ROOT / "bench" / "bench_mocks.py"
VENV_BIN = Path(sys.executable).parent
MOCK, LISTENER = "MoSAPI mock", "listener only"
TWEAKS = ("sync-normal", "log-lock", "ka-limit")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    label: str
    port: int
    proc: subprocess.Popen
    log: Path
    expect_decision: bool  # the mock: X-TLSAuth-Decision must say "allowed"
    extra_pids: Callable[[], list[int]] = lambda: []

    def pids(self) -> list[int]:
        return [self.proc.pid, *self.extra_pids()]

    def stop(self) -> None:
        stop_process(self.proc)


def client_context(setup: Setup) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(setup.ca_file))
    ctx.load_cert_chain(str(setup.client.cert_file), str(setup.client.key_file))
    return ctx


def wait_ready(server: Server, setup: Setup, timeout: float = 90.0) -> None:
    ctx = client_context(setup)
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            break
        try:
            conn = http.client.HTTPSConnection("127.0.0.1", server.port, context=ctx, timeout=5)
            conn.request("GET", STATE_PATH, headers={"Connection": "close"})
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status == 200:
                return
            last = f"HTTP {response.status}: {response.getheader('X-TLSAuth-Decision')}"
        except OSError as exc:
            last = str(exc)
        time.sleep(0.3)
    tail = server.log.read_text(errors="replace")[-3000:] if server.log.exists() else ""
    server.stop()
    raise SystemExit(f"{server.label} did not answer 200 ({last}); its log:\n{tail}")


def start_mock(setup: Setup, threads: int | None, tweaks: str = "", workers: int = 1) -> Server:
    """`tlsauth serve mosapi`; with tweaks, this script serves the mock with bench-only changes
    (see serve_mock_variant) to measure what a suggested improvement would bring."""
    port = free_port()
    env = {
        **os.environ,
        "TLSAUTH_DATABASE_URL": setup.db_url,
        "TLSAUTH_CERTS_DIR": str(setup.certs_dir),
        "TLSAUTH_INSTANCE_DIR": str(setup.tmp),
    }
    if threads:
        env["TLSAUTH_MOCK_THREADS"] = str(threads)
    env["TLSAUTH_MOCK_WORKERS"] = str(workers)
    # The load generator's threads share one client certificate: no per-certificate cap.
    env["TLSAUTH_MOSAPI_CONNECTIONS_PER_CERT"] = "0"
    log = setup.tmp / f"mock{'-' + tweaks if tweaks else ''}.log"
    if tweaks:
        cmd = [sys.executable, str(SCRIPT), "--serve-mock-variant", tweaks]
        cmd += ["--listener-port", str(port)]
    else:
        exe = shutil.which("tlsauth", path=str(VENV_BIN)) or "tlsauth"
        cmd = [exe, "serve", "mosapi", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(  # noqa: S603 - our own entry point or this script
        cmd, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=setup.tmp
    )
    label = f"mock + {tweaks}" if tweaks else MOCK
    # TLSAUTH_MOCK_WORKERS > 1 forks worker processes: their CPU counts too.
    server = Server(label, port, proc, log, True, lambda: children_of(proc.pid))
    wait_ready(server, setup)
    return server


def start_listener(setup: Setup, body: Path, threads: int | None) -> Server:
    """The mock's TLS listener (cheroot + pyOpenSSL) with a trivial WSGI app."""
    port = free_port()
    log = setup.tmp / "listener.log"
    cmd = [
        sys.executable,
        str(SCRIPT),
        "--serve-listener",
        str(port),
        "--listener-cert",
        str(setup.server_cert),
        "--listener-key",
        str(setup.server_key),
        "--listener-body",
        str(body),
        "--listener-threads",
        str(threads or 32),
    ]
    proc = subprocess.Popen(  # noqa: S603 - this script
        cmd, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=setup.tmp
    )
    server = Server(LISTENER, port, proc, log, expect_decision=False)
    wait_ready(server, setup)
    return server


def serve_listener(port: int, cert: str, key: str, body_file: str, threads: int) -> int:
    """--serve-listener: cheroot + the mock's ClientCertAdapter around a constant answer."""
    from infra.tls_listener import make_server, peer_chain, serve_until_signalled

    body = Path(body_file).read_bytes()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        chain = peer_chain(environ)  # the peer certificate, as the mock reads it
        status = "200 OK" if chain else "401 Unauthorized"
        start_response(
            status,
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        return [body]

    server = make_server(app, "127.0.0.1", port, certificate=cert, private_key=key, threads=threads)
    serve_until_signalled([server])
    return 0


def serve_mock_variant(tweaks: str, port: int) -> int:
    """--serve-mock-variant: the mock exactly as `tlsauth serve mosapi` builds it, plus
    bench-only changes (nothing in the product is changed):

    * sync-normal: PRAGMA synchronous=NORMAL on the mock's SQLite connections (WAL mode: no
      fsync per commit, only at checkpoints),
    * log-lock: one in-process lock around the decision log insert + commit, so the worker
      threads queue on a Python lock instead of SQLite's busy handler (which sleeps 1, 2, 5,
      10 ... 100 ms between retries),
    * ka-limit: cheroot's keep_alive_conn_limit (10 idle keep-alive connections, beyond which
      cheroot closes them) raised to the number of worker threads.
    """
    from sqlalchemy import event

    from infra.database import db
    from infra.tls_listener import serve_until_signalled
    from mock_services.app import ENFORCER_KEY
    from portal.app import create_app
    from portal.cli.serve import build_servers

    wanted = set(tweaks.split(","))
    unknown = wanted - set(TWEAKS)
    if unknown:
        raise SystemExit(f"unknown tweak(s) {sorted(unknown)}; known: {', '.join(TWEAKS)}")
    app = create_app()
    with app.app_context():
        servers = build_servers(app, "mosapi", "127.0.0.1", port)
    mock = servers[0].wsgi_app
    if "sync-normal" in wanted:
        with mock.app_context():
            engine = db.engine

        def synchronous_normal(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute("PRAGMA synchronous=NORMAL")

        event.listen(engine, "connect", synchronous_normal)
    if "log-lock" in wanted:
        enf = mock.extensions[ENFORCER_KEY]
        lock = threading.Lock()
        log = enf.log

        def locked_log(*a: Any, **kw: Any) -> int:
            with lock:
                return log(*a, **kw)

        enf.log = locked_log
    if "ka-limit" in wanted:
        for server in servers:
            server.keep_alive_conn_limit = server.requests.min
    serve_until_signalled(servers)
    return 0
