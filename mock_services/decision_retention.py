"""The decision log's retention, kept by each mock process off the request path.

A daemon thread wakes every TLSAUTH_DECISION_LOG_PRUNE_SECONDS and deletes what the retention
rules drop, a batch per transaction under the mock's write lock, so a request's log insert
waits for one batch at most. The thread holds the app weakly: an app that is gone (a test's
mock server) ends it.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import weakref
from typing import Any

from flask import Flask

from infra.database import db
from portal.services.decisions import PRUNE_BATCH, Retention, prune

log = logging.getLogger(__name__)

PRUNER_KEY = "tlsauth.decision_pruner"
# Between two batches: lets a request waiting for the write lock take it first.
BATCH_PAUSE = 0.01


def retention_of(config: Any) -> Retention:
    return Retention.of(config["DECISION_LOG_MAX_ROWS"], config["DECISION_LOG_MAX_AGE_DAYS"])


class Pruner:
    """Prunes the decision log of one mock app every `interval` seconds until stopped."""

    def __init__(self, app: Flask, guard: Any, interval: float, batch: int = PRUNE_BATCH) -> None:
        self._app = weakref.ref(app)
        self.guard = guard
        self.interval = interval
        self.batch = batch
        self.retention = retention_of(app.config)
        self.deleted = 0  # rows deleted so far, for the curious (and the tests)
        self.runs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, name=f"decision-pruner-{app.name}", daemon=True
        )

    def start(self) -> Pruner:
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float | None = None) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def run_once(self) -> int:
        app = self._app()
        if app is None:
            self._stop.set()
            return 0
        with app.app_context():
            try:
                deleted = prune(
                    db.session,
                    self.retention,
                    batch=self.batch,
                    guard=lambda: self.guard,
                    pause=lambda: time.sleep(BATCH_PAUSE),
                )
            finally:
                db.session.remove()
        self.deleted += deleted
        self.runs += 1
        if deleted:
            log.info("decision log: %d old decisions deleted", deleted)
        return deleted

    def _loop(self) -> None:
        # Processes started together (workers, both mocks) spread their first run.
        first = self.interval * (0.5 + random.random() / 2)
        if self._stop.wait(first):
            return
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # a failed run (database restarting) waits for the next one
                log.exception("decision log pruning failed")
            if self._stop.wait(self.interval):
                return


def start_pruning(app: Flask, guard: Any) -> Pruner | None:
    """Start the app's pruner, unless pruning is off (interval 0) or nothing is ever dropped."""
    interval = float(app.config["DECISION_LOG_PRUNE_SECONDS"])
    if interval <= 0 or retention_of(app.config).unlimited:
        return None
    pruner = app.extensions[PRUNER_KEY] = Pruner(app, guard, interval).start()
    return pruner


def stop_pruning(app: Flask, timeout: float = 10) -> None:
    """Stop the app's pruner (a server that stops serving), waiting for a run under way."""
    pruner = app.extensions.pop(PRUNER_KEY, None)
    if pruner is not None:
        pruner.stop(timeout)
