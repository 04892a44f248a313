"""Certificate workbench page: generate, sign a CSR, inspect, publish TLSA, check DNS, and the
harness CA certificate to download."""

from __future__ import annotations

import base64
from typing import Any

from flask import Response, abort, current_app, request, send_file
from flask_login import current_user, login_required

from infra.database import db

from ..core import certificates as cw
from ..core.validation import Finding
from ..services import workbench, zone
from ..services.errors import Invalid, NotFound
from ..templating import fragment, page_or_fragment
from ..tlds.connection import remember_generated
from . import bp
from .forms import DnsCheckForm, GenerateForm, InspectForm, NameForm, PublishForm, SignCsrForm


def _private(response: Response) -> Response:
    # Answers that carry a private key must not linger in any cache.
    response.headers["Cache-Control"] = "no-store"
    return response


def _publisher() -> zone.Publisher:
    return zone.Publisher(db.session, current_user, "ui")


def _data_uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


@bp.route("")
@login_required
def index() -> Response:
    return page_or_fragment(
        "workbench/index.html",
        "workbench/index.html",
        key_types=cw.KEY_TYPES,
        default_days=cw.DEFAULT_DAYS,
    )


@bp.route("/generate", methods=["POST"])
@login_required
def generate() -> Response:
    form = GenerateForm()
    params: dict[str, Any] = {
        "domain_name": form.domain_name.data,
        "key_type": form.key_type.data,
        "issuer": form.issuer.data,
        "extra_sans": form.extra_sans.data,
        "key_passphrase": form.key_passphrase.data,
        "pkcs12_password": form.pkcs12_password.data,
        "tld": form.tld.data or None,
    }
    mode = form.validity.data
    if mode == "days":
        params["days"] = form.days.data or cw.DEFAULT_DAYS
    elif mode == "range":
        params["not_before"] = form.not_before.data or None
        params["not_after"] = form.not_after.data or None
        if params["not_after"] is None:
            return fragment(
                "workbench/_errors.html",
                422,
                findings=[Finding("not_after", "Give both dates of the range.")],
            )
    else:
        params["validity_preset"] = mode
    try:
        result = workbench.generate(
            params,
            current_app.config["CERTS_DIR"],
            workbench.snippet_target(current_app.config),
            _publisher(),
        )
    except Invalid as exc:
        return fragment("workbench/_errors.html", 422, findings=exc.findings)
    remember_generated(result, params["key_passphrase"])
    name = result.info["subject"].removeprefix("CN=")
    downloads = {
        f"{name}.pem": _data_uri("application/x-pem-file", result.certificate.encode()),
        f"{name}.key": _data_uri("application/x-pem-file", result.private_key.encode()),
    }
    if result.chain:
        downloads[f"{name}-chain.pem"] = _data_uri(
            "application/x-pem-file", (result.certificate + result.chain).encode()
        )
    if result.pkcs12:
        downloads[f"{name}.p12"] = "data:application/x-pkcs12;base64," + result.pkcs12
    return _private(
        fragment("workbench/_generated.html", result=result, name=name, downloads=downloads)
    )


@bp.route("/sign-csr", methods=["POST"])
@login_required
def sign_csr() -> Response:
    form = SignCsrForm()
    params = {"csr": form.csr_bytes(), "days": form.days.data or None}
    try:
        result = workbench.sign_csr(params, current_app.config["CERTS_DIR"], _publisher())
    except Invalid as exc:
        return fragment("workbench/_errors.html", 422, findings=exc.findings)
    name = result.info["subject"].removeprefix("CN=")
    downloads = {
        f"{name}.pem": _data_uri("application/x-pem-file", result.certificate.encode()),
        f"{name}-chain.pem": _data_uri(
            "application/x-pem-file", (result.certificate + result.chain).encode()
        ),
    }
    return fragment("workbench/_signed.html", result=result, name=name, downloads=downloads)


@bp.route("/inspect", methods=["POST"])
@login_required
def inspect() -> Response:
    # Read once: an uploaded file's stream is empty the second time.
    certificate = InspectForm().certificate_bytes()
    try:
        result = workbench.inspect({"certificate": certificate})
    except Invalid as exc:
        return fragment("workbench/_errors.html", 422, findings=exc.findings)
    return fragment(
        "workbench/_inspected.html", result=result, certificate=certificate.decode("latin-1")
    )


@bp.route("/publish", methods=["POST"])
@login_required
def publish() -> Response:
    form = PublishForm()
    params = {
        "certificate": form.certificate.data,
        "name": form.name.data or None,
        "records": form.records.data or ["3 1 1"],
    }
    try:
        records = workbench.publish_from_certificate(_publisher(), params)
    except Invalid as exc:
        return fragment("workbench/_errors.html", 422, findings=exc.findings)
    return _zone(records[0].name, message=f"Published {len(records)} record(s).")


def _zone(name: str, message: str | None = None, status: int = 200) -> Response:
    try:
        rows = zone.visible_records(_publisher(), name) if name else []
    except Invalid as exc:
        return fragment("workbench/_errors.html", 422, findings=exc.findings)
    return fragment(
        "workbench/_zone.html",
        status,
        name=name,
        records=rows,
        message=message,
    )


@bp.route("/zone")
@login_required
def zone_at() -> Response:
    return _zone(NameForm(request.args).name.data.strip())


@bp.route("/zone/<int:record_id>/delete", methods=["POST"])
@login_required
def zone_delete(record_id: int) -> Response:
    name = NameForm().name.data
    try:
        zone.remove(_publisher(), record_id)
    except NotFound:
        abort(404)
    return _zone(name, message="Record removed.")


@bp.route("/dns-check", methods=["POST"])
@login_required
def dns_check() -> Response:
    form = DnsCheckForm()
    try:
        result = workbench.check_dns(
            form.name.data,
            form.certificate.data or None,
            current_app.config["DNS_RESOLVER"],
        )
    except Invalid as exc:
        return fragment("workbench/_errors.html", 422, findings=exc.findings)
    return fragment("workbench/_dns.html", result=result)


@bp.route("/harness-ca.pem")
@login_required
def harness_ca() -> Response:
    """The harness CA certificate: the mocks' server certificates and the certificates the
    workbench issues chain to it (its key never leaves the harness)."""
    return send_file(
        workbench.harness_ca_file(current_app.config["CERTS_DIR"]),
        mimetype="application/x-pem-file",
        as_attachment=True,
        download_name="harness-ca.pem",
    )
