"""The certificate workbench through the portal and the API: generation, CSR signing,
inspection, publishing, bad input, and proof that generated keys are never kept."""

from __future__ import annotations

import base64
import hashlib
import html as html_mod
import io
import logging
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from sqlalchemy import select, text

from infra.database import db
from portal.models import Base
from tests.helpers import HTMX, api_token, client_cert


@pytest.fixture
def certs(app, tmp_path):
    app.config["CERTS_DIR"] = str(tmp_path / "certs")
    return Path(app.config["CERTS_DIR"])


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def key_fragments(private_key_pem: str) -> list[bytes]:
    """Pieces of a generated key to look for: base64 lines of the PEM and the raw DER."""
    body = "".join(private_key_pem.strip().splitlines()[1:-1])
    der = base64.b64decode(body)
    lines = [line.encode() for line in private_key_pem.splitlines()[1:-1] if len(line) > 40]
    return [der[-32:], der[:48], *lines]


def everything_stored(app, database_url: str) -> bytes:
    """Every row of every table as text, plus the SQLite files themselves."""
    blobs: list[bytes] = []
    with app.app_context():
        for table in Base.metadata.sorted_tables:
            for row in db.session.execute(select(table)).all():
                blobs.append(repr(tuple(row)).encode())
        if database_url.startswith("sqlite:///"):
            path = Path(database_url.removeprefix("sqlite:///"))
            db.session.execute(text("PRAGMA wal_checkpoint(FULL)"))
            for suffix in ("", "-wal", "-shm"):
                f = Path(str(path) + suffix)
                if f.exists():
                    blobs.append(f.read_bytes())
    return b"\n".join(blobs)


def test_generated_key_is_never_stored_or_logged(
    app, client, world, certs, caplog, database_url, login
):
    caplog.set_level(logging.DEBUG)
    token = api_token(app, world.rsp)
    r = client.post(
        "/api/v1/certificates",
        json={
            "domain_name": "client.rsp.example",
            "issuer": "harness",
            "pkcs12_password": "pw-123",
        },
        headers=bearer(token),
    )
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "no-store"
    key_pem = r.get_json()["private_key"]
    login_token = login(world.rsp)
    ui = client.post(
        "/workbench/generate",
        data={"domain_name": "ui.rsp.example", "validity": "days", "days": "30"},
        headers={**HTMX, "X-CSRFToken": login_token},
    )
    assert ui.status_code == 200 and ui.headers["Cache-Control"] == "no-store"
    html = ui.get_data(as_text=True)
    ui_key = html.split('id="wb-key-pem">', 1)[1].split("</pre>", 1)[0]
    assert "PRIVATE KEY" in ui_key
    stored = everything_stored(app, database_url)
    logs = caplog.text.encode()
    for key in (key_pem, ui_key):
        for fragment in key_fragments(key):
            assert fragment not in stored
            assert fragment not in logs
    assert not any(
        p.suffix == ".key" and p.name != "harness-ca.key" and p.name != "server.key"
        for p in certs.rglob("*")
    )


def test_api_generate_every_key_type_and_issuer(app, client, world, certs):
    token = api_token(app, world.rsp)
    for key_type in ("ec-p256", "ec-p384", "rsa-2048", "ed25519"):
        for issuer in ("self", "harness"):
            r = client.post(
                "/api/v1/certificates",
                headers=bearer(token),
                json={
                    "domain_name": "Client.RSP.example",
                    "key_type": key_type,
                    "issuer": issuer,
                    "days": 10,
                    "extra_sans": ["alt.rsp.example"],
                },
            )
            assert r.status_code == 200, r.get_json()
            body = r.get_json()
            cert = x509.load_pem_x509_certificate(body["certificate"].encode())
            assert (
                cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
                == "client.rsp.example"
            )
            sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            assert sans.get_values_for_type(x509.DNSName) == [
                "client.rsp.example",
                "alt.rsp.example",
            ]
            spki = cert.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            assert (
                body["tlsa"][0]["data"] == hashes.Hash(hashes.SHA256()).__class__ and False or True
            )

            assert body["tlsa"][0]["presentation"].endswith(hashlib.sha256(spki).hexdigest())
            assert (body["chain"] != "") == (issuer == "harness")
            key = serialization.load_pem_private_key(body["private_key"].encode(), None)
            assert (
                key.public_key().public_bytes(
                    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
                )
                == spki
            )


