"""`tlsauth check` and `tlsauth check-matrix` against live mocks over real mTLS: exit codes,
the deciding reason and its sentence, --json, the TLD × role table, and running with no
database at all (the commands are meant for an RSP's own network)."""

from __future__ import annotations

import json
import os
import pty
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

from infra.database import db
from portal.api.schemas import CheckResult, MatrixResult
from portal.cli import cli
from portal.core.reasons import CallFacts, sentence
from portal.core.roles import ROLE_IDS
from portal.core.validation import Entry
from portal.models import DecisionLogRow
from portal.services import directory
from tests.helpers import client_cert, last_decision, publish, set_entries

CLIENT = "client.rsp.example"
STATE = "/ry/{tld}/v2/monitoring/state"
BOTH_MOCKS = {"maintenance-window", "probe-node-list"}


def run(*args: str) -> tuple[int, str, str]:
    """The command through the `tlsauth` group itself, with no app configured."""
    result = CliRunner().invoke(cli, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def cred(app, world, tmp_path: Path):
    """A client certificate published by ICANN staff, .alpha's one entry with every role
    from 127.0.0.1."""
    credential = client_cert(tmp_path / "client", CLIENT)
    set_entries(app, [Entry(CLIENT, ROLE_IDS, ("127.0.0.1/32",))], "alpha")
    publish(app, world.icann, CLIENT, credential.cert)
    return credential


@pytest.fixture
def mosapi(start_mock):
    return start_mock("mosapi")


@pytest.fixture
def rri(start_mock):
    return start_mock("rri")


def creds(cred, ca: Path) -> list[str]:
    return ["--cert", str(cred.cert_file), "--key", str(cred.key_file), "--ca", str(ca)]


def check(server, path: str, cred, *extra: str) -> tuple[int, str, str]:
    url = f"https://localhost:{server.port}{path}"
    return run("check", "--url", url, *creds(cred, server.ca_file), *extra)


def line(output: str, label: str) -> str:
    found = [ln for ln in output.splitlines() if ln.startswith(label + ":")]
    assert found, (label, output)
    return found[0].split(":", 1)[1].strip()


# --------------------------------------------------------------------------- check


def test_allowed_call_exits_0_with_the_logged_decision(app, cred, mosapi) -> None:
    code, out, _ = check(mosapi, STATE.format(tld="alpha"), cred)
    assert code == 0, out
    assert line(out, "status") == "200"
    assert line(out, "verdict") == "ALLOWED"
    assert line(out, "endpoint") == "mosapi, needs mosapi-slam"
    row = last_decision(app)
    assert line(out, "decision") == f"{row.id}; allowed tls-client-auth via {CLIENT}"
    assert line(out, "why").startswith(f"Allowed: {CLIENT} matched the certificate")


def test_denied_call_exits_1_with_the_deciding_reason_and_its_sentence(app, cred, mosapi):
    code, out, _ = check(mosapi, STATE.format(tld="alpha"), cred, "--source-address", "127.0.0.2")
    assert code == 1, out
    assert line(out, "verdict") == "DENIED (source-not-in-acl)"
    assert line(out, "status") == "401"
    row = last_decision(app)
    assert row.source_address == "127.0.0.2"
    assert line(out, "decision") == f"{row.id}; {row.deciding_reason}"
    facts = CallFacts(tld="alpha", role="mosapi-slam", source="127.0.0.2")
    assert line(out, "why") == sentence("source-not-in-acl", facts)
    assert "127.0.0.2 is not in the prefixes of" in out


def test_allowed_status_read_answering_404_is_still_allowed(app, cred, rri) -> None:
    """An RRI report's status read with no report yet: 404, but TLS client auth admitted it."""
    path = "/info/report/registrar-transactions/alpha/2026-01"
    code, out, _ = check(rri, path, cred)
    assert line(out, "status") == "404"
    assert code == 0, out
    assert line(out, "verdict") == "ALLOWED"
    assert last_decision(app).status_code == 404


def test_without_the_header_the_status_decides(app, cred, start_mock) -> None:
    quiet = start_mock("mosapi", EXPLAIN_HEADER=False)
    code, out, _ = check(quiet, STATE.format(tld="alpha"), cred)
    assert (code, line(out, "verdict")) == (0, "ALLOWED")
    assert "no X-TLSAuth-Decision header" in line(out, "decision")
    code, out, _ = check(quiet, STATE.format(tld="beta"), cred)
    assert (code, line(out, "verdict")) == (1, "DENIED (HTTP 401)")
    # Allowed, but the incident does not exist: 404 says nothing about the certificate.
    code, out, _ = check(quiet, "/ry/alpha/v2/monitoring/dns/incidents/999", cred)
    assert line(out, "status") == "404"
    assert (code, line(out, "verdict")) == (2, "UNKNOWN (HTTP 404)")


def test_json_output(app, cred, mosapi) -> None:
    code, out, _ = check(
        mosapi, STATE.format(tld="alpha"), cred, "--source-address", "127.0.0.2", "--json"
    )
    assert code == 1
    shown = CheckResult.model_validate_json(out)
    row = last_decision(app)
    assert shown.verdict == "denied"
    assert shown.reason == "source-not-in-acl"
    assert shown.status == 401
    assert (shown.system, shown.tld, shown.role) == ("mosapi", "alpha", "mosapi-slam")
    assert shown.source_address == "127.0.0.2"
    assert shown.decision is not None
    assert (shown.decision.id, shown.decision.allowed) == (row.id, False)
    assert shown.decision.reason == "source-not-in-acl"
    assert shown.sentence and shown.sentence.startswith("127.0.0.2 is not in the prefixes")
    assert shown.error is None
    assert shown.body_start.startswith("The client could not be authenticated")
    assert set(json.loads(out)) == set(CheckResult.model_fields)


def test_connection_refused_exits_2(cred, mosapi) -> None:
    port = free_port()  # nothing listens there any more
    url = f"https://localhost:{port}{STATE.format(tld='alpha')}"
    code, out, _ = run("check", "--url", url, *creds(cred, mosapi.ca_file))
    assert code == 2
    assert line(out, "verdict") == "ERROR (connection refused)"
    code, out, _ = run("check", "--url", url, *creds(cred, mosapi.ca_file), "--json")
    shown = CheckResult.model_validate_json(out)
    assert (code, shown.verdict, shown.error, shown.status) == (
        2,
        "error",
        "connection refused",
        None,
    )


def test_a_silent_server_is_a_timeout_not_a_hang(cred, mosapi, silent_port: int) -> None:
    url = f"https://localhost:{silent_port}{STATE.format(tld='alpha')}"
    started = time.monotonic()
    code, out, _ = run("check", "--url", url, *creds(cred, mosapi.ca_file), "--timeout", "0.5")
    assert time.monotonic() - started < 5
    assert code == 2
    assert line(out, "verdict") == "ERROR (timeout)"


def test_untrusted_server_is_a_tls_failure_naming_ca(cred, mosapi) -> None:
    url = f"https://localhost:{mosapi.port}{STATE.format(tld='alpha')}"
    code, out, _ = run(
        "check", "--url", url, "--cert", str(cred.cert_file), "--key", str(cred.key_file)
    )
    assert code == 2
    assert line(out, "verdict") == "ERROR (TLS failure)"
    assert "--ca" in line(out, "error")


def test_unusable_files_and_options_exit_2(cred, mosapi, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    url = f"https://localhost:{mosapi.port}{STATE.format(tld='alpha')}"
    ca = str(mosapi.ca_file)
    code, out, err = run(
        "check", "--url", url, "--cert", str(garbage), "--key", str(cred.key_file), "--ca", ca
    )
    assert code == 2
    assert "cannot use" in err and "garbage.pem" in err
    other = client_cert(tmp_path / "other", "other.example")
    code, _, err = run(
        "check",
        "--url",
        url,
        "--cert",
        str(cred.cert_file),
        "--key",
        str(other.key_file),
        "--ca",
        ca,
    )
    assert code == 2 and "cannot use" in err
    code, _, err = run(
        "check", "--url", url.replace("https", "http", 1), *creds(cred, mosapi.ca_file)
    )
    assert code == 2 and "https://" in err
    code, _, err = run(
        "check", "--url", url, *creds(cred, mosapi.ca_file), "--source-address", "nope"
    )
    assert code == 2 and "not an IP address" in err


def test_encrypted_key_needs_its_passphrase(app, cred, mosapi, tmp_path: Path) -> None:
    encrypted = tmp_path / "encrypted.key"
    encrypted.write_bytes(
        cred.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"open sesame"),
        )
    )
    url = f"https://localhost:{mosapi.port}{STATE.format(tld='alpha')}"
    base = ["check", "--url", url, "--cert", str(cred.cert_file), "--key", str(encrypted)]
    base += ["--ca", str(mosapi.ca_file)]
    code, _, err = run(*base)
    assert code == 2 and "is encrypted" in err and "--passphrase-file" in err
    wrong = tmp_path / "wrong"
    wrong.write_text("open sesam\n")
    code, _, err = run(*base, "--passphrase-file", str(wrong))
    assert code == 2 and "cannot use" in err
    right = tmp_path / "right"
    right.write_text("open sesame\n")
    code, out, _ = run(*base, "--passphrase-file", str(right))
    assert (code, line(out, "verdict")) == (0, "ALLOWED")


