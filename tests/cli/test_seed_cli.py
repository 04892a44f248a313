"""`tlsauth seed FILE [--reset] [--schema] [--json]` through the app's Flask CLI group."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from infra.database import db
from portal.core.seed import schema
from portal.models import AuditEvent, Organisation, Registrar, Tld, TlsaRecordRow
from portal.services import directory
from tests.helpers import failed, invoke, ok

SEED = """\
version: 1
organisations:
  - {name: ICANN, kind: icann}
  - {name: Example RSP, kind: rsp}
  - {name: Example Registry, kind: registry-operator}
users:
  - {email: staff@icann.example, organisation: ICANN, password: "staff-password"}
  - {email: rsp@rsp.example, organisation: Example RSP}
tlds:
  - name: example
    operator: Example Registry
    rsp: Example RSP
    entries:
      - domain_name: client.rsp.example
        roles: [mosapi-slam]
        ip_acl: [203.0.113.0/24]
certificates:
  folder: certs-out
  items:
    - {name: client, domain_name: client.rsp.example, publish: true, organisation: Example RSP}
"""


@pytest.fixture
def certs_dir(app, tmp_path: Path) -> Path:
    folder = tmp_path / "certs"
    app.config["CERTS_DIR"] = str(folder)
    return folder


@pytest.fixture
def seed_file(tmp_path: Path, certs_dir: Path) -> Path:
    path = tmp_path / "project" / "seed.yaml"
    path.parent.mkdir()
    path.write_text(SEED, encoding="utf-8")
    return path


def rows(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_seed_prints_what_it_made_the_passwords_once_and_the_files(app, runner, seed_file):
    out = ok(invoke(runner, "seed", str(seed_file)))
    assert f"{seed_file}: applied" in out
    assert "organisations: 3 created (ICANN, Example RSP, Example Registry)" in out
    assert "users: 2 created (staff@icann.example, rsp@rsp.example)" in out
    assert "tlds: 1 created (example)" in out
    folder = seed_file.parent / "certs-out"
    for name in ("client.pem", "client.key", "client.p12"):
        assert f"  {folder / name}\n" in out
    line = next(x for x in out.splitlines() if x.startswith("  rsp@rsp.example  "))
    password = line.split()[-1]
    with app.app_context():
        assert directory.authenticate(db.session, "rsp@rsp.example", password)
    assert "staff-password" not in out  # a given password is not repeated
    assert "PRIVATE KEY" not in out and (folder / "client.key").read_text() not in out
    again = ok(invoke(runner, "seed", str(seed_file)))
    assert "nothing to change" in again
    assert "users: 2 unchanged" in again and password not in again
    assert "certificate files" not in again


def test_a_refused_document_prints_each_error_at_its_path(app, runner, seed_file):
    seed_file.write_text(
        SEED.replace("kind: rsp}", "kind: rspp}").replace("203.0.113.0/24", "203.0.113.1/24"),
        encoding="utf-8",
    )
    out = failed(invoke(runner, "seed", str(seed_file)))
    assert f"{seed_file} is refused; nothing was changed:" in out
    assert "organisations[1].kind: kind must be one of registry-operator, rsp, icann." in out
    assert (
        "tlds[0].entries[0].ip_acl[0]: 203.0.113.1/24 has host bits set; "
        "did you mean 203.0.113.0/24?" in out
    )
    assert rows(app, Organisation) == 0
    assert not (seed_file.parent / "certs-out").exists()


def test_a_syntax_error_names_its_line(runner, seed_file):
    seed_file.write_text("version: 1\ntlds:\n  - name: x\n   operator: y\n", encoding="utf-8")
    out = failed(invoke(runner, "seed", str(seed_file)))
    assert "line 4: not valid YAML" in out


def test_json_in_and_out(app, runner, seed_file):
    as_json = seed_file.with_suffix(".json")
    as_json.write_text(json.dumps(yaml.safe_load(SEED)), encoding="utf-8")
    report = json.loads(ok(invoke(runner, "seed", str(as_json), "--json")))
    assert report["changed"] is True
    assert report["kinds"]["tlds"]["created"] == ["example"]
    assert list(report["passwords"]) == ["rsp@rsp.example"]
    assert sorted(Path(p).name for p in report["certificates"]) == [
        "client.key",
        "client.p12",
        "client.pem",
    ]
    bad = seed_file.with_name("bad.json")
    bad.write_text('{"version": 2, "tlds": [{"name": "a.b"}]}', encoding="utf-8")
    result = invoke(runner, "seed", str(bad), "--json")
    assert result.exit_code == 1
    assert json.loads(result.output) == {
        "errors": [
            {"field": "version", "message": "version must be 1 (the only version there is)."},
            {"field": "tlds[0].name", "message": "A TLD is a single label."},
        ]
    }


def test_reset_alone_and_before_a_document(app, runner, seed_file):
    ok(invoke(runner, "seed", str(seed_file)))
    with app.app_context():
        db.session.add(Registrar(iana_id=292, name="MarkMonitor Inc."))
        db.session.commit()
    out = ok(invoke(runner, "seed", "--reset"))
    assert out.startswith("reset: ")
    assert "organisations 3" in out and "users 2" in out and "tlds 1" in out
    assert rows(app, Organisation) == rows(app, Tld) == rows(app, AuditEvent) == 0
    assert rows(app, Registrar) == 1
    # --reset FILE: empties, then applies; the certificate files are the user's and are kept.
    ok(invoke(runner, "seed", str(seed_file)))
    out = ok(invoke(runner, "seed", "--reset", str(seed_file)))
    assert "reset: " in out and f"{seed_file}: applied" in out
    assert "certificates: 1 unchanged" in out
    assert rows(app, TlsaRecordRow) == 1
    report = json.loads(ok(invoke(runner, "seed", "--reset", "--json")))
    assert report["reset"]["removed"]["organisations"] == 3


def test_reset_with_a_refused_document_removes_nothing(app, runner, seed_file):
    ok(invoke(runner, "seed", str(seed_file)))
    bad = seed_file.with_name("bad.yaml")
    bad.write_text("version: 1\nusers: [{email: a@b.example, organisation: Nobody}]\n")
    out = failed(invoke(runner, "seed", "--reset", str(bad)))
    assert "users[0].organisation: No organisation “Nobody”" in out
    assert rows(app, Organisation) == 3 and rows(app, Tld) == 1


def test_schema_is_printed_without_a_file(runner):
    printed = json.loads(ok(invoke(runner, "seed", "--schema")))
    assert printed == schema()


def test_seed_needs_a_file_or_reset(runner):
    result = invoke(runner, "seed")
    assert result.exit_code == 2
    assert "Give a seed FILE, --reset, or both" in result.output
