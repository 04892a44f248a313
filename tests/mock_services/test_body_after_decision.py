"""Both mocks decide who is asking before they read a request body, over real sockets: an
unknown client announcing 60 MiB gets 401, not 413; the body limit applies once the client is
known; either way the connection is closed and the unread body is never parsed."""

from __future__ import annotations

import socket
import ssl
import time

import pytest

from tests.helpers import last_decision, trusted_client

DOMAIN = "uploader.alpha.example"
ANNOUNCED = 60 * 1024 * 1024  # above TLSAUTH_MAX_BODY_BYTES (50 MiB)
SENT = 1024 * 1024
# The body starts like a request: were the unread body parsed as the next request, this GET
# would get an answer of its own.
NEXT_REQUEST = b"GET /ry/alpha/v2/monitoring/state HTTP/1.1\r\nHost: localhost\r\n\r\n"
UPLOADS = {
    "rri": ("PUT", "/report/registrar-transactions/alpha/2026-01", "text/csv"),
    "mosapi": ("POST", "/ry/alpha/v2/maintenance-windows", "application/json"),
}


@pytest.fixture(params=sorted(UPLOADS))
def system(request):
    return request.param


def partial_upload(server, system: str, cred=None) -> tuple[bytes, float]:
    """An upload's headers announcing 60 MiB and the first MiB of its body; everything the
    server sends until it closes the connection, and the seconds it took."""
    method, path, content_type = UPLOADS[system]
    ctx = ssl.create_default_context(cafile=str(server.ca_file))
    if cred is not None:
        ctx.load_cert_chain(str(cred.cert_file), str(cred.key_file))
    started = time.monotonic()
    with (
        socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw,
        ctx.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        tls.sendall(
            f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {ANNOUNCED}\r\n\r\n".encode()
        )
        tls.sendall(NEXT_REQUEST + b"0" * (SENT - len(NEXT_REQUEST)))
        received = b""
        while chunk := tls.recv(65536):  # a timeout here fails the test: the server must close
            received += chunk
    return received, time.monotonic() - started


def assert_one_answer_then_closed(received: bytes, status: int, seconds: float) -> bytes:
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status} ".encode()), received[:300]
    assert b"\r\nConnection: close" in head, head
    assert received.count(b"HTTP/1.1 ") == 1, received  # the unread body was not parsed
    assert seconds < 10
    return body


def test_an_unknown_client_gets_401_before_its_body_is_read(app, world, start_mock, system):
    # No public source says when ICANN reads a body (docs/decisions.md); an authentication
    # answer that needs no body is what real clients handle (onasunnymorning/icann-client
    # rri/putMonthlyReport.go sends a replayable body; Guzzle, used by getnamingo/registry
    # automation/reporting.php, sends Expect: 100-continue for large bodies).
    server = start_mock(system)
    received, seconds = partial_upload(server, system)
    body = assert_one_answer_then_closed(received, 401, seconds)
    assert b"Too Large" not in body
    row = last_decision(app)
    assert (row.status_code, row.result) == (401, "denied")
    assert "no-credentials" in row.reasons


def test_the_body_limit_applies_once_the_client_is_known(app, world, start_mock, system, tmp_path):
    cred = trusted_client(app, world.rsp, tmp_path, DOMAIN)
    server = start_mock(system)
    received, seconds = partial_upload(server, system, cred)
    body = assert_one_answer_then_closed(received, 413, seconds)
    if system == "rri":
        assert body == b""  # only 200 and 400 carry an iirdea body
    row = last_decision(app)  # the decision ran first and let the client in
    assert (row.result, row.matched_entry) == ("allowed", DOMAIN)
    assert server.request("GET", "/ry/alpha/v2/monitoring/state", cred=cred).status in (200, 404)
