"""The plugin's Playwright fixtures, registered only where pytest-playwright is active.

- `tlsauth_signed_in_context(email, password)`: a BrowserContext on the harness's portal
  (base_url set) signed in through the sign-in form, as a person would.
- `tlsauth_mtls_context(cert)`: a BrowserContext whose `client_certificates` present `cert`
  (a `tlsauth_client_cert`) to both mocks.
- `browser_type_launch_args`: pytest-playwright's, pointed at the OS Chromium when
  Playwright's own build is missing.

Playwright checks the mocks' server certificate in its driver (Node), which reads extra CAs
from NODE_EXTRA_CA_CERTS once, when it starts. So before any fixture runs, a run whose tests
ask for the mTLS context gets the harness CA in that variable: made ahead into the
certificates folder of the harness the run starts, or the attached harness's CA file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .browser import NoChromium, launch_args
from .options import attach_settings, certs_folder

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, BrowserType

    from .certificates import ClientCert
    from .harness import Harness

MTLS_FIXTURE = "tlsauth_mtls_context"
EXTRA_CA_VARIABLE = "NODE_EXTRA_CA_CERTS"
SIGN_IN_TIMEOUT_MS = 15_000


class SignInFailed(AssertionError):
    """The portal did not sign the user in; the message has what the page said."""


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any], browser_type: BrowserType
) -> dict[str, Any]:
    name, executable = browser_type.name, browser_type.executable_path
    try:
        return launch_args(browser_type_launch_args, name, executable)
    except NoChromium as exc:
        pytest.fail(str(exc), pytrace=False)


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if any(MTLS_FIXTURE in getattr(item, "fixturenames", ()) for item in items):
        trust_harness_ca(config)


def trust_harness_ca(config: pytest.Config) -> None:
    """Put the harness CA in NODE_EXTRA_CA_CERTS (beside a bundle already named there)."""
    settings = attach_settings(config)
    if "tlsauth_url" in settings:
        from .harness import ATTACH_TIMEOUT, wait_for_file

        if "tlsauth_ca_file" not in settings:
            return  # the harness fixture says what is missing
        ca = Path(settings["tlsauth_ca_file"]).resolve()
        # A harness started just before the run makes its CA as it starts.
        if not wait_for_file(ca, ATTACH_TIMEOUT):
            return  # the harness fixture says so
    else:
        from infra.harness_pki import ensure_material

        ca = ensure_material(certs_folder(config)).ca_cert
    current = os.environ.get(EXTRA_CA_VARIABLE, "")
    if current and Path(current).is_file() and Path(current) != ca:
        bundle = certs_folder(config) / "node-extra-ca.pem"
        bundle.write_bytes(Path(current).read_bytes() + b"\n" + ca.read_bytes())
        ca = bundle
    os.environ[EXTRA_CA_VARIABLE] = str(ca)


class _Contexts:
    """The contexts a fixture made, closed after the test."""

    def __init__(self) -> None:
        self.made: list[BrowserContext] = []

    def add(self, context: BrowserContext) -> BrowserContext:
        self.made.append(context)
        return context

    def close(self) -> None:
        for context in self.made:
            context.close()


def _new_context(
    browser: Browser, browser_context_args: dict[str, Any], harness: Harness, **kwargs: Any
) -> BrowserContext:
    """A context with pytest-playwright's arguments, on the harness's portal."""
    return browser.new_context(**{**browser_context_args, "base_url": harness.portal_url, **kwargs})


@pytest.fixture
def tlsauth_signed_in_context(
    tlsauth_harness: Harness, browser: Browser, browser_context_args: dict[str, Any]
) -> Iterator[Callable[..., BrowserContext]]:
    """`tlsauth_signed_in_context(email, password, **context_options)`: a context signed in
    to the portal (page.goto("/tlds") works); SignInFailed when the portal refuses."""
    contexts = _Contexts()

    def make(email: str, password: str, **kwargs: Any) -> BrowserContext:
        context = contexts.add(
            _new_context(browser, browser_context_args, tlsauth_harness, **kwargs)
        )
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        with page.expect_navigation(timeout=SIGN_IN_TIMEOUT_MS):
            page.get_by_role("button", name="Sign in").click()
        if page.url.split("?", 1)[0].rstrip("/").endswith("/login"):
            said = " ".join(page.get_by_role("alert").all_inner_texts()) or "no reason shown"
            raise SignInFailed(f"The portal did not sign in {email}: {said}")
        page.close()
        return context

    yield make
    contexts.close()


@pytest.fixture
def tlsauth_mtls_context(
    tlsauth_harness: Harness, browser: Browser, browser_context_args: dict[str, Any]
) -> Iterator[Callable[..., BrowserContext]]:
    """`tlsauth_mtls_context(cert, **context_options)`: a context that presents `cert` to the
    MoSAPI and RRI mocks (page.goto(harness.mosapi_url + "/ry/<tld>/...") or
    context.request)."""
    contexts = _Contexts()

    def make(cert: ClientCert, **kwargs: Any) -> BrowserContext:
        origins = (tlsauth_harness.mosapi_url, tlsauth_harness.rri_url)
        return contexts.add(
            _new_context(
                browser,
                browser_context_args,
                tlsauth_harness,
                client_certificates=[cert.playwright(origin) for origin in origins],
                **kwargs,
            )
        )

    yield make
    contexts.close()
