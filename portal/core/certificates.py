"""Certificate workbench: keys, client certificates, CSR signing, inspection, PKCS#12.

The workbench's rules (key types offered, validity presets and limits, which CSRs are signed,
names) on top of the certificate builder in pki.py. Pure (cryptography only). Keys generated
here are handed to the caller and never kept: the interfaces stream them to the user once.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from . import pki
from .tlsa import TlsaRecord, issued_by, record_for, spki_der
from .validation import Finding, validate_domain_name

KEY_TYPES: dict[pki.KeyType, str] = {
    "ec-p256": "EC P-256 (recommended)",
    "ec-p384": "EC P-384",
    "rsa-2048": "RSA 2048",
    "rsa-3072": "RSA 3072",
    "rsa-4096": "RSA 4096",
    "ed25519": "Ed25519 (not every client stack supports it)",
}
DEFAULT_KEY_TYPE = "ec-p256"
DEFAULT_DAYS = 90
MAX_DAYS = 3650
MIN_RSA_BITS = 2048
MAX_UPLOAD_BYTES = 1024 * 1024
ED25519_NOTE = (
    "Ed25519 client certificates work with OpenSSL 1.1.1+ based clients (curl, Python); "
    "some browsers and Java versions do not offer them."
)
PRESETS = ("expired", "not-yet-valid")
# Who signs a generated certificate: its own key, or the harness CA.
ISSUERS = ("self", "harness")

PrivateKey = pki.PrivateKey
Validity = pki.Validity
# The harness CA (certificate and key) as issuer.
Issuer = pki.CA


class WorkbenchError(ValueError):
    """Bad input, with findings naming each field."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__("; ".join(f"{f.field}: {f.message}" for f in findings))
        self.findings = findings


def _fail(fld: str, message: str) -> WorkbenchError:
    return WorkbenchError([Finding(fld, message)])


# --------------------------------------------------------------------------- keys


def _key_type(key_type: Any) -> pki.KeyType:
    if isinstance(key_type, str) and key_type in KEY_TYPES:
        return cast(pki.KeyType, key_type)
    raise _fail("key_type", f"Unknown key type {key_type!r}; choose one of {', '.join(KEY_TYPES)}.")


def generate_key(key_type: str) -> PrivateKey:
    return pki.new_key(_key_type(key_type))


def describe_key(public_key: Any) -> tuple[str, int | None]:
    """("EC P-256", 256), ("RSA", 2048), ("Ed25519", None) …"""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return f"EC {public_key.curve.name}", public_key.key_size
    if isinstance(public_key, rsa.RSAPublicKey):
        return "RSA", public_key.key_size
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(public_key, ed448.Ed448PublicKey):
        return "Ed448", 456
    if isinstance(public_key, dsa.DSAPublicKey):
        return "DSA", public_key.key_size
    return type(public_key).__name__, None


def key_type_of(public_key: Any) -> str | None:
    """The workbench's name for a key's type (ec-p256 …), None for a type it does not make."""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return {"secp256r1": "ec-p256", "secp384r1": "ec-p384"}.get(public_key.curve.name)
    if isinstance(public_key, rsa.RSAPublicKey):
        name = f"rsa-{public_key.key_size}"
        return name if name in KEY_TYPES else None
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return "ed25519"
    return None


# --------------------------------------------------------------------------- validity


