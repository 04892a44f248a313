"""Printing the figures: the throughput rounds and their medians with the ratios to nginx and to
the listener alone, and the decision-latency table."""

from __future__ import annotations

import io
import pstats
import statistics
from typing import Any

from bench.common import pct
from bench.mocks.load import LoadResult
from bench.mocks.nginx import NGINX
from bench.mocks.servers import LISTENER, Server

RATIO_GOAL = 0.5
MODES = ("full handshake", "keep-alive")
Key = tuple[str, str]  # (mode, server label)


# --------------------------------------------------------------------------- throughput


def round_line(r: LoadResult, width: int) -> str:
    return (
        f"  round {r.round} {r.mode:<14} {r.server:<{width}} {r.rps:8.1f} req/s  "
        f"errors {r.errors}  server CPU {r.cpu_ms_per_request:5.2f} ms/req  "
        f"machine busy {100 * r.machine_busy:3.0f} %"
    )


def report_throughput(results: list[LoadResult], servers: list[Server], width: int) -> None:
    rps, cpu, gen = _median_table(results, servers, width)
    for mode in MODES:
        _ratios(mode, results, servers, rps, cpu, gen)
    seen = set()
    for r in results:
        key = f"{r.server}, {r.mode}"
        if r.tls and key not in seen:
            seen.add(key)
            print(
                f"TLS {key}: {r.tls[0]} {r.tls[1]}; connections {r.connections}, "
                f"resumed {r.reused} (first round)"
            )
    for r in results:
        if r.errors:
            print(f"errors {r.server}, {r.mode}: {r.error_kinds}")


def _median_table(
    results: list[LoadResult], servers: list[Server], width: int
) -> tuple[dict[Key, float], dict[Key, float], dict[Key, float]]:
    """Print one row per (mode, server), medians of the rounds; return the medians of
    requests/s, server CPU ms/request and generator CPU ms/request."""
    print(
        "\nmedian of the rounds; latency = one request under load (full handshake: connect + "
        "TLS + HTTP), ms, over all rounds;\nserver CPU = CPU time of the server's processes in "
        "the window per request; gen CPU = the load generator's; busy = whole machine"
    )
    head = (
        f"| {'mode':<14} | {'server':<{width}} | {'req/s':>7} | {'errors':>6} | {'p50':>7} "
        f"| {'p99':>7} | {'server CPU ms/req':>17} | {'gen CPU ms/req':>14} | {'busy':>5} |"
    )
    print(head)
    print("|" + "|".join("-" * len(c) for c in head.split("|")[1:-1]) + "|")
    medians: dict[Key, float] = {}
    cpu_medians: dict[Key, float] = {}
    gen_medians: dict[Key, float] = {}
    for mode in MODES:
        for server in servers:
            rs = [r for r in results if r.mode == mode and r.server == server.label]
            if not rs:
                continue
            rps = statistics.median(r.rps for r in rs)
            medians[(mode, server.label)] = rps
            lat = [x * 1000 for r in rs for x in r.latencies]
            cpu = statistics.median(r.cpu_ms_per_request for r in rs)
            cpu_medians[(mode, server.label)] = cpu
            gen = statistics.median(1000 * r.generator_cpu_s / max(1, r.ok) for r in rs)
            gen_medians[(mode, server.label)] = gen
            busy = statistics.median(r.machine_busy for r in rs)
            errors = sum(r.errors for r in rs)
            print(
                f"| {mode:<14} | {server.label:<{width}} | {rps:7.1f} | {errors:>6} "
                f"| {pct(lat, 50):7.2f} | {pct(lat, 99):7.2f} | {cpu:17.2f} | {gen:14.2f} "
                f"| {100 * busy:4.0f}% |"
            )
    return medians, cpu_medians, gen_medians


def _ratios(
    mode: str,
    results: list[LoadResult],
    servers: list[Server],
    medians: dict[Key, float],
    cpu_medians: dict[Key, float],
    gen_medians: dict[Key, float],
) -> None:
    """Each mock's requests/s against nginx (per round, and in CPU cost) and the listener."""
    nginx = medians.get((mode, NGINX))
    listener = medians.get((mode, LISTENER))
    for server in servers:
        rps = medians.get((mode, server.label))
        if not rps or server.label in (NGINX, LISTENER):
            continue
        if nginx:
            goal = ""
            if mode == "full handshake":
                met = "met" if rps / nginx >= RATIO_GOAL else "NOT met"
                goal = f"  (goal >= {RATIO_GOAL}: {met})"
            print(f"ratio {server.label} / nginx, {mode}: {rps / nginx:.2f}{goal}")
            per_round = [
                f"{a.rps / b.rps:.2f}"
                for a in results
                if a.mode == mode and a.server == server.label
                for b in results
                if b.mode == mode and b.server == NGINX and b.round == a.round
            ]
            print(f"  per round: {', '.join(per_round)}")
            key, ref = (mode, server.label), (mode, NGINX)
            cost = cpu_medians[ref] / cpu_medians[key]
            whole = (cpu_medians[ref] + gen_medians[ref]) / (cpu_medians[key] + gen_medians[key])
            print(
                f"  CPU-cost ratios: servers alone {cost:.2f} (nginx CPU per request / "
                f"this server's); server + generator {whole:.2f} (the ratio on a machine "
                "of our own whose CPUs are the limit)"
            )
        if listener:
            print(f"ratio {server.label} / listener only, {mode}: {rps / listener:.2f}")


# --------------------------------------------------------------------------- decisions


def timing_row(
    label: str, samples_ms: list[float], goal: str = "", cpu_ms: float | None = None
) -> str:
    cpu = f"{cpu_ms:8.3f}" if cpu_ms is not None else f"{'':>8}"
    return (
        f"| {label:<52} | {len(samples_ms):>6} | {pct(samples_ms, 50):8.3f} "
        f"| {pct(samples_ms, 95):8.3f} | {pct(samples_ms, 99):8.3f} | {max(samples_ms):8.3f} "
        f"| {cpu} | {goal:<14} |"
    )


def timing_table(rows: list[str]) -> None:
    print(
        f"| {'what (ms)':<52} | {'n':>6} | {'p50':>8} | {'p95':>8} | {'p99':>8} | {'max':>8} "
        f"| {'CPU mean':>8} | {'goal':<14} |"
    )
    print(
        f"|{'-' * 54}|{'-' * 7}:|{'-' * 9}:|{'-' * 9}:|{'-' * 9}:|{'-' * 9}:|{'-' * 9}:|{'-' * 16}|"
    )
    print("\n".join(rows))


def cprofile_summary(profiler: Any, requests: int) -> None:
    buf = io.StringIO()
    stats = pstats.Stats(profiler, stream=buf)
    stats.sort_stats("cumulative").print_stats(35)
    stats.sort_stats("tottime").print_stats(15)
    print(f"\ncProfile of {requests} WSGI requests (cumulative, then own):")
    print("\n".join(ln for ln in buf.getvalue().splitlines() if ln.strip()))
