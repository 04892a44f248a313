"""Part 1, throughput: every server started once, then driven in turn, full handshakes and
keep-alive, for the given number of interleaved rounds."""

from __future__ import annotations

import argparse

from bench.mocks.dataset import Setup, state_body
from bench.mocks.load import LoadResult, run_load
from bench.mocks.nginx import start_nginx
from bench.mocks.profiling import profile_mock
from bench.mocks.report import report_throughput, round_line
from bench.mocks.servers import MOCK, Server, start_listener, start_mock

MIN_WIDTH = 13  # the server label column


def throughput(setup: Setup, args: argparse.Namespace) -> None:
    body = state_body()
    body_file = setup.tmp / "state.json"
    body_file.write_bytes(body)
    servers: list[Server] = []
    try:
        if not args.skip_nginx:
            servers.append(start_nginx(setup, body, args.nginx_workers))
        servers.append(start_mock(setup, args.mock_threads, workers=args.mock_workers))
        for tweaks in args.what_if or []:
            servers.append(start_mock(setup, args.mock_threads, tweaks))
        if not args.skip_listener:
            servers.append(start_listener(setup, body_file, args.mock_threads))
        print(
            f"\nservers: {', '.join(f'{s.label} :{s.port}' for s in servers)}; body "
            f"{len(body)} bytes; load: {args.clients} processes x {args.threads} threads, "
            f"{args.warmup:g} s warm-up + {args.duration:g} s measured, {args.rounds} round(s)"
        )
        width = max(MIN_WIDTH, *(len(s.label) for s in servers))
        results = run_rounds(setup, servers, args, width)
        report_throughput(results, servers, width)
        if args.profile:
            mock = next(s for s in servers if s.label == MOCK)
            profile_mock(setup, mock, args)
    finally:
        for server in servers:
            server.stop()


def run_rounds(
    setup: Setup, servers: list[Server], args: argparse.Namespace, width: int
) -> list[LoadResult]:
    """Each round runs every server in each mode: all servers see the same machine."""
    results: list[LoadResult] = []
    for rnd in range(1, args.rounds + 1):
        for keep_alive in (False, True):
            for server in servers:
                r = run_load(setup, server, keep_alive, args)
                r.round = rnd
                results.append(r)
                print(round_line(r, width), flush=True)
    return results
