"""The load generator: processes x threads of Python `ssl` + `http.client` driving one server
for a fixed time after a warm-up, with a new TLS connection per request (full handshake) or one
per thread (keep-alive); the servers' and the generator's CPU time over the measured window."""

from __future__ import annotations

import argparse
import http.client
import math
import multiprocessing
import ssl
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from bench.mocks.dataset import STATE_PATH, Setup
from bench.mocks.procstat import cpu_seconds, machine_busy
from bench.mocks.servers import Server


@dataclass(frozen=True)
class LoadSpec:
    port: int
    ca_file: str
    cert_file: str
    key_file: str
    path: str
    keep_alive: bool
    threads: int
    measure_from: float  # time.time() values shared by all processes
    measure_until: float
    expect_decision: bool


def _load_worker(spec: LoadSpec, out: Any) -> None:
    """One generator process: spec.threads threads, each in a request loop until the end."""
    ctx = ssl.create_default_context(cafile=spec.ca_file)
    ctx.load_cert_chain(spec.cert_file, spec.key_file)
    lock = threading.Lock()
    result: dict[str, Any] = {
        "ok": 0,
        "errors": 0,
        "error_kinds": Counter(),
        "latencies": [],
        "reused": 0,
        "connections": 0,
        "tls": None,
    }

    def connect() -> http.client.HTTPSConnection:
        conn = http.client.HTTPSConnection("127.0.0.1", spec.port, context=ctx, timeout=30)
        conn.connect()
        sock: ssl.SSLSocket = conn.sock  # type: ignore[assignment]
        with lock:
            result["connections"] += 1
            result["reused"] += int(sock.session_reused)
            if result["tls"] is None:
                result["tls"] = (sock.version(), sock.cipher()[0] if sock.cipher() else "")
        return conn

    def loop() -> None:
        ok = errors = 0
        kinds: Counter[str] = Counter()
        latencies: list[float] = []
        conn: http.client.HTTPSConnection | None = None
        headers = {} if spec.keep_alive else {"Connection": "close"}
        while True:
            t0 = time.time()
            if t0 >= spec.measure_until:
                break
            error = None
            try:
                if conn is None:
                    conn = connect()
                conn.request("GET", spec.path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    error = f"HTTP {response.status}"
                elif spec.expect_decision and "allowed" not in (
                    response.getheader("X-TLSAuth-Decision") or ""
                ):
                    error = "no allowed decision header"
                if not spec.keep_alive or response.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as exc:
                error = type(exc).__name__
                if conn is not None:
                    conn.close()
                conn = None
            t1 = time.time()
            if spec.measure_from <= t1 < spec.measure_until:
                if error is None:
                    ok += 1
                    latencies.append(t1 - t0)
                else:
                    errors += 1
                    kinds[error] += 1
        if conn is not None:
            conn.close()
        with lock:
            result["ok"] += ok
            result["errors"] += errors
            result["error_kinds"].update(kinds)
            result["latencies"].extend(latencies)

    threads = [threading.Thread(target=loop) for _ in range(spec.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result["error_kinds"] = dict(result["error_kinds"])
    out.put(result)


@dataclass
class LoadResult:
    server: str
    mode: str
    ok: int
    errors: int
    error_kinds: dict[str, int]
    seconds: float
    latencies: list[float]
    server_cpu_s: float
    generator_cpu_s: float
    machine_busy: float  # 0..1 over the measured window
    connections: int
    reused: int
    tls: tuple[str, str] | None
    round: int = 0

    @property
    def rps(self) -> float:
        return self.ok / self.seconds

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.server_cpu_s / self.ok if self.ok else math.nan


def run_load(
    setup: Setup, server: Server, keep_alive: bool, args: argparse.Namespace
) -> LoadResult:
    mp = multiprocessing.get_context("spawn")
    out = mp.Queue()
    start = time.time() + 1.5  # time for the spawned processes to start
    spec = LoadSpec(
        server.port,
        str(setup.ca_file),
        str(setup.client.cert_file),
        str(setup.client.key_file),
        STATE_PATH,
        keep_alive,
        args.threads,
        start + args.warmup,
        start + args.warmup + args.duration,
        server.expect_decision,
    )
    procs = [mp.Process(target=_load_worker, args=(spec, out)) for _ in range(args.clients)]
    for p in procs:
        p.start()
    time.sleep(max(0.0, spec.measure_from - time.time()))
    cpu0 = cpu_seconds(server.pids())
    gen0 = cpu_seconds([p.pid for p in procs if p.pid])
    busy0 = machine_busy()
    time.sleep(max(0.0, spec.measure_until - time.time()))
    cpu1 = cpu_seconds(server.pids())
    gen1 = cpu_seconds([p.pid for p in procs if p.pid])
    busy1 = machine_busy()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    kinds: Counter[str] = Counter()
    for r in results:
        kinds.update(r["error_kinds"])
    tls = next((tuple(r["tls"]) for r in results if r["tls"]), None)
    return LoadResult(
        server.label,
        "keep-alive" if keep_alive else "full handshake",
        sum(r["ok"] for r in results),
        sum(r["errors"] for r in results),
        dict(kinds),
        args.duration,
        [x for r in results for x in r["latencies"]],
        cpu1 - cpu0,
        gen1 - gen0,
        (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1]),
        sum(r["connections"] for r in results),
        sum(r["reused"] for r in results),
        tls,  # type: ignore[arg-type]
    )
