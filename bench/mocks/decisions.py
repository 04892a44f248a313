"""Part 2, decision latency, in process (no network): `decide_certificate` with a warm
PolicyCache, the enforcement steps around it, whole WSGI requests of the mock, and the policy
refresh after a portal edit."""

from __future__ import annotations

import argparse
import ipaddress
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bench.common import ENTRIES_PER_TLD, PREFIXES_PER_ENTRY, ip_acl, pct
from bench.mocks.dataset import STATE_PATH, THROUGHPUT_TLD, Setup, entry_name, tld_entries
from bench.mocks.report import cprofile_summary, timing_row, timing_table

DECIDE_P99_GOAL_MS = 0.2
REFRESH_GOAL_MS = 50.0
OUTSIDE = ipaddress.IPv4Address("198.51.100.7")  # in no entry's ACL


@dataclass
class Sample:
    tld: str
    chain_cert: Any
    source: Any  # ipaddress address


def make_samples(setup: Setup, n: int, seed: int = 3) -> list[Sample]:
    """Random TLDs; 80 % the cert of one of the TLD's entries, from inside (3 in 4) or outside
    its ACL; 20 % a certificate published elsewhere (mismatch on every entry)."""
    rng = random.Random(seed)
    index = {name: i for i, name in enumerate(setup.tlds)}
    candidates = [t for t in setup.tlds if t != THROUGHPUT_TLD]
    out = []
    for _ in range(n):
        tld = rng.choice(candidates)
        i = index[tld]
        if rng.random() < 0.8:
            e = rng.randrange(ENTRIES_PER_TLD)
            cert = setup.rsp_clients[entry_name(e, i)].cert
            if rng.random() < 0.75:  # an address in the entry's first IPv4 /28
                source = ipaddress.ip_network(ip_acl(i, e)[0])[rng.randrange(16)]
            else:
                source = OUTSIDE
        else:
            cert = setup.client.cert
            source = OUTSIDE
        out.append(Sample(tld, cert, source))
    return out


@dataclass
class Timed:
    """Wall time of each call (ms) and the mean CPU time of this thread per call (ms)."""

    wall_ms: list[float] = field(default_factory=list)
    cpu_s: float = 0.0

    def run(self, fn: Callable[[], Any]) -> Any:
        c0, t0 = time.thread_time(), time.perf_counter()
        out = fn()
        self.wall_ms.append((time.perf_counter() - t0) * 1000)
        self.cpu_s += time.thread_time() - c0
        return out

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.cpu_s / max(1, len(self.wall_ms))

    def row(self, label: str) -> str:
        return timing_row(label, self.wall_ms, cpu_ms=self.cpu_ms)


@dataclass
class WsgiClient:
    """GET through the mock's Flask app with a peer certificate and a source address."""

    client: Any
    statuses: Counter[int] = field(default_factory=Counter)

    def get(self, path: str, cert: Any, source: str) -> None:
        environ = {"tlsauth.peer_chain": lambda: [cert], "REMOTE_ADDR": source}
        response = self.client.get(path, base_url="https://localhost", environ_base=environ)
        response.get_data()
        self.statuses[response.status_code] += 1


def state_path(tld: str) -> str:
    return f"/ry/{tld}/v2/monitoring/state"


# --------------------------------------------------------------------------- the steps


def fill_cache(enf: Any, tlds: list[str]) -> tuple[float, dict[str, Any]]:
    """Load every TLD's policy into the enforcer's cache: (seconds, policies by TLD)."""
    from infra.database import db

    s = db.session
    t0 = time.perf_counter()
    for name in tlds:
        enf.cache.lookup(s, name)
    fill_s = time.perf_counter() - t0
    s.remove()
    policies = {name: enf.cache.lookup(s, name)[0] for name in tlds}
    s.remove()
    return fill_s, policies


def time_decide(
    samples: list[Sample], policies: dict[str, Any], role: str, enf: Any
) -> tuple[Counter[str], list[str]]:
    """decide_certificate alone, the policy already in hand: outcomes and two rows."""
    from portal.core.decision import decide_certificate
    from portal.core.tlsa import CertFacts

    outcomes: Counter[str] = Counter()
    now = datetime.now(UTC)
    decide_ms = []
    for x in samples:
        policy, chain = policies[x.tld], [CertFacts(x.chain_cert)]
        t = time.perf_counter()
        d = decide_certificate(policy, role, chain, x.source, enf.lookup, now, enf.anchors)
        decide_ms.append((time.perf_counter() - t) * 1000)
        outcomes["allowed" if d.allowed else d.short_reason] += 1
    # The same with the chain's association data already computed (as for the 2nd+ entry of a
    # request: CertFacts caches it per request).
    chains = {id(x.chain_cert): [CertFacts(x.chain_cert)] for x in samples}
    warm_ms = []
    for x in samples:
        policy, chain = policies[x.tld], chains[id(x.chain_cert)]
        t = time.perf_counter()
        decide_certificate(policy, role, chain, x.source, enf.lookup, now, enf.anchors)
        warm_ms.append((time.perf_counter() - t) * 1000)
    met = "met" if pct(decide_ms, 99) <= DECIDE_P99_GOAL_MS else "NOT"
    return outcomes, [
        timing_row(
            "decide_certificate (fresh CertFacts per decision)", decide_ms, f"p99<=0.2ms {met}"
        ),
        timing_row("decide_certificate (leaf digest already cached)", warm_ms),
    ]


