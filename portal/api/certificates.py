"""The certificate workbench. A generated private key appears in the answer once."""

from __future__ import annotations

from flask import current_app

from ..services import workbench
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


@bp.post("/certificates")
@operation(Generated, refused="No certificate was made; nothing was stored.")
def generate_certificate(json: GenerateInput) -> Generated:
    """Generate a key and a clientAuth certificate

    The answer carries the private key once; the harness keeps no copy."""
    made = workbench.generate(
        json.model_dump(exclude_unset=True),
        current_app.config["CERTS_DIR"],
        workbench.mosapi_base_url(current_app.config),
    )
    return Generated.model_validate(made)


@bp.post("/certificates/sign-csr")
@operation(Issued, refused="The CSR was not signed; nothing was stored.")
def sign_csr(json: SignInput) -> Issued:
    """Sign a CSR with the harness CA (the key stays with you)"""
    signed = workbench.sign_csr(
        json.model_dump(exclude_unset=True), current_app.config["CERTS_DIR"]
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
