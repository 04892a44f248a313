"""TLD list and TLD page: entries, history, credentials. HTMX fragments with full-page fallbacks."""

from __future__ import annotations

import json
from typing import Any

from flask import abort, current_app, request
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from infra.database import db

from ..core.decision import RESULTS
from ..core.scenario import PRESETS as SCENARIO_PRESETS
from ..core.validation import (
    Finding,
    Limits,
    check_new_domain,
    split_prefix_text,
    validate_domain_name,
    validate_entry,
    validate_prefix_list,
)
from ..models import ACCOUNT_LABELS, AccountKind, Tld
from ..services import configuration as cfg
from ..services import scenarios
from ..services.decisions import decision_log
from ..services.directory import list_tlds, tld_for_user
from ..services.errors import Conflict, Invalid, NotFound
from ..templating import fragment, is_htmx, page_or_fragment
from . import bp
from .forms import BasicAclForm, EntryForm, EntryUpdateForm, PasswordForm, RemoveForm

TABS = ("entries", "history", "credentials", "decisions", "scenario")
DECISIONS_LIMIT = 200
HISTORY_LIMIT = 200


def limits() -> Limits:
    return Limits(
        current_app.config["MAX_ENTRIES_PER_TLD"], current_app.config["MAX_PREFIXES_PER_ENTRY"]
    )


def actor() -> cfg.Actor:
    return cfg.Actor(current_user.email, "ui", current_user.id)


def load_tld(name: str) -> Tld:
    try:
        return tld_for_user(db.session, current_user, name)
    except NotFound:
        abort(404)


def by_field(findings: list[Finding]) -> dict[str, list[Finding]]:
    """Group findings under their top-level field name (ip_acl[3] → ip_acl)."""
    out: dict[str, list[Finding]] = {}
    for f in findings:
        out.setdefault(f.field.split("[")[0].split(".")[-1], []).append(f)
    return out


def _int_arg(name: str, default: int) -> int:
    try:
        return max(1, int(request.args.get(name, default)))
    except ValueError:
        return default


# --------------------------------------------------------------------------- list


@bp.route("")
@login_required
def index() -> Response:
    q = request.args.get("q", "")[:100]
    page = list_tlds(db.session, current_user, q, _int_arg("page", 1), 50)
    return page_or_fragment("tlds/index.html", "tlds/_results.html", q=q, page=page)


# --------------------------------------------------------------------------- TLD page


def _history(tld: Tld) -> list[dict[str, Any]]:
    return [cfg.event_summary(e) for e in cfg.history(db.session, tld, HISTORY_LIMIT)]


def _accounts(tld: Tld) -> list[dict[str, Any]]:
    existing = {a.kind: a for a in tld.accounts}
    return [
        {
            "kind": kind.value,
            "label": ACCOUNT_LABELS[kind],
            "username": cfg.account_username(tld.name, kind.value),
            "set_at": existing[kind.value].password_set_at if kind.value in existing else None,
        }
        for kind in AccountKind
    ]


def _tab_context(tld: Tld, tab: str) -> dict[str, Any]:
    ctx: dict[str, Any] = {"tld": tld, "tab": tab}
    if tab == "entries":
        ctx["form"] = EntryForm(formdata=None, version=tld.version)
    elif tab == "history":
        ctx["events"] = _history(tld)
    elif tab == "decisions":
        result = request.args.get("result")
        ctx["result"] = result if result in RESULTS else None
        ctx["decisions"] = decision_log(db.session, tld.name, ctx["result"], DECISIONS_LIMIT)
    elif tab == "scenario":
        ctx["scenario_text"] = json.dumps(scenarios.get(db.session, tld), indent=2)
        ctx["presets"] = SCENARIO_PRESETS
    elif tab == "credentials":
        ctx["accounts"] = _accounts(tld)
        ctx["acl_text"] = "\n".join(tld.basic_ip_acl or [])
    return ctx


@bp.route("/<name>")
@login_required
def detail(name: str) -> Response:
    tld = load_tld(name)
    tab = request.args.get("tab", "entries")
    if tab not in TABS:
        tab = "entries"
    return page_or_fragment("tlds/detail.html", f"tlds/_{tab}.html", **_tab_context(tld, tab))


def _tab(name: str, tab: str) -> Response:
    tld = load_tld(name)
    return page_or_fragment("tlds/detail.html", f"tlds/_{tab}.html", **_tab_context(tld, tab))


@bp.route("/<name>/history")
@login_required
def history(name: str) -> Response:
    return _tab(name, "history")


@bp.route("/<name>/decisions")
@login_required
def decisions(name: str) -> Response:
    return _tab(name, "decisions")


@bp.route("/<name>/scenario")
@login_required
def scenario(name: str) -> Response:
    return _tab(name, "scenario")


