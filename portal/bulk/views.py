"""Routes of the bulk upload pages: the upload form and the lists (RSP, ICANN staff, registry
operator), one upload's page through its life (progress while checked, findings, preview with
the attestation, progress while staged, the per-TLD status table), its file, its CSV export,
the templates, and ICANN staff's leave for another upload.

Every upload route answers 404 to a user who may not see the upload (the services decide);
a registry operator sees only its own TLDs' rows of a submitted upload, never the file."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import secure_filename

from infra.database import db

from ..core import bulk
from ..core.validation import Finding
from ..extensions import csrf
from ..models import BulkUpload, ChangeStatus, OrgKind, UploadStatus
from ..services import bulk_overview, bulk_uploads, notifications
from ..services.errors import Invalid, NotFound
from ..templating import fragment, is_htmx
from . import bp, jobs
from .forms import ACCEPT, AllowForm, AttestForm, UploadForm

IN_PROGRESS = (UploadStatus.CHECKING, UploadStatus.STAGING)
POLL_MS = 500
# Room for the multipart framing and the CSRF field around a file of the largest size allowed,
# so a file just over the limit is read and named with its size by the service.
FRAMING_BYTES = 64 * 1024
STATUSES = tuple(s.value for s in ChangeStatus)
ATTEST_FIELDS = ("attest", "attest_name", "attest_title")
# Said to screen readers when the work the page waited for is done.
ANNOUNCE = {
    UploadStatus.INVALID: "Checked: the file was refused; its problems are listed.",
    UploadStatus.READY: "Checked: the preview and the attestation form are below.",
    UploadStatus.SUBMITTED: "Submitted: the TLD changes are staged.",
    UploadStatus.FAILED: "Checking stopped on an unexpected error.",
}


def _kind() -> str:
    return current_user.organisation.kind


def _max_bytes() -> int:
    return int(current_app.config["BULK_MAX_BYTES"])


def _size(n: int) -> str:
    """10 MiB, 97.7 KiB, 512 bytes."""
    for unit, size in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if n >= size:
            return f"{n / size:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n:,} bytes"


def _portal_url() -> str:
    return notifications.Smtp.from_config(current_app.config).portal_url


def _load(upload_id: int) -> BulkUpload:
    try:
        return bulk_uploads.get_upload(db.session, current_user, upload_id)
    except NotFound:
        abort(404)


# --------------------------------------------------------------------------- lists


def allowance_text(rule: bulk_uploads.Allowance) -> str:
    """The one-time rule as the RSP reads it."""
    left = rule.allowed - rule.used
    if left > 0:
        text = f"You can submit {left} bulk upload{'s' if left != 1 else ''}"
        if rule.last is not None:
            text += f" (your organisation's last was #{rule.last.id})"
        return text + "."
    number = f" (#{rule.last.id})" if rule.last is not None else ""
    return (
        f"Your organisation has submitted its bulk upload{number}; ICANN staff can allow another."
    )


def _index(status: int = 200, findings: list[Finding] | None = None) -> tuple[str, int]:
    kind = _kind()
    uploads = bulk_uploads.list_uploads(db.session, current_user)
    ids = [u.id for u in uploads]
    context: dict[str, Any] = {
        "kind": kind,
        "uploads": uploads,
        "counts": bulk_overview.change_counts(
            db.session,
            ids,
            operator_id=current_user.organisation_id if kind == OrgKind.REGISTRY_OPERATOR else None,
        ),
        "statuses": STATUSES,
        "findings": findings or [],
        "upload_form": UploadForm(formdata=None),
        "accept": ACCEPT,
        "max_size": _size(_max_bytes()),
    }
    if kind == OrgKind.RSP:
        rule = bulk_uploads.allowance(db.session, current_user.organisation_id)
        context["rule_text"] = allowance_text(rule)
        context["may_submit"] = rule.may_submit
    if kind == OrgKind.ICANN:
        context["rsps"] = bulk_overview.rsp_rules(db.session)
        context["allow_form"] = AllowForm(formdata=None)
    return render_template("bulk/index.html", **context), status


@bp.route("/")
@login_required
def index() -> Any:
    return _index()


def _template_plan() -> bulk.BulkPlan:
    """The template's one row, read back through the file rules, so both formats agree."""
    checked = bulk.validate_bulk(
        bulk.parse_bulk(bulk.template_csv().encode(), filename="template.csv"),
        {"example"},
        {"example"},
    )
    assert checked.value is not None
    return checked.value


