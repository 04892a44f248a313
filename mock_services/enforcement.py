"""Request → facts → decision → log, for both mocks.

The pure decision lives in portal.core.decision; this module gathers the facts from the request
(TLS peer chain, source address, credentials), runs the certificate path and the credential path
beside it, writes the decision log and shapes the denial the real service would give.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections import OrderedDict
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from threading import Lock
from typing import Any

from flask import Request, Response
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from infra.tls_listener import peer_chain
from portal.core.decision import (
    Address,
    Decision,
    LookupResult,
    Network,
    TldPolicy,
    admits,
    combine,
    decide_basic,
    decide_certificate,
    parse_address,
)
from portal.core.endpoints import MockRoute
from portal.core.tlsa import CertFacts, spki_der
from portal.models import DecisionLogRow, MosapiSession, as_utc

from .policy_cache import PolicyCache

MOSAPI_DENIED = (
    "The client could not be authenticated using any of the available methods: "
    "TLS-Client-Authentication or Session Cookie."
)
# The 401 text for Basic credentials that do not verify (onasunnymorning/icann-client
# CHANGELOG.md, v0.4.0: a truncated password got "401 Invalid User and/or Password").
BAD_CREDENTIALS = "Invalid User and/or Password"
DECISION_HEADER = "X-TLSAuth-Decision"
SESSION_COOKIE = "id"


# Built once: the decision log insert is on every request's path.
_LOG = DecisionLogRow.__table__
_LOG_INSERT = insert(_LOG).returning(_LOG.c.id)
_STATUS_UPDATE = (
    update(_LOG).where(_LOG.c.id == bindparam("row_id")).values(status_code=bindparam("status"))
)


class PasswordChecker:
    """check_password_hash is deliberately slow (scrypt); RRI checks Basic on every request,
    so verified pairs are remembered by digest, keyed on the stored hash (a rotation misses)."""

    def __init__(self, size: int = 2048) -> None:
        self._seen: OrderedDict[tuple[str, bytes], bool] = OrderedDict()
        self._size = size
        self._lock = Lock()

    def __call__(self, stored_hash: str, password: str) -> bool:
        key = (stored_hash, hashlib.sha256(password.encode()).digest())
        with self._lock:
            if key in self._seen:
                self._seen.move_to_end(key)
                return self._seen[key]
        result = check_password_hash(stored_hash, password)
        with self._lock:
            self._seen[key] = result
            while len(self._seen) > self._size:
                self._seen.popitem(last=False)
        return result


@dataclass
class Outcome:
    decision: Decision
    decision_id: int
    denial: Response | None


def session_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Enforcer:
    def __init__(
        self,
        system: str,
        cache: PolicyCache,
        *,
        tlsa_source: Any = None,
        anchors: tuple[Any, ...] = (),
        trusted_proxies: tuple[Network, ...] = (),
        explain: bool = True,
        serialize_writes: bool = False,
    ) -> None:
        self.system = system
        self.cache = cache
        self.tlsa_source = tlsa_source  # None: the harness zone
        self.anchors = anchors
        self.trusted_proxies = trusted_proxies
        self.explain = explain
        self.passwords = PasswordChecker()
        # SQLite has one writer at a time; threads queueing on a lock beat threads sleeping in
        # SQLite's busy handler (which backs off up to 100 ms per retry).
        self.write_lock: Any = Lock() if serialize_writes else nullcontext()

    # ------------------------------------------------------------------ facts

    def source_address(self, request: Request) -> Address:
        peer = parse_address(request.remote_addr or "") or ipaddress.IPv4Address(0)
        if not self.trusted_proxies or not admits(self.trusted_proxies, peer):
            return peer
        # Walk X-Forwarded-For from the right, skipping our own proxies.
        hops = [
            h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()
        ]
        for hop in reversed(hops):
            addr = parse_address(hop)
            if addr is None:
                break
            if not admits(self.trusted_proxies, addr):
                return addr
        return peer

    def lookup(self, name: str) -> LookupResult:
        if self.tlsa_source is None:
            return self.cache.harness_lookup(name)
        return self.tlsa_source.lookup(name)

    # ------------------------------------------------------------------ paths

    def _session_path(
        self, session: Session, policy: TldPolicy | None, tld: str, token: str, source: Address
    ) -> Decision:
        row = session.scalar(
            select(MosapiSession).where(MosapiSession.token_hash == session_hash(token))
        )
        if row is None or row.tld != tld:
            return Decision(False, "session", ["session-unknown"])
        if as_utc(row.expires_at) <= datetime.now(UTC):  # type: ignore[operator]
            return Decision(False, "session", ["session-expired"])
        if policy is None or not admits(policy.basic_networks, source):
            return Decision(False, "session", ["source-not-in-basic-acl"], known_client=True)
        return Decision(True, "session", matched_entry=row.username, known_client=True)

    def basic(
        self, policy: TldPolicy | None, kinds: frozenset[str], request: Request, source: Address
    ) -> Decision | None:
        auth = request.authorization
        if auth is None or auth.type != "basic":
            return None
        return decide_basic(
            policy, kinds, auth.username or "", auth.password or "", source, self.passwords
        )

    def decide(
        self, session: Session, route: MockRoute, tld: str, request: Request
    ) -> tuple[Decision, dict[str, Any]]:
        source = self.source_address(request)
        chain = [CertFacts(c) for c in peer_chain(request.environ)]
        policy, _ = self.cache.lookup(session, tld)
        assert route.role is not None
        decision = decide_certificate(
            policy, route.role, chain, source, self.lookup, datetime.now(UTC), self.anchors
        )
        if not decision.allowed:
            other: Decision | None = None
            if self.system == "mosapi":
                token = request.cookies.get(SESSION_COOKIE)
                if token:
                    other = self._session_path(session, policy, tld, token, source)
            else:
                other = self.basic(policy, route.basic, request, source)
            decision = combine(decision, other)
        return decision, {"source": source, "chain": chain}

    # ------------------------------------------------------------------ log and answer

    def log(
        self,
        session: Session,
        request: Request,
        tld: str | None,
        decision: Decision,
        status: int,
        facts: dict[str, Any],
    ) -> int:
        chain: list[CertFacts] = facts.get("chain") or []
        leaf = chain[0].cert if chain else None
        values = {
            "created_at": datetime.now(UTC),
            "system": self.system,
            "tld": tld,
            "endpoint": request.path[:300],
            "method": request.method,
            "source_address": str(facts.get("source", request.remote_addr)),
            "cert_spki_sha256": hashlib.sha256(spki_der(leaf)).hexdigest() if leaf else None,
            "cert_subject": leaf.subject.rfc4514_string()[:500] if leaf else None,
            "auth_path": decision.auth_path,
            "result": decision.result,
            "status_code": status,
            "reasons": decision.reasons,
            "warnings": decision.warnings,
            "matched_entry": decision.matched_entry,
            "required_role": decision.role,
            "deciding_reason": decision.deciding_reason,
            "checks": [
                {"domain_name": c.domain_name, "matched": c.matched, "reasons": list(c.reasons)}
                for c in decision.checks
            ]
            or None,
        }
        with self.write_lock:
            decision_id = int(session.execute(_LOG_INSERT, values).scalar_one())
            session.commit()
        return decision_id

    def denial(self, decision: Decision) -> Response:
        if self.system == "mosapi":
            return Response(MOSAPI_DENIED, 401, mimetype="text/plain")
        if "bad-password" in decision.reasons:
            return Response(BAD_CREDENTIALS, 401, mimetype="text/plain")
        if decision.known_client:
            return Response("Forbidden", 403, mimetype="text/plain")
        response = Response("Unauthorized", 401, mimetype="text/plain")
        response.headers["WWW-Authenticate"] = 'Basic realm="RRI"'
        return response

    def login_denial(self, decision: Decision) -> Response:
        """MoSAPI ``login`` refused: a user name or password that does not verify gets the
        text clients report for it; a request without credentials, or with good ones from the
        wrong place, the generic MoSAPI text."""
        if {"unknown-user", "bad-password"} & set(decision.reasons):
            return Response(BAD_CREDENTIALS, 401, mimetype="text/plain")
        return Response(MOSAPI_DENIED, 401, mimetype="text/plain")

    def enforce(self, session: Session, route: MockRoute, tld: str, request: Request) -> Outcome:
        decision, facts = self.decide(session, route, tld, request)
        denial = None if decision.allowed else self.denial(decision)
        status = denial.status_code if denial is not None else 200
        decision_id = self.log(session, request, tld, decision, status, facts)
        return Outcome(decision, decision_id, denial)

    def settle(self, session: Session, decision_id: int, logged: int, sent: int) -> None:
        """The log says what the client saw: an allowed call the view answered 400, 404 or 413
        (or a refusal turned into something else) gets the status really sent."""
        if sent == logged:
            return
        with self.write_lock:
            try:
                session.execute(_STATUS_UPDATE, {"row_id": decision_id, "status": sent})
                session.commit()
            except SQLAlchemyError:  # a view that failed mid-transaction: start clean, once
                session.rollback()
                session.execute(_STATUS_UPDATE, {"row_id": decision_id, "status": sent})
                session.commit()

    def header_value(self, decision_id: int, decision: Decision) -> str:
        return f"{decision_id}; {decision.short_reason}"

    # ------------------------------------------------------------------ MoSAPI sessions

    def end_sessions(self, session: Session, username: str) -> None:
        session.execute(delete(MosapiSession).where(MosapiSession.username == username))
