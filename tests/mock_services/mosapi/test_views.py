"""The MoSAPI mock's endpoints over real mTLS, scenarios, maintenance windows on both mocks,
a curl client, and a slow upload that blocks nobody."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import socket
import ssl
import subprocess
import time
from datetime import datetime
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import select

from infra.database import db
from mock_services.enforcement import MOSAPI_DENIED
from mock_services.mosapi import probe_errors
from portal.core.roles import ROLE_IDS
from portal.core.validation import Entry
from portal.models import Tld
from portal.services import scenarios
from tests.helpers import (
    api_token,
    basic_auth,
    client_cert,
    last_decision,
    open_basic,
    publish,
    set_entries,
)

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
    assert one["incidents"] == [incident]
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
        assert body["resultCode"] == str(code) and body["message"] and "description" in body
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
    # A real client is the point of this test: without curl it must fail, not pass as skipped.
    assert curl is not None, "curl is needed for this test (Debian package curl)"
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


# --------------------------------------------------------------------------- as the real MoSAPI
# Each behaviour below is what a real client meets at ICANN; the comment names the public source.


def set_scenario(app, doc, tld="alpha"):
    with app.app_context():
        row = db.session.scalars(select(Tld).where(Tld.name == tld)).one()
        scenarios.save(db.session, row, doc, "test")


def active_dns_incident(app, mosapi, cred, minutes_ago=10):
    set_scenario(
        app,
        {
            "services": {
                "DNS": {"incidents": [{"active": True, "started_minutes_ago": minutes_ago}]}
            }
        },
    )
    state = get_json(mosapi, "/ry/alpha/v2/monitoring/state", cred)
    [incident] = state["testedServices"]["DNS"]["incidents"]
    return incident


def test_incident_state_is_a_list_of_one_incident(app, mosapi, cred):
    # ICANN SLAM, beta6nine9/zabbix_rsm opt/zabbix/scripts/ApiHelper.pm ah_save_incident: the
    # incident's state file is {"incidents": [<incident>], "version", "lastUpdateApiDatabase"}.
    incident = active_dns_incident(app, mosapi, cred)
    path = f"/ry/alpha/v2/monitoring/dns/incidents/{incident['incidentID']}"
    body = get_json(mosapi, path, cred)
    assert set(body) == {"incidents", "version", "lastUpdateApiDatabase"}
    assert body["version"] == 2 and body["incidents"] == [incident]
    assert set(incident) == {"incidentID", "startTime", "endTime", "falsePositive", "state"}


def test_measurement_ids_are_file_names(app, mosapi, cred):
    # ICANN SLAM ApiHelper.pm __gen_measurement_path: measurements/yyyy/mm/dd/<clock>.json;
    # listings as onasunnymorning/domain-os queryAvailableMeasurement{Years,Months,Days}.go and
    # queryAvailableMeasurements.go show them (newest first; IDs oldest first, ".json" kept).
    base = "/ry/alpha/v2/monitoring/dns/measurements"
    years = get_json(mosapi, base, cred)
    assert set(years) == {"version", "lastUpdateApiDatabase", "years"}
    assert years["years"] == sorted(years["years"], reverse=True)
    year = years["years"][0]
    months = get_json(mosapi, f"{base}/{year}", cred)["months"]
    assert months == sorted(months, reverse=True)
    days = get_json(mosapi, f"{base}/{year}/{months[0]}", cred)["days"]
    assert days == sorted(days, reverse=True)
    day = f"{base}/{year}/{months[0]}/{days[0]}"
    ids = get_json(mosapi, day, cred)["measurements"]
    assert ids and ids == sorted(ids) and all(re.fullmatch(r"[0-9]+\.json", i) for i in ids)
    detail = get_json(mosapi, f"{day}/{ids[-1]}", cred)
    assert f"{detail['cycleCalculationDateTime']}.json" == ids[-1]
    bare = get_json(mosapi, f"{day}/{ids[-1].removesuffix('.json')}", cred, expect=404)
    assert bare["resultCode"] == "404"
    # ApiHelper.pm ah_copy_measurement: an incident's cycles are <clock>.<eventid>.json.
    incident = active_dns_incident(app, mosapi, cred)
    event_id = incident["incidentID"].split(".")[1]
    under = f"/ry/alpha/v2/monitoring/dns/incidents/{incident['incidentID']}/measurements"
    listed = get_json(mosapi, under, cred)
    assert set(listed) == {"version", "lastUpdateApiDatabase", "measurements"}
    names = listed["measurements"]
    assert names and all(re.fullmatch(rf"[0-9]+\.{event_id}\.json", n) for n in names)
    copy = get_json(mosapi, f"{under}/{names[0]}", cred)
    assert f"{copy['cycleCalculationDateTime']}.{event_id}.json" == names[0]
    assert copy["status"] == "Down"


def test_measurement_details_carry_the_v2_fields_and_real_error_codes(app, mosapi, cred):
    # ICANN SLAM beta6nine9/zabbix_rsm opt/zabbix/scripts/sla-api-recent.pl calculate_cycle and
    # fill_test_data (version 2 files; read by onasunnymorning/domain-os
    # measurementDetailsResponse.go); codes from the probes' table, checks_simple_rsm.h.
    incident = active_dns_incident(app, mosapi, cred)
    under = f"/ry/alpha/v2/monitoring/dns/incidents/{incident['incidentID']}/measurements"
    codes = set(probe_errors.DNS_UDP + probe_errors.DNS_TCP)
    failures: list[str] = []
    for name in get_json(mosapi, under, cred)["measurements"][:3]:
        body = get_json(mosapi, f"{under}/{name}", cred)
        assert body["service"] == "dns" and body["tld"] == "alpha"
        assert isinstance(body["minNameServersUp"], int)
        assert set(body["nameServerAvailability"]) == {"nameServerStatus", "probes"}
        [interface] = body["testedInterface"]
        assert set(interface) == {"interface", "probes"} and interface["interface"] == "DNS"
        for probe in interface["probes"]:
            assert probe["transport"] in ("udp", "tcp")
            assert probe["testedName"] == "nonexistent.alpha"
            for test in probe["testData"]:
                for metric in test["metrics"]:
                    assert "nsid" in metric
                    if metric["result"] != "ok":
                        failures.append(metric["result"])
                        assert metric["rtt"] is None and int(metric["result"]) in codes
    assert len(set(failures)) > 1  # the incident's cycles are Down, and failures vary


def test_every_400_and_404_is_the_mosapi_error_envelope(app, mosapi, cred):
    # njshah301/nomulus core/src/main/java/google/registry/mosapi/dto/MosApiErrorResponse.java:
    # {"resultCode" (a string), "message", "description"}; codes from MosApiResponse.java.
    incidents = "/ry/alpha/v2/monitoring/dns/incidents"
    cases = {
        "?startDate=%C2%B2": "2013",  # "²" is a digit to str.isdigit(), not to MoSAPI
        "?startDate=yesterday": "2013",
        "?endDate=-5": "2014",
        "?startDate=1700000600&endDate=1700000000": "2012",
    }
    for query, code in cases.items():
        body = get_json(mosapi, incidents + query, cred, expect=400)
        assert set(body) == {"resultCode", "message", "description"}, query
        assert body["resultCode"] == code and body["message"] and body["description"]
    listed = get_json(mosapi, incidents + "?startDate=1700000000&endDate=1700000600", cred)
    assert "incidents" in listed
    lists = get_json(mosapi, "/ry/alpha/v2/metrica/domainLists?startDate=nope", cred, expect=400)
    assert lists["resultCode"] == "2013"
    # 404: no public text; the same envelope (what an older nomulus DomainMetricaClient parses).
    for path in (
        incidents + "/1.1",
        incidents + "/1.1/falsePositive",
        "/ry/alpha/v2/monitoring/ftp/alarmed",
        "/ry/alpha/v2/monitoring/dns/measurements/1999",
        "/ry/alpha/v2/monitoring/dns/measurements/2025/13",
        "/ry/alpha/v2/metrica/domainList/1999-01-01",
        "/ry/alpha/v2/no-such-endpoint",
    ):
        body = get_json(mosapi, path, cred, expect=404)
        assert set(body) == {"resultCode", "message", "description"}, path
        assert body["resultCode"] == "404"


def test_metrica_lists_last_modified_and_gzip(app, mosapi, cred):
    # onasunnymorning/icann-client mosapi/metrica.go (MetricaListInfo, GetMetricaLatest and
    # GetMetricaByDate read Last-Modified) and njshah301/nomulus MetricaReportInfo.java
    # (domainListGenerationDate), MetricaThreatData.java (spam, phishing, botnetCc, malware),
    # MosApiClient.sendGetRequestWithDecompression (gzip answers).
    set_scenario(app, {"metrica": {"counts": {"spam": 40}}})
    listed = get_json(mosapi, "/ry/alpha/v2/metrica/domainLists", cred)
    generated = {d["domainListDate"]: d["domainListGenerationDate"] for d in listed["domainLists"]}
    assert generated and all(
        re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d\dZ", g) for g in generated.values()
    )
    for path in ("latest", max(generated)):
        answer = mosapi.request("GET", f"/ry/alpha/v2/metrica/domainList/{path}", cred=cred)
        assert answer.status == 200 and "content-encoding" not in answer.headers
        report = json.loads(answer.body)
        threats = [d["threatType"] for d in report["domainListData"]]
        assert threats == ["spam", "phishing", "botnetCc", "malware"]
        made = datetime.fromisoformat(generated[report["domainListDate"]]).replace(microsecond=0)
        assert parsedate_to_datetime(answer.headers["last-modified"]) == made
        zipped = mosapi.request(
            "GET",
            f"/ry/alpha/v2/metrica/domainList/{path}",
            cred=cred,
            headers={"Accept-Encoding": "gzip"},
        )
        assert zipped.headers["content-encoding"] == "gzip"
        assert "accept-encoding" in zipped.headers["vary"].lower()
        assert json.loads(gzip.decompress(zipped.body)) == report
        assert zipped.headers["last-modified"] == answer.headers["last-modified"]
    zipped = mosapi.request(
        "GET",
        "/ry/alpha/v2/metrica/domainLists",
        cred=cred,
        headers={"Accept-Encoding": "gzip, deflate"},
    )
    assert json.loads(gzip.decompress(zipped.body)) == listed


def test_login_with_a_wrong_password(app, world, start_mock):
    # onasunnymorning/icann-client CHANGELOG.md, v0.4.0 Fixed: a wrong (truncated) password got
    # "401 Invalid User and/or Password"; without credentials MoSAPI keeps its generic text.
    right = open_basic(app, password="registry-password-1")
    server = start_mock("mosapi")
    for user, password, reason in (
        ("alpha_ry", "wrong-password", "bad-password"),
        ("nobody_ry", "registry-password-1", "unknown-user"),
    ):
        answer = server.request("GET", "/ry/alpha/login", headers=basic_auth(user, password))
        assert answer.status == 401 and answer.text == "Invalid User and/or Password"
        assert answer.headers["content-type"].startswith("text/plain")
        assert last_decision(app).reasons == [reason]
    bare = server.request("GET", "/ry/alpha/login")
    assert bare.status == 401 and bare.text == MOSAPI_DENIED
    assert server.request("GET", "/ry/alpha/login", headers=right).status == 200
