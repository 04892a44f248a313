"""Certificate workbench over the API. Generated private keys appear in the answer once."""

from __future__ import annotations

from flask import Response, current_app, g, jsonify, request

from infra.database import db

from ..services import workbench
from ..services.errors import Invalid
from . import bp
from .errors import api_error


def mosapi_url() -> str:
    return f"https://localhost:{current_app.config['MOSAPI_PORT']}"


def _invalid(exc: Invalid, what: str) -> Response:
    return api_error(400, "validation_failed", f"{what}; nothing was stored.", exc.findings)


@bp.post("/certificates")
def generate_certificate() -> Response:
    try:
        body = workbench.generate(
            request.get_json(silent=True), current_app.config["CERTS_DIR"], mosapi_url()
        )
    except Invalid as exc:
        return _invalid(exc, "No certificate was made")
    return jsonify(body)


@bp.post("/certificates/sign-csr")
def sign_csr() -> Response:
    try:
        body = workbench.sign_csr(request.get_json(silent=True), current_app.config["CERTS_DIR"])
    except Invalid as exc:
        return _invalid(exc, "The CSR was not signed")
    return jsonify(body)


@bp.post("/certificates/inspect")
def inspect_certificate() -> Response:
    try:
        return jsonify(workbench.inspect(request.get_json(silent=True)))
    except Invalid as exc:
        return _invalid(exc, "The certificate could not be read")


@bp.post("/dns-check")
def dns_check() -> Response:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return api_error(400, "invalid_json", "Send {name, certificate?}.")
    try:
        result = workbench.check_dns(
            body.get("name"), body.get("certificate"), current_app.config["DNS_RESOLVER"]
        )
    except Invalid as exc:
        return _invalid(exc, "DNS was not asked")
    return jsonify(result)


def publish_from_certificate() -> Response:
    try:
        records = workbench.publish_from_certificate(
            db.session, g.api_user, request.get_json(silent=True)
        )
    except Invalid as exc:
        return _invalid(exc, "Nothing was published")
    response = jsonify({"records": records})
    response.status_code = 201
    return response
