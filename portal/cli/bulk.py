"""`tlsauth bulk upload|load-due|status|allow` and `tlsauth outbox send`: the RSP bulk process
on the command line, through the same services as the portal's pages.

A service's refusal ends the command as `Error: ...` with exit code 1 (the group's `invoke`);
a file with errors prints every finding and exits 1 as well.
"""

from __future__ import annotations

import json
import smtplib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from infra.config import limits

from ..core.bulk import BulkFinding
from ..models import BulkTldChange, BulkUpload, ChangeStatus, Tld, UploadStatus, User, as_utc
from ..services import bulk_changes, bulk_uploads, directory, notifications
from ..services.errors import Invalid

# The attestation's fields as the options that give them, for refusals worded for this command.
OPTION_OF = {"attest_name": "--attest-name", "attest_title": "--attest-title"}


def _session() -> Session:
    from infra.database import db

    return db.session


def _user(as_email: str) -> User:
    return directory.get_user(_session(), as_email)


def _when(value: datetime | None) -> str:
    return f"{as_utc(value):%Y-%m-%d %H:%M} UTC" if value else "–"


def _iso(value: datetime | None) -> str | None:
    return as_utc(value).isoformat(timespec="seconds") if value else None  # type: ignore[union-attr]


def _refusal(exc: Invalid, head: str = "") -> click.ClickException:
    """The service's reasons, each under the option it concerns (the file's need none)."""
    lines = [
        f"{OPTION_OF[f.field]}: {f.message}" if f.field in OPTION_OF else f.message
        for f in exc.errors
    ]
    return click.ClickException("\n".join([head, *lines] if head else lines))


def _read(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, up to one more than the limit (so the service can name the size)."""
    try:
        with path.open("rb") as fh:
            return fh.read(max_bytes + 1)
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror or exc}") from exc


def _finding_text(f: dict[str, Any]) -> str:
    placed = BulkFinding(f["column"] or "", f["message"], f["severity"], f["line"], f["entry"])
    return str(placed) if f["severity"] == "error" else f"{f['severity']}: {placed}"


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _totals_text(t: dict[str, Any]) -> list[str]:
    return [
        f"{_plural(t['tlds'], 'TLD')} in the file, {t['tlds_changed']:,} of them changed",
        f"entries: {t['entries_added']:,} added, {t['entries_removed']:,} removed, "
        f"{t['entries_changed']:,} changed, {t['entries_unchanged']:,} unchanged",
        f"inside changed entries: roles +{t['roles_added']:,} -{t['roles_removed']:,}, "
        f"prefixes +{t['prefixes_added']:,} -{t['prefixes_removed']:,}",
        f"(domain name, role, prefix) combinations: {t['access_gained']:,} gain access, "
        f"{t['access_lost']:,} lose it",
    ]


def _echo_preview(upload: BulkUpload) -> None:
    for line in _totals_text(upload.totals or {}):
        click.echo(f"  {line}")
    for row in upload.preview or []:
        if not row["lines"]:
            click.echo(f".{row['tld']}: no change ({_plural(row['unchanged'], 'entry')} kept)")
            continue
        click.echo(
            f".{row['tld']}: {row['added']} added, {row['removed']} removed, "
            f"{row['changed']} changed, {row['unchanged']} unchanged"
        )
        for sentence in row["lines"]:
            click.echo(f"  {sentence}")


def _preview_row(row: dict[str, Any]) -> dict[str, Any]:
    return {("changes" if k == "lines" else k): v for k, v in row.items()}


def _change_document(c: BulkTldChange) -> dict[str, Any]:
    tld = _session().get(Tld, c.tld_id)
    return {
        "upload_id": c.upload_id,
        "tld": c.tld,
        "status": c.status,
        "base_version": c.base_version,
        "tld_version": tld.version if tld else None,
        "due_at": _iso(c.due_at),
        "decided_at": _iso(c.decided_at),
        "decided_by": c.decided_by,
        "loaded_at": _iso(c.loaded_at),
        "loaded_version": c.loaded_version,
        "note": c.note,
        "changes": list(c.lines),
    }


def _document(
    upload: BulkUpload, rule: bulk_uploads.Allowance | None, statement: str
) -> dict[str, Any]:
    """The `--json` form of an upload, keyed as the API's upload document (the file, its
    findings, the preview, the attestation and TLD changes once submitted), with the statement
    a dry run would sign and the one-time rule's count."""
    submitted = upload.submitted_at is not None
    changes = list(upload.changes) if submitted else []
    return {
        "id": upload.id,
        "rsp": upload.organisation.name,
        "status": upload.status,
        "uploaded_by": upload.uploaded_by,
        "created_at": _iso(upload.created_at),
        "filename": upload.filename,
        "format": upload.format,
        "size": upload.size,
        "sha256": upload.sha256,
        "submitted_at": _iso(upload.submitted_at),
        "attestation": {
            "statement": upload.attestation_text,
            "name": upload.attested_name,
            "title": upload.attested_title,
            "by": upload.attested_by,
        }
        if submitted
        else None,
        "notice_ends_at": _iso(upload.notice_ends_at),
        "counts": bulk_uploads.status_counts(changes),
        "findings": upload.findings or [],
        "preview": {
            "totals": upload.totals,
            "tlds": [_preview_row(row) for row in upload.preview or []],
        }
        if upload.totals is not None
        else None,
        "tlds": [_change_document(c) for c in changes],
        "statement": upload.attestation_text if submitted else statement,
        "uploads_allowed": rule.allowed if rule else None,
        "uploads_submitted": rule.used if rule else None,
    }


