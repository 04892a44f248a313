"""The workbench's snippets work when pasted as is: each credential is made through the portal
page, its files and the harness CA are downloaded from the page, its TLSA record published, and
the curl, Python requests, Playwright and RRI upload snippets are run unchanged against live
mocks over real TLS, answering the secret the user chose when they ask for it."""

from __future__ import annotations

import base64
import html as html_mod
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pytest

from portal.core.roles import ROLE_IDS
from portal.core.snippets import last_month
from portal.core.validation import Entry
from tests.helpers import HTMX, api_token, set_entries
from tests.rri_samples import activity_csv

SNIPPET_TIMEOUT = 90
KEY_PASSPHRASE = "key passphrase 1"
P12_PASSWORD = "p12 password 1"


@dataclass(frozen=True)
class Variant:
    domain: str
    issuer: str
    key_passphrase: str = ""
    pkcs12_password: str = ""
    record: str = "3 1 1"


VARIANTS = [
    # Harness CA, no secret: the chain file, bound by DANE-TA (2 0 1) of the harness CA.
    Variant("plain.alpha.example", "harness", record="2 0 1"),
    # Self-signed with an encrypted key: every snippet asks for the key's passphrase.
    Variant("locked.alpha.example", "self", key_passphrase=KEY_PASSPHRASE),
    # Harness CA with a PKCS#12: curl and Playwright use the .p12 and ask for its password;
    # requests (no PKCS#12 support) uses the PEM files.
    Variant("p12.alpha.example", "harness", pkcs12_password=P12_PASSWORD),
    # Both secrets: requests asks for the key's passphrase, the others for the PKCS#12's.
    Variant(
        "both.alpha.example",
        "self",
        key_passphrase=KEY_PASSPHRASE,
        pkcs12_password=P12_PASSWORD,
    ),
]


@pytest.fixture
def mocks(app, world, start_mock, certs_dir):
    mosapi, rri = start_mock("mosapi"), start_mock("rri")
    app.config.update(CERTS_DIR=str(certs_dir), MOSAPI_PORT=mosapi.port, RRI_PORT=rri.port)
    set_entries(app, [Entry(v.domain, ROLE_IDS, ("127.0.0.1/32", "::1/128")) for v in VARIANTS])
    return mosapi, rri


def _downloads(html: str) -> dict[str, bytes]:
    found = re.findall(r'href="data:[^;]+;base64,([^"]+)" download="([^"]+)"', html)
    return {name: base64.b64decode(unquote(data)) for data, name in found}


def _snippet(html: str, key: str) -> str:
    match = re.search(rf'data-testid="snippet-{key}">(.*?)</pre>', html, re.S)
    assert match, key
    return html_mod.unescape(match.group(1))


