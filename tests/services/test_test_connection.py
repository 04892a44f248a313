"""Test connection's call, made over real mutual TLS to a live mock on a free port; the
credentials it takes; the source addresses it offers; the curl command it prints."""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import tempfile
import time

import pytest
from cryptography.hazmat.primitives import serialization

from infra.loopback import CANDIDATES, binds, loopback_addresses
from portal.core import pki
from portal.core.validation import Entry
from portal.services import client_credentials as cc
from portal.services import test_connection as tc
from portal.services.errors import Invalid
from portal.services.session_credentials import CredentialStore
from tests.helpers import client_cert, last_decision, publish, set_entries

DOMAIN = "client.alpha-rsp.example"
STATE = "/ry/alpha/v2/monitoring/state"


@pytest.fixture
def alpha(app, world, tmp_path):
    """alpha's one entry DOMAIN: mosapi-slam and the RRI monthly role from 127.0.0.1/32, with a
    3 1 1 record for the returned credential."""
    good = client_cert(tmp_path, DOMAIN)
    set_entries(app, [Entry(DOMAIN, ("mosapi-slam", "rri-monthly-reports"), ("127.0.0.1/32",))])
    publish(app, world.rsp, DOMAIN, good.cert)
    return good


def credential_of(cred) -> cc.ClientCredential:
    return cc.load(cred.cert_file.read_bytes(), cred.key_file.read_bytes())


def target(port: int, path: str = STATE, source: str = "127.0.0.1", **kw) -> tc.Target:
    return tc.Target(
        kw.get("system", "mosapi"), "127.0.0.1", port, kw.get("method", "GET"), path, source
    )


def closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


# ------------------------------------------------------------------ the call


def test_allowed_call_reports_status_body_decision_and_timing(app, start_mock, alpha):
    server = start_mock("mosapi")
    result = tc.call(target(server.port), credential_of(alpha), server.ca_file)
    assert result.error is None and result.status == 200, result
    row = last_decision(app)
    assert result.verdict is not None and result.verdict.allowed
    assert result.verdict.decision_id == row.id and row.status_code == 200
    assert result.body_start.startswith("{") and not result.body_truncated
    headers = {k.lower(): v for k, v in result.headers}
    assert headers["x-tlsauth-decision"] == f"{row.id}; allowed tls-client-auth via {DOMAIN}"
    assert 0 < result.elapsed_ms < 5000


def test_call_from_outside_the_prefixes_is_refused_with_the_deciding_reason(app, start_mock, alpha):
    server = start_mock("mosapi")
    result = tc.call(target(server.port, source="127.0.0.2"), credential_of(alpha), server.ca_file)
    row = last_decision(app)
    assert row.source_address == "127.0.0.2"
    assert result.status == row.status_code and result.status in (401, 403)
    assert result.verdict is not None and not result.verdict.allowed
    assert result.verdict.reason == row.deciding_reason == "source-not-in-acl"


def test_put_is_sent_with_an_empty_body_and_the_status_is_the_mocks(app, start_mock, alpha):
    server = start_mock("rri")
    path = "/report/registrar-transactions/alpha/2026-01"
    result = tc.call(
        target(server.port, path, system="rri", method="PUT"), credential_of(alpha), server.ca_file
    )
    row = last_decision(app)
    assert result.verdict is not None and result.verdict.allowed
    assert result.status == row.status_code and result.status >= 400  # the empty upload's answer


def test_the_curl_command_makes_the_same_call(app, start_mock, alpha):
    server = start_mock("mosapi")
    t = target(server.port, source="127.0.0.2")
    command = tc.curl_command(t, str(server.ca_file), str(alpha.cert_file), str(alpha.key_file))
    ours = tc.call(t, credential_of(alpha), server.ca_file)
    ran = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=30)
    assert ran.returncode == 0, ran.stderr
    status_line, _, rest = ran.stdout.partition("\n")
    assert status_line.split()[1] == str(ours.status)
    header = next(line for line in rest.splitlines() if line.lower().startswith("x-tlsauth"))
    assert header.strip().endswith("; source-not-in-acl")
    assert last_decision(app).source_address == "127.0.0.2"


