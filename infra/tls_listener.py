"""The mocks' TLS listener: cheroot + pyOpenSSL, asking for a client certificate but accepting
any at the handshake, so every judgement happens in the application with an HTTP answer.

Python's `ssl` module cannot do this (it always verifies against a CA); pyOpenSSL's verify
callback can. cheroot does not put the peer certificate in the WSGI environ, so `wrap()` adds
an accessor, called lazily once the handshake has happened (on the first read).

Two things cheroot does not do, added here for every server `make_server` builds:

* It counts open connections by a key the application chooses (the mocks: the client
  certificate's public key), so the application can cap them (`admit_connection`). A refused
  connection is closed after its answer; a connection's slot is freed when it closes.
* It never reads a request body the application did not read. cheroot would read the rest of
  it to keep the connection alive (all 60 MiB of an upload refused for its credentials, or
  until the client gives up); instead the connection is closed after the answer. Before the
  close the server stops sending (TLS close_notify, TCP FIN) and discards what the client
  still sends for a moment, so the client reads the answer rather than a reset.

And one it does differently: cheroot keeps only the last of repeated header lines unless the
header is on its list of comma-separated headers. X-Forwarded-For is a list (a proxy chain may
add a line per hop), so it joins that list here, and the mocks read every hop.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from cheroot import server as cheroot_server
from cheroot import wsgi
from cheroot.ssl.pyopenssl import pyOpenSSLAdapter
from cryptography import x509
from OpenSSL import SSL

# Repeated X-Forwarded-For lines are one list (RFC 9110 §5.3); cheroot's parser reads this
# module-level list, so the header is added once, for every server of the process.
if b"X-Forwarded-For" not in cheroot_server.comma_separated_headers:
    cheroot_server.comma_separated_headers.append(b"X-Forwarded-For")

PEER_CHAIN_KEY = "tlsauth.peer_chain"
CONNECTION_KEY = "tlsauth.connection"
# How long a connection closed with an unread body keeps discarding what the client sends.
DISCARD_SECONDS = 5.0


def _accept_any(_conn: Any, _cert: Any, _errno: int, _depth: int, _ok: int) -> bool:
    return True


class ClientCertAdapter(pyOpenSSLAdapter):
    def get_context(self) -> SSL.Context:
        ctx = SSL.Context(SSL.TLS_METHOD)
        ctx.set_min_proto_version(SSL.TLS1_2_VERSION)
        ctx.set_max_proto_version(SSL.TLS1_3_VERSION)
        ctx.use_certificate_chain_file(self.certificate)
        ctx.use_privatekey_file(self.private_key)
        ctx.check_privatekey()
        # Request a certificate; never fail the handshake over it (no FAIL_IF_NO_PEER_CERT).
        ctx.set_verify(SSL.VERIFY_PEER, _accept_any)
        ctx.set_session_id(b"tlsauth-mock")
        return ctx

    def wrap(self, sock: Any) -> tuple[Any, dict[str, Any]]:
        conn, environ = super().wrap(sock)

        def peer_chain() -> list[x509.Certificate]:
            # On a server OpenSSL leaves the leaf out of the peer chain: put it first ourselves.
            leaf = conn.get_peer_certificate(as_cryptography=True)
            if leaf is None:
                return []
            rest = list(conn.get_peer_cert_chain(as_cryptography=True) or [])
            return [leaf, *(c for c in rest if c != leaf)]

        environ[PEER_CHAIN_KEY] = peer_chain
        return conn, environ


def peer_chain(environ: dict[str, Any]) -> list[x509.Certificate]:
    getter: Callable[[], list[x509.Certificate]] | None = environ.get(PEER_CHAIN_KEY)
    return getter() if getter else []


# --------------------------------------------------------------------------- connections


class OpenConnections:
    """Connections open per key, in this server (one process; each worker process of
    TLSAUTH_MOCK_WORKERS counts its own)."""

    def __init__(self) -> None:
        self._open: Counter[str] = Counter()
        self._lock = threading.Lock()

    def claim(self, key: str, limit: int) -> bool:
        with self._lock:
            if self._open[key] >= limit:
                return False
            self._open[key] += 1
            return True

    def release(self, key: str) -> None:
        with self._lock:
            self._open[key] -= 1
            if self._open[key] <= 0:
                del self._open[key]


def _discard_input(fd: int, deadline: float) -> None:
    """Read and drop what arrives on ``fd`` until the peer closes or ``deadline`` passes.

    Raw bytes (TLS records or not): the connection is closing, nothing of it is parsed."""
    while (left := deadline - time.monotonic()) > 0:
        if not select.select([fd], [], [], left)[0]:
            return
        try:
            if not os.read(fd, 65536):
                return
        except BlockingIOError:
            continue
        except OSError:
            return


class _Request(cheroot_server.HTTPRequest):
    conn: Connection

    def _body_unread(self) -> bool:
        rfile = getattr(self, "rfile", None)
        if self.chunked_read:
            return not getattr(rfile, "closed", True)
        return getattr(rfile, "remaining", 0) > 0

    def send_headers(self) -> None:
        # Close instead of letting cheroot read (and wait for) a body nobody asked for.
        self.conn.body_left = self._body_unread()
        if self.conn.body_left or self.conn.refused:
            self.close_connection = True
        super().send_headers()


class Connection(cheroot_server.HTTPConnection):
    RequestHandlerClass = _Request
    server: Server

    def __init__(self, server: Any, sock: Any, makefile: Any = cheroot_server.MakeFile) -> None:
        super().__init__(server, sock, makefile)
        self.slot: str | None = None  # the key this connection counts under
        self.admitted: bool | None = None  # None until the application asked
        self.refused = False
        self.body_left = False  # the last answer went out with the request body unread

    def admit(self, limit: int, key: Callable[[], str | None]) -> bool:
        """Whether this connection may carry requests when at most ``limit`` connections may
        be open under one key: decided at the first call (``key()``: None counts it under
        none) and kept for the connection's life."""
        if self.admitted is None:
            slot = key()
            self.admitted = slot is None or self.server.open_connections.claim(slot, limit)
            self.slot = slot if self.admitted else None
            self.refused = not self.admitted
        return self.admitted

    def close(self) -> None:
        if self.slot is not None:
            self.server.open_connections.release(self.slot)
            self.slot = None
        if self.body_left and not self.linger:
            self.body_left = False
            self._stop_sending_then_discard()
        super().close()

    def _stop_sending_then_discard(self) -> None:
        sock = self.socket
        if hasattr(sock, "sock_shutdown"):  # pyOpenSSL: close_notify, then the TCP FIN
            with contextlib.suppress(SSL.Error, OSError):
                sock.shutdown()
            stop_sending = sock.sock_shutdown
        else:
            stop_sending = sock.shutdown
        with contextlib.suppress(OSError):
            stop_sending(socket.SHUT_WR)
            _discard_input(sock.fileno(), time.monotonic() + DISCARD_SECONDS)


