"""TLD list and TLD page: entries, history, credentials. HTMX fragments with full-page fallbacks."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import abort, current_app, request
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from infra.config import limits
from infra.database import db

from ..core.scenario import PRESETS as SCENARIO_PRESETS
from ..core.validation import Finding
from ..models import ACCOUNT_LABELS, AccountKind, Tld, TlsClientAuthEntry
from ..services import configuration as cfg
from ..services import scenarios
from ..services.audit import summarise
from ..services.directory import list_tlds, tld_for_user
from ..services.errors import Conflict, Invalid, NotFound
from ..templating import fragment, is_htmx, page_or_fragment
from . import bp
from .forms import BasicAclForm, EntryForm, EntryUpdateForm, PasswordForm, RemoveForm, ScenarioForm

# Tab ids and labels, in the order shown.
TABS: dict[str, str] = {
    "entries": "TLS client authentication",
    "connection": "Test connection",
    "simulator": "Policy simulator",
    "history": "History",
    "credentials": "Credentials",
    "decisions": "Decisions",
    "scenario": "MoSAPI scenario",
}
HISTORY_LIMIT = 200
# A post without its CSRF token or version: a page older than the session, or a broken client.
INCOMPLETE = [Finding("form", "The form is incomplete; reload the page.")]


def actor() -> cfg.Actor:
    return cfg.Actor(current_user.email, "ui", current_user.id)


def load_tld(name: str) -> Tld:
    try:
        return tld_for_user(db.session, current_user, name)
    except NotFound:
        abort(404)


def _entry_or_404(tld: Tld, entry_id: int) -> TlsClientAuthEntry:
    try:
        return cfg.get_entry(tld, entry_id)
    except NotFound:
        abort(404)


def by_field(findings: list[Finding]) -> dict[str, list[Finding]]:
    """Group findings under their top-level field name (ip_acl[3] → ip_acl)."""
    out: dict[str, list[Finding]] = {}
    for f in findings:
        out.setdefault(f.field.split("[")[0].split(".")[-1], []).append(f)
    return out


def retarget(response: Response, selector: str, swap: str = "outerHTML") -> Response:
    """Send an HTMX answer somewhere else than the element that asked (errors, conflicts)."""
    response.headers["HX-Retarget"] = selector
    response.headers["HX-Reswap"] = swap
    return response


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


# What each tab's template needs beyond the TLD; feature modules register their tabs here.
TabContext = Callable[[Tld], dict[str, Any]]
TAB_CONTEXTS: dict[str, TabContext] = {}


def tab_context(name: str) -> Callable[[TabContext], TabContext]:
    def register(build: TabContext) -> TabContext:
        TAB_CONTEXTS[name] = build
        return build

    return register


@tab_context("entries")
def _entries_context(tld: Tld) -> dict[str, Any]:
    return {"form": EntryForm(formdata=None)}


@tab_context("history")
def _history_context(tld: Tld) -> dict[str, Any]:
    return {"events": [summarise(e) for e in cfg.history(db.session, tld, HISTORY_LIMIT)]}


@tab_context("scenario")
def _scenario_context(tld: Tld) -> dict[str, Any]:
    return {
        "scenario_text": json.dumps(scenarios.get(db.session, tld), indent=2),
        "presets": SCENARIO_PRESETS,
    }


@tab_context("credentials")
def _credentials_context(tld: Tld) -> dict[str, Any]:
    return {"accounts": _accounts(tld), "acl_text": "\n".join(tld.basic_ip_acl or [])}


def _tab_context(tld: Tld, tab: str) -> dict[str, Any]:
    return {"tld": tld, "tab": tab, "tabs": TABS, **TAB_CONTEXTS[tab](tld)}


def tab_page(tld: Tld, tab: str, status: int = 200, **extra: Any) -> Response:
    """The TLD page open on `tab`; for HTMX only that tab's panel. `extra` adds to (or
    replaces part of) the tab's context: a message, findings, the input to show again."""
    return page_or_fragment(
        "tlds/detail.html", f"tlds/_{tab}.html", status, **{**_tab_context(tld, tab), **extra}
    )


@bp.route("/<name>")
@login_required
def detail(name: str) -> Response:
    tab = request.args.get("tab", "entries")
    return tab_page(load_tld(name), tab if tab in TABS else "entries")


@login_required
def tab(name: str, tab: str) -> Response:
    tld = load_tld(name)
    if tab == "entries" and request.args.get("part") == "table":
        return fragment("tlds/_entries_table.html", tld=tld)
    return tab_page(tld, tab)


for _tab in TABS:  # /tlds/<name>/history and so on: one view, a plain URL a tab
    bp.add_url_rule(f"/<name>/{_tab}", view_func=tab, defaults={"tab": _tab})


# --------------------------------------------------------------------------- scenario


def _scenario_document(preset: str | None, text: str) -> Any:
    """The chosen preset, or the JSON the user wrote (empty: no overrides)."""
    if preset:
        if preset not in SCENARIO_PRESETS:
            raise Invalid([Finding("preset", f"Unknown preset {preset!r}.")])
        return SCENARIO_PRESETS[preset]
    try:
        return json.loads(text or "{}")
    except ValueError as exc:
        raise Invalid([Finding("scenario", f"Not JSON: {exc}.")]) from exc


