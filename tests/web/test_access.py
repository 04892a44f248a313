"""Access matrix: each user kind × each TLD route × own/other TLD. Anyone without access gets
404, exactly as for a TLD that does not exist, and nothing changes."""

from __future__ import annotations

import pytest

from infra.database import db
from portal.core.pki import self_signed
from portal.models import DecisionLogRow, Submission, Tld
from portal.services import configuration as cfg
from tests.helpers import HTMX, api_token

# The client certificate and key the test connection route is called with.
CALLER = self_signed("c.alpha.example")

# (method, path template, form data); {t} = TLD, {e} = an entry id of that TLD.
UI_ROUTES = [
    ("GET", "/tlds/{t}", None),
    ("GET", "/tlds/{t}?tab=history", None),
    ("GET", "/tlds/{t}?tab=credentials", None),
    ("GET", "/tlds/{t}/history", None),
    ("GET", "/tlds/{t}/credentials", None),
    ("GET", "/tlds/{t}/decisions", None),
    ("GET", "/tlds/{t}/scenario", None),
    ("GET", "/tlds/{t}/connection", None),
    ("GET", "/tlds/{t}/simulator", None),
    ("POST", "/tlds/{t}/scenario", {"preset": "dns-down"}),
    ("GET", "/tlds/{t}?tab=decisions&result=denied", None),
    ("GET", "/tlds/{t}/decisions?reason=source-not-in-acl&source=127.0.0.2", None),
    ("GET", "/tlds/{t}/decisions/table?result=denied", None),
    ("GET", "/tlds/{t}/decisions/{d}", None),
    ("GET", "/tlds/{t}/decisions.csv?system=mosapi", None),
    ("GET", "/tlds/{t}/entries", None),
    ("GET", "/tlds/{t}/entries/{e}", None),
    ("GET", "/tlds/{t}/entries/{e}/edit", None),
    ("GET", "/tlds/{t}/entries/{e}/delete", None),
    ("POST", "/tlds/{t}/entries/check?field=domain_name", {"domain_name": "x.example"}),
    (
        "POST",
        "/tlds/{t}/entries",
        {"domain_name": "new.example", "roles": ["mosapi-daar"], "ip_acl": "198.51.100.0/24"},
    ),
    ("POST", "/tlds/{t}/entries/{e}", {"roles": ["mosapi-daar"], "ip_acl": "198.51.100.0/24"}),
    (
        "POST",
        "/tlds/{t}/credentials/password",
        {"kind": "ry", "password": "p" * 16, "confirm": "p" * 16},
    ),
    ("POST", "/tlds/{t}/credentials/acl", {"basic_ip_acl": "198.51.100.0/24"}),
    (
        "POST",
        "/tlds/{t}/connection/call",
        {
            "endpoint": "mosapi GET /ry/<tld>/v2/monitoring/state",
            "source": "127.0.0.1",
            "cert_text": CALLER.cert_pem.text(),
            "key_text": CALLER.key_pem.text(),
        },
    ),
    (
        "POST",
        "/tlds/{t}/simulator",
        {
            "endpoint": "mosapi /ry/<tld>/v2/monitoring/state",
            "source_address": "127.0.0.1",
            "spki_sha256": "ab" * 32,
        },
    ),
    (
        "POST",
        "/tlds/{t}/entries/preview",
        {"domain_name": "new.example", "roles": ["mosapi-daar"], "ip_acl": "198.51.100.0/24"},
    ),
    ("POST", "/tlds/{t}/entries/{e}/preview", {"roles": ["mosapi-daar"], "ip_acl": "::1/128"}),
    ("POST", "/tlds/{t}/entries/{e}/delete", {}),
]
API_ROUTES = [
    ("GET", "/api/v1/tlds/{t}/tls-client-auth", None),
    ("PUT", "/api/v1/tlds/{t}/tls-client-auth", {"entries": []}),
    ("GET", "/api/v1/tlds/{t}/history", None),
    ("GET", "/api/v1/tlds/{t}/decisions", None),
    ("GET", "/api/v1/tlds/{t}/decisions?result=denied&system=mosapi", None),
    ("GET", "/api/v1/tlds/{t}/decisions/{d}", None),
    ("GET", "/api/v1/tlds/{t}/scenario", None),
    ("PUT", "/api/v1/tlds/{t}/scenario", {"services": {"DNS": {"status": "Down"}}}),
    ("GET", "/api/v1/tlds/{t}/submissions", None),
    ("GET", "/api/v1/tlds/{t}/submissions/{s}", None),
    (
        "POST",
        "/api/v1/simulate",
        {
            "tld": "{t}",
            "role": "mosapi-slam",
            "source_address": "127.0.0.1",
            "spki_sha256": "ab" * 32,
        },
    ),
]


# TLD routes whose rule is not "who may manage the TLD", proven by tests of their own: a bulk
# upload's change is answered by the TLD's registry operator (accept, object) or ICANN staff
# (load, cancel), never by the RSP that may manage the TLD.
OWN_RULE = {
    f"{prefix}/<int:upload_id>/tlds/{{t}}/{how}": proof
    for prefix, proof in (
        ("/bulk/uploads", "tests/web/test_bulk_answers.py"),
        ("/api/v1/bulk-uploads", "tests/api/test_bulk_api.py"),
    )
    for how in ("accept", "object", "load", "cancel")
}


def _naming(body, tld: str):
    """A body whose TLD is "{t}" names the TLD under test."""
    if not isinstance(body, dict):
        return body
    return {k: tld if v == "{t}" else v for k, v in body.items()}


# who → the TLDs they may manage
ACCESS = {
    "icann": {"alpha", "beta"},
    "rsp": {"alpha"},
    "op_a": {"alpha"},
    "op_b": {"beta"},
    "outsider": set(),
}


