"""Bulk work off the request: a small pool of threads per app, each job in its own app context
(so its own database session, removed when the context ends). The page polls the upload for
progress; a job never raises into the pool (the services record why work stopped, and anything
left is logged here)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from flask import Flask
from sqlalchemy.orm import Session

from infra.config import limits
from infra.database import db

from ..services import bulk_background
from ..services.bulk_uploads import Staging
from .delivery import deliver_in_background

log = logging.getLogger(__name__)

WORKERS = 2  # uploads checked or staged at once; more wait their turn ("Waiting to be checked")
_KEY = "bulk_jobs"
_lock = threading.Lock()


def _pool(app: Flask) -> ThreadPoolExecutor:
    with _lock:
        pool = app.extensions.get(_KEY)
        if pool is None:
            pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="bulk")
            app.extensions[_KEY] = pool
        return pool


def _run(app: Flask, what: str, upload_id: int, work: Callable[[Session], object]) -> None:
    try:
        with app.app_context():
            work(db.session)
    except Exception:
        log.exception("bulk %s of upload %s stopped", what, upload_id)


def check(app: Flask, upload_id: int) -> Future[None]:
    """Check the stored upload in the background."""
    rules = limits(app.config)
    return _pool(app).submit(
        _run, app, "check", upload_id, lambda s: bulk_background.check(s, upload_id, rules)
    )


def stage(app: Flask, staging: Staging) -> Future[None]:
    """Stage a claimed submit in the background."""
    return _pool(app).submit(
        _run, app, "staging", staging.upload_id, lambda s: _stage_and_tell(s, staging)
    )


def _stage_and_tell(session: Session, staging: Staging) -> None:
    """Stage, then send the registry operators' emails when SMTP is configured."""
    if bulk_background.stage(session, staging) is None:
        deliver_in_background()


def resume(app: Flask) -> list[int]:
    """At start: make ready again what was being staged when the portal stopped, and check
    again what was being checked (the ids queued). One portal process per database: a second
    one starting would take over the first one's running work."""
    with app.app_context():
        ids = bulk_background.interrupted(db.session)
    for upload_id in ids:
        check(app, upload_id)
    return ids


def shutdown(app: Flask, wait: bool = True) -> None:
    """Let the running jobs finish (or not) and drop the pool; the next job starts a new one."""
    with _lock:
        pool = app.extensions.pop(_KEY, None)
    if pool is not None:
        pool.shutdown(wait=wait)
