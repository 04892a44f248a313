"""A harness for a test run: started here (`tlsauth serve` in a subprocess on free loopback
ports, with a database and certificates folder of its own) or one already running (attach).

Either way the caller gets a `Harness`: where the portal and the mocks answer, the CA file
that verifies the mocks, and an ICANN staff API token for the seed and reset endpoints.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import portal
from infra.harness_pki import CA_FILE

START_TIMEOUT = 30.0  # from `tlsauth serve` to all three ports answering
ATTACH_TIMEOUT = 60.0  # a harness started in the background may still be starting
STOP_TIMEOUT = 15.0  # SIGTERM to exit; then it is killed
COMMAND_TIMEOUT = 120.0
START_ATTEMPTS = 3  # a free port may be taken between choosing it and binding it
# Who drives the seed and reset endpoints of a started harness: created through the CLI.
STAFF_ORGANISATION = "ICANN"
STAFF_EMAIL = "pytest@icann.invalid"


class HarnessError(RuntimeError):
    """The harness could not be started, reached or stopped; the message says why."""


@dataclass(frozen=True)
class Harness:
    """A running harness as a test sees it."""

    portal_url: str  # http://127.0.0.1:<port>
    mosapi_url: str  # https://127.0.0.1:<port>
    rri_url: str
    ca_file: Path  # verifies the mocks' server certificates
    token: str  # an ICANN staff API token
    folder: Path | None = None  # instance folder of a harness started here; None when attached
    staff_email: str | None = None  # the token's user, on a harness started here
    staff_password: str | None = None

    @property
    def started_here(self) -> bool:
        return self.folder is not None

    @property
    def log(self) -> Path | None:
        """What `tlsauth serve` printed, for a harness started here."""
        return self.folder / "harness.log" if self.folder else None


# --------------------------------------------------------------------------- started here


def tlsauth_command() -> list[str]:
    """The `tlsauth` script beside this interpreter, or the CLI through the interpreter."""
    script = Path(sys.executable).with_name("tlsauth")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from portal.cli import main; main()"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _environment(folder: Path, certs: Path) -> dict[str, str]:
    """Only this harness's settings: the caller's TLSAUTH_* variables are left out, so a
    developer's shell cannot point the run at their own database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TLSAUTH_")}
    package_root = str(Path(portal.__file__).resolve().parent.parent)
    env.update(
        TLSAUTH_INSTANCE_DIR=str(folder),
        TLSAUTH_DATABASE_URL=f"sqlite:///{folder / 'harness.sqlite3'}",
        TLSAUTH_CERTS_DIR=str(certs),
        TLSAUTH_SECRET_KEY=secrets.token_hex(32),
        TLSAUTH_TEST_MODE="true",
        TLSAUTH_PORTAL_HOST="127.0.0.1",
        TLSAUTH_MOCK_HOST="127.0.0.1",
        TLSAUTH_SESSION_COOKIE_SECURE="false",
        TLSAUTH_THREADS="8",
        TLSAUTH_MOCK_THREADS="16",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])),
    )
    return env