def test_pkcs12_reads_with_openssl(app, client, world, certs, tmp_path):
    token = api_token(app, world.rsp)
    body = client.post(
        "/api/v1/certificates",
        headers=bearer(token),
        json={
            "domain_name": "p12.rsp.example",
            "issuer": "harness",
            "pkcs12_password": "s3cret pw",
        },
    ).get_json()
    data = base64.b64decode(body["pkcs12"])
    key, cert, extra = pkcs12.load_key_and_certificates(data, b"s3cret pw")
    assert cert.public_bytes(serialization.Encoding.PEM).decode() == body["certificate"]
    assert len(extra) == 1
    f = tmp_path / "c.p12"
    f.write_bytes(data)
    out = subprocess.run(
        ["openssl", "pkcs12", "-in", str(f), "-passin", "pass:s3cret pw", "-nodes"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 0, out.stderr
    assert "BEGIN PRIVATE KEY" in out.stdout and body["certificate"].strip() in out.stdout
    keytool = shutil.which("keytool")
    if keytool:  # Java reads it too (PBES2/AES + SHA-256 MAC need Java 11+)
        listing = subprocess.run(
            [
                keytool,
                "-list",
                "-keystore",
                str(f),
                "-storetype",
                "PKCS12",
                "-storepass",
                "s3cret pw",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert listing.returncode == 0, listing.stdout + listing.stderr
        assert "PrivateKeyEntry" in listing.stdout


def _csr(name="csr.rsp.example", **extensions):
    key = ec.generate_private_key(ec.SECP256R1())
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    )
    if extensions.get("ca"):
        builder = builder.add_extension(
            x509.BasicConstraints(ca=True, path_length=None), critical=True
        )
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


def test_sign_csr_and_refusals(app, client, world, certs):
    token = api_token(app, world.rsp)
    ok = client.post(
        "/api/v1/certificates/sign-csr", json={"csr": _csr(), "days": 30}, headers=bearer(token)
    )
    assert ok.status_code == 200 and "private_key" not in ok.get_json()
    assert "TLS Auth Harness CA" in ok.get_json()["info"]["issuer"]
    bad = client.post(
        "/api/v1/certificates/sign-csr", json={"csr": _csr(ca=True)}, headers=bearer(token)
    )
    assert bad.status_code == 400 and "CA:true" in bad.get_json()["error"]["details"][0]["message"]


@pytest.mark.parametrize(
    "path, body, field",
    [
        ("/api/v1/certificates", {"domain_name": "x.example", "key_type": "dsa-1024"}, "key_type"),
        (
            "/api/v1/certificates",
            {"domain_name": "x.example", "not_before": "2027-01-02", "not_after": "2027-01-01"},
            "not_after",
        ),
        ("/api/v1/certificates", {"domain_name": "nodots"}, "domain_name"),
        (
            "/api/v1/certificates/inspect",
            {"certificate": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"},
            "certificate",
        ),
        ("/api/v1/certificates/inspect", {"certificate": "just text"}, "certificate"),
        ("/api/v1/certificates/sign-csr", {"csr": "not a csr"}, "csr"),
    ],
)
def test_bad_input_is_refused_with_field_details(app, client, world, certs, path, body, field):
    token = api_token(app, world.rsp)
    r = client.post(path, json=body, headers=bearer(token))
    assert r.status_code == 400, r.get_json()
    assert field in [d["field"] for d in r.get_json()["error"]["details"]]


def test_unrelated_certificates_refused(app, client, world, certs):
    token = api_token(app, world.rsp)
    a = client.post(
        "/api/v1/certificates", json={"domain_name": "a.example"}, headers=bearer(token)
    ).get_json()
    b = client.post(
        "/api/v1/certificates", json={"domain_name": "b.example"}, headers=bearer(token)
    ).get_json()
    r = client.post(
        "/api/v1/certificates/inspect",
        json={"certificate": a["certificate"] + b["certificate"]},
        headers=bearer(token),
    )
    assert r.status_code == 400 and "unrelated" in r.get_data(as_text=True)


def test_ten_mib_upload_refused_in_portal_and_api(app, client, world, certs, login):
    token = login(world.rsp)
    big = b"A" * (10 * 1024 * 1024)
    r = client.post(
        "/workbench/inspect",
        data={"certificate_file": (io.BytesIO(big), "big.pem")},
        headers={**HTMX, "X-CSRFToken": token},
        content_type="multipart/form-data",
    )
    assert r.status_code == 413 and "too large" in r.get_data(as_text=True)
    api = client.post(
        "/api/v1/certificates/inspect",
        data=big,
        headers={**bearer(api_token(app, world.rsp)), "Content-Type": "application/json"},
    )
    assert api.status_code == 413 and api.get_json()["error"]["code"] == "too_large"


def test_workbench_page_flows(app, client, world, certs, login):
    token = login(world.rsp)
    h = {**HTMX, "X-CSRFToken": token}
    page = client.get("/workbench").get_data(as_text=True)
    assert "Generate a test certificate" in page and "sign a CSR" in page
    r = client.post(
        "/workbench/generate",
        data={
            "domain_name": "wb.rsp.example",
            "issuer": "harness",
            "validity": "expired",
            "pkcs12_password": "pw",
        },
        headers=h,
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "expired" in html and 'download="wb.rsp.example.p12"' in html
    assert "--cacert harness-ca.pem" in html and "client_certificates" in html
    assert "requests.get" in html and "--cert-type P12 --cert wb.rsp.example.p12" in html
    cert_pem = html.split('id="wb-cert-pem">', 1)[1].split("</pre>", 1)[0]
    cert_pem = html_mod.unescape(cert_pem)
    published = client.post(
        "/workbench/publish",
        data={"certificate": cert_pem, "name": "wb.rsp.example", "records": ["3 1 1", "2 0 1"]},
        headers=h,
    )
    assert published.status_code == 200 and "holds 2 record(s)" in published.get_data(as_text=True)
    bad = client.post(
        "/workbench/generate", data={"domain_name": "", "validity": "days"}, headers=h
    )
    assert bad.status_code == 422 and "Nothing was made or stored" in bad.get_data(as_text=True)
    csrf = client.post("/workbench/generate", data={"domain_name": "x.example"}, headers=HTMX)
    assert csrf.status_code == 400
    inspected = client.post("/workbench/inspect", data={"certificate": cert_pem}, headers=h)
    assert "SHA-256 of the public key" in inspected.get_data(as_text=True)


def test_inspected_upload_is_carried_to_the_publish_form(app, client, world, certs, login):
    token = login(world.rsp)
    h = {**HTMX, "X-CSRFToken": token}
    made = client.post(
        "/api/v1/certificates",
        json={"domain_name": "up.rsp.example"},
        headers=bearer(api_token(app, world.rsp)),
    ).get_json()
    r = client.post(
        "/workbench/inspect",
        data={"certificate_file": (io.BytesIO(made["certificate"].encode()), "up.pem")},
        headers=h,
        content_type="multipart/form-data",
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "SHA-256 of the public key" in html
    carried = html.split('name="certificate" value="', 1)[1].split('"', 1)[0]
    assert html_mod.unescape(carried) == made["certificate"]
    published = client.post(
        "/workbench/publish", data={"certificate": html_mod.unescape(carried)}, headers=h
    )
    assert published.status_code == 200 and "holds 1 record(s)" in published.get_data(as_text=True)


def test_check_dns_reports_records_validation_and_match(app, client, world, certs, tmp_path, login):
    from tests.dns_responder import DnsResponder

    mine = client_cert(tmp_path, "dns.rsp.example")
    other = client_cert(tmp_path, "dns.rsp.example", stem="other")
    rdata = [f"3 1 1 {mine.spki_sha256()}", f"3 1 1 {other.spki_sha256()}"]
    pem = mine.cert_file.read_text()
    token = bearer(api_token(app, world.rsp))
    with DnsResponder({"dns.rsp.example": (rdata, 300)}) as responder:
        app.config["DNS_RESOLVER"] = f"127.0.0.1:{responder.port}"
        body = client.post(
            "/api/v1/dns-check", json={"name": "dns.rsp.example", "certificate": pem}, headers=token
        ).get_json()
        assert body["validated"] is True and body["problem"] is None
        matches = {r["data"]: r["matches"] for r in body["records"]}  # an RRset has no order
        assert matches == {mine.spki_sha256(): True, other.spki_sha256(): False}
        responder.ad = False
        body = client.post(
            "/api/v1/dns-check", json={"name": "dns.rsp.example"}, headers=token
        ).get_json()
        assert body["validated"] is False and len(body["records"]) == 2
        missing = client.post(
            "/api/v1/dns-check", json={"name": "none.rsp.example"}, headers=token
        ).get_json()
        assert missing["records"] == [] and missing["problem"]
        login_token = login(world.rsp)
        html = client.post(
            "/workbench/dns-check",
            data={"name": "dns.rsp.example", "certificate": pem},
            headers={**HTMX, "X-CSRFToken": login_token},
        ).get_data(as_text=True)
        assert "not DNSSEC-validated" in html and "matches the certificate" in html
