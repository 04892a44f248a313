"""`tlsauth decisions prune`: the decision log's retention rules applied now (the mocks also
apply them every TLSAUTH_DECISION_LOG_PRUNE_SECONDS)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from infra.database import db

from ..services.decisions import Retention, prune


@click.group("decisions")
def decisions_group() -> None:
    """The mocks' decision log."""


@decisions_group.command("prune")
@click.option(
    "--max-rows",
    type=click.IntRange(min=0),
    default=None,
    help="Keep the newest N decisions; 0 = any number (default TLSAUTH_DECISION_LOG_MAX_ROWS).",
)
@click.option(
    "--max-age-days",
    type=click.IntRange(min=0),
    default=None,
    help="Keep decisions younger than D days; 0 = any age "
    "(default TLSAUTH_DECISION_LOG_MAX_AGE_DAYS).",
)
@with_appcontext
def decisions_prune(max_rows: int | None, max_age_days: int | None) -> None:
    """Delete the decisions the retention rules drop, 500 per transaction."""
    config = current_app.config
    retention = Retention.of(
        config["DECISION_LOG_MAX_ROWS"] if max_rows is None else max_rows,
        config["DECISION_LOG_MAX_AGE_DAYS"] if max_age_days is None else max_age_days,
    )
    if retention.unlimited:
        click.echo("nothing to prune: the log keeps any number of decisions of any age")
        return
    deleted = prune(db.session, retention)
    noun = "decision" if deleted == 1 else "decisions"
    click.echo(f"{deleted} {noun} deleted; the log keeps {retention.describe()}")
