"""The Test connection tab: the portal calls live mocks (free ports, real mutual TLS) with an
uploaded or session-generated credential and shows the answer, the decision and its sentence,
the timing and the curl command."""

from __future__ import annotations

import html as html_mod
import io
import re
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from markupsafe import escape
from sqlalchemy import func, select

from infra.database import db
from infra.loopback import loopback_addresses
from portal.core import pki
from portal.core.certificates import spki_sha256
from portal.core.reasons import CallFacts, sentence
from portal.core.validation import Entry
from portal.models import DecisionLogRow
from portal.services.decisions import sentence_of
from tests.helpers import HTMX, last_decision, set_entries, sign_in
from tests.web.test_workbench import everything_stored, key_fragments

DOMAIN = "client.alpha-rsp.example"
STATE = "mosapi GET /ry/<tld>/v2/monitoring/state"
CALL = "/tlds/alpha/connection/call"


@pytest.fixture
def mocks(app, start_mock, certs_dir):
    """Both mocks on free ports; the portal calls them there and trusts their CA."""
    mosapi, rri = start_mock("mosapi"), start_mock("rri")
    app.config.update(
        CERTS_DIR=str(certs_dir), MOSAPI_PORT=mosapi.port, RRI_PORT=rri.port, MOCK_HOST="127.0.0.1"
    )
    return mosapi, rri


@pytest.fixture
def leaf() -> pki.LeafCert:
    return pki.self_signed(DOMAIN)


@pytest.fixture
def alpha(app, world, client, login, leaf) -> str:
    """alpha's entry DOMAIN (mosapi-slam, RRI monthly, from 127.0.0.1/32) with the leaf's 3 1 1
    record published by alpha's operator through the workbench; returns the CSRF token."""
    set_entries(app, [Entry(DOMAIN, ("mosapi-slam", "rri-monthly-reports"), ("127.0.0.1/32",))])
    token = login(world.op_a)
    published = client.post(
        "/workbench/publish",
        data={"certificate": leaf.cert_pem.text(), "name": DOMAIN, "records": ["3 1 1"]},
        headers={**HTMX, "X-CSRFToken": token},
    )
    assert published.status_code == 200, published.get_data(as_text=True)
    return token


def entry_id(client) -> str:
    page = client.get("/tlds/alpha/connection").get_data(as_text=True)
    match = re.search(r'<option value="(\d+)"[^>]*>' + re.escape(DOMAIN), page)
    assert match, page
    return match.group(1)


def upload(leaf: pki.LeafCert, key: bytes | None = None, **fields: str) -> dict:
    return {
        "endpoint": STATE,
        "source": "127.0.0.1",
        "credential": "upload",
        "cert_file": (io.BytesIO(leaf.cert_pem.data), "client.pem"),
        "key_file": (io.BytesIO(leaf.key_pem.data if key is None else key), "client.key"),
        **fields,
    }


def post(client, token: str, data: dict, htmx: bool = True):
    headers = {"X-CSRFToken": token, **(HTMX if htmx else {})}
    return client.post(CALL, data=data, headers=headers, content_type="multipart/form-data")


def shown_sentence(html: str) -> str:
    match = re.search(r'data-testid="connection-sentence">([^<]*)</p>', html)
    assert match, html
    return html_mod.unescape(match.group(1))


def decisions_logged(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(DecisionLogRow)) or 0


def test_tab_lists_endpoints_by_role_probe_first_and_the_sources_that_reach_the_mocks(
    app, client, world, login, mocks
):
    login(world.op_a)
    page = client.get("/tlds/alpha/connection").get_data(as_text=True)
    groups = re.findall(r'<optgroup label="([^"]+)">\s*<option value="([^"]+)"', page)
    firsts = {html_mod.unescape(label): html_mod.unescape(value) for label, value in groups}
    assert firsts["MoSAPI – TLD SLAM Data (mosapi-slam)"] == STATE
    assert firsts["RRI – TLD Monthly Reporting (rri-monthly-reports)"] == (
        "rri GET /info/status/registry/<tld>"
    )
    assert len(groups) == 8  # seven roles and the unguarded endpoints
    block = page.split('<select id="conn-source"')[1].split("</select>")[0]
    sources = re.findall(r'<option value="([^"]+)"', block)
    assert sources == [a for a in loopback_addresses() if ":" not in a]
    assert "127.0.0.1" in sources and "127.0.0.2" in sources and "::1" not in sources
    assert 'aria-live="polite"' in page and 'for="conn-endpoint"' in page


