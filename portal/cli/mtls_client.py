"""HTTPS calls with a client certificate, for the checker commands: one TLS context, a pool of
kept-alive connections per server, and every failure turned into a short message.

Nothing here needs the portal's app, settings or database: the commands run from an RSP's own
network against any MoSAPI or RRI server. The key is read by OpenSSL into the TLS context and
nowhere else.
"""

from __future__ import annotations

import ssl
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import urllib3
from urllib3.connectionpool import HTTPSConnectionPool, connection_from_url
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.util import parse_url

from ..core.verdict import CallVerdict, verdict_of

DECISION_HEADER = "X-TLSAuth-Decision"
BODY_START = 300  # bytes of the answer kept for display
MAX_BODY = 1 << 20  # answers longer than this are not read to the end (the connection closes)
USER_AGENT = "tlsauth-check"


class CredentialError(Exception):
    """The certificate, key, passphrase or CA file cannot be used."""


def tls_context(
    cert: Path, key: Path | None, ca: Path | None, passphrase: str | None
) -> ssl.SSLContext:
    """A client context with the certificate (and any chain after it in the file) and key;
    the server is verified against `ca`, or the system's trust store without it."""

    def no_passphrase() -> str:
        raise CredentialError(
            f"{key or cert} is encrypted: give its passphrase (--passphrase-file)."
        )

    try:
        ctx = ssl.create_default_context(cafile=str(ca) if ca else None)
    except (OSError, ssl.SSLError) as exc:
        raise CredentialError(f"cannot use {ca} as the CA file: {_reason(exc)}") from exc
    try:
        ctx.load_cert_chain(
            str(cert),
            str(key) if key else None,
            password=passphrase if passphrase is not None else no_passphrase,
        )
    except CredentialError:
        raise
    except (OSError, ssl.SSLError) as exc:
        raise CredentialError(
            f"cannot use {cert}{' and ' + str(key) if key else ''} as the client certificate "
            f"and key: {_reason(exc)}"
        ) from exc
    return ctx


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLError):
        return exc.reason or str(exc)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)


@dataclass(frozen=True)
class CallResult:
    method: str
    url: str
    status: int | None  # None: no answer (see error)
    reason_phrase: str
    decision_header: str | None
    body_start: bytes
    elapsed_ms: float
    error: str | None  # short: "connection refused", "timeout", "TLS failure", ...
    error_detail: str | None

    @property
    def verdict(self) -> CallVerdict | None:
        return None if self.status is None else verdict_of(self.status, self.decision_header)


class MtlsClient:
    """Calls with one TLS context; `max_connections` kept-alive connections per server at most
    (callers beyond that wait for one), so threads share connections instead of opening their
    own."""

    def __init__(
        self,
        context: ssl.SSLContext,
        *,
        timeout: float,
        source_address: str | None = None,
        max_connections: int = 1,
        per_server_cap: dict[str, int] | None = None,
    ) -> None:
        self.context = context
        self.timeout = timeout
        self.source_address = source_address
        self.max_connections = max_connections
        self.per_server_cap = per_server_cap or {}
        self._pools: dict[str, HTTPSConnectionPool] = {}
        self._lock = threading.Lock()

    def limit_server(self, base_url: str, connections: int) -> None:
        """At most `connections` open at once to the server of `base_url`."""
        self.per_server_cap[_origin(base_url)] = connections

    def _pool(self, url: str) -> HTTPSConnectionPool:
        origin = _origin(url)
        with self._lock:
            pool = self._pools.get(origin)
            if pool is None:
                size = min(self.max_connections, self.per_server_cap.get(origin, 1 << 16))
                kwargs: dict[str, object] = {
                    "maxsize": max(1, size),
                    "block": True,
                    "ssl_context": self.context,
                    "timeout": urllib3.Timeout(connect=self.timeout, read=self.timeout),
                    "retries": False,
                    "headers": {"User-Agent": USER_AGENT, "Accept": "*/*"},
                }
                if self.source_address:
                    kwargs["source_address"] = (self.source_address, 0)
                pool = connection_from_url(origin, **kwargs)
                assert isinstance(pool, HTTPSConnectionPool)
                self._pools[origin] = pool
            return pool

    def call(self, method: str, url: str) -> CallResult:
        pool = self._pool(url)
        target = parse_url(url).request_uri
        started = time.perf_counter()
        attempts = 2 if method in ("GET", "HEAD") else 1
        for attempt in range(attempts):
            try:
                return self._once(pool, method, url, target, started)
            except ProtocolError as exc:
                # A kept-alive connection the server had closed: a read is safe to send again.
                if attempt + 1 < attempts:
                    continue
                return self._failed(method, url, started, "connection closed", exc)
            except SSLError as exc:
                return self._failed(method, url, started, "TLS failure", exc, _tls_detail(exc))
            # NewConnectionError is a ConnectTimeoutError too (urllib3 2): refusals first.
            except NameResolutionError as exc:
                return self._failed(method, url, started, "cannot resolve the host", exc)
            except NewConnectionError as exc:
                cause = exc.__cause__
                short = (
                    "connection refused"
                    if isinstance(cause, ConnectionRefusedError)
                    else "cannot connect"
                )
                detail = _reason(cause) if cause else str(exc)
                return self._failed(method, url, started, short, exc, detail)
            except (ConnectTimeoutError, ReadTimeoutError) as exc:
                what = "no connection" if isinstance(exc, ConnectTimeoutError) else "no answer"
                detail = f"{what} within {self.timeout:g} s"
                return self._failed(method, url, started, "timeout", exc, detail)
            except (HTTPError, OSError) as exc:
                return self._failed(method, url, started, "connection failed", exc)
        raise AssertionError("unreachable")

    def _once(
        self, pool: HTTPSConnectionPool, method: str, url: str, target: str, started: float
    ) -> CallResult:
        response = pool.urlopen(
            method,
            target,
            redirect=False,
            preload_content=False,
            headers={"Content-Length": "0"} if method in ("POST", "PUT") else None,
        )
        try:
            body = response.read(BODY_START) if method != "HEAD" else b""
            if response.length_remaining is not None and response.length_remaining > MAX_BODY:
                response.close()
            else:
                response.drain_conn()
        finally:
            response.release_conn()
        return CallResult(
            method,
            url,
            response.status,
            response.reason or "",
            response.headers.get(DECISION_HEADER),
            body,
            (time.perf_counter() - started) * 1000,
            None,
            None,
        )

    def _failed(
        self,
        method: str,
        url: str,
        started: float,
        short: str,
        exc: BaseException,
        detail: str | None = None,
    ) -> CallResult:
        elapsed = (time.perf_counter() - started) * 1000
        return CallResult(method, url, None, "", None, b"", elapsed, short, detail or str(exc))

    def close(self) -> None:
        with self._lock:
            for pool in self._pools.values():
                pool.close()
            self._pools.clear()


def _origin(url: str) -> str:
    parts = parse_url(url)
    return f"{parts.scheme}://{parts.netloc}"


def _tls_detail(exc: SSLError) -> str:
    inner = exc.args[0] if exc.args else exc
    text = _reason(inner) if isinstance(inner, BaseException) else str(inner)
    if "CERTIFICATE_VERIFY_FAILED" in str(exc) or "certificate verify failed" in str(exc):
        verify = getattr(inner, "verify_message", None)
        text = f"the server's certificate is not trusted ({verify or text}); give its CA with --ca"
    return text
