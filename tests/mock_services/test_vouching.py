"""Nobody signed in can be admitted as another TLD's client, checked end to end: the API
refuses what would vouch for another TLD's client name, and the live mocks (real TLS, real
certificates) then refuse the would-be impersonator and admit the TLD's own client.

(a) Publishing a record at a name in .beta's entries; (b) having the harness CA issue a name in
.beta's entries while .beta binds that name to the harness CA with `2 0 1`."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from portal.core.tlsa import record_for
from portal.core.validation import Entry
from tests.helpers import Credential, api_token, client_cert, last_decision, load_ca, set_entries

NAME = "client.beta.example"
STATE = "/ry/beta/v2/monitoring/state"


def bearer(app, email):
    return {"Authorization": f"Bearer {api_token(app, email)}"}


def beta_entry(app):
    set_entries(app, [Entry(NAME, ("mosapi-slam",), ("127.0.0.1/32",))], "beta")


def publish_api(client, headers, cert: x509.Certificate, usage=3, selector=1, matching=1):
    rec = record_for(cert, usage, selector, matching)
    return client.post(
        "/api/v1/tlsa-records", json={"name": NAME, **rec.as_dict()}, headers=headers
    )


def test_a_record_at_another_tlds_client_name_is_refused_and_admits_nobody(
    app, client, world, start_mock, tmp_path
):
    mosapi = start_mock("mosapi")
    beta_entry(app)
    intruder = client_cert(tmp_path, NAME, stem="intruder")
    r = publish_api(client, bearer(app, world.rsp), intruder.cert)
    assert r.status_code == 400
    assert "only .beta's registry operator, its RSP of record or ICANN staff" in r.get_data(
        as_text=True
    )
    assert mosapi.request("GET", STATE, cred=intruder).status == 401
    assert last_decision(app).deciding_reason == "no-tlsa-at-name"

    own = client_cert(tmp_path, NAME, stem="own")
    assert publish_api(client, bearer(app, world.op_b), own.cert).status_code == 201
    assert mosapi.request("GET", STATE, cred=own).status == 200
    assert mosapi.request("GET", STATE, cred=intruder).status == 401


def test_a_squatters_record_is_removed_by_the_operator(app, client, world, start_mock, tmp_path):
    """A record published before .beta's entry named the name admits its publisher until
    .beta's operator removes it, which it now may."""
    mosapi = start_mock("mosapi")
    squatter = client_cert(tmp_path, NAME, stem="squatter")
    r = publish_api(client, bearer(app, world.outsider), squatter.cert)
    assert r.status_code == 201
    beta_entry(app)
    assert mosapi.request("GET", STATE, cred=squatter).status == 200
    op_b = bearer(app, world.op_b)
    assert (
        client.delete(f"/api/v1/tlsa-records/{r.get_json()['id']}", headers=op_b).status_code == 204
    )
    assert mosapi.request("GET", STATE, cred=squatter).status == 401


def _csr(name: str, key: ec.EllipticCurvePrivateKey) -> str:
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def _credential(folder: Path, stem: str, certificate_pem: str, key_pem: str) -> Credential:
    folder.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = folder / f"{stem}.pem", folder / f"{stem}.key"
    cert_file.write_text(certificate_pem)
    key_file.write_text(key_pem)
    return Credential(
        x509.load_pem_x509_certificate(certificate_pem.encode()),
        serialization.load_pem_private_key(key_pem.encode(), None),  # type: ignore[arg-type]
        cert_file,
        key_file,
    )


def test_the_harness_ca_issues_a_client_name_only_to_its_tld(
    app, client, world, start_mock, certs_dir, tmp_path
):
    app.config["CERTS_DIR"] = str(certs_dir)
    mosapi = start_mock("mosapi")  # makes the harness CA in certs_dir
    beta_entry(app)
    # .beta binds its entry to the harness CA, as the docs recommend.
    ca = load_ca(certs_dir)
    assert publish_api(client, bearer(app, world.op_b), ca.cert, 2, 0, 1).status_code == 201

    rsp = bearer(app, world.rsp)
    refusal = (
        "client.beta.example is a client name of .beta; only .beta's registry operator, its "
        "RSP of record or ICANN staff may have the harness CA issue a certificate for it."
    )
    r = client.post(
        "/api/v1/certificates", json={"domain_name": NAME, "issuer": "harness"}, headers=rsp
    )
    assert r.status_code == 400
    assert r.get_json()["error"]["details"] == [{"field": "domain_name", "message": refusal}]
    # Hidden among other names of the certificate: every name is checked.
    r = client.post(
        "/api/v1/certificates",
        json={"domain_name": "mine.rsp.example", "extra_sans": [NAME], "issuer": "harness"},
        headers=rsp,
    )
    assert r.status_code == 400 and refusal in r.get_data(as_text=True)
    key = ec.generate_private_key(ec.SECP256R1())
    r = client.post("/api/v1/certificates/sign-csr", json={"csr": _csr(NAME, key)}, headers=rsp)
    assert r.status_code == 400
    assert r.get_json()["error"]["details"] == [{"field": "csr", "message": refusal}]

    # A harness certificate for a name of its own gets the RSP nothing on .beta.
    r = client.post(
        "/api/v1/certificates",
        json={"domain_name": "mine.rsp.example", "issuer": "harness"},
        headers=rsp,
    )
    assert r.status_code == 200
    mine = _credential(tmp_path, "mine", r.get_json()["certificate"], r.get_json()["private_key"])
    assert mosapi.request("GET", STATE, cred=mine).status == 401
    assert last_decision(app).deciding_reason == "san-mismatch"

    # .beta's operator gets the certificate, from the workbench or from its own CSR, and in.
    r = client.post(
        "/api/v1/certificates",
        json={"domain_name": NAME, "issuer": "harness"},
        headers=bearer(app, world.op_b),
    )
    assert r.status_code == 200, r.get_json()
    own = _credential(tmp_path, "own", r.get_json()["certificate"], r.get_json()["private_key"])
    assert mosapi.request("GET", STATE, cred=own).status == 200
    r = client.post(
        "/api/v1/certificates/sign-csr",
        json={"csr": _csr(NAME, key)},
        headers=bearer(app, world.op_b),
    )
    assert r.status_code == 200
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    signed = _credential(tmp_path, "signed", r.get_json()["certificate"], key_pem)
    assert mosapi.request("GET", STATE, cred=signed).status == 200


def test_self_signed_certificates_stay_free_for_any_name(app, client, world):
    """Making a self-signed certificate vouches for nothing: only a published record would."""
    beta_entry(app)
    r = client.post(
        "/api/v1/certificates", json={"domain_name": NAME}, headers=bearer(app, world.rsp)
    )
    assert r.status_code == 200
