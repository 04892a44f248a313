"""Certificate workbench operations shared by the portal page, the API and the CLI.

Keys generated here go back to the caller and nowhere else: not the database, not a file,
not a log. The harness CA issues only names the requester may publish in the harness zone
(every subjectAltName; the rule is `zone.Publisher.refusal`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives import serialization

from ..core import certificates as cw
from ..core import snippets as sn
from ..core.tlsa import CertFacts, TlsaRecord, match_chain
from ..core.validation import Finding, validate_domain_name
from ..models import TlsaRecordRow
from . import zone
from .errors import Invalid


@dataclass(frozen=True)
class Issued:
    """A certificate the harness signed (a CSR's), with what a client needs to use it.

    `info` is `certificates.describe`; each of `tlsa` is one of `certificates.tlsa_for`."""

    certificate: str  # PEM
    chain: str  # PEM of the issuers, leaf excluded
    info: dict[str, Any]
    tlsa: list[dict[str, Any]]


@dataclass(frozen=True)
class Generated(Issued):
    """A certificate and key the harness made: the key goes to the caller only, once."""

    private_key: str  # PKCS#8 PEM, encrypted when a passphrase was given
    private_key_encrypted: bool
    snippets: dict[str, str]
    notes: list[str]
    pkcs12: str | None = None  # base64, when a PKCS#12 password was given
    snippet_tld: str | None = None  # the TLD the snippets call; None: they say <tld>


@dataclass(frozen=True)
class Inspection:
    """Each certificate of a chain described (leaf first), and the records that bind it."""

    certificates: list[dict[str, Any]]
    tlsa: list[dict[str, Any]]


@dataclass(frozen=True)
class DnsRecord:
    record: TlsaRecord
    presentation: str
    matches: bool | None  # whether it binds the given certificate; None without one


@dataclass(frozen=True)
class DnsCheck:
    name: str
    resolver: str
    validated: bool  # DNSSEC-validated (AD)
    problem: str | None
    records: list[DnsRecord]


def mosapi_base_url(config: Mapping[str, Any]) -> str:
    """The MoSAPI mock's base URL the snippets and hints call (this host, the configured port)."""
    return f"https://localhost:{config['MOSAPI_PORT']}"


def snippet_target(config: Mapping[str, Any], tld: str | None = None) -> sn.Target:
    """Where the snippets call: both mocks on this host at their configured ports."""
    return sn.Target(mosapi_base_url(config), f"https://localhost:{config['RRI_PORT']}", tld)


def harness_ca_file(certs_dir: str | Path) -> Path:
    """The harness CA certificate (made on first use): what clients trust the mocks with."""
    from infra.harness_pki import ensure_material

    return ensure_material(Path(certs_dir)).ca_cert


def harness_issuer(certs_dir: str | Path) -> cw.Issuer:
    from infra.harness_pki import ensure_material

    material = ensure_material(Path(certs_dir))
    key = serialization.load_pem_private_key(material.ca_key.read_bytes(), None)
    return cw.Issuer(material.load_ca(), key)


def _validity(params: dict[str, Any]) -> cw.Validity:
    return cw.validity(
        params.get("days"),
        params.get("not_before"),
        params.get("not_after"),
        params.get("validity_preset") or None,
    )


def _text(params: dict[str, Any], key: str) -> str | None:
    value = params.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Invalid([Finding(key, f"{key} must be text.")])
    return value


def _chain_pem(chain: list[Any]) -> str:
    return "".join(cw.pem(c) for c in chain)


NO_REQUESTER = (
    "The harness CA issues only names the requester may publish; say who asks for the certificate."
)


class Requester(Protocol):
    """Who asks for a certificate (`zone.Publisher` for a user): the names the harness CA may
    not issue to them, and the TLD their snippets call."""

    def issuing_refusals(self, names: Sequence[str], field: str) -> list[Finding]: ...

    def example_tld(self, name: str) -> str | None: ...

    def managed_tld(self, name: str) -> str | None: ...


def _snippet_tld(params: dict[str, Any], requester: Requester | None, name: str) -> str | None:
    wanted = _text(params, "tld")
    if requester is None:
        return wanted
    if wanted is None:
        return requester.example_tld(name)
    tld = requester.managed_tld(wanted)
    if tld is None:
        raise Invalid([Finding("tld", f"You manage no TLD {wanted!r}.")])
    return tld


def generate(
    params: Any, certs_dir: str | Path, target: sn.Target, requester: Requester | None
) -> Generated:
    """{domain_name, key_type, days|not_before+not_after|validity_preset, issuer, extra_sans,
    key_passphrase, pkcs12_password, tld} → certificate, chain, private key (once), PKCS#12,
    TLSA, snippets calling `target` (at `tld`, or a TLD of the requester naming the domain).

    The harness CA issues only to a requester who may publish every name."""
    if not isinstance(params, dict):
        raise Invalid([Finding("body", "Send a JSON object.")])
    try:
        extra = params.get("extra_sans") or []
        if isinstance(extra, str):
            extra = [x for x in extra.replace(",", " ").split() if x]
        if not isinstance(extra, list):
            raise Invalid([Finding("extra_sans", "extra_sans must be a list of domain names.")])
        issuer_kind = params.get("issuer", "self")
        if issuer_kind == "harness":
            if requester is None:
                raise Invalid([Finding("issuer", NO_REQUESTER)])
            names = [validate_domain_name(n).value for n in [params.get("domain_name"), *extra]]
            refusals = requester.issuing_refusals([n for n in names if n], "domain_name")
            if refusals:
                raise Invalid(refusals)
        made = cw.generate(
            params.get("domain_name"),
            params.get("key_type") or cw.DEFAULT_KEY_TYPE,
            issuer_kind,
            _validity(params),
            harness_issuer(certs_dir) if issuer_kind == "harness" else None,
            extra,
        )
        passphrase = _text(params, "key_passphrase")
        p12_password = _text(params, "pkcs12_password")
        name = made.certificate.subject.rfc4514_string().removeprefix("CN=")
        tld = _snippet_tld(params, requester, name)
        files = sn.Files(name, bool(made.chain), bool(passphrase), bool(p12_password))
        pkcs12 = (
            cw.b64(
                cw.pkcs12_bytes(made.private_key, made.certificate, made.chain, p12_password, name)
            )
            if p12_password
            else None
        )
        return Generated(
            certificate=cw.pem(made.certificate),
            chain=_chain_pem(made.chain),
            info=cw.describe(made.certificate),
            tlsa=cw.tlsa_for(made.certificate, made.chain, name),
            private_key=cw.key_pem(made.private_key, passphrase),
            private_key_encrypted=bool(passphrase),
            snippets=sn.snippets(files, sn.Target(target.mosapi_url, target.rri_url, tld)),
            notes=made.notes,
            pkcs12=pkcs12,
            snippet_tld=tld,
        )
    except cw.WorkbenchError as exc:
        raise Invalid(exc.findings) from exc


def sign_csr(params: Any, certs_dir: str | Path, requester: Requester) -> Issued:
    if not isinstance(params, dict):
        raise Invalid([Finding("body", "Send a JSON object {csr, days}.")])
    csr = params.get("csr")
    if isinstance(csr, str):
        csr = csr.encode()
    if not isinstance(csr, bytes) or not csr.strip():
        raise Invalid([Finding("csr", "Give the CSR in PEM (or DER) form.")])
    try:
        issuer = harness_issuer(certs_dir)
        cert = cw.sign_csr(csr, _validity(params), issuer)
    except cw.WorkbenchError as exc:
        raise Invalid(exc.findings) from exc
    refusals = requester.issuing_refusals(cw.describe(cert)["sans"], "csr")
    if refusals:
        raise Invalid(refusals)
    name = cert.subject.rfc4514_string().removeprefix("CN=")
    return Issued(
        certificate=cw.pem(cert),
        chain=cw.pem(issuer.cert),
        info=cw.describe(cert),
        tlsa=cw.tlsa_for(cert, [issuer.cert], name),
    )


def inspect(params: Any) -> Inspection:
    data = params.get("certificate") if isinstance(params, dict) else None
    if isinstance(data, str):
        data = data.encode()
    if not isinstance(data, bytes) or not data.strip():
        raise Invalid([Finding("certificate", "Give a certificate or chain (PEM or DER).")])
    try:
        described = cw.inspect(data)
    except cw.WorkbenchError as exc:
        raise Invalid(exc.findings) from exc
    return Inspection(described["certificates"], described["tlsa"])


RECORD_KINDS = {"3 1 1": (3, 1, 1), "3 0 1": (3, 0, 1), "2 0 1": (2, 0, 1)}


def publish_from_certificate(publisher: zone.Publisher, params: Any) -> list[TlsaRecordRow]:
    """Publish the TLSA records of a certificate (or chain) at a name; default `3 1 1`."""
    if not isinstance(params, dict):
        raise Invalid([Finding("body", "Send a JSON object.")])
    info = inspect(params)
    kinds = params.get("records") or ["3 1 1"]
    if not isinstance(kinds, list) or any(
        not isinstance(k, str) or k not in RECORD_KINDS for k in kinds
    ):
        raise Invalid([Finding("records", f"records is a list of {', '.join(RECORD_KINDS)}.")])
    kinds = list(dict.fromkeys(kinds))
    name = params.get("name") or info.tlsa[0]["name"]
    if not params.get("name") and name not in info.certificates[0]["sans"]:
        # inspect() shows a placeholder name for a certificate without a DNS name.
        raise Invalid(
            [Finding("name", "The certificate names no domain: give the name to publish at.")]
        )
    by_kind = {f"{r['usage']} {r['selector']} {r['matching_type']}": r for r in info.tlsa}
    for kind in kinds:
        if kind not in by_kind:
            raise Invalid([Finding("records", f"{kind} needs the issuing CA in the chain.")])
    records = [
        TlsaRecord(r["usage"], r["selector"], r["matching_type"], bytes.fromhex(r["data"]))
        for r in (by_kind[kind] for kind in kinds)
    ]
    rows, _ = zone.publish_records(publisher, name, records)
    return rows


def check_dns(name: Any, certificate: Any, resolver_setting: str) -> DnsCheck:
    """Ask the configured validating resolver for the TLSA records at `name`; say whether the
    answer was DNSSEC-validated and whether each record matches the given certificate."""
    from infra.dns_source import DnsTlsaSource

    checked = validate_domain_name(name, "name")
    if checked.value is None:
        raise Invalid(checked.errors)
    chain = []
    if certificate:
        data = certificate.encode() if isinstance(certificate, str) else certificate
        try:
            chain = [CertFacts(c) for c in cw.order_chain(cw.load_certificates(data))]
        except cw.WorkbenchError as exc:
            raise Invalid(exc.findings) from exc
    try:
        source = DnsTlsaSource.from_setting(resolver_setting)
    except ValueError as exc:
        raise Invalid([Finding("resolver", str(exc))]) from exc
    result = source.check(checked.value)
    records = [
        DnsRecord(
            record,
            record.presentation(checked.value),
            match_chain([record], chain, checked.value).matched if chain else None,
        )
        for record in result.records
    ]
    return DnsCheck(checked.value, resolver_setting, result.validated, result.problem, records)
