"""Certificate building: keys, a CA that issues leaf certificates, and PEM/DER blobs that write
themselves to files (in the spirit of trustme).

Every certificate the project makes is built here: the harness CA and the mocks' server
certificate, the workbench's client certificates, the certificates of tests and benchmarks.
Pure: cryptography only.

    ca = CA.create("Test CA")
    leaf = ca.issue_cert("client.example", usage=("client",))
    leaf.chain_pem.write_to_path("client.pem")
    leaf.key_pem.write_to_path("client.key")  # created 0600
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal, get_args

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KeyType = Literal["ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096", "ed25519"]
KEY_TYPES: tuple[KeyType, ...] = get_args(KeyType)
Usage = Literal["client", "server"]
PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey
# Back-dated a little so clocks that run slightly behind accept a new certificate at once.
BACKDATE = timedelta(minutes=5)
LEAF_DAYS = 90
CA_DAYS = 3650

_EKU = {"client": ExtendedKeyUsageOID.CLIENT_AUTH, "server": ExtendedKeyUsageOID.SERVER_AUTH}
_RSA_BITS: dict[str, int] = {"rsa-2048": 2048, "rsa-3072": 3072, "rsa-4096": 4096}


# --------------------------------------------------------------------------- keys


def new_key(key_type: KeyType = "ec-p256") -> PrivateKey:
    if key_type == "ec-p256":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "ec-p384":
        return ec.generate_private_key(ec.SECP384R1())
    if key_type in _RSA_BITS:
        return rsa.generate_private_key(public_exponent=65537, key_size=_RSA_BITS[key_type])
    if key_type == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(f"unknown key type {key_type!r}; one of {', '.join(KEY_TYPES)}")


def signing_hash(key: object) -> hashes.HashAlgorithm | None:
    """The digest a signature by `key` uses: none for EdDSA, SHA-384 for P-384 and above."""
    if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        return None
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size >= 384:
        return hashes.SHA384()
    return hashes.SHA256()


# --------------------------------------------------------------------------- blobs


@dataclass(frozen=True)
class Blob:
    """Bytes of a certificate, chain or key; `secret` ones are written for the owner only (0600)."""

    data: bytes
    secret: bool = False

    def text(self) -> str:
        return self.data.decode()

    def write_to_path(self, path: str | os.PathLike[str], append: bool = False) -> Path:
        target = Path(path)
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
        mode = 0o600 if self.secret else 0o666  # less the umask, as open() does
        with os.fdopen(os.open(target, flags, mode), "wb") as fh:
            if self.secret:
                os.fchmod(fh.fileno(), 0o600)  # also when the file existed with a wider mode
            fh.write(self.data)
        return target


def certs_pem(certs: Sequence[x509.Certificate]) -> Blob:
    """One or more certificates in PEM, in the order given (a chain: leaf first)."""
    return Blob(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs))


def key_pem(key: PrivateKey, passphrase: str | None = None) -> Blob:
    """PKCS#8 PEM, encrypted with the best available cipher when a passphrase is given."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    data = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    return Blob(data, secret=True)


def key_der(key: PrivateKey) -> Blob:
    data = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return Blob(data, secret=True)


# --------------------------------------------------------------------------- validity


@dataclass(frozen=True)
class Validity:
    not_before: datetime
    not_after: datetime

    @classmethod
    def days(
        cls, days: float, *, now: datetime | None = None, backdate: timedelta = BACKDATE
    ) -> Validity:
        """From `backdate` before now until `days` after now."""
        now = now or datetime.now(UTC)
        return cls(now - backdate, now + timedelta(days=days))


# --------------------------------------------------------------------------- building


MAX_COMMON_NAME = 64


def _name(common_name: str, organization: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attributes.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(attributes)


def _key_usage(*, digital_signature: bool, key_encipherment: bool, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=key_encipherment,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _builder(
    public_key: PublicKey, subject: x509.Name, issuer: CA | None, valid: Validity
) -> x509.CertificateBuilder:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid.not_before)
        .not_valid_after(valid.not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.cert.public_key()),
            critical=False,
        )
    return builder


def _sign(builder: x509.CertificateBuilder, key: PrivateKey) -> x509.Certificate:
    return builder.sign(key, signing_hash(key))


def build_leaf(
    public_key: PublicKey,
    names: Sequence[str] = (),
    *,
    common_name: str | None = None,
    ips: Sequence[str] = (),
    usage: Sequence[Usage] = ("client",),
    validity: Validity | None = None,
    issuer: CA | None = None,
    signing_key: PrivateKey | None = None,
) -> x509.Certificate:
    """An end-entity certificate for `public_key`: signed by `issuer`, or self-signed with
    `signing_key` (the subject's own key). Subject CN = common_name or the first name; the
    names and IP addresses make the subjectAltName; usage sets the extended key usage."""
    cn = common_name or (names[0] if names else None)
    if cn is None:
        raise ValueError("a certificate needs a common name or at least one name")
    if len(cn) > MAX_COMMON_NAME and not common_name:
        # X.520 caps a common name at 64 characters; a longer domain name lives in the SAN
        # alone (which is what TLS clients and the mocks read) and the CN keeps its first label.
        cn = cn.split(".", 1)[0]
    signer = issuer.key if issuer else signing_key
    if signer is None:
        raise ValueError("give an issuer, or the signing key of a self-signed certificate")
    builder = (
        _builder(public_key, _name(cn), issuer, validity or Validity.days(LEAF_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            _key_usage(
                digital_signature=True,
                key_encipherment=isinstance(public_key, rsa.RSAPublicKey),
                ca=False,
            ),
            critical=True,
        )
    )
    if usage:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([_EKU[u] for u in usage]), critical=False
        )
    alt_names: list[x509.GeneralName] = [x509.DNSName(n) for n in names]
    alt_names += [x509.IPAddress(ipaddress.ip_address(a)) for a in ips]
    if alt_names:
        builder = builder.add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
    return _sign(builder, signer)