# --------------------------------------------------------------------------- bulk


@click.group("bulk")
def bulk_group() -> None:
    """RSP bulk uploads: many TLDs' TLS client authentication entries from one file."""


as_required = click.option(
    "--as",
    "as_email",
    required=True,
    metavar="EMAIL",
    help="The portal user who acts; the command does what that user may do.",
)


@bulk_group.command("upload")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--as",
    "as_email",
    required=True,
    metavar="EMAIL",
    help="The RSP user who uploads (and, with the attestation, submits).",
)
@click.option(
    "--attest-name",
    default=None,
    metavar="NAME",
    help="Your full name, signing the attestation; with --attest-title it submits the file.",
)
@click.option(
    "--attest-title",
    default=None,
    metavar="TITLE",
    help="Your title (job role), signing the attestation; with --attest-name it submits.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of text.")
@with_appcontext
def bulk_upload(
    file: Path, as_email: str, attest_name: str | None, attest_title: str | None, as_json: bool
) -> None:
    """Check FILE (CSV or JSON, see docs/bulk-upload.md) and preview what it changes; with
    --attest-name and --attest-title, attest and submit it.

    Without the attestation this is a dry run: nothing is staged and the statement you would
    sign is printed. A submitted file stages one pending change per TLD and notifies each TLD's
    registry operator; each loads when the operator accepts it or when the notice period
    (TLSAUTH_BULK_NOTICE_DAYS) ends. Exits 1 if the file has errors or the submit is refused.
    """
    if (attest_name is None) != (attest_title is None):
        missing = "--attest-title" if attest_title is None else "--attest-name"
        raise click.UsageError(
            f"The attestation is incomplete: {missing} is missing. Give both --attest-name and "
            "--attest-title to submit, or neither for a dry run."
        )
    config = current_app.config
    session = _session()
    user = _user(as_email)
    data = _read(file, config["BULK_MAX_BYTES"])
    upload = bulk_uploads.create_upload(
        session,
        user,
        data,
        filename=file.name,
        channel="cli",
        max_bytes=config["BULK_MAX_BYTES"],
    )
    upload = bulk_uploads.check_upload(session, upload, limits(config))
    statement = bulk_uploads.statement(user.organisation.name)
    if upload.status == UploadStatus.FAILED:
        raise click.ClickException(f"checking upload #{upload.id} stopped: {upload.error}")
    if upload.status == UploadStatus.INVALID:
        _refused_file(upload, statement, as_json)
    submit = attest_name is not None
    if submit:
        try:
            upload = bulk_uploads.submit(
                session,
                upload,
                user,
                attest=True,
                name=attest_name,
                title=attest_title,
                notice_days=config["BULK_NOTICE_DAYS"],
                portal_url=notifications.Smtp.from_config(config).portal_url,
            )
        except Invalid as exc:
            head = f"Upload #{upload.id} is checked and ready but was not submitted:"
            raise _refusal(exc, head) from exc
    rule = bulk_uploads.allowance(session, user.organisation_id)
    if as_json:
        click.echo(json.dumps(_document(upload, rule, statement), indent=2))
        return
    _echo_checked(upload)
    if submit:
        _echo_submitted(upload)
    else:
        _echo_dry_run(upload, rule, statement)


