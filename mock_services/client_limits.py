"""Limits a real MoSAPI client meets, each switchable off with 0.

* **Connections per client certificate**: at most ``TLSAUTH_MOSAPI_CONNECTIONS_PER_CERT`` (4)
  open at once, counted by the certificate's public key (SPKI SHA-256). The MoSAPI
  specification allows "4 concurrent sessions per certificate" (its section 12.3, as nomulus's
  ``MosApiModule.provideMosapiTldExecutor`` quotes it). A connection counts from its first
  request until it closes; one beyond the cap is answered 429 and closed. Connections without a
  certificate are not counted. Each mock process counts its own (the TLS listener holds them).
* **Failed logins**: ``TLSAUTH_MOSAPI_LOGIN_FAILURES`` ("5 per minute") per TLD and source
  address, in a moving window (the ``limits`` library, in ``TLSAUTH_RATELIMIT_STORAGE_URI``).
  Beyond it ``login`` answers 429 with ``Retry-After`` before looking at the credentials, so
  the right password does not help until the window has room again.

No public text gives the answer when a limit is exceeded: 429 ``text/plain`` with the reason
is the harness's choice.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Request, Response
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy.orm import Session

from infra.tls_listener import admit_connection, peer_chain
from portal.core.decision import Decision
from portal.core.endpoints import MockRoute
from portal.core.tlsa import CertFacts

from .enforcement import Enforcer, Outcome

TOO_MANY_CONNECTIONS = "too-many-connections"
TOO_MANY_LOGIN_FAILURES = "too-many-login-failures"
LOGIN_HANDLER = "login"  # the route table's name of the MoSAPI login view


@dataclass(frozen=True)
class Refusal:
    auth_path: str
    reason: str
    message: str
    retry_after: int | None = None

    def response(self) -> Response:
        response = Response(self.message, 429, mimetype="text/plain")
        if self.retry_after is not None:
            response.headers["Retry-After"] = str(self.retry_after)
        return response


class LoginFailures:
    """Failed logins per TLD and source address, in a moving window."""

    def __init__(self, rate: str, storage_uri: str) -> None:
        self.items: list[RateLimitItem] = parse_many(rate)
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))

    def retry_after(self, tld: str, source: str) -> int | None:
        """Seconds until another attempt may be made; None while the window has room."""
        for item in self.items:
            if not self.limiter.test(item, tld, source):
                reset = self.limiter.get_window_stats(item, tld, source).reset_time
                return max(1, math.ceil(reset - time.time()))
        return None

    def record(self, tld: str, source: str) -> None:
        for item in self.items:
            self.limiter.hit(item, tld, source)


class ClientLimits:
    def __init__(self, connections_per_cert: int, login_failures: LoginFailures | None) -> None:
        self.connections_per_cert = connections_per_cert  # 0: no cap
        self.login_failures = login_failures  # None: no limit

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ClientLimits:
        rate = config["MOSAPI_LOGIN_FAILURES"]
        failures = LoginFailures(rate, config["RATELIMIT_STORAGE_URI"]) if rate else None
        return cls(max(0, config["MOSAPI_CONNECTIONS_PER_CERT"]), failures)

    def _connection_refusal(self, environ: dict[str, Any]) -> Refusal | None:
        cap = self.connections_per_cert
        if not cap:
            return None

        def certificate_key() -> str | None:  # asked once per connection
            chain = peer_chain(environ)
            return CertFacts(chain[0]).data(1, 1).hex() if chain else None

        if admit_connection(environ, cap, certificate_key):
            return None
        return Refusal(
            "tls-client-auth",
            TOO_MANY_CONNECTIONS,
            f"Too many connections with this client certificate: at most {cap} may be open "
            "at once. Close one and connect again.",
        )

    def _login_refusal(
        self, route: MockRoute, tld: str, enforcer: Enforcer, request: Request
    ) -> Refusal | None:
        if self.login_failures is None or route.handler != LOGIN_HANDLER:
            return None
        wait = self.login_failures.retry_after(tld, str(enforcer.source_address(request)))
        if wait is None:
            return None
        return Refusal(
            "basic",
            TOO_MANY_LOGIN_FAILURES,
            f"Too many failed logins from this address; try again in {wait} seconds.",
            wait,
        )

    def check(
        self, enforcer: Enforcer, session: Session, route: MockRoute, tld: str, request: Request
    ) -> Outcome | None:
        """The refusal of a request over a limit, logged like any decision; None: go on."""
        refusal = self._connection_refusal(request.environ) or self._login_refusal(
            route, tld, enforcer, request
        )
        if refusal is None:
            return None
        decision = Decision(False, refusal.auth_path, [refusal.reason], role=route.role)
        response = refusal.response()
        chain = [CertFacts(c) for c in peer_chain(request.environ)]
        facts = {"source": enforcer.source_address(request), "chain": chain}
        decision_id = enforcer.log(session, request, tld, decision, response.status_code, facts)
        return Outcome(decision, decision_id, response)

    def answered(
        self, enforcer: Enforcer, route: MockRoute, tld: str, request: Request, status: int
    ) -> None:
        """Count a failed login (401)."""
        if self.login_failures is not None and route.handler == LOGIN_HANDLER and status == 401:
            self.login_failures.record(tld, str(enforcer.source_address(request)))
