"""The RRI status reads under /info/status/, pure and over real mTLS. Source of the shapes:
onasunnymorning/icann-client rri/getReportingStatus.go GetReportingStatus (production serves
JSON, answers Accept: text/xml with 406; testdata/reporting-summary.json),
rri/getEscrowNotificationStatus.go GetEscrowNotificationStatus (the same JSON, its Dea path) and
rri/getConformanceVersion.go GetConformanceVersion (production answers 404)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from sqlalchemy import select

from infra.database import db
from mock_services.rri import status
from portal.core.scenario import RriSwitches
from portal.core.validation import Entry
from portal.models import Tld
from portal.services import scenarios
from tests.helpers import client_cert, last_decision, publish, set_entries

PATHS = ["Full", "Diff", "Dea", "PRTR", "RFAR", "Registry"]
CREATED = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")


def test_summary_shape() -> None:
    now = datetime(2026, 9, 15, 0, 44, 3, 230000, tzinfo=UTC)
    switches = RriSwitches(reporting_status={"PRTR": "unsatisfactory"})
    body = status.summary("example", switches, now)
    assert body == {
        "tld": {"name": "example"},
        "paths": [{"path": p, "status": "unsatisfactory" if p == "PRTR" else "ok"} for p in PATHS],
        "created": "2026-09-15T00:44:03.230Z",
    }
    dea = status.summary("example", RriSwitches(), now, status.DEA_PATHS)
    assert dea["paths"] == [{"path": "Dea", "status": "ok"}]


def test_registry_status_is_the_json_summary(app, rri) -> None:
    server, cred = rri
    answer = server.request("GET", "/info/status/registry/alpha", cred=cred)
    assert answer.status == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    body = json.loads(answer.body)
    assert body["tld"] == {"name": "alpha"}
    assert body["paths"] == [{"path": p, "status": "ok"} for p in PATHS]
    assert CREATED.fullmatch(body["created"])
    with_json = {"Accept": "application/json"}
    json_ok = server.request("GET", "/info/status/registry/alpha", cred=cred, headers=with_json)
    assert json_ok.status == 200


def test_registry_status_refuses_xml_with_406(rri) -> None:
    server, cred = rri
    answer = server.request(
        "GET", "/info/status/registry/alpha", cred=cred, headers={"Accept": "text/xml"}
    )
    assert answer.status == 406


def test_registry_status_follows_the_scenario(app, rri) -> None:
    server, cred = rri
    with app.app_context():
        tld = db.session.scalars(select(Tld).where(Tld.name == "alpha")).one()
        scenarios.save(
            db.session, tld, {"rri": {"reporting_status": {"PRTR": "unsatisfactory"}}}, "t"
        )
    body = json.loads(server.request("GET", "/info/status/registry/alpha", cred=cred).body)
    assert {p["path"]: p["status"] for p in body["paths"]}["PRTR"] == "unsatisfactory"


def test_escrow_notification_status_is_the_dea_path(rri) -> None:
    server, cred = rri
    answer = server.request("GET", "/info/status/escrow-agent-notification/alpha", cred=cred)
    assert answer.status == 200, answer.text
    body = json.loads(answer.body)
    assert body["tld"] == {"name": "alpha"}
    assert body["paths"] == [{"path": "Dea", "status": "ok"}]


def test_conformance_version_is_404(rri) -> None:
    server, cred = rri
    for who in (cred, None):
        answer = server.request("GET", "/info/status/conformance-version", cred=who)
        assert (answer.status, answer.body) == (404, b"")


def test_status_reads_need_their_roles(app, world, start_mock, tmp_path) -> None:
    # The harness's decision: the registry summary opens with the monthly reports' role, the
    # escrow agent notification summary with the escrow role.
    domain = "escrow-only.alpha.example"
    cred = client_cert(tmp_path, domain)
    set_entries(app, [Entry(domain, ("rri-escrow-reports",), ("127.0.0.1/32",))])
    publish(app, world.rsp, domain, cred.cert)
    server = start_mock("rri")
    denied = server.request("GET", "/info/status/registry/alpha", cred=cred)
    assert denied.status == 403
    assert "role-not-granted" in last_decision(app).reasons
    allowed = server.request("GET", "/info/status/escrow-agent-notification/alpha", cred=cred)
    assert allowed.status == 200, allowed.text