def _seed_entries(app) -> dict[str, int]:
    ids = {}
    with app.app_context():
        for name in ("alpha", "beta"):
            submission = Submission(
                tld=name,
                kind="registry-functions-activity",
                report_key="2026-01",
                content_type="text/csv",
                body=b"x",
                size=1,
                sha256="0" * 64,
            )
            db.session.add(submission)
            db.session.commit()
            ids[f"s-{name}"] = submission.id
            decision = DecisionLogRow(
                system="mosapi",
                tld=name,
                endpoint=f"/ry/{name}/v2/monitoring/state",
                method="GET",
                source_address="127.0.0.2",
                auth_path="none",
                result="denied",
                status_code=401,
                reasons=["no-certificate"],
                warnings=[],
                required_role="mosapi-slam",
                deciding_reason="no-certificate",
            )
            db.session.add(decision)
            db.session.commit()
            ids[f"d-{name}"] = decision.id
            tld = db.session.query(Tld).filter_by(name=name).one()
            cfg.replace_entries(
                db.session,
                tld,
                [
                    {
                        "domain_name": f"c.{name}.example",
                        "roles": ["mosapi-slam"],
                        "ip_acl": ["127.0.0.1/32"],
                    }
                ],
                tld.version,
                cfg.Actor("seed", "cli"),
                cfg.Limits(),
            )
            ids[name] = tld.entries[0].id
    return ids


def _version(app, name: str) -> int:
    with app.app_context():
        return db.session.query(Tld).filter_by(name=name).one().version


@pytest.mark.parametrize("who", sorted(ACCESS))
def test_ui_access_matrix(app, client, world, who, login):
    entry_ids = _seed_entries(app)
    token = login(getattr(world, who))
    for tld in ("alpha", "beta"):
        allowed = tld in ACCESS[who]
        for method, template, data in UI_ROUTES:
            path = template.format(t=tld, e=entry_ids[tld], d=entry_ids[f"d-{tld}"])
            before = _version(app, tld)
            form = None
            if data is not None:
                form = {**data, "version": str(before)}
            response = client.open(
                path, method=method, data=form, headers={**HTMX, "X-CSRFToken": token}
            )
            if allowed:
                assert response.status_code in (200, 201), (who, method, path, response.status_code)
            else:
                assert response.status_code == 404, (who, method, path, response.status_code)
                assert _version(app, tld) == before, f"{who} changed {tld} through {path}"


@pytest.mark.parametrize("who", sorted(ACCESS))
def test_api_access_matrix(app, client, world, who):
    entry_ids = _seed_entries(app)
    token = api_token(app, getattr(world, who))
    for tld in ("alpha", "beta"):
        allowed = tld in ACCESS[who]
        for method, template, body in API_ROUTES:
            path = template.format(
                t=tld, e=entry_ids[tld], s=entry_ids[f"s-{tld}"], d=entry_ids[f"d-{tld}"]
            )
            before = _version(app, tld)
            headers = {"Authorization": f"Bearer {token}", "If-Match": str(before)}
            response = client.open(path, method=method, json=_naming(body, tld), headers=headers)
            if allowed:
                assert response.status_code == 200, (who, method, path, response.get_data())
            else:
                assert response.status_code == 404, (who, method, path)
                assert response.get_json()["error"]["code"] == "not_found"
                assert _version(app, tld) == before


def test_unknown_tld_answers_like_a_forbidden_one(app, client, world, login):
    login(world.op_b)
    forbidden = client.get("/tlds/alpha")
    missing = client.get("/tlds/doesnotexist")
    assert forbidden.status_code == missing.status_code == 404
    token = api_token(app, world.op_b)
    headers = {"Authorization": f"Bearer {token}"}
    a = client.get("/api/v1/tlds/alpha/tls-client-auth", headers=headers).get_json()
    b = client.get("/api/v1/tlds/doesnotexist/tls-client-auth", headers=headers).get_json()
    assert a["error"]["code"] == b["error"]["code"] == "not_found"


@pytest.mark.parametrize("who", sorted(ACCESS))
def test_list_shows_only_manageable_tlds(app, client, world, who, login):
    login(getattr(world, who))
    html = client.get("/tlds").get_data(as_text=True)
    for tld in ("alpha", "beta"):
        assert (f">.{tld}<" in html) == (tld in ACCESS[who]), (who, tld)


def test_signed_out_users_are_sent_to_login(app, client, world):
    entry_ids = _seed_entries(app)
    for method, template, data in UI_ROUTES:
        path = template.format(t="alpha", e=entry_ids["alpha"], d=entry_ids["d-alpha"])
        response = client.open(path, method=method, data=data)
        # POSTs without a session fail CSRF first (400); GETs redirect to the sign-in page.
        if method == "GET":
            assert response.status_code == 302 and "/login" in response.headers["Location"]
        else:
            assert response.status_code in (302, 400)
    assert client.get("/tlds").status_code == 302
    assert client.get("/tokens").status_code == 302


def test_matrix_covers_every_tld_route(app):
    """A new TLD route must join the matrix (and so prove its authorization)."""
    # (A route that takes the TLD in its body, like /api/v1/simulate, has no {t} in its path.)
    covered = {t.split("?")[0] for _, t, _ in UI_ROUTES + API_ROUTES if "{t}" in t}
    registered = set()
    for rule in app.url_map.iter_rules():
        path = rule.rule.replace("<name>", "{t}").replace("<tld>", "{t}")
        if "{t}" in path:
            path = path.replace("<int:entry_id>", "{e}")
            path = path.replace("<int:decision_id>", "{d}")
            registered.add(path.replace("<int:submission_id>", "{s}"))
    assert registered - OWN_RULE.keys() == covered
