"""The policy simulator agrees with the live mocks.

A generated grid — client certificates (matching an entry by 3 1 1, by 2 0 1 through the
harness CA, an unknown one, an expired one, one with the wrong name) × source addresses
(127.0.0.1, 127.0.0.2, ::1) × every role on each mock × four TLDs with differing entries — is
called for real over mutual TLS (the client binds its source address) and asked of the
simulator: the same result and the same deciding reason for every cell, from the
X-TLSAuth-Decision header.
"""

from __future__ import annotations

import http.client
import itertools
import ssl
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from infra.database import db
from infra.harness_pki import ensure_material
from infra.loopback import binds
from infra.tls_listener import make_server
from portal.core.endpoints import ROLE_PROBES, example_path, role_probe
from portal.core.reasons import parse_decision_header
from portal.core.validation import Entry
from portal.models import Tld
from portal.services import directory
from portal.services.simulator import Sources, simulate
from tests.helpers import Credential, client_cert, load_ca, publish, set_entries

A, B, TA = "a.rsp.example", "b.rsp.example", "ta.rsp.example"
EVERY_ROLE = (
    "rri-monthly-reports",
    "rri-escrow-reports",
    "mosapi-slam",
    "mosapi-daar",
    "mosapi-rdap-base-urls",
    "maintenance-window",
    "probe-node-list",
)
ENTRIES = {
    "alpha": [
        Entry(A, ("mosapi-slam", "rri-monthly-reports", "maintenance-window"), ("127.0.0.1/32",)),
        Entry(TA, EVERY_ROLE, ("127.0.0.2/32", "::1/128")),
        Entry(B, ("mosapi-daar", "probe-node-list"), ("127.0.0.0/8",)),
    ],
    "beta": [
        Entry(B, ("mosapi-slam", "rri-escrow-reports"), ("::1/128", "127.0.0.1/32")),
        Entry(A, ("probe-node-list", "mosapi-slam"), ("127.0.0.2/32",)),
        Entry("unpublished.rsp.example", ("mosapi-rdap-base-urls",), ("127.0.0.0/8",)),
    ],
    # One DANE-TA entry alone: a wrong name or an expired certificate decides there.
    "gamma": [Entry(TA, ("mosapi-slam", "rri-monthly-reports"), ("127.0.0.0/8", "::1/128"))],
    "delta": [],  # no entries: tld-not-configured
}


SOURCES = [s for s in ("127.0.0.1", "127.0.0.2", "::1") if binds(s)]
# One harmless call per role; the two roles both mocks serve are called on one each.
PROBES = [
    (system, role)
    for system, role in ROLE_PROBES
    if (system, role) not in {("mosapi", "maintenance-window"), ("rri", "probe-node-list")}
]


@dataclass(frozen=True)
class Cell:
    tld: str
    cert: str
    source: str
    system: str
    role: str

    @property
    def path(self) -> str:
        route = role_probe(self.system, self.role)
        assert route is not None
        return example_path(route, self.tld)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str | None  # the deciding reason when refused
    entry: str | None  # the entry that admitted the call


@pytest.fixture
def grid(app, world, certs_dir, tmp_path):
    """The three TLDs' entries, their records in the harness zone, and the client certificates."""
    ensure_material(certs_dir)
    ca = load_ca(certs_dir)
    with app.app_context():
        directory.add_tld(db.session, "gamma", "Operator B")
        directory.add_tld(db.session, "delta", "Operator B")
    for tld, entries in ENTRIES.items():
        if entries:
            set_entries(app, entries, tld)
    creds = {
        "a": client_cert(tmp_path, A),
        "b": client_cert(tmp_path, B),
        "ta": client_cert(tmp_path, TA, issuer=ca),
        "expired": client_cert(tmp_path, TA, issuer=ca, expired=True, stem="expired"),
        "wrong-name": client_cert(tmp_path, "elsewhere.example", issuer=ca),
        "unknown": client_cert(tmp_path, "stranger.example"),
    }
    publish(app, world.icann, A, creds["a"].cert)
    publish(app, world.icann, B, creds["b"].cert)
    publish(app, world.icann, TA, ca.cert, usage=2, selector=0, matching_type=1)
    return creds


