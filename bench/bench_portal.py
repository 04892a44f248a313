"""Portal benchmark: the TLD list and a TLD page with every gTLD loaded.

Loads all gTLDs of portal/data/gtlds.csv, gives every TLD 3 TLS client authentication
entries of 10 prefixes each (through the same service the UI and the API use, so each TLD
also gets its audit event), signs in as ICANN staff (who sees every TLD: the worst case for
the list) through the real login form, and times N requests of each page.

"Server time" is the wall time of one WSGI call through Flask's test client, in process:
routing, session and login, database queries, template rendering and reading the body — no
network and no HTTP server. Goal: p95 <= 50 ms for each request kind.

    python bench/bench_portal.py [--requests N] [--warmup N] [--database-url URL]
                                 [--postgres-url URL]

Without --database-url the database is a fresh SQLite file in a temporary instance
directory. A postgresql:// URL (either option) gets a schema of its own, dropped at the
end. The figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ENTRY_KINDS, GTLDS_CSV, PREFIXES_PER_ENTRY, entries_for, pct  # noqa: E402

GOAL_MS = 50.0
STAFF_EMAIL = "bench-staff@icann.example"
STAFF_PASSWORD = "bench-password-1"
PAGE_TLD = "bank"  # the TLD whose page and history are timed
HTMX = {"HX-Request": "true"}
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Case:
    name: str
    path: str
    headers: dict[str, str]
    expect: str  # text the answer must contain (guards against timing an error page)


@dataclass
class Result:
    case: Case
    samples_ms: list[float]
    statements: int  # SQL statements of one request

    def pct(self, p: float) -> float:
        return pct(self.samples_ms, p)

    @property
    def max(self) -> float:
        return max(self.samples_ms)


def cases() -> list[Case]:
    return [
        Case("GET /tlds (first page, full page)", "/tlds", {}, "<html"),
        Case("GET /tlds (HTMX fragment)", "/tlds", HTMX, 'id="tld-results"'),
        Case("GET /tlds?q=bank (search)", "/tlds?q=bank", HTMX, "matching"),
        Case("GET /tlds?q=amazon (operator)", "/tlds?q=amazon", HTMX, "matching"),
        Case(f"GET /tlds/{PAGE_TLD} (TLD page)", f"/tlds/{PAGE_TLD}", {}, "entries-table"),
        Case(f"GET /tlds/{PAGE_TLD}/history (HTMX)", f"/tlds/{PAGE_TLD}/history", HTMX, "history"),
    ]


# --------------------------------------------------------------------------- database


def _driver_url(url: str) -> str:
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _with_search_path(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


@contextmanager
def database(url: str | None, instance: Path) -> Iterator[tuple[str, str]]:
    """Yield (SQLAlchemy URL, label); a PostgreSQL database gets a throw-away schema."""
    if url is None:
        yield f"sqlite:///{instance / 'bench.sqlite3'}", "SQLite (temporary file)"
        return
    url = _driver_url(url)
    if not url.startswith("postgresql"):
        yield url, url.split(":", 1)[0]
        return
    from sqlalchemy import create_engine, text

    schema = f"tlsauth_bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        version = conn.execute(text("SHOW server_version")).scalar()
    try:
        yield _with_search_path(url, schema), f"PostgreSQL {version} (schema {schema})"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def tld_entries(tld_index: int, tld: str) -> list:
    """3 entries of 10 prefixes (6 IPv4, 4 IPv6), roles varying from TLD to TLD."""
    names = [f"{kind}{tld_index % 7}.{tld}.rsp-{tld_index % 13}.example" for kind in ENTRY_KINDS]
    return entries_for(tld_index, names)


def load(app) -> dict[str, float | int]:
    """Migrate, import the gTLDs, create the ICANN staff user, store every TLD's entries."""
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from infra.database import db
    from portal.core.validation import Limits
    from portal.models import AuditEvent, Tld, TlsClientAuthEntry
    from portal.services import configuration, directory

    started = time.perf_counter()
    with app.app_context():
        upgrade()
        migrated = time.perf_counter()
        s = db.session
        imported = directory.import_gtlds(s, GTLDS_CSV.read_text(encoding="utf-8"))
        directory.create_organisation(s, "ICANN (benchmark)", "icann")
        directory.create_user(s, STAFF_EMAIL, "ICANN (benchmark)", STAFF_PASSWORD)
        actor = configuration.Actor("bench@icann.example", "cli")
        tlds = list(s.scalars(select(Tld).order_by(Tld.name)))
        for i, tld in enumerate(tlds):
            entries = [e.as_dict() for e in tld_entries(i, tld.name)]
            configuration.replace_entries(s, tld, entries, tld.version, actor, Limits())
        counts = {
            "tlds": s.scalar(select(func.count(Tld.id))) or 0,
            "entries": s.scalar(select(func.count(TlsClientAuthEntry.id))) or 0,
            "audit_events": s.scalar(select(func.count(AuditEvent.id))) or 0,
            "operators_added": imported.operators_added,
        }
        s.remove()
    done = time.perf_counter()
    return {**counts, "migrate_s": migrated - started, "load_s": done - migrated}


