"""The MoSAPI mock's endpoints over real mTLS, scenarios, maintenance windows on both mocks,
a curl client, and a slow upload that blocks nobody."""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import time

import pytest

from portal.core.roles import ROLE_IDS
from portal.core.validation import Entry
from tests.helpers import api_token, client_cert, publish, set_entries

DOMAIN = "monitor.alpha.example"


@pytest.fixture
def cred(app, world, tmp_path):
    c = client_cert(tmp_path, DOMAIN)
    set_entries(app, [Entry(DOMAIN, ROLE_IDS, ("127.0.0.1/32",))])
    publish(app, world.rsp, DOMAIN, c.cert)
    return c


@pytest.fixture
def mosapi(start_mock, cred):
    return start_mock("mosapi")


def get_json(server, path, cred, expect=200):
    answer = server.request("GET", path, cred=cred)
    assert answer.status == expect, (path, answer.text)
    assert answer.headers["content-type"].startswith("application/json")
    return json.loads(answer.body)


def test_state_shape_and_scenario_is_reflected_by_the_next_call(app, world, client, mosapi, cred):
    state = get_json(mosapi, "/ry/alpha/v2/monitoring/state", cred)
    assert state["version"] == 2 and isinstance(state["lastUpdateApiDatabase"], int)
    assert state["tld"] == "alpha" and state["status"] == "Up"
    assert set(state["testedServices"]) == {"DNS", "DNSSEC", "RDDS", "RDAP", "EPP"}
    token = api_token(app, world.op_a)
    r = client.put(
        "/api/v1/tlds/alpha/scenario",
        json={"services": {"DNS": {"incidents": [{"active": True, "started_minutes_ago": 20}]}}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200, r.get_json()
    state = get_json(mosapi, "/ry/alpha/v2/monitoring/state", cred)
    assert state["status"] == "Down"
    dns = state["testedServices"]["DNS"]
    assert dns["status"] == "Down"
    [incident] = dns["incidents"]
    assert incident["state"] == "Active" and incident["endTime"] is None
    assert get_json(mosapi, "/ry/alpha/v2/monitoring/dns/alarmed", cred)["alarmed"] == "Yes"
    listed = get_json(mosapi, "/ry/alpha/v2/monitoring/dns/incidents", cred)["incidents"]
    assert incident["incidentID"] in [i["incidentID"] for i in listed]
    one = get_json(mosapi, f"/ry/alpha/v2/monitoring/dns/incidents/{incident['incidentID']}", cred)
    assert one["incidentID"] == incident["incidentID"]
    # the incident id is stable from call to call (the scenario stored absolute times)
    again = get_json(mosapi, "/ry/alpha/v2/monitoring/state", cred)
    assert again["testedServices"]["DNS"]["incidents"][0]["incidentID"] == incident["incidentID"]
    bad = client.put(
        "/api/v1/tlds/alpha/scenario",
        json={"services": {"FTP": {}}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert bad.status_code == 400 and bad.get_json()["error"]["details"]


def test_monitoring_endpoints(mosapi, cred):
    assert "downtime" in get_json(mosapi, "/ry/alpha/v2/monitoring/rdds/downtime", cred)
    assert "incidents" in get_json(mosapi, "/ry/alpha/v2/monitoring/dnssec/incidents", cred)
    years = get_json(mosapi, "/ry/alpha/v2/monitoring/dns/measurements", cred)
    assert years
    get_json(mosapi, "/ry/alpha/v2/monitoring/ftp/alarmed", cred, expect=404)
    get_json(mosapi, "/ry/alpha/v2/monitoring/dns/incidents/1.1", cred, expect=404)


def test_metrica_and_its_errors(mosapi, cred):
    latest = get_json(mosapi, "/ry/alpha/v2/metrica/domainList/latest", cred)
    assert latest["tld"] == "alpha" and "domainListData" in latest and latest["version"] == 2
    by_date = get_json(mosapi, f"/ry/alpha/v2/metrica/domainList/{latest['domainListDate']}", cred)
    assert by_date["domainListDate"] == latest["domainListDate"]
    get_json(mosapi, "/ry/alpha/v2/metrica/domainList/1999-01-01", cred, expect=404)
    base = "/ry/alpha/v2/metrica/domainLists"
    cases = {
        "?startDate=2026-01-01&endDate=2026-03-01": 2011,
        "?startDate=2026-02-01&endDate=2026-01-01": 2012,
        "?startDate=nope&endDate=2026-01-01": 2013,
        "?startDate=2026-01-01&endDate=2026-02-30": 2014,
    }
    for query, code in cases.items():
        body = get_json(mosapi, base + query, cred, expect=400)
        assert body["resultCode"] == code and body["message"] and "description" in body
    ok = get_json(mosapi, base + "?startDate=2026-01-01&endDate=2026-01-10", cred)
    assert len(ok["domainLists"]) == 10


def test_rdap_base_url_list(mosapi, cred):
    body = get_json(mosapi, "/ry/alpha/v2/registrarRdapBaseUrl/list", cred)
    assert body["version"] == "1.0" and body["services"] and "publication" in body


@pytest.mark.parametrize("system", ["mosapi", "rri"])
def test_maintenance_windows_and_probe_nodes_on_both(start_mock, cred, system):
    server = start_mock(system)
    base = (
        "/ry/alpha/v2/maintenance-windows" if system == "mosapi" else "/maintenance-windows/alpha"
    )
    json_h = {"Content-Type": "application/json"}
    window = {"start": "2999-01-01T02:00:00Z", "end": "2999-01-01T03:00:00Z", "services": ["DNS"]}
    created = server.request(
        "POST", base, cred=cred, body=json.dumps(window).encode(), headers=json_h
    )
    assert created.status == 201, created.text
    wid = json.loads(created.body)["id"]
    listed = json.loads(server.request("GET", base, cred=cred).body)["maintenanceWindows"]
    assert [w["id"] for w in listed] == [wid]
    window["end"] = "2999-01-01T04:00:00Z"
    updated = server.request(
        "PUT", f"{base}/{wid}", cred=cred, body=json.dumps(window).encode(), headers=json_h
    )
    assert json.loads(updated.body)["end"] == "2999-01-01T04:00:00Z"
    bad = server.request("POST", base, cred=cred, body=b'{"start": "x"}', headers=json_h)
    assert bad.status == 400
    assert server.request("DELETE", f"{base}/{wid}", cred=cred).status == 204
    assert server.request("GET", f"{base}/{wid}", cred=cred).status == 404
    nodes_path = "/ry/alpha/v2/probe-nodes" if system == "mosapi" else "/probe-nodes/alpha"
    nodes = json.loads(server.request("GET", nodes_path, cred=cred).body)
    assert len(nodes["probeNodes"]) == 8


def test_curl_client(mosapi, cred):
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed on this machine")
    url = f"https://localhost:{mosapi.port}/ry/alpha/v2/monitoring/state"
    out = subprocess.run(
        [
            curl,
            "-sS",
            "--cacert",
            str(mosapi.ca_file),
            "--cert",
            str(cred.cert_file),
            "--key",
            str(cred.key_file),
            "-D",
            "-",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    assert out.startswith("HTTP/1.1 200") and '"tld":"alpha"' in out.replace(" ", "")
    assert "allowed tls-client-auth" in out.lower()
    denied = subprocess.run(
        [curl, "-sS", "--cacert", str(mosapi.ca_file), url],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    assert denied.startswith("The client could not be authenticated")


def test_a_slow_upload_blocks_no_one(start_mock, cred):
    server = start_mock("rri")
    ctx = ssl.create_default_context(cafile=str(server.ca_file))
    ctx.load_cert_chain(str(cred.cert_file), str(cred.key_file))
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=20)
    slow = ctx.wrap_socket(raw, server_hostname="localhost")
    try:
        slow.sendall(
            b"PUT /report/registry-functions-activity/alpha/2026-01 HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: text/csv\r\nContent-Length: 100000\r\n\r\npartial"
        )
        started = time.monotonic()
        for _ in range(5):
            answer = server.request(
                "GET", "/info/report/registry-functions-activity/alpha/2026-01", cred=cred
            )
            assert answer.status == 404
        assert time.monotonic() - started < 10
    finally:
        slow.close()


def test_scenario_from_the_portal_page(app, client, world, mosapi, cred, login):
    from tests.helpers import HTMX

    token = login(world.op_a)
    h = {**HTMX, "X-CSRFToken": token}
    page = client.get("/tlds/alpha?tab=scenario").get_data(as_text=True)
    assert "MoSAPI scenario" in page and 'value="dns-down"' in page
    r = client.post("/tlds/alpha/scenario", data={"preset": "dns-down"}, headers=h)
    assert r.status_code == 200 and "Scenario saved" in r.get_data(as_text=True)
    assert get_json(mosapi, "/ry/alpha/v2/monitoring/state", cred)["status"] == "Down"
    bad = client.post("/tlds/alpha/scenario", data={"scenario": "{not json"}, headers=h)
    assert bad.status_code == 422 and "Not JSON" in bad.get_data(as_text=True)
    bad = client.post(
        "/tlds/alpha/scenario", data={"scenario": '{"services": {"FTP": {}}}'}, headers=h
    )
    assert bad.status_code == 422 and "{not json" not in bad.get_data(as_text=True)
    r = client.post("/tlds/alpha/scenario", data={"scenario": "{}"}, headers=h)
    assert r.status_code == 200
    assert get_json(mosapi, "/ry/alpha/v2/monitoring/state", cred)["status"] == "Up"
    assert (
        client.post("/tlds/alpha/scenario", data={"preset": "all-up"}, headers=HTMX).status_code
        == 400
    )
