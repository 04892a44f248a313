"""`tlsauth seed FILE [--reset] [--schema] [--json]`: apply a seed document (docs/seed.md).

Prints what was created and changed, the passwords made for new users (once: only their hashes
are kept) and the certificate files written; never a private key. A refused document prints
each error as `path: message` and exits 1 with nothing changed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NoReturn

import click
from flask import current_app
from flask.cli import with_appcontext

from ..core.seed import DocumentError, load_document, schema
from ..core.validation import Finding
from ..services import seed as seeding
from ..services.errors import Invalid

SHOWN_NAMES = 10  # per kind and outcome; the rest are counted


def _session() -> Any:
    from infra.database import db

    return db.session


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:SHOWN_NAMES])
    more = len(names) - SHOWN_NAMES
    return f"{shown} … and {more} more" if more > 0 else shown


def _refused(findings: list[Finding], as_json: bool, head: str) -> NoReturn:
    errors = [f for f in findings if f.severity == "error"]
    if as_json:
        click.echo(json.dumps({"errors": [f.as_dict() for f in errors]}, indent=2))
    else:
        click.echo(head, err=True)
        for f in errors:
            click.echo(f"{f.field}: {f.message}", err=True)
    click.get_current_context().exit(1)


def _echo_reset(report: seeding.ResetReport) -> None:
    rows = {table: n for table, n in report.removed.items() if n}
    total = sum(rows.values())
    listed = ", ".join(f"{table} {n}" for table, n in sorted(rows.items()))
    click.echo(f"reset: {total} rows removed" + (f" ({listed})" if listed else ""))
    click.echo("kept: the harness CA, the registrars; the change counters were moved on")


def _echo_report(report: seeding.SeedReport, file: Path) -> None:
    if not report.changed_anything:
        click.echo(f"{file}: nothing to change (the harness is as the document says)")
    else:
        click.echo(f"{file}: applied")
    for kind, outcome in report.kinds.items():
        parts = [
            f"{len(names)} {label} ({_names(names)})"
            for label, names in (("created", outcome.created), ("changed", outcome.changed))
            if names
        ]
        if outcome.unchanged:
            parts.append(f"{len(outcome.unchanged)} unchanged")
        if parts:
            click.echo(f"  {kind}: {'; '.join(parts)}")
    if report.passwords:
        click.echo("passwords of the new users (shown once, only their hashes are kept):")
        for email, password in report.passwords.items():
            click.echo(f"  {email}  {password}")
    if report.certificates:
        click.echo("certificate files written (keys mode 0600):")
        for path in report.certificates:
            click.echo(f"  {path}")
    for f in report.findings:
        click.echo(f"{f.severity}: {f.field}: {f.message}")


@click.command("seed")
@click.argument(
    "file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--reset",
    is_flag=True,
    help="First remove everything the harness holds (all but its CA and the registrars).",
)
@click.option("--schema", "show_schema", is_flag=True, help="Print the format's JSON Schema.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of text.")
@with_appcontext
def seed_command(file: Path | None, reset: bool, show_schema: bool, as_json: bool) -> None:
    """Apply the seed document FILE (YAML or JSON; docs/seed.md); applying it again changes
    nothing. With --reset alone, empty the harness."""
    if show_schema:
        click.echo(json.dumps(schema(), indent=2, ensure_ascii=False))
        return
    if file is None and not reset:
        raise click.UsageError("Give a seed FILE, --reset, or both (or --schema).")
    data: Any = None
    if file is not None:
        try:
            data = load_document(file.read_bytes(), file.name)
        except DocumentError as exc:
            _refused([exc.finding], as_json, f"{file} is not a seed document:")
        except OSError as exc:
            raise click.ClickException(f"cannot read {file}: {exc.strerror or exc}") from exc
    session = _session()
    out: dict[str, Any] = {}
    cleared: seeding.ResetReport | None = None
    report: seeding.SeedReport | None = None
    if reset:
        # With a document, in its transaction: a refused document leaves everything as it was.
        cleared = seeding.reset(session, commit=file is None)
        out["reset"] = cleared.as_dict()
    if file is not None:
        try:
            report = seeding.apply(
                session,
                data,
                base_dir=file.resolve().parent,
                limits=current_limits(),
                certs_dir=Path(current_app.config["CERTS_DIR"]),
            )
        except Invalid as exc:
            _refused(exc.findings, as_json, f"{file} is refused; nothing was changed:")
        out.update(report.as_dict())
    if not as_json:
        if cleared is not None:
            _echo_reset(cleared)
        if file is not None and report is not None:
            _echo_report(report, file)
    if as_json:
        click.echo(json.dumps(out, indent=2, ensure_ascii=False))


def current_limits() -> Any:
    from infra.config import limits

    return limits(current_app.config)