@bp.route("/<name>/scenario", methods=["POST"])
@login_required
def save_scenario(name: str) -> Response:
    tld = load_tld(name)
    if not FlaskForm().validate():  # CSRF
        abort(400)
    preset = request.form.get("preset")
    text = request.form.get("scenario", "")
    try:
        if preset:
            if preset not in SCENARIO_PRESETS:
                raise Invalid([Finding("preset", f"Unknown preset {preset!r}.")])
            doc: Any = SCENARIO_PRESETS[preset]
        else:
            try:
                doc = json.loads(text or "{}")
            except ValueError as exc:
                raise Invalid([Finding("scenario", f"Not JSON: {exc}.")]) from exc
        scenarios.save(db.session, tld, doc, current_user.email)
    except Invalid as exc:
        ctx = _tab_context(tld, "scenario")
        ctx.update(scenario_text=text, scenario_findings=exc.findings)
        return page_or_fragment("tlds/detail.html", "tlds/_scenario.html", 422, **ctx)
    ctx = _tab_context(tld, "scenario")
    ctx["message"] = "Scenario saved: the next MoSAPI call reflects it."
    return page_or_fragment("tlds/detail.html", "tlds/_scenario.html", **ctx)


@bp.route("/<name>/credentials")
@login_required
def credentials(name: str) -> Response:
    return _tab(name, "credentials")


@bp.route("/<name>/entries")
@login_required
def entries(name: str) -> Response:
    tld = load_tld(name)
    if request.args.get("part") == "table":
        return fragment("tlds/_entries_table.html", tld=tld)
    return page_or_fragment(
        "tlds/detail.html", "tlds/_entries.html", **_tab_context(tld, "entries")
    )


# --------------------------------------------------------------------------- entries


@bp.route("/<name>/entries/check", methods=["POST"])
@login_required
def check_field(name: str) -> Response:
    """Inline validation while the user types one field of the add-entry form."""
    tld = load_tld(name)
    field = request.args.get("field", "")
    findings: list[Finding]
    if field == "domain_name":
        checked = validate_domain_name(request.form.get("domain_name", ""))
        findings = list(checked.findings)
        if checked.value:
            dup = check_new_domain(cfg._entry_list(tld), checked.value)
            findings += [dup] if dup else []
            if (
                checked.ok
                and not dup
                and checked.value != request.form.get("domain_name", "").strip()
            ):
                findings.append(
                    Finding("domain_name", f"Will be stored as {checked.value}.", "note")
                )
    elif field in ("ip_acl", "basic_ip_acl"):
        text = request.form.get(field, "")
        findings = list(
            validate_prefix_list(
                text, field, limits(), required=bool(split_prefix_text(text))
            ).findings
        )
    else:
        abort(400)
    return fragment("tlds/_findings.html", findings=findings, field=field)


def retarget(response: Response, selector: str, swap: str = "outerHTML") -> Response:
    """Send an HTMX answer somewhere else than the element that asked (errors, conflicts)."""
    response.headers["HX-Retarget"] = selector
    response.headers["HX-Reswap"] = swap
    return response


def _entry_form_response(tld: Tld, form: EntryForm, status: int, **extra: Any) -> Response:
    if not is_htmx():
        return page_or_fragment(
            "tlds/detail.html",
            "tlds/_entries.html",
            status,
            **{**_tab_context(tld, "entries"), "form": form, **extra},
        )
    return retarget(
        fragment("tlds/_entry_form.html", status, tld=tld, form=form, **extra), "#add-entry"
    )


@bp.route("/<name>/entries", methods=["POST"])
@login_required
def add_entry(name: str) -> Response:
    tld = load_tld(name)
    form = EntryForm()
    if not form.validate():
        return _entry_form_response(
            tld,
            form,
            422,
            findings=by_field([Finding("form", "The form is incomplete; reload the page.")]),
        )
    checked = validate_entry(
        {
            "domain_name": form.domain_name.data,
            "roles": form.roles.data,
            "ip_acl": form.ip_acl.data,
        },
        limits=limits(),
    )
    if checked.value is None:
        return _entry_form_response(tld, form, 422, findings=by_field(checked.findings))
    try:
        cfg.add_entry(
            db.session, tld, checked.value, form.expected_version() or 0, actor(), limits()
        )
    except Invalid as exc:
        return _entry_form_response(tld, form, 422, findings=by_field(exc.findings))
    except Conflict as exc:
        return _entry_form_response(tld, form, 409, conflict=exc)
    warnings = checked.warnings + checked.notes
    message = f"Added entry {checked.value.domain_name}."
    if not is_htmx():
        return page_or_fragment(
            "tlds/detail.html",
            "tlds/_entries.html",
            message=message,
            saved_findings=warnings,
            **_tab_context(tld, "entries"),
        )
    return fragment(
        "tlds/_entries.html",
        message=message,
        saved_findings=warnings,
        **_tab_context(tld, "entries"),
    )


@bp.route("/<name>/entries/<int:entry_id>")
@login_required
def entry_row(name: str, entry_id: int) -> Response:
    tld = load_tld(name)
    entry = _entry_or_404(tld, entry_id)
    return fragment("tlds/_entry_row.html", tld=tld, entry=entry)