def test_uploaded_pair_is_allowed_and_the_result_explains_it(app, client, mocks, alpha, leaf):
    mosapi, _ = mocks
    response = post(client, alpha, upload(leaf, entry=entry_id(client)))
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert html.startswith('<div id="connection-result"')  # the widget replaces itself
    row = last_decision(app)
    assert row.result == "allowed" and row.status_code == 200 and row.source_address == "127.0.0.1"
    assert "<strong>200 OK</strong>" in html and ">allowed<" in html
    assert shown_sentence(html) == sentence_of(row)
    assert f'href="/tlds/alpha/decisions/{row.id}"' in html
    assert f"As expected, {DOMAIN} admitted the call." in html
    assert re.search(r'data-testid="connection-elapsed">[\d.]+ ms<', html)
    curl = html_mod.unescape(html.split('id="connection-curl"', 1)[1].split("</pre>", 1)[0])
    assert "--cert client.pem --key client.key --interface 127.0.0.1 " in curl
    assert curl.endswith(f"https://127.0.0.1:{mosapi.port}/ry/alpha/v2/monitoring/state")
    assert 'data-copy-target="connection-curl"' in html


def test_a_call_from_outside_the_prefixes_shows_the_deciding_reason_and_its_sentence(
    app, client, mocks, alpha, leaf
):
    response = post(client, alpha, upload(leaf, source="127.0.0.2", entry=entry_id(client)))
    html = response.get_data(as_text=True)
    row = last_decision(app)
    assert row.deciding_reason == "source-not-in-acl" and row.source_address == "127.0.0.2"
    assert f"<strong>{row.status_code} " in html
    assert "refused: <code>source-not-in-acl</code>" in html
    expected = sentence("source-not-in-acl", CallFacts("alpha", "mosapi-slam", "127.0.0.2", DOMAIN))
    assert shown_sentence(html) == expected
    assert str(escape(f"For {DOMAIN}: {expected}")) in html


def test_an_rri_endpoint_goes_to_the_rri_mock(app, client, mocks, alpha, leaf):
    _, rri = mocks
    response = post(client, alpha, upload(leaf, endpoint="rri GET /info/status/registry/<tld>"))
    html = response.get_data(as_text=True)
    row = last_decision(app)
    assert row.system == "rri" and row.result == "allowed"
    assert f"https://127.0.0.1:{rri.port}/info/status/registry/alpha" in html


def test_a_credential_generated_in_this_session_is_offered_and_works(
    app, client, world, mocks, alpha, database_url
):
    generated = client.post(
        "/workbench/generate",
        data={"domain_name": DOMAIN, "validity": "days", "days": "30", "key_passphrase": "pw-1"},
        headers={**HTMX, "X-CSRFToken": alpha},
    )
    made = generated.get_data(as_text=True)
    assert generated.status_code == 200, made
    cert_pem = html_mod.unescape(made.split('id="wb-cert-pem">', 1)[1].split("</pre>", 1)[0])
    key_pem = html_mod.unescape(made.split('id="wb-key-pem">', 1)[1].split("</pre>", 1)[0])
    client.post(
        "/workbench/publish",
        data={"certificate": cert_pem, "name": DOMAIN, "records": ["3 1 1"]},
        headers={**HTMX, "X-CSRFToken": alpha},
    )
    page = client.get("/tlds/alpha/connection").get_data(as_text=True)
    offered = re.findall(r'name="credential" value="([^"]+)" checked>\s*<code>([^<]+)</code>', page)
    assert [name for _, name in offered] == [DOMAIN]
    response = post(
        client, alpha, {"endpoint": STATE, "source": "127.0.0.1", "credential": offered[0][0]}
    )
    html = response.get_data(as_text=True)
    row = last_decision(app)
    assert row.result == "allowed", html
    assert row.cert_spki_sha256 == spki_sha256(x509.load_pem_x509_certificate(cert_pem.encode()))
    assert f'--cert {DOMAIN}.pem --key {DOMAIN}.key --pass "$KEY_PASSPHRASE"' in html_mod.unescape(
        html
    )
    # Another browser session of the same user is not offered it.
    other = app.test_client()
    sign_in(other, world.op_a)
    elsewhere = other.get("/tlds/alpha/connection").get_data(as_text=True)
    assert 'name="credential" value="upload" checked' in elsewhere
    assert offered[0][0] not in elsewhere
    # Neither the generated key nor the uploaded one is stored anywhere.
    key = serialization.load_pem_private_key(key_pem.encode(), b"pw-1")
    plain = pki.key_pem(key).text()  # the form the call hands to the TLS library
    stored = everything_stored(app, database_url)
    for fragment in [*key_fragments(key_pem), *key_fragments(plain)]:
        assert fragment not in stored


