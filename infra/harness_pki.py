"""The harness's own TLS material: a CA and the mocks' server certificate, made on first start.

These keys are infrastructure the servers need at every start, so they live in `certs/`
(mode 0600, git-ignored). Keys generated for *users* are never stored (certificate workbench).
"""

from __future__ import annotations

import fcntl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from portal.core.pki import CA, Validity

from .config import certs_dir

SERVER_NAMES = ("localhost", "mosapi.localhost", "ry-api.localhost")
SERVER_ADDRESSES = ("127.0.0.1", "::1")
CA_FILE = "harness-ca.pem"
CA_KEY_FILE = "harness-ca.key"
SERVER_CERT_FILE = "server.pem"
SERVER_KEY_FILE = "server.key"
LOCK_FILE = ".harness.lock"
CA_DAYS = 3650
SERVER_DAYS = 825


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

    def load_signing_ca(self) -> CA:
        """The harness CA with its key, to issue certificates."""
        return CA.from_pem(self.ca_cert.read_bytes(), self.ca_key.read_bytes())


def ensure_material(folder: Path | None = None) -> HarnessMaterial:
    """Create the CA and server certificate unless they exist; return their paths."""
    material = HarnessMaterial(folder or certs_dir())
    material.folder.mkdir(parents=True, exist_ok=True)
    # Servers that start together (forked mock workers) must not each make a key pair and
    # overwrite the other's files: the first makes the material under the lock, the others
    # then find it complete.
    with (material.folder / LOCK_FILE).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (
            material.ca_cert.exists()
            and material.server_cert.exists()
            and material.server_key.exists()
        ):
            _create(material)
    return material


def _create(material: HarnessMaterial) -> None:
    ca = CA.create(
        "TLS Auth Harness CA", organization="TLS Auth Harness", validity=Validity.days(CA_DAYS)
    )
    server = ca.issue_cert(
        *SERVER_NAMES,
        common_name="localhost",
        ips=SERVER_ADDRESSES,
        usage=("server",),
        validity=Validity.days(SERVER_DAYS),
    )
    ca.key_pem.write_to_path(material.ca_key)
    server.key_pem.write_to_path(material.server_key)
    ca.cert_pem.write_to_path(material.ca_cert)
    server.chain_pem.write_to_path(material.server_cert)  # the server sends leaf then CA