def _make(client, csrf: str, variant: Variant, folder: Path) -> dict[str, str]:
    """Generate on the workbench page, save its downloads and the harness CA into `folder`,
    publish the record; return the snippets as shown."""
    headers = {**HTMX, "X-CSRFToken": csrf}
    r = client.post(
        "/workbench/generate",
        data={
            "domain_name": variant.domain,
            "issuer": variant.issuer,
            "validity": "days",
            "days": "30",
            "key_passphrase": variant.key_passphrase,
            "pkcs12_password": variant.pkcs12_password,
        },
        headers=headers,
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 200, html
    folder.mkdir()
    for name, data in _downloads(html).items():
        (folder / name).write_bytes(data)
    ca = client.get("/workbench/harness-ca.pem")
    assert ca.status_code == 200
    (folder / "harness-ca.pem").write_bytes(ca.data)
    certificate = html_mod.unescape(html.split('id="wb-cert-pem">', 1)[1].split("</pre>", 1)[0])
    published = client.post(
        "/workbench/publish",
        data={"certificate": certificate, "name": variant.domain, "records": [variant.record]},
        headers=headers,
    )
    assert published.status_code == 200, published.get_data(as_text=True)
    return {key: _snippet(html, key) for key in ("curl", "python", "playwright", "rri")}


def _run(args: list[str], folder: Path, answer: str) -> str:
    """Run a snippet in `folder` with `answer` on its standard input and no terminal (a new
    session: getpass reads standard input)."""
    done = subprocess.run(
        args,
        cwd=folder,
        input=f"{answer}\n" if answer else "",
        capture_output=True,
        text=True,
        timeout=SNIPPET_TIMEOUT,
        start_new_session=True,
        env={k: v for k, v in os.environ.items() if k != "NODE_EXTRA_CA_CERTS"},
    )
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout.lstrip()  # after the newline a shell prompt for a secret ends with


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.domain.split(".")[0] for v in VARIANTS])
def test_every_snippet_works_pasted_as_is(app, client, world, login, mocks, tmp_path, variant):
    csrf = login(world.op_a)
    folder = tmp_path / "files"
    snippets = _make(client, csrf, variant, folder)
    # The snippets call this TLD, whose entry names the credential, on the mocks' ports.
    mosapi, rri = mocks
    assert f"https://localhost:{mosapi.port}/ry/alpha/v2/monitoring/state" in snippets["curl"]
    assert f"https://localhost:{rri.port}/report/" in snippets["rri"]
    # curl asks for the PKCS#12 password when there is a PKCS#12, else for the key's passphrase.
    pem_secret = variant.key_passphrase
    other_secret = variant.pkcs12_password or variant.key_passphrase
    if variant.pkcs12_password:
        assert "--cert-type P12" in snippets["curl"] and "pfxPath" in snippets["playwright"]

    out = _run(["bash", "-c", snippets["curl"]], folder, other_secret)
    assert out.startswith("HTTP/1.1 200"), out
    assert f"allowed tls-client-auth via {variant.domain}" in out

    out = _run([sys.executable, "-c", snippets["python"]], folder, pem_secret)
    assert out.startswith("200 ") and f"via {variant.domain}" in out, out

    out = _run([sys.executable, "-c", snippets["playwright"]], folder, other_secret)
    assert out.startswith("200 ") and f"via {variant.domain}" in out, out

    month = last_month()
    (folder / f"registry-functions-activity-{month}.csv").write_bytes(activity_csv())
    out = _run(["bash", "-c", snippets["rri"]], folder, other_secret)
    assert out.startswith("HTTP/1.1 200"), out
    assert f"via {variant.domain}" in out and '<result code="1000">' in out


def test_the_harness_ca_download_needs_a_sign_in(app, client, world, login, certs_dir):
    app.config["CERTS_DIR"] = str(certs_dir)
    anonymous = client.get("/workbench/harness-ca.pem")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    login(world.outsider)
    r = client.get("/workbench/harness-ca.pem")
    assert r.status_code == 200
    assert r.mimetype == "application/x-pem-file"
    assert r.headers["Content-Disposition"] == "attachment; filename=harness-ca.pem"
    assert r.data == (certs_dir / "harness-ca.pem").read_bytes()
    assert b"PRIVATE KEY" not in r.data
    # Linked from the workbench and from a TLD page.
    assert 'href="/workbench/harness-ca.pem"' in client.get("/workbench").get_data(as_text=True)
    operator = app.test_client()
    login(world.op_a, client=operator)
    set_entries(app, [Entry("client.alpha.example", ("mosapi-slam",), ("127.0.0.1/32",))])
    page = operator.get("/tlds/alpha").get_data(as_text=True)
    assert 'href="/workbench/harness-ca.pem"' in page


def test_the_snippets_call_a_tld_the_requester_manages(app, client, world, certs_dir):
    app.config["CERTS_DIR"] = str(certs_dir)
    headers = {"Authorization": f"Bearer {api_token(app, world.op_b)}"}
    body = {"domain_name": "client.beta.example", "issuer": "harness"}
    r = client.post("/api/v1/certificates", json={**body, "tld": "alpha"}, headers=headers)
    assert r.status_code == 400
    assert r.get_json()["error"]["details"] == [
        {"field": "tld", "message": "You manage no TLD 'alpha'."}
    ]
    r = client.post("/api/v1/certificates", json={**body, "tld": "BETA"}, headers=headers)
    assert r.status_code == 200 and r.get_json()["snippet_tld"] == "beta"
    assert "/ry/beta/v2/monitoring/state" in r.get_json()["snippets"]["curl"]
    # Without one: the first TLD the requester manages (no entry names the domain yet).
    r = client.post("/api/v1/certificates", json=body, headers=headers)
    assert r.get_json()["snippet_tld"] == "beta"
    # Someone who manages no TLD gets the placeholder.
    outsider = {"Authorization": f"Bearer {api_token(app, world.outsider)}"}
    r = client.post(
        "/api/v1/certificates", json={"domain_name": "x.other.example"}, headers=outsider
    )
    assert r.get_json()["snippet_tld"] is None and "/ry/<tld>/" in r.get_json()["snippets"]["curl"]
