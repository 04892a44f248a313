"""What the mocks hold while they run, over real mutual TLS: the harness zone as it changes
under a running mock, the status each logged decision records, MoSAPI sessions bound to their
TLD and account, and whose X-Forwarded-For decides the source address."""

from __future__ import annotations

import http.client
import ssl

import pytest

from infra.database import db
from portal.core.tlsa import record_for
from portal.core.validation import Entry
from portal.services import directory, zone
from tests.helpers import (
    REGISTRY_PASSWORD,
    Credential,
    basic_auth,
    client_cert,
    last_decision,
    open_basic,
    publish,
    set_entries,
    trusted_client,
)
from tests.mock_fixtures import Answer

DOMAIN = "client.alpha-rsp.example"
STATE = "/ry/alpha/v2/monitoring/state"
ACTIVITY = "/report/registry-functions-activity/alpha/2026-01"
ACTIVITY_STATUS = "/info/report/registry-functions-activity/alpha/2026-01"
CSV = {"Content-Type": "text/csv"}
RY = ("alpha_ry", REGISTRY_PASSWORD)


def _decision_id(answer: Answer) -> int:
    return int(answer.decision.split(";", 1)[0])


def _logged(app, answer: Answer):
    """The last decision, checked to be the one the answer's header names."""
    row = last_decision(app)
    assert _decision_id(answer) == row.id, answer.decision
    return row


# ------------------------------------------------------------------ the zone changes under a mock


def _publish_record(app, email: str, cred: Credential) -> int:
    with app.app_context():
        user = directory.get_user(db.session, email)
        body = {"name": DOMAIN, **record_for(cred.cert, 3, 1, 1).as_dict()}
        row, _ = zone.publish(zone.Publisher(db.session, user, "cli"), body)
        return row.id


def _remove_record(app, email: str, record_id: int) -> None:
    with app.app_context():
        user = directory.get_user(db.session, email)
        zone.remove(zone.Publisher(db.session, user, "cli"), record_id)


@pytest.mark.parametrize("system", ["mosapi", "rri"])
def test_a_record_published_after_the_first_call_opens_the_next_one(
    app, world, start_mock, tmp_path, system
):
    cred = client_cert(tmp_path, DOMAIN)
    set_entries(app, [Entry(DOMAIN, ("mosapi-slam", "rri-monthly-reports"), ("127.0.0.1/32",))])
    server = start_mock(system)
    path, allowed_status = (STATE, 200) if system == "mosapi" else (ACTIVITY_STATUS, 404)

    before = server.request("GET", path, cred=cred)
    assert before.status == 401
    assert _logged(app, before).deciding_reason == "no-tlsa-at-name"

    record_id = _publish_record(app, world.rsp, cred)
    after = server.request("GET", path, cred=cred)
    assert after.status == allowed_status, after.text
    row = _logged(app, after)
    assert (row.result, row.matched_entry) == ("allowed", DOMAIN)

    _remove_record(app, world.rsp, record_id)
    removed = server.request("GET", path, cred=cred)
    assert removed.status == 401
    assert _logged(app, removed).deciding_reason == "no-tlsa-at-name"


# ------------------------------------------------------------------ the status logged


@pytest.fixture
def both_mocks(app, world, start_mock, tmp_path):
    cred = trusted_client(app, world.rsp, tmp_path, DOMAIN)
    return cred, start_mock("mosapi"), start_mock("rri", MAX_BODY_BYTES=1024)


@pytest.mark.parametrize(
    ("system", "method", "path", "body", "status"),
    [
        ("mosapi", "GET", STATE, None, 200),
        ("mosapi", "GET", "/ry/alpha/v2/monitoring/dns/incidents/no-such-incident", None, 404),
        ("rri", "PUT", ACTIVITY, b"this is not a report\r\n", 400),
        ("rri", "GET", ACTIVITY_STATUS, None, 404),
        ("rri", "PUT", ACTIVITY, b"x" * 4096, 413),  # over MAX_BODY_BYTES
    ],
    ids=["mosapi-200", "mosapi-404", "rri-400", "rri-404", "rri-413"],
)
def test_an_allowed_call_logs_the_status_the_view_answered(
    app, both_mocks, system, method, path, body, status
):
    cred, mosapi, rri = both_mocks
    server = mosapi if system == "mosapi" else rri
    answer = server.request(method, path, cred=cred, body=body, headers=CSV if body else None)
    assert answer.status == status, answer.text
    row = _logged(app, answer)
    assert row.result == "allowed" and row.status_code == status