def _refused_file(upload: BulkUpload, statement: str, as_json: bool) -> NoReturn:
    findings = upload.findings or []
    if as_json:
        click.echo(json.dumps(_document(upload, None, statement), indent=2))
    else:
        errors = sum(f["severity"] == "error" for f in findings)
        click.echo(
            f"Upload #{upload.id} ({upload.filename}) is refused: {_plural(errors, 'error')}; "
            "nothing was staged. Fix the file and upload it again.",
            err=True,
        )
        for f in sorted(findings, key=lambda f: f["severity"] != "error"):
            click.echo(_finding_text(f), err=True)
    click.get_current_context().exit(1)


def _echo_checked(upload: BulkUpload) -> None:
    click.echo(
        f"Upload #{upload.id}: {upload.filename} ({(upload.format or '').upper()}, "
        f"{upload.size:,} bytes), SHA-256 {upload.sha256}"
    )
    for f in upload.findings or []:
        click.echo(_finding_text(f))
    click.echo("Preview:")
    _echo_preview(upload)


def _echo_dry_run(upload: BulkUpload, rule: bulk_uploads.Allowance, statement: str) -> None:
    click.echo("")
    click.echo("Dry run: nothing was submitted. Submitting this file means signing:")
    click.echo(f"  {statement}")
    if rule.may_submit:
        click.echo(
            "To submit, run the command again with --attest-name NAME --attest-title TITLE "
            f"(your organisation has submitted {rule.used} of {rule.allowed} allowed "
            f"{'upload' if rule.allowed == 1 else 'uploads'})."
        )
    else:
        click.echo(
            f"Your organisation has submitted {rule.used} of {rule.allowed} allowed bulk "
            "uploads: ICANN staff must allow another (tlsauth bulk allow) before it can submit."
        )


def _echo_submitted(upload: BulkUpload) -> None:
    names = [c.tld for c in upload.changes]
    click.echo("")
    click.echo(
        f"Attested by {upload.attested_name}, {upload.attested_title} ({upload.attested_by}):"
    )
    click.echo(f"  {upload.attestation_text}")
    click.echo(f"Submitted upload #{upload.id} at {_when(upload.submitted_at)}")
    click.echo(f"  SHA-256 {upload.sha256}")
    click.echo(
        f"  {_plural(len(names), 'TLD')} staged, loading on {_when(upload.notice_ends_at)} "
        "unless the registry operator objects: " + ", ".join(f".{n}" for n in names)
    )


