"""RSP bulk uploads: upload a file (checked at once; staged when attested), read the uploads
and their TLD changes, and answer a TLD's change (accept, object, load, cancel).

Unlike the other routes, refusals of the bulk process are 403 (not yours to do) and 422 (the
file, the attestation or the change's state), with the file's findings placed by line and
column; a stale version sent to accept is 409 with the current document.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from flask import Response, current_app, g, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from infra.config import limits
from infra.database import db

from ..bulk.delivery import deliver_in_background
from ..core.bulk import BulkFinding
from ..core.validation import Finding
from ..models import BulkTldChange, BulkUpload, UploadStatus
from ..services import bulk_changes, bulk_overview, bulk_uploads
from ..services.bulk_uploads import Forbidden
from ..services.errors import Conflict, Invalid
from ..services.notifications import Smtp
from . import bp
from .access import managed_tld
from .errors import ApiError
from .schemas import (
    Attestation,
    BulkAcceptInput,
    BulkChange,
    BulkChangesQuery,
    BulkFindingInfo,
    BulkNoteInput,
    BulkPreview,
    BulkPreviewRow,
    BulkRefusal,
    BulkSubmitInput,
    BulkTotals,
    BulkUploadDocument,
    BulkUploadForm,
    BulkUploadInput,
    BulkUploads,
    BulkUploadsQuery,
    BulkUploadSummary,
    ConflictBody,
    Document,
    ErrorBody,
    ErrorInfo,
    EventSummary,
)
from .spec import operation

UPLOAD_ENDPOINT = "api.bulk_upload"
# Room for a multipart body's boundaries and form fields beside a file of the largest size.
ENVELOPE = 64 * 1024
ATTESTATION_FIELDS = {"attest", "attest_name", "attest_title"}
MEDIA = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


@bp.url_value_preprocessor
def _bulk_body_limit(endpoint: str | None, _values: Any) -> None:
    """A bulk file may be larger than the app's request limit. Set here, as this runs before
    the before_request hooks, which may read the body (CSRF on a session's post)."""
    if endpoint == UPLOAD_ENDPOINT:
        request.max_content_length = current_app.config["BULK_MAX_BYTES"] + ENVELOPE


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc: RequestEntityTooLarge) -> Response:
    if request.endpoint == UPLOAD_ENDPOINT:
        message = _size_limit()
    else:
        message = exc.description or "The request is too large."
    return ApiError(413, "too_large", message).response()


def _size_limit() -> str:
    limit = current_app.config["BULK_MAX_BYTES"]
    return (
        f"The request is larger than a bulk upload may be: the file may be at most "
        f"{limit:,} bytes. Split it into several files by TLD."
    )


def _portal_url() -> str:
    return Smtp.from_config(current_app.config).portal_url


def _messages(exc: Invalid) -> str:
    return " ".join(f.message for f in exc.errors)


def _refusal(
    status: int,
    code: str,
    message: str,
    *,
    upload_id: int | None = None,
    problems: Sequence[Finding] = (),
    findings: Sequence[dict[str, Any]] = (),
) -> ApiError:
    body = BulkRefusal(
        error=ErrorBody.of(code, message, problems).error,
        upload_id=upload_id,
        findings=[BulkFindingInfo.model_validate(f) for f in findings],
    )
    return ApiError(status, code, message, body=body)


def _placed(finding: dict[str, Any]) -> Finding:
    """A stored file finding as a detail: its place (“line 4, column ip_acl”) as the field."""
    placed = BulkFinding(
        finding["column"],
        finding["message"],
        finding["severity"],
        finding["line"],
        finding["entry"],
    )
    return Finding(placed.where() or "file", placed.message, placed.severity)


# --------------------------------------------------------------------------- documents


def _summary_fields(upload: BulkUpload, whole: bool, counts: dict[str, int]) -> dict[str, Any]:
    attested = whole and upload.submitted_at is not None
    return {
        "id": upload.id,
        "rsp": upload.organisation.name,
        "status": upload.status,
        "uploaded_by": upload.uploaded_by if whole else None,
        "created_at": upload.created_at,
        "filename": upload.filename if whole else None,
        "format": upload.format if whole else None,
        "size": upload.size if whole else None,
        "sha256": upload.sha256 if whole else None,
        "submitted_at": upload.submitted_at,
        "attestation": Attestation(
            statement=upload.attestation_text or "",
            name=upload.attested_name or "",
            title=upload.attested_title or "",
            by=upload.attested_by or "",
        )
        if attested
        else None,
        "notice_ends_at": upload.notice_ends_at,
        "counts": counts,
    }


