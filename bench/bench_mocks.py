"""Mock servers benchmark (issue 3): mTLS throughput against nginx, and decision latency.

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
changes (serve_mock_variant) to measure a suggested improvement; the product is not changed.
`--profile` samples the mock's process with py-spy (on PATH, or PY_SPY=path) under
full-handshake load and cProfiles the in-process WSGI requests. The figures are printed,
never asserted.
"""

from __future__ import annotations

import argparse
import http.client
import ipaddress
import json
import math
import multiprocessing
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GTLDS_CSV = ROOT / "portal" / "data" / "gtlds.csv"
VENV_BIN = Path(sys.executable).parent
THROUGHPUT_TLD = "bank"
STATE_PATH = f"/ry/{THROUGHPUT_TLD}/v2/monitoring/state"
CLIENT_NAME = "mosapi-client.bench-rsp.example"
ENTRIES_PER_TLD = 3
PREFIXES_PER_ENTRY = 10
RSP_GROUPS = 13  # TLDs share client names per "RSP", as an RSP's TLDs do
ENTRY_KINDS = ("mosapi-client", "rri-reporter", "escrow-agent")
RATIO_GOAL = 0.5
MOCK, LISTENER, NGINX = "MoSAPI mock", "listener only", "nginx"
TWEAKS = ("sync-normal", "log-lock", "ka-limit")
DECIDE_P99_GOAL_MS = 0.2
REFRESH_GOAL_MS = 50.0
_V4_BASE = int(ipaddress.IPv4Address("11.0.0.0"))
_V6_BASE = int(ipaddress.IPv6Address("2a10::"))
CLK_TCK = os.sysconf("SC_CLK_TCK")
WIDTH = 13  # server label column; widened for --what-if variants


