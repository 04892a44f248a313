"""Who may vouch for a name, through the portal pages: the workbench refuses to publish at or
issue another TLD's client name (with the reason), a TLD's operator removes a squatter's record
there, the change shows in the TLD's History, and each entry shows its TLSA status: records
where the mocks look (harness zone or DNS), who published them, and whether the last
certificate the mocks saw matched."""

from __future__ import annotations

import html as html_mod
import re
import socket
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from portal.core.tlsa import record_for
from portal.core.validation import Entry
from tests.dns_responder import DnsResponder
from tests.helpers import HTMX, client_cert, publish, set_entries

NAME = "client.beta.example"
REFUSED_PUBLISH = (
    "client.beta.example is a client name of .beta; only .beta&#39;s registry operator, its "
    "RSP of record or ICANN staff may publish there."
)
REFUSED_ISSUE = (
    "client.beta.example is a client name of .beta; only .beta&#39;s registry operator, its "
    "RSP of record or ICANN staff may have the harness CA issue a certificate for it."
)


@pytest.fixture
def beta(app, world):
    set_entries(app, [Entry(NAME, ("mosapi-slam",), ("127.0.0.1/32",))], "beta")


def _as(app, login, email):
    """A browser signed in as `email`: (client, headers for HTMX posts)."""
    browser = app.test_client()
    csrf = login(email, client=browser)
    return browser, {**HTMX, "X-CSRFToken": csrf}


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _entries_tab(browser, tld: str) -> str:
    r = browser.get(f"/tlds/{tld}/entries", headers=HTMX)
    assert r.status_code == 200
    return r.get_data(as_text=True)


def _tlsa_cell(page: str) -> str:
    match = re.search(r'<td class="entry-tlsa".*?</td>', page, re.S)
    assert match, page
    return " ".join(html_mod.unescape(re.sub(r"<[^>]+>", " ", match.group(0))).split())


