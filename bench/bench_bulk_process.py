"""Bulk upload benchmark, the whole process on a real database: check, stage, load.

The harness holds every gTLD of portal/data/gtlds.csv (1,239), one RSP of record for all of them,
and one user per registry operator (so every TLD's operator is notified); the TLDs' current
entries and the file (3 entries × 10 prefixes per TLD, 3,717 rows) are those of
bench/bench_bulk.py. Each round starts from a fresh database (a submit is one-time) and times,
as the portal runs them:

- check: `create_upload` + `check_upload` (read, validate every row, preview against the
  database's current entries, store the plan and preview), the work behind the progress bar;
- stage: `submit` (attestation, one pending change and one History event per TLD, the
  notifications and emails, in one transaction);
- load: `load_due` at the end of the notice period (every TLD loaded, atomically and audited,
  200 TLDs per transaction).

Peak memory is measured in one more round under tracemalloc (Python allocations above what was
held before each step; tracemalloc slows Python, so that round is not timed).

    python bench/bench_bulk_process.py [--rounds N] [--tlds N] [--database-url URL]

With `--database-url postgresql://…` each round uses a fresh schema in that database.
"""

from __future__ import annotations

import argparse
import gc
import platform
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_bulk import csv_file, current_of, gtlds, wanted  # noqa: E402
from bench.common import GTLDS_CSV, fresh_database  # noqa: E402


def fresh_app(workdir: Path, pg_base: str) -> tuple[Any, Callable[[], None]]:
    """An app on an empty, migrated database, and how to drop that database."""
    from portal.app import create_app

    url, drop = fresh_database(workdir, pg_base, "bench_bulk")
    return create_app({"SQLALCHEMY_DATABASE_URI": url}), drop


def populate(names: list[str], current: dict[str, Any]) -> None:
    """The TLDs, their operators (one user each), the RSP of record and the current entries."""
    from sqlalchemy import select, update
    from werkzeug.security import generate_password_hash

    from infra.database import db
    from portal.models import Organisation, OrgKind, Tld, TlsClientAuthEntry, User
    from portal.services import directory

    s = db.session
    wanted_names = set(names)
    lines = GTLDS_CSV.read_text(encoding="utf-8").splitlines()
    kept = [lines[0]] + [ln for ln in lines[1:] if ln.split(",", 1)[0] in wanted_names]
    directory.import_gtlds(s, "\n".join(kept) + "\n")
    rsp = directory.create_organisation(s, "Bench RSP", "rsp")
    hashed = generate_password_hash("bench-password-1")
    s.add(User(email="rsp@bench.example", password_hash=hashed, organisation_id=rsp.id))
    for i, org in enumerate(
        s.scalars(select(Organisation).where(Organisation.kind == OrgKind.REGISTRY_OPERATOR))
    ):
        s.add(User(email=f"op{i}@bench.example", password_hash=hashed, organisation_id=org.id))
    s.execute(update(Tld).values(rsp_id=rsp.id))
    ids = {name: tid for name, tid in s.execute(select(Tld.name, Tld.id))}
    s.add_all(
        TlsClientAuthEntry(
            tld_id=ids[tld], domain_name=e.domain_name, roles=list(e.roles), ip_acl=list(e.ip_acl)
        )
        for tld, entries in current.items()
        for e in entries
    )
    s.commit()


def one_round(data: bytes) -> tuple[dict[str, float], dict[str, Any]]:
    from infra.database import db
    from portal.core.validation import Limits
    from portal.models import UploadStatus, utcnow
    from portal.services import bulk_changes, bulk_uploads, directory

    s = db.session
    rsp = directory.get_user(s, "rsp@bench.example")
    t0 = time.perf_counter()
    upload = bulk_uploads.create_upload(
        s, rsp, data, filename="bench.csv", channel="cli", max_bytes=len(data)
    )
    upload = bulk_uploads.check_upload(s, upload, Limits())
    t1 = time.perf_counter()
    assert upload.status == UploadStatus.READY, (upload.status, upload.error, upload.findings)
    bulk_uploads.submit(
        s, upload, rsp, attest=True, name="Bench Person", title="Engineer", notice_days=7
    )
    t2 = time.perf_counter()
    outcome = bulk_changes.load_due(s, now=utcnow() + timedelta(days=7, minutes=1))
    t3 = time.perf_counter()
    facts = {"tlds": len(upload.plan or {}), "loaded": len(outcome.loaded), "totals": upload.totals}
    assert not outcome.conflicts and len(outcome.loaded) == facts["tlds"]
    return {"check": t1 - t0, "stage": t2 - t1, "load": t3 - t2}, facts


def peaks(data: bytes) -> dict[str, int]:
    """Peak Python allocations of each step, in bytes (one more round, under tracemalloc)."""
    from infra.database import db
    from portal.core.validation import Limits
    from portal.models import utcnow
    from portal.services import bulk_changes, bulk_uploads, directory

    s = db.session
    rsp = directory.get_user(s, "rsp@bench.example")
    out: dict[str, int] = {}
    holder: dict[str, Any] = {}

    def measure(name: str, step: Callable[[], Any]) -> None:
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        holder[name] = step()
        out[name] = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()

    measure(
        "check",
        lambda: bulk_uploads.check_upload(
            s,
            bulk_uploads.create_upload(
                s, rsp, data, filename="bench.csv", channel="cli", max_bytes=len(data)
            ),
            Limits(),
        ),
    )
    measure(
        "stage",
        lambda: bulk_uploads.submit(
            s, holder["check"], rsp, attest=True, name="B P", title="E", notice_days=7
        ),
    )
    measure("load", lambda: bulk_changes.load_due(s, now=utcnow() + timedelta(days=8)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--tlds", type=int, default=0, help="only the first N gTLDs (0: all)")
    ap.add_argument("--database-url", default="", help="postgresql://… (default: SQLite)")
    args = ap.parse_args()

    names = gtlds(args.tlds or None)
    file_entries = wanted(names)
    current = current_of(file_entries)
    data = csv_file(file_entries)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"python {platform.python_version()}, {backend}, {len(names):,} TLDs, "
        f"{sum(len(e) for e in file_entries.values()):,} rows ({len(data) / 1024 / 1024:.2f} "
        f"MiB CSV), {args.rounds} rounds"
    )
    samples: list[dict[str, float]] = []
    facts: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.rounds + 1):  # the first round warms up and is not counted
            app, drop = fresh_app(Path(tmp), args.database_url)
            with app.app_context():
                populate(names, current)
                times, facts = one_round(data)
                from infra.database import db

                db.session.remove()
                db.engine.dispose()
            drop()
            samples.append(times)
        app, drop = fresh_app(Path(tmp), args.database_url)
        with app.app_context():
            populate(names, current)
            peak = peaks(data)
            from infra.database import db

            db.session.remove()
            db.engine.dispose()
        drop()
    samples = samples[1:]
    for step, label in (
        ("check", "check (validate + preview)"),
        ("stage", "stage (submit)"),
        ("load", "load (load-due)"),
    ):
        values = [t[step] * 1000 for t in samples]
        print(
            f"  {label:<27} median {statistics.median(values):8.1f} ms   "
            f"max {max(values):8.1f} ms   peak memory {peak[step] / 1024 / 1024:6.1f} MiB"
        )
    totals = facts["totals"]
    print(
        f"  {facts['tlds']:,} TLDs staged and {facts['loaded']:,} loaded; entries "
        f"+{totals['entries_added']:,} -{totals['entries_removed']:,} "
        f"~{totals['entries_changed']:,} ={totals['entries_unchanged']:,}"
    )


if __name__ == "__main__":
    main()
