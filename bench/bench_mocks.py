"""Mock servers benchmark: mTLS throughput against nginx, and decision latency.

Part 1 - throughput. The MoSAPI mock runs as its own process (`tlsauth serve mosapi`), and so
does an nginx started here with a generated configuration (`ssl_verify_client
optional_no_ca`, `return 200` with a fixed MoSAPI state body), on the same server certificate
and key (the harness material). One load generator - Python processes x threads using `ssl`
+ `http.client`, in processes of its own - drives both with the same client certificate and
the same concurrency, for a fixed time after a warm-up:

* full handshake: a new TCP + TLS connection per request (no session resumption; checked),
* keep-alive: one TLS connection per client thread for all its requests.

Every answer must be HTTP 200 (the mock's also `allowed` in its X-TLSAuth-Decision header,
i.e. the policy was enforced and the decision logged). Printed: requests/s of each server,
the ratio mock/nginx (goal >= 0.5 for full handshakes), latency under load, CPU seconds each
server burned per request (a measure that does not depend on who saturated the machine),
and the negotiated TLS version and cipher. A third server, the mock's TLS listener (cheroot +
pyOpenSSL) with a trivial WSGI app, separates the listener's cost from the application's.

Part 2 - decision latency (in process, no network). All gTLDs of portal/data/gtlds.csv with
3 entries x 10 prefixes each; the entries' client names have published TLSA records. Timed:
`decide_certificate` alone with a warm PolicyCache (goal p99 <= 0.2 ms), the enforcement
steps around it, one whole WSGI request of the mock, and the policy refresh after a
`replace_entries` edit (goal <= 50 ms).

    python bench/bench_mocks.py [--duration S] [--warmup S] [--rounds N] [--clients N]
                                [--threads N] [--mock-threads N] [--nginx-workers N|auto]
                                [--skip-nginx] [--skip-listener] [--skip-throughput]
                                [--skip-decisions] [--tlds N] [--decisions N] [--requests N]
                                [--edits N] [--what-if TWEAKS]... [--profile]
                                [--profile-duration S] [--profile-native] [--keep]

Needs `nginx` on PATH for the comparison (Debian: apt-get install nginx); no nginx service is
used: the benchmark starts its own (generated configuration, pid and logs in a temporary
directory, a free loopback port) and stops it. `--what-if` also runs the mock with bench-only
changes (servers.serve_mock_variant) to measure a suggested improvement; the product is not changed.
`--profile` samples the mock's process with py-spy (on PATH, or PY_SPY=path) under
full-handshake load and cProfiles the in-process WSGI requests. The figures are printed,
never asserted.

The parts live in bench/mocks/: dataset (database and certificates), servers and nginx, load
(the generator), throughput, decisions, profiling and report.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import shutil
import ssl
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import PREFIXES_PER_ENTRY  # noqa: E402
from bench.mocks.dataset import build_database  # noqa: E402
from bench.mocks.decisions import decisions  # noqa: E402
from bench.mocks.nginx import nginx_version  # noqa: E402
from bench.mocks.servers import TWEAKS, serve_listener, serve_mock_variant  # noqa: E402
from bench.mocks.throughput import throughput  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds first")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of all runs (median)")
    parser.add_argument("--clients", type=int, default=2, help="load generator processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per generator process")
    parser.add_argument("--mock-threads", type=int, help="TLSAUTH_MOCK_THREADS (default 32)")
    parser.add_argument(
        "--mock-workers",
        type=int,
        default=os.cpu_count() or 1,
        help="TLSAUTH_MOCK_WORKERS (default: the CPU count, like nginx's worker_processes auto)",
    )
    parser.add_argument("--nginx-workers", default="auto", help="nginx worker_processes")
    parser.add_argument("--skip-nginx", action="store_true", help="no nginx comparison")
    parser.add_argument("--skip-listener", action="store_true", help="no listener-only server")
    parser.add_argument("--skip-throughput", action="store_true", help="part 2 only")
    parser.add_argument("--skip-decisions", action="store_true", help="part 1 only")
    parser.add_argument("--tlds", type=int, help="load only N gTLDs (default: all)")
    parser.add_argument("--decisions", type=int, default=20000, help="decide_certificate calls")
    parser.add_argument("--requests", type=int, default=2000, help="enforce/WSGI requests timed")
    parser.add_argument("--edits", type=int, default=50, help="edits for the refresh timing")
    parser.add_argument("--profile", action="store_true", help="py-spy the mock; cProfile WSGI")
    parser.add_argument("--profile-duration", type=float, default=15.0)
    parser.add_argument("--profile-native", action="store_true", help="py-spy --native")
    parser.add_argument(
        "--what-if",
        action="append",
        metavar="TWEAKS",
        help=f"also run the mock with bench-only changes, comma-separated: {', '.join(TWEAKS)}",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--serve-mock-variant", help=argparse.SUPPRESS)
    parser.add_argument("--listener-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--serve-listener", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--listener-cert", help=argparse.SUPPRESS)
    parser.add_argument("--listener-key", help=argparse.SUPPRESS)
    parser.add_argument("--listener-body", help=argparse.SUPPRESS)
    parser.add_argument("--listener-threads", type=int, default=32, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_mock_variant:
        return serve_mock_variant(args.serve_mock_variant, args.listener_port)
    if args.serve_listener:
        return serve_listener(
            args.serve_listener,
            args.listener_cert,
            args.listener_key,
            args.listener_body,
            args.listener_threads,
        )
    os.environ.setdefault("TLSAUTH_SECRET_KEY", secrets.token_hex(16))
    print(
        f"mock servers benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; Python "
        f"{platform.python_version()}, {ssl.OPENSSL_VERSION}, {nginx_version()}, "
        f"{os.cpu_count()} CPUs, {platform.platform()}, load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    tmp = Path(tempfile.mkdtemp(prefix="tlsauth-bench-mocks-"))
    os.environ["TLSAUTH_INSTANCE_DIR"] = str(tmp)
    try:
        setup = build_database(tmp, args.tlds)
        st = setup.stats
        print(
            f"load: {st['tlds']} TLDs, {st['entries']} entries x {PREFIXES_PER_ENTRY} prefixes, "
            f"{st['tlsa_records']} TLSA records; SQLite file in {tmp}; migrations "
            f"{st['migrate_s']:.1f} s, import + entries {st['load_s']:.1f} s"
        )
        if not args.skip_throughput:
            throughput(setup, args)
        if not args.skip_decisions:
            decisions(setup, args)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
