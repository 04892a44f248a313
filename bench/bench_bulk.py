"""Bulk upload benchmark, the pure part: parse, validate and preview the full gTLD file.

The file: every gTLD of portal/data/gtlds.csv (1,239), 3 entries each with 10 prefixes (6 IPv4
/28, 4 IPv6 /56) and 1-4 roles, as bench.common generates them for the portal benchmark - one
CSV file of 3,717 rows, and the same as JSON. The current configuration it is compared with:
every third TLD has one entry's roles and prefixes edited, every fifth lacks its third entry,
every seventh has an extra entry the file drops, every eleventh has no entries yet.

Timed in process, `--rounds` times after one untimed round (median and max): `parse_bulk`,
`validate_bulk` (every TLD known and the uploader's), `preview` against that configuration,
validation and preview together (the work of checking an upload), and the three together.
The load average is printed before and after, as the figures depend on it. Peak memory is
measured in a separate round under tracemalloc (which slows Python down, so it is not timed):
the peak of Python allocations above what was held before, with the file's bytes already in
memory. Staging and loading the plan into the database come with the services and are not
measured here (bench/bench_bulk_process.py).

    python bench/bench_bulk.py [--rounds N] [--tlds N]
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import json
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ENTRY_KINDS, GTLDS_CSV, entries_for  # noqa: E402
from portal.core.bulk import (  # noqa: E402
    COLUMNS,
    SEPARATOR,
    BulkPlan,
    parse_bulk,
    preview,
    validate_bulk,
)
from portal.core.roles import ROLE_IDS  # noqa: E402
from portal.core.validation import Entry, Limits  # noqa: E402

MAX_BYTES = 16 * 1024 * 1024


def gtlds(limit: int | None) -> list[str]:
    with GTLDS_CSV.open(encoding="utf-8", newline="") as fh:
        names = [row["tld"] for row in csv.DictReader(fh)]
    return names[:limit] if limit else names


def wanted(tlds: list[str]) -> dict[str, list[Entry]]:
    """Per TLD the 3 entries of the file."""
    return {
        tld: entries_for(i, [f"{kind}{i % 7}.{tld}.rsp-{i % 13}.example" for kind in ENTRY_KINDS])
        for i, tld in enumerate(tlds)
    }


def current_of(file_entries: dict[str, list[Entry]]) -> dict[str, list[Entry]]:
    """The configuration before the upload: the file's entries with the edits of the header."""
    out: dict[str, list[Entry]] = {}
    for i, (tld, entries) in enumerate(file_entries.items()):
        if i % 11 == 0:
            continue
        now = list(entries)
        if i % 3 == 0:
            first = now[0]
            other_role = next(r for r in ROLE_IDS if r not in first.roles)
            now[0] = Entry(
                first.domain_name,
                (*first.roles[1:], other_role),
                ("100.64.0.0/28", *first.ip_acl[1:]),
            )
        if i % 5 == 0:
            now.pop()
        if i % 7 == 0:
            now.append(Entry(f"old.{tld}.rsp.example", ("mosapi-slam",), ("100.64.1.0/28",)))
        out[tld] = now
    return out


def csv_file(file_entries: dict[str, list[Entry]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for tld, entries in file_entries.items():
        for e in entries:
            writer.writerow((tld, e.domain_name, SEPARATOR.join(e.roles), SEPARATOR.join(e.ip_acl)))
    return out.getvalue().encode()


def json_file(file_entries: dict[str, list[Entry]]) -> bytes:
    doc = {
        "entries": [
            {"tld": tld, **e.as_dict()} for tld, entries in file_entries.items() for e in entries
        ]
    }
    return json.dumps(doc, indent=2).encode()


def run(data: bytes, tlds: set[str], current: dict[str, Any]) -> tuple[dict[str, float], Any]:
    """One pass of the three steps: their times in seconds, and the preview."""
    t0 = time.perf_counter()
    parsed = parse_bulk(data, max_bytes=MAX_BYTES)
    t1 = time.perf_counter()
    checked = validate_bulk(parsed, tlds, tlds, Limits())
    t2 = time.perf_counter()
    plan = checked.value
    assert isinstance(plan, BulkPlan), [str(f) for f in checked.errors[:5]]
    result = preview(plan, current)
    t3 = time.perf_counter()
    times = {"parse": t1 - t0, "validate": t2 - t1, "preview": t3 - t2}
    return {**times, "validate+preview": t3 - t1, "total": t3 - t0}, result


def peak_bytes(step: Callable[[], Any]) -> int:
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - base


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--tlds", type=int, default=0, help="only the first N gTLDs (0: all)")
    args = ap.parse_args()

    names = gtlds(args.tlds or None)
    file_entries = wanted(names)
    current = current_of(file_entries)
    known = set(names)
    files = {"csv": csv_file(file_entries), "json": json_file(file_entries)}
    rows = sum(len(e) for e in file_entries.values())
    print(
        f"python {platform.python_version()} on {platform.machine()}, "
        f"{len(names):,} TLDs, {rows:,} rows, {args.rounds} rounds; load average {load()}"
    )
    for fmt, data in files.items():
        _, result = run(data, known, current)  # untimed: warms caches, checks the answer
        samples = [run(data, known, current)[0] for _ in range(args.rounds)]
        peak = peak_bytes(lambda data=data: run(data, known, current))
        t = result.totals
        print(f"\n{fmt}: {len(data):,} bytes ({len(data) / 1024 / 1024:.2f} MiB)")
        for step in ("parse", "validate", "preview", "validate+preview", "total"):
            values = [s[step] * 1000 for s in samples]
            print(
                f"  {step:<16} median {statistics.median(values):8.1f} ms"
                f"   max {max(values):8.1f} ms"
            )
        print(f"  peak memory (tracemalloc, above the file's bytes): {peak / 1024 / 1024:.1f} MiB")
        print(
            f"  preview: {t.tlds_changed:,} of {t.tlds:,} TLDs change; entries "
            f"+{t.entries_added:,} -{t.entries_removed:,} ~{t.entries_changed:,} "
            f"={t.entries_unchanged:,}; roles +{t.roles_added:,} -{t.roles_removed:,}; "
            f"prefixes +{t.prefixes_added:,} -{t.prefixes_removed:,}; access "
            f"+{t.access_gained:,} -{t.access_lost:,}"
        )
    print(f"\nload average {load()}")


if __name__ == "__main__":
    main()
