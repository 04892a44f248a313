"""The bulk work the portal's pages hand to a thread of its own: checking an uploaded file and
staging an attested submit. Neither raises: whatever stops the work is logged and left on the
upload, where the page that polls it finds it (`failed` after a check, `error` on a ready
upload after a submit)."""

from __future__ import annotations

import logging

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..core.validation import Limits
from ..models import BulkUpload, UploadStatus
from . import bulk_uploads
from .errors import Invalid

log = logging.getLogger(__name__)

UNEXPECTED_STAGE = (
    "Submitting stopped on an unexpected error, so nothing was staged. Submit again; if it "
    "stops again, tell ICANN staff."
)


INTERRUPTED_STAGE = (
    "The portal stopped while this upload was being submitted, so nothing was staged. Submit again."
)


def interrupted(session: Session) -> list[int]:
    """After the portal restarts, the work its threads had not finished: an upload left
    staging is ready again (staging is one transaction, so none of it was staged), and the
    uploads left checking are returned, oldest first, to be checked again."""
    session.execute(
        update(BulkUpload)
        .where(BulkUpload.status == UploadStatus.STAGING)
        .values(status=UploadStatus.READY, phase="Checked", error=INTERRUPTED_STAGE)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return list(
        session.scalars(
            select(BulkUpload.id)
            .where(BulkUpload.status == UploadStatus.CHECKING)
            .order_by(BulkUpload.id)
        )
    )


def check(session: Session, upload_id: int, limits: Limits) -> None:
    """Check a stored upload that waits to be checked (`bulk_uploads.check_upload`)."""
    try:
        upload = session.get(BulkUpload, upload_id)
        if upload is None or upload.status != UploadStatus.CHECKING:
            return
        bulk_uploads.check_upload(session, upload, limits)
    except Exception as exc:  # check_upload records its own failures; this is the rest
        log.exception("checking bulk upload %s stopped", upload_id)
        _record(
            session,
            upload_id,
            UploadStatus.CHECKING,
            status=UploadStatus.FAILED,
            phase="Stopped",
            error=f"{type(exc).__name__}: {exc}"[:2000],
        )


def stage(session: Session, staging: bulk_uploads.Staging) -> str | None:
    """Stage a claimed submit (`bulk_uploads.stage`). On a refusal or failure the upload is
    ready again, with the reason as its `error`, which is also returned."""
    _record(session, staging.upload_id, UploadStatus.STAGING, error=None)
    try:
        bulk_uploads.stage(session, staging)
        return None
    except Invalid as exc:  # another submit of the organisation took the one-time rule's slot
        reason = " ".join(f.message for f in exc.errors)
    except Exception:
        log.exception("staging bulk upload %s stopped", staging.upload_id)
        reason = UNEXPECTED_STAGE
    _record(session, staging.upload_id, UploadStatus.READY, error=reason[:2000])
    return reason


def _record(session: Session, upload_id: int, status: str, **values: object) -> None:
    """Set `values` on the upload if it is still in `status`; a failure here is only logged."""
    try:
        session.rollback()
        session.execute(
            update(BulkUpload)
            .where(BulkUpload.id == upload_id, BulkUpload.status == status)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        session.commit()
    except Exception:
        log.exception("recording the state of bulk upload %s failed", upload_id)
        session.rollback()
