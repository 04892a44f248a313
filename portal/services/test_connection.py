"""One real mTLS call to a mock, made on a user's behalf: what was answered, the decision the
mock logged, how long it took, and the curl command that makes the same call.

The client's key reaches the TLS library through an anonymous in-memory file (memfd) that is
closed as soon as the context has loaded it; where memfd is missing, through a file in a private
(0700) temporary folder removed at once. It is never stored or logged.
"""

from __future__ import annotations

import errno
import http.client
import ipaddress
import os
import shlex
import socket
import ssl
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.reasons import HeaderVerdict, parse_decision_header
from ..models import DecisionLogRow
from .client_credentials import ClientCredential

DEFAULT_TIMEOUT = 5.0  # seconds for the whole call
BODY_START_BYTES = 2048
SYSTEM_LABELS = {"mosapi": "MoSAPI", "rri": "RRI"}
# Answer headers worth showing a tester (the rest is transport detail).
HEADERS_SHOWN = (
    "Content-Type",
    "Content-Length",
    "X-TLSAuth-Decision",
    "WWW-Authenticate",
    "Retry-After",
    "Allow",
    "Location",
)
_WITH_BODY = ("POST", "PUT", "PATCH")


@dataclass(frozen=True)
class Target:
    """Where a call goes: a mock's address and port, the method and path, the source address."""

    system: str  # mosapi | rri
    host: str  # the address connected to
    port: int
    method: str
    path: str
    source: str | None = None

    @property
    def mock(self) -> str:
        return f"the {SYSTEM_LABELS.get(self.system, self.system)} mock at {self.authority}"

    @property
    def label(self) -> str:
        return self.mock[0].upper() + self.mock[1:]

    @property
    def authority(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def url(self) -> str:
        return f"https://{self.authority}{self.path}"


@dataclass(frozen=True)
class CallResult:
    target: Target
    elapsed_ms: float
    curl: str
    status: int | None = None
    reason: str = ""
    body_start: str = ""
    body_truncated: bool = False
    headers: tuple[tuple[str, str], ...] = ()
    verdict: HeaderVerdict | None = None
    error: str | None = None  # why no answer came: refused, timed out, TLS failure

    @property
    def answered(self) -> bool:
        return self.error is None


def _family(address: str) -> int:
    return ipaddress.ip_address(address).version


def _wildcard(host: str) -> int | None:
    """The address family of a listen-on-all address ("" counts as IPv4), else None."""
    if host == "":
        return 4
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    return address.version if address.is_unspecified else None


def connect_host(mock_host: str, source: str | None) -> str | None:
    """The mock's address to connect to from `source` (None: the source's address family cannot
    reach where the mocks listen). A listen-on-all address is reached over loopback; an IPv6 one
    also takes IPv4 (dual stack)."""
    wildcard = _wildcard(mock_host)
    family = _family(source) if source else None
    if wildcard == 4:
        return "127.0.0.1" if family in (None, 4) else None
    if wildcard == 6:
        return "::1" if family == 6 else "127.0.0.1"
    if family is None:
        return mock_host
    try:
        return mock_host if _family(mock_host) == family else None
    except ValueError:  # a host name: the resolver picks the family
        return mock_host


def reachable_sources(mock_host: str, addresses: Sequence[str]) -> list[str]:
    return [a for a in addresses if connect_host(mock_host, a) is not None]


def curl_command(
    target: Target,
    ca_file: str,
    cert_file: str = "client.pem",
    key_file: str = "client.key",
    key_passphrase: bool = False,
) -> str:
    """The curl command that makes the same call (`-i` shows the decision header)."""
    parts = ["curl", "-i", "--cacert", ca_file, "--cert", cert_file, "--key", key_file]
    if key_passphrase:
        parts += ["--pass", "$KEY_PASSPHRASE"]
    if target.source:
        parts += ["--interface", target.source]
    if target.method != "GET":
        parts += ["-X", target.method]
    if target.method in _WITH_BODY:
        parts += ["-H", "Content-Length: 0"]
    if ":" in target.host:
        parts.append("-g")  # the brackets of an IPv6 address are no URL glob
    quoted = [shlex.quote(p) for p in parts]
    if key_passphrase:  # the variable must expand: the passphrase is never shown
        quoted[quoted.index(shlex.quote("$KEY_PASSPHRASE"))] = '"$KEY_PASSPHRASE"'
    return " ".join([*quoted, shlex.quote(target.url)])


@contextmanager
def _in_memory_file(data: bytes) -> Iterator[str]:
    """A path that reads `data`: an anonymous memory file, or a private temporary file."""
    if hasattr(os, "memfd_create") and os.path.isdir("/proc/self/fd"):
        fd = os.memfd_create("tlsauth-client", os.MFD_CLOEXEC)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            yield f"/proc/self/fd/{fd}"
        finally:
            os.close(fd)
        return
    with tempfile.TemporaryDirectory(prefix="tlsauth-call-") as folder:  # created 0700
        path = os.path.join(folder, "client.pem")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        yield path


def client_context(ca_file: Path, credential: ClientCredential) -> ssl.SSLContext:
    """TLS 1.2+ trusting the harness CA, presenting the credential."""
    context = ssl.create_default_context(cafile=str(ca_file))
    with _in_memory_file(credential.pem_bundle()) as path:
        context.load_cert_chain(path)
    return context


class _Connection(http.client.HTTPSConnection):
    """An HTTPS connection whose connect and handshake share one deadline."""

    def __init__(self, target: Target, context: ssl.SSLContext, deadline: float) -> None:
        super().__init__(target.host, target.port, context=context)
        self.target = target
        self.deadline = deadline
        self.tls_context = context

    def remaining(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline passed")
        return left

    def connect(self) -> None:
        source = (self.target.source, 0) if self.target.source else None
        sock = socket.create_connection((self.host, self.port), self.remaining(), source)
        try:
            sock.settimeout(self.remaining())
            self.sock = self.tls_context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise

    def tick(self) -> None:
        if self.sock is not None:
            self.sock.settimeout(self.remaining())


def _failure(exc: BaseException, target: Target, timeout: float, ca_file: Path) -> str:
    label = target.label
    if isinstance(exc, TimeoutError):
        return f"{label} did not answer within {timeout:g} s. Is `tlsauth serve` running?"
    if isinstance(exc, ConnectionRefusedError):
        return f"{label} refused the connection: nothing listens there. Is `tlsauth serve` running?"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            f"{label} presented a server certificate that the harness CA ({ca_file}) does not "
            f"vouch for ({exc.verify_message}). Do the portal and the mocks use the same "
            "certificates folder?"
        )
    if isinstance(exc, ssl.SSLError):
        return f"The TLS handshake with {target.mock} failed ({exc.reason or exc})."
    if isinstance(exc, http.client.HTTPException | ConnectionError):
        return f"{label} closed the connection without an answer ({type(exc).__name__})."
    if isinstance(exc, OSError) and exc.errno == errno.EADDRNOTAVAIL and target.source:
        return f"This host cannot send from {target.source} ({exc.strerror})."
    if isinstance(exc, OSError):
        return f"{label} could not be reached ({exc.strerror or exc})."
    raise exc


def call(
    target: Target,
    credential: ClientCredential,
    ca_file: Path,
    timeout: float = DEFAULT_TIMEOUT,
    curl: str = "",
) -> CallResult:
    """Make the call; a refusal, a timeout or a TLS failure is a result with `error` set.
    PUT and POST are sent with an empty body: the decision still shows, and the status is
    the mock's answer to an empty upload."""
    started = time.perf_counter()
    deadline = time.monotonic() + timeout

    def elapsed() -> float:
        return round((time.perf_counter() - started) * 1000, 1)

    try:
        context = client_context(ca_file, credential)
    except FileNotFoundError:
        return CallResult(
            target,
            elapsed(),
            curl,
            error=f"The harness CA ({ca_file}) is missing; `tlsauth serve` creates it.",
        )
    except ssl.SSLError as exc:
        return CallResult(
            target, elapsed(), curl, error=f"The TLS library refused the credential ({exc.reason})."
        )
    conn = _Connection(target, context, deadline)
    try:
        conn.connect()
        conn.tick()
        conn.request(target.method, target.path, body=None, headers={"Accept": "*/*"})
        conn.tick()
        response = conn.getresponse()
        conn.tick()
        data = response.read(BODY_START_BYTES + 1)
    except (OSError, http.client.HTTPException) as exc:
        return CallResult(target, elapsed(), curl, error=_failure(exc, target, timeout, ca_file))
    finally:
        conn.close()
    wanted = {h.lower() for h in HEADERS_SHOWN}
    headers = tuple((k, v) for k, v in response.getheaders() if k.lower() in wanted)
    return CallResult(
        target,
        elapsed(),
        curl,
        status=response.status,
        reason=response.reason,
        body_start=data[:BODY_START_BYTES].decode("utf-8", "replace"),
        body_truncated=len(data) > BODY_START_BYTES,
        headers=headers,
        verdict=parse_decision_header(response.getheader("X-TLSAuth-Decision")),
    )


def logged_decision(session: Session, tld: str, decision_id: int | None) -> DecisionLogRow | None:
    """The decision a call's header names, when the mock logged it for this TLD."""
    if decision_id is None:
        return None
    return session.scalars(
        select(DecisionLogRow).where(DecisionLogRow.id == decision_id, DecisionLogRow.tld == tld)
    ).first()
