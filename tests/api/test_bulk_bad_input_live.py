"""Hostile and broken bulk files sent over a real socket to the portal on cheroot: each is
refused with a clear message, nothing is staged, and the portal keeps serving (a 100 MiB body
is answered 413 without being read into a file)."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from infra.database import db
from infra.tls_listener import make_server
from portal.models import BulkTldChange, BulkUpload
from tests.helpers import api_token

MiB = 1024 * 1024
HEADER = "tld,domain_name,roles,ip_acl\r\n"


@dataclass
class Live:
    port: int
    token: str

    def post(
        self, body: bytes, content_type: str = "text/csv", filename: str = "f.csv"
    ) -> tuple[int, dict]:
        boundary = "bulk-boundary-7d93"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
        ).encode()
        tail = (
            f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="dry_run"\r\n\r\n'
            f"true\r\n--{boundary}--\r\n"
        ).encode()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(
                "POST",
                "/api/v1/bulk-uploads",
                body=head + body + tail,
                headers={
                    "Authorization": f"Bearer {self.token}",
                    "Content-Type": f"multipart/form-data; boundary={boundary}",
                },
            )
            answer = conn.getresponse()
            return answer.status, json.loads(answer.read() or b"{}")
        finally:
            conn.close()

    def serving(self) -> bool:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", "/login")
            return conn.getresponse().status == 200
        finally:
            conn.close()


@pytest.fixture
def live(app, world) -> Iterator[Live]:
    token = api_token(app, world.rsp)
    server = make_server(app, "127.0.0.1", 0, threads=4, name="test-portal")
    server.prepare()
    threading.Thread(target=server.serve, daemon=True).start()
    yield Live(server.bind_addr[1], token)
    server.stop()


def staged(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(
                select(func.count()).select_from(BulkUpload).where(BulkUpload.plan.is_not(None))
            ),
            db.session.scalar(select(func.count()).select_from(BulkTldChange)),
        )


CASES = [
    (
        "non-utf8",
        (HEADER + "alpha,caf\u00e9.rsp.example,mosapi-slam,192.0.2.0/24\r\n").encode("latin-1"),
        "Not UTF-8: byte 0xE9",
    ),
    ("binary", b"PK\x03\x04\x00\x00\x08\x00" + bytes(range(256)) * 8, "binary file"),
    ("zero rows", HEADER.encode(), "no rows"),
    (
        "1,240 columns",
        (",".join(f"c{i}" for i in range(1240)) + "\r\n").encode(),
        "column",
    ),
    (
        "quoted field spanning lines",
        (HEADER + 'alpha,"client.rsp.example\r\nmore",mosapi-slam,192.0.2.0/24\r\n').encode(),
        "domain_name",
    ),
    (
        "formula cell",
        (HEADER + "alpha,=cmd|' /C calc'!A0,mosapi-slam,192.0.2.0/24\r\n").encode(),
        "formula",
    ),
]


@pytest.mark.parametrize(("data", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_broken_file_is_refused_with_a_message_and_nothing_staged(
    app, live: Live, data: bytes, words: str
) -> None:
    status, body = live.post(data)
    assert status == 422, body
    assert body["error"]["code"] == "invalid_file"
    messages = " ".join(f["message"] + " " + (f["column"] or "") for f in body["findings"])
    assert words.lower() in messages.lower(), messages
    assert staged(app) == (0, 0)
    assert live.serving()


def test_a_100_mib_file_is_refused_unread_and_the_portal_keeps_serving(app, live: Live) -> None:
    started = time.monotonic()
    body_size = 100 * MiB
    # Sent as a stream: the server answers 413 from Content-Length, so the client may see the
    # connection close while it is still sending.
    boundary = "b"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"'
        "\r\nContent-Type: text/csv\r\n\r\n"
    ).encode()
    length = len(head) + body_size + len(f"\r\n--{boundary}--\r\n")
    with socket.create_connection(("127.0.0.1", live.port), timeout=60) as sock:
        sock.sendall(
            (
                "POST /api/v1/bulk-uploads HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {live.token}\r\n"
                f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                f"Content-Length: {length}\r\n\r\n"
            ).encode()
            + head
        )
        chunk = b"x" * MiB
        try:
            for _ in range(body_size // MiB):
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed without reading it all
        answer = b""
        try:
            while b"}" not in answer:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
        except ConnectionResetError:
            pass
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    limit = f"at most {app.config['BULK_MAX_BYTES']:,} bytes".encode()
    assert limit in answer, answer
    assert staged(app) == (0, 0)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BulkUpload)) == 0
    assert live.serving()
    assert time.monotonic() - started < 60
