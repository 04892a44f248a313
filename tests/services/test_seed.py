"""Applying seed documents and resetting the harness, on a real database (SQLite, and
PostgreSQL when TLSAUTH_TEST_POSTGRES_URL is set): what a document makes, idempotence, a changed
document changing only what differs (audited with channel seed), refusals with nothing applied,
certificates kept or made again, and a reset that leaves nothing but the CA."""

from __future__ import annotations

import copy
import stat
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from infra.database import db
from infra.harness_pki import ensure_material
from mock_services.policy_cache import PolicyCache
from portal.core.tlsa import record_for
from portal.models import (
    ApiToken,
    AuditEvent,
    Base,
    BasicAccount,
    BulkAllowance,
    BulkTldChange,
    BulkUpload,
    ChangeCounter,
    Counter,
    MaintenanceWindow,
    MosapiSession,
    Notification,
    Organisation,
    OutboxMessage,
    Registrar,
    Scenario,
    Submission,
    Tld,
    TlsaRecordRow,
    TlsClientAuthEntry,
    User,
)
from portal.services import directory, tokens, zone
from portal.services import seed as seeding
from portal.services.audit import summarise
from portal.services.errors import Invalid
from tests.decision_rows import decision_values

HEX = "0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6"
HEX2 = "1d72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6"


def document() -> dict[str, Any]:
    return {
        "version": 1,
        "organisations": [
            {"name": "ICANN", "kind": "icann"},
            {"name": "Example RSP", "kind": "rsp"},
            {"name": "Example Registry", "kind": "registry-operator"},
            {"name": "Other Registry", "kind": "registry-operator"},
        ],
        "users": [
            {"email": "staff@icann.example", "organisation": "ICANN", "password": "staff-password"},
            {"email": "rsp@rsp.example", "organisation": "Example RSP"},
        ],
        "tlds": [
            {
                "name": "example",
                "operator": "Example Registry",
                "rsp": "Example RSP",
                "entries": [
                    {
                        "domain_name": "client.rsp.example",
                        "roles": ["mosapi-slam", "rri-monthly-reports"],
                        "ip_acl": ["203.0.113.0/24", "2001:db8::/48"],
                    }
                ],
                "basic": {
                    "ip_acl": ["198.51.100.0/24"],
                    "passwords": {"ry": "registry-password", "dea": "escrow-password"},
                },
                "scenario": {
                    "services": {"DNS": {"incidents": [{"started_minutes_ago": 30}]}},
                    "metrica": {"counts": {"spam": 2}},
                },
            },
            {
                "name": "рф",
                "operator": "Other Registry",
                "entries": [
                    {
                        "domain_name": "other.registry.example",
                        "roles": ["mosapi-daar"],
                        "ip_acl": ["203.0.113.7"],
                    }
                ],
            },
        ],
        "zone": [
            {
                "name": "legacy.rsp.example",
                "organisation": "Example RSP",
                "records": [f"3 1 1 {HEX}"],
            }
        ],
        "certificates": {
            "folder": "certs-out",
            "items": [
                {
                    "name": "client",
                    "domain_name": "client.rsp.example",
                    "days": 30,
                    "publish": True,
                    "organisation": "Example RSP",
                },
                {
                    "name": "issued",
                    "domain_name": "client.rsp.example",
                    "key_type": "ec-p384",
                    "issuer": "harness",
                    "organisation": "Example RSP",
                },
            ],
        },
    }


@dataclass
class Harness:
    session: Session
    certs_dir: Path  # the harness CA
    base: Path  # the seed file's folder

    def apply(self, doc: Any, **kw: Any) -> seeding.SeedReport:
        kw.setdefault("base_dir", self.base)
        kw.setdefault("certs_dir", self.certs_dir)
        return seeding.apply(self.session, doc, **kw)

    def out(self, name: str) -> Path:
        return self.base / "certs-out" / name


@pytest.fixture
def h(app, tmp_path) -> Any:
    with app.app_context():
        yield Harness(db.session, tmp_path / "ca", tmp_path / "seeds")


def tld(s: Session, name: str) -> Tld:
    return s.scalars(select(Tld).where(Tld.name == name)).one()


def count(s: Session, model: Any) -> int:
    return s.scalar(select(func.count()).select_from(model)) or 0