# --------------------------------------------------------------------------- check-matrix


@pytest.fixture
def mixed(app, world, cred) -> None:
    """.alpha: every role; .beta: the same certificate for three roles; .gamma: no entries."""
    set_entries(
        app,
        [
            Entry(
                CLIENT,
                ("mosapi-slam", "rri-monthly-reports", "maintenance-window"),
                ("127.0.0.1/32",),
            )
        ],
        "beta",
    )
    with app.app_context():
        directory.add_tld(db.session, "gamma", "Operator B")


def matrix(mosapi, rri, cred, *extra: str) -> tuple[int, str, str]:
    return run(
        "check-matrix",
        "--mosapi",
        f"https://localhost:{mosapi.port}",
        "--rri",
        f"https://localhost:{rri if isinstance(rri, int) else rri.port}",
        *creds(cred, mosapi.ca_file),
        *extra,
    )


def test_matrix_table_of_allowed_and_denied_cells(app, mixed, cred, mosapi, rri) -> None:
    code, out, _ = matrix(mosapi, rri, cred, "--tld", "alpha", "--tld", "beta", "--tld", "gamma")
    assert code == 1, out
    lines = out.splitlines()
    assert lines[0].split() == ["TLD", *ROLE_IDS]
    cells = {ln.split()[0]: ln for ln in lines[1:4]}
    assert cells["alpha"].split()[1:] == ["allowed"] * 7
    beta = cells["beta"]
    for role in ROLE_IDS:
        expected = role in ("mosapi-slam", "rri-monthly-reports", "maintenance-window")
        assert ("allowed" if expected else "denied") in beta
    # Its one entry matches the certificate: the other roles are not granted (on both mocks,
    # for probe-node-list, so no mock is named).
    assert beta.count("allowed") == 3 and beta.count("denied (role-not-granted)") == 4
    assert cells["gamma"].count("denied (tld-not-configured)") == 7
    assert "Why not allowed:" in out
    assert "tld-not-configured (7 cells), e.g. .gamma" in out
    assert "3 TLDs × 7 roles: 10 allowed, 11 denied, 0 unknown, 0 errors (27 calls" in out