@bp.route("/template.csv")
@login_required
def template_csv() -> Response:
    return Response(
        bulk.template_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="bulk-template.csv"'},
    )


@bp.route("/template.json")
@login_required
def template_json() -> Response:
    return Response(
        bulk.render_json(_template_plan()) + "\n",
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="bulk-template.json"'},
    )


# --------------------------------------------------------------------------- upload


@bp.route("/uploads", methods=["POST"])
@csrf.exempt  # checked below, once this route's own size limit is in place
@login_required
def create_upload() -> Any:
    """Store the file and check it in the background. The app-wide body limit is too small for
    a bulk file, so this route raises it before the body is read (and the CSRF token with it)."""
    limit = _max_bytes()
    request.max_content_length = limit + FRAMING_BYTES
    try:
        if current_app.config.get("WTF_CSRF_ENABLED", True):
            csrf.protect()
        storage = request.files.get("file")
    except RequestEntityTooLarge:
        return _index(
            413,
            [
                Finding(
                    "file",
                    f"The file is larger than the limit of {_size(limit)}. "
                    "Split it into several files by TLD.",
                )
            ],
        )
    if storage is None or not storage.filename:
        return _index(422, [Finding("file", "Choose a CSV or JSON file to upload.")])
    try:
        upload = bulk_uploads.create_upload(
            db.session,
            current_user,
            storage.read(limit + 1),
            filename=storage.filename,
            content_type=storage.mimetype or "",
            channel="ui",
            max_bytes=limit,
        )
    except bulk_uploads.Forbidden as exc:
        return _index(403, exc.errors)
    except Invalid as exc:
        return _index(422, exc.errors)
    jobs.check(current_app._get_current_object(), upload.id)  # type: ignore[attr-defined]
    return redirect(url_for("bulk.upload_page", upload_id=upload.id), 303)


# --------------------------------------------------------------------------- one upload


def _filters() -> dict[str, str]:
    status = request.args.get("status", "")
    return {
        "status": status if status in STATUSES else "",
        "tld": request.args.get("tld", "")[:63].strip(),
    }


def _progress_text(upload: BulkUpload) -> str:
    if upload.status == UploadStatus.STAGING:
        n = len(upload.plan or {})
        return f"Staging {n:,} TLD change{'s' if n != 1 else ''}…"
    if upload.total:
        return f"{upload.phase}: {upload.done:,} of {upload.total:,}"
    return f"{upload.phase or 'Waiting to be checked'}…"


def _context(upload: BulkUpload, **extra: Any) -> dict[str, Any]:
    """What the upload's part of the page needs in its present status."""
    whole = bulk_uploads.sees_whole_upload(current_user, upload)
    mine = upload.organisation_id == current_user.organisation_id
    context: dict[str, Any] = {
        "upload": upload,
        "whole": whole,
        "mine": mine,
        "in_progress": upload.status in IN_PROGRESS,
        "progress_url": url_for("bulk.progress", upload_id=upload.id),
        "progress_text": _progress_text(upload),
        "poll_ms": POLL_MS,
        "findings": upload.findings or [],
        "accept": ACCEPT,
        "max_size": _size(_max_bytes()),
        "size_text": _size(upload.size),
        "notice_days": int(current_app.config["BULK_NOTICE_DAYS"]),
    }
    if upload.status in (UploadStatus.INVALID, UploadStatus.FAILED) and mine:
        context["upload_form"] = UploadForm(formdata=None)
    if upload.status == UploadStatus.READY:
        context["statement"] = bulk_uploads.statement(upload.organisation.name)
        context["attest_form"] = extra.pop("attest_form", None) or AttestForm(formdata=None)
        errors: list[Finding] = extra.pop("submit_errors", [])
        context["field_errors"] = {
            name: [f.message for f in errors if f.field == name] for name in ATTEST_FIELDS
        }
        context["form_errors"] = [f.message for f in errors if f.field not in ATTEST_FIELDS]
        if mine:
            context["rule"] = bulk_uploads.allowance(db.session, upload.organisation_id)
            context["rule_text"] = allowance_text(context["rule"])
    if upload.status == UploadStatus.SUBMITTED:
        flt = _filters()
        every = bulk_uploads.visible_changes(db.session, current_user, upload)
        changes = (
            bulk_uploads.visible_changes(
                db.session, current_user, upload, status=flt["status"] or None, query=flt["tld"]
            )
            if flt["status"] or flt["tld"]
            else every
        )
        context.update(
            flt=flt,
            changes=changes,
            shown_total=len(every),
            counts=bulk_uploads.status_counts(every),
            statuses=STATUSES,
            csv_url=url_for(
                "bulk.changes_csv",
                upload_id=upload.id,
                **{k: v for k, v in flt.items() if v},
            ),
        )
    context.update(extra)
    return context


