"""The benchmark's data set: a SQLite database with every gTLD and its entries, the harness
TLS material, and the client certificates whose TLSA records are published."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import ENTRY_KINDS, GTLDS_CSV, entries_for

THROUGHPUT_TLD = "bank"
STATE_PATH = f"/ry/{THROUGHPUT_TLD}/v2/monitoring/state"
CLIENT_NAME = "mosapi-client.bench-rsp.example"
RSP_GROUPS = 13  # TLDs share client names per "RSP", as an RSP's TLDs do


@dataclass
class Client:
    name: str
    cert: Any  # x509.Certificate
    cert_file: Path
    key_file: Path


def make_client(folder: Path, name: str) -> Client:
    """A self-signed clientAuth certificate for `name` (EC P-256), as the workbench makes."""
    from portal.core import pki

    leaf = pki.self_signed(name)
    folder.mkdir(parents=True, exist_ok=True)
    cert_file = leaf.cert_pem.write_to_path(folder / f"{name}.pem")
    key_file = leaf.key_pem.write_to_path(folder / f"{name}.key")
    return Client(name, leaf.cert, cert_file, key_file)


@dataclass
class Setup:
    tmp: Path
    db_url: str
    certs_dir: Path
    server_cert: Path
    server_key: Path
    ca_file: Path
    client: Client  # the throughput client (entry of THROUGHPUT_TLD, 127.0.0.1/32)
    rsp_clients: dict[str, Client]  # published client names -> their certificate
    tlds: list[str]
    stats: dict[str, float | int] = field(default_factory=dict)


def entry_name(kind: int, tld_index: int) -> str:
    return f"{ENTRY_KINDS[kind]}.rsp-{tld_index % RSP_GROUPS}.example"


def tld_entries(tld_index: int) -> list:
    """3 entries of 10 prefixes (6 IPv4 /28, 4 IPv6 /56) named after the TLD's RSP group."""
    return entries_for(tld_index, [entry_name(e, tld_index) for e in range(len(ENTRY_KINDS))])


def _gtlds_csv(tld_limit: int | None) -> str:
    """The gTLD list; with a limit, THROUGHPUT_TLD and the first others up to the limit."""
    csv_text = GTLDS_CSV.read_text(encoding="utf-8")
    if tld_limit is None:
        return csv_text
    lines = csv_text.splitlines()
    keep = [ln for ln in lines[1:] if ln.split(",", 1)[0] != THROUGHPUT_TLD]
    bank = [ln for ln in lines[1:] if ln.split(",", 1)[0] == THROUGHPUT_TLD]
    return "\n".join([lines[0], *bank, *keep[: max(0, tld_limit - 1)]]) + "\n"


def build_database(tmp: Path, tld_limit: int | None) -> Setup:
    """Migrate, import the gTLDs, store 3 entries per TLD, publish the clients' TLSA records."""
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from infra.database import db
    from infra.harness_pki import ensure_material
    from portal.app import create_app
    from portal.core.tlsa import record_for
    from portal.core.validation import Entry, Limits
    from portal.models import Tld, TlsClientAuthEntry
    from portal.services import configuration, directory, zone

    material = ensure_material(tmp / "certs")
    db_url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "CERTS_DIR": str(material.folder)})
    clients_dir = tmp / "clients"
    client = make_client(clients_dir, CLIENT_NAME)
    rsp_clients = {
        entry_name(e, g): make_client(clients_dir, entry_name(e, g))
        for g in range(RSP_GROUPS)
        for e in range(len(ENTRY_KINDS))
    }
    started = time.perf_counter()
    with app.app_context():
        upgrade()
        migrated = time.perf_counter()
        s = db.session
        directory.import_gtlds(s, _gtlds_csv(tld_limit))
        directory.create_organisation(s, "Bench RSP", "rsp")
        user = directory.create_user(s, "bench@rsp.example", "Bench RSP", "bench-password-1")
        actor = configuration.Actor("bench@rsp.example", "cli")
        # Published before the entries name them: a client name of a TLD is open only to its
        # operator and RSP of record, a free name to anyone.
        publisher = zone.Publisher(s, user, "cli")
        for c in [client, *rsp_clients.values()]:
            record = record_for(c.cert, 3, 1, 1)
            zone.publish(publisher, {"name": c.name, **record.as_dict()})
        tlds = list(s.scalars(select(Tld).order_by(Tld.name)))
        for i, tld in enumerate(tlds):
            entries = tld_entries(i)
            if tld.name == THROUGHPUT_TLD:
                # Two of its own entries first, the load generator's client last: every
                # request checks all three entries before it is allowed (the worst case of 3).
                entries = [
                    *entries[:2],
                    Entry(CLIENT_NAME, ("mosapi-slam",), ("127.0.0.1/32", "::1/128")),
                ]
            configuration.replace_entries(
                s, tld, [e.as_dict() for e in entries], tld.version, actor, Limits()
            )
        loaded = time.perf_counter()
        stats = {
            "tlds": s.scalar(select(func.count(Tld.id))) or 0,
            "entries": s.scalar(select(func.count(TlsClientAuthEntry.id))) or 0,
            "tlsa_records": len(rsp_clients) + 1,
            "migrate_s": migrated - started,
            "load_s": loaded - migrated,
        }
        names = [t.name for t in tlds]
        s.remove()
        db.engine.dispose()
    return Setup(
        tmp,
        db_url,
        material.folder,
        material.server_cert,
        material.server_key,
        material.ca_cert,
        client,
        rsp_clients,
        names,
        stats,
    )


def state_body() -> bytes:
    """The mock's own answer shape for THROUGHPUT_TLD, as nginx's fixed body (same size)."""
    from mock_services.mosapi.monitoring import state

    body = json.dumps(state(THROUGHPUT_TLD, None, datetime.now(UTC)), separators=(",", ":"))
    assert "'" not in body and "\\" not in body and "$" not in body
    return body.encode()