def test_matrix_json_agrees_with_the_decision_log(app, mixed, cred, mosapi, rri) -> None:
    code, out, _ = matrix(mosapi, rri, cred, "--tld", "beta", "--tld", "alpha", "--json")
    assert code == 1
    shown = MatrixResult.model_validate_json(out)
    assert shown.tlds == ["beta", "alpha"]
    assert shown.roles == list(ROLE_IDS)
    assert shown.calls == 2 * 9  # 7 roles, two of them on both mocks
    assert shown.counts == {"allowed": 10, "denied": 4, "unknown": 0, "error": 0}
    with app.app_context():
        rows = {r.id: r for r in db.session.scalars(select(DecisionLogRow))}
    for cell in shown.cells:
        systems = [c.system for c in cell.calls]
        assert len(set(systems)) == len(systems) == (2 if cell.role in BOTH_MOCKS else 1)
        for call in cell.calls:
            row = rows[call.decision_id]
            assert row.tld == cell.tld and row.required_role == cell.role
            assert row.system == call.system
            assert call.status == row.status_code
            assert call.verdict == row.result
            assert call.reason == (None if row.result == "allowed" else row.deciding_reason)
        if cell.verdict == "denied":
            assert cell.sentence == sentence(
                cell.reason.split(": ")[-1], CallFacts(cell.tld, cell.role, None)
            )


def test_progress_bar_only_on_a_terminal(cred, mosapi, rri) -> None:
    code, out, err = matrix(mosapi, rri, cred, "--tld", "alpha")
    assert code == 0
    assert "Checking" not in out + err
    args = ["check-matrix", "--mosapi", f"https://localhost:{mosapi.port}"]
    args += ["--rri", f"https://localhost:{rri.port}", "--tld", "alpha"]
    args += creds(cred, mosapi.ca_file)
    primary, secondary = pty.openpty()
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(Path(__file__).parents[2])}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from portal.cli import main; main()", *args],
        stdin=subprocess.DEVNULL,
        stdout=secondary,
        stderr=secondary,
        env=env,
    )
    os.close(secondary)
    screen = b""
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        screen += chunk
    os.close(primary)
    assert proc.wait(timeout=60) == 0
    text = screen.decode("utf-8", "replace")
    assert "Checking" in text and "100%" in text
    assert text.index("100%") < text.index("1 TLDs × 7 roles: 7 allowed")


