"""The RRI mock over real mTLS: report validation codes, storage byte for byte, status reads,
hostile XML and oversized bodies."""

from __future__ import annotations

import socket
import ssl
import time

import pytest
from sqlalchemy import select

from infra.database import db
from portal.models import Submission
from tests import rri_samples as samples
from tests.helpers import api_token, iirdea_code, last_decision

CSV = {"Content-Type": "text/csv"}
XML = {"Content-Type": "text/xml"}


def code_of(answer) -> int:
    return iirdea_code(answer.body)


def test_reports_accepted_stored_byte_for_byte_and_listed(app, world, client, rri):
    server, cred = rri
    activity = samples.activity_csv(zfa_passwords="CZDS")
    a = server.request(
        "PUT",
        "/report/registry-functions-activity/alpha/2026-01",
        cred=cred,
        body=activity,
        headers=CSV,
    )
    assert (a.status, code_of(a)) == (200, 1000), a.text
    assert a.headers["content-type"].startswith("text/xml")
    assert 'xmlns="urn:ietf:params:xml:ns:iirdea-1.0"' in a.text
    t = server.request(
        "PUT",
        "/report/registrar-transactions/alpha/2026-01",
        cred=cred,
        body=samples.transactions_csv(),
        headers=CSV,
    )
    assert (t.status, code_of(t)) == (200, 1000), t.text
    e = server.request(
        "PUT",
        "/report/registry-escrow-report/alpha/abc123",
        cred=cred,
        body=samples.escrow_report_xml("abc123", "alpha"),
        headers=XML,
    )
    assert (e.status, code_of(e)) == (200, 1000), e.text
    with app.app_context():
        stored = db.session.scalars(select(Submission).order_by(Submission.id)).all()
        assert [s.kind for s in stored] == [
            "registry-functions-activity",
            "registrar-transactions",
            "registry-escrow-report",
        ]
        assert stored[0].body == activity and stored[0].decision_id is not None
    head = server.request(
        "HEAD", "/info/report/registry-functions-activity/alpha/2026-01", cred=cred
    )
    assert head.status == 200
    missing = server.request("GET", "/info/report/registrar-transactions/alpha/2025-12", cred=cred)
    assert missing.status == 404
    token = api_token(app, world.op_a)
    listing = client.get(
        "/api/v1/tlds/alpha/submissions", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    assert len(listing["submissions"]) == 3
    first = listing["submissions"][-1]
    body = client.get(
        f"/api/v1/tlds/alpha/submissions/{first['id']}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert body.data == activity


CASES = [
    (
        "/report/registry-functions-activity/alpha/2026-01",
        samples.activity_csv(line_end="\n"),
        CSV,
        2001,
    ),
    (
        "/report/registry-functions-activity/alpha/2026-01",
        samples.activity_csv(srs_dom_check=-5),
        CSV,
        2003,
    ),
    ("/report/registry-functions-activity/alpha/2999-01", samples.activity_csv(), CSV, 2004),
    ("/report/registry-functions-activity/alpha/2026-13", samples.activity_csv(), CSV, 2111),
    (
        "/report/registry-functions-activity/alpha/2026-01",
        "zfa-passwords\r\n\xe9\r\n".encode("latin-1"),
        CSV,
        2105,
    ),
    (
        "/report/registrar-transactions/alpha/2026-01",
        samples.transactions_csv(totals={"total_domains": 1}),
        CSV,
        2101,
    ),
    (
        "/report/registrar-transactions/alpha/2026-01",
        samples.transactions_csv(totals_second_field="x"),
        CSV,
        2103,
    ),
    (
        "/report/registry-escrow-report/alpha/abc123",
        samples.escrow_report_xml("abc123", "alpha", version="2"),
        XML,
        2005,
    ),
    (
        "/report/registry-escrow-report/alpha/other1",
        samples.escrow_report_xml("abc123", "alpha"),
        XML,
        2006,
    ),
    (
        "/report/registry-escrow-report/alpha/abc123",
        samples.escrow_report_xml("abc123", "beta"),
        XML,
        2202,
    ),
    (
        "/report/registry-escrow-report/alpha/abc123",
        samples.escrow_report_xml("abc123", None),
        XML,
        2209,
    ),
    (
        "/report/registry-escrow-report/alpha/abc123",
        samples.escrow_report_xml(
            "abc123",
            "alpha",
            counts=[
                {"uri": "urn:ietf:params:xml:ns:rdeDomain-1.0", "value": 1},
                {"uri": "urn:ietf:params:xml:ns:rdeDomain-1.0", "value": 2},
            ],
        ),
        XML,
        2211,
    ),
    (
        "/report/registry-escrow-report/alpha/abc123",
        samples.escrow_report_xml("abc123", "alpha", cr_date="2999-01-01T00:00:00Z"),
        XML,
        2004,
    ),
    ("/report/registry-escrow-report/alpha/abc123", samples.BILLION_LAUGHS, XML, 2001),
    ("/report/registry-escrow-report/alpha/abc123", samples.EXTERNAL_ENTITY, XML, 2001),
    ("/report/registry-functions-activity/alpha/2026-01", samples.activity_csv(), XML, 2001),
]


@pytest.mark.parametrize(
    "path, body, headers, code", CASES, ids=[f"{c[3]}-{i}" for i, c in enumerate(CASES)]
)
def test_each_validation_code(app, rri, path, body, headers, code):
    server, cred = rri
    started = time.monotonic()
    answer = server.request("PUT", path, cred=cred, body=body, headers=headers)
    assert (answer.status, code_of(answer)) == (400, code), answer.text
    assert time.monotonic() - started < 10  # a bomb is refused, not expanded
    assert last_decision(app).result == "allowed"  # judged after authentication
    with app.app_context():
        assert db.session.scalar(select(Submission.id)) is None  # nothing stored


def test_escrow_agent_notification(app, world, rri):
    server, cred = rri
    body = samples.escrow_notification_xml("alpha", report_id="abc123")
    answer = server.request(
        "POST", "/report/escrow-agent-notification/alpha", cred=cred, body=body, headers=XML
    )
    assert (answer.status, code_of(answer)) == (200, 1000), answer.text


def test_oversized_body_is_refused_and_the_server_keeps_serving(app, rri):
    server, cred = rri
    ctx = ssl.create_default_context(cafile=str(server.ca_file))
    ctx.load_cert_chain(str(cred.cert_file), str(cred.key_file))
    size = 60 * 1024 * 1024
    with (
        socket.create_connection(("127.0.0.1", server.port), timeout=20) as raw,
        ctx.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        tls.sendall(
            b"PUT /report/registry-functions-activity/alpha/2026-01 HTTP/1.1\r\n"
            b"Host: localhost\r\nContent-Type: text/csv\r\n"
            + f"Content-Length: {size}\r\n\r\n".encode()
        )
        chunk = b"0" * (1024 * 1024)
        try:
            for _ in range(60):
                tls.sendall(chunk)
        except OSError:
            pass  # the server may close as soon as it has answered
        reply = tls.recv(4096)
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    answer = server.request(
        "PUT",
        "/report/registry-functions-activity/alpha/2026-01",
        cred=cred,
        body=samples.activity_csv(),
        headers=CSV,
    )
    assert answer.status == 200


def test_monthly_report_replaced_before_cutoff_is_accepted_after_is_refused(app, rri):
    server, cred = rri
    path = "/report/registry-functions-activity/alpha/{month}"
    body = samples.activity_csv()
    # 2020-01 was due on 2020-02-20: a first report is accepted, a replacement refused (2002).
    first = server.request("PUT", path.format(month="2020-01"), cred=cred, body=body, headers=CSV)
    assert code_of(first) == 1000
    again = server.request("PUT", path.format(month="2020-01"), cred=cred, body=body, headers=CSV)
    assert (again.status, code_of(again)) == (400, 2002)


def test_a_report_without_content_type_is_judged_by_its_body(app, rri):
    # getnamingo/registry automation/reporting.php uploadFileWithRetry PUTs the file with no
    # Content-Type; nomulus IcannHttpReporter sends "text/csv; charset=utf-8" (Guava CSV_UTF_8).
    server, cred = rri
    path = "/report/registry-functions-activity/alpha/{month}"
    body = samples.activity_csv()
    bare = server.request("PUT", path.format(month="2026-01"), cred=cred, body=body)
    assert (bare.status, code_of(bare)) == (200, 1000), bare.text
    with app.app_context():
        assert db.session.scalar(select(Submission.content_type)) == ""
    charset = {"Content-Type": "text/csv; charset=utf-8"}
    with_charset = server.request(
        "PUT", path.format(month="2025-12"), cred=cred, body=body, headers=charset
    )
    assert (with_charset.status, code_of(with_charset)) == (200, 1000), with_charset.text
    invalid = server.request(
        "PUT", path.format(month="2025-11"), cred=cred, body=samples.activity_csv(line_end="\n")
    )
    assert (invalid.status, code_of(invalid)) == (400, 2001)
    wrong = server.request(
        "PUT",
        path.format(month="2025-11"),
        cred=cred,
        body=body,
        headers={"Content-Type": "application/json"},
    )
    assert (wrong.status, code_of(wrong)) == (400, 2001)
    assert "Content-Type must be text/csv" in wrong.text
