"""Progress reports of `validate_bulk` (rows) and `preview` (TLDs) in portal/core/bulk.py."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from portal.core.bulk import PROGRESS_EVERY, BulkPlan, parse_bulk, preview, validate_bulk
from portal.core.validation import Entry

HEADER = "tld,domain_name,roles,ip_acl"


def tlds(n: int) -> list[str]:
    return [f"t{i}" for i in range(n)]


def bulk_file(n: int) -> bytes:
    """One row per TLD, so that the uploader's TLDs are asked about once per row, in order."""
    rows = [
        f"{tld},client.rsp.example,mosapi-slam,11.0.{i % 256}.0/28" for i, tld in enumerate(tlds(n))
    ]
    return "\n".join([HEADER, *rows, ""]).encode()


class Recorder:
    """The uploader's TLDs as a test that counts the rows checked so far, and a progress
    callback that notes that count with every report."""

    def __init__(self, stop_at: int | None = None) -> None:
        self.asked = 0
        self.reports: list[tuple[int, int, int]] = []
        self.stop_at = stop_at

    def may_include(self, tld: str) -> bool:
        self.asked += 1
        return True

    def progress(self, done: int, total: int) -> None:
        self.reports.append((done, total, self.asked))
        if done == self.stop_at:
            raise KeyboardInterrupt


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (600, [(250, 600), (500, 600), (600, 600)]),
        (500, [(250, 500), (500, 500)]),
        (249, [(249, 249)]),
        (1, [(1, 1)]),
    ],
)
def test_validate_bulk_reports_every_250_rows_and_at_the_end(rows: int, expected) -> None:
    assert PROGRESS_EVERY == 250
    parsed = parse_bulk(bulk_file(rows))
    rec = Recorder()
    result = validate_bulk(parsed, set(tlds(rows)), rec.may_include, progress=rec.progress)
    assert [(done, total) for done, total, _ in rec.reports] == expected
    # Each report comes when that many rows are checked, not before, not after.
    assert [asked for *_, asked in rec.reports] == [done for done, _ in expected]
    plain = validate_bulk(parsed, set(tlds(rows)), set(tlds(rows)))
    assert result == plain and result.value is not None


def test_validate_bulk_of_a_file_without_rows_reports_the_end() -> None:
    rec = Recorder()
    result = validate_bulk(
        parse_bulk(f"{HEADER}\n".encode()), {"t0"}, {"t0"}, progress=rec.progress
    )
    assert result.value is None
    assert rec.reports == [(0, 0, 0)]


def test_an_exception_from_progress_stops_validation() -> None:
    rec = Recorder(stop_at=250)
    with pytest.raises(KeyboardInterrupt):
        validate_bulk(
            parse_bulk(bulk_file(600)), set(tlds(600)), rec.may_include, progress=rec.progress
        )
    assert rec.asked == 250


class Current(Mapping[str, Any]):
    """The current configuration, counting the TLDs looked up so far."""

    def __init__(self, entries: dict[str, list[Entry]]) -> None:
        self.entries = entries
        self.looked_up = 0

    def __getitem__(self, tld: str) -> list[Entry]:
        self.looked_up += 1
        return self.entries[tld]

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (1239, [(250, 1239), (500, 1239), (750, 1239), (1000, 1239), (1239, 1239)]),
        (250, [(250, 250)]),
        (0, [(0, 0)]),
    ],
)
def test_preview_reports_every_250_tlds_and_at_the_end(count: int, expected) -> None:
    names = tlds(count)
    plan = BulkPlan(
        {t: (Entry("client.rsp.example", ("mosapi-slam",), ("11.0.0.0/28",)),) for t in names}
    )
    current = Current(
        {t: [Entry("client.rsp.example", ("mosapi-daar",), ("11.0.0.0/28",))] for t in names}
    )
    reports: list[tuple[int, int, int]] = []
    result = preview(plan, current, progress=lambda d, t: reports.append((d, t, current.looked_up)))
    assert [(d, t) for d, t, _ in reports] == expected
    assert [seen for *_, seen in reports] == [d for d, _ in expected]
    assert result == preview(plan, current.entries)
    assert result.totals.entries_changed == count
