"""Certificates for tests, built directly with cryptography (independent of the product code)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass
class Credential:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    cert_file: Path
    key_file: Path

    def spki_sha256(self) -> str:
        spki = self.cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return hashlib.sha256(spki).hexdigest()

    def cert_sha256(self) -> str:
        return hashlib.sha256(self.cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def _write(
    folder: Path,
    stem: str,
    cert: x509.Certificate,
    key: ec.EllipticCurvePrivateKey,
    chain: list[x509.Certificate] = (),
) -> Credential:
    folder.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = folder / f"{stem}.pem", folder / f"{stem}.key"
    cert_file.write_bytes(
        b"".join(c.public_bytes(serialization.Encoding.PEM) for c in [cert, *chain])
    )
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Credential(cert, key, cert_file, key_file)


def client_cert(
    folder: Path,
    domain: str,
    *,
    issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None = None,
    san: str | None = None,
    expired: bool = False,
    stem: str | None = None,
) -> Credential:
    """A clientAuth certificate for `domain`: self-signed, or signed by `issuer`."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    start, end = (
        (now - timedelta(days=30), now - timedelta(days=1))
        if expired
        else (now - timedelta(hours=1), now + timedelta(days=30))
    )
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer[0].subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(san or domain)]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    )
    cert = builder.sign(issuer[1] if issuer else key, hashes.SHA256())
    return _write(folder, stem or f"{domain}-{cert.serial_number % 10**8}", cert, key)


def load_ca(certs_dir: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert = x509.load_pem_x509_certificate((certs_dir / "harness-ca.pem").read_bytes())
    key = serialization.load_pem_private_key((certs_dir / "harness-ca.key").read_bytes(), None)
    return cert, key  # type: ignore[return-value]
