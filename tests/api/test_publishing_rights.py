"""Who may publish at a name of the harness zone, through the API: a TLD's client names (the
domain names of its entries) are its operator's, its RSP of record's and ICANN staff's; other
names are first-come per organisation. Every change at a client name is in the TLD's History;
GET /tlsa-records lists only what the caller may see; records have size limits."""

from __future__ import annotations

import hashlib

import pytest

from portal.core.validation import Entry
from portal.services import zone
from tests.helpers import api_token, set_entries

DATA = hashlib.sha256(b"key one").hexdigest()
DATA2 = hashlib.sha256(b"key two").hexdigest()
BANK_NAME = "client.beta.example"  # a client name of .beta (operator B, no RSP)
SHARED_NAME = "shared.example"


def record(name=BANK_NAME, data=DATA, **kw):
    return {"name": name, "usage": 3, "selector": 1, "matching_type": 1, "data": data, **kw}


def bearer(app, email):
    return {"Authorization": f"Bearer {api_token(app, email)}"}


def entry(name, tld):
    return Entry(name, ("mosapi-slam",), ("127.0.0.1/32",))


def history_lines(client, headers, tld):
    r = client.get(f"/api/v1/tlds/{tld}/history", headers=headers)
    assert r.status_code == 200, r.get_json()
    return [line for event in r.get_json()["events"] for line in event["changes"]]


def test_a_client_name_is_refused_to_another_organisation(app, client, world):
    set_entries(app, [entry(BANK_NAME, "beta")], "beta")
    for email in (world.rsp, world.outsider, world.op_a):
        r = client.post("/api/v1/tlsa-records", json=record(), headers=bearer(app, email))
        assert r.status_code == 400, email
        message = r.get_json()["error"]["details"][0]["message"]
        assert message == (
            "client.beta.example is a client name of .beta; only .beta's registry operator, "
            "its RSP of record or ICANN staff may publish there."
        )
    assert client.get("/api/v1/tlsa-records", headers=bearer(app, world.icann)).get_json() == {
        "records": []
    }
    # The TLD's own operator and ICANN staff may.
    r = client.post("/api/v1/tlsa-records", json=record(), headers=bearer(app, world.op_b))
    assert r.status_code == 201, r.get_json()
    r = client.post(
        "/api/v1/tlsa-records", json=record(data=DATA2), headers=bearer(app, world.icann)
    )
    assert r.status_code == 201, r.get_json()


def test_the_rsp_of_record_may_publish_at_its_tlds_client_names(app, client, world):
    set_entries(app, [entry("client.alpha.example", "alpha")], "alpha")
    rsp, op_a = bearer(app, world.rsp), bearer(app, world.op_a)
    r = client.post("/api/v1/tlsa-records", json=record("client.alpha.example"), headers=rsp)
    assert r.status_code == 201
    # The operator may add beside the RSP's record and remove it (one name, two publishers).
    r = client.post(
        "/api/v1/tlsa-records", json=record("client.alpha.example", DATA2), headers=op_a
    )
    assert r.status_code == 201
    listed = client.get("/api/v1/tlsa-records", headers=op_a).get_json()["records"]
    assert [(x["organisation"], x["created_by"]) for x in listed] == [
        ("RSP One", None),
        ("Operator A", world.op_a),
    ]
    assert client.delete(f"/api/v1/tlsa-records/{listed[0]['id']}", headers=op_a).status_code == 204


