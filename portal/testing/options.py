"""The plugin's command-line options and environment variables, and the run's shared state:
which harness to attach to, and the certificates folder of a harness started here."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class AttachOption:
    flag: str
    env: str
    help: str

    @property
    def dest(self) -> str:
        return self.flag.removeprefix("--").replace("-", "_")


ATTACH_OPTIONS = (
    AttachOption(
        "--tlsauth-url",
        "TLSAUTH_HARNESS_URL",
        "attach to the harness whose portal answers here instead of starting one",
    ),
    AttachOption(
        "--tlsauth-token",
        "TLSAUTH_HARNESS_TOKEN",
        "an ICANN staff API token of that harness (tlsauth token create EMAIL)",
    ),
    AttachOption(
        "--tlsauth-mosapi-url",
        "TLSAUTH_HARNESS_MOSAPI_URL",
        "its MoSAPI mock (default https://<portal host>:8443)",
    ),
    AttachOption(
        "--tlsauth-rri-url",
        "TLSAUTH_HARNESS_RRI_URL",
        "its RRI mock (default https://<portal host>:8444)",
    ),
    AttachOption(
        "--tlsauth-ca-file",
        "TLSAUTH_HARNESS_CA_FILE",
        "its certs/harness-ca.pem, which verifies the mocks",
    ),
)
# The environment variables the plugin reads (documented in docs/qa.md).
ENVIRONMENT = tuple(option.env for option in ATTACH_OPTIONS)

CERTS_KEY = pytest.StashKey[Path]()


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("tlsauth", "TLS client authentication harness")
    for option in ATTACH_OPTIONS:
        group.addoption(
            option.flag, dest=option.dest, default=None, help=f"{option.help} (${option.env})"
        )


def attach_settings(config: pytest.Config) -> dict[str, str]:
    """The attach options given, on the command line or else in the environment."""
    given = {}
    for option in ATTACH_OPTIONS:
        value = config.getoption(option.dest) or os.environ.get(option.env, "")
        if value:
            given[option.dest] = value
    return given


def certs_folder(config: pytest.Config) -> Path:
    """The certificates folder of the harness this run starts. Chosen on first use, which is
    before any fixture runs when a browser must trust the harness CA (playwright_fixtures);
    removed when the run ends."""
    if CERTS_KEY not in config.stash:
        config.stash[CERTS_KEY] = Path(tempfile.mkdtemp(prefix="tlsauth-certs-"))
    return config.stash[CERTS_KEY]
