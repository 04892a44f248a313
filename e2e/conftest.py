"""Playwright end-to-end fixtures: a live portal on a free loopback port, seeded through the
real `tlsauth` CLI (the Chromium comes from the harness's pytest plugin).

Every browser context is watched: a JavaScript error, a CSP violation or any other console
error fails the test that caused it (the portal must run under `script-src 'self';
style-src 'self'`, so an inline script or style shows up here).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import secrets
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Error, Page, expect

from portal.testing.harness import free_port, tlsauth_command

ROOT = Path(__file__).resolve().parent.parent
GTLDS_CSV = ROOT / "portal" / "data" / "gtlds.csv"
START_TIMEOUT = 20.0
STOP_TIMEOUT = 15.0

PASSWORD = "e2e correct horse battery"
ICANN_ORG = "ICANN"
ICANN_USER = "staff@icann.e2e.example"
OPERATOR_ORG = "Phonetic Registry Ltd"
OPERATOR_USER = "ops@phonetic.e2e.example"
# TLDs of the operator; not in gtlds.csv. Each test works on its own TLD so they stay
# independent of each other's order.
OPERATOR_TLDS = (
    "alpha",
    "bravo",
    "charlie",
    "echo",
    "foxtrot",
    "juliett",
    "hotel",
    "india",
    "kilo",
)

# Chrome reports every 4xx/5xx answer as a console error. These statuses are answers the
# portal gives on purpose (wrong password, validation, edit conflict); anything else fails.
EXPECTED_HTTP_ERRORS = re.compile(
    r"^Failed to load resource: the server responded with a status of (401|409|422)\b"
)

expect.set_options(timeout=10_000)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.e2e)


# --------------------------------------------------------------------------- live portal


@dataclass(frozen=True)
class Portal:
    url: str
    instance_dir: Path
    log: Path
    env: dict[str, str]


def _portal_env(instance: Path) -> dict[str, str]:
    """Only this run's settings: any TLSAUTH_* of the caller's shell is left out. The mocks'
    ports are chosen now, so the portal (test connection) and the mocks agree on them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TLSAUTH_")}
    env.update(
        TLSAUTH_MOSAPI_PORT=str(free_port()),
        TLSAUTH_RRI_PORT=str(free_port()),
        TLSAUTH_MOCK_HOST="127.0.0.1",
        TLSAUTH_INSTANCE_DIR=str(instance),
        TLSAUTH_DATABASE_URL=f"sqlite:///{instance / 'e2e.sqlite3'}",
        TLSAUTH_CERTS_DIR=str(instance / "certs"),
        TLSAUTH_SECRET_KEY=secrets.token_hex(32),
        TLSAUTH_PORTAL_HOST="127.0.0.1",
        TLSAUTH_SESSION_COOKIE_SECURE="false",
        TLSAUTH_THREADS="8",
        PYTHONUNBUFFERED="1",
        # The working tree's portal, whatever the current directory.
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    return env


def _cli(env: dict[str, str], *commands: tuple[list[str], str | None]) -> None:
    """Run `tlsauth` commands (arguments, standard input) side by side; all must succeed."""
    running = [
        (
            args,
            stdin,
            subprocess.Popen(
                [*tlsauth_command(), *args],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=env["TLSAUTH_INSTANCE_DIR"],  # nothing lands in the working tree
                text=True,
            ),
        )
        for args, stdin in commands
    ]
    failures = []
    for args, stdin, proc in running:
        try:
            output, _ = proc.communicate(stdin or "", timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
        if proc.returncode != 0:
            failures.append(f"tlsauth {' '.join(args)} failed ({proc.returncode}):\n{output}")
    if failures:
        raise RuntimeError("\n".join(failures))


def _seed(env: dict[str, str], instance: Path) -> None:
    """Through the real CLI; independent commands side by side (SQLite waits for its lock)."""
    # The real gTLDs (~1,200: the ICANN user's list has many pages) and the operator's own.
    gtlds = instance / "gtlds.csv"
    gtlds.write_text(
        GTLDS_CSV.read_text(encoding="utf-8").rstrip("\n")
        + "".join(f"\n{tld},{OPERATOR_ORG},generic" for tld in OPERATOR_TLDS[1:])
        + "\n",
        encoding="utf-8",
    )
    _cli(env, (["db", "upgrade"], None))
    _cli(
        env,
        (["org", "create", ICANN_ORG, "--kind", "icann"], None),
        (["org", "create", OPERATOR_ORG, "--kind", "registry-operator"], None),
    )
    _cli(
        env,
        (["tld", "import-gtlds", str(gtlds)], None),
        (["tld", "add", OPERATOR_TLDS[0], "--operator", OPERATOR_ORG], None),
        (["user", "create", ICANN_USER, "--org", ICANN_ORG], PASSWORD + "\n"),
        (["user", "create", OPERATOR_USER, "--org", OPERATOR_ORG], PASSWORD + "\n"),
    )


def _wait_until_up(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"the portal exited with {proc.returncode}:\n{log.read_text(errors='replace')}"
            )
        try:
            with urllib.request.urlopen(url + "/login", timeout=2) as resp:  # noqa: S310
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError) as exc:
            last = exc
        time.sleep(0.1)
    raise RuntimeError(
        f"the portal did not answer on {url} within {START_TIMEOUT:.0f} s ({last}):\n"
        f"{log.read_text(errors='replace')}"
    )


def _stop(proc: subprocess.Popen[bytes], log: Path, *, check: bool = True) -> None:
    """SIGTERM, as a service manager would; the portal must leave within STOP_TIMEOUT."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
        if check:
            raise RuntimeError(
                f"the portal did not stop within {STOP_TIMEOUT:.0f} s of SIGTERM:\n"
                f"{log.read_text(errors='replace')}"
            ) from None


@pytest.fixture(scope="session")
def live_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """A seeded portal on a free loopback port, served by `tlsauth serve` (cheroot)."""
    instance = tmp_path_factory.mktemp("e2e-instance")
    env = _portal_env(instance)
    _seed(env, instance)
    log = instance / "portal.log"
    for _attempt in range(3):  # the free port may be taken between probe and bind
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [
                    *tlsauth_command(),
                    "serve",
                    "portal",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                ],
                env=env,
                cwd=instance,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            _wait_until_up(proc, url, log)
        except RuntimeError:
            _stop(proc, log, check=False)
            if "address already in use" in log.read_text(errors="replace").lower():
                continue
            raise
        break
    else:
        raise RuntimeError(f"no free port for the portal:\n{log.read_text(errors='replace')}")
    try:
        yield Portal(url, instance, log, env)
    finally:
        _stop(proc, log)


@dataclass(frozen=True)
class Mocks:
    mosapi: str  # https://127.0.0.1:<port>
    rri: str
    ca: Path  # the harness CA clients trust


def _wait_for_port(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"a mock exited with {proc.returncode}:\n{log.read_text()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"a mock did not listen on {port}:\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="session")
def live_mocks(live_portal: Portal) -> Iterator[Mocks]:
    """Both mocks (`tlsauth serve mosapi|rri`) on the ports the portal was told, sharing its
    database and harness CA."""
    env = live_portal.env
    started: list[tuple[subprocess.Popen[bytes], Path]] = []
    try:
        for system in ("mosapi", "rri"):
            log = live_portal.instance_dir / f"{system}.log"
            with log.open("wb") as out:
                proc = subprocess.Popen(
                    [*tlsauth_command(), "serve", system],
                    env=env,
                    cwd=live_portal.instance_dir,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            started.append((proc, log))
            _wait_for_port(proc, int(env[f"TLSAUTH_{system.upper()}_PORT"]), log)
        yield Mocks(
            f"https://127.0.0.1:{env['TLSAUTH_MOSAPI_PORT']}",
            f"https://127.0.0.1:{env['TLSAUTH_RRI_PORT']}",
            Path(env["TLSAUTH_CERTS_DIR"]) / "harness-ca.pem",
        )
    finally:
        for proc, log in started:
            _stop(proc, log)


def tlsauth(portal: Portal, *args: str, stdin: str | None = None) -> None:
    """Run one `tlsauth` command against the live portal's database."""
    _cli(portal.env, ([*args], stdin))


@pytest.fixture(scope="session")
def base_url(live_portal: Portal) -> str:
    """pytest-playwright gives it to every context: page.goto("/tlds") works."""
    return live_portal.url


# --------------------------------------------------------------------------- browser
# The Chromium: the harness's pytest plugin (portal/testing/playwright_fixtures.py) launches
# Playwright's own build, or the OS one when that is absent.


# --------------------------------------------------------------------------- console watch


@dataclass
class ConsoleWatch:
    problems: list[str] = field(default_factory=list)

    def on_console(self, msg: ConsoleMessage) -> None:
        if msg.type not in ("error", "assert"):
            return
        text = msg.text
        where = (msg.location or {}).get("url") or (msg.page.url if msg.page else "?")
        if EXPECTED_HTTP_ERRORS.match(text) or (
            where.endswith("/favicon.ico") and text.startswith("Failed to load resource")
        ):
            return  # the browser's own favicon probe: the portal declares no icon
        kind = "CSP violation" if "Content Security Policy" in text else f"console.{msg.type}"
        self.problems.append(f"{kind} at {where}: {text}")

    def on_page_error(self, error: Error) -> None:
        self.problems.append(f"JavaScript error: {error.message}\n{error.stack or ''}")

    def watch(self, context: BrowserContext) -> None:
        context.on("console", self.on_console)
        context.on("weberror", lambda web_error: self.on_page_error(web_error.error))


@pytest.fixture
def console_watch() -> ConsoleWatch:
    return ConsoleWatch()


@pytest.fixture
def new_context(
    new_context: Callable[..., BrowserContext], console_watch: ConsoleWatch
) -> Iterator[Callable[..., BrowserContext]]:
    """pytest-playwright's factory (so `context` and `page` use it too), every context watched;
    the test fails at teardown if any page logged a JS error or a CSP violation."""

    def make(**kwargs: Any) -> BrowserContext:
        context = new_context(**kwargs)
        context.set_default_timeout(10_000)
        console_watch.watch(context)
        return context

    yield make
    assert not console_watch.problems, "the browser reported:\n" + "\n".join(console_watch.problems)


# --------------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class Account:
    email: str
    password: str = PASSWORD


ICANN = Account(ICANN_USER)
OPERATOR = Account(OPERATOR_USER)


def login(page: Page, account: Account) -> None:
    """Sign in through the form, as a person would."""
    page.goto("/login")
    page.get_by_label("Email").fill(account.email)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/tlds$"))
    expect(page.get_by_test_id("whoami")).to_contain_text(account.email)


def htmx_settled(page: Page) -> None:
    """Wait until HTMX has no request in flight and has settled what it swapped in: only then
    are the new content's own triggers listening (a field filled earlier fires no request)."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )


def call_mock(mocks: Mocks, url: str, path: str, source: str, cert: Path | None) -> int:
    """GET `path` from one of the live mocks over mutual TLS from `source`, as a registry's
    client would (`cert` beside its `.key`; None: no client certificate); the status."""
    context = ssl.create_default_context(cafile=str(mocks.ca))
    if cert is not None:
        context.load_cert_chain(cert, cert.with_suffix(".key"))
    conn = http.client.HTTPSConnection(
        "localhost",
        int(url.rsplit(":", 1)[1]),
        context=context,
        timeout=10,
        source_address=(source, 0),
    )
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()
