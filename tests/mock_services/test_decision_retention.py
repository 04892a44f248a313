"""Each mock process keeps the decision log within the retention rules off the request path:
a mock answers (and logs) its calls while it prunes a large log, a batch at a time, and ends
with exactly what the rules keep."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from infra.database import db
from mock_services.decision_retention import PRUNER_KEY, stop_pruning
from portal.models import DecisionLogRow
from tests.decision_rows import add_decision, add_old_decisions, logged_ids
from tests.helpers import trusted_client

DOMAIN = "client.alpha-rsp.example"
STATE = "/ry/alpha/v2/monitoring/state"
OLD = 20_000


def old_rows(app) -> int:
    cutoff = datetime.now(UTC) - timedelta(days=1)
    with app.app_context():
        count = db.session.scalar(
            select(func.count())
            .select_from(DecisionLogRow)
            .where(DecisionLogRow.created_at < cutoff)
        )
        db.session.remove()
        return int(count or 0)


def test_a_mock_answers_while_it_prunes_a_large_log(app, world, start_mock, tmp_path):
    cred = trusted_client(app, world.rsp, tmp_path, DOMAIN)
    add_old_decisions(app, OLD, timedelta(days=40))
    assert old_rows(app) == OLD
    server = start_mock(
        "mosapi",
        DECISION_LOG_PRUNE_SECONDS=0.2,
        DECISION_LOG_MAX_AGE_DAYS=1,
        DECISION_LOG_MAX_ROWS=0,
    )
    pruner = server.app.extensions[PRUNER_KEY]
    # Old rows before and after each call answered while pruning was under way (no timing is
    # asserted: the machines are shared; a call answered between two batches is the proof).
    during: list[tuple[int, int]] = []
    answered = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        before = old_rows(app)
        answer = server.request("GET", STATE, cred=cred)
        after = old_rows(app)
        assert answer.status == 200, answer.text
        answered += 1
        if 0 < after <= before < OLD:
            during.append((before, after))
        if after == 0:
            break
    assert old_rows(app) == 0, "the mock did not prune the old decisions"
    # Calls were answered after pruning had begun and before it had ended.
    assert during, "no call was answered while pruning was in progress"
    # The pruner counts a run's rows when the run ends, a moment after its last batch.
    settled = time.monotonic() + 30
    while pruner.deleted < OLD and time.monotonic() < settled:
        time.sleep(0.05)
    assert pruner.deleted == OLD and pruner.runs >= 1
    # Every call is still in the log: pruning took only what the rules drop.
    with app.app_context():
        endpoints = db.session.scalars(select(DecisionLogRow.endpoint)).all()
    assert len(endpoints) == answered and set(endpoints) == {STATE}


def test_a_mock_keeps_exactly_the_newest_rows_it_may(app, world, start_mock):
    ids = [add_decision(app) for _ in range(12)]
    server = start_mock(
        "rri",
        DECISION_LOG_PRUNE_SECONDS=0.1,
        DECISION_LOG_MAX_ROWS=5,
        DECISION_LOG_MAX_AGE_DAYS=0,
    )
    pruner = server.app.extensions[PRUNER_KEY]
    deadline = time.monotonic() + 20
    while pruner.runs == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert logged_ids(app) == ids[-5:]


def test_pruning_is_off_when_the_settings_say_so(app, world, start_mock):
    never = start_mock("mosapi", DECISION_LOG_PRUNE_SECONDS=0)
    assert PRUNER_KEY not in never.app.extensions
    unlimited = start_mock("rri", DECISION_LOG_MAX_ROWS=0, DECISION_LOG_MAX_AGE_DAYS=0)
    assert PRUNER_KEY not in unlimited.app.extensions
    default = start_mock("rri")
    pruner = default.app.extensions[PRUNER_KEY]
    assert pruner.interval == 60 and pruner.retention.max_rows == 100_000
    assert pruner.retention.max_age == timedelta(days=30)


def test_a_stopped_mock_stops_pruning(app, world, start_mock):
    server = start_mock("mosapi", DECISION_LOG_PRUNE_SECONDS=0.05, DECISION_LOG_MAX_AGE_DAYS=1)
    pruner = server.app.extensions[PRUNER_KEY]
    assert pruner.running
    stop_pruning(server.app)
    assert not pruner.running and PRUNER_KEY not in server.app.extensions
    old = add_decision(app, created_at=datetime.now(UTC) - timedelta(days=3))
    time.sleep(0.3)  # six intervals: a pruner still running would have deleted it
    assert logged_ids(app) == [old]
