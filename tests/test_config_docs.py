"""Every TLSAUTH_* setting the code reads is in portal.config.SETTINGS and in the README table."""

from __future__ import annotations

import re

from portal import config
from tests.conftest import ROOT


def test_settings_table_matches_code_and_readme():
    declared = {name for name, _default, _meaning in config.SETTINGS}
    source = "".join(p.read_text() for p in (ROOT / "portal").rglob("*.py"))
    source += "".join(p.read_text() for p in (ROOT / "mock_services").rglob("*.py"))
    read = set(re.findall(r'"(TLSAUTH_[A-Z_]+)"', source))
    assert read == declared, (sorted(read - declared), sorted(declared - read))
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `(TLSAUTH_[A-Z_]+)` \|", readme, re.M))
    assert documented == declared, (sorted(declared - documented), sorted(documented - declared))