def _parse_now(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(
            f"{value!r} is not an ISO 8601 date and time (e.g. 2026-03-01T12:00:00Z)."
        ) from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@bulk_group.command("load-due")
@click.option(
    "--now",
    default=None,
    metavar="ISO8601",
    callback=_parse_now,
    help="Load as if it were this moment (UTC unless it names an offset); default: now.",
)
@with_appcontext
def bulk_load_due(now: datetime | None) -> None:
    """Load every pending bulk change whose notice period has ended.

    Meant for cron (e.g. every 15 minutes). A TLD whose configuration was edited after the
    upload is not loaded but flagged as conflict, and both sides are told. Exits 0 whatever
    it found; run `tlsauth outbox send` after it to email the notices.
    """
    outcome = bulk_changes.load_due(
        _session(),
        now=now,
        portal_url=notifications.Smtp.from_config(current_app.config).portal_url,
    )
    if not (outcome.loaded or outcome.conflicts or outcome.skipped):
        click.echo("no bulk change is due")
        return
    for label, names in (
        ("loaded", outcome.loaded),
        ("flagged as conflict (edited after the upload, not loaded)", outcome.conflicts),
        ("skipped (answered meanwhile)", outcome.skipped),
    ):
        if names:
            shown = ", ".join(f".{n}" for n in names)
            click.echo(f"{_plural(len(names), 'TLD')} {label}: {shown}")


STATUS_COLUMNS = ("TLD", "STATUS", "DUE", "DECIDED BY", "LOADED", "CHANGES", "NOTE")


def _status_row(c: BulkTldChange) -> tuple[str, ...]:
    return (
        f".{c.tld}",
        c.status,
        _when(c.due_at),
        c.decided_by or "–",
        _when(c.loaded_at),
        str(len(c.lines)),
        c.note or "",
    )


@bulk_group.command("status")
@click.argument("upload_id", metavar="ID", type=int)
@click.option(
    "--as",
    "as_email",
    default=None,
    metavar="EMAIL",
    help="Show what this user may see (an operator sees only its own TLDs); default: all.",
)
@click.option(
    "--status",
    "status",
    default=None,
    type=click.Choice([s.value for s in ChangeStatus]),
    help="Only the TLDs whose change has this status.",
)
@with_appcontext
def bulk_status(upload_id: int, as_email: str | None, status: str | None) -> None:
    """The per-TLD status table of bulk upload ID."""
    session = _session()
    if as_email is None:
        upload = session.get(BulkUpload, upload_id)
        if upload is None:
            raise click.ClickException("bulk upload not found")
        changes = list(upload.changes)
    else:
        user = _user(as_email)
        upload = bulk_uploads.get_upload(session, user, upload_id)
        changes = bulk_uploads.visible_changes(session, user, upload)
    click.echo(
        f"Bulk upload #{upload.id} by {upload.uploaded_by} ({upload.organisation.name}): "
        f"{upload.status}"
    )
    if upload.submitted_at is None:
        click.echo("  not submitted: no TLD change was staged")
        return
    click.echo(f"  submitted {_when(upload.submitted_at)}, SHA-256 {upload.sha256}")
    counts = bulk_uploads.status_counts(changes)
    click.echo("  " + ", ".join(f"{name} {n}" for name, n in counts.items()))
    rows = [_status_row(c) for c in changes if status is None or c.status == status]
    if not rows:
        click.echo(f"no TLD is {status}" if status else "no TLD to show")
        return
    widths = [max(len(r[i]) for r in (STATUS_COLUMNS, *rows)) for i in range(len(STATUS_COLUMNS))]
    for row in (STATUS_COLUMNS, *rows):
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


@bulk_group.command("allow")
@click.argument("organisation", metavar="RSP_ORGANISATION")
@as_required
@click.option("--note", default="", help="Why another upload is allowed (kept with the grant).")
@with_appcontext
def bulk_allow(organisation: str, as_email: str, note: str) -> None:
    """Let an RSP submit one more bulk upload (ICANN staff only)."""
    session = _session()
    actor = _user(as_email)
    org = directory.get_organisation(session, organisation)
    try:
        bulk_uploads.allow_another(session, org, actor, note)
    except Invalid as exc:
        raise _refusal(exc) from exc
    rule = bulk_uploads.allowance(session, org.id)
    click.echo(
        f"{org.name} may now submit {rule.allowed} bulk uploads in all; it has submitted "
        f"{rule.used}."
    )


# --------------------------------------------------------------------------- outbox


@click.group("outbox")
def outbox_group() -> None:
    """The email outbox of the portal's notifications."""


@outbox_group.command("send")
@with_appcontext
def outbox_send() -> None:
    """Send the emails waiting in the outbox over the TLSAUTH_SMTP_* settings.

    Without TLSAUTH_SMTP_HOST nothing is sent: the emails stay recorded in the outbox (ICANN
    staff read them on the Outbox page). Meant for cron, after `tlsauth bulk load-due`. Exits 1
    when an email could not be sent (it is tried again next time, up to 5 attempts).
    """
    smtp = notifications.Smtp.from_config(current_app.config)
    if not smtp.sends:
        waiting = notifications.deliver(_session(), smtp).waiting
        click.echo(
            "SMTP is not configured (TLSAUTH_SMTP_HOST is empty): emails are only recorded in "
            f"the outbox, none sent; {_plural(waiting, 'email')} waiting."
        )
        return
    try:
        result = notifications.deliver(_session(), smtp)
    except (OSError, smtplib.SMTPException) as exc:
        raise click.ClickException(f"SMTP {smtp.host}:{smtp.port}: {exc}") from exc
    click.echo(f"sent {result.sent}, failed {result.failed}, waiting {result.waiting}")
    if result.failed:
        raise click.ClickException(
            f"{_plural(result.failed, 'email')} not sent; the outbox keeps each one's error."
        )