def time_lookup_decide(few: list[Sample], role: str, enf: Any) -> str:
    """What the enforcer does around the decision, without the log: PolicyCache.lookup (its
    version query), CertFacts, decide; the session closed as Flask's teardown does."""
    from infra.database import db
    from portal.core.decision import decide_certificate
    from portal.core.tlsa import CertFacts

    s = db.session
    lookup = Timed()
    for x in few:

        def lookup_decide(x: Sample = x) -> None:
            policy, _ = enf.cache.lookup(s, x.tld)
            chain = [CertFacts(x.chain_cert)]
            decide_certificate(policy, role, chain, x.source, enf.lookup, datetime.now(UTC))
            s.remove()

        lookup.run(lookup_decide)
    return lookup.row("PolicyCache.lookup (version query) + decide")


def time_enforce(mock: Any, route: Any, few: list[Sample]) -> str:
    """Enforcer.enforce: facts from a request, lookup, decide, decision log insert + commit."""
    from flask import request

    from infra.database import db
    from mock_services.app import enforcer

    enforce = Timed()
    for x in few:
        environ = {"tlsauth.peer_chain": lambda c=x.chain_cert: [c], "REMOTE_ADDR": str(x.source)}
        path = state_path(x.tld)
        with mock.test_request_context(path, base_url="https://localhost", environ_base=environ):

            def enforce_once(x: Sample = x) -> None:
                enforcer().enforce(db.session, route, x.tld, request)
                db.session.remove()

            enforce.run(enforce_once)
    return enforce.row("Enforcer.enforce (+ decision log insert, commit)")


def time_random_requests(
    wsgi: WsgiClient, few: list[Sample], profiler: Any
) -> tuple[str, dict[int, int]]:
    """Whole requests through the mock's Flask app (test client, no TLS, no cheroot) for random
    TLDs, the second half profiled when asked: the row and the statuses seen."""
    timed = Timed()
    for k, x in enumerate(few):
        if profiler and k == len(few) // 2:
            profiler.enable()
        path = state_path(x.tld)
        timed.run(lambda path=path, x=x: wsgi.get(path, x.chain_cert, str(x.source)))
    if profiler:
        profiler.disable()
    return timed.row("WSGI request, random TLDs (Flask test client)"), dict(wsgi.statuses)


def time_allowed_request(wsgi: WsgiClient, setup: Setup, requests: int) -> str:
    """The throughput request itself: THROUGHPUT_TLD, the generator's certificate, 127.0.0.1."""
    allowed = Timed()
    before = wsgi.statuses[200]
    for _ in range(requests):
        allowed.run(lambda: wsgi.get(STATE_PATH, setup.client.cert, "127.0.0.1"))
    assert wsgi.statuses[200] - before == requests, wsgi.statuses
    return allowed.row(f"WSGI request, {STATE_PATH} (allowed)")


def time_view_parts(mock: Any, requests: int) -> list[str]:
    """Two parts of the allowed request's view, alone."""
    from infra.database import db
    from mock_services.mosapi import monitoring, views

    scenario, body = Timed(), Timed()
    with mock.app_context():
        for _ in range(requests):
            scenario.run(lambda: (views.scenario_for(THROUGHPUT_TLD), db.session.remove()))
            body.run(lambda: monitoring.state(THROUGHPUT_TLD, None, datetime.now(UTC)))
    return [
        scenario.row("  its view: scenario query"),
        body.row("  its view: data.state (the JSON document)"),
    ]


