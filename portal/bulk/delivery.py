"""Sending the outbox off the request: a change that notified starts a delivery thread when
SMTP is configured, so nobody waits on a mail server and a broken one never fails the change."""

from __future__ import annotations

import logging
import threading

from flask import Flask, current_app

from infra.database import db

from ..services.notifications import Smtp, deliver

log = logging.getLogger(__name__)

# One delivery at a time in this process: `deliver` picks every waiting email, so two running
# side by side would send the same ones twice.
_running = threading.Lock()


def _deliver(app: Flask, smtp: Smtp) -> None:
    with _running, app.app_context():
        try:
            result = deliver(db.session, smtp)
            if result.failed:
                log.warning("outbox: %d of %d emails not sent", result.failed, result.waiting)
        except Exception:
            log.exception("outbox delivery failed")
            db.session.rollback()
        finally:
            db.session.remove()


def deliver_in_background() -> threading.Thread | None:
    """Start sending the outbox if SMTP is configured; the thread, or None (record only).
    Never raises into the request that calls it."""
    try:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        smtp = Smtp.from_config(app.config)
        if not smtp.sends:
            return None
        thread = threading.Thread(
            target=_deliver, args=(app, smtp), name="outbox-delivery", daemon=True
        )
        thread.start()
        return thread
    except Exception:
        log.exception("could not start the outbox delivery")
        return None
