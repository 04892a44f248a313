"""The Decisions tab: rows people can read, filters with the active filter shown, the live
table (204 while nothing changed), one decision in detail, and the filtered view as CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from infra.database import db
from portal.models import DecisionLogRow
from tests.decision_rows import add_decision
from tests.helpers import HTMX

NOW = datetime.now(UTC).replace(microsecond=0)
CLIENT = "client.rsp.example"


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr data-testid="decision-row">(.*?)</tr>', html, re.S)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def _seed(app) -> dict[str, int]:
    return {
        "allowed": add_decision(
            app,
            created_at=NOW - timedelta(minutes=3),
            result="allowed",
            status_code=200,
            reasons=[],
            deciding_reason=None,
            auth_path="tls-client-auth",
            matched_entry=CLIENT,
            source_address="127.0.0.1",
            cert_subject=f"CN={CLIENT}",
            cert_spki_sha256="ab" * 32,
        ),
        "acl": add_decision(
            app,
            created_at=NOW - timedelta(minutes=2),
            status_code=401,
            reasons=["source-not-in-acl", "role-not-granted"],
            deciding_reason="source-not-in-acl",
            auth_path="tls-client-auth",
            matched_entry=CLIENT,
            cert_subject=f"CN={CLIENT}",
            cert_spki_sha256="ab" * 32,
            warnings=["certificate-expired"],
            checks=[
                {"domain_name": "other.example", "matched": False, "reasons": ["tlsa-mismatch"]},
                {"domain_name": CLIENT, "matched": True, "reasons": ["source-not-in-acl"]},
            ],
        ),
        "rri": add_decision(
            app,
            created_at=NOW - timedelta(minutes=1),
            system="rri",
            method="PUT",
            endpoint="/report/registrar-transactions/alpha/2026-01",
            result="allowed",
            status_code=400,
            reasons=[],
            deciding_reason=None,
            auth_path="basic",
            matched_entry="alpha_ry",
            source_address="127.0.0.1",
            required_role="rri-monthly-reports",
        ),
        "beta": add_decision(app, tld="beta", endpoint="/ry/beta/v2/monitoring/state"),
    }


def test_rows_say_what_was_sent_what_was_needed_and_why(app, client, world, login):
    ids = _seed(app)
    login(world.op_a)
    html = client.get("/tlds/alpha/decisions", headers=HTMX).get_data(as_text=True)
    rows = _rows(html)
    assert [int(re.search(r"<td>(\d+)</td>", r).group(1)) for r in rows] == [
        ids["rri"],
        ids["acl"],
        ids["allowed"],
    ]  # newest first, only alpha's
    rri, acl, allowed = (_text(r) for r in rows)
    assert "allowed 400" in rri  # the status the client really received
    assert (
        "rri-monthly-reports" in rri and "PUT /report/registrar-transactions/alpha/2026-01" in rri
    )
    assert "Allowed: the account alpha_ry may call this endpoint from 127.0.0.1." in rri
    assert "denied 401" in acl and "mosapi-slam" in acl
    assert (
        f"127.0.0.2 is not in the prefixes of {CLIENT} for this role; add it on the TLS client "
        "authentication tab." in acl
    )
    assert re.search(r'class="pill deciding"[^>]*>source-not-in-acl<', rows[1])
    assert re.search(r'class="pill"[^>]*>role-not-granted<', rows[1])  # the others as pills
    assert re.search(r'class="pill warning"[^>]*>certificate-expired<', rows[1])
    assert f"Allowed: {CLIENT} matched the certificate, has the role mosapi-slam" in allowed
    # The table scrolls inside a labelled region on a phone; the page never scrolls sideways.
    assert re.search(r'class="table-scroll" role="region" aria-label="[^"]+" tabindex="0"', html)
    # Behaviour comes from static files only.
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r"\son[a-z]+=", html)


def test_filters_narrow_the_rows_and_stay_visible(app, client, world, login):
    ids = _seed(app)
    login(world.op_a)
    html = client.get(
        "/tlds/alpha/decisions?result=denied&reason=source-not-in-acl&source=127.0.0.2",
        headers=HTMX,
    ).get_data(as_text=True)
    assert [int(re.search(r"<td>(\d+)</td>", r).group(1)) for r in _rows(html)] == [ids["acl"]]
    active = re.search(r'data-testid="active-filter">(.*?)</p>', html, re.S).group(1)
    chips = [
        _text(c).replace("×", "").strip()
        for c in re.findall(r'class="chip"[^>]*>(.*?)</span>', active, re.S)
    ]
    assert chips == ["only denied calls", "refused for source-not-in-acl", "from 127.0.0.2"]
    # Each chip removes its condition, keeping the others; "clear" removes all.
    assert 'href="/tlds/alpha/decisions?reason=source-not-in-acl&amp;source=127.0.0.2"' in active
    assert 'data-testid="clear-filter"' in active and 'href="/tlds/alpha/decisions"' in active
    # The form shows the filter it applied.
    assert '<option value="source-not-in-acl" selected>' in html
    assert 'name="source" maxlength="64" value="127.0.0.2"' in html
    # The live table and the CSV link keep the filter.
    live = re.search(r'id="decision-log" hx-get="([^"]+)"', html).group(1)
    assert "result=denied" in live and "reason=source-not-in-acl" in live
    assert "source=127.0.0.2" in live
    csv_link = re.search(r'href="([^"]+)" download', html).group(1)
    assert "result=denied" in csv_link and "decisions.csv" in csv_link

    for query, expected in (
        ("system=rri", [ids["rri"]]),
        ("endpoint=monitoring", [ids["acl"], ids["allowed"]]),
        (f"entry={CLIENT}", [ids["acl"], ids["allowed"]]),
        ("entry=alpha_ry", [ids["rri"]]),
        ("result=allowed&source=127.0.0.1", [ids["rri"], ids["allowed"]]),
        (
            "since="
            + (NOW - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%S")
            + "&until="
            + (NOW - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S"),
            [ids["acl"]],
        ),
    ):
        page = client.get(f"/tlds/alpha/decisions?{query}", headers=HTMX).get_data(as_text=True)
        shown = [int(re.search(r"<td>(\d+)</td>", r).group(1)) for r in _rows(page)]
        assert shown == expected, query


def test_a_filter_value_that_cannot_be_read_is_named_and_ignored(app, client, world, login):
    _seed(app)
    login(world.op_a)
    html = client.get("/tlds/alpha/decisions?source=not-an-address", headers=HTMX).get_data(
        as_text=True
    )
    findings = re.search(r'data-testid="filter-source-findings"[^>]*>(.*?)</ul>', html, re.S)
    assert "not-an-address" in findings.group(1) and "is not an IP address" in findings.group(1)
    assert len(_rows(html)) == 3 and 'data-testid="active-filter"' not in html


def test_the_live_table_answers_204_until_something_changes(app, client, world, login):
    ids = _seed(app)
    login(world.op_a)
    html = client.get("/tlds/alpha/decisions?result=denied", headers=HTMX).get_data(as_text=True)
    live = re.search(r'id="decision-log" hx-get="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert re.search(r'hx-trigger="every \d+s', html)
    unchanged = client.get(live, headers=HTMX)
    assert unchanged.status_code == 204 and unchanged.get_data() == b""
    # A new denied call appears in the next answer, keeping the filter.
    new = add_decision(app, source_address="127.0.0.9")
    add_decision(app, result="allowed", status_code=200, reasons=[], deciding_reason=None)
    fresh = client.get(live, headers=HTMX)
    assert fresh.status_code == 200
    body = fresh.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="decision-log"')  # the fragment alone
    shown = [int(re.search(r"<td>(\d+)</td>", r).group(1)) for r in _rows(body)]
    assert shown == [new, ids["acl"]]
    again = re.search(r'id="decision-log" hx-get="([^"]+)"', body).group(1).replace("&amp;", "&")
    assert client.get(again, headers=HTMX).status_code == 204
    # The status a mock corrects after answering shows up too.
    with app.app_context():
        db.session.execute(
            update(DecisionLogRow).where(DecisionLogRow.id == new).values(status_code=403)
        )
        db.session.commit()
    corrected = client.get(again, headers=HTMX)
    assert corrected.status_code == 200 and "denied</strong> <span" in corrected.get_data(
        as_text=True
    )
    assert "403" in _text(_rows(corrected.get_data(as_text=True))[0])


def test_one_decision_in_detail(app, client, world, login):
    ids = _seed(app)
    login(world.op_a)
    path = f"/tlds/alpha/decisions/{ids['acl']}?result=denied"
    page = client.get(path).get_data(as_text=True)
    assert page.startswith("<!doctype html>") and 'id="tab-panel"' in page
    fragment = client.get(path, headers=HTMX).get_data(as_text=True)
    assert "<html" not in fragment and 'data-testid="decision-detail"' in fragment
    text = _text(fragment)
    for shown in (
        f"Decision {ids['acl']}: denied, status 401 sent",
        "GET /ry/alpha/v2/monitoring/state",
        "127.0.0.2",
        f"CN={CLIENT}",
        "ab" * 32,
        "mosapi-slam (MoSAPI – TLD SLAM Data)",
        "tls-client-auth",
        f"127.0.0.2 is not in the prefixes of {CLIENT} for this role",
        "matched the certificate but lacks the role mosapi-slam",
        "certificate-expired: The certificate, or one on its path",
        "tlsa-mismatch: The certificate matches no TLSA record at other.example",
    ):
        assert shown in text, shown
    checks = re.findall(r'<tr data-testid="decision-check">(.*?)</tr>', fragment, re.S)
    assert [_text(c).split()[:2] for c in checks] == [["other.example", "no"], [CLIENT, "yes"]]
    curl = re.search(r'data-testid="decision-curl">(.*?)</pre>', fragment, re.S).group(1)
    assert curl == (
        "curl --cacert harness-ca.pem --cert client.pem --key client.key --interface 127.0.0.2 "
        f"https://localhost:{app.config['MOSAPI_PORT']}/ry/alpha/v2/monitoring/state"
    )
    back = re.search(r'href="([^"]+)"[^>]*data-testid="back-to-decisions"', fragment, re.S)
    assert back.group(1) == "/tlds/alpha/decisions?result=denied"  # the filter it came from


def test_a_decision_of_another_tld_is_not_found(app, client, world, login):
    ids = _seed(app)
    login(world.op_a)
    assert client.get(f"/tlds/alpha/decisions/{ids['beta']}").status_code == 404
    assert client.get("/tlds/alpha/decisions/999999").status_code == 404
    assert client.get(f"/tlds/beta/decisions/{ids['beta']}").status_code == 404  # not op_a's


def test_csv_export_of_the_filtered_view(app, client, world, login):
    ids = _seed(app)
    login(world.op_a)
    response = client.get("/tlds/alpha/decisions.csv?result=allowed&source=127.0.0.1")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert re.fullmatch(
        r'attachment; filename="decisions-alpha-\d{8}T\d{6}Z\.csv"',
        response.headers["Content-Disposition"],
    )
    lines = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [int(r["id"]) for r in lines] == [ids["rri"], ids["allowed"]]
    assert lines[0]["status_code"] == "400" and lines[0]["required_role"] == "rri-monthly-reports"
    assert lines[1]["cert_spki_sha256"] == "ab" * 32 and lines[1]["matched_entry"] == CLIENT
    assert lines[1]["sentence"].startswith(f"Allowed: {CLIENT} matched the certificate")