def time_synchronous_normal(mock: Any, wsgi: WsgiClient, setup: Setup, requests: int) -> str:
    """What-if (bench-only): the allowed request with PRAGMA synchronous=NORMAL."""
    from sqlalchemy import event

    from infra.database import db

    with mock.app_context():
        engine = db.engine
        engine.dispose()

    def synchronous_normal(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")

    event.listen(engine, "connect", synchronous_normal)
    normal = Timed()
    for _ in range(requests):
        normal.run(lambda: wsgi.get(STATE_PATH, setup.client.cert, "127.0.0.1"))
    event.remove(engine, "connect", synchronous_normal)
    with mock.app_context():
        db.engine.dispose()
    return normal.row("what-if: the allowed request, synchronous=NORMAL")


def time_refresh(mock: Any, portal_app: Any, enf: Any, setup: Setup, edits: int) -> list[str]:
    """replace_entries on a random TLD (the portal), then the cache's next lookup (the mock's
    next request) must return the new version and the new prefix."""
    from sqlalchemy import select

    from infra.database import db
    from portal.core.validation import Limits
    from portal.models import Tld
    from portal.services import configuration

    rng = random.Random(7)
    edit_ms, refresh_ms, total_ms = [], [], []
    index = {name: i for i, name in enumerate(setup.tlds)}
    candidates = [t for t in setup.tlds if t != THROUGHPUT_TLD]
    with mock.app_context():
        ms = db.session
        for k in range(edits):
            name = rng.choice(candidates)
            enf.cache.lookup(ms, name)  # cached and current before the edit
            ms.remove()
            entries = tld_entries(index[name])
            new_prefix = f"2001:db8:{k:x}::/48"
            entries[0] = type(entries[0])(
                entries[0].domain_name, entries[0].roles, (*entries[0].ip_acl[:-1], new_prefix)
            )
            with portal_app.app_context():
                ps = db.session
                tld = ps.scalars(select(Tld).where(Tld.name == name)).one()
                t0 = time.perf_counter()
                configuration.replace_entries(
                    ps,
                    tld,
                    [e.as_dict() for e in entries],
                    tld.version,
                    configuration.Actor("bench", "cli"),
                    Limits(),
                )
                t1 = time.perf_counter()
                version = tld.version
                ps.remove()
            t2 = time.perf_counter()
            policy, _ = enf.cache.lookup(ms, name)
            ms.remove()
            t3 = time.perf_counter()
            assert policy is not None and policy.version == version, (policy, version)
            assert ipaddress.ip_network(new_prefix) in policy.entries[0].networks
            edit_ms.append((t1 - t0) * 1000)
            refresh_ms.append((t3 - t2) * 1000)
            total_ms.append((t3 - t0) * 1000)
    met = "met" if max(refresh_ms) <= REFRESH_GOAL_MS else "NOT"
    return [
        timing_row("portal edit: replace_entries (commit)", edit_ms),
        timing_row(
            "policy refresh: next lookup returns the new version", refresh_ms, f"<=50ms {met}"
        ),
        timing_row("edit + refresh", total_ms),
    ]


# --------------------------------------------------------------------------- part 2


def decisions(setup: Setup, args: argparse.Namespace) -> None:
    from infra.database import db
    from mock_services.app import create_mock_app, enforcer
    from portal.app import create_app
    from portal.core.endpoints import routes_for

    overrides = {"SQLALCHEMY_DATABASE_URI": setup.db_url, "CERTS_DIR": str(setup.certs_dir)}
    mock = create_mock_app("mosapi", {**overrides, "TESTING": True})
    portal_app = create_app(overrides)
    route = next(r for r in routes_for("mosapi") if r.handler == "state")
    role = route.role
    assert role is not None
    samples = make_samples(setup, args.decisions)
    few = samples[: args.requests]
    rows: list[str] = []
    with mock.app_context():
        enf = enforcer()
        fill_s, policies = fill_cache(enf, setup.tlds)
        outcomes, decided = time_decide(samples, policies, role, enf)
        rows += decided
        rows.append(time_lookup_decide(few, role, enf))
    rows.append(time_enforce(mock, route, few))
    wsgi = WsgiClient(mock.test_client())
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
    row, random_statuses = time_random_requests(wsgi, few, profiler)
    rows.append(row)
    rows.append(time_allowed_request(wsgi, setup, args.requests))
    rows += time_view_parts(mock, args.requests)
    rows.append(time_synchronous_normal(mock, wsgi, setup, args.requests))
    rows += time_refresh(mock, portal_app, enf, setup, args.edits)
    for app in (mock, portal_app):
        with app.app_context():
            db.engine.dispose()

    print(
        f"\ndecisions: {len(setup.tlds)} TLDs x {ENTRIES_PER_TLD} entries x "
        f"{PREFIXES_PER_ENTRY} prefixes; PolicyCache filled with every TLD in {fill_s:.2f} s; "
        f"role {role}; outcomes of the random sample: {dict(outcomes)}; "
        f"WSGI statuses (random TLDs): {random_statuses}"
    )
    timing_table(rows)
    if profiler:
        cprofile_summary(profiler, len(few) - len(few) // 2)