@pytest.mark.parametrize(
    ("system", "path", "source", "status"),
    [
        ("mosapi", STATE, None, 401),  # no certificate
        ("mosapi", STATE, "127.0.0.2", 401),
        ("rri", ACTIVITY_STATUS, None, 401),
        ("rri", ACTIVITY_STATUS, "127.0.0.2", 403),  # a known client outside its prefixes
    ],
    ids=["mosapi-no-cert", "mosapi-outside", "rri-no-cert", "rri-outside"],
)
def test_a_refused_call_logs_the_status_it_was_refused_with(
    app, both_mocks, system, path, source, status
):
    cred, mosapi, rri = both_mocks
    server = mosapi if system == "mosapi" else rri
    answer = server.request("GET", path, cred=None if source is None else cred, source=source)
    assert answer.status == status
    row = _logged(app, answer)
    assert row.result == "denied" and row.status_code == status


# ------------------------------------------------------------------ MoSAPI sessions


def _session_cookie(answer: Answer) -> str:
    assert answer.status == 200, answer.text
    return answer.headers["set-cookie"].split(";", 1)[0].split("=", 1)[1]


def _with_cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"id={token}"}


def test_a_session_of_one_tld_does_not_open_another(app, world, start_mock):
    open_basic(app, "alpha")
    # beta's own Basic prefixes admit the caller: only the session's TLD can refuse it.
    open_basic(app, "beta")
    server = start_mock("mosapi")
    token = _session_cookie(server.request("GET", "/ry/alpha/login", headers=basic_auth(*RY)))

    elsewhere = server.request("GET", "/ry/beta/v2/monitoring/state", headers=_with_cookie(token))
    assert elsewhere.status == 401
    row = _logged(app, elsewhere)
    assert (row.tld, row.result, row.auth_path) == ("beta", "denied", "session")
    assert "session-unknown" in row.reasons
    # logout on beta neither ends the session there nor here
    assert server.request("GET", "/ry/beta/logout", headers=_with_cookie(token)).status == 401

    home = server.request("GET", STATE, headers=_with_cookie(token))
    assert home.status == 200, home.text
    row = _logged(app, home)
    assert (row.result, row.auth_path, row.matched_entry) == ("allowed", "session", "alpha_ry")


def test_a_second_login_of_the_account_ends_the_first_session(app, world, start_mock):
    open_basic(app, "alpha")
    server = start_mock("mosapi")
    first = _session_cookie(server.request("GET", "/ry/alpha/login", headers=basic_auth(*RY)))
    assert server.request("GET", STATE, headers=_with_cookie(first)).status == 200
    second = _session_cookie(server.request("GET", "/ry/alpha/login", headers=basic_auth(*RY)))
    assert second != first

    evicted = server.request("GET", STATE, headers=_with_cookie(first))
    assert evicted.status == 401
    assert "session-unknown" in _logged(app, evicted).reasons
    assert server.request("GET", STATE, headers=_with_cookie(second)).status == 200


# ------------------------------------------------------------------ X-Forwarded-For

INSIDE = "192.0.2.7"  # in the entry's prefixes
OUTSIDE = "198.51.100.9"  # in none


@pytest.fixture
def forwarded_client(app, world, tmp_path) -> Credential:
    cred = client_cert(tmp_path, DOMAIN)
    set_entries(app, [Entry(DOMAIN, ("mosapi-slam",), ("127.0.0.1/32", "192.0.2.0/24"))])
    publish(app, world.rsp, DOMAIN, cred.cert)
    return cred


def _forwarded(server, cred: Credential, xff: str, source: str | None = None) -> Answer:
    return server.request("GET", STATE, cred=cred, source=source, headers={"X-Forwarded-For": xff})


