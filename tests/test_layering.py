"""The direction of dependencies is a contract (pyproject.toml, [tool.importlinter]) checked
by import-linter over the real import graph, imports inside functions included."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

PACKAGES = ("portal", "mock_services", "infra")
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def _lint(where: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache", "pyproject.toml"],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(where)},
    )


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The packages and the contracts, copied so a test can plant a wrong import."""
    target = tmp_path_factory.mktemp("layering")
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            target / package,
            ignore=shutil.ignore_patterns("__pycache__", "static", "templates", "data"),
        )
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")
    return target


def test_the_project_keeps_every_contract():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.lower().replace("0 broken", "")


def _plant(tree: Path, module: str, line: str) -> str:
    path = tree / module
    original = path.read_text()
    # Inside a function, where the old back-imports hid.
    path.write_text(original + f"\n\ndef _planted():\n    {line}\n")
    return original


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("portal/core/validation.py", "import flask", "core imports neither"),
        ("portal/core/roles.py", "from portal.models import Tld", "core imports neither"),
        ("portal/services/zone.py", "import mock_services.app", "services import neither"),
        ("portal/services/zone.py", "from flask import request", "services import neither"),
        ("mock_services/probe_nodes.py", "from portal.tlds import views", "mocks import no portal"),
        ("portal/api/tlds.py", "import mock_services.client_limits", "web app does not import"),
        ("infra/tls_listener.py", "import portal.cli", "CLI above web"),
    ],
)
def test_a_wrong_import_breaks_a_contract(tree_copy, module, line, contract):
    original = _plant(tree_copy, module, line)
    try:
        result = _lint(tree_copy)
    finally:
        (tree_copy / module).write_text(original)
    assert result.returncode != 0, result.stdout
    assert contract in result.stdout.split("Broken contracts")[-1], result.stdout


def test_a_cycle_between_siblings_breaks_the_acyclic_contract(tree_copy):
    original = _plant(
        tree_copy, "mock_services/policy_cache.py", "import mock_services.enforcement"
    )
    try:
        result = _lint(tree_copy)
    finally:
        (tree_copy / "mock_services/policy_cache.py").write_text(original)
    assert result.returncode != 0, result.stdout
    assert "no import cycle" in result.stdout.split("Broken contracts")[-1], result.stdout