def test_matrix_all_allowed_exits_0_from_a_tlds_file(cred, mosapi, rri, tmp_path: Path) -> None:
    tlds = tmp_path / "tlds.csv"
    tlds.write_text("tld,registry_operator,kind\n# ours\nalpha,Operator A,generic\n.ALPHA\n")
    code, out, _ = matrix(mosapi, rri, cred, "--tlds", str(tlds))
    assert code == 0, out
    assert out.splitlines()[1].split() == ["alpha", *["allowed"] * 7]
    assert "1 TLDs × 7 roles: 7 allowed, 0 denied" in out
    bad = tmp_path / "bad.txt"
    bad.write_text("alpha\nnot a tld!\n")
    code, _, err = matrix(mosapi, rri, cred, "--tlds", str(bad))
    assert code == 2 and "line 2" in err and "not a TLD" in err
    code, _, err = matrix(mosapi, rri, cred)
    assert code == 2 and "--tld" in err


def test_matrix_with_a_dead_mock_exits_2_and_says_which(cred, mosapi) -> None:
    code, out, _ = matrix(mosapi, free_port(), cred, "--tld", "alpha", "--json")
    assert code == 2
    shown = MatrixResult.model_validate_json(out)
    by_role = {c.role: c for c in shown.cells}
    assert by_role["mosapi-slam"].verdict == "allowed"
    assert by_role["rri-monthly-reports"].verdict == "error"
    assert by_role["rri-monthly-reports"].reason == "connection refused"
    # On both mocks: MoSAPI allowed, RRI unreachable.
    assert by_role["probe-node-list"].verdict == "error"
    assert by_role["probe-node-list"].reason == "rri: connection refused"


def test_matrix_one_mock_only(cred, mosapi) -> None:
    code, out, _ = run(
        "check-matrix",
        "--mosapi",
        f"https://localhost:{mosapi.port}",
        "--tld",
        "alpha",
        *creds(cred, mosapi.ca_file),
        "--json",
    )
    assert code == 0
    shown = MatrixResult.model_validate_json(out)
    assert shown.roles == [r for r in ROLE_IDS if not r.startswith("rri-")]
    assert all(c.system == "mosapi" for cell in shown.cells for c in cell.calls)


def test_matrix_stays_within_mosapis_connections_per_certificate(cred, mosapi, rri) -> None:
    """16 workers, 20 TLDs: the MoSAPI mock refuses a fifth open connection per certificate
    (429 too-many-connections), so no call may meet that refusal."""
    code, out, _ = matrix(
        mosapi,
        rri,
        cred,
        *[a for i in range(20) for a in ("--tld", "alpha" if i == 0 else f"t{i}")],
        "--workers",
        "16",
        "--json",
    )
    shown = MatrixResult.model_validate_json(out)
    reasons = {c.reason for cell in shown.cells for c in cell.calls}
    assert "too-many-connections" not in reasons
    assert reasons <= {None, "tld-not-configured"}
    assert code == 1


# --------------------------------------------------------------------------- no database


def test_the_commands_need_no_database(cred, mosapi, rri, tmp_path: Path) -> None:
    """As an RSP runs them: a process of its own whose database URL leads nowhere."""
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    nowhere = tmp_path / "no-such-dir"
    # No TLSAUTH_* setting but a database URL and an instance folder that lead nowhere.
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "TLSAUTH_DATABASE_URL": f"sqlite:///{nowhere}/db.sqlite3",
        "TLSAUTH_INSTANCE_DIR": str(nowhere / "instance"),
    }
    exe = [sys.executable, "-c", "from portal.cli import main; main()"]
    url = f"https://localhost:{mosapi.port}{STATE.format(tld='alpha')}"
    done = subprocess.run(
        [*exe, "check", "--url", url, *creds(cred, mosapi.ca_file)],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "verdict:  ALLOWED" in done.stdout
    done = subprocess.run(
        [
            *exe,
            "check-matrix",
            "--mosapi",
            f"https://localhost:{mosapi.port}",
            "--rri",
            f"https://localhost:{rri.port}",
            "--tld",
            "alpha",
            *creds(cred, mosapi.ca_file),
        ],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert not nowhere.exists()
    assert list(cwd.iterdir()) == []
