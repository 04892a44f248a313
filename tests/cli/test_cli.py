"""The `tlsauth` command line: org/user/token/tld/demo/db through the app's Flask CLI group, and
`tlsauth serve` as a real process on a real socket."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
import requests
from sqlalchemy import func, select

from infra.database import db
from portal.cli import cli as tlsauth_cli
from portal.core.validation import Finding
from portal.models import ApiToken, AuditEvent, Organisation, Tld, TlsClientAuthEntry, User
from portal.services.errors import Invalid, NotFound
from tests.helpers import PASSWORD, ROOT, failed, invoke, ok

GTLDS_CSV = ROOT / "portal" / "data" / "gtlds.csv"
GTLD_COUNT = 1239


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def tld_row(app, name: str) -> tuple[str, str | None] | None:
    with app.app_context():
        tld = db.session.scalar(select(Tld).where(Tld.name == name))
        return (tld.operator.name, tld.rsp.name if tld.rsp else None) if tld else None


# --------------------------------------------------------------------------- org


def test_org_create(app, runner):
    out = ok(invoke(runner, "org", "create", "Example Registry, Inc.", "--kind", "rsp"))
    assert "Example Registry, Inc." in out and "rsp" in out
    ok(invoke(runner, "org", "create", "  Spaced Operator  ", "--kind", "registry-operator"))
    ok(invoke(runner, "org", "create", "ICANN", "--kind", "icann"))
    with app.app_context():
        orgs = {o.name: o.kind for o in db.session.scalars(select(Organisation))}
    assert orgs == {
        "Example Registry, Inc.": "rsp",
        "Spaced Operator": "registry-operator",
        "ICANN": "icann",
    }


def test_org_create_duplicate_fails(app, runner):
    ok(invoke(runner, "org", "create", "Dup Org", "--kind", "rsp"))
    failed(invoke(runner, "org", "create", "Dup Org", "--kind", "registry-operator"), "Dup Org")
    out = failed(invoke(runner, "org", "create", " Dup Org ", "--kind", "rsp"))
    assert "already exists" in out
    assert count(app, Organisation) == 1


@pytest.mark.parametrize("kind", ["registrar", "RSP", ""])
def test_org_create_bad_kind_fails(app, runner, kind):
    result = invoke(runner, "org", "create", "Some Org", "--kind", kind)
    assert result.exit_code != 0
    assert "--kind" in result.output
    assert count(app, Organisation) == 0


def test_org_create_needs_kind_and_name(app, runner):
    assert invoke(runner, "org", "create", "No Kind").exit_code != 0
    failed(invoke(runner, "org", "create", "   ", "--kind", "rsp"), "name")
    assert count(app, Organisation) == 0


# --------------------------------------------------------------------------- user


def test_user_create_reads_password_from_stdin(app, runner, client, world, login):
    out = ok(
        invoke(
            runner,
            "user",
            "create",
            "New.User@Operator-A.example",
            "--org",
            "Operator A",
            input="a long enough password\n",
        )
    )
    assert "new.user@operator-a.example" in out and "Operator A" in out
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == "new.user@operator-a.example"))
        user = user.one()
        assert user.organisation.name == "Operator A"
        assert "a long enough password" not in user.password_hash
    # The password works (without its newline) through the real sign-in form.
    login("new.user@operator-a.example", "a long enough password")


def test_user_create_errors(app, runner, world):
    before = count(app, User)
    failed(
        invoke(runner, "user", "create", "x@y.example", "--org", "No Such Org", input=PASSWORD),
        "No Such Org",
        "not found",
    )
    failed(
        invoke(runner, "user", "create", "x@y.example", "--org", "Operator A", input="password\n"),
        "at least 10 characters",
    )
    failed(
        invoke(runner, "user", "create", "x@y.example", "--org", "Operator A", input=""),
        "No password",
    )
    failed(
        invoke(runner, "user", "create", "not-an-email", "--org", "Operator A", input=PASSWORD),
        "not an email address",
    )
    failed(
        invoke(runner, "user", "create", world.op_a.upper(), "--org", "Operator A", input=PASSWORD),
        "already exists",
    )
    assert count(app, User) == before


# --------------------------------------------------------------------------- token


def test_token_create_prints_a_working_token(app, runner, client, world):
    out = ok(invoke(runner, "token", "create", world.rsp, "--name", "ci pipeline"))
    token = out.strip()
    assert token.startswith("tla_") and "\n" not in token
    response = client.get("/api/v1/tlds", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert [row["tld"] for row in response.get_json()["tlds"]] == ["alpha"]
    with app.app_context():
        row = db.session.scalars(select(ApiToken)).one()
        assert row.name == "ci pipeline"
        assert row.user.email == world.rsp
        assert token not in row.token_hash  # only the hash is kept

    # Each call prints a new token; both work.
    second = ok(invoke(runner, "token", "create", world.rsp.upper())).strip()
    assert second != token
    response = client.get("/api/v1/tlds", headers={"Authorization": f"Bearer {second}"})
    assert response.status_code == 200


def test_token_create_unknown_user_fails(app, runner, world):
    failed(invoke(runner, "token", "create", "ghost@nowhere.example"), "ghost@nowhere.example")
    assert count(app, ApiToken) == 0


# --------------------------------------------------------------------------- tld add


def test_tld_add(app, runner, client, world):
    ok(invoke(runner, "tld", "add", "gamma", "--operator", "Operator B"))
    out = ok(
        invoke(runner, "tld", "add", "Москва.", "--operator", "Operator A", "--rsp", "RSP One")
    )
    assert "xn--80adxhks" in out
    assert tld_row(app, "gamma") == ("Operator B", None)
    assert tld_row(app, "xn--80adxhks") == ("Operator A", "RSP One")
    # The RSP of record now manages it through the API.
    token = ok(invoke(runner, "token", "create", world.rsp)).strip()
    rows = client.get("/api/v1/tlds", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert [r["tld"] for r in rows["tlds"]] == ["alpha", "xn--80adxhks"]


def test_tld_add_errors(app, runner, world):
    before = count(app, Tld)
    failed(invoke(runner, "tld", "add", "gamma", "--operator", "Nobody Inc"), "Nobody Inc")
    failed(
        invoke(runner, "tld", "add", "gamma", "--operator", "Operator A", "--rsp", "Operator B"),
        "Operator B",
        "not an RSP",
    )
    failed(
        invoke(runner, "tld", "add", "gamma", "--operator", "Operator A", "--rsp", "Nobody Inc"),
        "Nobody Inc",
    )
    failed(invoke(runner, "tld", "add", "alpha", "--operator", "Operator B"), "alpha", "exists")
    failed(invoke(runner, "tld", "add", "ALPHA.", "--operator", "Operator B"), "already exists")
    ok(invoke(runner, "tld", "add", "xn--80adxhks", "--operator", "Operator B"))
    failed(invoke(runner, "tld", "add", "москва", "--operator", "Operator B"), "already exists")
    for bad in ("bad_tld", "two.labels", "-dash", "123", ""):
        failed(invoke(runner, "tld", "add", bad, "--operator", "Operator A"), "tld")
    assert invoke(runner, "tld", "add", "gamma").exit_code != 0  # --operator is required
    assert count(app, Tld) == before + 1
    assert tld_row(app, "alpha") == ("Operator A", "RSP One")


# --------------------------------------------------------------------------- tld import-gtlds

SMALL_CSV = (
    "tld,registry_operator,kind\n"
    'one,"Example Holdings, LLC",generic\n'
    "two,Plain Operator,generic\n"
    'three,"Example Holdings, LLC",sponsored\n'
    "бизнес,Plain Operator,generic\n"
)


def test_import_gtlds_small_file_twice(app, runner, tmp_path):
    path = tmp_path / "gtlds.csv"
    path.write_text(SMALL_CSV, encoding="utf-8")
    out = ok(invoke(runner, "tld", "import-gtlds", str(path)))
    assert "4 TLDs added" in out and "0 already present" in out
    assert "2 operator organisations created" in out
    assert tld_row(app, "one") == ("Example Holdings, LLC", None)
    assert tld_row(app, "three") == ("Example Holdings, LLC", None)
    assert tld_row(app, "two") == ("Plain Operator", None)
    with app.app_context():
        names = set(db.session.scalars(select(Tld.name)))
        kinds = {o.name: o.kind for o in db.session.scalars(select(Organisation))}
    assert names == {"one", "two", "three", "xn--90aifd0az"}
    assert kinds == {
        "Example Holdings, LLC": "registry-operator",
        "Plain Operator": "registry-operator",
    }

    out = ok(invoke(runner, "tld", "import-gtlds", str(path)))
    assert "0 TLDs added" in out and "4 already present" in out
    assert "0 operator organisations created" in out
    assert count(app, Tld) == 4 and count(app, Organisation) == 2


def test_import_gtlds_keeps_existing_tlds_and_orgs(app, runner, tmp_path, world):
    path = tmp_path / "gtlds.csv"
    path.write_text(
        "tld,registry_operator,kind\nalpha,Someone Else,generic\ndelta,Operator B,generic\n",
        encoding="utf-8-sig",  # a BOM, as spreadsheet programs write
    )
    out = ok(invoke(runner, "tld", "import-gtlds", str(path)))
    assert "1 TLDs added" in out and "1 already present" in out
    assert tld_row(app, "alpha") == ("Operator A", "RSP One")  # untouched
    assert tld_row(app, "delta") == ("Operator B", None)  # existing organisation reused


@pytest.mark.parametrize(
    "text,fragments",
    [
        ("tld,kind\none,generic\n", ["registry_operator"]),
        ("tld,registry_operator,kind\none,Op,generic\ntwo\n", ["line 3", "registry_operator"]),
        ("tld,registry_operator,kind\none,Op,generic\ntwo,,generic\n", ["line 3"]),
        ("tld,registry_operator,kind\none,Op,generic\nbad_tld,Op,generic\n", ["line 3"]),
        ("tld,registry_operator,kind\none,Op,generic\nsub.tld,Op,generic\n", ["line 3"]),
        ("tld,registry_operator,kind\n,Op,generic\n", ["line 2"]),
        ("tld,registry_operator,kind\none,Op,generic\n\nthree!,Op,generic\n", ["line 4"]),
        ("tld,registry_operator,kind\nok,ICANN,generic\n", ["ICANN"]),
    ],
)
def test_import_gtlds_malformed_file_fails_and_loads_nothing(
    app, runner, tmp_path, text, fragments
):
    with app.app_context():
        db.session.add(Organisation(name="ICANN", kind="icann"))
        db.session.commit()
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    failed(invoke(runner, "tld", "import-gtlds", str(path)), *fragments)
    assert count(app, Tld) == 0
    assert count(app, Organisation) == 1


def test_import_gtlds_reports_every_bad_line(runner, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "tld,registry_operator,kind\nfine,Op,generic\nno_good,Op,generic\nalso,,generic\n",
        encoding="utf-8",
    )
    failed(invoke(runner, "tld", "import-gtlds", str(path)), "line 3", "line 4")


def test_import_gtlds_unreadable_file(runner, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("tld,registry_operator,kind\ncafé,Opérateur,generic\n".encode("latin-1"))
    failed(invoke(runner, "tld", "import-gtlds", str(path)), "UTF-8")
    assert invoke(runner, "tld", "import-gtlds", str(tmp_path / "missing.csv")).exit_code != 0


def test_import_full_gtld_list(app, runner):
    out = ok(invoke(runner, "tld", "import-gtlds", str(GTLDS_CSV)))
    assert f"{GTLD_COUNT} TLDs added" in out
    assert count(app, Tld) == GTLD_COUNT
    with app.app_context():
        names = set(db.session.scalars(select(Tld.name)))
    assert {"bank", "insurance", "app", "aaa"} <= names
    assert all(n.isascii() and n == n.lower() for n in names)
    assert any(n.startswith("xn--") for n in names)
    out = ok(invoke(runner, "tld", "import-gtlds", str(GTLDS_CSV)))
    assert "0 TLDs added" in out and f"{GTLD_COUNT} already present" in out
    assert count(app, Tld) == GTLD_COUNT


# --------------------------------------------------------------------------- demo


def test_demo_loads_once(app, runner, client, login):
    out = ok(invoke(runner, "demo"))
    assert f"{GTLD_COUNT} gTLDs" in out
    assert count(app, Tld) == GTLD_COUNT
    counts = (count(app, Organisation), count(app, User), count(app, TlsClientAuthEntry))
    assert counts[1] == 3 and counts[2] == 1

    out = ok(invoke(runner, "demo", "--if-empty"))
    assert "not loaded" in out
    assert (count(app, Organisation), count(app, User), count(app, TlsClientAuthEntry)) == counts
    assert count(app, Tld) == GTLD_COUNT

    # The documented demo users exist with the documented password and the documented access.
    from portal.demo import DEMO_PASSWORD

    for email in ("staff@icann.example", "rsp@rsp.example", "registry@bank.example"):
        login(email, DEMO_PASSWORD, client=app.test_client())
    token = ok(invoke(runner, "token", "create", "rsp@rsp.example")).strip()
    rows = client.get("/api/v1/tlds", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert [r["tld"] for r in rows["tlds"]] == ["app", "dev", "page", "shop", "store"]
    token = ok(invoke(runner, "token", "create", "registry@bank.example")).strip()
    h = {"Authorization": f"Bearer {token}"}
    rows = client.get("/api/v1/tlds", headers=h).get_json()
    assert [r["tld"] for r in rows["tlds"]] == ["bank", "insurance"]
    doc = client.get("/api/v1/tlds/bank/tls-client-auth", headers=h).get_json()
    assert [e["domain_name"] for e in doc["entries"]] == ["client.bank.example"]
    history = client.get("/api/v1/tlds/bank/history", headers=h).get_json()
    assert [e["channel"] for e in history["events"]] == ["cli"]
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEvent.id))) == 1


def test_demo_if_empty_on_empty_database_loads(app, runner):
    out = ok(invoke(runner, "demo", "--if-empty"))
    assert "demo loaded" in out
    assert count(app, Tld) == GTLD_COUNT


def test_demo_if_empty_leaves_other_data_alone(app, runner, world):
    out = ok(invoke(runner, "demo", "--if-empty"))
    assert "not loaded" in out
    assert count(app, Tld) == 2


def test_demo_twice_without_if_empty_fails_cleanly(app, runner):
    ok(invoke(runner, "demo"))
    failed(invoke(runner, "demo"), "already exists")
    assert count(app, User) == 3 and count(app, TlsClientAuthEntry) == 1


# --------------------------------------------------------------------------- db


def test_db_upgrade_on_current_database(app, runner, world):
    ok(invoke(runner, "db", "upgrade"))
    ok(invoke(runner, "db", "upgrade"))
    assert tld_row(app, "alpha") == ("Operator A", "RSP One")
    assert count(app, User) == 5


# --------------------------------------------------------------------------- serve (real process)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tlsauth(*args: str) -> list[str]:
    return [sys.executable, "-c", "from portal.cli import main; main()", *args]


def test_serve_really_serves_and_stops_on_sigterm(tmp_path: Path):
    env = {
        **os.environ,
        "TLSAUTH_INSTANCE_DIR": str(tmp_path / "instance"),
        "TLSAUTH_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "TLSAUTH_SECRET_KEY": "serve-test-secret",
        "TLSAUTH_THREADS": "4",
    }
    env.pop("FLASK_APP", None)
    for _ in range(2):  # a fresh database, then an already-current one
        done = subprocess.run(
            _tlsauth("db", "upgrade"), env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
    done = subprocess.run(
        _tlsauth("org", "create", "Serve Org", "--kind", "rsp"),
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr

    port = _free_port()
    log = (tmp_path / "serve.log").open("w+")
    proc = subprocess.Popen(
        _tlsauth("serve", "portal", "--port", str(port)), env=env, cwd=ROOT, stdout=log, stderr=log
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        response = None
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"serve exited early: {_read(log)}"
            try:
                response = requests.get(f"{base}/login", timeout=2)
            except requests.ConnectionError:
                time.sleep(0.2)
                continue
            if response.status_code == 200:
                break
            time.sleep(0.2)
        assert response is not None and response.status_code == 200, _read(log)
        assert "Sign in" in response.text
        server = response.headers.get("Server", "")
        assert "werkzeug" not in server.lower(), server
        assert server == "tlsauth-portal"
        # The API answers on the same server.
        api = requests.get(f"{base}/api/v1/tlds", timeout=5)
        assert api.status_code == 401 and api.json()["error"]["code"] == "unauthorized"
        assert requests.get(f"{base}/api/v1/openapi.json", timeout=5).status_code == 200

        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pytest.fail(f"serve did not stop within 10 s of SIGTERM: {_read(log)}")
        assert code == 0, f"exit code {code}: {_read(log)}"
        assert "Traceback" not in _read(log)
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{base}/login", timeout=2)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


def _read(log) -> str:
    log.flush()
    log.seek(0)
    return log.read()


def test_import_gtlds_names_the_file_line_after_a_multiline_field(runner, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        'tld,registry_operator,kind\none,"Two-line\nOperator",generic\nbad!,Op,generic\n',
        encoding="utf-8",
    )
    failed(invoke(runner, "tld", "import-gtlds", str(path)), "line 4")


def _first_answer(
    url: str, proc: subprocess.Popen, log, deadline: float, verify: Path | None = None
) -> requests.Response:
    """The first HTTP answer from `url`, retrying while the server is not yet listening or
    its TLS handshake or answer does not come (a mock worker still starting); fails naming
    the URL, the last error and the server's log if none comes before `deadline`."""
    last: Exception | None = None
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"serve exited early: {_read(log)}"
        if verify is None or verify.exists():
            try:
                return requests.get(url, verify=str(verify) if verify else True, timeout=5)
            except (requests.RequestException, OSError) as exc:  # OSError: CA half-written
                last = exc
        time.sleep(0.2)
    pytest.fail(f"no answer from {url} before the deadline (last error: {last!r}):\n{_read(log)}")


