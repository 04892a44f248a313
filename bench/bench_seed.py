"""Seed benchmark: `tlsauth seed` of 300 TLDs × 3 entries and 10 published certificates on a
fresh database, then the same document again (which changes nothing).

The document: organisations ICANN, one RSP (RSP of record of every TLD) and one registry
operator per 10 TLDs, a user of the first three (each user's password is one scrypt hash,
about 0.1 s); the first 300 gTLDs of portal/data/gtlds.csv, each with
the 3 entries of bench/common.py (10 prefixes each: 900 entries, 9,000 prefixes); 10 EC P-256
certificates, 5 self-signed and 5 from the harness CA, each with its `3 1 1` record published
at a client name. Each round times, on a fresh, migrated database:

- read: `load_document` of the YAML file (PyYAML with libyaml where present);
- first: `services.seed.apply` on the empty harness (check, create, audit, keys, files);
- second: the same document again: every part compared, nothing changed;
- cli: `tlsauth seed FILE` in a new process on another fresh database (app start included).

    python bench/bench_seed.py [--rounds N] [--tlds N] [--database-url URL]

With `--database-url postgresql://…` each round uses a fresh schema in that database.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_bulk import gtlds  # noqa: E402
from bench.common import ENTRY_KINDS, entries_for, fresh_database  # noqa: E402

CERTIFICATES = 10
TLDS_PER_OPERATOR = 10


def document(names: list[str], certificates: int) -> dict[str, Any]:
    operators = [f"Bench Registry {i // TLDS_PER_OPERATOR}" for i in range(len(names))]
    tlds = []
    for i, tld in enumerate(names):
        entries = entries_for(i, [f"{kind}.{tld}.rsp.example" for kind in ENTRY_KINDS])
        tlds.append(
            {
                "name": tld,
                "operator": operators[i],
                "rsp": "Bench RSP",
                "entries": [e.as_dict() for e in entries],
            }
        )
    return {
        "version": 1,
        "organisations": [
            {"name": "ICANN", "kind": "icann"},
            {"name": "Bench RSP", "kind": "rsp"},
            *({"name": o, "kind": "registry-operator"} for o in dict.fromkeys(operators)),
        ],
        "users": [
            {"email": "staff@icann.example", "organisation": "ICANN"},
            {"email": "rsp@rsp.example", "organisation": "Bench RSP"},
            {"email": "registry@registry.example", "organisation": operators[0]},
        ],
        "tlds": tlds,
        "certificates": {
            "folder": "certs-out",
            "items": [
                {
                    "name": f"client{i}",
                    "domain_name": tlds[i]["entries"][0]["domain_name"],
                    "issuer": "self" if i % 2 == 0 else "harness",
                    "days": 30,
                    "publish": True,
                    "organisation": "Bench RSP",
                }
                for i in range(certificates)
            ],
        },
    }


def fresh_url(workdir: Path, pg_base: str) -> tuple[str, Callable[[], None]]:
    """An empty, migrated database, and how to drop it."""
    return fresh_database(workdir, pg_base, "bench_seed")


def in_process(url: str, seed_file: Path, certs_dir: Path) -> tuple[dict[str, float], Any]:
    from infra.database import db
    from portal.app import create_app
    from portal.core.seed import load_document
    from portal.services import seed as seeding

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "CERTS_DIR": str(certs_dir)})
    with app.app_context():
        t0 = time.perf_counter()
        data = load_document(seed_file.read_bytes(), seed_file.name)
        t1 = time.perf_counter()
        first = seeding.apply(db.session, data, base_dir=seed_file.parent, certs_dir=certs_dir)
        t2 = time.perf_counter()
        second = seeding.apply(db.session, data, base_dir=seed_file.parent, certs_dir=certs_dir)
        t3 = time.perf_counter()
        assert not second.changed_anything and not second.certificates
        db.session.remove()
        db.engine.dispose()
    return {"read": t1 - t0, "first": t2 - t1, "second": t3 - t2}, first


def by_cli(url: str, seed_file: Path, certs_dir: Path, workdir: Path) -> float:
    env = {
        **os.environ,
        "TLSAUTH_DATABASE_URL": url,
        "TLSAUTH_CERTS_DIR": str(certs_dir),
        "TLSAUTH_INSTANCE_DIR": str(workdir),
        "TLSAUTH_SECRET_KEY": secrets.token_hex(16),
    }
    tlsauth = Path(sys.executable).with_name("tlsauth")
    t0 = time.perf_counter()
    done = subprocess.run(
        [str(tlsauth), "seed", str(seed_file)], env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - t0
    assert done.returncode == 0, done.stderr
    return elapsed


def main() -> None:
    import yaml

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--tlds", type=int, default=300)
    ap.add_argument("--certificates", type=int, default=CERTIFICATES)
    ap.add_argument("--database-url", default="", help="postgresql://… (default: SQLite)")
    args = ap.parse_args()

    doc = document(gtlds(args.tlds), args.certificates)
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    entries = sum(len(t["entries"]) for t in doc["tlds"])
    print(
        f"python {platform.python_version()}, {backend}, {len(doc['tlds'])} TLDs, {entries} "
        f"entries, {args.certificates} certificates ({len(text) / 1024:.0f} KiB YAML), "
        f"{args.rounds} rounds, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    samples: list[dict[str, float]] = []
    report: Any = None
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for n in range(args.rounds + 1):  # the first round warms up and is not counted
            folder = work / f"round{n}"
            folder.mkdir()
            seed_file = folder / "seed.yaml"
            seed_file.write_text(text, encoding="utf-8")
            url, drop = fresh_url(work, args.database_url)
            times, report = in_process(url, seed_file, folder / "ca")
            drop()
            cli_folder = folder / "cli"
            cli_folder.mkdir()
            (cli_folder / "seed.yaml").write_text(text, encoding="utf-8")
            url, drop = fresh_url(work, args.database_url)
            times["cli"] = by_cli(url, cli_folder / "seed.yaml", folder / "ca", work)
            drop()
            samples.append(times)
    samples = samples[1:]
    for step, label in (
        ("read", "read the YAML"),
        ("first", "first apply (fresh)"),
        ("second", "second apply (no change)"),
        ("cli", "tlsauth seed FILE (process)"),
    ):
        values = [t[step] for t in samples]
        print(f"  {label:<29} median {statistics.median(values):6.2f} s   max {max(values):6.2f} s")
    kinds = report.kinds
    print(
        "  made: "
        + ", ".join(f"{len(o.created) + len(o.changed)} {k}" for k, o in kinds.items())
        + f"; {len(report.certificates)} files"
    )


if __name__ == "__main__":
    main()
