"""Certificate workbench page: generate, sign a CSR, inspect, publish TLSA, check DNS."""

from __future__ import annotations

import base64
from typing import Any

from flask import Blueprint, Response, abort, current_app, request
from flask_login import current_user, login_required

from infra.database import db

from ..core import certificates as cw
from ..core.validation import Finding
from ..services import workbench, zone
from ..services.errors import Invalid, NotFound
from ..templating import fragment, page_or_fragment

bp = Blueprint("workbench", __name__, url_prefix="/workbench")


def _mosapi_url() -> str:
    return f"https://localhost:{current_app.config['MOSAPI_PORT']}"


def _upload(field: str, text_field: str) -> bytes:
    """A file upload, or the pasted text when no file was chosen."""
    upload = request.files.get(field)
    if upload is not None and upload.filename:
        return upload.read(cw.MAX_UPLOAD_BYTES + 1)
    return request.form.get(text_field, "").encode()


def _private(response: Response) -> Response:
    # Answers that carry a private key must not linger in any cache.
    response.headers["Cache-Control"] = "no-store"
    return response


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
    form = request.form
    params: dict[str, Any] = {
        "domain_name": form.get("domain_name", ""),
        "key_type": form.get("key_type", cw.DEFAULT_KEY_TYPE),
        "issuer": form.get("issuer", "self"),
        "extra_sans": form.get("extra_sans", ""),
        "key_passphrase": form.get("key_passphrase", ""),
        "pkcs12_password": form.get("pkcs12_password", ""),
    }
    mode = form.get("validity", "days")
    if mode == "days":
        params["days"] = form.get("days") or cw.DEFAULT_DAYS
    elif mode == "range":
        params["not_before"] = form.get("not_before") or None
        params["not_after"] = form.get("not_after") or None
        if params["not_after"] is None:
            return fragment(
                "workbench/_errors.html",
                422,
                findings=[Finding("not_after", "Give both dates of the range.")],
            )
    else:
        params["validity_preset"] = mode
    try:
        result = workbench.generate(params, current_app.config["CERTS_DIR"], _mosapi_url())
    except Invalid as exc:
        return fragment("workbench/_errors.html", 422, findings=exc.findings)
    name = result["info"]["subject"].removeprefix("CN=")
    downloads = {
        f"{name}.pem": _data_uri("application/x-pem-file", result["certificate"].encode()),
        f"{name}.key": _data_uri("application/x-pem-file", result["private_key"].encode()),
    }
    if result["chain"]:
        downloads[f"{name}-chain.pem"] = _data_uri(
            "application/x-pem-file", (result["certificate"] + result["chain"]).encode()
        )
    if "pkcs12" in result:
        downloads[f"{name}.p12"] = "data:application/x-pkcs12;base64," + result["pkcs12"]
    return _private(
        fragment("workbench/_generated.html", result=result, name=name, downloads=downloads)
    )


@bp.route("/sign-csr", methods=["POST"])
@login_required
def sign_csr() -> Response:
    params = {"csr": _upload("csr_file", "csr"), "days": request.form.get("days") or None}
    try:
        result = workbench.sign_csr(params, current_app.config["CERTS_DIR"])
    except Invalid as exc:
        return fragment("workbench/_errors.html", 422, findings=exc.findings)
    name = result["info"]["subject"].removeprefix("CN=")
    downloads = {
        f"{name}.pem": _data_uri("application/x-pem-file", result["certificate"].encode()),
        f"{name}-chain.pem": _data_uri(
            "application/x-pem-file", (result["certificate"] + result["chain"]).encode()
        ),
    }
    return fragment("workbench/_signed.html", result=result, name=name, downloads=downloads)


@bp.route("/inspect", methods=["POST"])
@login_required
def inspect() -> Response:
    try:
        result = workbench.inspect({"certificate": _upload("certificate_file", "certificate")})
    except Invalid as exc:
        return fragment("workbench/_errors.html", 422, findings=exc.findings)
    return fragment(
        "workbench/_inspected.html",
        result=result,
        certificate=_upload("certificate_file", "certificate").decode("latin-1"),
    )


@bp.route("/publish", methods=["POST"])
@login_required
def publish() -> Response:
    params = {
        "certificate": request.form.get("certificate", ""),
        "name": request.form.get("name") or None,
        "records": request.form.getlist("records") or ["3 1 1"],
    }
    try:
        records = workbench.publish_from_certificate(db.session, current_user, params)
    except Invalid as exc:
        return fragment("workbench/_errors.html", 422, findings=exc.findings)
    return _zone(records[0]["name"], message=f"Published {len(records)} record(s).")


def _zone(name: str, message: str | None = None, status: int = 200) -> Response:
    try:
        rows = zone.list_records(db.session, name) if name else []
    except Invalid as exc:
        return fragment("workbench/_errors.html", 422, findings=exc.findings)
    return fragment(
        "workbench/_zone.html",
        status,
        name=name,
        records=[zone.record_json(r) for r in rows],
        message=message,
    )


@bp.route("/zone")
@login_required
def zone_at() -> Response:
    return _zone(request.args.get("name", "").strip())


@bp.route("/zone/<int:record_id>/delete", methods=["POST"])
@login_required
def zone_delete(record_id: int) -> Response:
    name = request.form.get("name", "")
    try:
        zone.remove(db.session, current_user, record_id)
    except NotFound:
        abort(404)
    return _zone(name, message="Record removed.")


@bp.route("/dns-check", methods=["POST"])
@login_required
def dns_check() -> Response:
    try:
        result = workbench.check_dns(
            request.form.get("name", ""),
            request.form.get("certificate") or None,
            current_app.config["DNS_RESOLVER"],
        )
    except Invalid as exc:
        return fragment("workbench/_errors.html", 422, findings=exc.findings)
    return fragment("workbench/_dns.html", result=result)
