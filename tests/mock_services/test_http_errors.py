"""HTTP error answers of both mocks over real mTLS: on RRI only 200 and 400 carry an iirdea
body (404 and 405 are bare), and every 405 names the path's methods in `Allow`."""

from __future__ import annotations

import pytest

from tests import rri_samples as samples
from tests.helpers import iirdea_code, trusted_client

DOMAIN = "errors.alpha.example"


@pytest.fixture
def cred(app, world, tmp_path):
    return trusted_client(app, world.rsp, tmp_path, DOMAIN)


def assert_bare(answer, status: int) -> None:
    assert answer.status == status, answer.text
    assert answer.body == b"", answer.text
    assert "content-type" not in answer.headers


def test_rri_only_200_and_400_carry_an_iirdea_body(start_mock, cred):
    # nomulus core/src/main/java/google/registry/reporting/icann/IcannHttpReporter.java, send():
    # "Only responses with a 200 or 400 status have a body" (after draft-lozano-icann-registry-
    # interfaces-13); storeyio/rri rri/rri.py check() reads only the status of a 404.
    server = start_mock("rri")
    month = "/report/registry-functions-activity/alpha/2026-01"
    csv = {"Content-Type": "text/csv"}
    accepted = server.request("PUT", month, cred=cred, body=samples.activity_csv(), headers=csv)
    assert (accepted.status, iirdea_code(accepted.body)) == (200, 1000), accepted.text
    rejected = server.request("PUT", month, cred=cred, body=b"not,a,report\r\n", headers=csv)
    assert (rejected.status, iirdea_code(rejected.body)) == (400, 2001), rejected.text
    # nothing received under that key: a bare 404, for GET and HEAD alike
    for method in ("GET", "HEAD"):
        missing = server.request(
            method, "/info/report/registrar-transactions/alpha/2026-01", cred=cred
        )
        assert_bare(missing, 404)
    assert_bare(server.request("GET", "/report/no-such-report/alpha/2026-01", cred=cred), 404)
    assert_bare(server.request("DELETE", month, cred=cred), 405)


@pytest.mark.parametrize(
    ("system", "method", "path", "methods"),
    [
        ("mosapi", "POST", "/ry/alpha/v2/monitoring/state", {"GET", "HEAD", "OPTIONS"}),
        ("mosapi", "PUT", "/ry/alpha/login", {"GET", "HEAD", "OPTIONS"}),
        (
            "mosapi",
            "DELETE",
            "/ry/alpha/v2/maintenance-windows",
            {"GET", "HEAD", "OPTIONS", "POST"},
        ),
        ("rri", "GET", "/report/registrar-transactions/alpha/2026-01", {"PUT", "OPTIONS"}),
        ("rri", "PUT", "/report/escrow-agent-notification/alpha", {"POST", "OPTIONS"}),
        (
            "rri",
            "POST",
            "/info/report/registry-escrow-report/alpha/2026-01-04",
            {"GET", "HEAD", "OPTIONS"},
        ),
    ],
)
def test_every_405_names_the_methods_of_its_path(start_mock, cred, system, method, path, methods):
    # RFC 9110 section 15.5.6: a 405 answer carries Allow; werkzeug's MethodNotAllowed has it,
    # the mocks' own error answers must not lose it.
    server = start_mock(system)
    answer = server.request(method, path, cred=cred)
    assert answer.status == 405, answer.text
    allowed = {m.strip() for m in answer.headers["allow"].split(",")}
    assert allowed == methods, answer.headers["allow"]
    assert method not in allowed
    if system == "rri":
        assert_bare(answer, 405)