def _preview(upload: BulkUpload) -> BulkPreview | None:
    if upload.totals is None or upload.preview is None:
        return None
    return BulkPreview(
        totals=BulkTotals.model_validate(upload.totals),
        tlds=[BulkPreviewRow.model_validate(row) for row in upload.preview],
    )


def _tld_versions(changes: Sequence[BulkTldChange]) -> dict[str, int]:
    named = bulk_uploads.tlds_named(db.session, [c.tld for c in changes])
    return {name: tld.version for name, tld in named.items()}


def _document(upload: BulkUpload, status: str | None = None) -> BulkUploadDocument:
    """The upload as the caller may see it; `status` narrows its TLD changes."""
    user = g.api_user
    whole = bulk_uploads.sees_whole_upload(user, upload)
    changes = bulk_uploads.visible_changes(db.session, user, upload)
    shown = [c for c in changes if status is None or c.status == status]
    versions = _tld_versions(shown)
    return BulkUploadDocument(
        **_summary_fields(upload, whole, bulk_uploads.status_counts(changes)),
        findings=[BulkFindingInfo.model_validate(f) for f in upload.findings or []]
        if whole
        else [],
        preview=_preview(upload) if whole else None,
        tlds=[BulkChange.of(c, versions.get(c.tld, c.base_version)) for c in shown],
    )


def _change_document(change: BulkTldChange) -> BulkChange:
    return BulkChange.of(change, managed_tld().version)


# --------------------------------------------------------------------------- upload and submit


def _store(data: bytes, filename: str, content_type: str) -> BulkUpload:
    try:
        return bulk_uploads.create_upload(
            db.session,
            g.api_user,
            data,
            filename=filename,
            content_type=content_type,
            channel="api",
            max_bytes=current_app.config["BULK_MAX_BYTES"],
        )
    except Forbidden as exc:
        raise ApiError(403, "forbidden", _messages(exc)) from exc
    except Invalid as exc:  # the only other refusal: the file is over the limit
        raise ApiError(413, "too_large", _messages(exc)) from exc


def _check(upload: BulkUpload) -> BulkUpload:
    upload = bulk_uploads.check_upload(db.session, upload, limits(current_app.config))
    if upload.status == UploadStatus.FAILED:
        raise ApiError(
            500,
            "check_failed",
            "Checking the file stopped on an unexpected error; nothing was staged. Upload it "
            "again; if it stops again, tell ICANN staff.",
        )
    if upload.status == UploadStatus.INVALID:
        stored = upload.findings or []
        errors = [_placed(f) for f in stored if f["severity"] == "error"]
        raise _refusal(
            422,
            "invalid_file",
            f"The file has {len(errors):,} error{'s' if len(errors) != 1 else ''}; nothing was "
            "staged. Correct the file and upload it again.",
            upload_id=upload.id,
            problems=errors,
            findings=stored,
        )
    return upload


def _submit(upload: BulkUpload, attest: Any, name: Any, title: Any) -> BulkUpload:
    """Attest and stage a ready upload; a refusal leaves it ready to submit again."""
    user = g.api_user
    if upload.organisation_id != user.organisation_id:
        raise ApiError(
            403, "forbidden", f"Only the users of {upload.organisation.name} can submit its upload."
        )
    try:
        staged = bulk_uploads.submit(
            db.session,
            upload,
            user,
            attest=attest,
            name=name,
            title=title,
            notice_days=current_app.config["BULK_NOTICE_DAYS"],
            portal_url=_portal_url(),
        )
        deliver_in_background()
        return staged
    except Forbidden as exc:
        raise ApiError(403, "forbidden", _messages(exc)) from exc
    except Invalid as exc:
        if all(f.field in ATTESTATION_FIELDS for f in exc.errors):
            path = url_for("api.bulk_submit", upload_id=upload.id)
            raise _refusal(
                422,
                "invalid_attestation",
                f"Nothing was staged: the attestation is incomplete. Upload #{upload.id} is "
                f"checked and ready; submit it by POSTing the attestation to {path}.",
                upload_id=upload.id,
                problems=exc.errors,
            ) from exc
        raise _refusal(
            422, "not_submittable", _messages(exc), upload_id=upload.id, problems=exc.errors
        ) from exc


def _created(upload: BulkUpload) -> tuple[BulkUploadDocument, int, dict[str, str]]:
    location = url_for("api.bulk_upload_get", upload_id=upload.id)
    return _document(upload), 201, {"Location": location}


