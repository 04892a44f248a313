"""The harness zone API: publish at a free name, ownership by organisation, rollover, removal."""

from __future__ import annotations

import hashlib

from tests.helpers import api_token

DATA = hashlib.sha256(b"key one").hexdigest()
DATA2 = hashlib.sha256(b"key two").hexdigest()


def record(name="client.rsp.example", data=DATA, **kw):
    return {"name": name, "usage": 3, "selector": 1, "matching_type": 1, "data": data, **kw}


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_publish_list_rollover_and_remove(app, client, world):
    rsp = bearer(api_token(app, world.rsp))
    r = client.post("/api/v1/tlsa-records", json=record(name="Client.RSP.example."), headers=rsp)
    assert r.status_code == 201, r.get_json()
    first = r.get_json()
    assert first["name"] == "client.rsp.example"
    assert first["presentation"] == f"client.rsp.example. 3600 IN TLSA 3 1 1 {DATA}"
    assert (
        client.post("/api/v1/tlsa-records", json=record(), headers=rsp).status_code == 400
    )  # same
    assert (
        client.post("/api/v1/tlsa-records", json=record(data=DATA2), headers=rsp).status_code == 201
    )
    listed = client.get("/api/v1/tlsa-records?name=client.rsp.example", headers=rsp).get_json()
    assert [x["data"] for x in listed["records"]] == [DATA, DATA2]
    assert client.delete(f"/api/v1/tlsa-records/{first['id']}", headers=rsp).status_code == 204
    listed = client.get("/api/v1/tlsa-records", headers=rsp).get_json()
    assert [x["data"] for x in listed["records"]] == [DATA2]


def test_a_name_belongs_to_the_first_publishers_organisation(app, client, world):
    rsp = bearer(api_token(app, world.rsp))
    other = bearer(api_token(app, world.outsider))
    staff = bearer(api_token(app, world.icann))
    rid = client.post("/api/v1/tlsa-records", json=record(), headers=rsp).get_json()["id"]
    r = client.post("/api/v1/tlsa-records", json=record(data=DATA2), headers=other)
    assert r.status_code == 400 and "belongs to another organisation" in r.get_data(as_text=True)
    assert client.delete(f"/api/v1/tlsa-records/{rid}", headers=other).status_code == 404
    assert (
        client.post("/api/v1/tlsa-records", json=record(data=DATA2), headers=staff).status_code
        == 201
    )
    assert client.delete(f"/api/v1/tlsa-records/{rid}", headers=staff).status_code == 204


def test_bad_records_are_refused_with_field_details(app, client, world):
    h = bearer(api_token(app, world.rsp))
    cases = [
        (record(usage=4), "usage"),
        (record(selector=2), "selector"),
        (record(matching_type=3), "matching_type"),
        (record(data="zz"), "data"),
        (record(data=DATA[:-2]), "data"),
        (record(name="no_dots"), "name"),
        (record(ttl=5), "ttl"),
    ]
    for body, fld in cases:
        r = client.post("/api/v1/tlsa-records", json=body, headers=h)
        assert r.status_code == 400, body
        assert fld in [d["field"] for d in r.get_json()["error"]["details"]], body
    r = client.post("/api/v1/tlsa-records", json=record(usage=1), headers=h)
    assert r.status_code == 201 and "PKIX" in r.get_json()["warnings"][0]["message"]


def test_portal_session_may_use_the_api_with_csrf(app, client, world, login):
    token = login(world.rsp)
    assert client.post("/api/v1/tlsa-records", json=record()).status_code == 400  # no CSRF token
    r = client.post("/api/v1/tlsa-records", json=record(), headers={"X-CSRFToken": token})
    assert r.status_code == 201
    assert client.get("/api/v1/tlsa-records").status_code == 200