def _page(upload: BulkUpload, status: int = 200, **extra: Any) -> Response:
    response = current_app.make_response(
        (render_template("bulk/upload.html", **_context(upload, **extra)), status)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/uploads/<int:upload_id>")
@login_required
def upload_page(upload_id: int) -> Response:
    return _page(_load(upload_id))


@bp.route("/uploads/<int:upload_id>/progress")
@login_required
def progress(upload_id: int) -> Response:
    """While the work goes on, the progress fragment (which asks again); then the upload's
    part of the page in place of it."""
    upload = _load(upload_id)
    if not is_htmx():
        return redirect(url_for("bulk.upload_page", upload_id=upload.id))
    if upload.status in IN_PROGRESS:
        response = fragment("bulk/_progress_inner.html", **_context(upload))
    else:
        response = fragment(
            "bulk/_body.html", **_context(upload, announce=ANNOUNCE.get(upload.status, ""))
        )
        response.headers["HX-Reswap"] = "outerHTML"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/uploads/<int:upload_id>/submit", methods=["POST"])
@login_required
def submit(upload_id: int) -> Response:
    upload = _load(upload_id)
    form = AttestForm()
    if not form.validate():
        abort(400)
    try:
        staging = bulk_uploads.begin_submit(
            db.session,
            upload,
            current_user,
            attest=form.attest.data,
            name=form.attest_name.data,
            title=form.attest_title.data,
            notice_days=int(current_app.config["BULK_NOTICE_DAYS"]),
            portal_url=_portal_url(),
        )
    except NotFound:
        abort(404)
    except Invalid as exc:
        return _page(
            upload,
            403 if isinstance(exc, bulk_uploads.Forbidden) else 422,
            attest_form=form,
            submit_errors=exc.errors,
        )
    jobs.stage(current_app._get_current_object(), staging)  # type: ignore[attr-defined]
    return redirect(url_for("bulk.upload_page", upload_id=upload.id), 303)


@bp.route("/uploads/<int:upload_id>/file")
@login_required
def upload_file(upload_id: int) -> Response:
    """The file as it was uploaded, byte for byte, as an attachment."""
    upload = _load(upload_id)
    if not bulk_uploads.sees_whole_upload(current_user, upload):
        abort(404)
    suffix = ".json" if upload.format == "json" else ".csv"
    stem = secure_filename(upload.filename).rsplit(".", 1)[0][:100]
    name = f"bulk-upload-{upload.id}-{stem}{suffix}" if stem else f"bulk-upload-{upload.id}{suffix}"
    return Response(
        upload.file,
        mimetype="application/json" if upload.format == "json" else "text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


def _csv_lines(rows: Iterable[list[str]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


@bp.route("/uploads/<int:upload_id>.csv")
@login_required
def changes_csv(upload_id: int) -> Response:
    """The per-TLD status table the user sees, with the page's filter."""
    upload = _load(upload_id)
    flt = _filters()
    changes = bulk_uploads.visible_changes(
        db.session, current_user, upload, status=flt["status"] or None, query=flt["tld"]
    )
    return Response(
        stream_with_context(_csv_lines(bulk_uploads.changes_csv_rows(changes))),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="bulk-upload-{upload.id}-tlds.csv"',
            "Cache-Control": "no-store",
        },
    )


# --------------------------------------------------------------------------- ICANN staff


@bp.route("/allowances", methods=["POST"])
@login_required
def allow() -> Any:
    if _kind() != OrgKind.ICANN:
        abort(403, "Only ICANN staff can allow another bulk upload.")
    form = AllowForm()
    if not form.validate():
        abort(400)
    try:
        org = bulk_overview.rsp_organisation(db.session, form.organisation_id.data or 0)
        bulk_uploads.allow_another(db.session, org, current_user, form.note.data or "")
    except NotFound:
        abort(404)
    except Invalid as exc:
        return _index(422, exc.errors)
    flash(f"{org.name} may submit another bulk upload.")
    return redirect(url_for("bulk.index"), 303)