def _run(env: dict[str, str], *args: str, stdin: str = "") -> str:
    """One `tlsauth` command; its output, or HarnessError with it."""
    try:
        done = subprocess.run(  # noqa: S603 - our own CLI, arguments from this module
            [*tlsauth_command(), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            cwd=env["TLSAUTH_INSTANCE_DIR"],
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise HarnessError(f"tlsauth {' '.join(args)} took over {COMMAND_TIMEOUT:.0f} s") from exc
    if done.returncode != 0:
        raise HarnessError(
            f"tlsauth {' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
        )
    return done.stdout


def _bootstrap(env: dict[str, str], password: str) -> str:
    """The database, an ICANN organisation, its staff user and an API token (printed once)."""
    _run(env, "db", "upgrade")
    _run(env, "org", "create", STAFF_ORGANISATION, "--kind", "icann")
    _run(env, "user", "create", STAFF_EMAIL, "--org", STAFF_ORGANISATION, stdin=password + "\n")
    return _run(env, "token", "create", STAFF_EMAIL, "--name", "pytest").strip()


def _log_text(log: Path) -> str:
    return log.read_text(errors="replace") if log.exists() else "(no output)"


def stop(proc: subprocess.Popen[bytes], log: Path) -> None:
    """SIGTERM, as a service manager would; killed if still running after STOP_TIMEOUT."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
        raise HarnessError(
            f"the harness did not stop within {STOP_TIMEOUT:.0f} s of SIGTERM and was killed:\n"
            f"{_log_text(log)}"
        ) from None


@contextlib.contextmanager
def started(folder: Path, certs: Path | None = None) -> Iterator[Harness]:
    """`tlsauth serve` (portal and both mocks) on free loopback ports, with its database and
    log in `folder` and its CA in `certs` (default: folder/certs; made on start unless there);
    stopped when the block ends."""
    folder.mkdir(parents=True, exist_ok=True)
    certs = certs or folder / "certs"
    env = _environment(folder, certs)
    password = secrets.token_urlsafe(18)
    token = _bootstrap(env, password)
    log = folder / "harness.log"
    for _attempt in range(START_ATTEMPTS):
        ports = {name: free_port() for name in ("PORTAL", "MOSAPI", "RRI")}
        env.update({f"TLSAUTH_{name}_PORT": str(port) for name, port in ports.items()})
        harness = Harness(
            portal_url=f"http://127.0.0.1:{ports['PORTAL']}",
            mosapi_url=f"https://127.0.0.1:{ports['MOSAPI']}",
            rri_url=f"https://127.0.0.1:{ports['RRI']}",
            ca_file=certs / CA_FILE,
            token=token,
            folder=folder,
            staff_email=STAFF_EMAIL,
            staff_password=password,
        )
        with log.open("ab") as out:
            proc = subprocess.Popen(  # noqa: S603 - our own CLI
                [*tlsauth_command(), "serve"],
                env=env,
                cwd=folder,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_until_ready(harness, START_TIMEOUT, proc)
        except HarnessError:
            with contextlib.suppress(HarnessError):
                stop(proc, log)
            if "address already in use" in _log_text(log).lower():
                continue
            raise
        break
    else:
        raise HarnessError(f"no free ports for the harness:\n{_log_text(log)}")
    try:
        yield harness
    finally:
        stop(proc, log)


# --------------------------------------------------------------------------- readiness


def _answers(url: str, context: ssl.SSLContext | None) -> bool:
    """Whether an HTTP server answers at `url` (any status is an answer)."""
    try:
        with urllib.request.urlopen(url, timeout=2, context=context):  # noqa: S310 - http(s) only
            return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError, ssl.SSLError):
        return False


def wait_until_ready(
    harness: Harness, timeout: float, proc: subprocess.Popen[bytes] | None = None
) -> None:
    """Until the portal and both mocks answer over HTTP(S), the mocks verified with the CA file;
    HarnessError when `timeout` passes first or the process exits."""
    deadline = time.monotonic() + timeout
    waiting = ["portal", "MoSAPI mock", "RRI mock"]
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise HarnessError(
                f"the harness exited with {proc.returncode} while starting:\n{_ready_log(harness)}"
            )
        waiting = [name for name in waiting if not _ready(harness, name)]
        if not waiting:
            return
        time.sleep(0.1)
    raise HarnessError(
        f"the {' and the '.join(waiting)} did not answer within {timeout:.0f} s "
        f"(portal {harness.portal_url}, MoSAPI {harness.mosapi_url}, RRI {harness.rri_url}, "
        f"CA file {harness.ca_file}):\n{_ready_log(harness)}"
    )


def _ready(harness: Harness, server: str) -> bool:
    if server == "portal":
        return _answers(harness.portal_url + "/login", None)
    context = _mock_context(harness.ca_file)
    url = harness.mosapi_url if server == "MoSAPI mock" else harness.rri_url
    return context is not None and _answers(url, context)


def _ready_log(harness: Harness) -> str:
    return _log_text(harness.log) if harness.log else "(attached: no log here)"


def wait_for_file(path: Path, timeout: float) -> bool:
    """Whether `path` exists within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not path.is_file():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def _mock_context(ca_file: Path) -> ssl.SSLContext | None:
    """A client context trusting the harness CA; None until the CA file exists."""
    try:
        return ssl.create_default_context(cafile=str(ca_file))
    except (FileNotFoundError, ssl.SSLError):
        return None


# --------------------------------------------------------------------------- attached


def attached(
    portal_url: str,
    token: str,
    ca_file: Path,
    mosapi_url: str | None = None,
    rri_url: str | None = None,
    timeout: float = ATTACH_TIMEOUT,
) -> Harness:
    """A harness running elsewhere (e.g. started in the background by CI). The mocks default to
    the portal's host on the default ports 8443 and 8444. Waits until all three answer."""
    host = portal_url.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]
    harness = Harness(
        portal_url=portal_url.rstrip("/"),
        mosapi_url=(mosapi_url or f"https://{host}:8443").rstrip("/"),
        rri_url=(rri_url or f"https://{host}:8444").rstrip("/"),
        ca_file=ca_file,
        token=token,
    )
    if not ca_file.is_file():
        raise HarnessError(
            f"no CA file at {ca_file}: give the harness's certs/{CA_FILE} "
            "(--tlsauth-ca-file or TLSAUTH_HARNESS_CA_FILE)"
        )
    wait_until_ready(harness, timeout)
    return harness
