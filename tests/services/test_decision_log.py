"""The decision log read back: one filter for the tab, the API and the CSV export; the CSV
itself; and pruning by the retention rules, in bounded batches, deleting exactly what the rules
drop."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import event, update

from infra.database import db
from portal.models import DecisionLogRow
from portal.services import decisions as log
from portal.services.errors import NotFound
from tests.decision_rows import (
    add_decision,
    add_old_decisions,
    decision_values,
    log_size,
    logged_ids,
)

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def varied(app, world) -> dict[str, int]:
    """Six decisions of alpha that differ in one field each from the first, and one of beta."""
    ids = {
        "base": add_decision(app, created_at=NOW - timedelta(hours=5)),
        "allowed": add_decision(
            app,
            created_at=NOW - timedelta(hours=4),
            result="allowed",
            status_code=200,
            reasons=[],
            deciding_reason=None,
            auth_path="tls-client-auth",
            matched_entry="client.rsp.example",
            source_address="127.0.0.1",
        ),
        "acl": add_decision(
            app,
            created_at=NOW - timedelta(hours=3),
            status_code=401,
            reasons=["source-not-in-acl"],
            deciding_reason="source-not-in-acl",
            auth_path="tls-client-auth",
            matched_entry="client.rsp.example",
        ),
        "rri": add_decision(
            app,
            created_at=NOW - timedelta(hours=2),
            system="rri",
            endpoint="/report/registrar-transactions/alpha/2026-01",
            method="PUT",
            required_role="rri-monthly-reports",
        ),
        "v6": add_decision(app, created_at=NOW - timedelta(hours=1), source_address="::1"),
        "beta": add_decision(app, tld="beta", endpoint="/ry/beta/v2/monitoring/state"),
    }
    return ids


def shown(app, tld: str = "alpha", **values: object) -> list[int]:
    with app.app_context():
        flt, findings = log.read_filter(values)
        assert findings == [], findings
        return [r.id for r in log.decision_log(db.session, tld, flt)]


def test_each_filter_narrows_the_log_newest_first(app, varied):
    v = varied
    alpha = [v["v6"], v["rri"], v["acl"], v["allowed"], v["base"]]
    assert shown(app) == alpha
    assert shown(app, result="allowed") == [v["allowed"]]
    assert shown(app, result="denied") == [v["v6"], v["rri"], v["acl"], v["base"]]
    assert shown(app, reason="source-not-in-acl") == [v["acl"]]
    assert shown(app, system="rri") == [v["rri"]]
    assert shown(app, endpoint="REGISTRAR-transactions") == [v["rri"]]  # any case
    assert shown(app, endpoint="%") == []  # a LIKE wildcard is a plain character here
    assert shown(app, source="127.0.0.1") == [v["allowed"]]
    assert shown(app, source="0:0:0:0:0:0:0:1") == [v["v6"]]  # the canonical form is compared
    assert shown(app, source="::ffff:127.0.0.1") == [v["allowed"]]  # as a dual-stack peer
    assert shown(app, entry="Client.RSP.example.") == [v["acl"], v["allowed"]]
    since, until = NOW - timedelta(hours=4), NOW - timedelta(hours=2)
    assert shown(app, since=since.isoformat(), until=until.isoformat()) == [v["acl"], v["allowed"]]
    # A time without an offset is UTC, as the tab shows them.
    assert shown(app, since=since.replace(tzinfo=None).isoformat()) == alpha[:4]
    cest = (NOW - timedelta(hours=3)).astimezone(timezone(timedelta(hours=2)))
    assert shown(app, since=cest.isoformat()) == alpha[:3]  # an offset is honoured
    assert shown(app, result="denied", source="127.0.0.2", system="mosapi") == [
        v["acl"],
        v["base"],
    ]
    assert shown(app, "beta") == [v["beta"]]


def test_values_that_cannot_be_read_are_named_and_left_out(app):
    flt, findings = log.read_filter(
        {
            "result": "maybe",
            "reason": "no-such-reason",
            "system": "epp",
            "source": "127.0.0.300",
            "since": "yesterday",
            "entry": " ",
            "endpoint": "/ry/",
        }
    )
    assert flt == log.DecisionFilter(endpoint="/ry/")
    assert [f.field for f in findings] == ["result", "reason", "system", "source", "since"]
    assert "127.0.0.300" in findings[3].message
    _, findings = log.read_filter({"since": "2026-01-02T10:00", "until": "2026-01-02T09:00"})
    assert [f.field for f in findings] == ["until"]


def test_the_filter_reads_back_from_its_own_parameters(app):
    flt, _ = log.read_filter(
        {"result": "denied", "source": "::1", "since": "2026-01-02T10:00:00+01:00"}
    )
    again, findings = log.read_filter(flt.params())
    assert (again, findings) == (flt, [])
    assert flt.since == datetime(2026, 1, 2, 9, 0, tzinfo=UTC)
    assert [w for _, w in flt.described()] == [
        "only denied calls",
        "from ::1",
        "from 2026-01-02 09:00:00 UTC",
    ]
    assert flt.without("source").source is None and flt.without("source").result == "denied"


def test_one_decision_only_under_its_own_tld(app, varied):
    with app.app_context():
        assert log.get_decision(db.session, "alpha", varied["acl"]).id == varied["acl"]
        with pytest.raises(NotFound):
            log.get_decision(db.session, "alpha", varied["beta"])
        with pytest.raises(NotFound):
            log.get_decision(db.session, "alpha", 10**9)


def test_the_digest_changes_with_a_new_row_or_the_status_really_sent(app, varied):
    with app.app_context():
        first = log.digest(log.decision_log(db.session, "alpha"))
        assert log.digest(log.decision_log(db.session, "alpha")) == first
        db.session.execute(
            update(DecisionLogRow)
            .where(DecisionLogRow.id == varied["allowed"])
            .values(status_code=404)
        )
        db.session.commit()
        second = log.digest(log.decision_log(db.session, "alpha"))
    assert second != first
    add_decision(app)
    with app.app_context():
        assert log.digest(log.decision_log(db.session, "alpha")) != second


def test_csv_of_the_filtered_view(app, varied):
    evil = add_decision(
        app,
        cert_subject='=HYPERLINK("http://x.example")',
        cert_spki_sha256="ab" * 32,
        reasons=["tlsa-mismatch", "no-credentials"],
        deciding_reason="tlsa-mismatch",
        checks=[
            {"domain_name": "client.rsp.example", "matched": False, "reasons": ["tlsa-mismatch"]}
        ],
    )
    with app.app_context():
        flt, _ = log.read_filter({"result": "denied", "source": "127.0.0.2"})
        text = "".join(log.export_csv(log.export_rows(db.session, "alpha", flt)))
    lines = list(csv.reader(io.StringIO(text)))
    assert tuple(lines[0]) == log.CSV_COLUMNS
    rows = [dict(zip(lines[0], line, strict=True)) for line in lines[1:]]
    assert [int(r["id"]) for r in rows] == [evil, varied["rri"], varied["acl"], varied["base"]]
    first = rows[0]
    # A cell a spreadsheet would run as a formula is written as text.
    assert first["cert_subject"] == '\'=HYPERLINK("http://x.example")'
    assert first["reasons"] == "tlsa-mismatch no-credentials"
    assert first["deciding_reason"] == "tlsa-mismatch"
    assert first["sentence"].startswith(
        "The certificate matches no TLSA record at client.rsp.example"
    )
    assert first["status_code"] == "401" and first["required_role"] == "mosapi-slam"
    assert datetime.fromisoformat(first["time"]).tzinfo is not None
    assert rows[2]["matched_entry"] == "client.rsp.example"
    assert "127.0.0.2 is not in the prefixes of client.rsp.example" in rows[2]["sentence"]
    assert text.endswith("\r\n")


# --------------------------------------------------------------------------- retention


def test_retention_by_count_keeps_exactly_the_newest(app, world):
    ids = [add_decision(app) for _ in range(7)]
    with app.app_context():
        deleted = log.prune(db.session, log.Retention(max_rows=3), batch=2)
    assert deleted == 4
    assert logged_ids(app) == ids[-3:]
    with app.app_context():  # nothing more to drop
        assert log.prune(db.session, log.Retention(max_rows=3)) == 0
    assert logged_ids(app) == ids[-3:]


def test_retention_by_age_keeps_exactly_the_younger(app, world):
    old = [add_decision(app, created_at=NOW - timedelta(days=d)) for d in (40, 31)]
    young = [add_decision(app, created_at=NOW - timedelta(days=d)) for d in (29, 1, 0)]
    with app.app_context():
        deleted = log.prune(db.session, log.Retention.of(0, 30), now=NOW)
    assert (deleted, logged_ids(app)) == (len(old), young)


def test_either_rule_drops_a_row(app, world):
    ids = [add_decision(app, created_at=NOW - timedelta(days=d)) for d in (50, 3, 2, 40, 1, 0)]
    # An old row logged after young ones (another process's clock) goes by age, the oldest
    # ids by count.
    with app.app_context():
        assert log.prune(db.session, log.Retention.of(4, 30), now=NOW, batch=1) == 3
    assert logged_ids(app) == [ids[2], ids[4], ids[5]]


def test_unlimited_retention_deletes_nothing(app, world):
    ids = [add_decision(app, created_at=NOW - timedelta(days=400)) for _ in range(3)]
    with app.app_context():
        assert log.prune(db.session, log.Retention.of(0, 0)) == 0
    assert logged_ids(app) == ids


def test_pruning_deletes_in_bounded_batches_each_its_own_transaction(app, world):
    add_old_decisions(app, 1234, timedelta(days=90))
    keep = add_decision(app)
    deletes: list[int] = []
    commits: list[int] = []
    guarded: list[bool] = []
    inside = [False]

    class Guard:
        def __enter__(self) -> None:
            inside[0] = True

        def __exit__(self, *exc: object) -> None:
            inside[0] = False

    def on_execute(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("DELETE"):
            deletes.append(cursor.rowcount)
            guarded.append(inside[0])

    with app.app_context():
        engine = db.engine
        event.listen(engine, "after_cursor_execute", on_execute)
        event.listen(engine, "commit", lambda conn: commits.append(len(deletes)))
        try:
            deleted = log.prune(
                db.session, log.Retention.of(0, 30), batch=500, guard=Guard, pause=lambda: None
            )
        finally:
            event.remove(engine, "after_cursor_execute", on_execute)
    assert deleted == 1234
    assert deletes == [500, 500, 234]
    assert all(guarded)  # every delete ran under the writers' guard
    # A commit after each batch: no transaction holds more than one batch.
    assert [c for c in commits if c] == [1, 2, 3]
    assert logged_ids(app) == [keep] and log_size(app) == 1


def test_retention_reads_its_settings():
    assert log.Retention.of(100000, 30) == log.Retention(100000, timedelta(days=30))
    assert log.Retention.of(0, 0).unlimited
    assert log.Retention.of(-5, -1).unlimited
    assert log.Retention.of(10, 0).describe() == "the newest 10 decisions, up to any age old"


def test_a_logged_row_explains_itself(app, world):
    with app.app_context():
        row = DecisionLogRow(
            **decision_values(
                reasons=["tlsa-mismatch", "no-credentials"],
                deciding_reason="tlsa-mismatch",
                checks=[
                    {"domain_name": "a.example", "matched": False, "reasons": ["no-tlsa-at-name"]},
                    {"domain_name": "b.example", "matched": False, "reasons": ["tlsa-mismatch"]},
                ],
            )
        )
        assert log.entry_named(row) == "b.example"
        assert log.entry_for(row, "no-tlsa-at-name") == "a.example"
        assert "b.example" in log.sentence_of(row)
        hint = log.curl_hint(row, 8443)
    assert hint == (
        "curl --cacert harness-ca.pem --interface 127.0.0.2 "
        "https://localhost:8443/ry/alpha/v2/monitoring/state"
    )
