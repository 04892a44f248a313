"""The harness's pytest plugin (entry point `tlsauth` in the `pytest11` group).

Fixtures:
- `tlsauth_harness` (session): a harness started for the run (`tlsauth serve` on free loopback
  ports, its own SQLite database and certificates folder, test mode on), or the one named by
  `--tlsauth-url` (attach). Has portal_url, mosapi_url, rri_url, ca_file and token.
- `tlsauth_seed(document)`: applies a seed document (a dict, or a YAML/JSON file's path) over
  `POST /api/v1/harness/seed`; after the test the harness is reset unless the test is marked
  `@pytest.mark.tlsauth_keep`.
- `tlsauth_client_cert(domain, key_type="ec-p256", issuer="self", publish=True, days=30)`:
  a key and certificate made in the test process, its TLSA record published.
- with pytest-playwright: `tlsauth_signed_in_context(email, password)` and
  `tlsauth_mtls_context(cert)` (see playwright_fixtures.py).

Only the fixtures a test asks for do anything; a suite that uses none pays nothing.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .options import ATTACH_OPTIONS, CERTS_KEY, add_options, attach_settings, certs_folder

if TYPE_CHECKING:
    from .api import HarnessApi
    from .certificates import ClientCert
    from .harness import Harness

KEEP_MARKER = "tlsauth_keep"
LOG_SECTION = "tlsauth harness log"
LOG_LINES = 200  # of a failed test's share of the harness log, the last ones

_HARNESS_KEY = pytest.StashKey["Harness"]()
_LOG_OFFSET_KEY = pytest.StashKey[int]()


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{KEEP_MARKER}: keep what tlsauth_seed applied (no reset of the harness after the test)",
    )
    if config.pluginmanager.has_plugin("playwright"):
        from . import playwright_fixtures

        # Registered after pytest-playwright, so its fixtures can wrap that plugin's.
        config.pluginmanager.register(playwright_fixtures, "tlsauth-playwright")


def pytest_unconfigure(config: pytest.Config) -> None:
    if CERTS_KEY in config.stash:
        shutil.rmtree(config.stash[CERTS_KEY], ignore_errors=True)


# --------------------------------------------------------------------------- the harness


def _attach(settings: dict[str, str]) -> Harness:
    from .harness import attached

    missing = [
        f"{o.flag} (${o.env})"
        for o in ATTACH_OPTIONS
        if o.dest in ("tlsauth_token", "tlsauth_ca_file") and o.dest not in settings
    ]
    if missing:
        pytest.fail(
            f"Attaching to the harness at {settings['tlsauth_url']} also needs "
            + " and ".join(missing),
            pytrace=False,
        )
    return attached(
        settings["tlsauth_url"],
        settings["tlsauth_token"],
        Path(settings["tlsauth_ca_file"]),
        settings.get("tlsauth_mosapi_url"),
        settings.get("tlsauth_rri_url"),
    )


@pytest.fixture(scope="session")
def tlsauth_harness(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Harness]:
    """The harness of this test run: started here, or attached to with --tlsauth-url."""
    from .harness import HarnessError, started

    settings = attach_settings(pytestconfig)
    try:
        if "tlsauth_url" in settings:
            harness = _attach(settings)
            pytestconfig.stash[_HARNESS_KEY] = harness
            yield harness
            return
        folder = tmp_path_factory.mktemp("tlsauth-harness")
        with started(folder, certs_folder(pytestconfig)) as harness:
            pytestconfig.stash[_HARNESS_KEY] = harness
            yield harness
    except HarnessError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def tlsauth_api(tlsauth_harness: Harness) -> HarnessApi:
    """The portal's API with the harness's staff token (seed, reset, sign, publish)."""
    from .api import HarnessApi

    return HarnessApi(tlsauth_harness)


@pytest.fixture
def tlsauth_seed(
    request: pytest.FixtureRequest, tlsauth_api: HarnessApi
) -> Iterator[Callable[[Mapping[str, Any] | str | Path], dict[str, Any]]]:
    """`tlsauth_seed(document)`: apply a seed document (dict, or the path of a YAML or JSON
    file); answers the report. The harness is reset after the test unless it is marked
    `tlsauth_keep`. A refused document fails the test with each error's path."""
    applied = False

    def seed(document: Mapping[str, Any] | str | Path) -> dict[str, Any]:
        nonlocal applied
        report = tlsauth_api.seed(document)
        applied = True
        return report

    yield seed
    if applied and request.node.get_closest_marker(KEEP_MARKER) is None:
        tlsauth_api.reset()


@pytest.fixture
def tlsauth_client_cert(
    tlsauth_api: HarnessApi, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., ClientCert]:
    """`tlsauth_client_cert(domain, key_type="ec-p256", issuer="self", publish=True, days=30)`:
    a new key and clientAuth certificate written to a folder of the test (key 0600; PKCS#12
    too); with `publish` its 3 1 1 TLSA record is published in the harness zone. issuer
    "harness": the portal signs a CSR, so the key never leaves this process."""
    from .certificates import DEFAULT_DAYS, make_client_cert

    def make(
        domain_name: str,
        key_type: str = "ec-p256",
        issuer: str = "self",
        publish: bool = True,
        days: int = DEFAULT_DAYS,
    ) -> ClientCert:
        cert = make_client_cert(
            tmp_path_factory.mktemp("tlsauth-cert"),
            domain_name,
            key_type=key_type,
            issuer=issuer,
            days=days,
            sign_csr=tlsauth_api.sign_csr,
        )
        if publish:
            tlsauth_api.publish(cert.cert.read_text(), cert.domain_name)
        return cert

    return make


# --------------------------------------------------------------------------- the log


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failed test that used a harness started here shows what the harness logged while it
    ran (the last LOG_LINES lines)."""
    report = yield
    harness = item.config.stash.get(_HARNESS_KEY, None)
    log = harness.log if harness is not None else None
    if log is None or "tlsauth_harness" not in getattr(item, "fixturenames", ()):
        return report
    if call.when == "setup":
        item.stash[_LOG_OFFSET_KEY] = log.stat().st_size if log.exists() else 0
    elif report.failed and log.exists():
        with log.open("rb") as fh:
            fh.seek(item.stash.get(_LOG_OFFSET_KEY, 0))
            lines = fh.read().decode(errors="replace").splitlines()[-LOG_LINES:]
        report.sections.append((LOG_SECTION, "\n".join(lines) or "(nothing logged)"))
    return report
