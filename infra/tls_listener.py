"""The mocks' TLS listener: cheroot + pyOpenSSL, asking for a client certificate but accepting
any at the handshake, so every judgement happens in the application with an HTTP answer.

Python's `ssl` module cannot do this (it always verifies against a CA); pyOpenSSL's verify
callback can. cheroot does not put the peer certificate in the WSGI environ, so `wrap()` adds
an accessor, called lazily once the handshake has happened (on the first read).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import Any

from cheroot import wsgi
from cheroot.ssl.pyopenssl import pyOpenSSLAdapter
from cryptography import x509
from OpenSSL import SSL

PEER_CHAIN_KEY = "tlsauth.peer_chain"


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


def make_server(
    app: Any,
    host: str,
    port: int,
    *,
    certificate: str | None = None,
    private_key: str | None = None,
    threads: int = 32,
    name: str = "tlsauth",
    max_request_body: int = 0,
    reuse_port: bool = False,
) -> wsgi.Server:
    """A cheroot server; with certificate/private_key it is a client-certificate TLS listener."""
    server = wsgi.Server(
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
    # cheroot answers 413 itself above this size, before the application reads anything.
    server.max_request_body_size = max_request_body
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
