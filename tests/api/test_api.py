"""The JSON API under /api/v1: bearer tokens, access per user kind, the document round trip,
optimistic concurrency (If-Match), validation errors with field paths, history, and 404s that
do not reveal which TLDs exist."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from infra.database import db
from portal.models import AuditEvent, Tld, User
from portal.services import directory, tokens
from tests.helpers import api_token

API = "/api/v1"
ENTRY = {
    "domain_name": "client.example",
    "roles": ["mosapi-slam"],
    "ip_acl": ["192.0.2.0/24"],
}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def doc_url(tld: str) -> str:
    return f"{API}/tlds/{tld}/tls-client-auth"


def put_doc(client, token: str, tld: str, body, if_match: str | None = "1", **kw):
    headers = bearer(token)
    if if_match is not None:
        headers["If-Match"] = if_match
    return client.put(doc_url(tld), json=body, headers=headers, **kw)


def db_state(app, name: str) -> tuple[int, list[dict], int]:
    """(version, entries, number of audit events) straight from the database."""
    with app.app_context():
        tld = db.session.scalars(select(Tld).where(Tld.name == name)).one()
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.tld_id == tld.id)).all()
        return tld.version, [e.as_dict() for e in tld.entries], len(events)


@pytest.fixture
def tok(app, world) -> dict[str, str]:
    """An API token per world user, by attribute name."""
    return {who: api_token(app, getattr(world, who)) for who in WHO}


WHO = ("icann", "rsp", "op_a", "op_b", "outsider")
VISIBLE = {
    "icann": ["alpha", "beta"],
    "rsp": ["alpha"],
    "op_a": ["alpha"],
    "op_b": ["beta"],
    "outsider": [],
}


# --------------------------------------------------------------------------- authentication

ENDPOINTS = [
    ("GET", f"{API}/tlds"),
    ("GET", f"{API}/tlds/alpha/tls-client-auth"),
    ("PUT", f"{API}/tlds/alpha/tls-client-auth"),
    ("GET", f"{API}/tlds/alpha/history"),
    # A TLD that does not exist answers 401 too, before anything about the TLD is looked at.
    ("GET", f"{API}/tlds/nosuchtld/tls-client-auth"),
    ("PUT", f"{API}/tlds/nosuchtld/tls-client-auth"),
    ("GET", f"{API}/tlds/nosuchtld/history"),
]


def _assert_401(response) -> None:
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.is_json
    body = response.get_json()
    assert body["error"]["code"] == "unauthorized"
    assert body["error"]["message"]
    assert body["error"]["details"] == []
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer tla_not-a-real-token",
        "Basic YTpi",
        "tla_token-without-scheme",
    ],
)
def test_missing_or_invalid_token_is_401(client, world, authorization):
    headers = {"If-Match": "1"}
    if authorization is not None:
        headers["Authorization"] = authorization
    for method, path in ENDPOINTS:
        response = client.open(path, method=method, headers=headers, json={"entries": [ENTRY]})
        _assert_401(response)
    assert db_state(client.application, "alpha") == (1, [], 0)


def test_valid_token_with_wrong_scheme_is_401(app, client, world):
    token = api_token(app, world.op_a)
    _assert_401(client.get(f"{API}/tlds", headers={"Authorization": f"Basic {token}"}))
    _assert_401(client.get(f"{API}/tlds", headers={"Authorization": token}))
    # The scheme is case-insensitive (RFC 7235).
    assert (
        client.get(f"{API}/tlds", headers={"Authorization": f"bearer {token}"}).status_code == 200
    )


def test_revoked_token_is_401(app, client, world):
    with app.app_context():
        user = directory.get_user(db.session, world.op_a)
        row, token = tokens.create_token(db.session, user, "to revoke")
        keep_row, keep = tokens.create_token(db.session, user, "to keep")
        row_id = row.id
    assert client.get(f"{API}/tlds", headers=bearer(token)).status_code == 200
    with app.app_context():
        user = directory.get_user(db.session, world.op_a)
        tokens.revoke_token(db.session, user, row_id)
    for method, path in ENDPOINTS:
        _assert_401(client.open(path, method=method, headers=bearer(token) | {"If-Match": "1"}))
    # Revoking one token leaves the user's other tokens working.
    assert client.get(f"{API}/tlds", headers=bearer(keep)).status_code == 200


def test_token_of_deactivated_user_is_401(app, client, world):
    token = api_token(app, world.op_a)
    with app.app_context():
        db.session.scalars(select(User).where(User.email == world.op_a)).one().active = False
        db.session.commit()
    _assert_401(client.get(f"{API}/tlds", headers=bearer(token)))
    _assert_401(client.get(doc_url("alpha"), headers=bearer(token)))


def test_token_records_last_use(app, client, world):
    from portal.models import ApiToken

    token = api_token(app, world.op_b)
    assert client.get(f"{API}/tlds", headers=bearer(token)).status_code == 200
    with app.app_context():
        row = db.session.scalars(select(ApiToken)).one()
        assert row.last_used_at is not None
        assert token not in (row.token_hash, row.display_prefix)


def test_openapi_needs_no_token(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    assert response.get_json()["openapi"].startswith("3.")


# --------------------------------------------------------------------------- TLD list


@pytest.mark.parametrize("who", WHO)
def test_list_is_filtered_per_user_kind(client, tok, who):
    response = client.get(f"{API}/tlds", headers=bearer(tok[who]))
    assert response.status_code == 200
    body = response.get_json()
    assert [row["tld"] for row in body["tlds"]] == VISIBLE[who]
    assert body["total"] == len(VISIBLE[who])
    assert body["page"] == 1
    assert response.headers["Cache-Control"] == "no-store"


def test_list_rows(client, tok):
    body = client.get(f"{API}/tlds", headers=bearer(tok["icann"])).get_json()
    rows = {row["tld"]: row for row in body["tlds"]}
    assert rows["alpha"] == {
        "tld": "alpha",
        "operator": "Operator A",
        "rsp": "RSP One",
        "entry_count": 0,
        "roles": [],
        "version": 1,
        "updated_at": None,
    }
    assert rows["beta"]["operator"] == "Operator B" and rows["beta"]["rsp"] is None

    entry2 = {"domain_name": "two.example", "roles": ["mosapi-daar"], "ip_acl": ["2001:db8::/48"]}
    response = put_doc(client, tok["op_a"], "alpha", {"entries": [ENTRY, entry2]})
    assert response.status_code == 200, response.get_json()
    rows = {
        row["tld"]: row
        for row in client.get(f"{API}/tlds", headers=bearer(tok["rsp"])).get_json()["tlds"]
    }
    assert rows["alpha"]["entry_count"] == 2
    assert rows["alpha"]["roles"] == ["mosapi-slam", "mosapi-daar"]  # table order
    assert rows["alpha"]["version"] == 2
    assert rows["alpha"]["updated_at"]


def test_list_search_and_pages(client, tok):
    h = bearer(tok["icann"])
    body = client.get(f"{API}/tlds?q=operator b", headers=h).get_json()
    assert [r["tld"] for r in body["tlds"]] == ["beta"]
    body = client.get(f"{API}/tlds?q=.alp", headers=h).get_json()
    assert [r["tld"] for r in body["tlds"]] == ["alpha"]
    # The search never widens what a user may see.
    body = client.get(f"{API}/tlds?q=beta", headers=bearer(tok["op_a"])).get_json()
    assert body["tlds"] == [] and body["total"] == 0

    first = client.get(f"{API}/tlds?per_page=1", headers=h).get_json()
    second = client.get(f"{API}/tlds?per_page=1&page=2", headers=h).get_json()
    assert (first["total"], first["per_page"], first["page"]) == (2, 1, 1)
    assert [r["tld"] for r in first["tlds"]] == ["alpha"]
    assert [r["tld"] for r in second["tlds"]] == ["beta"]
    assert second["page"] == 2


@pytest.mark.parametrize("query", ["page=x", "per_page=ten", "page=1.5"])
def test_list_bad_query_is_400(client, tok, query):
    response = client.get(f"{API}/tlds?{query}", headers=bearer(tok["icann"]))
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_query"


# --------------------------------------------------------------------------- round trip


def test_get_empty_document(client, tok):
    response = client.get(doc_url("alpha"), headers=bearer(tok["op_a"]))
    assert response.status_code == 200
    assert response.get_json() == {"tld": "alpha", "version": 1, "entries": []}
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Cache-Control"] == "no-store"


def test_put_get_round_trip_normalises(app, client, tok):
    etag = client.get(doc_url("alpha"), headers=bearer(tok["op_a"])).headers["ETag"]
    sent = {
        "tld": "alpha",
        "entries": [
            {
                "domain_name": "Client.Bücher.Example.",
                "roles": ["mosapi-slam", "rri-monthly-reports", "mosapi-slam"],
                "ip_acl": [
                    "2001:DB8:0:0::/48",
                    "198.51.100.7",
                    "10.0.0.0/8",
                    "198.51.100.0/24",
                    "2001:db8::/48",
                ],
            },
            {"domain_name": "_client.example", "roles": ["probe-node-list"], "ip_acl": ["::1"]},
        ],
    }
    response = put_doc(client, tok["op_a"], "alpha", sent, if_match=etag)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    expected_entries = [
        {
            "domain_name": "client.xn--bcher-kva.example",
            "roles": ["rri-monthly-reports", "mosapi-slam"],  # table order, once each
            "ip_acl": ["2001:db8::/48", "10.0.0.0/8", "198.51.100.0/24"],
        },
        {"domain_name": "_client.example", "roles": ["probe-node-list"], "ip_acl": ["::1/128"]},
    ]
    assert body["tld"] == "alpha"
    assert body["version"] == 2
    assert body["entries"] == expected_entries
    assert response.headers["ETag"] == '"2"'

    warnings = body["warnings"]
    assert all(set(w) == {"field", "message", "severity"} for w in warnings)
    by_field = {}
    for w in warnings:
        by_field.setdefault(w["field"], []).append(w)
    assert any(
        w["severity"] == "note" and "xn--bcher-kva" in w["message"]
        for w in by_field["entries[0].domain_name"]
    )
    assert any(
        w["severity"] == "warning" and "private" in w["message"]
        for w in by_field["entries[0].ip_acl[2]"]
    )
    notes = [w["message"] for w in by_field["entries[0].ip_acl"]]
    assert any("198.51.100.7/32 is covered by 198.51.100.0/24" in m for m in notes)
    assert any("2001:db8::/48 was listed twice" in m for m in notes)
    assert any(w["severity"] == "warning" for w in by_field["entries[1].domain_name"])
    assert any("loopback" in w["message"] for w in by_field["entries[1].ip_acl[0]"])

    # What GET returns (and the database holds) is exactly what PUT answered, minus warnings.
    again = client.get(doc_url("alpha"), headers=bearer(tok["rsp"]))
    assert again.get_json() == {"tld": "alpha", "version": 2, "entries": expected_entries}
    assert again.headers["ETag"] == '"2"'
    assert db_state(app, "alpha") == (2, expected_entries, 1)


def test_put_accepts_weak_and_unquoted_etags(client, tok):
    assert put_doc(client, tok["op_a"], "alpha", {"entries": [ENTRY]}, 'W/"1"').status_code == 200
    assert put_doc(client, tok["op_a"], "alpha", {"entries": []}, "2").status_code == 200
    response = put_doc(client, tok["op_a"], "alpha", {"entries": [ENTRY]}, ' "3" ')
    assert response.status_code == 200
    assert response.get_json()["version"] == 4


def test_put_replaces_the_whole_list(app, client, tok):
    other = {"domain_name": "other.example", "roles": ["mosapi-daar"], "ip_acl": ["2001:db8::/48"]}
    assert put_doc(client, tok["op_a"], "alpha", {"entries": [ENTRY, other]}).status_code == 200
    changed = {**ENTRY, "roles": ["mosapi-slam", "maintenance-window"]}
    response = put_doc(client, tok["op_a"], "alpha", {"entries": [changed]}, "2")
    assert response.status_code == 200
    assert response.get_json()["entries"] == [
        {**ENTRY, "roles": ["mosapi-slam", "maintenance-window"]}
    ]
    response = put_doc(client, tok["op_a"], "alpha", {"entries": []}, "3")
    assert response.status_code == 200
    assert response.get_json() == {"tld": "alpha", "version": 4, "entries": [], "warnings": []}
    assert db_state(app, "alpha") == (4, [], 3)


@pytest.mark.parametrize(
    "who,tld", [("icann", "alpha"), ("icann", "beta"), ("rsp", "alpha"), ("op_b", "beta")]
)
def test_each_kind_may_change_what_it_manages(app, client, tok, who, tld):
    response = put_doc(client, tok[who], tld, {"entries": [ENTRY]})
    assert response.status_code == 200, response.get_json()
    assert db_state(app, tld) == (2, [ENTRY], 1)


def test_u_label_tld_in_url_and_body(app, client, world):
    with app.app_context():
        directory.add_tld(db.session, "москва", "Operator A")
    token = api_token(app, world.op_a)
    response = client.get(doc_url("москва"), headers=bearer(token))
    assert response.status_code == 200
    assert response.get_json()["tld"] == "xn--80adxhks"
    for name in ("xn--80adxhks", "москва", "МОСКВА."):
        version = client.get(doc_url("xn--80adxhks"), headers=bearer(token)).get_json()["version"]
        response = put_doc(client, token, "москва", {"tld": name, "entries": []}, str(version))
        assert response.status_code == 200, (name, response.get_json())
    assert client.get(f"{API}/tlds/москва/history", headers=bearer(token)).status_code == 200


# --------------------------------------------------------------------------- If-Match


def test_put_without_if_match_is_428(app, client, tok):
    response = put_doc(client, tok["op_a"], "alpha", {"entries": [ENTRY]}, if_match=None)
    assert response.status_code == 428
    assert response.get_json()["error"]["code"] == "precondition_required"
    assert "If-Match" in response.get_json()["error"]["message"]
    assert db_state(app, "alpha") == (1, [], 0)


@pytest.mark.parametrize("value", ["", "abc", "*", '"one"', "-1", "1.0"])
def test_put_with_unusable_if_match_is_400(app, client, tok, value):
    response = put_doc(client, tok["op_a"], "alpha", {"entries": [ENTRY]}, if_match=value)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_if_match"
    assert db_state(app, "alpha") == (1, [], 0)


def test_stale_if_match_is_412_with_current_document_and_changes(app, client, tok, world):
    first = put_doc(client, tok["op_a"], "alpha", {"entries": [ENTRY]}, "1")
    assert first.status_code == 200
    current = client.get(doc_url("alpha"), headers=bearer(tok["op_a"])).get_json()

    # The RSP still holds version 1.
    theirs = {"domain_name": "rsp.example", "roles": ["mosapi-daar"], "ip_acl": ["2001:db8::/48"]}
    response = put_doc(client, tok["rsp"], "alpha", {"entries": [theirs]}, "1")
    assert response.status_code == 412
    assert response.headers["ETag"] == '"2"'
    body = response.get_json()
    assert body["error"]["code"] == "version_conflict"
    assert "version 2" in body["error"]["message"]
    assert body["error"]["details"] == []
    assert body["current"] == current
    assert len(body["changes"]) == 1
    change = body["changes"][0]
    assert change["version"] == 2
    assert change["channel"] == "api"
    assert change["actor"] == world.op_a
    assert change["changes"] == [
        "Added entry client.example with roles mosapi-slam and prefixes 192.0.2.0/24"
    ]
    # Nothing of the stale write was saved.
    assert db_state(app, "alpha") == (2, [ENTRY], 1)
    assert client.get(doc_url("alpha"), headers=bearer(tok["rsp"])).get_json() == current

    # A version from the future is just as stale.
    response = put_doc(client, tok["rsp"], "alpha", {"entries": [theirs]}, "7")
    assert response.status_code == 412
    assert response.get_json()["changes"] == []
    # With the current version the same write goes through.
    response = put_doc(client, tok["rsp"], "alpha", {"entries": [theirs]}, "2")
    assert response.status_code == 200
    assert db_state(app, "alpha") == (3, [theirs], 2)


# --------------------------------------------------------------------------- validation


def _fields(response) -> set[str]:
    return {d["field"] for d in response.get_json()["error"]["details"]}


def test_validation_errors_name_each_field(app, client, tok):
    body = {
        "entries": [
            {"domain_name": "ok.example", "roles": ["mosapi-slam"], "ip_acl": ["192.0.2.0/24"]},
            {
                "domain_name": "good.example",
                "roles": ["mosapi-slam"],
                "ip_acl": ["192.0.2.0/24", "192.0.2.1/24", "not-an-ip"],
            },
            {"domain_name": "bad_label.example", "roles": ["no-such-role"], "ip_acl": []},
            {"domain_name": "ok.example", "roles": ["mosapi-daar"], "ip_acl": ["0.0.0.0/0"]},
        ]
    }
    response = put_doc(client, tok["op_a"], "alpha", body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed"
    assert "nothing was saved" in error["message"].lower()
    assert all(set(d) == {"field", "message"} for d in error["details"])
    messages = {d["field"]: d["message"] for d in error["details"]}
    assert "did you mean 192.0.2.0/24" in messages["entries[1].ip_acl[1]"]
    assert "not-an-ip" in messages["entries[1].ip_acl[2]"]
    assert "bad_label" in messages["entries[2].domain_name"]
    assert "no-such-role" in messages["entries[2].roles"]
    assert "at least one" in messages["entries[2].ip_acl"]
    assert "every address" in messages["entries[3].ip_acl[0]"]
    # Only errors: no warnings or notes (e.g. the TEST-NET prefixes) among the details.
    assert _fields(response) == {
        "entries[1].ip_acl[1]",
        "entries[1].ip_acl[2]",
        "entries[2].domain_name",
        "entries[2].roles",
        "entries[2].ip_acl",
        "entries[3].ip_acl[0]",
    }
    assert db_state(app, "alpha") == (1, [], 0)


@pytest.mark.parametrize(
    "body,field",
    [
        ({}, "entries"),
        ({"entries": None}, "entries"),
        ({"entries": {"domain_name": "x.example"}}, "entries"),
        ({"entries": "client.example"}, "entries"),
        ({"entries": ["client.example"]}, "entries[0]"),
        ({"entries": [ENTRY, ENTRY]}, "entries[1].domain_name"),
        (
            {"entries": [ENTRY, {**ENTRY, "domain_name": "CLIENT.example."}]},
            "entries[1].domain_name",
        ),
        ({"entries": [{**ENTRY, "domain_name": 42}]}, "entries[0].domain_name"),
        ({"entries": [{**ENTRY, "domain_name": "localhost"}]}, "entries[0].domain_name"),
        ({"entries": [{**ENTRY, "domain_name": "a" * 64 + ".example"}]}, "entries[0].domain_name"),
        ({"entries": [{**ENTRY, "domain_name": "x.123"}]}, "entries[0].domain_name"),
        ({"entries": [{**ENTRY, "roles": []}]}, "entries[0].roles"),
        # A type error is the schema's: it names the element.
        ({"entries": [{**ENTRY, "roles": [7]}]}, "entries[0].roles[0]"),
        ({"entries": [{**ENTRY, "roles": {"mosapi-slam": True}}]}, "entries[0].roles"),
        ({"entries": [{k: v for k, v in ENTRY.items() if k != "roles"}]}, "entries[0].roles"),
        ({"entries": [{k: v for k, v in ENTRY.items() if k != "ip_acl"}]}, "entries[0].ip_acl"),
        ({"entries": [{**ENTRY, "ip_acl": 5}]}, "entries[0].ip_acl"),
        ({"entries": [{**ENTRY, "ip_acl": ["192.0.2.0/24", 5]}]}, "entries[0].ip_acl[1]"),
        ({"entries": [{**ENTRY, "ip_acl": ["::/0"]}]}, "entries[0].ip_acl[0]"),
        ({"entries": [{**ENTRY, "ip_acl": ["2001:db8::1/48"]}]}, "entries[0].ip_acl[0]"),
        ({"entries": [{**ENTRY, "ip_acl": ["192.0.2.0/33"]}]}, "entries[0].ip_acl[0]"),
    ],
)
def test_invalid_documents_are_400_and_save_nothing(app, client, tok, body, field):
    response = put_doc(client, tok["op_a"], "alpha", body)
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed"
    assert field in _fields(response), error["details"]
    assert all(d["message"] for d in error["details"])
    assert db_state(app, "alpha") == (1, [], 0)
    assert client.get(doc_url("alpha"), headers=bearer(tok["op_a"])).get_json() == {
        "tld": "alpha",
        "version": 1,
        "entries": [],
    }


def test_too_many_entries_is_400(app, client, tok):
    app.config["MAX_ENTRIES_PER_TLD"] = 2
    entries = [{**ENTRY, "domain_name": f"c{i}.example"} for i in range(3)]
    response = put_doc(client, tok["op_a"], "alpha", {"entries": entries})
    assert response.status_code == 400
    details = response.get_json()["error"]["details"]
    assert [d["field"] for d in details] == ["entries"]
    assert "3 entries" in details[0]["message"] and "2" in details[0]["message"]
    assert db_state(app, "alpha") == (1, [], 0)
    # At the limit is fine.
    response = put_doc(client, tok["op_a"], "alpha", {"entries": entries[:2]})
    assert response.status_code == 200
    assert db_state(app, "alpha")[0] == 2


def test_too_many_prefixes_is_400(app, client, tok):
    app.config["MAX_PREFIXES_PER_ENTRY"] = 2
    entry = {**ENTRY, "ip_acl": ["192.0.2.0/26", "192.0.2.64/26", "192.0.2.128/26"]}
    response = put_doc(client, tok["op_a"], "alpha", {"entries": [entry]})
    assert response.status_code == 400
    assert _fields(response) == {"entries[0].ip_acl"}
    # Prefixes removed as covered by another do not count against the limit.
    entry = {**ENTRY, "ip_acl": ["192.0.2.0/24", "192.0.2.64/26", "192.0.2.128/26"]}
    assert put_doc(client, tok["op_a"], "alpha", {"entries": [entry]}).status_code == 200


@pytest.mark.parametrize(
    "data,content_type",
    [
        ('{"entries": [', "application/json"),
        ("entries=1", "application/x-www-form-urlencoded"),
        ('{"entries": []}', "text/plain"),
        ("[]", "application/json"),
        ('"entries"', "application/json"),
        ("null", "application/json"),
        ("", "application/json"),
        (b"\xff\xfe{", "application/json"),
    ],
)
def test_malformed_body_is_400(app, client, tok, data, content_type):
    response = client.put(
        doc_url("alpha"),
        data=data,
        content_type=content_type,
        headers=bearer(tok["op_a"]) | {"If-Match": "1"},
    )
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.is_json
    assert response.get_json()["error"]["code"] == "invalid_json"
    assert db_state(app, "alpha") == (1, [], 0)


@pytest.mark.parametrize("name", ["beta", "alpha.", "ALPHAX", "", 3])
def test_body_tld_mismatch_is_400(app, client, tok, name):
    response = put_doc(client, tok["icann"], "alpha", {"tld": name, "entries": [ENTRY]})
    if name == "alpha.":
        # The same TLD written with a trailing dot is no mismatch.
        assert response.status_code == 200
        return
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "tld_mismatch"
    assert "alpha" in error["message"]
    assert db_state(app, "alpha") == (1, [], 0)
    assert db_state(app, "beta") == (1, [], 0)


def test_body_tld_is_optional_and_case_insensitive(client, tok):
    assert put_doc(client, tok["op_a"], "alpha", {"entries": [ENTRY]}, "1").status_code == 200
    response = put_doc(client, tok["op_a"], "alpha", {"tld": "ALPHA", "entries": []}, "2")
    assert response.status_code == 200
    # Read-only fields in the body (version, warnings) are ignored, not an error.
    body = {"tld": "alpha", "version": 99, "warnings": [], "entries": [ENTRY]}
    assert put_doc(client, tok["op_a"], "alpha", body, "3").status_code == 200


# --------------------------------------------------------------------------- history


def test_history_after_put(client, tok, world):
    h = bearer(tok["op_a"])
    response = client.get(f"{API}/tlds/alpha/history", headers=h)
    assert response.status_code == 200
    assert response.get_json() == {"tld": "alpha", "events": []}

    assert put_doc(client, tok["op_a"], "alpha", {"entries": [ENTRY]}, "1").status_code == 200
    changed = {**ENTRY, "ip_acl": ["192.0.2.0/24", "2001:db8::/48"]}
    assert put_doc(client, tok["rsp"], "alpha", {"entries": [changed]}, "2").status_code == 200

    body = client.get(f"{API}/tlds/alpha/history", headers=h).get_json()
    assert body["tld"] == "alpha"
    newest, oldest = body["events"]  # newest first
    assert newest["id"] > oldest["id"]
    assert (oldest["channel"], oldest["actor"], oldest["version"]) == ("api", world.op_a, 2)
    assert (newest["channel"], newest["actor"], newest["version"]) == ("api", world.rsp, 3)
    assert oldest["action"] == newest["action"] == "replace-entries"
    assert oldest["changes"] == [
        "Added entry client.example with roles mosapi-slam and prefixes 192.0.2.0/24"
    ]
    assert newest["changes"] == ["client.example: prefixes added: 2001:db8::/48"]
    assert oldest["before"]["entries"] == []
    assert oldest["after"]["entries"] == [ENTRY]
    assert newest["before"]["entries"] == [ENTRY]
    assert newest["after"]["entries"] == [changed]
    assert oldest["at"] and oldest["at"] <= newest["at"]
    for event in body["events"]:
        # The audit never carries secrets.
        assert "password_hash" not in str(event)

    limited = client.get(f"{API}/tlds/alpha/history?limit=1", headers=h).get_json()
    assert [e["id"] for e in limited["events"]] == [newest["id"]]
    # ICANN staff see the same history.
    staff = client.get(f"{API}/tlds/alpha/history", headers=bearer(tok["icann"])).get_json()
    assert staff == body


def test_history_bad_limit_is_400(client, tok):
    response = client.get(f"{API}/tlds/alpha/history?limit=many", headers=bearer(tok["op_a"]))
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_query"


def test_failed_puts_leave_no_history(client, tok):
    put_doc(client, tok["op_a"], "alpha", {"entries": [ENTRY]}, None)  # 428
    put_doc(client, tok["op_a"], "alpha", {"entries": [{**ENTRY, "roles": []}]})  # 400
    put_doc(client, tok["op_a"], "alpha", {"entries": [ENTRY]}, "5")  # 412
    put_doc(client, tok["op_b"], "alpha", {"entries": [ENTRY]})  # 404
    body = client.get(f"{API}/tlds/alpha/history", headers=bearer(tok["op_a"])).get_json()
    assert body["events"] == []


# --------------------------------------------------------------------------- 404, no leak

FORBIDDEN = [
    ("op_a", "beta"),
    ("op_b", "alpha"),
    ("rsp", "beta"),
    ("outsider", "alpha"),
    ("outsider", "beta"),
]


def _calls(client, token: str, tld: str):
    """Every TLD-scoped call, with a body and If-Match that would succeed if allowed."""
    h = bearer(token)
    return {
        "get": client.get(doc_url(tld), headers=h),
        "put": put_doc(client, token, tld, {"entries": [ENTRY]}, "1"),
        "put-no-if-match": put_doc(client, token, tld, {"entries": [ENTRY]}, None),
        "put-bad-if-match": put_doc(client, token, tld, {"entries": [ENTRY]}, "x"),
        "put-stale": put_doc(client, token, tld, {"entries": [ENTRY]}, "9"),
        "put-invalid": put_doc(client, token, tld, {"entries": [{"domain_name": 1}]}, "1"),
        "put-mismatch": put_doc(client, token, tld, {"tld": "zzz", "entries": []}, "1"),
        "put-not-json": client.put(
            doc_url(tld), data="{", content_type="application/json", headers=h | {"If-Match": "1"}
        ),
        "history": client.get(f"{API}/tlds/{tld}/history", headers=h),
        "history-bad-limit": client.get(f"{API}/tlds/{tld}/history?limit=x", headers=h),
    }


def _shape(response, name: str) -> tuple:
    """Status, headers that matter, and the body with the TLD's name taken out."""
    body = response.get_json()
    body["error"]["message"] = body["error"]["message"].replace(name, "<tld>")
    return (
        response.status_code,
        response.headers.get("Content-Type"),
        response.headers.get("ETag"),
        response.headers.get("WWW-Authenticate"),
        body,
    )