def _as_datetime(raw: Any, fld: str) -> datetime:
    if isinstance(raw, datetime):
        value = raw
    elif isinstance(raw, str):
        try:
            value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise _fail(
                fld, f"{raw!r} is not a date or date-time (e.g. 2026-12-01T00:00:00Z)."
            ) from exc
    else:
        raise _fail(fld, "Give a date or date-time such as 2026-12-01T00:00:00Z.")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def validity(
    days: Any = None,
    not_before: Any = None,
    not_after: Any = None,
    preset: str | None = None,
    now: datetime | None = None,
) -> Validity:
    """Default 90 days from now; or a number of days; or an explicit range; or a preset."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    if preset:
        if preset == "expired":
            return Validity(now - timedelta(days=60), now - timedelta(days=30))
        if preset == "not-yet-valid":
            return Validity(now + timedelta(days=30), now + timedelta(days=120))
        raise _fail("validity", f"Unknown preset {preset!r}; use expired or not-yet-valid.")
    if not_before is not None or not_after is not None:
        start = _as_datetime(not_before, "not_before") if not_before is not None else now
        if not_after is None:
            raise _fail("not_after", "Give not_after with not_before.")
        end = _as_datetime(not_after, "not_after")
        if end <= start:
            raise _fail("not_after", "The validity ends before it starts.")
        if end - start > timedelta(days=MAX_DAYS):
            raise _fail("not_after", f"At most {MAX_DAYS} days of validity.")
        return Validity(start, end)
    if days is None or days == "":
        days = DEFAULT_DAYS
    try:
        n = int(days)
    except (TypeError, ValueError) as exc:
        raise _fail("days", "days must be a whole number.") from exc
    if isinstance(days, bool) or not 1 <= n <= MAX_DAYS:
        raise _fail("days", f"days must be from 1 to {MAX_DAYS}.")
    return Validity.days(n, now=now)


# --------------------------------------------------------------------------- issuing


def subject_names(domain_name: Any, extra_sans: Sequence[Any] = ()) -> tuple[str, list[str]]:
    """A certificate's name and extra subjectAltNames as stored, or WorkbenchError."""
    findings: list[Finding] = []
    checked = validate_domain_name(domain_name)
    findings += checked.errors
    extras: list[str] = []
    for i, raw in enumerate(extra_sans or ()):
        c = validate_domain_name(raw, f"extra_sans[{i}]")
        findings += c.errors
        if c.value and c.value != checked.value and c.value not in extras:
            extras.append(c.value)
    if findings or checked.value is None:
        raise WorkbenchError(findings)
    if checked.value.startswith("_") or "._" in checked.value:
        raise _fail(
            "domain_name",
            "A name with a “_” label cannot be a certificate's subjectAltName; use a host name "
            "here and publish the TLSA record at the underscore name with usage 3.",
        )
    return checked.value, extras


def issue(
    public_key: Any,
    domain_name: str,
    valid: Validity,
    issuer: Issuer | None,
    signing_key: Any = None,
    extra_sans: Sequence[str] = (),
) -> x509.Certificate:
    """A clientAuth-only leaf for domain_name: self-signed (signing_key) or by the harness CA."""
    return pki.build_leaf(
        public_key,
        [domain_name, *extra_sans],
        usage=("client",),
        validity=valid,
        issuer=issuer,
        signing_key=signing_key,
    )


@dataclass
class Generated:
    certificate: x509.Certificate
    chain: list[x509.Certificate]
    private_key: PrivateKey
    notes: list[str] = field(default_factory=list)


def generate(
    domain_name: Any,
    key_type: Any = DEFAULT_KEY_TYPE,
    issuer_kind: Any = "self",
    valid: Validity | None = None,
    harness: Issuer | None = None,
    extra_sans: Sequence[Any] = (),
) -> Generated:
    kind = _key_type(key_type)
    if issuer_kind not in ISSUERS:
        raise _fail("issuer", "issuer is self or harness.")
    if issuer_kind == "harness" and harness is None:
        raise _fail("issuer", "The harness CA is not available.")
    name, extras = subject_names(domain_name, extra_sans)
    valid = valid or validity()
    key = pki.new_key(kind)
    if issuer_kind == "harness":
        assert harness is not None
        cert = issue(key.public_key(), name, valid, harness, extra_sans=extras)
        chain = [harness.cert]
    else:
        cert = issue(key.public_key(), name, valid, None, signing_key=key, extra_sans=extras)
        chain = []
    notes = [ED25519_NOTE] if key_type == "ed25519" else []
    return Generated(cert, chain, key, notes)


# --------------------------------------------------------------------------- CSR


