"""The decision log in the API: the tab's filters as query parameters, one decision by id, both
in the OpenAPI document; a value that cannot be read is refused naming the parameter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from portal.core.reasons import REASONS
from tests.decision_rows import add_decision
from tests.helpers import api_token

NOW = datetime.now(UTC).replace(microsecond=0)


def _get(client, token: str, path: str):
    return client.get(f"/api/v1{path}", headers={"Authorization": f"Bearer {token}"})


def test_the_filters_of_the_tab_narrow_the_answer(app, client, world):
    old = add_decision(app, created_at=NOW - timedelta(hours=2))
    acl = add_decision(
        app,
        reasons=["source-not-in-acl"],
        deciding_reason="source-not-in-acl",
        auth_path="tls-client-auth",
        matched_entry="client.rsp.example",
        checks=[
            {"domain_name": "client.rsp.example", "matched": True, "reasons": ["source-not-in-acl"]}
        ],
    )
    rri = add_decision(
        app, system="rri", source_address="::1", endpoint="/info/status/registry/alpha"
    )
    add_decision(app, tld="beta")
    token = api_token(app, world.op_a)

    def ids(query: str) -> list[int]:
        response = _get(client, token, f"/tlds/alpha/decisions{query}")
        assert response.status_code == 200, response.get_json()
        return [d["id"] for d in response.get_json()["decisions"]]

    assert ids("") == [rri, acl, old]
    assert ids("?reason=source-not-in-acl") == [acl]
    assert ids("?system=rri") == [rri]
    assert ids("?source=0::1") == [rri]
    assert ids("?endpoint=STATUS/registry") == [rri]
    assert ids("?entry=client.rsp.example") == [acl]
    since = (NOW - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert ids(f"?since={since}") == [rri, acl]
    assert ids(f"?until={since}") == [old]
    assert ids("?result=denied&system=mosapi&limit=1") == [acl]

    one = _get(client, token, f"/tlds/alpha/decisions/{acl}").get_json()
    assert one["id"] == acl and one["deciding_reason"] == "source-not-in-acl"
    assert one["sentence"] == (
        "127.0.0.2 is not in the prefixes of client.rsp.example for this role; add it on the "
        "TLS client authentication tab."
    )
    assert one["checks"] == [
        {"domain_name": "client.rsp.example", "matched": True, "reasons": ["source-not-in-acl"]}
    ]
    assert one["required_role"] == "mosapi-slam" and one["status_code"] == 401


def test_a_value_that_cannot_be_read_is_refused_by_name(app, client, world):
    token = api_token(app, world.op_a)
    for query, field in (
        ("?source=somewhere", "source"),
        ("?reason=because", "reason"),
        ("?system=epp", "system"),
        ("?since=yesterday", "since"),
    ):
        response = _get(client, token, f"/tlds/alpha/decisions{query}")
        assert response.status_code == 400, query
        error = response.get_json()["error"]
        assert error["code"] == "invalid_query", query
        assert [d["field"] for d in error["details"]] == [field], (query, error)


def test_a_decision_of_another_tld_is_not_found(app, client, world):
    theirs = add_decision(app, tld="beta")
    token = api_token(app, world.op_a)
    missing = _get(client, token, f"/tlds/alpha/decisions/{theirs}")
    assert missing.status_code == 404
    assert missing.get_json()["error"]["message"] == "No such decision in .alpha."
    hidden = _get(client, token, f"/tlds/beta/decisions/{theirs}")
    assert hidden.status_code == 404
    assert hidden.get_json()["error"]["message"] == "No TLD “beta” that you may manage."
    staff = api_token(app, world.icann)
    assert _get(client, staff, f"/tlds/beta/decisions/{theirs}").status_code == 200


def test_the_document_lists_the_filters_and_the_one_decision(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    listing = spec["paths"]["/tlds/{tld}/decisions"]["get"]
    names = {p["name"]: p for p in listing["parameters"]}
    assert {"result", "reason", "system", "endpoint", "source", "entry", "since", "until"} <= set(
        names
    )

    def choices(schema: dict) -> list[str]:
        options = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
        return options[0]["enum"]

    assert choices(names["reason"]["schema"]) == list(REASONS)
    assert choices(names["system"]["schema"]) == ["mosapi", "rri"]
    one = spec["paths"]["/tlds/{tld}/decisions/{decision_id}"]["get"]
    assert one["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/Decision"
    )
