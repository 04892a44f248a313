"""The certificate workbench. A generated private key appears in the answer once; the harness
CA issues only names the caller may publish in the harness zone."""

from __future__ import annotations

from flask import current_app, g

from infra.database import db

from ..services import workbench, zone
from . import bp
from .schemas import (
    DnsCheck,
    DnsCheckInput,
    Generated,
    GenerateInput,
    InspectInput,
    Inspection,
    Issued,
    SignInput,
)
from .spec import operation


def _publisher() -> zone.Publisher:
    return zone.Publisher(db.session, g.api_user, "api")


@bp.post("/certificates")
@operation(Generated, refused="No certificate was made; nothing was stored.")
def generate_certificate(json: GenerateInput) -> Generated:
    """Generate a key and a clientAuth certificate

    The answer carries the private key once; the harness keeps no copy. With the harness CA as
    issuer, every name of the certificate must be one you may publish in the harness zone (a
    client name of a TLD only for its registry operator, RSP of record and ICANN staff)."""
    made = workbench.generate(
        json.model_dump(exclude_unset=True),
        current_app.config["CERTS_DIR"],
        workbench.snippet_target(current_app.config),
        _publisher(),
    )
    return Generated.model_validate(made)


@bp.post("/certificates/sign-csr")
@operation(Issued, refused="The CSR was not signed; nothing was stored.")
def sign_csr(json: SignInput) -> Issued:
    """Sign a CSR with the harness CA (the key stays with you)

    Every name of the CSR must be one you may publish in the harness zone."""
    signed = workbench.sign_csr(
        json.model_dump(exclude_unset=True), current_app.config["CERTS_DIR"], _publisher()
    )
    return Issued.model_validate(signed)


@bp.post("/certificates/inspect")
@operation(Inspection, refused="The certificate could not be read; nothing was stored.")
def inspect_certificate(json: InspectInput) -> Inspection:
    """Describe a certificate or chain and the TLSA records that bind it"""
    return Inspection.model_validate(workbench.inspect(json.model_dump()))


@bp.post("/dns-check")
@operation(DnsCheck, refused="DNS was not asked; nothing was stored.")
def dns_check(json: DnsCheckInput) -> DnsCheck:
    """Ask the configured validating resolver for the TLSA records at a name"""
    result = workbench.check_dns(json.name, json.certificate, current_app.config["DNS_RESOLVER"])
    return DnsCheck.of(result)
