"""Every TLSAUTH_* setting the code reads is declared once in infra.config.SETTINGS, and the
README's table lists exactly those, with the same defaults."""

from __future__ import annotations

import re

import pytest

from infra import config
from portal.testing import options as plugin_options
from tests.helpers import ROOT

SOURCES = ("portal", "mock_services", "infra")


def _readme_rows() -> dict[str, str]:
    readme = (ROOT / "README.md").read_text()
    return dict(re.findall(r"^\| `(TLSAUTH_[A-Z_]+)` \| ([^|]*) \|", readme, re.M))


def test_settings_table_matches_code_and_readme():
    declared = {s.env for s in config.SETTINGS}
    source = "".join(p.read_text() for d in SOURCES for p in (ROOT / d).rglob("*.py"))
    read = set(re.findall(r'"(TLSAUTH_[A-Z_]+)"', source))
    # The pytest plugin's variables name a harness to attach to; they are no setting of it.
    plugin = set(plugin_options.ENVIRONMENT)
    assert not plugin & declared, sorted(plugin & declared)
    assert read == declared | plugin, (
        sorted(read - declared - plugin),
        sorted((declared | plugin) - read),
    )
    documented = _readme_rows()
    assert set(documented) == declared, (
        sorted(declared - set(documented)),
        sorted(set(documented) - declared),
    )


def test_the_plugin_variables_are_documented_with_their_options():
    qa = (ROOT / "docs" / "qa.md").read_text()
    for option in plugin_options.ATTACH_OPTIONS:
        assert f"`{option.flag}`" in qa and f"`{option.env}`" in qa, option


@pytest.mark.parametrize("item", config.SETTINGS, ids=lambda s: s.env)
def test_readme_default_is_the_code_default(item):
    shown = _readme_rows()[item.env].strip().replace("`", "")
    expected = item.shown_default or item.default
    if expected:
        assert expected in shown, (item.env, shown)
    else:
        assert shown == "*(none)*", (item.env, shown)


def test_defaults_apply_and_bad_values_are_refused(monkeypatch):
    for item in config.SETTINGS:
        monkeypatch.delenv(item.env, raising=False)
    monkeypatch.setenv("TLSAUTH_SECRET_KEY", "k")
    values = config.from_environment()
    assert values["MOSAPI_PORT"] == 8443
    assert values["EXPLAIN_HEADER"] is True
    assert values["MOCK_WORKERS"] == 1
    monkeypatch.setenv("TLSAUTH_MOCK_WORKERS", "0")
    assert config.from_environment()["MOCK_WORKERS"] == 1
    monkeypatch.setenv("TLSAUTH_DATABASE_URL", "postgresql://u@h/db")
    assert config.from_environment()["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
    monkeypatch.setenv("TLSAUTH_RRI_PORT", "eight")
    with pytest.raises(SystemExit, match="TLSAUTH_RRI_PORT must be a whole number"):
        config.from_environment()
    monkeypatch.setenv("TLSAUTH_RRI_PORT", "8444")
    monkeypatch.setenv("TLSAUTH_EXPLAIN_HEADER", "maybe")
    with pytest.raises(SystemExit, match="true or false"):
        config.from_environment()
