"""`tlsauth decisions prune`: the retention rules from the settings, or from the options,
applied at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.decision_rows import add_decision, logged_ids
from tests.helpers import failed, invoke, ok

NOW = datetime.now(UTC)


def test_prune_by_the_settings(app, runner):
    old = add_decision(app, created_at=NOW - timedelta(days=31))
    young = [add_decision(app, created_at=NOW - timedelta(days=d)) for d in (29, 0)]
    out = ok(invoke(runner, "decisions", "prune"))
    assert out.strip() == (
        "1 decision deleted; the log keeps the newest 100000 decisions, up to 30 days old"
    )
    assert old not in logged_ids(app) and logged_ids(app) == young


def test_prune_by_the_options(app, runner):
    ids = [add_decision(app, created_at=NOW - timedelta(days=400 - d)) for d in range(6)]
    ok(invoke(runner, "decisions", "prune", "--max-rows", "4", "--max-age-days", "0"))
    assert logged_ids(app) == ids[2:]
    ok(invoke(runner, "decisions", "prune", "--max-rows", "0", "--max-age-days", "398"))
    assert logged_ids(app) == ids[3:]
    out = ok(invoke(runner, "decisions", "prune", "--max-rows", "0", "--max-age-days", "0"))
    assert "nothing to prune" in out and logged_ids(app) == ids[3:]


def test_prune_refuses_a_negative_limit(app, runner):
    failed(invoke(runner, "decisions", "prune", "--max-rows", "-1"), "--max-rows")