@pytest.mark.parametrize(
    ("case", "field", "words"),
    [
        ("other-key", "key", "does not belong to the certificate"),
        ("not-pem", "certificate", "not a PEM certificate"),
        ("encrypted", "passphrase", "encrypted: give its passphrase"),
        ("no-key", "key", "Choose the private key file"),
    ],
)
def test_bad_uploads_give_a_clear_error_and_no_call(
    app, client, mocks, alpha, leaf, case, field, words
):
    data = upload(leaf)
    if case == "other-key":
        data = upload(leaf, key=pki.self_signed(DOMAIN).key_pem.data)
    elif case == "not-pem":
        data["cert_file"] = (io.BytesIO(b"hello"), "client.pem")
    elif case == "encrypted":
        data = upload(leaf, key=pki.key_pem(leaf.key, "secret-pass").data)
    else:
        del data["key_file"]
    before = decisions_logged(app)
    response = post(client, alpha, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(rf'data-field="{field}">[^<]*{re.escape(words)}', html), html
    assert decisions_logged(app) == before


def test_pasted_pem_and_a_passphrase_work_too(app, client, mocks, alpha, leaf):
    data = {
        "endpoint": STATE,
        "source": "127.0.0.1",
        "credential": "upload",
        "cert_text": leaf.cert_pem.text(),
        "key_text": pki.key_pem(leaf.key, "secret-pass").text(),
        "passphrase": "secret-pass",
    }
    response = post(client, alpha, data)
    assert response.status_code == 200 and last_decision(app).result == "allowed"
    assert '--pass "$KEY_PASSPHRASE"' in html_mod.unescape(response.get_data(as_text=True))


def test_choices_outside_the_lists_are_refused(app, client, mocks, alpha, leaf):
    response = post(
        client, alpha, upload(leaf, endpoint="mosapi GET /etc/passwd", source="8.8.8.8")
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'data-field="endpoint"' in html and 'data-field="source"' in html


def test_a_silent_mock_gives_a_clear_timeout_not_a_hung_page(
    app, client, mocks, alpha, leaf, silent_port
):
    app.config.update(MOSAPI_PORT=silent_port, TEST_CONNECTION_TIMEOUT=1)
    started = time.monotonic()
    response = post(client, alpha, upload(leaf))
    assert time.monotonic() - started < 4.5  # the 1 s configured, not the 5 s default
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert (
        f"The MoSAPI mock at 127.0.0.1:{silent_port} did not answer within 1 s. "
        "Is `tlsauth serve` running?"
    ) in html_mod.unescape(html)


def test_without_javascript_the_whole_tab_comes_back_with_the_choices_kept(
    app, client, mocks, alpha, leaf
):
    endpoint = "rri GET /info/status/registry/<tld>"
    response = post(client, alpha, upload(leaf, endpoint=endpoint, source="127.0.0.2"), htmx=False)
    html = response.get_data(as_text=True)
    assert (
        response.status_code == 200 and "<html" in html and 'data-testid="tab-connection"' in html
    )
    assert f'<option value="{escape(endpoint)}" selected>' in html
    assert '<option value="127.0.0.2" selected>' in html
    assert 'id="connection-result"' in html and "source-not-in-acl" in html


def test_the_call_needs_the_csrf_token(app, client, mocks, alpha, leaf):
    before = decisions_logged(app)
    response = client.post(
        CALL, data=upload(leaf), headers=HTMX, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert decisions_logged(app) == before


def test_another_tlds_user_gets_404_and_no_call_is_made(
    app, client, world, login, mocks, alpha, leaf
):
    client.post("/logout", headers={"X-CSRFToken": alpha})
    token = login(world.op_b)
    before = decisions_logged(app)
    assert post(client, token, upload(leaf)).status_code == 404
    assert decisions_logged(app) == before


def test_an_uploaded_key_is_never_stored(app, client, mocks, alpha, leaf, database_url):
    post(client, alpha, upload(leaf))
    assert last_decision(app).result == "allowed"
    stored = everything_stored(app, database_url)
    for fragment in key_fragments(leaf.key_pem.text()):
        assert fragment not in stored