@bp.post("/bulk-uploads")
@operation(
    BulkUploadDocument,
    status=201,
    also={200: (BulkUploadDocument, "A dry run: the upload checked and previewed, not staged")},
    errors=[403, 413, 422],
    refused="The request has errors; nothing was stored.",
)
def bulk_upload(
    json: BulkUploadInput, form: BulkUploadForm
) -> tuple[BulkUploadDocument, int] | tuple[BulkUploadDocument, int, dict[str, str]]:
    """Upload a bulk file: check it, and unless a dry run, attest and stage it

    Send multipart/form-data (the file in `file`, beside the attestation fields), or the
    JSON bulk format as the body with the attestation fields beside `entries` (the body is
    stored byte for byte as upload.json). Only an RSP's users upload. The file is checked at
    once: errors answer 422 `invalid_file` with every finding placed by line and column (or
    entry and key). A dry run answers 200 with the preview. Otherwise the attestation is
    checked (422 `invalid_attestation`; the upload stays ready for
    `POST /bulk-uploads/{upload_id}/submit`), then the one-time rule (403), then every TLD's
    change is staged and its registry operator told: 201 with the upload."""
    if form is not None:
        data = form.file.read()
        filename, content_type = form.file.filename or "upload", form.file.mimetype
        attest, name, title, dry_run = (
            form.attest,
            form.attest_name,
            form.attest_title,
            form.dry_run,
        )
    else:
        data, filename, content_type = request.get_data(), "upload.json", "application/json"
        attest, name, title, dry_run = (
            json.attest,
            json.attest_name,
            json.attest_title,
            json.dry_run,
        )
    upload = _check(_store(data, filename, content_type))
    if dry_run:
        return _document(upload), 200
    return _created(_submit(upload, attest, name, title))


@bp.post("/bulk-uploads/<int:upload_id>/submit")
@operation(BulkUploadDocument, errors=[403, 404, 422], refused="Nothing was staged.")
def bulk_submit(upload_id: int, json: BulkSubmitInput) -> BulkUploadDocument:
    """Attest and stage an upload that is checked and ready (after a dry run, or a refused
    attestation)"""
    upload = bulk_uploads.get_upload(db.session, g.api_user, upload_id)
    upload = _submit(upload, json.attest, json.attest_name, json.attest_title)
    return _document(upload)


# --------------------------------------------------------------------------- reading


@bp.get("/bulk-uploads")
@operation(BulkUploads, refused="The query has errors.")
def bulk_uploads_list(query: BulkUploadsQuery) -> BulkUploads:
    """The bulk uploads you may see, newest first

    An RSP's users see their organisation's, ICANN staff all, a registry operator the
    submitted uploads that include its TLDs (with `counts` of its TLDs only and no file
    details)."""
    user = g.api_user
    rows = [
        upload
        for upload in bulk_uploads.list_uploads(db.session, user)
        if query.status is None or upload.status == query.status
    ]
    whole = {upload.id: bulk_uploads.sees_whole_upload(user, upload) for upload in rows}
    counts = bulk_overview.change_counts(db.session, [u.id for u in rows if whole[u.id]])
    counts |= bulk_overview.change_counts(
        db.session, [u.id for u in rows if not whole[u.id]], operator_id=user.organisation_id
    )
    return BulkUploads(
        uploads=[
            BulkUploadSummary(**_summary_fields(upload, whole[upload.id], counts[upload.id]))
            for upload in rows
        ]
    )


@bp.get("/bulk-uploads/<int:upload_id>")
@operation(BulkUploadDocument, errors=[404], refused="The query has errors.")
def bulk_upload_get(upload_id: int, query: BulkChangesQuery) -> BulkUploadDocument:
    """One bulk upload with its findings, preview and TLD changes

    A registry operator sees only its own TLDs' changes, and neither the file's details nor
    the uploader, findings, preview or attestation."""
    upload = bulk_uploads.get_upload(db.session, g.api_user, upload_id)
    return _document(upload, query.status)


def _attachment(filename: str) -> str:
    plain = "".join(c for c in filename if 32 <= ord(c) < 127 and c not in '"\\') or "upload"
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename)}"