@pytest.mark.parametrize("who,tld", FORBIDDEN)
def test_other_orgs_tld_is_404_for_every_call(app, client, tok, who, tld):
    for label, response in _calls(client, tok[who], tld).items():
        assert response.status_code == 404, (label, response.get_json())
        assert response.get_json()["error"]["code"] == "not_found", label
        assert response.get_json()["error"]["details"] == [], label
    assert db_state(app, tld) == (1, [], 0)


@pytest.mark.parametrize("who,tld", FORBIDDEN)
def test_forbidden_and_nonexistent_tlds_answer_identically(client, tok, who, tld):
    forbidden = _calls(client, tok[who], tld)
    for missing in ("gamma", "xn--80adxhks", "not_a-tld!", "a.b"):
        absent = _calls(client, tok[who], missing)
        for label in forbidden:
            assert _shape(forbidden[label], tld) == _shape(absent[label], missing), (
                label,
                missing,
            )


def test_nonexistent_tld_is_404_for_icann_too(client, tok):
    for label, response in _calls(client, tok["icann"], "gamma").items():
        assert response.status_code == 404, label


def test_unknown_api_path_and_method_answer_json(client, tok):
    response = client.get(f"{API}/nothing-here", headers=bearer(tok["op_a"]))
    assert response.status_code == 404
    assert response.is_json and response.get_json()["error"]["code"] == "not_found"
    response = client.delete(doc_url("alpha"), headers=bearer(tok["op_a"]))
    assert response.status_code == 405
    assert response.is_json and response.get_json()["error"]["code"] == "method_not_allowed"
    response = client.post(doc_url("alpha"), headers=bearer(tok["op_a"]), json={"entries": []})
    assert response.status_code == 405


