"""POST /api/v1/harness/seed and /reset: only in test mode, only for ICANN staff's API tokens;
a document applied twice changes nothing the second time; errors named by their path (422);
a reset keeps the caller so the same token seeds next."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from sqlalchemy import func, select

from infra.database import db
from portal.models import AuditEvent, Organisation, Tld, User
from tests.helpers import api_token, sign_in

SEED = "/api/v1/harness/seed"
RESET = "/api/v1/harness/reset"
DOCUMENT: dict[str, Any] = {
    "version": 1,
    "organisations": [
        {"name": "Seed RSP", "kind": "rsp"},
        {"name": "Seed Registry", "kind": "registry-operator"},
    ],
    "users": [
        {"email": "qa@seed-rsp.example", "organisation": "Seed RSP"},
        {
            "email": "ops@seed-registry.example",
            "organisation": "Seed Registry",
            "password": "a password long enough",
        },
    ],
    "tlds": [
        {
            "name": "seedtld",
            "operator": "Seed Registry",
            "rsp": "Seed RSP",
            "entries": [
                {
                    "domain_name": "client.seed-rsp.example",
                    "roles": ["mosapi-slam", "rri-monthly-reports"],
                    "ip_acl": ["192.0.2.0/24"],
                }
            ],
        }
    ],
}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def test_mode(app) -> None:
    app.config["TEST_MODE"] = True


@pytest.fixture
def staff(app, world) -> dict[str, str]:
    return _bearer(api_token(app, world.icann))


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def _tld(app, name: str) -> dict[str, Any] | None:
    """The stored TLD: its version and entries (domain name → prefixes)."""
    with app.app_context():
        tld = db.session.scalar(select(Tld).where(Tld.name == name))
        if tld is None:
            return None
        return {"version": tld.version, "entries": {e.domain_name: e.ip_acl for e in tld.entries}}


def _error(response) -> dict[str, Any]:
    return response.get_json()["error"]


# --------------------------------------------------------------------------- who may


def test_refused_without_test_mode(app, client, staff):
    assert app.config["TEST_MODE"] is False  # the default
    for url in (SEED, RESET):
        response = client.post(url, json=DOCUMENT, headers=staff)
        assert response.status_code == 403, response.get_json()
        error = _error(response)
        assert error["code"] == "not_in_test_mode"
        assert error["message"].startswith(
            "The harness is not in test mode (TLSAUTH_TEST_MODE=true)"
        )
    assert _tld(app, "seedtld") is None
    assert _count(app, User) == 5  # the world's users: the reset did nothing


@pytest.mark.usefixtures("test_mode")
@pytest.mark.parametrize("who", ["rsp", "op_a", "op_b", "outsider"])
def test_refused_for_anyone_but_icann_staff(app, client, world, who):
    headers = _bearer(api_token(app, getattr(world, who)))
    for url in (SEED, RESET):
        response = client.post(url, json=DOCUMENT, headers=headers)
        assert response.status_code == 403, response.get_json()
        error = _error(response)
        assert error["code"] == "forbidden"
        assert "Only ICANN staff" in error["message"] and getattr(world, who) in error["message"]
    assert _tld(app, "seedtld") is None
    assert _count(app, User) == 5


@pytest.mark.usefixtures("test_mode")
def test_refused_without_a_token_and_with_the_portal_session(app, client, world, login):
    response = client.post(SEED, json=DOCUMENT)
    assert response.status_code == 401
    csrf = login(world.icann)
    for url in (SEED, RESET):
        response = client.post(url, json=DOCUMENT, headers={"X-CSRFToken": csrf})
        assert response.status_code == 403, response.get_json()
        assert _error(response)["code"] == "token_required"
        assert "Authorization: Bearer" in _error(response)["message"]
    assert _tld(app, "seedtld") is None
    assert _count(app, User) == 5


# --------------------------------------------------------------------------- seeding


@pytest.mark.usefixtures("test_mode")
def test_seed_then_the_same_seed_changes_nothing(app, client, staff):
    first = client.post(SEED, json=DOCUMENT, headers=staff)
    assert first.status_code == 200, first.get_json()
    report = first.get_json()
    assert report["changed"] is True
    assert report["kinds"]["organisations"]["created"] == ["Seed RSP", "Seed Registry"]
    assert report["kinds"]["tlds"]["created"] == ["seedtld"]
    # Only the user without a password in the document gets one made, shown this once.
    assert list(report["passwords"]) == ["qa@seed-rsp.example"]
    password = report["passwords"]["qa@seed-rsp.example"]
    assert len(password) >= 12
    tld = _tld(app, "seedtld")
    assert tld is not None and list(tld["entries"]) == ["client.seed-rsp.example"]
    history = client.get("/api/v1/tlds/seedtld/history", headers=staff).get_json()["events"]
    assert history and {e["channel"] for e in history} == {"seed"}
    events, version = _count(app, AuditEvent), tld["version"]

    again = client.post(SEED, json=DOCUMENT, headers=staff)
    assert again.status_code == 200, again.get_json()
    report = again.get_json()
    assert report["changed"] is False
    assert report["passwords"] == {}
    assert report["kinds"]["tlds"]["unchanged"] == ["seedtld"]
    assert _count(app, AuditEvent) == events
    assert _tld(app, "seedtld")["version"] == version

    # The generated password signs in.
    sign_in(client, "qa@seed-rsp.example", password)


@pytest.mark.usefixtures("test_mode")
def test_a_changed_document_changes_only_what_differs(app, client, staff):
    assert client.post(SEED, json=DOCUMENT, headers=staff).status_code == 200
    changed = yaml.safe_load(yaml.safe_dump(DOCUMENT))
    changed["tlds"][0]["entries"][0]["ip_acl"] = ["198.51.100.0/24"]
    response = client.post(SEED, json=changed, headers=staff)
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert report["kinds"]["entries"]["changed"] == ["seedtld"]
    assert report["kinds"]["organisations"]["unchanged"] == ["Seed RSP", "Seed Registry"]
    assert _tld(app, "seedtld")["entries"] == {"client.seed-rsp.example": ["198.51.100.0/24"]}


@pytest.mark.usefixtures("test_mode")
@pytest.mark.parametrize("media", ["application/yaml", "text/yaml"])
def test_a_yaml_body(app, client, staff, media):
    text = yaml.safe_dump(DOCUMENT, sort_keys=False)
    response = client.post(SEED, data=text, content_type=media, headers=staff)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["kinds"]["tlds"]["created"] == ["seedtld"]
    # The same document as JSON afterwards: nothing to change.
    response = client.post(SEED, json=DOCUMENT, headers=staff)
    assert response.get_json()["changed"] is False


@pytest.mark.usefixtures("test_mode")
def test_errors_are_named_by_their_path_and_nothing_is_applied(app, client, staff):
    wrong = yaml.safe_load(yaml.safe_dump(DOCUMENT))
    wrong["tlds"][0]["entries"][0]["ip_acl"] = ["192.0.2.0/24", "192.0.2.1/24"]
    wrong["users"][1]["password"] = "short"
    response = client.post(SEED, json=wrong, headers=staff)
    assert response.status_code == 422, response.get_json()
    error = _error(response)
    assert error["code"] == "invalid_document"
    fields = {d["field"]: d["message"] for d in error["details"]}
    assert "host bits" in fields["tlds[0].entries[0].ip_acl[1]"]
    assert "users[1].password" in fields
    assert error["message"] == "The seed document has 2 errors; nothing was applied."
    assert _tld(app, "seedtld") is None
    assert _count(app, Organisation) == 5  # the world's


@pytest.mark.usefixtures("test_mode")
def test_certificates_are_refused_over_http(app, client, staff):
    document = {
        **DOCUMENT,
        "certificates": {
            "folder": "certs-out",
            "items": [{"name": "client", "domain_name": "client.seed-rsp.example"}],
        },
    }
    response = client.post(SEED, json=document, headers=staff)
    assert response.status_code == 422, response.get_json()
    [detail] = _error(response)["details"]
    assert detail["field"] == "certificates"
    assert "tlsauth_client_cert" in detail["message"]
    assert _tld(app, "seedtld") is None


@pytest.mark.usefixtures("test_mode")
def test_bodies_that_are_no_document(client, staff):
    response = client.post(SEED, data="version: 1", content_type="text/plain", headers=staff)
    assert response.status_code == 415
    assert "application/yaml" in _error(response)["message"]
    response = client.post(
        SEED, data='{"version": 1,\n "tlds": [}', content_type="application/json", headers=staff
    )
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "invalid_json"
    assert error["details"][0]["field"] == "line 2"
    response = client.post(SEED, json=[DOCUMENT], headers=staff)
    assert (response.status_code, _error(response)["code"]) == (400, "invalid_json")
    response = client.post(SEED, data="- version: 1\n", content_type="text/yaml", headers=staff)
    assert (response.status_code, _error(response)["code"]) == (400, "invalid_yaml")
    assert "it is a list" in _error(response)["message"]
    response = client.post(SEED, data="", content_type="application/yaml", headers=staff)
    assert (response.status_code, _error(response)["code"]) == (400, "invalid_yaml")


# --------------------------------------------------------------------------- reset


@pytest.mark.usefixtures("test_mode")
def test_reset_empties_the_harness_but_keeps_the_caller(app, client, world, staff):
    rsp = _bearer(api_token(app, world.rsp))
    assert client.post(SEED, json=DOCUMENT, headers=staff).status_code == 200
    response = client.post(RESET, headers=staff)
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert report["kept_users"] == [world.icann]
    assert report["removed"]["tlds"] == 3  # alpha, beta, seedtld
    assert report["removed"]["users"] == 6
    with app.app_context():
        assert db.session.scalars(select(Tld.name)).all() == []
        assert db.session.scalars(select(User.email)).all() == [world.icann]
        assert db.session.scalars(select(Organisation.name)).all() == ["ICANN"]
    # Everyone else's token went with them; the caller's still seeds.
    assert client.get("/api/v1/tlds", headers=rsp).status_code == 401
    response = client.post(SEED, json=DOCUMENT, headers=staff)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["kinds"]["tlds"]["created"] == ["seedtld"]
