"""TLSA records (RFC 6698) and their matching against a presented certificate chain (RFC 7671).

Pure: cryptography only. DANE-EE (usage 3) matches the leaf directly and ignores its validity
period (reported as a warning). DANE-TA (usage 2) needs the chain to lead to the matching trust
anchor and the leaf's SAN dNSName to equal the entry's name. PKIX usages 0/1 are refused with a
reason: the harness has no PKIX trust store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .validation import Checked, Finding

USAGES = {0: "PKIX-TA", 1: "PKIX-EE", 2: "DANE-TA", 3: "DANE-EE"}
SELECTORS = {0: "Cert", 1: "SPKI"}
MATCHING_TYPES = {0: "Full", 1: "SHA2-256", 2: "SHA2-512"}
HEX_LENGTHS = {1: 64, 2: 128}
DEFAULT_TTL = 3600


@dataclass(frozen=True)
class TlsaRecord:
    usage: int
    selector: int
    matching_type: int
    data: bytes

    @property
    def data_hex(self) -> str:
        return self.data.hex()

    def presentation(self, name: str, ttl: int = DEFAULT_TTL) -> str:
        """Zone-file form: `name. 3600 IN TLSA 3 1 1 <hex>`."""
        params = f"{self.usage} {self.selector} {self.matching_type}"
        return f"{name.rstrip('.')}. {ttl} IN TLSA {params} {self.data_hex}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "usage": self.usage,
            "selector": self.selector,
            "matching_type": self.matching_type,
            "data": self.data_hex,
        }


def _int_field(raw: Any, fld: str, allowed: dict[int, str]) -> tuple[int | None, Finding | None]:
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        return None, Finding(fld, f"{fld} must be one of {sorted(allowed)}.")
    try:
        value = int(raw)
    except ValueError:
        return None, Finding(fld, f"{fld} must be one of {sorted(allowed)}.")
    if value not in allowed:
        names = ", ".join(f"{k} ({v})" for k, v in allowed.items())
        return None, Finding(fld, f"{fld} {value} is not one of {names}.")
    return value, None


def validate_record(
    usage: Any, selector: Any, matching_type: Any, data: Any
) -> Checked[TlsaRecord]:
    findings: list[Finding] = []
    u, err = _int_field(usage, "usage", USAGES)
    findings += [err] if err else []
    s, err = _int_field(selector, "selector", SELECTORS)
    findings += [err] if err else []
    m, err = _int_field(matching_type, "matching_type", MATCHING_TYPES)
    findings += [err] if err else []
    raw: bytes | None = None
    if not isinstance(data, str) or not data.strip():
        findings.append(Finding("data", "data must be the association data in hexadecimal."))
    else:
        text = "".join(data.split()).lower()
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            findings.append(Finding("data", "data is not hexadecimal."))
        else:
            if m in HEX_LENGTHS and len(text) != HEX_LENGTHS[m]:
                findings.append(
                    Finding(
                        "data",
                        f"matching type {m} ({MATCHING_TYPES[m]}) needs {HEX_LENGTHS[m]} hex "
                        f"digits; got {len(text)}.",
                    )
                )
            if m == 0 and len(raw) < 32:
                findings.append(
                    Finding("data", "Full (matching type 0) data is a whole DER object.")
                )
    if findings or u is None or s is None or m is None or raw is None:
        return Checked(None, findings)
    out: list[Finding] = []
    if u in (0, 1):
        out.append(
            Finding(
                "usage",
                f"usage {u} ({USAGES[u]}) needs a PKIX trust store, which the harness does not "
                "have: clients will be refused. Use 3 (DANE-EE) or 2 (DANE-TA).",
                "warning",
            )
        )
    return Checked(TlsaRecord(u, s, m, raw), out)


# --------------------------------------------------------------------------- computing


def spki_der(cert: x509.Certificate) -> bytes:
    return cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def association_data(cert: x509.Certificate, selector: int, matching_type: int) -> bytes:
    content = cert.public_bytes(Encoding.DER) if selector == 0 else spki_der(cert)
    if matching_type == 0:
        return content
    if matching_type == 1:
        return hashlib.sha256(content).digest()
    return hashlib.sha512(content).digest()


def record_for(cert: x509.Certificate, usage: int, selector: int, matching_type: int) -> TlsaRecord:
    return TlsaRecord(
        usage, selector, matching_type, association_data(cert, selector, matching_type)
    )


class CertFacts:
    """Association data of one certificate, computed once per request and reused per record."""

    def __init__(self, cert: x509.Certificate) -> None:
        self.cert = cert
        self._cache: dict[tuple[int, int], bytes] = {}

    def data(self, selector: int, matching_type: int) -> bytes:
        key = (selector, matching_type)
        if key not in self._cache:
            self._cache[key] = association_data(self.cert, selector, matching_type)
        return self._cache[key]

    def matches(self, record: TlsaRecord) -> bool:
        return self.data(record.selector, record.matching_type) == record.data


def san_dns_names(cert: x509.Certificate) -> list[str]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return [n.lower().rstrip(".") for n in ext.value.get_values_for_type(x509.DNSName)]


def _valid_at(cert: x509.Certificate, now: datetime) -> bool:
    return cert.not_valid_before_utc <= now <= cert.not_valid_after_utc


def issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(parent)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _path_to(
    leaf: x509.Certificate, anchor: x509.Certificate, pool: Sequence[x509.Certificate]
) -> list[x509.Certificate] | None:
    """The certificates from leaf up to the anchor (inclusive), via certificates in pool."""
    path = [leaf]
    current = leaf
    for _ in range(8):  # bounded: no loops, no absurd chains
        if issued_by(current, anchor):
            return [*path, anchor]
        step = next((c for c in pool if c not in path and issued_by(current, c)), None)
        if step is None:
            return None
        path.append(step)
        current = step
    return None


@dataclass
class MatchOutcome:
    record: TlsaRecord | None = None
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def matched(self) -> bool:
        return self.record is not None


def match_chain(
    records: Iterable[TlsaRecord],
    chain: Sequence[CertFacts],
    domain_name: str,
    now: datetime | None = None,
    anchors: Sequence[x509.Certificate] = (),
) -> MatchOutcome:
    """Does the presented chain (leaf first) match one of the records published at domain_name?

    `anchors` are trust anchors the server already knows (the harness CA), usable by DANE-TA
    records even when the client sends only its leaf.
    """
    now = now or datetime.now(UTC)
    out = MatchOutcome()
    records = list(records)
    if not records:
        out.reasons.append("no-tlsa-at-name")
        return out
    if not chain:
        out.reasons.append("no-certificate")
        return out
    leaf = chain[0]
    reasons: set[str] = set()
    for record in records:
        if record.usage == 3:
            if leaf.matches(record):
                out.record = record
                if now > leaf.cert.not_valid_after_utc:
                    out.warnings.append("certificate-expired")
                elif now < leaf.cert.not_valid_before_utc:
                    out.warnings.append("certificate-not-yet-valid")
                return out
            reasons.add("tlsa-mismatch")
        elif record.usage == 2:
            outcome = _match_dane_ta(record, chain, domain_name, now, anchors)
            if outcome is None:
                out.record = record
                return out
            reasons.add(outcome)
        else:
            reasons.add("pkix-usage-unsupported")
    out.reasons = sorted(reasons)
    return out


def _match_dane_ta(
    record: TlsaRecord,
    chain: Sequence[CertFacts],
    domain_name: str,
    now: datetime,
    anchors: Sequence[x509.Certificate],
) -> str | None:
    """None when the record matches; otherwise the reason it does not."""
    leaf = chain[0].cert
    candidates = [c.cert for c in chain[1:] if c.matches(record)]
    candidates += [
        a
        for a in anchors
        if association_data(a, record.selector, record.matching_type) == record.data
    ]
    if not candidates:
        return "tlsa-mismatch"
    pool = [c.cert for c in chain[1:]]
    for anchor in candidates:
        path = _path_to(leaf, anchor, pool)
        if path is None:
            continue
        if not all(_valid_at(c, now) for c in path[:-1]):
            return "certificate-expired"
        if domain_name.lower() not in san_dns_names(leaf):
            return "san-mismatch"
        return None
    return "chain-does-not-reach-anchor"