@bp.route("/<name>/scenario", methods=["POST"])
@login_required
def save_scenario(name: str) -> Response:
    tld = load_tld(name)
    form = ScenarioForm()
    if not form.validate():
        abort(400)
    text = form.scenario.data or ""
    try:
        doc = _scenario_document(form.preset.data, text)
        scenarios.save(db.session, tld, doc, current_user.email)
    except Invalid as exc:
        return tab_page(tld, "scenario", 422, scenario_text=text, scenario_findings=exc.findings)
    return tab_page(tld, "scenario", message="Scenario saved: the next MoSAPI call reflects it.")


# --------------------------------------------------------------------------- entries


@bp.route("/<name>/entries/check", methods=["POST"])
@login_required
def check_field(name: str) -> Response:
    """Inline validation while the user types one field of the add-entry form."""
    tld = load_tld(name)
    field = request.args.get("field", "")
    try:
        findings = cfg.check_field(
            tld, field, request.form.get(field, ""), limits(current_app.config)
        )
    except Invalid:
        abort(400)
    return fragment("tlds/_findings.html", findings=findings, field=field)


def _entry_form_response(tld: Tld, form: EntryForm, status: int, **extra: Any) -> Response:
    """The add-entry form again, with what was typed: the whole page without JavaScript."""
    if not is_htmx():
        return tab_page(tld, "entries", status, form=form, **extra)
    return retarget(
        fragment("tlds/_entry_form.html", status, tld=tld, form=form, **extra), "#add-entry"
    )


@bp.route("/<name>/entries", methods=["POST"])
@login_required
def add_entry(name: str) -> Response:
    tld = load_tld(name)
    form = EntryForm()
    if not form.validate():
        return _entry_form_response(tld, form, 422, findings=by_field(INCOMPLETE))
    try:
        saved = cfg.add_entry(
            db.session,
            tld,
            form.domain_name.data,
            form.roles.data,
            form.ip_acl.data,
            form.version.data,
            actor(),
            limits(current_app.config),
        )
    except Invalid as exc:
        return _entry_form_response(tld, form, 422, findings=by_field(exc.findings))
    except Conflict as exc:
        return _entry_form_response(tld, form, 409, conflict=exc)
    return tab_page(
        tld,
        "entries",
        message=f"Added entry {saved.entry.domain_name}.",
        saved_findings=saved.findings,
    )


@bp.route("/<name>/entries/<int:entry_id>")
@login_required
def entry_row(name: str, entry_id: int) -> Response:
    tld = load_tld(name)
    return fragment("tlds/_entry_row.html", tld=tld, entry=_entry_or_404(tld, entry_id))


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


@bp.route("/<name>/entries/<int:entry_id>", methods=["POST"])
@login_required
def update_entry(name: str, entry_id: int) -> Response:
    tld = load_tld(name)
    entry = _entry_or_404(tld, entry_id)
    form = EntryUpdateForm()
    roles, acl_text = form.roles.data or [], form.ip_acl.data or ""
    edit_row = {"tld": tld, "entry": entry, "roles": roles, "acl_text": acl_text}
    if not form.validate():
        return fragment("tlds/_entry_edit.html", 422, findings=by_field(INCOMPLETE), **edit_row)
    try:
        cfg.update_entry(
            db.session,
            tld,
            entry_id,
            roles,
            acl_text,
            form.version.data,
            actor(),
            limits(current_app.config),
        )
    except Invalid as exc:
        return fragment("tlds/_entry_edit.html", 422, findings=by_field(exc.findings), **edit_row)
    except Conflict as exc:
        return fragment("tlds/_entry_edit.html", 409, findings={}, conflict=exc, **edit_row)
    return fragment("tlds/_entry_row.html", tld=tld, entry=entry, oob_version=True, saved=True)


@bp.route("/<name>/entries/<int:entry_id>/delete", methods=["GET", "POST"])
@login_required
def remove_entry(name: str, entry_id: int) -> Response:
    tld = load_tld(name)
    entry = _entry_or_404(tld, entry_id)
    if request.method == "GET":
        # Confirmation page for browsers without JavaScript (HTMX uses hx-confirm).
        return page_or_fragment(
            "tlds/confirm_remove.html",
            "tlds/confirm_remove.html",
            tld=tld,
            entry=entry,
            form=RemoveForm(formdata=None),
        )
    form = RemoveForm()
    if not form.validate():
        abort(400)
    message = f"Removed entry {entry.domain_name}."
    try:
        cfg.remove_entry(db.session, tld, entry_id, form.version.data, actor())
    except Conflict as exc:
        return retarget(
            fragment("tlds/_conflict.html", 409, tld=tld, conflict=exc),
            "#entries-messages",
            "innerHTML",
        )
    if not is_htmx():
        return tab_page(tld, "entries", message=message)
    return fragment("tlds/_entries_table.html", tld=tld, message=message)


# --------------------------------------------------------------------------- credentials


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
            form.version.data,
            actor(),
            confirm=form.confirm.data or "",
        )
    except Invalid as exc:
        return tab_page(tld, "credentials", 422, password_findings={kind: by_field(exc.findings)})
    except Conflict as exc:
        return tab_page(tld, "credentials", 409, conflict=exc)
    username = cfg.account_username(tld.name, kind)
    return tab_page(
        tld, "credentials", message=f"Password of {username} saved. It is not shown again."
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
        cfg.set_basic_acl(
            db.session, tld, text, form.version.data, actor(), limits(current_app.config)
        )
    except Invalid as exc:
        return tab_page(tld, "credentials", 422, acl_findings=exc.findings, acl_text=text)
    except Conflict as exc:
        return tab_page(tld, "credentials", 409, conflict=exc, acl_text=text)
    return tab_page(tld, "credentials", message="Basic-auth prefixes saved.")