class Listener:
    """The mock's app behind a second TLS listener on ::1, for IPv6 sources."""

    def __init__(self, mock) -> None:
        material = mock.app.config["HARNESS_MATERIAL"]
        self.server = make_server(
            mock.app,
            "::1",
            0,
            certificate=str(material.server_cert),
            private_key=str(material.server_key),
            threads=8,
            name=f"test-{mock.system}-v6",
        )
        self.server.prepare()
        threading.Thread(target=self.server.serve, daemon=True).start()
        self.port = self.server.bind_addr[1]


def call_all(
    cells: list[Cell], creds: dict[str, Credential], ports: dict[tuple[str, int], int], ca: Path
) -> dict[Cell, Verdict]:
    """Every cell over real mutual TLS: one kept-alive connection per certificate, source
    address and mock, several of them at once."""
    groups: dict[tuple[str, str, str], list[Cell]] = {}
    for cell in cells:
        groups.setdefault((cell.cert, cell.source, cell.system), []).append(cell)

    def run(key: tuple[str, str, str]) -> dict[Cell, Verdict]:
        cert, source, system = key
        ctx = ssl.create_default_context(cafile=str(ca))
        ctx.load_cert_chain(str(creds[cert].cert_file), str(creds[cert].key_file))
        family = 6 if ":" in source else 4
        host = "::1" if family == 6 else "127.0.0.1"
        conn = http.client.HTTPSConnection(
            host, ports[(system, family)], context=ctx, timeout=20, source_address=(source, 0)
        )
        out = {}
        try:
            for cell in groups[key]:
                conn.request("GET", cell.path)
                response = conn.getresponse()
                response.read()
                header = parse_decision_header(response.getheader("X-TLSAuth-Decision"))
                assert header is not None, (cell, response.status)
                via = header.text.partition(" via ")[2] or None
                out[cell] = Verdict(header.allowed, header.reason, via)
        finally:
            conn.close()
        return out

    verdicts: dict[Cell, Verdict] = {}
    with ThreadPoolExecutor(max_workers=8) as pool:
        for part in pool.map(run, groups):
            verdicts.update(part)
    return verdicts


def test_the_simulator_decides_every_cell_as_the_live_mocks_do(app, start_mock, grid, certs_dir):
    mocks = {
        system: start_mock(system, MOSAPI_CONNECTIONS_PER_CERT=0) for system in ("mosapi", "rri")
    }
    ports = {(system, 4): mock.port for system, mock in mocks.items()}
    v6 = {system: Listener(mock) for system, mock in mocks.items()} if "::1" in SOURCES else {}
    ports |= {(system, 6): listener.port for system, listener in v6.items()}
    try:
        cells = [
            Cell(tld, cert, source, system, role)
            for tld, cert, source, (system, role) in itertools.product(
                ENTRIES, grid, SOURCES, PROBES
            )
        ]
        live = call_all(cells, grid, ports, mocks["mosapi"].ca_file)
    finally:
        for listener in v6.values():
            listener.server.stop()
    assert {role for _, role in PROBES} == set(EVERY_ROLE)
    assert len(live) == len(cells) >= 4 * 6 * 2 * 7

    sources = Sources("harness", "", certs_dir)
    disagreements = []
    with app.app_context():
        tlds = {t.name: t for t in db.session.scalars(select(Tld))}
        for cell in cells:
            simulated = simulate(
                db.session,
                tlds[cell.tld],
                {
                    "system": cell.system,
                    "path": cell.path,
                    "source_address": cell.source,
                    "certificate": grid[cell.cert].cert_file.read_text(),
                },
                sources,
            )
            mine = Verdict(
                simulated.allowed,
                simulated.deciding_reason,
                simulated.matched_entry if simulated.allowed else None,
            )
            if mine != live[cell]:
                disagreements.append((cell, live[cell], mine))
    assert not disagreements, disagreements[:10]
    # The grid is no trivial one: it holds allowed cells and many different deciding reasons.
    reasons = {v.reason for v in live.values()}
    assert any(v.allowed for v in live.values())
    assert {
        "tld-not-configured",
        "no-entry-for-role",
        "no-tlsa-at-name",
        "tlsa-mismatch",
        "san-mismatch",
        "certificate-expired",
        "role-not-granted",
        "source-not-in-acl",
    } <= reasons, reasons
