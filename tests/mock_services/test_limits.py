"""The MoSAPI mock's client limits over real mTLS: connections per client certificate and
failed logins, each answered 429 and each switchable off."""

from __future__ import annotations

import http.client
import ssl
import time

import pytest

from tests.helpers import basic_auth, client_cert, last_decision, open_basic, trusted_client

DOMAIN = "limits.alpha.example"
STATE = "/ry/alpha/v2/monitoring/state"
LOGIN = "/ry/alpha/login"


@pytest.fixture
def cred(app, world, tmp_path):
    return trusted_client(app, world.rsp, tmp_path, DOMAIN)


def connect(server, cred=None) -> http.client.HTTPSConnection:
    ctx = ssl.create_default_context(cafile=str(server.ca_file))
    if cred is not None:
        ctx.load_cert_chain(str(cred.cert_file), str(cred.key_file))
    return http.client.HTTPSConnection("localhost", server.port, context=ctx, timeout=10)


def get(conn: http.client.HTTPSConnection, path: str = STATE) -> http.client.HTTPResponse:
    """A GET on a connection that stays open (keep-alive) for the next one."""
    conn.request("GET", path)
    response = conn.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    return response


def served_again_within(server, cred, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        conn = connect(server, cred)
        try:
            if get(conn).status == 200:
                return True
        finally:
            conn.close()
        time.sleep(0.1)
    return False


def test_a_fifth_connection_with_the_same_certificate_is_refused(app, start_mock, cred, tmp_path):
    # Four concurrent sessions per certificate: nomulus core/src/main/java/google/registry/
    # mosapi/module/MosApiModule.java, provideMosapiTldExecutor, citing the MoSAPI
    # specification section 12.3 (read in the forks njshah301/nomulus and weiminyu/nomulus).
    # The answer beyond it is the harness's (docs/decisions.md).
    server = start_mock("mosapi")  # TLSAUTH_MOSAPI_CONNECTIONS_PER_CERT: 4 by default
    held = [connect(server, cred) for _ in range(4)]
    try:
        for conn in held:  # a connection counts from its first request until it closes
            assert get(conn).status == 200
        fifth = connect(server, cred)
        refused = get(fifth)
        assert refused.status == 429, refused.body
        assert refused.getheader("Connection") == "close"
        assert b"at most 4 may be open" in refused.body
        assert refused.getheader("Content-Type").startswith("text/plain")
        row = last_decision(app)
        assert (row.status_code, row.reasons) == (429, ["too-many-connections"])
        assert row.cert_spki_sha256 == cred.spki_sha256()
        fifth.close()
        # the four are still served; another certificate and no certificate are not counted
        assert get(held[0]).status == 200
        other = client_cert(tmp_path, "other.alpha.example")
        assert get(connect(server, other)).status == 401
        assert get(connect(server)).status == 401
        # closing one frees its place
        held.pop().close()
        assert served_again_within(server, cred, seconds=5)
    finally:
        for conn in held:
            conn.close()


def test_with_the_connection_cap_off_a_fifth_connection_is_served(start_mock, cred, monkeypatch):
    monkeypatch.setenv("TLSAUTH_MOSAPI_CONNECTIONS_PER_CERT", "0")
    server = start_mock("mosapi")
    held = [connect(server, cred) for _ in range(5)]
    try:
        assert [get(conn).status for conn in held] == [200] * 5
    finally:
        for conn in held:
            conn.close()


def test_login_failures_beyond_the_limit_get_429_with_retry_after(app, world, start_mock):
    # ICANN rate-limits authentication (onasunnymorning/icann-client rri/doGet.go, doGet, and
    # CHANGELOG.md v0.4.0); no public text gives the limit or the answer: TLSAUTH_MOSAPI_LOGIN_
    # FAILURES ("5 per minute") and 429 with Retry-After are the harness's (docs/decisions.md).
    right = open_basic(app)
    wrong = basic_auth("alpha_ry", "wrong-password")
    server = start_mock("mosapi")
    assert [server.request("GET", LOGIN, headers=wrong).status for _ in range(5)] == [401] * 5
    limited = server.request("GET", LOGIN, headers=right)  # even the right password waits
    assert limited.status == 429, limited.text
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert "Too many failed logins" in limited.text
    row = last_decision(app)
    assert (row.status_code, row.reasons) == (429, ["too-many-login-failures"])
    assert "set-cookie" not in limited.headers
    # counted per source address: another address may still log in
    other = server.request("GET", LOGIN, headers=right, source="127.0.0.2")
    assert other.status != 429


def test_with_the_login_limit_off_failures_are_not_counted(app, world, start_mock, monkeypatch):
    monkeypatch.setenv("TLSAUTH_MOSAPI_LOGIN_FAILURES", "0")
    right = open_basic(app)
    server = start_mock("mosapi")
    wrong = basic_auth("alpha_ry", "wrong-password")
    assert [server.request("GET", LOGIN, headers=wrong).status for _ in range(8)] == [401] * 8
    assert server.request("GET", LOGIN, headers=right).status == 200