def test_workbench_refuses_another_tlds_client_name(app, world, login, beta, tmp_path, certs_dir):
    app.config["CERTS_DIR"] = str(certs_dir)
    browser, h = _as(app, login, world.rsp)
    cert = client_cert(tmp_path, NAME).cert
    r = browser.post(
        "/workbench/publish", data={"certificate": _pem(cert), "name": NAME}, headers=h
    )
    assert r.status_code == 422 and REFUSED_PUBLISH in r.get_data(as_text=True)

    r = browser.post(
        "/workbench/generate",
        data={"domain_name": NAME, "issuer": "harness", "validity": "days", "days": "30"},
        headers=h,
    )
    assert r.status_code == 422 and REFUSED_ISSUE in r.get_data(as_text=True)
    assert "BEGIN" not in r.get_data(as_text=True)  # no certificate, no key

    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)]))
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM)
        .decode()
    )
    r = browser.post("/workbench/sign-csr", data={"csr": csr, "days": "30"}, headers=h)
    assert r.status_code == 422 and REFUSED_ISSUE in r.get_data(as_text=True)

    # .beta's operator is issued the name, and the snippets call .beta.
    operator, h_op = _as(app, login, world.op_b)
    r = operator.post(
        "/workbench/generate",
        data={"domain_name": NAME, "issuer": "harness", "validity": "days", "days": "30"},
        headers=h_op,
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "/ry/beta/v2/monitoring/state" in html
    assert "they call <code>.beta</code>" in html


def test_operator_removes_a_squatters_record_and_history_shows_it(app, world, login, tmp_path):
    squatter_cert = client_cert(tmp_path, NAME).cert
    publish(app, world.outsider, NAME, squatter_cert)  # before any entry named it
    set_entries(app, [Entry(NAME, ("mosapi-slam",), ("127.0.0.1/32",))], "beta")
    operator, h = _as(app, login, world.op_b)

    # The entry shows the foreign publisher.
    cell = _tlsa_cell(_entries_tab(operator, "beta"))
    assert "1 record" in cell
    assert "published by Other RSP — not this TLD's operator or RSP" in cell

    zone = operator.get(f"/workbench/zone?name={NAME}", headers=HTMX).get_data(as_text=True)
    assert "holds 1 record(s)" in zone and "Other RSP" in zone
    assert world.outsider not in zone  # another organisation's creator stays private
    record_id = re.search(r"/workbench/zone/(\d+)/delete", zone).group(1)
    r = operator.post(f"/workbench/zone/{record_id}/delete", data={"name": NAME}, headers=h)
    assert r.status_code == 200 and "Record removed." in r.get_data(as_text=True)

    history = operator.get("/tlds/beta/history", headers=HTMX).get_data(as_text=True)
    data = record_for(squatter_cert, 3, 1, 1).data_hex
    line = f"TLSA record 3 1 1 {data[:16]}… removed from {NAME} by {world.op_b} (Operator B)"
    assert line in html_mod.unescape(history)
    assert "via ui · harness zone" in html_mod.unescape(history)
    assert "no records" in _tlsa_cell(_entries_tab(operator, "beta"))


def test_zone_view_shows_only_what_the_user_may_see(app, world, login, tmp_path, beta):
    publish(app, world.op_b, NAME, client_cert(tmp_path, NAME).cert)
    outsider, _ = _as(app, login, world.outsider)
    zone = outsider.get(f"/workbench/zone?name={NAME}", headers=HTMX).get_data(as_text=True)
    assert "holds 0 record(s) that you may see" in zone and "IN TLSA" not in zone
    operator, _ = _as(app, login, world.op_b)
    zone = operator.get(f"/workbench/zone?name={NAME}", headers=HTMX).get_data(as_text=True)
    assert "IN TLSA 3 1 1" in zone and f"Operator B ({world.op_b})" in zone
    assert "/delete" in zone


def test_entry_shows_whether_the_last_certificate_matched(
    app, world, login, start_mock, tmp_path, beta
):
    mosapi = start_mock("mosapi")
    operator, _ = _as(app, login, world.op_b)
    cell = _tlsa_cell(_entries_tab(operator, "beta"))
    assert "no records" in cell and "no certificate seen for it yet" in cell

    good = client_cert(tmp_path, NAME, stem="good")
    publish(app, world.op_b, NAME, good.cert)
    assert mosapi.request("GET", "/ry/beta/v2/monitoring/state", cred=good).status == 200
    page = _entries_tab(operator, "beta")
    cell = _tlsa_cell(page)
    assert "1 record" in cell and "published by Operator B" in cell
    assert "last certificate matched" in cell and "not this TLD" not in cell
    decision = re.search(r'href="(/tlds/beta/decisions/\d+)"', page).group(1)
    assert operator.get(decision).status_code == 200

    other = client_cert(tmp_path, NAME, stem="other")
    assert mosapi.request("GET", "/ry/beta/v2/monitoring/state", cred=other).status == 401
    cell = _tlsa_cell(_entries_tab(operator, "beta"))
    assert "last certificate did not match" in cell
    assert "The certificate matches no TLSA record at client.beta.example" in cell

    # A certificate for another name, judged by this entry too, says nothing of it.
    stranger = client_cert(tmp_path, "stranger.example", stem="stranger")
    assert mosapi.request("GET", "/ry/beta/v2/monitoring/state", cred=stranger).status == 401
    assert _tlsa_cell(_entries_tab(operator, "beta")) == cell
    assert mosapi.request("GET", "/ry/beta/v2/monitoring/state", cred=good).status == 200
    assert "last certificate matched" in _tlsa_cell(_entries_tab(operator, "beta"))


def test_entry_status_from_dns(app, world, login, tmp_path, beta):
    cert = client_cert(tmp_path, NAME).cert
    rdata = record_for(cert, 3, 1, 1)
    zone = {NAME: ([f"3 1 1 {rdata.data_hex}"], 300)}
    operator, _ = _as(app, login, world.op_b)
    app.config["TLSA_SOURCE"] = "dns"
    with DnsResponder(zone) as dns:
        app.config["DNS_RESOLVER"] = dns.setting
        page = _entries_tab(operator, "beta")
        assert "TLSA (DNS)" in page
        assert "1 record" in _tlsa_cell(page)
        dns.ad = False
        assert "not DNSSEC-validated" in _tlsa_cell(_entries_tab(operator, "beta"))


def test_a_silent_resolver_gives_a_clear_state_quickly(app, world, login, beta):
    operator, _ = _as(app, login, world.op_b)
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))  # bound, never answers
    try:
        app.config.update(TLSA_SOURCE="dns", DNS_RESOLVER=f"127.0.0.1:{silent.getsockname()[1]}")
        started = time.monotonic()
        cell = _tlsa_cell(_entries_tab(operator, "beta"))
        assert time.monotonic() - started < 6
        assert "DNS lookup failed" in cell
    finally:
        silent.close()