@dataclass(frozen=True)
class LeafCert:
    """A certificate with its private key and the certificates of its issuers (nearest first)."""

    cert: x509.Certificate
    key: PrivateKey
    issuers: tuple[x509.Certificate, ...] = ()

    @property
    def cert_pem(self) -> Blob:
        return certs_pem([self.cert])

    @property
    def cert_der(self) -> Blob:
        return Blob(self.cert.public_bytes(serialization.Encoding.DER))

    @property
    def chain_pem(self) -> Blob:
        """The leaf, then its issuers: what a TLS peer sends."""
        return certs_pem([self.cert, *self.issuers])

    @property
    def key_pem(self) -> Blob:
        return key_pem(self.key)

    @property
    def key_der(self) -> Blob:
        return key_der(self.key)


def self_signed(
    *names: str,
    common_name: str | None = None,
    ips: Sequence[str] = (),
    usage: Sequence[Usage] = ("client",),
    key_type: KeyType = "ec-p256",
    validity: Validity | None = None,
) -> LeafCert:
    """A new key and a leaf certificate for it, signed by that key."""
    return _new_leaf(None, names, common_name, ips, usage, key_type, validity)


def _new_leaf(
    issuer: CA | None,
    names: Sequence[str],
    common_name: str | None,
    ips: Sequence[str],
    usage: Sequence[Usage],
    key_type: KeyType,
    validity: Validity | None,
) -> LeafCert:
    key = new_key(key_type)
    cert = build_leaf(
        key.public_key(),
        names,
        common_name=common_name,
        ips=ips,
        usage=usage,
        validity=validity,
        issuer=issuer,
        signing_key=None if issuer else key,
    )
    return LeafCert(cert, key, issuer.chain if issuer else ())


@dataclass(frozen=True)
class CA:
    """A certificate authority: its certificate, its key and its own issuers (nearest first)."""

    cert: x509.Certificate
    key: PrivateKey
    parents: tuple[x509.Certificate, ...] = ()

    @classmethod
    def create(
        cls,
        common_name: str,
        *,
        organization: str | None = None,
        key_type: KeyType = "ec-p256",
        path_length: int | None = None,
        validity: Validity | None = None,
    ) -> CA:
        """A self-signed root CA; path_length limits the intermediates below it."""
        return _new_ca(None, common_name, organization, key_type, path_length, validity)

    @classmethod
    def from_pem(cls, cert_pem: bytes, private_key_pem: bytes) -> CA:
        key = serialization.load_pem_private_key(private_key_pem, None)
        if not isinstance(key, PrivateKey):
            raise ValueError(f"{type(key).__name__} CA keys are not supported")
        return cls(x509.load_pem_x509_certificate(cert_pem), key)

    @property
    def chain(self) -> tuple[x509.Certificate, ...]:
        """This CA's certificate, then its issuers."""
        return (self.cert, *self.parents)

    @property
    def cert_pem(self) -> Blob:
        return certs_pem([self.cert])

    @property
    def key_pem(self) -> Blob:
        return key_pem(self.key)

    def child_ca(
        self,
        common_name: str,
        *,
        organization: str | None = None,
        key_type: KeyType = "ec-p256",
        path_length: int | None = None,
        validity: Validity | None = None,
    ) -> CA:
        """An intermediate CA issued by this one."""
        return _new_ca(self, common_name, organization, key_type, path_length, validity)

    def issue_cert(
        self,
        *names: str,
        common_name: str | None = None,
        ips: Sequence[str] = (),
        usage: Sequence[Usage] = ("client",),
        key_type: KeyType = "ec-p256",
        validity: Validity | None = None,
    ) -> LeafCert:
        """A new key and a leaf certificate for it, issued by this CA."""
        return _new_leaf(self, names, common_name, ips, usage, key_type, validity)


def _new_ca(
    issuer: CA | None,
    common_name: str,
    organization: str | None,
    key_type: KeyType,
    path_length: int | None,
    validity: Validity | None,
) -> CA:
    """A new key and a CA certificate for it: issued by `issuer`, or self-signed."""
    key = new_key(key_type)
    subject = _name(common_name, organization)
    builder = (
        _builder(key.public_key(), subject, issuer, validity or Validity.days(CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            _key_usage(digital_signature=False, key_encipherment=False, ca=True), critical=True
        )
    )
    cert = _sign(builder, issuer.key if issuer else key)
    return CA(cert, key, issuer.chain if issuer else ())
