"""Client certificates made in the test process: the private key is generated here and written
only to the test's own folder (0600); the harness never sees it. A certificate of the harness
CA comes from a CSR the portal signs (`POST /api/v1/certificates/sign-csr`), so it works the
same on a harness started here and on one attached to."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from portal.core import certificates as cw
from portal.core import pki
from portal.core.validation import validate_domain_name

ISSUERS = cw.ISSUERS
DEFAULT_DAYS = 30
# Signs a CSR (PEM) for so many days with the harness CA: (certificate PEM, CA PEM).
CsrSigner = Callable[[str, int], tuple[str, str]]


class ClientCertError(ValueError):
    """A certificate that cannot be made as asked; the message says which argument and why."""


@dataclass(frozen=True)
class ClientCert:
    """The files of one client certificate, for requests, curl and Playwright."""

    domain_name: str
    cert: Path  # PEM: the certificate, then the harness CA when it issued it
    key: Path  # PKCS#8 PEM, unencrypted, owner-only
    p12: Path  # PKCS#12 of both, encrypted with p12_password
    p12_password: str
    spki_sha256: str  # the data of its 3 1 1 TLSA record
    issuer: str  # self | harness

    @property
    def requests(self) -> tuple[str, str]:
        """`requests.get(url, cert=c.requests, verify=harness.ca_file)`"""
        return str(self.cert), str(self.key)

    def playwright(self, origin: str) -> dict[str, str]:
        """One item of Playwright's `client_certificates` for `origin`."""
        return {"origin": origin, "certPath": str(self.cert), "keyPath": str(self.key)}


def _name(domain_name: Any) -> str:
    checked = validate_domain_name(domain_name)
    if checked.value is None:
        raise ClientCertError("; ".join(f.message for f in checked.errors))
    return checked.value


def _key(key_type: Any) -> pki.PrivateKey:
    try:
        return cw.generate_key(key_type)
    except cw.WorkbenchError as exc:
        raise ClientCertError(str(exc)) from exc


def _csr(key: pki.PrivateKey, name: str) -> str:
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, pki.signing_hash(key))  # type: ignore[arg-type]
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def make_client_cert(
    folder: Path,
    domain_name: str,
    *,
    key_type: str = cw.DEFAULT_KEY_TYPE,
    issuer: str = "self",
    days: int = DEFAULT_DAYS,
    sign_csr: CsrSigner | None = None,
) -> ClientCert:
    """A new key and a clientAuth certificate for `domain_name`, written to `folder` as
    <name>.pem, <name>.key and <name>.p12. `issuer` "harness" needs `sign_csr`."""
    if issuer not in ISSUERS:
        raise ClientCertError(f"issuer is one of {', '.join(ISSUERS)}, not {issuer!r}")
    if issuer == "harness" and sign_csr is None:
        raise ClientCertError("issuer='harness' needs the portal to sign the CSR")
    name = _name(domain_name)
    key = _key(key_type)
    chain: list[x509.Certificate] = []
    if issuer == "harness":
        assert sign_csr is not None
        cert_pem, ca_pem = sign_csr(_csr(key, name), days)
        cert = x509.load_pem_x509_certificate(cert_pem.encode())
        chain = [x509.load_pem_x509_certificate(ca_pem.encode())]
    else:
        cert = cw.issue(key.public_key(), name, pki.Validity.days(days), None, signing_key=key)
    folder.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(12)
    cert_path = pki.certs_pem([cert, *chain]).write_to_path(folder / f"{name}.pem")
    key_path = pki.key_pem(key).write_to_path(folder / f"{name}.key")
    p12 = pki.Blob(cw.pkcs12_bytes(key, cert, chain, password, name), secret=True)
    p12_path = p12.write_to_path(folder / f"{name}.p12")
    return ClientCert(
        domain_name=name,
        cert=cert_path,
        key=key_path,
        p12=p12_path,
        p12_password=password,
        spki_sha256=cw.spki_sha256(cert),
        issuer=issuer,
    )