@bp.route("/<name>/entries/<int:entry_id>/edit")
@login_required
def edit_entry(name: str, entry_id: int) -> Response:
    tld = load_tld(name)
    entry = _entry_or_404(tld, entry_id)
    return fragment(
        "tlds/_entry_edit.html",
        tld=tld,
        entry=entry,
        roles=entry.roles,
        acl_text="\n".join(entry.ip_acl),
        findings={},
    )


def _entry_or_404(tld: Tld, entry_id: int) -> Any:
    try:
        return cfg.get_entry(tld, entry_id)
    except NotFound:
        abort(404)


@bp.route("/<name>/entries/<int:entry_id>", methods=["POST"])
@login_required
def update_entry(name: str, entry_id: int) -> Response:
    tld = load_tld(name)
    entry = _entry_or_404(tld, entry_id)
    form = EntryUpdateForm()
    ctx = {
        "tld": tld,
        "entry": entry,
        "roles": form.roles.data or [],
        "acl_text": form.ip_acl.data or "",
    }
    if not form.validate():
        return fragment(
            "tlds/_entry_edit.html",
            422,
            findings=by_field([Finding("form", "The form is incomplete; reload the page.")]),
            **ctx,
        )
    try:
        cfg.update_entry(
            db.session,
            tld,
            entry_id,
            form.roles.data or [],
            form.ip_acl.data or "",
            form.expected_version() or 0,
            actor(),
            limits(),
        )
    except Invalid as exc:
        return fragment("tlds/_entry_edit.html", 422, findings=by_field(exc.findings), **ctx)
    except Conflict as exc:
        return fragment("tlds/_entry_edit.html", 409, findings={}, conflict=exc, **ctx)
    return fragment("tlds/_entry_row.html", tld=tld, entry=entry, oob_version=True, saved=True)


@bp.route("/<name>/entries/<int:entry_id>/delete", methods=["GET", "POST"])
@login_required
def remove_entry(name: str, entry_id: int) -> Response:
    tld = load_tld(name)
    entry = _entry_or_404(tld, entry_id)
    form = RemoveForm()
    if request.method == "GET":
        # Confirmation page for browsers without JavaScript (HTMX uses hx-confirm).
        return page_or_fragment(
            "tlds/confirm_remove.html",
            "tlds/confirm_remove.html",
            tld=tld,
            entry=entry,
            form=RemoveForm(formdata=None, version=tld.version),
        )
    if not form.validate():
        abort(400)
    domain = entry.domain_name
    try:
        cfg.remove_entry(db.session, tld, entry_id, form.expected_version() or 0, actor())
    except Conflict as exc:
        return retarget(
            fragment("tlds/_conflict.html", 409, tld=tld, conflict=exc),
            "#entries-messages",
            "innerHTML",
        )
    if not is_htmx():
        return page_or_fragment(
            "tlds/detail.html",
            "tlds/_entries.html",
            message=f"Removed entry {domain}.",
            **_tab_context(tld, "entries"),
        )
    return fragment("tlds/_entries_table.html", tld=tld, message=f"Removed entry {domain}.")


# --------------------------------------------------------------------------- credentials


def _credentials_response(tld: Tld, status: int = 200, **extra: Any) -> Response:
    ctx = _tab_context(tld, "credentials")
    ctx.update(extra)
    if is_htmx():
        return fragment("tlds/_credentials.html", status, **ctx)
    return page_or_fragment("tlds/detail.html", "tlds/_credentials.html", status, **ctx)


@bp.route("/<name>/credentials/password", methods=["POST"])
@login_required
def set_password(name: str) -> Response:
    tld = load_tld(name)
    form = PasswordForm()
    if not form.validate():
        abort(400)
    kind = form.kind.data or ""
    try:
        cfg.set_password(
            db.session,
            tld,
            kind,
            form.password.data or "",
            form.expected_version() or 0,
            actor(),
            confirm=form.confirm.data or "",
        )
    except Invalid as exc:
        return _credentials_response(tld, 422, password_findings={kind: by_field(exc.findings)})
    except Conflict as exc:
        return _credentials_response(tld, 409, conflict=exc)
    username = cfg.account_username(tld.name, kind)
    return _credentials_response(
        tld, message=f"Password of {username} saved. It is not shown again."
    )


@bp.route("/<name>/credentials/acl", methods=["POST"])
@login_required
def set_basic_acl(name: str) -> Response:
    tld = load_tld(name)
    form = BasicAclForm()
    if not form.validate():
        abort(400)
    text = form.basic_ip_acl.data or ""
    try:
        cfg.set_basic_acl(db.session, tld, text, form.expected_version() or 0, actor(), limits())
    except Invalid as exc:
        return _credentials_response(tld, 422, acl_findings=exc.findings, acl_text=text)
    except Conflict as exc:
        return _credentials_response(tld, 409, conflict=exc, acl_text=text)
    return _credentials_response(tld, message="Basic-auth prefixes saved.")