def test_curl_command_for_an_upload_and_an_encrypted_key():
    t = tc.Target("rri", "127.0.0.1", 8444, "PUT", "/report/x/alpha/2026-01", "127.0.0.3")
    command = tc.curl_command(
        t, "certs/harness-ca.pem", "my cert.pem", "k.key", key_passphrase=True
    )
    assert command == (
        "curl -i --cacert certs/harness-ca.pem --cert 'my cert.pem' --key k.key "
        "--pass \"$KEY_PASSPHRASE\" --interface 127.0.0.3 -X PUT -H 'Content-Length: 0' "
        "https://127.0.0.1:8444/report/x/alpha/2026-01"
    )
    v6 = tc.Target("mosapi", "::1", 8443, "GET", STATE, "::1")
    assert tc.curl_command(v6, "ca.pem").endswith(f"--interface ::1 -g 'https://[::1]:8443{STATE}'")


def test_a_silent_mock_gives_the_timeout_message_quickly(alpha, certs_dir, silent_port):
    from infra.harness_pki import ensure_material

    ca_file = ensure_material(certs_dir).ca_cert
    started = time.monotonic()
    result = tc.call(target(silent_port), credential_of(alpha), ca_file, timeout=1)
    assert time.monotonic() - started < 4.5  # the 1 s asked for, not the 5 s default
    assert result.status is None
    assert result.error == (
        f"The MoSAPI mock at 127.0.0.1:{silent_port} did not answer within 1 s. "
        "Is `tlsauth serve` running?"
    )


def test_nothing_listening_is_a_clear_refusal(alpha, certs_dir):
    from infra.harness_pki import ensure_material

    ca_file = ensure_material(certs_dir).ca_cert
    port = closed_port()
    result = tc.call(target(port, system="rri"), credential_of(alpha), ca_file, timeout=2)
    assert result.error is not None
    assert result.error.startswith(f"The RRI mock at 127.0.0.1:{port} refused the connection")


def test_a_server_the_harness_ca_did_not_issue_is_a_tls_failure(app, start_mock, alpha, tmp_path):
    server = start_mock("mosapi")
    other_ca = pki.CA.create("Another CA").cert_pem.write_to_path(tmp_path / "other-ca.pem")
    result = tc.call(target(server.port), credential_of(alpha), other_ca, timeout=3)
    assert result.status is None and result.error is not None
    assert "does not vouch for" in result.error and "certificates folder" in result.error


@pytest.mark.parametrize("memfd", [True, False], ids=["memfd", "private-folder"])
def test_the_key_is_never_left_on_disk(app, start_mock, alpha, tmp_path, monkeypatch, memfd):
    server = start_mock("mosapi")
    credential = credential_of(alpha)
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    if not memfd:  # a system without memfd: the private temporary folder is used
        monkeypatch.delattr(os, "memfd_create")
    result = tc.call(target(server.port), credential, server.ca_file)
    assert result.status == 200 and result.verdict is not None and result.verdict.allowed
    assert list(temp.iterdir()) == [], "something was left in the temporary folder"


# ------------------------------------------------------------------ credentials


def _finding(exc: pytest.ExceptionInfo[Invalid]) -> tuple[str, str]:
    finding = exc.value.findings[0]
    return finding.field, finding.message


def test_an_uploaded_pair_is_loaded_with_its_chain_and_name(certs_dir, tmp_path):
    from infra.harness_pki import ensure_material
    from tests.helpers import load_ca

    ensure_material(certs_dir)
    ca = load_ca(certs_dir)
    leaf = ca.issue_cert(DOMAIN, usage=("client",))
    loaded = cc.load(leaf.chain_pem.data, leaf.key_pem.data)
    assert loaded.name == DOMAIN and len(loaded.chain) == 2 and not loaded.self_signed
    assert "key=" not in repr(loaded)


