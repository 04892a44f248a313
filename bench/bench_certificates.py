"""Certificate workbench benchmark: server-side issuance time, and RSA key generation in
process against the openssl command.

Part 1 - issuance. An EC P-256 client certificate issued by the harness CA, timed `--runs`
times after `--warmup` untimed runs, at three depths:

* `service`: `portal.services.workbench.generate` exactly as the API, the portal page and
  `tlsauth cert new` call it: load the harness CA (certificate + key, from the certs folder),
  make the key, sign, PEM of certificate and key, description, TLSA records, snippets;
* `core`: the pure calls with the CA already loaded (`generate`, `pem`, `key_pem`, `tlsa_for`);
* the steps alone: key generation, loading the harness CA, signing one certificate.

Goal: median of `service` <= 5 ms.

Part 2 - RSA-2048 key generation, the same run:

* in process: `rsa.generate_private_key(65537, 2048)` (cryptography, its own OpenSSL);
* `openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048` as a subprocess per
  key, wall time from Python (what a server shelling out to openssl would pay), interleaved
  with the in-process runs so both see the same machine;
* in process with the *system* libcrypto (the one the openssl command links), through ctypes:
  the same library version as the command without the process around it (the wheel of
  cryptography brings its own, possibly newer, OpenSSL);
* openssl's own time: one `sh` loop runs genpkey N times, and a second loop runs
  `openssl genpkey -algorithm ED25519` N times - the same process start, configuration and
  provider loading and PEM output, with a key that takes microseconds. (loop RSA - loop
  Ed25519) / N is the RSA key generation inside openssl without the process around it. The
  openssl processes' CPU time (user + sys, from getrusage of the children) is printed too.
  (`openssl speed` in OpenSSL 3.0 has no RSA key-generation test, hence the loops.)

RSA key generation searches for primes, so its time varies a lot from key to key: compare
means over many keys (and the medians), not single runs.

    python bench/bench_certificates.py [--runs N] [--warmup N] [--rsa-runs N]
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cryptography  # noqa: E402
from cryptography.hazmat.backends.openssl.backend import backend  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

from bench.common import pct  # noqa: E402
from portal.core import certificates as cw  # noqa: E402
from portal.core import pki, snippets  # noqa: E402
from portal.core.validation import Finding  # noqa: E402
from portal.services import workbench  # noqa: E402

GOAL_MEDIAN_MS = 5.0
MOSAPI_URL = "https://localhost:8443"
RRI_URL = "https://localhost:8444"
RSA_ARGS = ["genpkey", "-quiet", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
BASELINE_ARGS = ["genpkey", "-quiet", "-algorithm", "ED25519"]


def timed(fn: Callable[[], object], runs: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        fn()
        samples.append((time.perf_counter_ns() - start) / 1e6)
    return samples


def row(label: str, samples: list[float]) -> str:
    return (
        f"| {label:48} | {len(samples):4d} | {statistics.median(samples):7.2f} | "
        f"{pct(samples, 95):7.2f} | {pct(samples, 99):7.2f} | {statistics.fmean(samples):7.2f} | "
        f"{max(samples):7.2f} |"
    )


HEADER = (
    f"| {'what (ms)':48} |    n |     p50 |     p95 |     p99 |    mean |     max |\n"
    f"|{'-' * 50}|-----:|--------:|--------:|--------:|--------:|--------:|"
)


class HarnessOperator:
    """The requester of the benchmark: may have any name issued (no database to ask), calls
    no TLD in the snippets."""

    def issuing_refusals(self, names: Sequence[str], field: str) -> list[Finding]:
        return []

    def example_tld(self, name: str) -> str | None:
        return None

    def managed_tld(self, name: str) -> str | None:
        return None


def issuance(certs_dir: Path, runs: int, warmup: int) -> list[float]:
    params = {"domain_name": "client.example", "key_type": "ec-p256", "issuer": "harness"}
    target = snippets.Target(MOSAPI_URL, RRI_URL)
    result = workbench.generate(params, certs_dir, target, HarnessOperator())
    assert result.certificate.startswith("-----BEGIN CERTIFICATE-----")
    assert [r["usage"] for r in result.tlsa] == [3, 3, 2]
    issuer = workbench.harness_issuer(certs_dir)
    valid = cw.validity()
    key = pki.new_key("ec-p256")

    def core() -> None:
        made = cw.generate("client.example", "ec-p256", "harness", cw.validity(), issuer)
        cw.pem(made.certificate)
        cw.key_pem(made.private_key)
        cw.tlsa_for(made.certificate, made.chain, "client.example")

    cases: list[tuple[str, Callable[[], object]]] = [
        (
            "service: workbench.generate (EC P-256, harness)",
            lambda: workbench.generate(params, certs_dir, target, HarnessOperator()),
        ),
        ("core: generate + PEM + key PEM + TLSA", core),
        ("step: EC P-256 key generation", lambda: pki.new_key("ec-p256")),
        (
            "step: load the harness CA (files, key parse)",
            lambda: workbench.harness_issuer(certs_dir),
        ),
        (
            "step: sign one certificate (issue)",
            lambda: cw.issue(key.public_key(), "client.example", valid, issuer),
        ),
    ]
    print(f"\nPart 1 - issuance, {runs} runs after {warmup} warm-up runs\n")
    print(HEADER)
    service: list[float] = []
    for label, fn in cases:
        samples = timed(fn, runs, warmup)
        service = service or samples
        print(row(label, samples))
    median = statistics.median(service)
    verdict = "met" if median <= GOAL_MEDIAN_MS else "NOT met"
    print(f"\nservice median {median:.2f} ms: goal <= {GOAL_MEDIAN_MS:.0f} ms {verdict}")
    return service


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def shell_loop(openssl: str, args: list[str], n: int) -> tuple[float, float]:
    """(wall seconds, children's CPU seconds) of one sh loop running `openssl args` n times."""
    command = " ".join([openssl, *args])
    script = f'i=0; while [ "$i" -lt {n} ]; do {command} >/dev/null || exit 1; i=$((i+1)); done'
    cpu = child_cpu()
    start = time.perf_counter()
    subprocess.run(["sh", "-c", script], check=True)
    return time.perf_counter() - start, child_cpu() - cpu


def system_libcrypto_keygen() -> tuple[Callable[[], None], str] | None:
    """RSA-2048 key generation in process with the *system* libcrypto (the one the openssl
    command uses), through ctypes: the same library version without the process around it."""
    name = ctypes.util.find_library("crypto")
    if not name:
        return None
    try:
        lib = ctypes.CDLL(name)
        keygen = lib.EVP_PKEY_Q_keygen  # OpenSSL 3: EVP_RSA_gen(bits) is a macro over it
        free = lib.EVP_PKEY_free
        version = lib.OpenSSL_version
    except (OSError, AttributeError):
        return None
    keygen.restype = ctypes.c_void_p
    keygen.argtypes = None  # variadic: (libctx, propq, "RSA", size_t bits)
    free.argtypes = [ctypes.c_void_p]
    version.restype = ctypes.c_char_p
    version.argtypes = [ctypes.c_int]

    def run() -> None:
        key = keygen(None, None, b"RSA", ctypes.c_size_t(2048))
        if not key:
            raise RuntimeError("EVP_PKEY_Q_keygen failed")
        free(key)

    return run, f"{name}, {version(0).decode()}"


def rsa_keygen(runs: int) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        print("\nPart 2 skipped: no openssl command on PATH")
        return
    system_version = subprocess.run(
        [openssl, "version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    print(f"\nPart 2 - RSA-2048 key generation, {runs} keys each")
    print(f"in process: cryptography {cryptography.__version__}, {backend.openssl_version_text()}")
    print(f"subprocess: {openssl} ({system_version})")
    system = system_libcrypto_keygen()
    if system:
        print(f"in process, system libcrypto via ctypes: {system[1]}")
    print()
    for _ in range(3):  # warm-up: imports, page cache, the binary
        rsa.generate_private_key(65537, 2048)
        subprocess.run([openssl, *RSA_ARGS], stdout=subprocess.DEVNULL, check=True)
        if system:
            system[0]()
    in_process: list[float] = []
    in_process_cpu: list[float] = []
    spawned: list[float] = []
    system_lib: list[float] = []
    system_lib_cpu: list[float] = []
    for _ in range(runs):  # interleaved: all see the same machine
        cpu, start = time.process_time(), time.perf_counter_ns()
        rsa.generate_private_key(65537, 2048)
        in_process.append((time.perf_counter_ns() - start) / 1e6)
        in_process_cpu.append((time.process_time() - cpu) * 1000)
        start = time.perf_counter_ns()
        subprocess.run([openssl, *RSA_ARGS], stdout=subprocess.DEVNULL, check=True)
        spawned.append((time.perf_counter_ns() - start) / 1e6)
        if system:
            cpu, start = time.process_time(), time.perf_counter_ns()
            system[0]()
            system_lib.append((time.perf_counter_ns() - start) / 1e6)
            system_lib_cpu.append((time.process_time() - cpu) * 1000)
    rsa_wall, rsa_cpu = shell_loop(openssl, RSA_ARGS, runs)
    base_wall, base_cpu = shell_loop(openssl, BASELINE_ARGS, runs)
    own = 1000 * (rsa_wall - base_wall) / runs
    print(HEADER)
    print(row("in process (cryptography), wall", in_process))
    print(row("in process (cryptography), CPU", in_process_cpu))
    print(row("openssl genpkey subprocess per key, wall", spawned))
    if system_lib:
        print(row("in process, system libcrypto (ctypes), wall", system_lib))
        print(row("in process, system libcrypto (ctypes), CPU", system_lib_cpu))
    print(
        f"\nsh loop of {runs} x openssl genpkey RSA-2048: "
        f"{1000 * rsa_wall / runs:.2f} ms/key wall, "
        f"{1000 * rsa_cpu / runs:.2f} ms/key CPU (openssl processes)"
    )
    print(
        f"sh loop of {runs} x openssl genpkey ED25519 (process cost): "
        f"{1000 * base_wall / runs:.2f} ms/run wall, {1000 * base_cpu / runs:.2f} ms/run CPU"
    )
    print(
        f"openssl's own RSA-2048 key generation (difference): {own:.2f} ms/key wall, "
        f"{1000 * (rsa_cpu - base_cpu) / runs:.2f} ms/key CPU"
    )
    mean_in, med_in = statistics.fmean(in_process), statistics.median(in_process)
    print("\nratios (openssl / in process; > 1 means in process is faster):")
    print(
        f"  subprocess wall per key: mean {statistics.fmean(spawned) / mean_in:.2f}, "
        f"median {statistics.median(spawned) / med_in:.2f}"
    )
    print(f"  openssl's own time (loop difference) vs in-process mean: {own / mean_in:.2f}")
    own_cpu = 1000 * (rsa_cpu - base_cpu) / runs
    print(
        "  CPU (does not depend on other load): openssl's own (loop difference) vs "
        f"in-process mean: {own_cpu / statistics.fmean(in_process_cpu):.2f}; whole openssl "
        f"process: {1000 * rsa_cpu / runs / statistics.fmean(in_process_cpu):.2f}"
    )
    if system_lib:
        print(
            "  system libcrypto in process vs cryptography in process: "
            f"mean {statistics.fmean(system_lib) / mean_in:.2f}, "
            f"median {statistics.median(system_lib) / med_in:.2f}, CPU mean "
            f"{statistics.fmean(system_lib_cpu) / statistics.fmean(in_process_cpu):.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=500, help="issuance runs per case")
    parser.add_argument("--warmup", type=int, default=20, help="untimed runs first")
    parser.add_argument("--rsa-runs", type=int, default=100, help="RSA-2048 keys per method")
    parser.add_argument("--skip-rsa", action="store_true", help="only part 1")
    args = parser.parse_args()
    print(
        f"certificate workbench benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.system()} "
        f"{platform.release()}"
    )
    with tempfile.TemporaryDirectory(prefix="tlsauth-bench-certs-") as folder:
        issuance(Path(folder), args.runs, args.warmup)
    if not args.skip_rsa:
        rsa_keygen(args.rsa_runs)


if __name__ == "__main__":
    main()