# --------------------------------------------------------------------------- requests


def sign_in(client) -> None:
    page = client.get("/login").get_data(as_text=True)
    match = _CSRF.search(page)
    if not match:
        raise SystemExit("no CSRF token on the login page")
    response = client.post(
        "/login",
        data={"email": STAFF_EMAIL, "password": STAFF_PASSWORD, "csrf_token": match.group(1)},
    )
    if response.status_code != 302:
        raise SystemExit(f"sign-in failed: HTTP {response.status_code}")


def time_case(client, case: Case, requests: int, warmup: int, sql: list[int]) -> Result:
    def call() -> float:
        t0 = time.perf_counter()
        response = client.get(case.path, headers=case.headers)
        body = response.get_data(as_text=True)
        elapsed = (time.perf_counter() - t0) * 1000
        if response.status_code != 200 or case.expect not in body:
            raise SystemExit(f"{case.name}: unexpected answer HTTP {response.status_code}")
        return elapsed

    for _ in range(warmup):
        call()
    samples = [call() for _ in range(requests)]
    sql[0] = 0
    call()
    return Result(case, samples, sql[0])


def table(results: list[Result]) -> str:
    head = (
        f"| {'request':<38} | {'n':>4} | {'p50':>6} | {'p95':>6} | {'p99':>6} | {'max':>6} "
        f"| SQL | p95 ≤ 50 ms |"
    )
    rule = (
        f"|{'-' * 40}|{'-' * 5}:|{'-' * 7}:|{'-' * 7}:|{'-' * 7}:|{'-' * 7}:|{'-' * 4}:"
        f"|:{'-' * 11}:|"
    )
    lines = [head, rule]
    for r in results:
        p95 = r.pct(95)
        lines.append(
            f"| {r.case.name:<38} | {len(r.samples_ms):>4} | {r.pct(50):6.1f} | {p95:6.1f} "
            f"| {r.pct(99):6.1f} | {r.max:6.1f} | {r.statements:>3} "
            f"| {'yes' if p95 <= GOAL_MS else 'NO':^11} |"
        )
    return "\n".join(lines)


def run(url: str | None, requests: int, warmup: int, profile: str | None) -> bool:
    with (
        tempfile.TemporaryDirectory(prefix="tlsauth-bench-") as tmp,
        database(url, Path(tmp)) as (db_url, label),
    ):
        os.environ["TLSAUTH_INSTANCE_DIR"] = tmp
        from sqlalchemy import event

        from infra.database import db
        from portal.app import create_app

        app = create_app({"SQLALCHEMY_DATABASE_URI": db_url})
        print(f"\n== {label}")
        stats = load(app)
        print(
            f"load: {stats['tlds']} TLDs ({stats['operators_added']} operators), "
            f"{stats['entries']} entries x {PREFIXES_PER_ENTRY} prefixes, "
            f"{stats['audit_events']} audit events; migrations {stats['migrate_s']:.1f} s, "
            f"import + entries {stats['load_s']:.1f} s"
        )
        sql = [0]

        def count(*_args: object) -> None:
            sql[0] += 1

        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", count)
        client = app.test_client()
        sign_in(client)

        def timer(c: Case) -> Result:
            return time_case(client, c, requests, warmup, sql)

        results = _profiled(timer, profile) if profile else [timer(c) for c in cases()]
        print(
            f"server time = wall time of one WSGI call through Flask's test client "
            f"(in process, no network), ms; {warmup} warm-up requests each, not counted; "
            f"SQL = statements per request"
        )
        print(table(results))
        with app.app_context():
            db.engine.dispose()
        return all(r.pct(95) <= GOAL_MS for r in results)


def _profiled(timer: Callable[[Case], Result], name_part: str) -> list[Result]:
    """cProfile the cases whose name contains name_part; print the top functions."""
    import cProfile
    import pstats

    results = []
    for c in cases():
        if name_part.lower() in c.name.lower():
            profiler = cProfile.Profile()
            profiler.enable()
            results.append(timer(c))
            profiler.disable()
            print(f"-- profile: {c.name}")
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        else:
            results.append(timer(c))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="timed requests per kind")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests first")
    parser.add_argument(
        "--database-url",
        help="database instead of a temporary SQLite file (postgresql:// gets its own schema)",
    )
    parser.add_argument(
        "--postgres-url", help="also run against this PostgreSQL database (own schema)"
    )
    parser.add_argument(
        "--profile", metavar="TEXT", help="cProfile the request kinds whose name contains TEXT"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("TLSAUTH_SECRET_KEY", secrets.token_hex(16))
    print(
        f"portal benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; Python "
        f"{platform.python_version()}, {os.cpu_count()} CPUs, {platform.platform()}"
    )
    ok = run(args.database_url, args.requests, args.warmup, args.profile)
    if args.postgres_url:
        ok = run(args.postgres_url, args.requests, args.warmup, args.profile) and ok
    print(f"\ngoal p95 <= {GOAL_MS:.0f} ms: {'met' if ok else 'NOT met'} for every request kind")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