def test_the_operator_removes_a_squatters_record(app, client, world):
    """The squatter published first, at a name nobody's entries named; .beta then added its
    entry. The squatter's record is now .beta's to remove, and the squatter may add no more
    there (it may still withdraw its own)."""
    squatter, op_b = bearer(app, world.outsider), bearer(app, world.op_b)
    first = client.post("/api/v1/tlsa-records", json=record(), headers=squatter)
    second = client.post("/api/v1/tlsa-records", json=record(data=DATA2), headers=squatter)
    assert first.status_code == second.status_code == 201
    set_entries(app, [entry(BANK_NAME, "beta")], "beta")

    listed = client.get("/api/v1/tlsa-records", headers=op_b).get_json()["records"]
    assert [(x["name"], x["organisation"], x["created_by"]) for x in listed] == [
        (BANK_NAME, "Other RSP", None),
        (BANK_NAME, "Other RSP", None),
    ]
    r = client.delete(f"/api/v1/tlsa-records/{first.get_json()['id']}", headers=op_b)
    assert r.status_code == 204
    r = client.post("/api/v1/tlsa-records", json=record(data=DATA), headers=squatter)
    assert r.status_code == 400 and "client name of .beta" in r.get_data(as_text=True)
    # Withdrawing its own record grants nothing, so the squatter still may.
    r = client.delete(f"/api/v1/tlsa-records/{second.get_json()['id']}", headers=squatter)
    assert r.status_code == 204
    lines = history_lines(client, op_b, "beta")
    assert lines[:2] == [
        f"TLSA record 3 1 1 {DATA2[:16]}… removed from {BANK_NAME} by {world.outsider} (Other RSP)",
        f"TLSA record 3 1 1 {DATA[:16]}… removed from {BANK_NAME} by {world.op_b} (Operator B)",
    ]


def test_a_name_of_several_tlds_is_open_to_each_ones_operator_and_rsp(app, client, world):
    set_entries(app, [entry(SHARED_NAME, "alpha")], "alpha")
    set_entries(app, [entry(SHARED_NAME, "beta")], "beta")
    r = client.post(
        "/api/v1/tlsa-records", json=record(SHARED_NAME), headers=bearer(app, world.outsider)
    )
    assert r.status_code == 400
    assert r.get_json()["error"]["details"][0]["message"] == (
        "shared.example is a client name of .alpha and .beta; only the registry operators and "
        "RSPs of record of those TLDs, or ICANN staff, may publish there."
    )
    for email, data in ((world.op_b, DATA), (world.rsp, DATA2)):
        r = client.post(
            "/api/v1/tlsa-records", json=record(SHARED_NAME, data), headers=bearer(app, email)
        )
        assert r.status_code == 201, email
    # Each change is in the History of both TLDs.
    staff = bearer(app, world.icann)
    for tld in ("alpha", "beta"):
        assert history_lines(client, staff, tld)[:2] == [
            f"TLSA record 3 1 1 {DATA2[:16]}… published at {SHARED_NAME} by {world.rsp} (RSP One)",
            f"TLSA record 3 1 1 {DATA[:16]}… published at {SHARED_NAME} by {world.op_b} "
            "(Operator B)",
        ]


def test_other_names_stay_first_come_and_out_of_history(app, client, world):
    rsp, other = bearer(app, world.rsp), bearer(app, world.outsider)
    assert (
        client.post("/api/v1/tlsa-records", json=record("free.example"), headers=rsp).status_code
        == 201
    )
    r = client.post("/api/v1/tlsa-records", json=record("free.example", DATA2), headers=other)
    assert r.status_code == 400
    assert r.get_json()["error"]["details"][0]["message"] == (
        "free.example belongs to another organisation (the first to publish there); publish "
        "under a name of yours."
    )
    staff = bearer(app, world.icann)
    assert history_lines(client, staff, "alpha") == []
    assert history_lines(client, staff, "beta") == []


def test_history_event_shape(app, client, world):
    set_entries(app, [entry(BANK_NAME, "beta")], "beta")
    op_b = bearer(app, world.op_b)
    client.post("/api/v1/tlsa-records", json=record(), headers=op_b)
    events = client.get("/api/v1/tlds/beta/history", headers=op_b).get_json()["events"]
    zone_event = events[0]
    assert zone_event["action"] == "publish-tlsa"
    assert zone_event["actor"] == world.op_b and zone_event["channel"] == "api"
    assert zone_event["version"] is None  # the TLD's configuration did not change
    assert zone_event["after"]["tlsa"]["records"] == [f"3 1 1 {DATA}"]


