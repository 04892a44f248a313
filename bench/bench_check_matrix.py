"""`tlsauth check-matrix` benchmark: 300 TLDs × 7 roles against the local mocks.

Question: does the RSP's checker call one harmless endpoint per TLD and role - 300 TLDs × 7
roles, two of them on both mocks, so 2,700 calls - in under 60 s against the two mocks on this
machine, and how does it compare with the same calls made one at a time?

Set-up (a temporary directory): a SQLite database migrated with Alembic, the first 300 gTLDs of
portal/data/gtlds.csv, one client certificate (EC P-256, self-signed) whose 3 1 1 record ICANN
staff publish in the harness zone, and per TLD one entry for it with every role from
127.0.0.1/32. Both mocks run as `tlsauth serve mosapi` and `tlsauth serve rri`, processes of
their own with the product's settings (TLSAUTH_MOCK_WORKERS as given, default the product's).

Timed, each as a process of its own (`tlsauth check-matrix ... --json`), `--rounds` times in
turn: the default (8 workers sharing kept-alive connections, at most 4 to MoSAPI) and the
reference, `--workers 1` (the same calls one after the other on one kept-alive connection per
mock). A second reference is a shell-style loop of curl, one process and one full TLS handshake
per call, timed on `--curl-calls` calls and scaled to the full count. Every run must exit 0
with every cell allowed. Printed: wall time (process start to exit), the matrix's own time
(first call to last answer), calls/s, the client's CPU time, and the ratios.

    python bench/bench_check_matrix.py [--tlds N] [--rounds N] [--workers N]
                                       [--mock-workers N] [--curl-calls N] [--keep]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import resource
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import GTLDS_CSV, stop_process  # noqa: E402

CLIENT = "checker.bench-rsp.example"
VENV_BIN = Path(sys.executable).parent
GOAL_S = 60.0


@dataclass
class Harness:
    tmp: Path
    env: dict[str, str]
    ca_file: Path
    cert_file: Path
    key_file: Path
    tlds_file: Path
    tlds: list[str]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build(tmp: Path, tld_count: int) -> Harness:
    """Migrate, import the gTLDs, one entry per TLD with every role, publish the client."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from infra.database import db
    from infra.harness_pki import ensure_material
    from portal.app import create_app
    from portal.core import pki
    from portal.core.roles import ROLE_IDS
    from portal.core.tlsa import record_for
    from portal.core.validation import Entry, Limits
    from portal.models import Tld
    from portal.services import configuration, directory, zone

    material = ensure_material(tmp / "certs")
    db_url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    env = {
        **os.environ,
        "TLSAUTH_DATABASE_URL": db_url,
        "TLSAUTH_CERTS_DIR": str(material.folder),
        "TLSAUTH_INSTANCE_DIR": str(tmp),
    }
    leaf = pki.self_signed(CLIENT)
    cert_file = leaf.cert_pem.write_to_path(tmp / f"{CLIENT}.pem")
    key_file = leaf.key_pem.write_to_path(tmp / f"{CLIENT}.key")
    lines = GTLDS_CSV.read_text(encoding="utf-8").splitlines()
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "CERTS_DIR": str(material.folder)})
    with app.app_context():
        upgrade()
        s = db.session
        directory.import_gtlds(s, "\n".join(lines[: tld_count + 1]) + "\n")
        directory.create_organisation(s, "ICANN", "icann")
        staff = directory.create_user(s, "staff@icann.example", "ICANN", "bench-password-1")
        actor = configuration.Actor("staff@icann.example", "cli")
        entry = Entry(CLIENT, ROLE_IDS, ("127.0.0.1/32",)).as_dict()
        tlds = list(s.scalars(select(Tld).order_by(Tld.name)))
        for tld in tlds:
            configuration.replace_entries(s, tld, [entry], tld.version, actor, Limits())
        record = record_for(leaf.cert, 3, 1, 1)
        zone.publish(zone.Publisher(s, staff, "cli"), {"name": CLIENT, **record.as_dict()})
        names = [t.name for t in tlds]
        s.remove()
        db.engine.dispose()
    tlds_file = tmp / "tlds.txt"
    tlds_file.write_text("\n".join(names) + "\n")
    return Harness(tmp, env, material.ca_cert, cert_file, key_file, tlds_file, names)


@dataclass
class Mock:
    system: str
    port: int
    proc: subprocess.Popen

    @property
    def url(self) -> str:
        return f"https://localhost:{self.port}"

    def stop(self) -> None:
        stop_process(self.proc)


def start_mock(h: Harness, system: str, workers: int | None) -> Mock:
    port = free_port()
    env = dict(h.env)
    if workers:
        env["TLSAUTH_MOCK_WORKERS"] = str(workers)
    exe = shutil.which("tlsauth", path=str(VENV_BIN)) or "tlsauth"
    log = (h.tmp / f"{system}.log").open("wb")
    proc = subprocess.Popen(
        [exe, "serve", system, "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=h.tmp,
    )
    mock = Mock(system, port, proc)
    ctx = ssl.create_default_context(cafile=str(h.ca_file))
    ctx.load_cert_chain(str(h.cert_file), str(h.key_file))
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            conn = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=5)
            conn.request("GET", "/info/status/conformance-version")
            conn.getresponse().read()
            conn.close()
            return mock
        except OSError:
            time.sleep(0.3)
    mock.stop()
    raise SystemExit(f"the {system} mock did not start: see {h.tmp / (system + '.log')}")