def pct(samples: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --------------------------------------------------------------------------- certificates


@dataclass
class Client:
    name: str
    cert: Any  # x509.Certificate
    cert_file: Path
    key_file: Path


def make_client(folder: Path, name: str) -> Client:
    """A self-signed clientAuth certificate for `name` (EC P-256), as the workbench makes."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = folder / f"{name}.pem", folder / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Client(name, cert, cert_file, key_file)


# --------------------------------------------------------------------------- database


@dataclass
class Setup:
    tmp: Path
    db_url: str
    certs_dir: Path
    server_cert: Path
    server_key: Path
    ca_file: Path
    client: Client  # the throughput client (entry of THROUGHPUT_TLD, 127.0.0.1/32)
    rsp_clients: dict[str, Client]  # published client names -> their certificate
    tlds: list[str]
    stats: dict[str, float | int] = field(default_factory=dict)


def entry_name(kind: int, tld_index: int) -> str:
    return f"{ENTRY_KINDS[kind]}.rsp-{tld_index % RSP_GROUPS}.example"


def entries_for(tld_index: int) -> list:
    """3 entries of 10 prefixes (6 IPv4 /28, 4 IPv6 /56); roles vary from TLD to TLD."""
    from portal.core.roles import ROLE_IDS
    from portal.core.validation import validate_entry

    role_ids = list(ROLE_IDS)
    out = []
    for e in range(ENTRIES_PER_TLD):
        n = (tld_index * ENTRIES_PER_TLD + e) * PREFIXES_PER_ENTRY
        v4 = [f"{ipaddress.IPv4Address(_V4_BASE + (n + p) * 32)}/28" for p in range(6)]
        v6 = [f"{ipaddress.IPv6Address(_V6_BASE + ((n + p) * 2 << 72))}/56" for p in range(4)]
        first = (tld_index + e) % len(role_ids)
        count = 1 + (tld_index + 2 * e) % 4
        roles = [role_ids[(first + k) % len(role_ids)] for k in range(count)]
        checked = validate_entry(
            {"domain_name": entry_name(e, tld_index), "roles": roles, "ip_acl": v4 + v6}
        )
        assert checked.value is not None, checked.findings
        out.append(checked.value)
    return out


def build_database(tmp: Path, tld_limit: int | None) -> Setup:
    """Migrate, import the gTLDs, store 3 entries per TLD, publish the clients' TLSA records."""
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from infra.database import db
    from infra.harness_pki import ensure_material
    from portal.app import create_app
    from portal.core.tlsa import record_for
    from portal.core.validation import Entry, Limits
    from portal.models import Tld, TlsClientAuthEntry
    from portal.services import configuration, directory, zone

    material = ensure_material(tmp / "certs")
    db_url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "CERTS_DIR": str(material.folder)})
    clients_dir = tmp / "clients"
    client = make_client(clients_dir, CLIENT_NAME)
    rsp_clients = {
        entry_name(e, g): make_client(clients_dir, entry_name(e, g))
        for g in range(RSP_GROUPS)
        for e in range(ENTRIES_PER_TLD)
    }
    started = time.perf_counter()
    with app.app_context():
        upgrade()
        migrated = time.perf_counter()
        s = db.session
        csv_text = GTLDS_CSV.read_text(encoding="utf-8")
        if tld_limit is not None:
            lines = csv_text.splitlines()
            keep = [ln for ln in lines[1:] if ln.split(",", 1)[0] != THROUGHPUT_TLD]
            bank = [ln for ln in lines[1:] if ln.split(",", 1)[0] == THROUGHPUT_TLD]
            csv_text = "\n".join([lines[0], *bank, *keep[: max(0, tld_limit - 1)]]) + "\n"
        directory.import_gtlds(s, csv_text)
        directory.create_organisation(s, "Bench RSP", "rsp")
        user = directory.create_user(s, "bench@rsp.example", "Bench RSP", "bench-password-1")
        actor = configuration.Actor("bench@rsp.example", "cli")
        tlds = list(s.scalars(select(Tld).order_by(Tld.name)))
        for i, tld in enumerate(tlds):
            entries = entries_for(i)
            if tld.name == THROUGHPUT_TLD:
                # Two of its own entries first, the load generator's client last: every
                # request checks all three entries before it is allowed (the worst case of 3).
                entries = [
                    *entries[:2],
                    Entry(CLIENT_NAME, ("mosapi-slam",), ("127.0.0.1/32", "::1/128")),
                ]
            configuration.replace_entries(
                s, tld, [e.as_dict() for e in entries], tld.version, actor, Limits()
            )
        loaded = time.perf_counter()
        for c in [client, *rsp_clients.values()]:
            record = record_for(c.cert, 3, 1, 1)
            zone.publish(s, user, {"name": c.name, **record.as_dict()})
        stats = {
            "tlds": s.scalar(select(func.count(Tld.id))) or 0,
            "entries": s.scalar(select(func.count(TlsClientAuthEntry.id))) or 0,
            "tlsa_records": len(rsp_clients) + 1,
            "migrate_s": migrated - started,
            "load_s": loaded - migrated,
        }
        names = [t.name for t in tlds]
        s.remove()
        db.engine.dispose()
    return Setup(
        tmp,
        db_url,
        material.folder,
        material.server_cert,
        material.server_key,
        material.ca_cert,
        client,
        rsp_clients,
        names,
        stats,
    )


def state_body() -> bytes:
    """The mock's own answer shape for THROUGHPUT_TLD, as nginx's fixed body (same size)."""
    from mock_services.mosapi.data import state

    body = json.dumps(state(THROUGHPUT_TLD, None, datetime.now(UTC)), separators=(",", ":"))
    assert "'" not in body and "\\" not in body and "$" not in body
    return body.encode()


# --------------------------------------------------------------------------- servers