@bp.get("/bulk-uploads/<int:upload_id>/file")
@operation(
    None,
    media=("application/octet-stream", "The file byte for byte, with its media type"),
    errors=[403, 404],
)
def bulk_upload_file(upload_id: int) -> Response:
    """The uploaded file, byte for byte (its RSP and ICANN staff)"""
    user = g.api_user
    upload = bulk_uploads.get_upload(db.session, user, upload_id)
    if not bulk_uploads.sees_whole_upload(user, upload):
        raise ApiError(
            403, "forbidden", "The file of a bulk upload is shown to its RSP and ICANN staff only."
        )
    media = MEDIA.get(upload.format or "") or upload.content_type or "application/octet-stream"
    return Response(
        upload.file,
        200,
        content_type=media,
        headers={"Content-Disposition": _attachment(upload.filename)},
    )


# --------------------------------------------------------------------------- answering a TLD


@contextmanager
def _answering(change: BulkTldChange) -> Iterator[None]:
    """A service's refusal of an answer as the API's: 403, 409 or 422; after an answer, the
    emails it queued are sent when SMTP is configured."""
    try:
        yield
        deliver_in_background()
    except Forbidden as exc:
        raise ApiError(403, "forbidden", _messages(exc)) from exc
    except Conflict as exc:
        raise _stale(change, exc) from exc
    except Invalid as exc:
        raise _refusal(
            422, "change_refused", _messages(exc), upload_id=change.upload_id, problems=exc.errors
        ) from exc


def _stale(change: BulkTldChange, exc: Conflict) -> ApiError:
    message = (
        f"The configuration of .{change.tld} is now version {exc.current_version}; you "
        f"reviewed version {exc.expected_version}. Nothing was loaded: review the change "
        f"against the current configuration and accept it with version {exc.current_version}."
    )
    assert exc.current is not None
    body = ConflictBody(
        error=ErrorInfo(code="version_conflict", message=message, details=[]),
        current=Document.of(exc.current),
        changes=[EventSummary.model_validate(c) for c in exc.changes],
    )
    return ApiError(409, "version_conflict", message, body=body)


def _change(upload_id: int) -> BulkTldChange:
    return bulk_changes.get_change(db.session, g.api_user, upload_id, managed_tld().name)


@bp.post("/bulk-uploads/<int:upload_id>/tlds/<tld>/accept")
@operation(BulkChange, errors=[403, 404, 409, 422], refused="Nothing was loaded.")
def bulk_accept(upload_id: int, tld: str, json: BulkAcceptInput) -> BulkChange:
    """Accept the TLD's change: it loads at once (the TLD's registry operator)

    Send the TLD's version you reviewed the change against; if the TLD changed since, 409
    with the current document and what changed, and nothing is loaded."""
    change = _change(upload_id)
    with _answering(change):
        bulk_changes.accept(
            db.session,
            g.api_user,
            change,
            expected_version=json.version,
            portal_url=_portal_url(),
        )
    return _change_document(change)


@bp.post("/bulk-uploads/<int:upload_id>/tlds/<tld>/object")
@operation(BulkChange, errors=[403, 404, 422], refused="Nothing was changed.")
def bulk_object(upload_id: int, tld: str, json: BulkNoteInput) -> BulkChange:
    """Object to the TLD's change: it is withdrawn and the RSP told why (the TLD's registry
    operator)"""
    change = _change(upload_id)
    with _answering(change):
        bulk_changes.object_to(
            db.session, g.api_user, change, note=json.note, channel="api", portal_url=_portal_url()
        )
    return _change_document(change)


@bp.post("/bulk-uploads/<int:upload_id>/tlds/<tld>/load")
@operation(BulkChange, errors=[403, 404, 422])
def bulk_load(upload_id: int, tld: str) -> BulkChange:
    """Load the TLD's pending change now (ICANN staff)

    Like the end of the notice period, a TLD changed since the upload is not loaded: the
    change becomes `conflict` (answered 200; its status says so)."""
    change = _change(upload_id)
    with _answering(change):
        bulk_changes.load_now(
            db.session, g.api_user, change, channel="api", portal_url=_portal_url()
        )
    return _change_document(change)


@bp.post("/bulk-uploads/<int:upload_id>/tlds/<tld>/cancel")
@operation(BulkChange, errors=[403, 404, 422], refused="Nothing was changed.")
def bulk_cancel(upload_id: int, tld: str, json: BulkNoteInput) -> BulkChange:
    """Cancel the TLD's change; the RSP and the registry operator are told (ICANN staff)"""
    change = _change(upload_id)
    with _answering(change):
        bulk_changes.cancel(
            db.session, g.api_user, change, note=json.note, channel="api", portal_url=_portal_url()
        )
    return _change_document(change)
