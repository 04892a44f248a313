"""Bulk work the portal had not finished when it stopped is picked up when it starts again."""

from __future__ import annotations

import time

from sqlalchemy import func, select, update

from infra.database import db
from portal.bulk import jobs
from portal.models import BulkTldChange, BulkUpload, UploadStatus
from portal.services import bulk_background, bulk_uploads, directory

FILE = b"tld,domain_name,roles,ip_acl\nalpha,c.rsp.example,mosapi-slam,192.0.2.0/24\n"


def _stored(status: str) -> int:
    rsp = directory.get_user(db.session, "rsp@rsp.example")
    upload = bulk_uploads.create_upload(
        db.session, rsp, FILE, filename="f.csv", channel="ui", max_bytes=1 << 20
    )
    db.session.execute(update(BulkUpload).where(BulkUpload.id == upload.id).values(status=status))
    db.session.commit()
    return upload.id


def _status(upload_id: int) -> str:
    db.session.expire_all()
    return db.session.get(BulkUpload, upload_id).status


def test_a_restart_checks_again_what_was_being_checked_and_readies_what_was_staging(app, world):
    with app.app_context():
        checking = _stored(UploadStatus.CHECKING)
        staging = _stored(UploadStatus.STAGING)
        done = _stored(UploadStatus.INVALID)
        assert jobs.resume(app) == [checking]
        deadline = time.monotonic() + 20
        while _status(checking) == UploadStatus.CHECKING and time.monotonic() < deadline:
            time.sleep(0.05)
        jobs.shutdown(app)
        assert _status(checking) == UploadStatus.READY
        assert _status(staging) == UploadStatus.READY
        assert db.session.get(BulkUpload, staging).error == bulk_background.INTERRUPTED_STAGE
        assert _status(done) == UploadStatus.INVALID
        assert db.session.scalar(select(func.count()).select_from(BulkTldChange)) == 0
        # Nothing left over: a second start finds nothing to do.
        assert jobs.resume(app) == []
