"""--profile: py-spy samples of the mock's process under full-handshake load, summed per stage
of a request and per function."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import time
from collections import Counter
from pathlib import Path

from bench.mocks.dataset import Setup
from bench.mocks.load import run_load
from bench.mocks.servers import Server


def profile_mock(setup: Setup, mock: Server, args: argparse.Namespace) -> None:
    """Sample the mock's process with py-spy under full-handshake load; print top frames."""
    exe = os.environ.get("PY_SPY") or shutil.which("py-spy")
    if not exe:
        print("\nprofile: py-spy not found (pip install py-spy, or PY_SPY=/path/py-spy)")
        return
    raw = setup.tmp / "profile.txt"
    seconds = args.profile_duration
    cmd = [exe, "record", "--pid", str(mock.proc.pid), "--duration", str(int(seconds))]
    cmd += ["--rate", "100", "--format", "raw", "--output", str(raw)]
    cmd.append("--native" if args.profile_native else "--nonblocking")
    spy = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603
    time.sleep(1.0)
    profile_args = argparse.Namespace(**{**vars(args), "warmup": 0.5, "duration": seconds})
    r = run_load(setup, mock, False, profile_args)
    _, err = spy.communicate(timeout=120)
    print(f"\nprofile: py-spy, mock process, full handshakes ({r.rps:.0f} req/s while sampled)")
    if not raw.exists():
        print(f"  py-spy wrote nothing: {err.decode(errors='replace')[-500:]}")
        return
    print_profile(raw.read_text())


def _frame(text: str) -> str:
    """'func (path/file.py:123)' -> 'func (file.py)' so lines of one function add up."""
    name, _, where = text.partition(" (")
    file = where.rstrip(")").rsplit(":", 1)[0]
    parts = Path(file).parts
    short = "/".join(parts[-2:]) if len(parts) >= 2 else file
    return f"{name} ({short})" if file else name


IDLE = ("Queue.get (queue.py", "EpollSelector.select (selectors.py")
CATEGORIES = (  # (label, frames that must all be on the stack) - the first match wins
    ("decision log: INSERT (+ waits for the write lock)", ("Enforcer.log", "do_execute")),
    ("decision log: COMMIT (WAL write + fsync)", ("Enforcer.log", "do_commit")),
    ("decision log: rest (SQLAlchemy, values)", ("Enforcer.log",)),
    ("policy version query (PolicyCache.versions)", ("PolicyCache.versions",)),
    ("decide_certificate", ("decide_certificate",)),
    ("peer certificate -> cryptography (peer_chain)", ("peer_chain",)),
    ("enforcement: rest", ("Enforcer.enforce",)),
    ("view: scenario query", ("scenario_for",)),
    ("view: state JSON", ("state (mosapi/views.py)",)),
    ("Flask/werkzeug/SQLAlchemy session around the request", ("Flask.__call__",)),
    ("TLS handshake + record I/O (pyOpenSSL)", ("OpenSSL/SSL.py",)),
    ("cheroot: rest (accept, HTTP parsing, response)", ("cheroot",)),
)


def print_profile(raw_text: str) -> None:
    total = idle = 0
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    for line in raw_text.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame(f) for f in stack.split(";")]
        # py-spy may put process/thread pseudo frames first.
        frames = [f for f in frames if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        if any(f.startswith(IDLE) for f in frames):  # waiting for a connection: idle
            idle += count
            continue
        total += count
        for f in set(frames):
            inclusive[f] += count
        own[frames[-1]] += count
        for label, needles in CATEGORIES:
            if all(any(n in f for f in frames) for n in needles):
                categories[label] += count
                break
        else:
            categories["other"] += count
    if not total:
        print("  no samples")
        return
    print(
        f"  {total} samples of busy threads ({idle} idle samples left out); share per stage "
        f"(first match; native work shows under the Python frame that called it):"
    )
    for label, count in categories.most_common():
        print(f"    {100 * count / total:5.1f} %  {label}")
    print("  top functions, inclusive:")
    for name, count in inclusive.most_common(30):
        print(f"    {100 * count / total:5.1f} %  {name}")
    print("  top functions, own time:")
    for name, count in own.most_common(15):
        print(f"    {100 * count / total:5.1f} %  {name}")