@dataclass
class Server:
    label: str
    port: int
    proc: subprocess.Popen
    log: Path
    expect_decision: bool  # the mock: X-TLSAuth-Decision must say "allowed"
    extra_pids: Callable[[], list[int]] = lambda: []

    def pids(self) -> list[int]:
        return [self.proc.pid, *self.extra_pids()]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def children_of(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            out.append(int(entry.name))
    return out


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of the processes (all their threads), in seconds."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def client_context(setup: Setup) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(setup.ca_file))
    ctx.load_cert_chain(str(setup.client.cert_file), str(setup.client.key_file))
    return ctx


def wait_ready(server: Server, setup: Setup, timeout: float = 90.0) -> None:
    ctx = client_context(setup)
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            break
        try:
            conn = http.client.HTTPSConnection("127.0.0.1", server.port, context=ctx, timeout=5)
            conn.request("GET", STATE_PATH, headers={"Connection": "close"})
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status == 200:
                return
            last = f"HTTP {response.status}: {response.getheader('X-TLSAuth-Decision')}"
        except OSError as exc:
            last = str(exc)
        time.sleep(0.3)
    tail = server.log.read_text(errors="replace")[-3000:] if server.log.exists() else ""
    server.stop()
    raise SystemExit(f"{server.label} did not answer 200 ({last}); its log:\n{tail}")


def start_mock(setup: Setup, threads: int | None, tweaks: str = "", workers: int = 1) -> Server:
    """`tlsauth serve mosapi`; with tweaks, this script serves the mock with bench-only changes
    (see serve_mock_variant) to measure what a suggested improvement would bring."""
    port = free_port()
    env = {
        **os.environ,
        "TLSAUTH_DATABASE_URL": setup.db_url,
        "TLSAUTH_CERTS_DIR": str(setup.certs_dir),
        "TLSAUTH_INSTANCE_DIR": str(setup.tmp),
    }
    if threads:
        env["TLSAUTH_MOCK_THREADS"] = str(threads)
    env["TLSAUTH_MOCK_WORKERS"] = str(workers)
    log = setup.tmp / f"mock{'-' + tweaks if tweaks else ''}.log"
    if tweaks:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--serve-mock-variant", tweaks]
        cmd += ["--listener-port", str(port)]
    else:
        exe = shutil.which("tlsauth", path=str(VENV_BIN)) or "tlsauth"
        cmd = [exe, "serve", "mosapi", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(  # noqa: S603 - our own entry point or this script
        cmd, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=setup.tmp
    )
    label = f"mock + {tweaks}" if tweaks else MOCK
    # TLSAUTH_MOCK_WORKERS > 1 forks worker processes: their CPU counts too.
    server = Server(label, port, proc, log, True, lambda: children_of(proc.pid))
    wait_ready(server, setup)
    return server


def start_listener(setup: Setup, body: Path, threads: int | None) -> Server:
    """The mock's TLS listener (cheroot + pyOpenSSL) with a trivial WSGI app."""
    port = free_port()
    log = setup.tmp / "listener.log"
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--serve-listener",
        str(port),
        "--listener-cert",
        str(setup.server_cert),
        "--listener-key",
        str(setup.server_key),
        "--listener-body",
        str(body),
        "--listener-threads",
        str(threads or 32),
    ]
    proc = subprocess.Popen(  # noqa: S603 - this script
        cmd, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=setup.tmp
    )
    server = Server(LISTENER, port, proc, log, expect_decision=False)
    wait_ready(server, setup)
    return server


NGINX_CONF = """\
worker_processes {workers};
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    keepalive_requests 1000000;
    keepalive_timeout 65s;
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name localhost;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_verify_client optional_no_ca;
        location / {{
            default_type application/json;
            return 200 '{body}';
        }}
    }}
}}
"""


def start_nginx(setup: Setup, body: bytes, workers: str) -> Server:
    exe = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if not exe:
        raise SystemExit("nginx is not installed (apt-get install nginx), or use --skip-nginx")
    port = free_port()
    prefix = setup.tmp / "nginx"
    prefix.mkdir(exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            workers=workers,
            prefix=prefix,
            port=port,
            cert=setup.server_cert,
            key=setup.server_key,
            body=body.decode(),
        )
    )
    log = prefix / "stderr.log"
    proc = subprocess.Popen(  # noqa: S603 - nginx with our generated configuration
        [exe, "-c", str(conf), "-p", str(prefix), "-e", str(prefix / "error.log")],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    server = Server(NGINX, port, proc, prefix / "error.log", False, lambda: children_of(proc.pid))
    wait_ready(server, setup)
    return server


def nginx_version() -> str:
    exe = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if not exe:
        return "nginx not installed"
    out = subprocess.run([exe, "-v"], capture_output=True, text=True, check=False)  # noqa: S603
    return (out.stderr or out.stdout).strip().replace("nginx version: ", "")


def serve_listener(port: int, cert: str, key: str, body_file: str, threads: int) -> int:
    """--serve-listener: cheroot + the mock's ClientCertAdapter around a constant answer."""
    from infra.tls_listener import make_server, peer_chain, serve_until_signalled

    body = Path(body_file).read_bytes()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        chain = peer_chain(environ)  # the peer certificate, as the mock reads it
        status = "200 OK" if chain else "401 Unauthorized"
        start_response(
            status,
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        return [body]

    server = make_server(app, "127.0.0.1", port, certificate=cert, private_key=key, threads=threads)
    serve_until_signalled([server])
    return 0


def serve_mock_variant(tweaks: str, port: int) -> int:
    """--serve-mock-variant: the mock exactly as `tlsauth serve mosapi` builds it, plus
    bench-only changes (nothing in the product is changed):

    * sync-normal: PRAGMA synchronous=NORMAL on the mock's SQLite connections (WAL mode: no
      fsync per commit, only at checkpoints),
    * log-lock: one in-process lock around the decision log insert + commit, so the worker
      threads queue on a Python lock instead of SQLite's busy handler (which sleeps 1, 2, 5,
      10 ... 100 ms between retries),
    * ka-limit: cheroot's keep_alive_conn_limit (10 idle keep-alive connections, beyond which
      cheroot closes them) raised to the number of worker threads.
    """
    from sqlalchemy import event

    from infra.database import db
    from infra.tls_listener import serve_until_signalled
    from mock_services.app import ENFORCER_KEY
    from portal.app import create_app
    from portal.cli.serve import build_servers

    wanted = set(tweaks.split(","))
    unknown = wanted - set(TWEAKS)
    if unknown:
        raise SystemExit(f"unknown tweak(s) {sorted(unknown)}; known: {', '.join(TWEAKS)}")
    app = create_app()
    with app.app_context():
        servers = build_servers(app, "mosapi", "127.0.0.1", port)
    mock = servers[0].wsgi_app
    if "sync-normal" in wanted:
        with mock.app_context():
            engine = db.engine

        def synchronous_normal(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute("PRAGMA synchronous=NORMAL")

        event.listen(engine, "connect", synchronous_normal)
    if "log-lock" in wanted:
        enf = mock.extensions[ENFORCER_KEY]
        lock = threading.Lock()
        log = enf.log

        def locked_log(*a: Any, **kw: Any) -> int:
            with lock:
                return log(*a, **kw)

        enf.log = locked_log
    if "ka-limit" in wanted:
        for server in servers:
            server.keep_alive_conn_limit = server.requests.min
    serve_until_signalled(servers)
    return 0


# --------------------------------------------------------------------------- load generator


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
        results: list[LoadResult] = []
        for rnd in range(1, args.rounds + 1):
            for keep_alive in (False, True):
                for server in servers:
                    r = run_load(setup, server, keep_alive, args)
                    r.round = rnd
                    results.append(r)
                    print(
                        f"  round {rnd} {r.mode:<14} {r.server:<{WIDTH}} {r.rps:8.1f} req/s  "
                        f"errors {r.errors}  server CPU {r.cpu_ms_per_request:5.2f} ms/req  "
                        f"machine busy {100 * r.machine_busy:3.0f} %",
                        flush=True,
                    )
        report_throughput(results, servers)
        if args.profile:
            mock = next(s for s in servers if s.label == MOCK)
            profile_mock(setup, mock, args)
    finally:
        for server in servers:
            server.stop()


def report_throughput(results: list[LoadResult], servers: list[Server]) -> None:
    print(
        "\nmedian of the rounds; latency = one request under load (full handshake: connect + "
        "TLS + HTTP), ms, over all rounds;\nserver CPU = CPU time of the server's processes in "
        "the window per request; gen CPU = the load generator's; busy = whole machine"
    )
    head = (
        f"| {'mode':<14} | {'server':<{WIDTH}} | {'req/s':>7} | {'errors':>6} | {'p50':>7} "
        f"| {'p99':>7} | {'server CPU ms/req':>17} | {'gen CPU ms/req':>14} | {'busy':>5} |"
    )
    print(head)
    print("|" + "|".join("-" * len(c) for c in head.split("|")[1:-1]) + "|")
    medians: dict[tuple[str, str], float] = {}
    cpu_medians: dict[tuple[str, str], float] = {}
    gen_medians: dict[tuple[str, str], float] = {}
    for mode in ("full handshake", "keep-alive"):
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
                f"| {mode:<14} | {server.label:<{WIDTH}} | {rps:7.1f} | {errors:>6} "
                f"| {pct(lat, 50):7.2f} | {pct(lat, 99):7.2f} | {cpu:17.2f} | {gen:14.2f} "
                f"| {100 * busy:4.0f}% |"
            )
    for mode in ("full handshake", "keep-alive"):
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
                cost = cpu_medians[(mode, NGINX)] / cpu_medians[(mode, server.label)]
                key, ref = (mode, server.label), (mode, NGINX)
                whole = (cpu_medians[ref] + gen_medians[ref]) / (
                    cpu_medians[key] + gen_medians[key]
                )
                print(
                    f"  CPU-cost ratios: servers alone {cost:.2f} (nginx CPU per request / "
                    f"this server's); server + generator {whole:.2f} (the ratio on a machine "
                    "of our own whose CPUs are the limit)"
                )
            if listener:
                print(f"ratio {server.label} / listener only, {mode}: {rps / listener:.2f}")
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


# --------------------------------------------------------------------------- profile


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


# --------------------------------------------------------------------------- decisions


@dataclass
class Sample:
    tld: str
    chain_cert: Any
    source: Any  # ipaddress address


def make_samples(setup: Setup, n: int, seed: int = 3) -> list[Sample]:
    """Random TLDs; 80 % the cert of one of the TLD's entries, from inside (3 in 4) or outside
    its ACL; 20 % a certificate published elsewhere (mismatch on every entry)."""
    rng = random.Random(seed)
    index = {name: i for i, name in enumerate(setup.tlds)}
    candidates = [t for t in setup.tlds if t != THROUGHPUT_TLD]
    out = []
    for _ in range(n):
        tld = rng.choice(candidates)
        i = index[tld]
        if rng.random() < 0.8:
            e = rng.randrange(ENTRIES_PER_TLD)
            cert = setup.rsp_clients[entry_name(e, i)].cert
            n0 = (i * ENTRIES_PER_TLD + e) * PREFIXES_PER_ENTRY
            if rng.random() < 0.75:
                source = ipaddress.IPv4Address(_V4_BASE + n0 * 32 + rng.randrange(16))
            else:
                source = ipaddress.IPv4Address("198.51.100.7")
        else:
            cert = setup.client.cert
            source = ipaddress.IPv4Address("198.51.100.7")
        out.append(Sample(tld, cert, source))
    return out


def timing_row(
    label: str, samples_ms: list[float], goal: str = "", cpu_ms: float | None = None
) -> str:
    cpu = f"{cpu_ms:8.3f}" if cpu_ms is not None else f"{'':>8}"
    return (
        f"| {label:<52} | {len(samples_ms):>6} | {pct(samples_ms, 50):8.3f} "
        f"| {pct(samples_ms, 95):8.3f} | {pct(samples_ms, 99):8.3f} | {max(samples_ms):8.3f} "
        f"| {cpu} | {goal:<14} |"
    )


@dataclass
class Timed:
    """Wall time of each call (ms) and the mean CPU time of this thread per call (ms)."""

    wall_ms: list[float] = field(default_factory=list)
    cpu_s: float = 0.0

    def run(self, fn: Callable[[], Any]) -> Any:
        c0, t0 = time.thread_time(), time.perf_counter()
        out = fn()
        self.wall_ms.append((time.perf_counter() - t0) * 1000)
        self.cpu_s += time.thread_time() - c0
        return out

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.cpu_s / max(1, len(self.wall_ms))


def decisions(setup: Setup, args: argparse.Namespace) -> None:
    from sqlalchemy import select

    from infra.database import db
    from mock_services.app import create_mock_app, enforcer
    from mock_services.routes import routes_for
    from portal.app import create_app
    from portal.core.decision import decide_certificate
    from portal.core.tlsa import CertFacts
    from portal.core.validation import Limits
    from portal.models import Tld
    from portal.services import configuration

    overrides = {"SQLALCHEMY_DATABASE_URI": setup.db_url, "CERTS_DIR": str(setup.certs_dir)}
    mock = create_mock_app("mosapi", {**overrides, "TESTING": True})
    portal_app = create_app(overrides)
    route = next(r for r in routes_for("mosapi") if r.handler == "state")
    role = route.role
    assert role is not None
    rows: list[str] = []
    outcomes: Counter[str] = Counter()
    samples = make_samples(setup, args.decisions)
    with mock.app_context():
        enf = enforcer()
        cache = enf.cache
        s = db.session
        t0 = time.perf_counter()
        for name in setup.tlds:
            cache.lookup(s, name)
        fill_s = time.perf_counter() - t0
        s.remove()
        policies = {name: cache.lookup(s, name)[0] for name in setup.tlds}
        s.remove()
        now = datetime.now(UTC)
        chains = {id(x.chain_cert): [CertFacts(x.chain_cert)] for x in samples}

        # (a) decide_certificate alone: warm cache, the policy already in hand.
        decide_ms = []
        for x in samples:
            policy, chain = policies[x.tld], [CertFacts(x.chain_cert)]
            t = time.perf_counter()
            d = decide_certificate(policy, role, chain, x.source, enf.lookup, now, enf.anchors)
            decide_ms.append((time.perf_counter() - t) * 1000)
            outcomes["allowed" if d.allowed else d.short_reason] += 1
        # (a') the same with the chain's association data already computed (as for the 2nd+
        # entry of a request: CertFacts caches it per request).
        warm_ms = []
        for x in samples:
            policy, chain = policies[x.tld], chains[id(x.chain_cert)]
            t = time.perf_counter()
            decide_certificate(policy, role, chain, x.source, enf.lookup, now, enf.anchors)
            warm_ms.append((time.perf_counter() - t) * 1000)
        rows.append(
            timing_row(
                "decide_certificate (fresh CertFacts per decision)",
                decide_ms,
                f"p99<=0.2ms {'met' if pct(decide_ms, 99) <= DECIDE_P99_GOAL_MS else 'NOT'}",
            )
        )
        rows.append(timing_row("decide_certificate (leaf digest already cached)", warm_ms))

        # (b) what the enforcer does around it, without the log: PolicyCache.lookup (its
        # version query), CertFacts, decide; session closed as Flask's teardown does.
        few = samples[: args.requests]
        lookup = Timed()
        for x in few:

            def lookup_decide(x: Sample = x) -> None:
                policy, _ = cache.lookup(s, x.tld)
                chain = [CertFacts(x.chain_cert)]
                decide_certificate(policy, role, chain, x.source, enf.lookup, datetime.now(UTC))
                s.remove()

            lookup.run(lookup_decide)
        rows.append(
            timing_row(
                "PolicyCache.lookup (version query) + decide",
                lookup.wall_ms,
                cpu_ms=lookup.cpu_ms,
            )
        )

    # (c) Enforcer.enforce: facts from a request, lookup, decide, decision log insert + commit.
    enforce = Timed()
    for x in few:
        environ = {"tlsauth.peer_chain": lambda c=x.chain_cert: [c], "REMOTE_ADDR": str(x.source)}
        path = f"/ry/{x.tld}/v2/monitoring/state"
        with mock.test_request_context(path, base_url="https://localhost", environ_base=environ):
            from flask import request

            def enforce_once(x: Sample = x) -> None:
                enforcer().enforce(db.session, route, x.tld, request)
                db.session.remove()

            enforce.run(enforce_once)
    rows.append(
        timing_row(
            "Enforcer.enforce (+ decision log insert, commit)",
            enforce.wall_ms,
            cpu_ms=enforce.cpu_ms,
        )
    )

    # (d) one whole request through the mock's Flask app (test client, no TLS, no cheroot).
    client = mock.test_client()
    statuses: Counter[int] = Counter()

    def wsgi_get(path: str, cert: Any, source: str) -> None:
        environ = {"tlsauth.peer_chain": lambda: [cert], "REMOTE_ADDR": source}
        response = client.get(path, base_url="https://localhost", environ_base=environ)
        response.get_data()
        statuses[response.status_code] += 1

    wsgi = Timed()
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
    for k, x in enumerate(few):
        if profiler and k == len(few) // 2:
            profiler.enable()
        path = f"/ry/{x.tld}/v2/monitoring/state"
        wsgi.run(lambda path=path, x=x: wsgi_get(path, x.chain_cert, str(x.source)))
    if profiler:
        profiler.disable()
    random_statuses = dict(statuses)
    rows.append(
        timing_row(
            "WSGI request, random TLDs (Flask test client)", wsgi.wall_ms, cpu_ms=wsgi.cpu_ms
        )
    )
    # The throughput request itself: THROUGHPUT_TLD, the generator's certificate, 127.0.0.1.
    allowed = Timed()
    before = statuses[200]
    for _ in range(args.requests):
        allowed.run(lambda: wsgi_get(STATE_PATH, setup.client.cert, "127.0.0.1"))
    assert statuses[200] - before == args.requests, statuses
    rows.append(
        timing_row(f"WSGI request, {STATE_PATH} (allowed)", allowed.wall_ms, cpu_ms=allowed.cpu_ms)
    )
    # Two parts of that request's view, alone.
    from mock_services import shared
    from mock_services.mosapi import data

    scenario, body = Timed(), Timed()
    with mock.app_context():
        for _ in range(args.requests):
            scenario.run(lambda: (shared.scenario_for(THROUGHPUT_TLD), db.session.remove()))
            body.run(lambda: data.state(THROUGHPUT_TLD, None, datetime.now(UTC)))
    rows.append(timing_row("  its view: scenario query", scenario.wall_ms, cpu_ms=scenario.cpu_ms))
    rows.append(
        timing_row("  its view: data.state (the JSON document)", body.wall_ms, cpu_ms=body.cpu_ms)
    )
    # What-if (bench-only): the same with PRAGMA synchronous=NORMAL on the mock's connections.
    from sqlalchemy import event

    with mock.app_context():
        engine = db.engine
        engine.dispose()

    def synchronous_normal(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")

    event.listen(engine, "connect", synchronous_normal)
    normal = Timed()
    for _ in range(args.requests):
        normal.run(lambda: wsgi_get(STATE_PATH, setup.client.cert, "127.0.0.1"))
    event.remove(engine, "connect", synchronous_normal)
    with mock.app_context():
        db.engine.dispose()
    rows.append(
        timing_row(
            "what-if: the allowed request, synchronous=NORMAL", normal.wall_ms, cpu_ms=normal.cpu_ms
        )
    )

    # (e) refresh after an edit: replace_entries on one TLD (the portal), then the cache's
    # next lookup (the mock's next request) returns the new version.
    rng = random.Random(7)
    edit_ms, refresh_ms, total_ms = [], [], []
    index = {name: i for i, name in enumerate(setup.tlds)}
    candidates = [t for t in setup.tlds if t != THROUGHPUT_TLD]
    with mock.app_context():
        ms = db.session
        for k in range(args.edits):
            name = rng.choice(candidates)
            cache.lookup(ms, name)  # cached and current before the edit
            ms.remove()
            entries = entries_for(index[name])
            entries[0] = type(entries[0])(
                entries[0].domain_name,
                entries[0].roles,
                (*entries[0].ip_acl[:-1], f"2001:db8:{k:x}::/48"),
            )
            with portal_app.app_context():
                ps = db.session
                tld = ps.scalars(select(Tld).where(Tld.name == name)).one()
                t0 = time.perf_counter()
                configuration.replace_entries(
                    ps,
                    tld,
                    [e.as_dict() for e in entries],
                    tld.version,
                    configuration.Actor("bench", "cli"),
                    Limits(),
                )
                t1 = time.perf_counter()
                version = tld.version
                ps.remove()
            t2 = time.perf_counter()
            policy, _ = cache.lookup(ms, name)
            ms.remove()
            t3 = time.perf_counter()
            assert policy is not None and policy.version == version, (policy, version)
            assert ipaddress.ip_network(f"2001:db8:{k:x}::/48") in policy.entries[0].networks
            edit_ms.append((t1 - t0) * 1000)
            refresh_ms.append((t3 - t2) * 1000)
            total_ms.append((t3 - t0) * 1000)
    rows.append(timing_row("portal edit: replace_entries (commit)", edit_ms))
    rows.append(
        timing_row(
            "policy refresh: next lookup returns the new version",
            refresh_ms,
            f"<=50ms {'met' if max(refresh_ms) <= REFRESH_GOAL_MS else 'NOT'}",
        )
    )
    rows.append(timing_row("edit + refresh", total_ms))
    with mock.app_context():
        db.engine.dispose()
    with portal_app.app_context():
        db.engine.dispose()

    print(
        f"\ndecisions: {len(setup.tlds)} TLDs x {ENTRIES_PER_TLD} entries x "
        f"{PREFIXES_PER_ENTRY} prefixes; PolicyCache filled with every TLD in {fill_s:.2f} s; "
        f"role {role}; outcomes of the random sample: {dict(outcomes)}; "
        f"WSGI statuses (random TLDs): {random_statuses}"
    )
    print(
        f"| {'what (ms)':<52} | {'n':>6} | {'p50':>8} | {'p95':>8} | {'p99':>8} | {'max':>8} "
        f"| {'CPU mean':>8} | {'goal':<14} |"
    )
    print(
        f"|{'-' * 54}|{'-' * 7}:|{'-' * 9}:|{'-' * 9}:|{'-' * 9}:|{'-' * 9}:|{'-' * 9}:|{'-' * 16}|"
    )
    print("\n".join(rows))
    if profiler:
        import io
        import pstats

        buf = io.StringIO()
        stats = pstats.Stats(profiler, stream=buf)
        stats.sort_stats("cumulative").print_stats(35)
        stats.sort_stats("tottime").print_stats(15)
        print(f"\ncProfile of {len(few) - len(few) // 2} WSGI requests (cumulative, then own):")
        print("\n".join(ln for ln in buf.getvalue().splitlines() if ln.strip()))


# --------------------------------------------------------------------------- main


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
    global WIDTH
    WIDTH = max([WIDTH, *(len(f"mock + {t}") for t in args.what_if or [])])
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