def test_tlsa_records_lists_only_what_the_caller_may_see(app, client, world):
    set_entries(app, [entry("client.alpha.example", "alpha")], "alpha")
    set_entries(app, [entry(BANK_NAME, "beta")], "beta")
    published = [
        (world.rsp, "client.alpha.example"),
        (world.op_b, BANK_NAME),
        (world.rsp, "rsp-own.example"),
        (world.outsider, "other-own.example"),
    ]
    for email, name in published:
        r = client.post("/api/v1/tlsa-records", json=record(name), headers=bearer(app, email))
        assert r.status_code == 201, (email, name)

    def seen(email, query=""):
        r = client.get(f"/api/v1/tlsa-records{query}", headers=bearer(app, email))
        assert r.status_code == 200
        return [(x["name"], x["organisation"], x["created_by"]) for x in r.get_json()["records"]]

    assert seen(world.icann) == [
        ("client.alpha.example", "RSP One", world.rsp),
        (BANK_NAME, "Operator B", world.op_b),
        ("other-own.example", "Other RSP", world.outsider),
        ("rsp-own.example", "RSP One", world.rsp),
    ]
    # RSP One: its own names, and alpha's client names (it is alpha's RSP of record).
    assert seen(world.rsp) == [
        ("client.alpha.example", "RSP One", world.rsp),
        ("rsp-own.example", "RSP One", world.rsp),
    ]
    # Operator A: alpha's client names, published by another organisation: no email address.
    assert seen(world.op_a) == [("client.alpha.example", "RSP One", None)]
    assert seen(world.op_b) == [(BANK_NAME, "Operator B", world.op_b)]
    assert seen(world.outsider) == [("other-own.example", "Other RSP", world.outsider)]
    # Asking for a name one may not see is an empty answer, as for a name with no records.
    assert seen(world.outsider, f"?name={BANK_NAME}") == []
    # And a record one may not see cannot be removed (the same 404 as no record).
    rid = client.get("/api/v1/tlsa-records", headers=bearer(app, world.op_b)).get_json()["records"][
        0
    ]["id"]
    r = client.delete(f"/api/v1/tlsa-records/{rid}", headers=bearer(app, world.outsider))
    assert r.status_code == 404


def test_record_data_has_a_size_limit(app, client, world):
    h = bearer(app, world.rsp)
    full = {"name": "full.example", "usage": 3, "selector": 0, "matching_type": 0}
    r = client.post("/api/v1/tlsa-records", json={**full, "data": "ab" * 4097}, headers=h)
    assert r.status_code == 400
    assert r.get_json()["error"]["details"] == [
        {
            "field": "data",
            "message": "The data is 8194 hexadecimal digits, more than the limit of 8192 "
            "(4 KiB); publish a SHA-256 of it (matching type 1) instead.",
        }
    ]
    r = client.post("/api/v1/tlsa-records", json={**full, "data": "ab" * 4096}, headers=h)
    assert r.status_code == 201


def test_an_organisation_holds_a_limited_number_of_records(
    app, client, world, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(zone, "MAX_RECORDS_PER_ORGANISATION", 3)
    h = bearer(app, world.rsp)
    for i in range(3):
        data = hashlib.sha256(f"key {i}".encode()).hexdigest()
        r = client.post("/api/v1/tlsa-records", json=record(f"n{i}.example", data), headers=h)
        assert r.status_code == 201
    r = client.post("/api/v1/tlsa-records", json=record("n9.example"), headers=h)
    assert r.status_code == 400
    assert "holds 3 records in the harness zone" in r.get_data(as_text=True)
    # Another organisation has its own allowance.
    r = client.post(
        "/api/v1/tlsa-records", json=record("n9.example"), headers=bearer(app, world.op_b)
    )
    assert r.status_code == 201
