"""The listener never reads a body the application did not read: it answers, closes and
discards, and a connection whose body was read stays open for the next request."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from infra.tls_listener import make_server

NEXT_REQUEST = b"GET /next HTTP/1.1\r\nHost: localhost\r\n\r\n"


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """/read reads the body; anything else answers 401 without touching it."""
    if environ["PATH_INFO"] == "/read":
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        answer = b"read %d" % len(body)
        start_response("200 OK", [("Content-Length", str(len(answer)))])
        return [answer]
    start_response("401 Unauthorized", [("Content-Length", "0")])
    return []


@pytest.fixture
def port() -> Iterator[int]:
    server = make_server(app, "127.0.0.1", 0, threads=4)
    server.prepare()
    threading.Thread(target=server.serve, daemon=True).start()
    yield server.bind_addr[1]
    server.stop()


def test_an_answer_before_the_body_closes_instead_of_reading_it(port):
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"PUT /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 62914560\r\n\r\n")
        sock.sendall(NEXT_REQUEST + b"0" * 65536)
        received = b""
        while chunk := sock.recv(65536):  # a timeout fails the test: the server must close
            received += chunk
    assert received.startswith(b"HTTP/1.1 401 "), received
    assert b"Connection: close" in received
    assert received.count(b"HTTP/1.1 ") == 1  # the unread body was not parsed as a request
    assert time.monotonic() - started < 10


def test_a_body_the_application_read_keeps_the_connection(port):
    body = b"x" * 1000
    request = b"PUT /read HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\n" + body
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request + request)
        received = b""
        while received.count(b"read 1000") < 2:
            chunk = sock.recv(65536)
            assert chunk, received
            received += chunk
    assert b"Connection: close" not in received
