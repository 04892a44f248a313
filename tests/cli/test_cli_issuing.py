"""`tlsauth cert new --issuer harness`, `tlsauth cert sign-csr` and `tlsauth tlsa --publish`
hold the same rule as the portal and the API: a TLD's client name is issued and published only
for its registry operator, RSP of record and ICANN staff, named with --as."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from portal.core.validation import Entry
from tests.helpers import client_cert, failed, invoke, ok, set_entries

NAME = "client.beta.example"
REFUSAL = (
    "client.beta.example is a client name of .beta; only .beta's registry operator, its RSP "
    "of record or ICANN staff may have the harness CA issue a certificate for it."
)


@pytest.fixture
def beta(app, world, tmp_path: Path) -> None:
    app.config["CERTS_DIR"] = str(tmp_path / "certs")
    set_entries(app, [Entry(NAME, ("mosapi-slam",), ("127.0.0.1/32",))], "beta")


def _csr(folder: Path) -> Path:
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)]))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(NAME)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    path = folder / "client.csr"
    path.write_bytes(csr.public_bytes(serialization.Encoding.PEM))
    return path


def test_cert_new_from_the_harness_ca_needs_the_right_to_the_name(
    runner, world, beta, tmp_path: Path
):
    out = tmp_path / "out"
    args = ["cert", "new", NAME, "--issuer", "harness", "--out", str(out)]
    result = invoke(runner, *args)
    assert result.exit_code == 2 and "--issuer harness needs --as EMAIL" in result.output
    failed(invoke(runner, *args, "--as", world.rsp), REFUSAL)
    assert not out.exists() or not any(out.iterdir())
    text = ok(invoke(runner, *args, "--as", world.op_b))
    assert (out / f"{NAME}.pem").exists() and f"TLSA records (publish one at {NAME})" in text
    # A self-signed certificate vouches for nothing; it needs no --as.
    ok(invoke(runner, "cert", "new", NAME, "--out", str(tmp_path / "self")))


def test_sign_csr_needs_the_right_to_the_name(runner, world, beta, tmp_path: Path):
    csr, target = _csr(tmp_path), tmp_path / "signed.pem"
    failed(
        invoke(runner, "cert", "sign-csr", str(csr), "--as", world.rsp, "--out", str(target)),
        REFUSAL,
    )
    assert not target.exists()
    ok(invoke(runner, "cert", "sign-csr", str(csr), "--as", world.icann, "--out", str(target)))
    assert target.exists()


def test_tlsa_publish_at_another_tlds_client_name_is_refused(runner, world, beta, tmp_path: Path):
    cert = client_cert(tmp_path, NAME)
    args = ["tlsa", str(cert.cert_file), "--publish"]
    failed(
        invoke(runner, *args, "--as", world.outsider),
        "client.beta.example is a client name of .beta; only .beta's registry operator, its "
        "RSP of record or ICANN staff may publish there.",
    )
    text = ok(invoke(runner, *args, "--as", world.op_b))
    assert f"{NAME}. 3600 IN TLSA 3 1 1" in text
