from tests.helpers import HTMX


def test_pages_render(client, world, login):
    token = login(world.op_a)
    r = client.get("/tlds")
    assert r.status_code == 200 and ".alpha" in r.get_data(as_text=True)
    r = client.get("/tlds/alpha")
    assert r.status_code == 200
    for tab in ("entries", "history", "credentials"):
        assert client.get(f"/tlds/alpha?tab={tab}").status_code == 200
        assert client.get(f"/tlds/alpha?tab={tab}", headers=HTMX).status_code == 200
    r = client.post(
        "/tlds/alpha/entries",
        data={
            "domain_name": "client.example",
            "roles": ["mosapi-slam"],
            "ip_acl": "127.0.0.1/32",
            "version": "1",
        },
        headers={**HTMX, "X-CSRFToken": token},
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    assert "client.example" in r.get_data(as_text=True)
