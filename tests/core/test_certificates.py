"""Certificate workbench core (portal/core/certificates.py): keys, certificates, validity,
PKCS#12, CSR signing and inspection. Pure: no database. Every TLSA record and every PKCS#12
file is checked against an independent reader (the openssl command line, or hashlib over the
DER that cryptography serialises)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from infra.harness_pki import ensure_material
from portal.core import certificates as cw
from portal.core import snippets
from portal.services import workbench
from portal.services.errors import Invalid

OPENSSL = shutil.which("openssl")
# The independent computations need the openssl command: missing, these tests fail (no skip).
assert OPENSSL, "the openssl command is needed for the independent TLSA/PKCS#12 checks"
DOMAIN = "client.example"
PEM = serialization.Encoding.PEM
DER = serialization.Encoding.DER


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> cw.Issuer:
    return ensure_material(tmp_path_factory.mktemp("certs")).load_signing_ca()


def openssl(*args: str, data: bytes = b"") -> bytes:
    done = subprocess.run([OPENSSL, *args], input=data, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout


def openssl_sha256(data: bytes) -> str:
    out = openssl("dgst", "-sha256", "-r", data=data).decode()
    return out.split()[0]


def openssl_spki_der(cert_pem: bytes) -> bytes:
    """The SubjectPublicKeyInfo as OpenSSL extracts it: x509 -pubkey | pkey -pubin -outform DER."""
    pubkey_pem = openssl("x509", "-pubkey", "-noout", data=cert_pem)
    return openssl("pkey", "-pubin", "-outform", "DER", data=pubkey_pem)


def verify_with_public_key(cert: x509.Certificate, public_key) -> None:
    """Check cert's signature with a given key, without cryptography's issuer logic."""
    sig, tbs = cert.signature, cert.tbs_certificate_bytes
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        public_key.verify(sig, tbs, ec.ECDSA(cert.signature_hash_algorithm))
    elif isinstance(public_key, rsa.RSAPublicKey):
        public_key.verify(sig, tbs, padding.PKCS1v15(), cert.signature_hash_algorithm)
    else:
        public_key.verify(sig, tbs)


def ext(cert: x509.Certificate | x509.CertificateSigningRequest, cls):
    return cert.extensions.get_extension_for_class(cls)


# --------------------------------------------------------------------------- generate


EXPECTED_KEYS = {
    "ec-p256": (ec.EllipticCurvePrivateKey, 256),
    "ec-p384": (ec.EllipticCurvePrivateKey, 384),
    "rsa-2048": (rsa.RSAPrivateKey, 2048),
    "rsa-3072": (rsa.RSAPrivateKey, 3072),
    "rsa-4096": (rsa.RSAPrivateKey, 4096),
    "ed25519": (ed25519.Ed25519PrivateKey, None),
}


def test_key_types_cover_the_table():
    assert set(EXPECTED_KEYS) == set(cw.KEY_TYPES)
    assert cw.DEFAULT_KEY_TYPE == "ec-p256"


@pytest.mark.parametrize("issuer_kind", ["self", "harness"])
@pytest.mark.parametrize("key_type", list(EXPECTED_KEYS))
def test_generate(key_type: str, issuer_kind: str, harness: cw.Issuer):
    made = cw.generate(DOMAIN, key_type, issuer_kind, harness=harness)
    # Through PEM and back, as a user's tools would read it.
    cert_pem = cw.pem(made.certificate).encode()
    cert = x509.load_pem_x509_certificate(cert_pem)
    key = serialization.load_pem_private_key(cw.key_pem(made.private_key).encode(), None)

    key_class, bits = EXPECTED_KEYS[key_type]
    assert isinstance(key, key_class)
    if bits:
        assert key.key_size == bits
    assert cert.public_key().public_bytes(DER, serialization.PublicFormat.SubjectPublicKeyInfo) == (
        key.public_key().public_bytes(DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )

    # Names.
    assert [a.value for a in cert.subject] == [DOMAIN]
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == DOMAIN
    san = ext(cert, x509.SubjectAlternativeName)
    assert san.value.get_values_for_type(x509.DNSName) == [DOMAIN]
    assert len(list(san.value)) == 1

    # Extensions: a clientAuth-only end-entity certificate.
    eku = ext(cert, x509.ExtendedKeyUsage)
    assert list(eku.value) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    bc = ext(cert, x509.BasicConstraints)
    assert bc.critical and bc.value.ca is False
    ku = ext(cert, x509.KeyUsage)
    assert ku.critical
    assert ku.value.digital_signature
    assert ku.value.key_encipherment is key_type.startswith("rsa-")
    assert not (ku.value.key_cert_sign or ku.value.crl_sign or ku.value.content_commitment)
    assert ext(cert, x509.SubjectKeyIdentifier).value == (
        x509.SubjectKeyIdentifier.from_public_key(cert.public_key())
    )

    # Validity: 90 days by default, starting a few minutes back.
    now = datetime.now(UTC)
    assert cert.not_valid_before_utc <= now
    assert now - cert.not_valid_before_utc < timedelta(minutes=6)
    assert abs(cert.not_valid_after_utc - (now + timedelta(days=90))) < timedelta(minutes=1)

    # Signature and issuer.
    if issuer_kind == "self":
        assert cert.issuer == cert.subject
        assert made.chain == []
        verify_with_public_key(cert, key.public_key())
        cert.verify_directly_issued_by(cert)
        with pytest.raises(x509.ExtensionNotFound):
            ext(cert, x509.AuthorityKeyIdentifier)
    else:
        assert cert.issuer == harness.cert.subject
        assert made.chain == [harness.cert]
        cert.verify_directly_issued_by(harness.cert)
        with pytest.raises((InvalidSignature, ValueError)):
            cert.verify_directly_issued_by(cert)
        aki = ext(cert, x509.AuthorityKeyIdentifier).value
        assert aki.key_identifier == ext(harness.cert, x509.SubjectKeyIdentifier).value.digest

    # TLSA records, each against an independent computation by the openssl command.
    tlsa = {
        (r["usage"], r["selector"], r["matching_type"]): r
        for r in cw.tlsa_for(cert, made.chain, DOMAIN)
    }
    cert_der = openssl("x509", "-outform", "DER", data=cert_pem)
    spki = openssl_spki_der(cert_pem)
    assert tlsa[3, 1, 1]["data"] == openssl_sha256(spki) == hashlib.sha256(spki).hexdigest()
    assert tlsa[3, 0, 1]["data"] == openssl_sha256(cert_der)
    assert tlsa[3, 1, 1]["presentation"] == (
        f"{DOMAIN}. 3600 IN TLSA 3 1 1 {tlsa[3, 1, 1]['data']}"
    )
    if issuer_kind == "harness":
        ca_der = openssl("x509", "-outform", "DER", data=cw.pem(harness.cert).encode())
        assert tlsa[2, 0, 1]["data"] == openssl_sha256(ca_der)
        assert set(tlsa) == {(3, 1, 1), (3, 0, 1), (2, 0, 1)}
    else:
        assert set(tlsa) == {(3, 1, 1), (3, 0, 1)}

    # The fingerprints `inspect` reports agree with openssl too.
    info = cw.describe(cert)
    assert info["sha256_fingerprint"] == openssl_sha256(cert_der)
    assert info["spki_sha256"] == openssl_sha256(spki)
    assert info["extended_key_usage"] == ["clientAuth"]
    assert info["ca"] is False and info["valid_now"] is True
    assert made.notes == ([cw.ED25519_NOTE] if key_type == "ed25519" else [])


def test_generate_normalises_names_and_extra_sans(harness: cw.Issuer):
    made = cw.generate(
        "Bücher.Example.",
        issuer_kind="harness",
        harness=harness,
        extra_sans=["alt.example", "xn--bcher-kva.example", "ALT.example"],
    )
    cert = made.certificate
    assert cert.subject.rfc4514_string() == "CN=xn--bcher-kva.example"
    names = ext(cert, x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    assert names == ["xn--bcher-kva.example", "alt.example"]


@pytest.mark.parametrize(
    ("kwargs", "fld", "fragment"),
    [
        ({"key_type": "rsa-1024"}, "key_type", "Unknown key type"),
        ({"key_type": "dsa"}, "key_type", "Unknown key type"),
        ({"key_type": ["ec-p256"]}, "key_type", "Unknown key type"),
        ({"key_type": None}, "key_type", "Unknown key type"),
        ({"issuer_kind": "ca"}, "issuer", "self or harness"),
        ({"issuer_kind": "harness"}, "issuer", "not available"),
        ({"domain_name": "localhost"}, "domain_name", "two labels"),
        ({"domain_name": ""}, "domain_name", "Enter a domain name"),
        ({"domain_name": 42}, "domain_name", "must be text"),
        ({"domain_name": "_client.example"}, "domain_name", "“_” label"),
        ({"extra_sans": ["ok.example", "bad name"]}, "extra_sans[1]", "spaces"),
    ],
)
def test_generate_refuses(kwargs, fld, fragment):
    args = {"domain_name": DOMAIN, **kwargs}
    with pytest.raises(cw.WorkbenchError) as caught:
        cw.generate(**args)
    assert any(f.field == fld and fragment in f.message for f in caught.value.findings), (
        caught.value.findings
    )


def test_generate_key_unknown_type():
    with pytest.raises(cw.WorkbenchError, match="Unknown key type 'ec-p521'"):
        cw.generate_key("ec-p521")


def test_service_generate_refuses_a_list_as_key_type(tmp_path: Path):
    with pytest.raises(Invalid) as caught:
        workbench.generate(
            {"domain_name": DOMAIN, "key_type": ["rsa-2048"]},
            tmp_path,
            snippets.Target("https://localhost:8443", "https://localhost:8444"),
            None,
        )
    assert caught.value.findings[0].field == "key_type"


# --------------------------------------------------------------------------- validity


NOW = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)


def test_validity_default_and_days():
    v = cw.validity(now=NOW)
    assert v.not_before == NOW - timedelta(minutes=5)
    assert v.not_after == NOW + timedelta(days=90)
    assert cw.validity(days="7", now=NOW).not_after == NOW + timedelta(days=7)
    assert cw.validity(days="", now=NOW).not_after == NOW + timedelta(days=90)
    assert cw.validity(days=3650, now=NOW).not_after == NOW + timedelta(days=3650)
    assert cw.validity(days=1, now=NOW).not_after == NOW + timedelta(days=1)


def test_validity_custom_ranges():
    v = cw.validity(not_before="2026-12-01T00:00:00Z", not_after="2027-01-01", now=NOW)
    assert v == cw.Validity(datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    # An offset is converted to UTC; a naive time is read as UTC.
    v = cw.validity(
        not_before="2026-12-01T02:00:00+02:00", not_after=datetime(2026, 12, 2), now=NOW
    )
    assert v == cw.Validity(datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC))
    # not_after alone starts now; a range in the past is allowed (a test of expiry).
    assert cw.validity(not_after="2026-07-01", now=NOW).not_before == NOW
    past = cw.validity(not_before="2020-01-01", not_after="2020-02-01", now=NOW)
    assert past.not_after < NOW


def test_validity_presets(harness: cw.Issuer):
    expired = cw.validity(preset="expired", now=NOW)
    assert expired.not_after < NOW and expired.not_before < expired.not_after
    future = cw.validity(preset="not-yet-valid", now=NOW)
    assert future.not_before > NOW and future.not_after > future.not_before
    # The preset is what the certificate carries, and inspection says so.
    for preset, note in (("expired", "expired"), ("not-yet-valid", "not yet valid")):
        made = cw.generate(DOMAIN, "ec-p256", "harness", cw.validity(preset=preset), harness)
        info = cw.describe(made.certificate)
        assert info["valid_now"] is False and info["validity_note"] == note


@pytest.mark.parametrize(
    ("kwargs", "fld", "fragment"),
    [
        ({"not_before": "2027-01-01", "not_after": "2026-12-01"}, "not_after", "ends before"),
        ({"not_before": "2027-01-01", "not_after": "2027-01-01"}, "not_after", "ends before"),
        ({"not_before": "2026-01-01", "not_after": "2036-01-01"}, "not_after", "3650 days"),
        ({"not_before": "2026-01-01"}, "not_after", "Give not_after"),
        ({"not_before": "yesterday", "not_after": "2027-01-01"}, "not_before", "not a date"),
        ({"not_before": "2026-01-01", "not_after": 20270101}, "not_after", "date-time"),
        ({"days": 0}, "days", "from 1 to 3650"),
        ({"days": -5}, "days", "from 1 to 3650"),
        ({"days": 3651}, "days", "from 1 to 3650"),
        ({"days": "ninety"}, "days", "whole number"),
        ({"days": [90]}, "days", "whole number"),
        ({"days": True}, "days", "from 1 to 3650"),
        ({"preset": "yesterday"}, "validity", "Unknown preset"),
    ],
)
def test_validity_refuses(kwargs, fld, fragment):
    with pytest.raises(cw.WorkbenchError) as caught:
        cw.validity(now=NOW, **kwargs)
    (finding,) = caught.value.findings
    assert finding.field == fld and fragment in finding.message, finding


def test_certificate_carries_the_validity_exactly():
    v = cw.validity(not_before="2026-12-01T00:00:00Z", not_after="2027-03-01T12:30:00Z")
    cert = cw.generate(DOMAIN, valid=v).certificate
    assert (cert.not_valid_before_utc, cert.not_valid_after_utc) == (v.not_before, v.not_after)


# --------------------------------------------------------------------------- keys and PKCS#12


@pytest.mark.parametrize(
    ("key_type", "issuer_kind"), [("ec-p256", "harness"), ("rsa-2048", "self")]
)
def test_pkcs12_round_trip(tmp_path: Path, harness: cw.Issuer, key_type: str, issuer_kind: str):
    made = cw.generate(DOMAIN, key_type, issuer_kind, harness=harness)
    password = "p12 pass wörd"
    data = cw.pkcs12_bytes(made.private_key, made.certificate, made.chain, password, DOMAIN)

    key, cert, extra = pkcs12.load_key_and_certificates(data, password.encode())
    assert cert == made.certificate
    assert extra == made.chain
    assert key.private_numbers() == made.private_key.private_numbers()
    loaded = pkcs12.load_pkcs12(data, password.encode())
    assert loaded.cert.friendly_name == DOMAIN.encode()
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(data, b"wrong")

    # And OpenSSL reads the same key and certificates from it.
    p12 = tmp_path / "client.p12"
    p12.write_bytes(data)
    out = openssl("pkcs12", "-in", str(p12), "-passin", f"pass:{password}", "-nodes")
    assert f"friendlyName: {DOMAIN}".encode() in out
    certs = x509.load_pem_x509_certificates(out)
    assert certs == [made.certificate, *made.chain]
    key_start = out.index(b"-----BEGIN PRIVATE KEY-----")
    key_end = out.index(b"-----END PRIVATE KEY-----") + len(b"-----END PRIVATE KEY-----")
    openssl_key = serialization.load_pem_private_key(out[key_start:key_end], None)
    assert openssl_key.private_numbers() == made.private_key.private_numbers()
    # The documented algorithms: PBES2 with AES-256-CBC and a SHA-256 MAC.
    done = subprocess.run(
        [OPENSSL, "pkcs12", "-in", str(p12), "-passin", f"pass:{password}"] + ["-info", "-noout"],
        capture_output=True,
        check=True,
    )
    info = done.stdout.decode() + done.stderr.decode()
    assert "MAC: sha256" in info
    assert "AES-256-CBC" in info
    bad = subprocess.run(
        [OPENSSL, "pkcs12", "-in", str(p12), "-passin", "pass:wrong", "-nodes"],
        capture_output=True,
        check=False,
    )
    assert bad.returncode != 0


def test_pkcs12_needs_a_password():
    made = cw.generate(DOMAIN)
    with pytest.raises(cw.WorkbenchError, match="password"):
        cw.pkcs12_bytes(made.private_key, made.certificate, [], "", DOMAIN)


@pytest.mark.parametrize("key_type", ["ec-p256", "rsa-2048", "ed25519"])
def test_key_pem_plain_and_encrypted(key_type: str):
    key = cw.generate_key(key_type)
    plain = cw.key_pem(key)
    assert plain.startswith("-----BEGIN PRIVATE KEY-----")  # PKCS#8
    assert serialization.load_pem_private_key(plain.encode(), None).public_key() == (
        key.public_key()
    )
    encrypted = cw.key_pem(key, "s3cret passphrase")
    assert encrypted.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(encrypted.encode(), None)
    with pytest.raises(ValueError):
        serialization.load_pem_private_key(encrypted.encode(), b"wrong passphrase")
    back = serialization.load_pem_private_key(encrypted.encode(), b"s3cret passphrase")
    assert back.public_key() == key.public_key()
    out = openssl("pkey", "-passin", "pass:s3cret passphrase", data=encrypted.encode())
    assert serialization.load_pem_private_key(out, None).public_key() == key.public_key()


# --------------------------------------------------------------------------- CSR


def make_csr(
    key=None,
    cn: str | None = DOMAIN,
    sans: list[str] | None = None,
    extensions: list[tuple[x509.ExtensionType, bool]] = (),
    encoding=PEM,
) -> bytes:
    key = key or ec.generate_private_key(ec.SECP256R1())
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)] if cn else []
    builder = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(attrs))
    if sans:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in sans]), critical=False
        )
    for value, critical in extensions:
        builder = builder.add_extension(value, critical=critical)
    algorithm = (
        None
        if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey)
        else (hashes.SHA256())
    )
    return builder.sign(key, algorithm).public_bytes(encoding)


def test_sign_csr_ec(harness: cw.Issuer):
    key = ec.generate_private_key(ec.SECP256R1())
    data = make_csr(key, cn="ignored-cn.example", sans=["client.example", "alt.example"])
    v = cw.validity(days=30)
    cert = cw.sign_csr(data, v, harness)
    assert cert.issuer == harness.cert.subject
    cert.verify_directly_issued_by(harness.cert)
    assert cert.public_key() == key.public_key()
    # The SAN is carried over; the subject CN is the first SAN.
    assert ext(cert, x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName) == [
        "client.example",
        "alt.example",
    ]
    assert cert.subject.rfc4514_string() == "CN=client.example"
    assert list(ext(cert, x509.ExtendedKeyUsage).value) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    assert ext(cert, x509.BasicConstraints).value.ca is False
    assert cert.not_valid_after_utc == v.not_after


def test_sign_csr_der_rsa_and_ed25519(harness: cw.Issuer):
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = cw.sign_csr(make_csr(rsa_key, encoding=DER), cw.validity(), harness)
    assert cert.public_key() == rsa_key.public_key()
    assert ext(cert, x509.KeyUsage).value.key_encipherment
    ed_key = ed25519.Ed25519PrivateKey.generate()
    cert = cw.sign_csr(make_csr(ed_key, encoding=DER), cw.validity(), harness)
    assert cert.public_key() == ed_key.public_key()
    cert.verify_directly_issued_by(harness.cert)


def test_sign_csr_u_label_becomes_a_label(harness: cw.Issuer):
    cert = cw.sign_csr(make_csr(cn="Bücher.example"), cw.validity(), harness)
    assert cert.subject.rfc4514_string() == "CN=xn--bcher-kva.example"
    assert ext(cert, x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName) == [
        "xn--bcher-kva.example"
    ]


def tampered_signature(data_der: bytes) -> bytes:
    """Flip a bit in the last byte: inside the signature BIT STRING at the end of the CSR."""
    return data_der[:-1] + bytes([data_der[-1] ^ 0x01])


@pytest.mark.parametrize(
    ("build", "fragment"),
    [
        (
            lambda: tampered_signature(make_csr(encoding=DER)),
            "signature does not verify",
        ),
        (
            lambda: make_csr(extensions=[(x509.BasicConstraints(ca=True, path_length=None), True)]),
            "CA:true",
        ),
        (
            lambda: make_csr(
                extensions=[(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)]
            ),
            "serverAuth",
        ),
        (
            lambda: make_csr(
                extensions=[
                    (
                        x509.ExtendedKeyUsage(
                            [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]
                        ),
                        False,
                    )
                ]
            ),
            "serverAuth",
        ),
        (
            lambda: make_csr(rsa.generate_private_key(65537, 1024)),  # noqa: S505 - refused
            "RSA 1024-bit keys are too weak",
        ),
        (lambda: make_csr(ed448.Ed448PrivateKey.generate()), "Ed448 keys are not accepted"),
        (lambda: make_csr(cn=None), "names no domain"),
        (lambda: make_csr(cn="localhost"), "two labels"),
        (lambda: b"-----BEGIN CERTIFICATE REQUEST-----\nnope\n", "not a certificate signing"),
        (lambda: os.urandom(300), "not a certificate signing"),
        (lambda: b"", "not a certificate signing"),
        (lambda: b"0" * (cw.MAX_UPLOAD_BYTES + 1), "larger than"),
    ],
    ids=[
        "bad-signature",
        "ca-true",
        "server-auth",
        "server-and-client-auth",
        "rsa-1024",
        "ed448",
        "no-name",
        "single-label",
        "bad-pem",
        "random",
        "empty",
        "too-large",
    ],
)
def test_sign_csr_refuses(build, fragment, harness: cw.Issuer):
    with pytest.raises(cw.WorkbenchError) as caught:
        cw.sign_csr(build(), cw.validity(), harness)
    assert any(fragment in f.message for f in caught.value.findings), caught.value.findings


def test_tampered_csr_still_parses():
    """The bad-signature case above is refused for its signature, not as unreadable."""
    csr = x509.load_der_x509_csr(tampered_signature(make_csr(encoding=DER)))
    assert not csr.is_signature_valid


# --------------------------------------------------------------------------- inspect


def test_inspect_chain_leaf_then_ca(harness: cw.Issuer):
    made = cw.generate(DOMAIN, issuer_kind="harness", harness=harness)
    chain_pem = (cw.pem(made.certificate) + cw.pem(harness.cert)).encode()
    result = cw.inspect(chain_pem)
    leaf, ca = result["certificates"]
    assert leaf["subject"] == f"CN={DOMAIN}" and leaf["sans"] == [DOMAIN]
    assert leaf["issuer"] == ca["subject"] and ca["ca"] is True and ca["self_signed"] is True
    assert leaf["key_type"] == "EC secp256r1" and leaf["key_bits"] == 256
    kinds = [(r["usage"], r["selector"], r["matching_type"]) for r in result["tlsa"]]
    assert kinds == [(3, 1, 1), (3, 0, 1), (2, 0, 1)]
    assert all(r["name"] == DOMAIN for r in result["tlsa"])
    assert result["tlsa"][2]["data"] == hashlib.sha256(harness.cert.public_bytes(DER)).hexdigest()
    # The same chain given CA first is put in order: leaf first.
    reversed_pem = (cw.pem(harness.cert) + cw.pem(made.certificate)).encode()
    assert cw.inspect(reversed_pem)["certificates"] == result["certificates"]


def test_inspect_single_der_certificate():
    made = cw.generate(DOMAIN, "ed25519")
    result = cw.inspect(made.certificate.public_bytes(DER))
    (info,) = result["certificates"]
    assert info["key_type"] == "Ed25519" and info["self_signed"] is True
    assert [r["usage"] for r in result["tlsa"]] == [3, 3]


def test_inspect_two_unrelated_certificates(harness: cw.Issuer):
    a = cw.generate("a.example").certificate
    b = cw.generate("b.example", issuer_kind="harness", harness=harness).certificate
    for data in (cw.pem(a) + cw.pem(b), cw.pem(b) + cw.pem(a), cw.pem(a) + cw.pem(harness.cert)):
        with pytest.raises(cw.WorkbenchError, match="several unrelated"):
            cw.inspect(data.encode())


def test_inspect_expired_certificate(harness: cw.Issuer):
    made = cw.generate(DOMAIN, valid=cw.validity(preset="expired"))
    (info,) = cw.inspect(cw.pem(made.certificate).encode())["certificates"]
    assert info["valid_now"] is False and info["validity_note"] == "expired"


def _key_pem() -> bytes:
    return cw.key_pem(cw.generate_key("ec-p256")).encode()


@pytest.mark.parametrize(
    ("build", "fragment"),
    [
        (_key_pem, "no CERTIFICATE block (is it a key or a CSR?)"),
        (lambda: make_csr(), "no CERTIFICATE block (is it a key or a CSR?)"),
        (lambda: os.urandom(2048), "not a certificate"),
        (lambda: b"", "not a certificate"),
        (lambda: b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "not a cert"),
        (lambda: b"\0" * (10 * 1024 * 1024), "larger than 1024 KiB"),
    ],
    ids=["private-key", "csr", "random", "empty", "broken-pem", "10-MiB"],
)
def test_inspect_refuses(build, fragment):
    with pytest.raises(cw.WorkbenchError) as caught:
        cw.inspect(build())
    (finding,) = caught.value.findings
    assert finding.field == "certificate" and fragment in finding.message


def test_service_inspect_refuses_empty_and_key():
    with pytest.raises(Invalid, match="Give a certificate"):
        workbench.inspect({"certificate": ""})
    with pytest.raises(Invalid, match="is it a key"):
        workbench.inspect({"certificate": _key_pem().decode()})