def state(s: Session) -> dict[str, Any]:
    """Everything idempotence must leave as it was."""
    s.expire_all()
    return {
        "rows": {t.name: count(s, t) for t in Base.metadata.sorted_tables},
        "versions": dict(s.execute(select(Tld.name, Tld.version)).all()),
        "updated": dict(s.execute(select(Tld.name, Tld.updated_at)).all()),
        "audit": list(s.scalars(select(AuditEvent.id).order_by(AuditEvent.id))),
        "entries": sorted(s.execute(select(TlsClientAuthEntry.id, TlsClientAuthEntry.updated_at))),
        "users": sorted(s.execute(select(User.email, User.password_hash, User.organisation_id))),
        "accounts": sorted(s.execute(select(BasicAccount.username, BasicAccount.password_hash))),
        "scenarios": sorted(s.execute(select(Scenario.tld_id, Scenario.data, Scenario.updated_at))),
        "zone": sorted(s.execute(select(TlsaRecordRow.id, TlsaRecordRow.name, TlsaRecordRow.data))),
        "counters": dict(s.execute(select(ChangeCounter.name, ChangeCounter.value)).all()),
    }


def files(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


# --------------------------------------------------------------------------- what a seed makes


def test_a_document_makes_what_it_says(h):
    s = h.session
    report = h.apply(document())
    kinds = report.kinds
    assert kinds["organisations"].created == [
        "ICANN",
        "Example RSP",
        "Example Registry",
        "Other Registry",
    ]
    assert kinds["users"].created == ["staff@icann.example", "rsp@rsp.example"]
    assert kinds["tlds"].created == ["example", "xn--p1ai"]
    assert kinds["zone"].created == ["legacy.rsp.example", "client.rsp.example"]
    assert kinds["certificates"].created == ["client", "issued"]
    # A made password is given once, and it signs in; the given one too.
    assert list(report.passwords) == ["rsp@rsp.example"]
    assert directory.authenticate(s, "rsp@rsp.example", report.passwords["rsp@rsp.example"])
    assert directory.authenticate(s, "staff@icann.example", "staff-password")
    example = tld(s, "example")
    assert (example.operator.name, example.rsp.name) == ("Example Registry", "Example RSP")
    assert [e.as_dict() for e in example.entries] == [
        {
            "domain_name": "client.rsp.example",
            "roles": ["rri-monthly-reports", "mosapi-slam"],
            "ip_acl": ["203.0.113.0/24", "2001:db8::/48"],
        }
    ]
    assert example.basic_ip_acl == ["198.51.100.0/24"]
    assert sorted(a.username for a in example.accounts) == ["example_dea", "example_ry"]
    assert tld(s, "xn--p1ai").rsp is None
    # The scenario is stored as the scenario service stores it: the start made absolute.
    stored = s.get(Scenario, example.id).data
    assert "started_at" in stored["services"]["DNS"]["incidents"][0]
    # Every change is in the TLD's History, by "seed" through channel seed.
    events = list(s.scalars(select(AuditEvent).where(AuditEvent.tld_id == example.id)))
    assert {(e.actor, e.channel) for e in events} == {("seed", "seed")}
    assert [e.action for e in events] == [
        "replace-entries",
        "set-basic-acl",
        "set-password",
        "set-password",
        "publish-tlsa",
    ]


def test_certificate_files_are_written_for_their_owner_and_published(h):
    s = h.session
    report = h.apply(document())
    names = ["client.pem", "client.key", "client.p12", "issued.pem", "issued.key", "issued.p12"]
    assert sorted(p.name for p in report.certificates) == sorted(names)
    assert all(p.parent == h.base / "certs-out" for p in report.certificates)
    for name in names:
        mode = stat.S_IMODE(h.out(name).stat().st_mode)
        assert mode == (0o600 if name.endswith((".key", ".p12")) else 0o644), name
    assert not list((h.base / "certs-out").glob(".*"))  # no temporary file left
    leaf = x509.load_pem_x509_certificate(h.out("client.pem").read_bytes())
    key = serialization.load_pem_private_key(h.out("client.key").read_bytes(), None)
    assert key.public_key() == leaf.public_key()
    p12_key, p12_cert, _ = pkcs12.load_key_and_certificates(h.out("client.p12").read_bytes(), None)
    assert p12_cert == leaf and p12_key.public_key() == leaf.public_key()
    remaining = leaf.not_valid_after_utc - datetime.now(UTC)
    assert timedelta(days=29) < remaining <= timedelta(days=30)
    # Published: its 3 1 1 record at its name, by the organisation the document names.
    rows = zone.records_at(s, "client.rsp.example")
    assert [(r.record, r.created_by) for r in rows] == [(record_for(leaf, 3, 1, 1), "seed")]
    assert s.get(Organisation, rows[0].organisation_id).name == "Example RSP"
    # Issued by the harness CA: the chain follows the leaf; not published.
    chain = x509.load_pem_x509_certificates(h.out("issued.pem").read_bytes())
    ca = ensure_material(h.certs_dir).load_ca()
    assert chain[1] == ca and chain[0].issuer == ca.subject
    assert "EC secp384r1" in f"EC {chain[0].public_key().curve.name}"
    # No key anywhere but the folder: not in the database's text, not in the CA's folder.
    pem = h.out("client.key").read_bytes()
    assert not any(pem in p.read_bytes() for p in h.certs_dir.iterdir() if p.is_file())


# --------------------------------------------------------------------------- idempotence


def test_applying_the_same_document_twice_changes_nothing(h):
    h.apply(document())
    before = state(h.session)
    written = files(h.base / "certs-out")
    again = h.apply(document(), now=datetime.now(UTC) + timedelta(hours=3))
    assert not again.changed_anything
    for kind, outcome in again.kinds.items():
        assert not outcome.created and not outcome.changed, kind
        assert outcome.unchanged, kind
    assert again.passwords == {} and again.certificates == []
    assert state(h.session) == before
    assert files(h.base / "certs-out") == written


def test_a_changed_document_changes_only_what_differs(h):
    s = h.session
    h.apply(document())
    before = state(s)
    changed = document()
    changed["tlds"][0]["entries"][0]["ip_acl"] = ["203.0.113.0/25"]
    changed["users"].append({"email": "new@rsp.example", "organisation": "Example RSP"})
    report = h.apply(changed)
    assert report.kinds["entries"].changed == ["example"]
    assert report.kinds["entries"].unchanged == ["xn--p1ai"]
    assert report.kinds["users"].created == ["new@rsp.example"]
    assert report.kinds["basic"].unchanged == ["example"]
    assert list(report.passwords) == ["new@rsp.example"]
    after = state(s)
    assert after["versions"] == {**before["versions"], "example": before["versions"]["example"] + 1}
    (event,) = s.scalars(select(AuditEvent).where(AuditEvent.id.notin_(before["audit"])))
    assert (event.actor, event.channel, event.action) == ("seed", "seed", "replace-entries")
    assert summarise(event).changes == [
        "client.rsp.example: prefixes added: 203.0.113.0/25",
        "client.rsp.example: prefixes removed: 203.0.113.0/24, 2001:db8::/48",
    ]
    assert after["zone"] == before["zone"] and after["accounts"] == before["accounts"]


def test_parties_passwords_and_users_change_when_the_document_says(h):
    s = h.session
    report = h.apply(document())
    rsp_password = report.passwords["rsp@rsp.example"]
    changed = document()
    changed["tlds"][0]["rsp"] = None
    changed["tlds"][0]["basic"]["passwords"]["ry"] = "another-registry-password"
    changed["users"][0]["password"] = "a-new-staff-password"
    changed["users"][1]["organisation"] = "ICANN"
    report = h.apply(changed)
    assert report.kinds["tlds"].changed == ["example"]
    assert report.kinds["basic"].changed == ["example"]
    assert report.kinds["users"].changed == ["staff@icann.example", "rsp@rsp.example"]
    assert report.passwords == {}
    example = tld(s, "example")
    assert example.rsp is None
    events = list(
        s.scalars(select(AuditEvent).where(AuditEvent.tld_id == example.id).order_by(AuditEvent.id))
    )
    assert [summarise(e).changes for e in events[-2:]] == [
        ["RSP of record removed (was Example RSP)"],
        ["Password of example_ry rotated"],
    ]
    assert {e.channel for e in events} == {"seed"}
    assert directory.authenticate(s, "staff@icann.example", "a-new-staff-password")
    moved = directory.authenticate(s, "rsp@rsp.example", rsp_password)
    assert moved and moved.organisation.name == "ICANN"
    # Leaving the RSP out keeps it as it is now; naming one sets it.
    kept = copy.deepcopy(changed)
    del kept["tlds"][0]["rsp"]
    assert h.apply(kept).kinds["tlds"].unchanged == ["example", "xn--p1ai"]
    kept["tlds"][0]["rsp"] = "Example RSP"
    assert h.apply(kept).kinds["tlds"].changed == ["example"]
    assert summarise(
        s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    ).changes == ["RSP of record set to Example RSP"]


def test_an_entry_list_is_complete_and_an_absent_section_changes_nothing(h):
    s = h.session
    h.apply(document())
    smaller = {"version": 1, "tlds": [{"name": "example", "entries": []}]}
    assert h.apply(smaller).kinds["entries"].changed == ["example"]
    assert tld(s, "example").entries == []
    # Nothing else moved: not the other TLD, not the Basic accounts, not the zone.
    assert len(tld(s, "xn--p1ai").entries) == 1
    assert count(s, BasicAccount) == 2 and count(s, TlsaRecordRow) == 2
    assert not h.apply({"version": 1}).changed_anything


def test_a_relative_incident_stays_where_it_was_anchored(h):
    s = h.session
    h.apply(document())
    first = copy.deepcopy(s.get(Scenario, tld(s, "example").id).data)
    later = datetime.now(UTC) + timedelta(days=2)
    assert h.apply(document(), now=later).kinds["scenarios"].unchanged == ["example"]
    s.expire_all()
    assert s.get(Scenario, tld(s, "example").id).data == first
    other = document()
    other["tlds"][0]["scenario"]["services"]["DNS"]["incidents"][0]["started_minutes_ago"] = 90
    assert h.apply(other).kinds["scenarios"].changed == ["example"]
    cleared = {"version": 1, "tlds": [{"name": "example", "scenario": {}}]}
    assert h.apply(cleared).kinds["scenarios"].changed == ["example"]
    assert h.apply(cleared).kinds["scenarios"].unchanged == ["example"]


# --------------------------------------------------------------------------- zone


def test_the_seed_replaces_only_its_own_records_at_the_names_it_lists(h):
    s = h.session
    h.apply(document())
    person = directory.create_user(s, "person@rsp.example", "Example RSP", "person-password")
    record = record_for(x509.load_pem_x509_certificate(h.out("client.pem").read_bytes()), 3, 0, 1)
    zone.publish_records(zone.Publisher(s, person, "ui"), "legacy.rsp.example", [record])
    changed = document()
    changed["zone"][0]["records"] = [f"3 1 1 {HEX2}"]
    report = h.apply(changed)
    assert report.kinds["zone"].changed == ["legacy.rsp.example"]
    assert report.kinds["zone"].unchanged == ["client.rsp.example"]
    at = [(r.data, r.created_by) for r in zone.records_at(s, "legacy.rsp.example")]
    assert at == [(record.data_hex, "person@rsp.example"), (HEX2, "seed")]
    emptied = copy.deepcopy(changed)
    emptied["zone"][0]["records"] = []
    h.apply(emptied)
    assert [r.created_by for r in zone.records_at(s, "legacy.rsp.example")] == [
        "person@rsp.example"
    ]


# --------------------------------------------------------------------------- certificates


def test_a_certificate_is_kept_while_it_fits_and_made_again_when_not(h):
    s = h.session
    h.apply(document())
    written = files(h.base / "certs-out")
    old = record_for(x509.load_pem_x509_certificate(written["client.pem"][0]), 3, 1, 1)
    # 28 days on, the 30-day certificate has two days left: kept.
    assert h.apply(document(), now=datetime.now(UTC) + timedelta(days=28)).certificates == []
    # A day later it has less than a day left: made again, its old record replaced.
    later = datetime.now(UTC) + timedelta(days=29, hours=2)
    report = h.apply(document(), now=later)
    assert report.kinds["certificates"].changed == ["client"]
    assert report.kinds["certificates"].unchanged == ["issued"]
    assert sorted(p.name for p in report.certificates) == ["client.key", "client.p12", "client.pem"]
    assert files(h.base / "certs-out")["issued.key"] == written["issued.key"]
    new = record_for(x509.load_pem_x509_certificate(h.out("client.pem").read_bytes()), 3, 1, 1)
    assert new != old
    assert [r.record for r in zone.records_at(s, "client.rsp.example")] == [new]
    # Another key type, a damaged key, a missing file: each makes it again.
    changed = document()
    changed["certificates"]["items"][1]["key_type"] = "ed25519"
    assert h.apply(changed, now=later).kinds["certificates"].changed == ["issued"]
    h.out("client.key").write_bytes(b"not a key")
    assert h.apply(changed, now=later).kinds["certificates"].changed == ["client"]
    h.out("issued.p12").unlink()
    assert h.apply(changed, now=later).kinds["certificates"].changed == ["issued"]
    assert h.apply(changed, now=later).kinds["certificates"].unchanged == ["client", "issued"]
    # A certificate not valid yet (its files from a clock ahead) is made again too.
    assert h.apply(changed).kinds["certificates"].changed == ["client", "issued"]


def test_certificates_are_refused_where_no_key_may_be_written(h):
    with pytest.raises(Invalid) as refused:
        h.apply(document(), allow_certificates=False)
    (finding,) = refused.value.errors
    assert finding.field == "certificates"
    assert "tlsauth_client_cert" in finding.message
    assert count(h.session, Organisation) == 0
    assert not (h.base / "certs-out").exists()
    without = document()
    del without["certificates"]
    assert h.apply(without, allow_certificates=False).kinds["tlds"].created == [
        "example",
        "xn--p1ai",
    ]


# --------------------------------------------------------------------------- refusals


def test_what_the_database_refuses_is_named_and_nothing_is_applied(h):
    s = h.session
    directory.create_organisation(s, "Example RSP", "registry-operator")
    directory.create_organisation(s, "Lonely RSP", "rsp")
    bad = document()
    bad["users"].append({"email": "x@nowhere.example", "organisation": "Nowhere"})
    bad["tlds"].append({"name": "newtld"})
    bad["tlds"].append({"name": "third", "operator": "Lonely RSP"})
    bad["zone"][0]["organisation"] = "Ghosts"
    before = state(s)
    with pytest.raises(Invalid) as refused:
        h.apply(bad)
    found = {f.field: f.message for f in refused.value.errors}
    assert found == {
        "organisations[1].kind": "“Example RSP” exists as a registry-operator organisation; "
        "a seed does not change an organisation's kind.",
        "users[2].organisation": "No organisation “Nowhere”: list it under organisations.",
        "tlds[2].operator": ".newtld does not exist yet: name its registry operator.",
        "tlds[3].operator": "“Lonely RSP” is a rsp organisation; this must be a "
        "registry-operator one.",
        "zone[0].organisation": "No organisation “Ghosts”: list it under organisations.",
    }
    assert state(s) == before
    assert not (h.base / "certs-out").exists()


def test_who_may_publish_and_be_issued_is_checked_after_the_entries_and_refuses_all(h):
    s = h.session
    bad = document()
    bad["organisations"].append({"name": "Squatter", "kind": "rsp"})
    # The document's own entry makes client.rsp.example a client name of .example …
    bad["zone"].append(
        {"name": "client.rsp.example", "organisation": "Squatter", "records": [f"3 1 1 {HEX}"]}
    )
    bad["certificates"]["items"][1]["organisation"] = "Squatter"
    with pytest.raises(Invalid) as refused:
        h.apply(bad)
    found = {f.field: f.message for f in refused.value.errors}
    assert set(found) == {"zone[1].organisation", "certificates.items[1].organisation"}
    assert "client name of .example" in found["zone[1].organisation"]
    assert "have the harness CA issue" in found["certificates.items[1].organisation"]
    # … and nothing of it was kept: not the entries, the organisations, or any file.
    assert count(s, Organisation) == 0 and count(s, TlsClientAuthEntry) == 0
    assert count(s, AuditEvent) == 0
    assert not (h.base / "certs-out").exists()


def test_a_document_with_errors_is_refused_with_all_of_them(h):
    bad = document()
    bad["tlds"][0]["entries"][0]["ip_acl"] = ["203.0.113.0/24", "192.0.2.1/24"]
    bad["organisations"][0]["kind"] = "staff"
    with pytest.raises(Invalid) as refused:
        h.apply(bad)
    assert [f.field for f in refused.value.errors] == [
        "organisations[0].kind",
        "tlds[0].entries[0].ip_acl[1]",
    ]
    assert count(h.session, Organisation) == 0


# --------------------------------------------------------------------------- reset


def fill_everything_else(s: Session) -> None:
    """A row in every table a seed does not write: what the mocks, the bulk process and the
    inbox write while the harness is used."""
    user = directory.get_user(s, "staff@icann.example")
    rsp = directory.get_organisation(s, "Example RSP")
    example = tld(s, "example")
    tokens.create_token(s, user, "ci")
    now = datetime.now(UTC)
    upload = BulkUpload(
        organisation_id=rsp.id,
        uploaded_by="rsp@rsp.example",
        channel="api",
        filename="bulk.csv",
        size=1,
        sha256="0" * 64,
        file=b"x",
    )
    s.add(upload)
    s.flush()
    s.add_all(
        [
            Submission(
                tld="example",
                kind="activity",
                report_key="2026-01",
                content_type="text/csv",
                body=b"x",
                size=1,
                sha256="0" * 64,
            ),
            MosapiSession(
                token_hash="1" * 64, username="example_ry", tld="example", expires_at=now
            ),
            MaintenanceWindow(tld="example", starts_at=now, ends_at=now, services=["dns"]),
            BulkTldChange(
                upload_id=upload.id,
                tld_id=example.id,
                tld="example",
                base_version=1,
                before=[],
                entries=[],
                lines=[],
                due_at=now,
            ),
            BulkAllowance(organisation_id=rsp.id, granted_by="staff@icann.example"),
            Registrar(iana_id=292, name="MarkMonitor Inc."),
        ]
    )
    from portal.models import DecisionLogRow

    s.add(DecisionLogRow(**decision_values(tld="example")))
    note = Notification(user_id=user.id, subject="s", body="b")
    s.add(note)
    s.flush()
    s.add(OutboxMessage(to_address=user.email, subject="s", body="b", notification_id=note.id))
    s.commit()


KEPT = {"registrars", "change_counters"}


def test_reset_leaves_nothing_but_the_ca_and_moves_every_counter_on(h):
    s = h.session
    h.apply(document())
    fill_everything_else(s)
    material = ensure_material(h.certs_dir)
    ca_files = files(material.folder)
    every = {t.name for t in Base.metadata.sorted_tables}
    assert all(count(s, t) for t in Base.metadata.sorted_tables), "fill every table first"
    counters = dict(s.execute(select(ChangeCounter.name, ChangeCounter.value)).all())
    report = seeding.reset(s)
    assert set(report.removed) == every - KEPT
    assert all(report.removed[t] > 0 for t in report.removed)
    for table in Base.metadata.sorted_tables:
        assert (count(s, table) > 0) == (table.name in KEPT), table.name
    assert count(s, Registrar) == 1
    moved = dict(s.execute(select(ChangeCounter.name, ChangeCounter.value)).all())
    assert moved == {c.value: counters.get(c.value, 0) + 1 for c in Counter}
    assert files(material.folder) == ca_files
    # The certificates a seed wrote are the user's: a reset does not touch them either, and
    # seeding again keeps them and publishes their records again.
    report = h.apply(document())
    assert report.kinds["certificates"].unchanged == ["client", "issued"]
    assert report.kinds["organisations"].created and report.kinds["zone"].created


def test_reset_can_keep_the_user_who_asked(h):
    s = h.session
    h.apply(document())
    staff = directory.get_user(s, "staff@icann.example")
    _, token = tokens.create_token(s, staff, "ci")
    report = seeding.reset(s, keep_users=["STAFF@icann.example"])
    assert report.kept_users == ["staff@icann.example"]
    assert [u.email for u in s.scalars(select(User))] == ["staff@icann.example"]
    assert [o.name for o in s.scalars(select(Organisation))] == ["ICANN"]
    assert tokens.user_for_token(s, token).email == "staff@icann.example"
    assert count(s, ApiToken) == 1 and count(s, Tld) == 0
    # Seeding the same document again finds them.
    again = h.apply(document())
    assert again.kinds["users"].unchanged == ["staff@icann.example"]
    assert again.kinds["organisations"].unchanged == ["ICANN"]


def test_reset_with_a_refused_document_in_one_transaction_changes_nothing(h):
    s = h.session
    h.apply(document())
    before = state(s)
    seeding.reset(s, commit=False)
    bad = document()
    bad["users"][0]["organisation"] = "Nowhere"
    del bad["organisations"]
    with pytest.raises(Invalid):
        h.apply(bad)
    assert state(s) == before


def test_a_mock_notices_a_reset_even_when_a_tld_is_back_at_a_cached_version(h):
    """The mocks' policy cache keys a TLD's policy by its version; a TLD seeded again after a
    reset is back at the same version with other entries."""
    s = h.session
    doc = {k: v for k, v in document().items() if k != "certificates"}
    h.apply(doc)
    cache = PolicyCache()
    policy, _ = cache.lookup(s, "example")
    assert [e.domain_name for e in policy.entries] == ["client.rsp.example"]
    seeding.reset(s)
    doc["tlds"][0]["entries"][0]["domain_name"] = "renamed.rsp.example"
    h.apply(doc)
    again, _ = cache.lookup(s, "example")
    assert again.version == policy.version
    assert [e.domain_name for e in again.entries] == ["renamed.rsp.example"]
