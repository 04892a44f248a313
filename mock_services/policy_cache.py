"""What the mocks know of the stored policy, cached in memory and refreshed when it changes.

Per request one small query reads the TLD's version and the change counters (harness zone,
scenarios, reset); only when one of them moved is anything reloaded (that TLD's entries and
accounts, or the zone), by the builders the policy simulator uses too
(portal/services/policy.py).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from portal.core.decision import LookupResult, TldPolicy
from portal.core.tlsa import TlsaRecord
from portal.models import ChangeCounter, Counter, Scenario, Tld
from portal.services.policy import build_policy, zone_records

# Built once (it runs on every request): the TLD's version and id, and the zone's serial.
_TLD = bindparam("tld")
_VERSIONS = select(
    select(Tld.version).where(Tld.name == _TLD).scalar_subquery(),
    select(ChangeCounter.value).where(ChangeCounter.name == Counter.TLSA.value).scalar_subquery(),
    select(Tld.id).where(Tld.name == _TLD).scalar_subquery(),
    select(ChangeCounter.value)
    .where(ChangeCounter.name == Counter.SCENARIO.value)
    .scalar_subquery(),
    select(ChangeCounter.value).where(ChangeCounter.name == Counter.RESET.value).scalar_subquery(),
)


CACHE_KEY = "tlsauth.policy_cache"


def current_cache() -> PolicyCache:
    """The app's cache, as the enforcer refreshed it for this request."""
    return current_app.extensions[CACHE_KEY]


@dataclass
class _Zone:
    serial: int
    records: dict[str, tuple[TlsaRecord, ...]]


class PolicyCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._policies: dict[str, TldPolicy] = {}
        self._zone = _Zone(-1, {})
        self._scenarios: dict[str, dict] = {}
        self._scenario_serial = -1
        self._reset_serial = 0

    def versions(self, session: Session, tld: str) -> tuple[int | None, int, int | None]:
        """(TLD version or None, harness zone serial, TLD id) in one round trip."""
        row = session.execute(_VERSIONS, {"tld": tld}).one()
        if (row[4] or 0) != self._reset_serial:
            # The harness was emptied: a TLD seeded again may be back at a version number
            # this cache holds, with other entries.
            with self._lock:
                self._policies, self._reset_serial = {}, row[4] or 0
        if (row[3] or 0) != self._scenario_serial:
            self._load_scenarios(session, row[3] or 0)
        return row[0], row[1] or 0, row[2]

    def _load_scenarios(self, session: Session, serial: int) -> None:
        rows = session.execute(
            select(Tld.name, Scenario.data).join(Scenario, Scenario.tld_id == Tld.id)
        )
        scenarios = {name: data for name, data in rows}
        with self._lock:
            self._scenarios, self._scenario_serial = scenarios, serial

    def scenario(self, tld: str) -> dict | None:
        """The TLD's MoSAPI scenario as of this request's version check."""
        return self._scenarios.get(tld)

    def lookup(self, session: Session, tld: str) -> tuple[TldPolicy | None, int | None]:
        """The TLD's policy (None if the TLD does not exist) and its id; refreshes the zone too."""
        version, serial, tld_id = self.versions(session, tld)
        if serial != self._zone.serial:
            self._load_zone(session, serial)
        if version is None:
            return None, None
        cached = self._policies.get(tld)
        if cached is not None and cached.version == version:
            return cached, tld_id
        return self.load_policy(session, tld, tld_id, version), tld_id

    def load_policy(self, session: Session, tld: str, tld_id: int, version: int) -> TldPolicy:
        policy = build_policy(session, tld, tld_id, version)
        with self._lock:
            self._policies[tld] = policy
        return policy

    def _load_zone(self, session: Session, serial: int) -> None:
        records = zone_records(session)
        with self._lock:
            self._zone = _Zone(serial, records)

    def harness_lookup(self, name: str) -> LookupResult:
        return LookupResult(self._zone.records.get(name, ()))
