"""Fixtures that run the real mock servers (cheroot + pyOpenSSL TLS listener) on loopback."""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from infra.tls_listener import make_server
from mock_services.app import create_mock_app
from mock_services.decision_retention import stop_pruning
from tests.helpers import Credential


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def decision(self) -> str:
        return self.headers.get("x-tlsauth-decision", "")


@dataclass
class MockServer:
    system: str
    port: int
    ca_file: Path
    app: Any
    server: Any
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        *,
        cred: Credential | None = None,
        source: str | None = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        tls_max: ssl.TLSVersion | None = None,
    ) -> Answer:
        ctx = ssl.create_default_context(cafile=str(self.ca_file))
        if cred is not None:
            ctx.load_cert_chain(str(cred.cert_file), str(cred.key_file))
        if tls_max is not None:
            ctx.maximum_version = tls_max
        conn = http.client.HTTPSConnection(
            "localhost",
            self.port,
            context=ctx,
            timeout=20,
            source_address=(source, 0) if source else None,
        )
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            data = response.read()
            return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
        finally:
            conn.close()


@pytest.fixture(scope="session")
def certs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("certs")


@pytest.fixture
def start_mock(app, certs_dir) -> Iterator[Any]:
    started: list[MockServer] = []

    def start(system: str, **overrides: Any) -> MockServer:
        mock = create_mock_app(
            system,
            {
                "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                "CERTS_DIR": str(certs_dir),
                "TESTING": True,
                **overrides,
            },
        )
        material = mock.config["HARNESS_MATERIAL"]
        server = make_server(
            mock,
            "127.0.0.1",
            0,
            certificate=str(material.server_cert),
            private_key=str(material.server_key),
            threads=8,
            name=f"test-{system}",
        )
        server.prepare()
        threading.Thread(target=server.serve, daemon=True).start()
        handle = MockServer(system, server.bind_addr[1], material.ca_cert, mock, server)
        started.append(handle)
        return handle

    yield start
    for handle in started:
        handle.server.stop()
        stop_pruning(handle.app)  # no test's pruner outlives it to prune the next one's log
        with handle.app.app_context():
            from infra.database import db

            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts TCP connections (the kernel completes them) and never says
    a word: the dead or hung server a client's timeout must cope with."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()