def load_csr(data: bytes) -> x509.CertificateSigningRequest:
    if len(data) > MAX_UPLOAD_BYTES:
        raise _fail(
            "csr", f"The file is larger than {MAX_UPLOAD_BYTES // 1024} KiB; a CSR is a few KiB."
        )
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_csr(data)
        return x509.load_der_x509_csr(data)
    except ValueError as exc:
        raise _fail(
            "csr", "This is not a certificate signing request (PEM or DER PKCS#10)."
        ) from exc


def sign_csr(data: bytes, valid: Validity, harness: Issuer) -> x509.Certificate:
    """Check a CSR and issue a clientAuth certificate for it from the harness CA."""
    csr = load_csr(data)
    if not csr.is_signature_valid:
        raise _fail("csr", "The CSR's signature does not verify: it was altered or is corrupt.")
    public_key = csr.public_key()
    kind, bits = describe_key(public_key)
    if isinstance(public_key, rsa.RSAPublicKey) and public_key.key_size < MIN_RSA_BITS:
        raise _fail(
            "csr", f"RSA {public_key.key_size}-bit keys are too weak; use at least {MIN_RSA_BITS}."
        )
    if not isinstance(
        public_key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey
    ):
        raise _fail("csr", f"{kind} keys are not accepted; use EC, RSA or Ed25519.")
    if isinstance(public_key, ec.EllipticCurvePublicKey) and public_key.key_size < 256:
        raise _fail("csr", f"{kind} is too weak; use P-256 or stronger.")
    for ext in csr.extensions:
        if isinstance(ext.value, x509.BasicConstraints) and ext.value.ca:
            raise _fail(
                "csr",
                "The CSR asks for a CA certificate (CA:true); "
                "the harness issues client certificates only.",
            )
        if (
            isinstance(ext.value, x509.ExtendedKeyUsage)
            and ExtendedKeyUsageOID.SERVER_AUTH in ext.value
        ):
            raise _fail(
                "csr",
                "The CSR asks for serverAuth; "
                "these certificates are for clients only (clientAuth).",
            )
    names: list[str] = []
    try:
        san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        names = list(san.value.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        pass
    if not names:
        names = [str(a.value) for a in csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    if not names:
        raise _fail("csr", "The CSR names no domain: give it a subjectAltName dNSName or a CN.")
    name, extras = subject_names(names[0], names[1:])
    return issue(public_key, name, valid, harness, extra_sans=extras)


# --------------------------------------------------------------------------- inspection


def load_certificates(data: bytes) -> list[x509.Certificate]:
    if len(data) > MAX_UPLOAD_BYTES:
        raise _fail(
            "certificate",
            f"The file is larger than {MAX_UPLOAD_BYTES // 1024} KiB; "
            "a certificate chain is a few KiB.",
        )
    if b"-----BEGIN" in data and b"-----BEGIN CERTIFICATE-----" not in data:
        # Outside the try below: a WorkbenchError is a ValueError and would lose this message.
        raise _fail("certificate", "The PEM holds no CERTIFICATE block (is it a key or a CSR?).")
    try:
        if b"-----BEGIN" in data:
            certs = x509.load_pem_x509_certificates(data)
        else:
            certs = [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise _fail("certificate", "This is not a certificate (PEM or DER X.509).") from exc
    return certs


def order_chain(certs: list[x509.Certificate]) -> list[x509.Certificate]:
    """Leaf first, each issued by the next; refuse certificates that are not one chain.

    A chain given CA first (as some tools write it) is turned round."""
    if len(certs) == 1:
        return certs
    if not issued_by(certs[0], certs[1]) and all(
        issued_by(child, parent) for parent, child in zip(certs, certs[1:], strict=False)
    ):
        return certs[::-1]
    for i, cert in enumerate(certs[:-1]):
        if not issued_by(cert, certs[i + 1]):
            raise _fail(
                "certificate",
                f"Certificate {i + 2} did not issue certificate {i + 1}: the file holds several "
                "unrelated certificates. Give one certificate, or a chain from leaf to issuer.",
            )
    return certs


def fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def spki_sha256(cert: x509.Certificate) -> str:
    return hashlib.sha256(spki_der(cert)).hexdigest()


def _eku(cert: x509.Certificate) -> list[str]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        return []
    return [getattr(oid, "_name", None) or oid.dotted_string for oid in ext.value]


def _sans(cert: x509.Certificate) -> list[str]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return [str(v.value) for v in ext.value]


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def tlsa_for(
    leaf: x509.Certificate, chain: Sequence[x509.Certificate], name: str, ttl: int = 3600
) -> list[dict[str, Any]]:
    """The TLSA records that would bind this certificate at `name`."""
    records: list[tuple[TlsaRecord, str]] = [
        (record_for(leaf, 3, 1, 1), "DANE-EE, public key (survives re-issuing with the same key)"),
        (record_for(leaf, 3, 0, 1), "DANE-EE, whole certificate"),
    ]
    if chain:
        anchor = chain[-1]
        records.append(
            (
                record_for(anchor, 2, 0, 1),
                f"DANE-TA, the issuing CA {anchor.subject.rfc4514_string()}",
            )
        )
    return [
        {
            **r.as_dict(),
            "name": name,
            "ttl": ttl,
            "presentation": r.presentation(name, ttl),
            "meaning": why,
        }
        for r, why in records
    ]


def describe(cert: x509.Certificate, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    kind, bits = describe_key(cert.public_key())
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "self_signed": cert.issuer == cert.subject,
        "serial": format(cert.serial_number, "x"),
        "sans": _sans(cert),
        "not_before": start.isoformat(),
        "not_after": end.isoformat(),
        "valid_now": start <= now <= end,
        "validity_note": "expired"
        if now > end
        else "not yet valid"
        if now < start
        else "valid now",
        "key_type": kind,
        "key_bits": bits,
        "ca": _is_ca(cert),
        "extended_key_usage": _eku(cert),
        "sha256_fingerprint": fingerprint(cert),
        "spki_sha256": spki_sha256(cert),
    }


def inspect(data: bytes, now: datetime | None = None) -> dict[str, Any]:
    certs = order_chain(load_certificates(data))
    leaf = certs[0]
    dns_names = [s for s in _sans(leaf) if "." in s and not s.replace(".", "").isdigit()]
    name = dns_names[0] if dns_names else "client.example"
    return {
        "certificates": [describe(c, now) for c in certs],
        "tlsa": tlsa_for(leaf, certs[1:], name),
    }


# --------------------------------------------------------------------------- delivery


def pem(cert: x509.Certificate) -> str:
    return pki.certs_pem([cert]).text()


def key_pem(key: PrivateKey, passphrase: str | None = None) -> str:
    return pki.key_pem(key, passphrase).text()


def pkcs12_bytes(
    key: PrivateKey,
    cert: x509.Certificate,
    chain: Sequence[x509.Certificate],
    password: str,
    name: str,
) -> bytes:
    """PKCS#12 with AES-256/PBKDF2-SHA256 (PBES2) and a SHA-256 MAC: read by OpenSSL 3, curl,
    browsers and Java 11+ keytool."""
    if not password:
        raise _fail("pkcs12_password", "Choose a password for the PKCS#12 file.")
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(100_000)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(password.encode())
    )
    return pkcs12.serialize_key_and_certificates(
        name.encode(), key, cert, list(chain) or None, encryption
    )


def pkcs12_unencrypted(
    key: PrivateKey, cert: x509.Certificate, chain: Sequence[x509.Certificate], name: str
) -> bytes:
    """PKCS#12 without a password, for a file only its owner reads (mode 0600) beside the
    unencrypted PEM key: read by OpenSSL, curl, Node (Playwright) and Python."""
    return pkcs12.serialize_key_and_certificates(
        name.encode(), key, cert, list(chain) or None, serialization.NoEncryption()
    )


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