@pytest.mark.parametrize(
    ("cert", "key", "passphrase", "field", "words"),
    [
        ("der", "ok", None, "certificate", "not a PEM certificate"),
        ("key", "ok", None, "certificate", "not a PEM certificate"),
        ("ok", "cert", None, "key", "not a PEM private key"),
        ("ok", "other", None, "key", "does not belong to the certificate"),
        ("ok", "encrypted", None, "passphrase", "encrypted: give its passphrase"),
        ("ok", "encrypted", "wrong passphrase", "passphrase", "does not open this key"),
        ("huge", "ok", None, "certificate", "larger than 64 KiB"),
        ("ok", "huge", None, "key", "larger than 64 KiB"),
        ("", "ok", None, "certificate", "Choose the certificate"),
        ("ok", "", None, "key", "Choose the private key"),
        ("damaged", "ok", None, "certificate", "damaged"),
    ],
)
def test_bad_uploads_are_refused_with_a_clear_message(
    tmp_path, cert, key, passphrase, field, words
):
    leaf = pki.self_signed(DOMAIN)
    other = pki.self_signed(DOMAIN)
    pem = leaf.cert_pem.data
    certs = {
        "ok": pem,
        "der": leaf.cert.public_bytes(serialization.Encoding.DER),
        "key": leaf.key_pem.data,
        "huge": pem + b"#" * (64 * 1024),
        "": b"",
        "damaged": pem.replace(pem.split(b"\n")[3], b"A" * 64),
    }
    keys = {
        "ok": leaf.key_pem.data,
        "cert": pem,
        "other": other.key_pem.data,
        "encrypted": pki.key_pem(leaf.key, "right passphrase").data,
        "huge": leaf.key_pem.data + b"#" * (64 * 1024),
        "": b"",
    }
    with pytest.raises(Invalid) as exc:
        cc.load(certs[cert], keys[key], passphrase)
    got_field, message = _finding(exc)
    assert got_field == field and words in message, message


def test_an_encrypted_key_opens_with_its_passphrase():
    leaf = pki.self_signed(DOMAIN)
    loaded = cc.load(
        leaf.cert_pem.data, pki.key_pem(leaf.key, "right passphrase").data, "right passphrase"
    )
    assert loaded.spki_sha256 == cc.cw.spki_sha256(leaf.cert)


# ------------------------------------------------------------------ session store


def _credential() -> cc.ClientCredential:
    leaf = pki.self_signed(DOMAIN)
    return cc.load(leaf.cert_pem.data, leaf.key_pem.data, origin="generated")


def test_remembered_credentials_expire_after_the_ttl():
    now = [1000.0]
    store = CredentialStore(ttl=3600, clock=lambda: now[0])
    item = store.remember("u1:s", _credential())
    assert store.get("u1:s", item.id) == item
    now[0] += 3599
    assert [r.id for r in store.list("u1:s")] == [item.id]
    now[0] += 2
    assert store.list("u1:s") == [] and store.get("u1:s", item.id) is None


def test_each_owner_keeps_its_newest_ten_and_sees_only_its_own():
    store = CredentialStore()
    ids = [store.remember("u1:s", _credential()).id for _ in range(12)]
    assert [r.id for r in store.list("u1:s")] == ids[::-1][:10]
    assert store.list("u2:s") == [] and store.get("u2:s", ids[-1]) is None


def test_the_store_forgets_the_oldest_owner_beyond_its_bound():
    store = CredentialStore(max_owners=2)
    first = store.remember("a", _credential())
    store.remember("b", _credential())
    store.remember("c", _credential())
    assert store.get("a", first.id) is None and len(store.list("b")) == 1


# ------------------------------------------------------------------ source addresses


def test_loopback_addresses_are_those_that_bind():
    found = loopback_addresses()
    assert "127.0.0.1" in found and set(found) <= set(CANDIDATES)
    assert all(binds(a) for a in found)
    assert not binds("192.0.2.1")  # TEST-NET-1 is on no interface here


@pytest.mark.parametrize(
    ("mock_host", "source", "expected"),
    [
        ("127.0.0.1", "127.0.0.2", "127.0.0.1"),
        ("127.0.0.1", "::1", None),
        ("::1", "::1", "::1"),
        ("::1", "127.0.0.1", None),
        ("0.0.0.0", "127.0.0.3", "127.0.0.1"),  # noqa: S104 (a listen address, compared)
        ("0.0.0.0", "::1", None),  # noqa: S104
        ("::", "::1", "::1"),
        ("::", "127.0.0.2", "127.0.0.1"),
        ("localhost", "::1", "localhost"),
    ],
)
def test_the_mock_is_reached_from_sources_of_its_family(mock_host, source, expected):
    assert tc.connect_host(mock_host, source) == expected


def test_sources_offered_are_those_that_reach_the_mocks():
    offered = tc.reachable_sources("127.0.0.1", ["127.0.0.1", "127.0.0.2", "::1"])
    assert offered == ["127.0.0.1", "127.0.0.2"]
