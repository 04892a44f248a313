"""The harness's own TLS material: a CA and the mocks' server certificate, made on first start.

These keys are infrastructure the servers need at every start, so they live in `certs/`
(mode 0600, git-ignored). Keys generated for *users* are never stored (certificate workbench).
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .config import certs_dir

SERVER_NAMES = ("localhost", "mosapi.localhost", "ry-api.localhost")
SERVER_ADDRESSES = ("127.0.0.1", "::1")
CA_FILE = "harness-ca.pem"
CA_KEY_FILE = "harness-ca.key"
SERVER_CERT_FILE = "server.pem"
SERVER_KEY_FILE = "server.key"


@dataclass(frozen=True)
class HarnessMaterial:
    folder: Path

    @property
    def ca_cert(self) -> Path:
        return self.folder / CA_FILE

    @property
    def ca_key(self) -> Path:
        return self.folder / CA_KEY_FILE

    @property
    def server_cert(self) -> Path:
        return self.folder / SERVER_CERT_FILE

    @property
    def server_key(self) -> Path:
        return self.folder / SERVER_KEY_FILE

    def load_ca(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.ca_cert.read_bytes())


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def ensure_material(folder: Path | None = None) -> HarnessMaterial:
    """Create the CA and server certificate unless they exist; return their paths."""
    material = HarnessMaterial(folder or certs_dir())
    material.folder.mkdir(parents=True, exist_ok=True)
    if material.ca_cert.exists() and material.server_cert.exists() and material.server_key.exists():
        return material
    now = datetime.now(UTC) - timedelta(minutes=5)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "TLS Auth Harness"),
            x509.NameAttribute(NameOID.COMMON_NAME, "TLS Auth Harness CA"),
        ]
    )
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    sans: list[x509.GeneralName] = [x509.DNSName(n) for n in SERVER_NAMES]
    sans += [x509.IPAddress(ipaddress.ip_address(a)) for a in SERVER_ADDRESSES]
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(material.ca_key, _key_pem(ca_key))
    _write_private(material.server_key, _key_pem(server_key))
    material.ca_cert.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    # The server sends its chain: leaf then CA.
    material.server_cert.write_bytes(
        server.public_bytes(serialization.Encoding.PEM)
        + ca.public_bytes(serialization.Encoding.PEM)
    )
    return material
