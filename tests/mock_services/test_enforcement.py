"""The mocks enforce the stored policy over real mutual TLS (real sockets, real certificates)."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from infra.database import db
from mock_services.enforcement import MOSAPI_DENIED
from portal.core.validation import Entry
from portal.models import MosapiSession, Tld
from portal.services import configuration as cfg
from tests.helpers import client_cert, last_decision, load_ca, publish, set_entries

DOMAIN = "client.alpha-rsp.example"
# system → (method, path on TLD alpha, role it needs, status when allowed)
PROBES = {
    "mosapi": ("GET", "/ry/alpha/v2/monitoring/state", "mosapi-slam", 200),
    "rri": (
        "GET",
        "/info/report/registry-functions-activity/alpha/2026-01",
        "rri-monthly-reports",
        404,
    ),
}


@pytest.fixture
def alpha(app, world, tmp_path):
    """alpha has one entry DOMAIN with the probe roles, 127.0.0.1/32; a 3 1 1 record for `good`."""
    good = client_cert(tmp_path, DOMAIN)
    set_entries(app, [Entry(DOMAIN, ("mosapi-slam", "rri-monthly-reports"), ("127.0.0.1/32",))])
    publish(app, world.rsp, DOMAIN, good.cert)
    return good


@pytest.fixture(params=["mosapi", "rri"])
def system(request):
    return request.param


def probe(server, system, **kw):
    method, path, _, _ = PROBES[system]
    return server.request(method, path, **kw)


def test_matching_key_from_inside_the_acl_is_allowed(app, start_mock, alpha, system):
    server = start_mock(system)
    answer = probe(server, system, cred=alpha)
    assert answer.status == PROBES[system][3], answer.text
    row = last_decision(app)
    assert row.result == "allowed" and row.auth_path == "tls-client-auth"
    assert row.matched_entry == DOMAIN and row.reasons == []
    assert row.cert_spki_sha256 == alpha.spki_sha256()
    assert answer.decision == f"{row.id}; allowed tls-client-auth via {DOMAIN}"
    if system == "mosapi":
        body = __import__("json").loads(answer.body)
        assert body["tld"] == "alpha" and body["version"] == 2


def test_tls12_client_is_served_too(app, start_mock, alpha, system):
    server = start_mock(system)
    answer = probe(server, system, cred=alpha, tls_max=ssl.TLSVersion.TLSv1_2)
    assert answer.status == PROBES[system][3]


def test_different_key_is_denied_with_tlsa_mismatch(app, start_mock, alpha, system, tmp_path):
    other = client_cert(tmp_path, DOMAIN, stem="other")
    server = start_mock(system)
    answer = probe(server, system, cred=other)
    assert answer.status == 401
    if system == "mosapi":
        assert answer.text == MOSAPI_DENIED and answer.headers["content-type"].startswith(
            "text/plain"
        )
    row = last_decision(app)
    assert row.result == "denied" and "tlsa-mismatch" in row.reasons
    assert answer.decision.endswith("; tlsa-mismatch")


def test_right_key_from_outside_the_acl_is_denied(app, start_mock, alpha, system):
    server = start_mock(system)
    answer = probe(server, system, cred=alpha, source="127.0.0.2")
    assert answer.status == (401 if system == "mosapi" else 403)
    row = last_decision(app)
    assert row.source_address == "127.0.0.2"
    assert row.reasons == ["source-not-in-acl", "no-credentials"] and row.matched_entry == DOMAIN


def test_role_removed_in_the_portal_is_enforced_on_the_next_call(app, start_mock, alpha, system):
    server = start_mock(system)
    assert probe(server, system, cred=alpha).status == PROBES[system][3]
    keep = "rri-monthly-reports" if system == "mosapi" else "mosapi-slam"
    set_entries(app, [Entry(DOMAIN, (keep,), ("127.0.0.1/32",))])
    answer = probe(server, system, cred=alpha)
    assert answer.status == (401 if system == "mosapi" else 403)
    assert last_decision(app).reasons == ["role-not-granted", "no-credentials"]


def test_no_certificate_and_no_credentials(app, start_mock, alpha, system):
    server = start_mock(system)
    answer = probe(server, system)
    assert answer.status == 401
    if system == "mosapi":
        assert answer.text == MOSAPI_DENIED
    else:
        assert answer.headers["www-authenticate"].startswith("Basic")
    assert last_decision(app).reasons == ["no-certificate", "no-credentials"]


def test_unconfigured_tld(app, start_mock, world, tmp_path, system):
    cred = client_cert(tmp_path, DOMAIN)
    server = start_mock(system)
    answer = probe(server, system, cred=cred)
    assert answer.status == 401
    assert last_decision(app).reasons == ["tld-not-configured", "no-credentials"]


def test_expired_certificate_under_dane_ee_is_allowed_with_a_warning(
    app, world, start_mock, tmp_path, system
):
    expired = client_cert(tmp_path, DOMAIN, expired=True)
    set_entries(app, [Entry(DOMAIN, ("mosapi-slam", "rri-monthly-reports"), ("127.0.0.1/32",))])
    publish(app, world.rsp, DOMAIN, expired.cert)
    server = start_mock(system)
    assert probe(server, system, cred=expired).status == PROBES[system][3]
    row = last_decision(app)
    assert row.result == "allowed" and row.warnings == ["certificate-expired"]


def test_dane_ta_for_the_harness_ca(app, world, start_mock, certs_dir, tmp_path, system):
    server = start_mock(system)  # creates the harness CA
    ca = load_ca(certs_dir)
    set_entries(app, [Entry(DOMAIN, ("mosapi-slam", "rri-monthly-reports"), ("127.0.0.1/32",))])
    publish(app, world.rsp, DOMAIN, ca.cert, usage=2, selector=0, matching_type=1)
    right = client_cert(tmp_path, DOMAIN, issuer=ca, stem="right")
    wrong = client_cert(tmp_path, DOMAIN, issuer=ca, san="someone-else.example", stem="wrong")
    assert probe(server, system, cred=right).status == PROBES[system][3], (
        last_decision(app).reasons,
        last_decision(app).cert_subject,
    )
    assert last_decision(app).result == "allowed"
    assert probe(server, system, cred=wrong).status == 401
    assert last_decision(app).reasons == ["san-mismatch", "no-credentials"]


def test_several_entries_first_matching_with_role_and_acl_wins(app, world, start_mock, tmp_path):
    a = client_cert(tmp_path, "a.example")
    b = client_cert(tmp_path, "b.example")
    set_entries(
        app,
        [
            Entry("a.example", ("mosapi-daar",), ("127.0.0.1/32",)),
            Entry("b.example", ("mosapi-slam",), ("127.0.0.0/8",)),
        ],
    )
    publish(app, world.rsp, "a.example", a.cert)
    publish(app, world.rsp, "b.example", b.cert)
    server = start_mock("mosapi")
    assert (
        server.request("GET", "/ry/alpha/v2/monitoring/state", cred=b, source="127.0.0.3").status
        == 200
    )
    assert last_decision(app).matched_entry == "b.example"
    assert server.request("GET", "/ry/alpha/v2/monitoring/state", cred=a).status == 401
    assert last_decision(app).reasons == ["role-not-granted", "no-credentials"]
    assert server.request("GET", "/ry/alpha/v2/metrica/domainList/latest", cred=a).status in (
        200,
        404,
    )
    assert last_decision(app).result == "allowed"


def test_key_rollover_two_records_at_one_name(app, world, start_mock, alpha, tmp_path):
    new = client_cert(tmp_path, DOMAIN, stem="new")
    publish(app, world.rsp, DOMAIN, new.cert, selector=0, matching_type=2)
    server = start_mock("mosapi")
    assert server.request("GET", "/ry/alpha/v2/monitoring/state", cred=alpha).status == 200
    assert server.request("GET", "/ry/alpha/v2/monitoring/state", cred=new).status == 200


def test_explanation_header_can_be_turned_off(app, start_mock, alpha):
    server = start_mock("mosapi", EXPLAIN_HEADER=False)
    answer = server.request("GET", "/ry/alpha/v2/monitoring/state")
    assert answer.status == 401 and answer.text == MOSAPI_DENIED
    assert "x-tlsauth-decision" not in answer.headers
    assert last_decision(app).reasons == ["no-certificate", "no-credentials"]  # still logged


# --------------------------------------------------------------------------- credentials


def _basic(user: str, password: str) -> dict[str, str]:
    import base64

    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture
def passwords(app, world):
    with app.app_context():
        tld = db.session.scalars(select(Tld).where(Tld.name == "alpha")).one()
        actor = cfg.Actor("test", "cli")
        cfg.set_password(db.session, tld, "ry", "registry-password-1", tld.version, actor)
        cfg.set_password(db.session, tld, "dea", "escrow-password-12", tld.version, actor)
        cfg.set_basic_acl(db.session, tld, ["127.0.0.1/32"], tld.version, actor, cfg.Limits())
    return {"ry": ("alpha_ry", "registry-password-1"), "dea": ("alpha_dea", "escrow-password-12")}


def _cookie(answer) -> str:
    raw = answer.headers["set-cookie"]
    return raw.split(";", 1)[0].split("=", 1)[1]


def test_mosapi_login_cookie_flow_and_eviction(app, start_mock, passwords):
    server = start_mock("mosapi")
    denied = server.request("GET", "/ry/alpha/login", headers=_basic("alpha_ry", "wrong-password"))
    assert denied.status == 401 and last_decision(app).reasons == ["bad-password"]
    first = server.request("GET", "/ry/alpha/login", headers=_basic(*passwords["ry"]))
    assert first.status == 200
    cookie = first.headers["set-cookie"]
    token = _cookie(first)
    assert len(token) == 40 and all(c in "0123456789abcdef" for c in token)
    for attr in ("Path=/ry/alpha", "Secure", "HttpOnly", "Max-Age=900"):
        assert attr in cookie
    ok = server.request("GET", "/ry/alpha/v2/monitoring/state", headers={"Cookie": f"id={token}"})
    assert ok.status == 200 and last_decision(app).auth_path == "session"
    second = server.request("GET", "/ry/alpha/login", headers=_basic(*passwords["ry"]))
    assert second.status == 200 and _cookie(second) != token
    evicted = server.request(
        "GET", "/ry/alpha/v2/monitoring/state", headers={"Cookie": f"id={token}"}
    )
    assert evicted.status == 401 and "session-unknown" in last_decision(app).reasons
    # expiry: 15 minutes absolute
    with app.app_context():
        db.session.execute(
            update(MosapiSession).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        db.session.commit()
    expired = server.request(
        "GET", "/ry/alpha/v2/monitoring/state", headers={"Cookie": f"id={_cookie(second)}"}
    )
    assert expired.status == 401 and "session-expired" in last_decision(app).reasons
    # the escrow agent account cannot log in to MoSAPI
    dea = server.request("GET", "/ry/alpha/login", headers=_basic(*passwords["dea"]))
    assert dea.status == 401 and last_decision(app).reasons == ["account-not-allowed-here"]


def test_mosapi_logout_ends_the_session(app, start_mock, passwords):
    server = start_mock("mosapi")
    token = _cookie(server.request("GET", "/ry/alpha/login", headers=_basic(*passwords["ry"])))
    assert (
        server.request("GET", "/ry/alpha/logout", headers={"Cookie": f"id={token}"}).status == 200
    )
    after = server.request(
        "GET", "/ry/alpha/v2/monitoring/state", headers={"Cookie": f"id={token}"}
    )
    assert after.status == 401


def test_mosapi_login_from_outside_the_basic_acl(app, start_mock, passwords):
    server = start_mock("mosapi")
    answer = server.request(
        "GET", "/ry/alpha/login", headers=_basic(*passwords["ry"]), source="127.0.0.2"
    )
    assert answer.status == 401 and last_decision(app).reasons == ["source-not-in-basic-acl"]


def test_rri_basic_on_every_request(app, start_mock, passwords):
    server = start_mock("rri")
    path = "/info/report/registry-functions-activity/alpha/2026-01"
    ok = server.request("GET", path, headers=_basic(*passwords["ry"]))
    assert ok.status == 404 and last_decision(app).auth_path == "basic"  # allowed, nothing received
    bad = server.request("GET", path, headers=_basic("alpha_ry", "nope-nope-nope"))
    assert bad.status == 401 and bad.text == "Invalid User and/or Password"
    unknown = server.request("GET", path, headers=_basic("beta_ry", "whatever-it-is"))
    assert unknown.status == 401 and "unknown-user" in last_decision(app).reasons
    outside = server.request("GET", path, headers=_basic(*passwords["ry"]), source="127.0.0.2")
    assert outside.status == 403 and "source-not-in-basic-acl" in last_decision(app).reasons
    wrong_account = server.request("GET", path, headers=_basic(*passwords["dea"]))
    assert wrong_account.status == 403 and "account-not-allowed-here" in last_decision(app).reasons


def test_the_portal_shows_the_decision_log_per_tld(
    app, client, world, start_mock, alpha, tmp_path, login
):
    from tests.helpers import HTMX, api_token

    other = client_cert(tmp_path, DOMAIN, stem="intruder")
    server = start_mock("mosapi")
    server.request("GET", "/ry/alpha/v2/monitoring/state", cred=alpha)
    denied = server.request("GET", "/ry/alpha/v2/monitoring/state", cred=other, source="127.0.0.5")
    decision_id = denied.decision.split(";")[0]
    login(world.op_a)
    html = client.get("/tlds/alpha?tab=decisions&result=denied", headers=HTMX).get_data(
        as_text=True
    )
    assert f"<td>{decision_id}</td>" in html and "tlsa-mismatch" in html and "127.0.0.5" in html
    assert "allowed (200)" not in html
    token = api_token(app, world.op_a)
    body = client.get(
        "/api/v1/tlds/alpha/decisions?result=allowed", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    assert [d["result"] for d in body["decisions"]] == ["allowed"]
    assert body["decisions"][0]["cert_spki_sha256"] == alpha.spki_sha256()
    # another operator's user sees nothing of alpha's log
    stranger = app.test_client()
    login(world.op_b, client=stranger)
    assert stranger.get("/tlds/alpha/decisions").status_code == 404