class _Gateway(wsgi.Gateway_10):
    def get_environ(self) -> dict[str, Any]:
        environ = super().get_environ()
        environ[CONNECTION_KEY] = self.req.conn
        return environ


class Server(wsgi.Server):
    ConnectionClass = Connection

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gateway = _Gateway
        self.open_connections = OpenConnections()


def admit_connection(environ: dict[str, Any], limit: int, key: Callable[[], str | None]) -> bool:
    """Whether the request's connection may be served when at most ``limit`` connections may
    be open under its ``key()``, asked once per connection (outside this listener, e.g. a
    test client: always)."""
    connection: Connection | None = environ.get(CONNECTION_KEY)
    return connection is None or connection.admit(limit, key)


# --------------------------------------------------------------------------- serving


def make_server(
    app: Any,
    host: str,
    port: int,
    *,
    certificate: str | None = None,
    private_key: str | None = None,
    threads: int = 32,
    name: str = "tlsauth",
    reuse_port: bool = False,
) -> Server:
    """A cheroot server; with certificate/private_key it is a client-certificate TLS listener.

    No body size limit here: the application applies it after deciding who is asking (a
    listener limit would answer 413 to anyone, before the application could answer 401)."""
    server = Server(
        (host, port),
        app,
        numthreads=threads,
        server_name=name,
        timeout=30,
        shutdown_timeout=5,
        request_queue_size=128,
        reuse_port=reuse_port,
    )
    # cheroot closes idle keep-alive connections beyond this many; allow one per worker.
    server.keep_alive_conn_limit = max(threads, 10)
    if certificate and private_key:
        server.ssl_adapter = ClientCertAdapter(certificate, private_key)
    return server


def serve_until_signalled(servers: list[wsgi.Server]) -> None:
    """Run servers (each in a thread) until SIGTERM/SIGINT, then stop them gracefully."""
    stop = threading.Event()

    def on_signal(_signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    for server in servers:
        server.prepare()
    threads = [threading.Thread(target=s.serve, daemon=True, name=s.server_name) for s in servers]
    for t in threads:
        t.start()
    try:
        while not stop.wait(0.5):
            if not all(t.is_alive() for t in threads):
                break
    finally:
        for server in servers:
            server.stop()
        for t in threads:
            t.join(timeout=10)