def test_portal_session_reads_but_changes_only_with_csrf(app, client, world, login):
    """A signed-in portal page may call the API; its cookie is ambient, so changes need the
    CSRF token like a form does. An Authorization header always wins over the cookie."""

    csrf_token = login(world.op_a)
    response = client.get(f"{API}/tlds")
    assert response.status_code == 200
    assert [r["tld"] for r in response.get_json()["tlds"]] == ["alpha"]
    assert client.get(f"{API}/tlds/beta/history").status_code == 404

    response = client.put(doc_url("alpha"), json={"entries": [ENTRY]}, headers={"If-Match": "1"})
    assert response.status_code == 400
    assert response.is_json, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == "csrf_failed"
    assert db_state(app, "alpha") == (1, [], 0)

    response = client.put(
        doc_url("alpha"),
        json={"entries": [ENTRY]},
        headers={"If-Match": "1", "X-CSRFToken": csrf_token},
    )
    assert response.status_code == 200, response.get_json()
    history = client.get(f"{API}/tlds/alpha/history").get_json()
    assert history["events"][0]["actor"] == world.op_a

    # A bad bearer token is refused even with a valid session beside it.
    _assert_401(client.get(f"{API}/tlds", headers={"Authorization": "Bearer tla_wrong"}))
    # A valid bearer token acts as its own user, not the session's.
    token = api_token(app, world.op_b)
    response = client.get(f"{API}/tlds", headers=bearer(token))
    assert [r["tld"] for r in response.get_json()["tlds"]] == ["beta"]


def test_oversized_body_is_413_json(client, tok):
    big = {"entries": [{**ENTRY, "domain_name": "x" * (3 * 1024 * 1024)}]}
    response = put_doc(client, tok["op_a"], "alpha", big)
    assert response.status_code == 413
    assert response.is_json and response.get_json()["error"]["code"] == "too_large"