@dataclass
class Run:
    label: str
    wall_s: float
    matrix_s: float
    calls: int
    cpu_s: float


def run_matrix(h: Harness, mosapi: Mock, rri: Mock, label: str, *extra: str) -> Run:
    exe = shutil.which("tlsauth", path=str(VENV_BIN)) or "tlsauth"
    cmd = [exe, "check-matrix", "--tlds", str(h.tlds_file), "--mosapi", mosapi.url]
    cmd += ["--rri", rri.url, "--cert", str(h.cert_file), "--key", str(h.key_file)]
    cmd += ["--ca", str(h.ca_file), "--json", *extra]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    # Only a PATH: the checker must not need the harness's settings or database.
    done = subprocess.run(
        cmd, capture_output=True, text=True, env={"PATH": os.environ.get("PATH", "")}
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{label}: exit {done.returncode}\n{done.stdout[-2000:]}{done.stderr}")
    result = json.loads(done.stdout)
    cells = len(h.tlds) * 7
    assert result["counts"]["allowed"] == cells, result["counts"]
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(label, wall, result["elapsed_s"], result["calls"], cpu)


def curl_per_call(h: Harness, mosapi: Mock, calls: int) -> float | None:
    """Mean wall seconds of one `curl` process making one call (new TLS connection)."""
    curl = shutil.which("curl")
    if curl is None:
        return None
    url = f"{mosapi.url}/ry/{h.tlds[0]}/v2/monitoring/state"
    cmd = [curl, "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", str(h.ca_file)]
    cmd += ["--cert", str(h.cert_file), "--key", str(h.key_file), url]
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        if done.stdout != "200":
            raise SystemExit(f"curl got {done.stdout!r}: {done.stderr}")
    return statistics.mean(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tlds", type=int, default=300, help="TLDs (first of gtlds.csv)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=8, help="check-matrix --workers")
    parser.add_argument("--mock-workers", type=int, default=None, help="TLSAUTH_MOCK_WORKERS")
    parser.add_argument("--curl-calls", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-check-matrix-"))
    mocks: list[Mock] = []
    try:
        started = time.perf_counter()
        h = build(tmp, args.tlds)
        print(
            f"set-up: {len(h.tlds)} TLDs, one entry each, in {time.perf_counter() - started:.1f} s"
        )
        mocks = [
            start_mock(h, "mosapi", args.mock_workers),
            start_mock(h, "rri", args.mock_workers),
        ]
        mosapi, rri = mocks
        runs: list[Run] = []
        for r in range(args.rounds):
            runs.append(
                run_matrix(
                    h,
                    mosapi,
                    rri,
                    f"check-matrix, {args.workers} workers",
                    "--workers",
                    str(args.workers),
                )
            )
            runs.append(run_matrix(h, mosapi, rri, "reference: --workers 1", "--workers", "1"))
            print(f"round {r + 1}: {runs[-2].wall_s:.1f} s and {runs[-1].wall_s:.1f} s")
        curl = curl_per_call(h, mosapi, args.curl_calls) if args.curl_calls else None
    finally:
        for mock in mocks:
            mock.stop()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    print(
        f"\nPython {platform.python_version()}, {ssl.OPENSSL_VERSION}, {os.cpu_count()} CPUs, "
        f"{platform.system()} {platform.release()}; mock workers: {args.mock_workers or 'default'}"
    )
    calls = runs[0].calls
    print(f"{len(h.tlds)} TLDs × 7 roles = {len(h.tlds) * 7} cells, {calls} calls per run\n")
    print("| run | wall s | matrix s | calls/s (matrix) | client CPU s | goal < 60 s |")
    print("|-----|-------:|---------:|-----------------:|-------------:|:-----------:|")
    for run in runs:
        ok = "met" if run.wall_s < GOAL_S else "MISSED"
        print(
            f"| {run.label} | {run.wall_s:.1f} | {run.matrix_s:.1f} | "
            f"{run.calls / run.matrix_s:.0f} | {run.cpu_s:.1f} | {ok} |"
        )
    fast = statistics.median(r.wall_s for r in runs[0::2])
    slow = statistics.median(r.wall_s for r in runs[1::2])
    fast_m = statistics.median(r.matrix_s for r in runs[0::2])
    slow_m = statistics.median(r.matrix_s for r in runs[1::2])
    print(f"\nmedian wall: {fast:.1f} s ({args.workers} workers), {slow:.1f} s (1 worker)")
    print(
        f"ratio 1 worker / {args.workers} workers: wall {slow / fast:.2f}, "
        f"matrix {slow_m / fast_m:.2f}"
    )
    if curl is not None:
        estimate = curl * calls
        print(
            f"curl, one process and one full handshake per call: {curl * 1000:.1f} ms per call "
            f"(mean of {args.curl_calls}), {estimate:.0f} s for {calls} calls; "
            f"ratio curl loop / check-matrix wall: {estimate / fast:.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
