"""Client credentials remembered for one browser session, in this process's memory only.

When the workbench generates a certificate and key, the test connection tab offers them for an
hour: at most `PER_OWNER` per owner (the newest kept), never written to the database, a file or
a log. With several portal processes a session's credentials live in the process that
generated them (docs/decisions.md).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from .client_credentials import ClientCredential

TTL_SECONDS = 3600.0
PER_OWNER = 10
MAX_OWNERS = 1000  # the oldest owners are forgotten beyond this, bounding the memory used


@dataclass(frozen=True)
class Remembered:
    id: str
    credential: ClientCredential
    created_at: datetime  # wall clock, for the label
    expires: float  # on the store's clock


class CredentialStore:
    """Per-owner lists of credentials that expire; safe to share between threads."""

    def __init__(
        self,
        ttl: float = TTL_SECONDS,
        per_owner: int = PER_OWNER,
        max_owners: int = MAX_OWNERS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.per_owner = per_owner
        self.max_owners = max_owners
        self.clock = clock
        self._lock = threading.Lock()
        self._owners: OrderedDict[str, list[Remembered]] = OrderedDict()

    def _live(self, owner: str, now: float) -> list[Remembered]:
        items = [r for r in self._owners.get(owner, []) if r.expires > now]
        if items:
            self._owners[owner] = items
        else:
            self._owners.pop(owner, None)
        return items

    def remember(self, owner: str, credential: ClientCredential) -> Remembered:
        now = self.clock()
        item = Remembered(secrets.token_urlsafe(12), credential, datetime.now(UTC), now + self.ttl)
        with self._lock:
            items = [*self._live(owner, now), item][-self.per_owner :]
            self._owners[owner] = items
            self._owners.move_to_end(owner)
            while len(self._owners) > self.max_owners:
                self._owners.popitem(last=False)
        return item

    def list(self, owner: str) -> list[Remembered]:
        """The owner's live credentials, newest first."""
        with self._lock:
            return self._live(owner, self.clock())[::-1]

    def get(self, owner: str, credential_id: str) -> Remembered | None:
        return next((r for r in self.list(owner) if r.id == credential_id), None)


STORE = CredentialStore()
