"""docs/qa.md works as written: its files (each code block under a `<!-- file: PATH -->`
line) are a test suite that passes with the plugin starting a harness, and the CI job's steps
start a harness in the background and run that suite against it."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from portal.testing.harness import STOP_TIMEOUT, free_port
from tests.helpers import ROOT

pytest_plugins = ["pytester"]

QA = ROOT / "docs" / "qa.md"
FILE_BLOCK = re.compile(r"^<!-- file: (\S+) -->\n```[a-z]*\n(.*?)^```$", re.M | re.S)
WORKFLOW = ".github/workflows/qa.yml"
SUITE_FILES = {
    "tests/seed.yaml",
    "tests/registry-functions-activity-2025-01.csv",
    "tests/test_monthly_report.py",
    "tests/test_portal_page.py",
}
SUITE_TESTS = 4
RUN_TIMEOUT = 420
# The steps a runner of ours can take: the others fetch (actions, packages, browsers), which
# this machine has done already.
SKIPPED_STEP = re.compile(r"^Install\b")
DEFAULT_PORTS = ("5000", "8443", "8444")


def doc_files() -> dict[str, str]:
    return dict(FILE_BLOCK.findall(QA.read_text()))


def write_suite(folder: Path) -> None:
    for name, text in doc_files().items():
        if name in SUITE_FILES:
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)


def test_the_doc_holds_the_tutorial_and_the_ci_job():
    assert set(doc_files()) == SUITE_FILES | {WORKFLOW}


def test_the_tutorial_passes_with_a_harness_of_its_own(pytester: pytest.Pytester) -> None:
    write_suite(pytester.path)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "tests/", timeout=RUN_TIMEOUT)
    result.assert_outcomes(passed=SUITE_TESTS)


# --------------------------------------------------------------------------- the CI job


def _job_environment(job: dict, runner_temp: Path) -> dict[str, str]:
    """The job's env with GitHub's `runner.temp` filled in and free ports for the defaults,
    over this environment without any TLSAUTH_* of the caller's."""
    ports = {default: str(free_port()) for default in DEFAULT_PORTS}
    env = {k: v for k, v in os.environ.items() if not k.startswith("TLSAUTH_")}
    for key, value in job["env"].items():
        value = str(value).replace("${{ runner.temp }}", str(runner_temp))
        for default, port in ports.items():
            value = port if value == default else value.replace(f":{default}", f":{port}")
        env[key] = value
    env["RUNNER_TEMP"] = str(runner_temp)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def _read_github_env(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return dict(pairs)


def _running(pid: int) -> bool:
    """Whether the process runs (not gone, not a zombie waiting for a parent to reap it)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return not re.search(r"^State:\s+Z", status, re.M)


def _stopped(runner_temp: Path) -> bool:
    """Whether the harness the job started in the background is gone within STOP_TIMEOUT of
    its stop step; killed if not."""
    pid_file = runner_temp / "harness.pid"
    if not pid_file.exists():
        return True
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + STOP_TIMEOUT
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if not _running(pid):
        return True
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    return False


def test_the_ci_job_runs_the_tutorial_against_a_harness_in_the_background(
    tmp_path: Path,
) -> None:
    workflow = yaml.safe_load(doc_files()[WORKFLOW])
    [job] = workflow["jobs"].values()
    workspace, runner_temp = tmp_path / "workspace", tmp_path / "runner"
    runner_temp.mkdir()
    write_suite(workspace)
    env = _job_environment(job, runner_temp)
    github_env = runner_temp / "github_env"
    github_env.touch()
    env["GITHUB_ENV"] = str(github_env)
    outcomes: dict[str, subprocess.CompletedProcess[str]] = {}
    failed = False
    try:
        for step in job["steps"]:
            if "uses" in step or SKIPPED_STEP.match(step.get("name", "")):
                continue
            condition = step.get("if", "success()")
            if (condition == "failure()" and not failed) or (condition == "success()" and failed):
                continue
            done = subprocess.run(
                ["bash", "-e", "-o", "pipefail", "-c", step["run"]],
                cwd=workspace,
                env=env,
                capture_output=True,
                text=True,
                timeout=RUN_TIMEOUT,
                check=False,
            )
            outcomes[step["name"]] = done
            failed = failed or done.returncode != 0
            env.update(_read_github_env(github_env))
    finally:
        stopped = _stopped(runner_temp)
    report = "\n".join(
        f"--- {name} ({done.returncode})\n{done.stdout}{done.stderr}"
        for name, done in outcomes.items()
    )
    assert not failed, report
    suite = outcomes["Run the QA suite against it"].stdout
    assert f"{SUITE_TESTS} passed" in suite, report
    assert "Show the harness log" not in outcomes
    assert outcomes["Stop the harness"].returncode == 0, report
    assert stopped, "the harness was still running after its stop step:\n" + report