def test_serve_starts_portal_and_both_mocks_with_worker_processes(tmp_path: Path):
    """`tlsauth serve` with no argument: portal + MoSAPI + RRI; with TLSAUTH_MOCK_WORKERS=2 the
    mocks run in two processes on one port; SIGTERM stops every process."""
    ports = {name: _free_port() for name in ("portal", "mosapi", "rri")}
    env = {
        **os.environ,
        "TLSAUTH_INSTANCE_DIR": str(tmp_path / "instance"),
        "TLSAUTH_DATABASE_URL": f"sqlite:///{tmp_path / 'all.sqlite3'}",
        "TLSAUTH_CERTS_DIR": str(tmp_path / "certs"),
        "TLSAUTH_SECRET_KEY": "serve-all-secret",
        "TLSAUTH_PORTAL_PORT": str(ports["portal"]),
        "TLSAUTH_MOSAPI_PORT": str(ports["mosapi"]),
        "TLSAUTH_RRI_PORT": str(ports["rri"]),
        "TLSAUTH_MOCK_WORKERS": "2",
        "TLSAUTH_THREADS": "4",
        "TLSAUTH_MOCK_THREADS": "4",
    }
    done = subprocess.run(
        _tlsauth("db", "upgrade"), env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    log = (tmp_path / "serve.log").open("w+")
    proc = subprocess.Popen(_tlsauth("serve"), env=env, cwd=ROOT, stdout=log, stderr=log)
    ca = tmp_path / "certs" / "harness-ca.pem"
    try:
        deadline = time.monotonic() + 60
        answers = {
            "portal": _first_answer(
                f"http://127.0.0.1:{ports['portal']}/login", proc, log, deadline
            ).status_code,
            "mosapi": _first_answer(
                f"https://localhost:{ports['mosapi']}/ry/none/v2/monitoring/state",
                proc,
                log,
                deadline,
                verify=ca,
            ).status_code,
            "rri": _first_answer(
                f"https://localhost:{ports['rri']}/info/report/registrar-transactions/none/2026-01",
                proc,
                log,
                deadline,
                verify=ca,
            ).status_code,
        }
        assert answers == {"portal": 200, "mosapi": 401, "rri": 401}, _read(log)
        assert "mocks served by 2 processes" in _read(log)
        children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True)
        assert len(children.stdout.split()) == 1, "one forked mock worker expected"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0, _read(log)
        assert subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True).stdout == b""
        assert "Traceback" not in _read(log)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "error",
    [Invalid([Finding("thing", "Refused for the test.")]), NotFound("test thing")],
    ids=["invalid", "not-found"],
)
def test_a_service_refusal_in_any_command_is_one_clean_error(runner, error):
    """The group turns a ServiceError from any command, even a nested one, into `Error: …`."""
    group = click.Group("refusing-for-test")

    @group.command("now")
    def refuse() -> None:
        raise error

    tlsauth_cli.add_command(group)
    try:
        result = invoke(runner, "refusing-for-test", "now")
    finally:
        tlsauth_cli.commands.pop("refusing-for-test")
    assert result.exit_code == 1
    assert failed(result).strip() == f"Error: {error}"
