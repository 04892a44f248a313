"""The Policy simulator tab: a form (certificate, file or key hash; endpoint grouped by role;
source address) answered in place with the verdict, its sentence and each entry's why."""

from __future__ import annotations

import html
import io
import re

import pytest

from infra.harness_pki import ensure_material
from portal.core.endpoints import grouped_by_role
from portal.core.roles import ROLES_BY_ID
from portal.core.validation import Entry
from tests.helpers import HTMX, client_cert, publish, set_entries

DOMAIN = "client.rsp.example"
OTHER = "other.rsp.example"
STATE = "mosapi /ry/<tld>/v2/monitoring/state"


@pytest.fixture
def alpha(app, world, tmp_path):
    app.config["CERTS_DIR"] = str(tmp_path / "harness")
    ensure_material(tmp_path / "harness")
    good = client_cert(tmp_path, DOMAIN)
    set_entries(
        app,
        [
            Entry(OTHER, ("mosapi-daar",), ("127.0.0.0/8",)),
            Entry(DOMAIN, ("mosapi-slam",), ("127.0.0.1/32",)),
        ],
    )
    publish(app, world.rsp, DOMAIN, good.cert)
    return good


def ask(client, token, htmx=True, **data):
    form = {"endpoint": STATE, "source_address": "127.0.0.1", **data}
    headers = {**HTMX, "X-CSRFToken": token} if htmx else {}
    if not htmx:
        form["csrf_token"] = token
    return client.post(
        "/tlds/alpha/simulator", data=form, headers=headers, content_type="multipart/form-data"
    )


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_the_tab_offers_every_endpoint_under_its_role_with_labelled_fields(client, world, login):
    login(world.rsp)
    page = client.get("/tlds/alpha/simulator").get_data(as_text=True)
    assert 'data-testid="simulator-form"' in page and 'name="csrf_token"' in page
    groups = re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', page, re.S)
    expected = grouped_by_role()
    assert [html.unescape(label) for label, _ in groups] == [ROLES_BY_ID[r].label for r in expected]
    for (_, options), routes in zip(groups, expected.values(), strict=True):
        values = [html.unescape(v) for v in re.findall(r'<option value="([^"]+)"', options)]
        assert values == [f"{r.system} {r.rule}" for r in routes]
    form = page.split('data-testid="simulator-form"')[1].split("</form>")[0]
    fields = re.findall(r'<(?:input|textarea|select)[^>]*\bid="([^"]+)"', form)
    labelled = set(re.findall(r'<label for="([^"]+)"', form))
    assert fields and set(fields) <= labelled, (fields, labelled)
    assert 'id="simulator-result" aria-live="polite"' in page


def test_an_allowed_certificate_and_a_refused_source(client, world, login, alpha):
    token = login(world.rsp)
    pem = alpha.cert_file.read_text()
    allowed = ask(client, token, certificate=pem)
    assert allowed.status_code == 200
    body = text(allowed)
    assert 'data-result="allowed"' in body and "<html" not in body  # a fragment
    assert f"Allowed: {DOMAIN} matched the certificate" in body
    assert "/ry/alpha/v2/monitoring/state" in body
    refused = text(ask(client, token, certificate=pem, source_address="127.0.0.2"))
    assert 'data-result="denied"' in refused
    assert f"127.0.0.2 is not in the prefixes of {DOMAIN} for this role" in refused
    rows = dict(
        re.findall(r'data-testid="sim-entry" data-domain="([^"]+)">(.*?)</tr>', refused, re.S)
    )
    assert "no-tlsa-at-name" in rows[OTHER] and "source-not-in-acl" in rows[DOMAIN]


def test_a_certificate_file_is_read_and_an_oversized_one_refused(client, world, login, alpha):
    token = login(world.rsp)
    upload = (io.BytesIO(alpha.cert_file.read_bytes()), "client.pem")
    assert 'data-result="allowed"' in text(ask(client, token, certificate_file=upload))
    huge = (io.BytesIO(b"x" * (1024 * 1024 + 10)), "huge.pem")
    refused = ask(client, token, certificate_file=huge)
    assert refused.status_code == 422
    assert "larger than 1024 KiB" in text(refused)


def test_a_key_hash_alone(client, world, login, alpha):
    token = login(world.rsp)
    body = text(ask(client, token, spki_sha256=alpha.spki_sha256()))
    assert 'data-result="allowed"' in body and "only 3 1 1 records are judged" in body


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"endpoint": "mosapi /nowhere", "spki_sha256": "ab" * 32}, "Choose an endpoint"),
        ({"source_address": "here", "spki_sha256": "ab" * 32}, "not an IPv4 or IPv6 address"),
        ({}, "Give the client's certificate"),
        ({"certificate": "-----BEGIN RSA PRIVATE KEY-----\nAA==\n"}, "is it a key"),
    ],
)
def test_what_cannot_be_simulated_is_said(client, world, login, alpha, data, words):
    token = login(world.rsp)
    response = ask(client, token, **data)
    assert response.status_code == 422
    assert 'data-testid="sim-findings"' in text(response) and words in text(response)


def test_without_javascript_the_whole_page_answers_keeping_the_input(client, world, login, alpha):
    token = login(world.rsp)
    page = text(
        ask(client, token, htmx=False, spki_sha256=alpha.spki_sha256(), source_address="::1")
    )
    assert "<html" in page and 'data-result="denied"' in page
    assert 'value="::1"' in page and f'value="{alpha.spki_sha256()}"' in page
    assert f'<option value="{STATE}" selected>' in page


def test_csrf_and_authorization(app, client, world, login, alpha):
    token = login(world.rsp)
    form = {"endpoint": STATE, "source_address": "127.0.0.1", "spki_sha256": "ab" * 32}
    assert client.post("/tlds/alpha/simulator", data=form, headers=HTMX).status_code == 400
    assert ask(client, token, spki_sha256="ab" * 32).status_code == 200
    other = app.test_client()
    outsider = login(world.op_b, client=other)
    assert ask(other, outsider, spki_sha256="ab" * 32).status_code == 404