@pytest.mark.parametrize("trusted", ["", "10.0.0.0/8"], ids=["none-trusted", "peer-untrusted"])
def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(
    app, start_mock, forwarded_client, trusted
):
    server = start_mock("mosapi", TRUSTED_PROXIES=trusted)

    # From inside the prefixes, claiming to be outside them: the socket's address decides.
    claimed_outside = _forwarded(server, forwarded_client, OUTSIDE)
    assert claimed_outside.status == 200, claimed_outside.text
    row = _logged(app, claimed_outside)
    assert (row.result, row.source_address) == ("allowed", "127.0.0.1")

    # From outside them, claiming to be inside: still the socket's address.
    claimed_inside = _forwarded(server, forwarded_client, INSIDE, source="127.0.0.2")
    assert claimed_inside.status == 401
    row = _logged(app, claimed_inside)
    assert (row.deciding_reason, row.source_address) == ("source-not-in-acl", "127.0.0.2")


def test_x_forwarded_for_from_a_trusted_proxy_decides(app, start_mock, forwarded_client):
    server = start_mock("mosapi", TRUSTED_PROXIES="10.0.0.0/8, 127.0.0.0/8")

    outside = _forwarded(server, forwarded_client, OUTSIDE)
    assert outside.status == 401
    row = _logged(app, outside)
    assert (row.deciding_reason, row.source_address) == ("source-not-in-acl", OUTSIDE)

    # The proxy itself (127.0.0.2) is outside the prefixes; the client it names is inside.
    inside = _forwarded(server, forwarded_client, INSIDE, source="127.0.0.2")
    assert inside.status == 200, inside.text
    row = _logged(app, inside)
    assert (row.result, row.source_address) == ("allowed", INSIDE)


@pytest.mark.parametrize(
    ("xff", "source_address", "status"),
    [
        # Trusted hops on the right are our own proxies: the first other hop is the client.
        (f"{OUTSIDE}, {INSIDE}, 127.0.0.5, 10.1.2.3", INSIDE, 200),
        # A client may write anything to the left of what our proxies add; it is not believed.
        (f"{INSIDE}, {OUTSIDE}", OUTSIDE, 401),
        # Only our own proxies named: the socket's peer is the client.
        ("10.1.2.3, 127.0.0.5", "127.0.0.1", 200),
    ],
    ids=["skips-trusted-hops", "rightmost-untrusted-hop", "all-hops-trusted"],
)
def test_multi_hop_x_forwarded_for_is_read_from_the_right(
    app, start_mock, forwarded_client, xff, source_address, status
):
    server = start_mock("mosapi", TRUSTED_PROXIES="10.0.0.0/8,127.0.0.0/8")
    answer = _forwarded(server, forwarded_client, xff)
    assert answer.status == status, answer.text
    assert _logged(app, answer).source_address == source_address


def test_x_forwarded_for_on_several_lines_is_read_as_one_list(app, start_mock, forwarded_client):
    """A proxy chain that adds its own X-Forwarded-For line (HAProxy's `option forwardfor`)
    sends the header twice; HTTP reads repeated lines as one comma-separated list, so the
    client named on the first line is not lost."""
    server = start_mock("mosapi", TRUSTED_PROXIES="127.0.0.0/8")
    ctx = ssl.create_default_context(cafile=str(server.ca_file))
    ctx.load_cert_chain(str(forwarded_client.cert_file), str(forwarded_client.key_file))
    conn = http.client.HTTPSConnection("localhost", server.port, context=ctx, timeout=20)
    try:
        conn.putrequest("GET", STATE)
        conn.putheader("X-Forwarded-For", OUTSIDE)
        conn.putheader("X-Forwarded-For", "127.0.0.5")
        conn.endheaders()
        response = conn.getresponse()
        answer = Answer(
            response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        )
    finally:
        conn.close()
    assert answer.status == 401, answer.text
    row = _logged(app, answer)
    assert (row.deciding_reason, row.source_address) == ("source-not-in-acl", OUTSIDE)
