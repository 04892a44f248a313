"""A client certificate and its private key, held in memory for a call made on a user's behalf.

An uploaded pair is read here (PEM, size-limited, passphrase applied, key checked against the
certificate); a pair the workbench generated arrives the same way. Neither is ever written to
the database, a file or a log: the key lives in this object only, and `pem_bundle` gives it to
the TLS library in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from ..core import certificates as cw
from ..core.pki import PrivateKey
from ..core.validation import Finding
from .errors import Invalid

MAX_PEM_BYTES = 64 * 1024
_CERT_BEGIN = b"-----BEGIN CERTIFICATE-----"
_SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass(frozen=True)
class ClientCredential:
    """A certificate chain (leaf first) and the leaf's private key."""

    name: str  # the leaf's first DNS name, else its common name
    chain: tuple[x509.Certificate, ...]
    key: PrivateKey = field(repr=False)
    origin: str  # "generated" | "uploaded"
    key_protected: bool = False  # the key's PEM, as the user holds it, needs a passphrase

    @property
    def leaf(self) -> x509.Certificate:
        return self.chain[0]

    @property
    def spki_sha256(self) -> str:
        return cw.spki_sha256(self.leaf)

    @property
    def self_signed(self) -> bool:
        return self.leaf.issuer == self.leaf.subject

    def pem_bundle(self) -> bytes:
        """The unencrypted key and the chain in one PEM blob, for the TLS library only."""
        key = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return key + b"".join(c.public_bytes(serialization.Encoding.PEM) for c in self.chain)


def _fail(fld: str, message: str) -> Invalid:
    return Invalid([Finding(fld, message)])


def name_of(cert: x509.Certificate) -> str:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        names = san.value.get_values_for_type(x509.DNSName)
        if names:
            return str(names[0])
    except x509.ExtensionNotFound:
        pass
    common = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(common[0].value) if common else cert.subject.rfc4514_string() or "certificate"


def read_chain(data: bytes) -> tuple[x509.Certificate, ...]:
    if not data.strip():
        raise _fail("certificate", "Choose the certificate file, or paste its PEM.")
    if len(data) > MAX_PEM_BYTES:
        raise _fail(
            "certificate",
            f"The certificate file is larger than {MAX_PEM_BYTES // 1024} KiB; "
            "a certificate chain is a few KiB.",
        )
    if _CERT_BEGIN not in data:
        raise _fail(
            "certificate",
            "This is not a PEM certificate: give the certificate (and its chain) as "
            "-----BEGIN CERTIFICATE----- blocks.",
        )
    try:
        certs = x509.load_pem_x509_certificates(data)
        return tuple(cw.order_chain(certs))
    except cw.WorkbenchError as exc:
        raise Invalid([Finding("certificate", f.message) for f in exc.findings]) from exc
    except ValueError as exc:
        raise _fail("certificate", "The certificate's PEM is damaged; download it again.") from exc


def read_key(data: bytes, passphrase: str | None) -> PrivateKey:
    if not data.strip():
        raise _fail("key", "Choose the private key file, or paste its PEM.")
    if len(data) > MAX_PEM_BYTES:
        raise _fail("key", f"The key file is larger than {MAX_PEM_BYTES // 1024} KiB.")
    if b"-----BEGIN" not in data or b"PRIVATE KEY-----" not in data:
        raise _fail(
            "key", "This is not a PEM private key (-----BEGIN PRIVATE KEY----- or similar)."
        )
    password = passphrase.encode() if passphrase else None
    try:
        key = serialization.load_pem_private_key(data, password)
    except TypeError:
        if password is None:
            raise _fail("passphrase", "The key is encrypted: give its passphrase.") from None
        # A passphrase for a key that has none: the key is what counts.
        return read_key(data, None)
    except ValueError:
        if password is not None:
            raise _fail(
                "passphrase", "The passphrase does not open this key (or the key is damaged)."
            ) from None
        raise _fail("key", "The private key could not be read; download it again.") from None
    if not isinstance(
        key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
    ):
        raise _fail("key", "Only EC, RSA and Ed25519 keys can be used for a TLS client here.")
    return key


def load(
    cert_pem: bytes, key_pem: bytes, passphrase: str | None = None, origin: str = "uploaded"
) -> ClientCredential:
    """A certificate (with its chain) and its key from PEM; refused with a finding that says
    what is wrong: not PEM, too large, encrypted without a passphrase, the wrong passphrase,
    or a key that is not the certificate's."""
    chain = read_chain(cert_pem)
    key = read_key(key_pem, passphrase)
    if key.public_key().public_bytes(*_SPKI) != chain[0].public_key().public_bytes(*_SPKI):
        raise _fail(
            "key", "This key does not belong to the certificate (their public keys differ)."
        )
    protected = passphrase is not None and b"ENCRYPTED" in key_pem
    return ClientCredential(name_of(chain[0]), chain, key, origin, protected)
