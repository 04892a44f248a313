"""The Test connection tab: a real mTLS call to a mock, made by the portal for the user.

The user picks the entry they expect to match, an endpoint of either mock (grouped by the role
it needs, the harmless read first), a loopback source address and a credential: one the
workbench generated in this browser session, or a certificate and key uploaded for this call
only. The answer, the mock's decision with its sentence, the timing and the equivalent curl
command replace the previous result in place (the whole tab without JavaScript).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app, request, session
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from infra.database import db
from infra.harness_pki import HarnessMaterial
from infra.loopback import loopback_addresses

from ..core.endpoints import ROUTES, MockRoute, example_path, grouped_by_role, role_probe
from ..core.reasons import CallFacts, HeaderVerdict, explain, sentence
from ..core.roles import ROLES, ROLES_BY_ID
from ..core.validation import Finding
from ..models import DecisionLogRow, Tld, TlsClientAuthEntry
from ..services import client_credentials
from ..services import test_connection as tc
from ..services.decisions import entry_named, sentence_of
from ..services.errors import Invalid
from ..services.session_credentials import STORE, Remembered
from ..services.workbench import Generated
from ..templating import fragment, is_htmx
from . import bp
from .forms import ConnectionForm
from .views import load_tld, tab_context, tab_page

# The app config key of the call's time limit in seconds (tests shorten it).
TIMEOUT_KEY = "TEST_CONNECTION_TIMEOUT"
_STORE_KEY = "test_connection_credentials"  # the random id of this session's credentials
UPLOAD = "upload"


# --------------------------------------------------------------------------- endpoints


@dataclass(frozen=True)
class EndpointChoice:
    """One method of one mock route, as the endpoint list offers it."""

    route: MockRoute
    method: str
    probe: bool  # the role's harmless read

    @property
    def key(self) -> str:
        return f"{self.route.system} {self.method} {self.route.rule}"

    def label(self, tld: str) -> str:
        system = tc.SYSTEM_LABELS[self.route.system]
        note = " · harmless read" if self.probe else ""
        return f"{system} {self.method} {example_path(self.route, tld)}{note}"


@dataclass(frozen=True)
class EndpointGroup:
    role: str | None
    label: str
    choices: tuple[EndpointChoice, ...]


def _choices(route: MockRoute, probe: bool = False) -> list[EndpointChoice]:
    return [EndpointChoice(route, m, probe) for m in route.methods if m != "HEAD"]


def _endpoint_groups() -> tuple[EndpointGroup, ...]:
    by_role = grouped_by_role()
    groups = []
    for role in ROLES:
        probes = [p for s in role.systems if (p := role_probe(s, role.id)) is not None]
        others = [r for r in by_role.get(role.id, []) if r not in probes]
        choices = [c for p in probes for c in _choices(p, True)]
        choices += [c for r in others for c in _choices(r)]
        groups.append(EndpointGroup(role.id, f"{role.label} ({role.id})", tuple(choices)))
    unguarded = [c for r in ROUTES if r.role is None for c in _choices(r)]
    groups.append(EndpointGroup(None, "No role needed (login, logout, versions)", tuple(unguarded)))
    return tuple(groups)


ENDPOINT_GROUPS = _endpoint_groups()
ENDPOINTS: dict[str, EndpointChoice] = {c.key: c for g in ENDPOINT_GROUPS for c in g.choices}


# --------------------------------------------------------------------------- credentials


def _owner() -> str:
    """Whose remembered credentials these are: this signed-in user in this browser session
    (signing in or out starts a new session, and with it an empty list)."""
    key = session.get(_STORE_KEY)
    if not isinstance(key, str):
        key = secrets.token_urlsafe(24)
        session[_STORE_KEY] = key
    return f"{current_user.id}:{key}"


def remember_generated(generated: Generated, passphrase: str | None) -> None:
    """Offer a pair the workbench just generated to this session's test connections."""
    try:
        credential = client_credentials.load(
            (generated.certificate + generated.chain).encode(),
            generated.private_key.encode(),
            passphrase or None,
            "generated",
        )
    except Invalid:
        return
    STORE.remember(_owner(), credential)


@dataclass(frozen=True)
class ChosenCredential:
    credential: client_credentials.ClientCredential
    cert_file: str  # the file names the curl command uses
    key_file: str


def _file_name(uploaded: str | None, default: str) -> str:
    name = os.path.basename(uploaded or "")[:100]
    return name or default


def _chosen_credential(form: ConnectionForm) -> ChosenCredential:
    choice = form.credential.data or UPLOAD
    if choice != UPLOAD:
        remembered = STORE.get(_owner(), choice)
        if remembered is None:
            raise Invalid(
                [
                    Finding(
                        "credential",
                        "That generated credential is no longer here (kept one hour in this "
                        "browser session); generate it again or upload it.",
                    )
                ]
            )
        cred = remembered.credential
        chain = len(cred.chain) > 1
        return ChosenCredential(
            cred,
            f"{cred.name}-chain.pem" if chain else f"{cred.name}.pem",
            f"{cred.name}.key",
        )
    limit = client_credentials.MAX_PEM_BYTES
    cert_pem, cert_name = form.certificate(limit)
    key_pem, key_name = form.key(limit)
    cred = client_credentials.load(cert_pem, key_pem, form.passphrase.data or None)
    return ChosenCredential(
        cred, _file_name(cert_name, "client.pem"), _file_name(key_name, "client.key")
    )


# --------------------------------------------------------------------------- the widget


def _sources() -> list[str]:
    return tc.reachable_sources(current_app.config["MOCK_HOST"], loopback_addresses())


def _entry(tld: Tld, raw: str | None) -> TlsClientAuthEntry | None:
    return next((e for e in tld.entries if str(e.id) == (raw or "")), None)


def _default_endpoint(tld: Tld, entry: TlsClientAuthEntry | None) -> str:
    """The harmless read of the chosen entry's first role, else of the TLD's first entry's."""
    candidates = [entry] if entry is not None else list(tld.entries)
    roles = next((e.roles for e in candidates if e.roles), [ROLES[0].id])
    group = next(g for g in ENDPOINT_GROUPS if g.role == roles[0])
    return group.choices[0].key


def _default_credential(
    tld: Tld, credentials: list[Remembered], entry: TlsClientAuthEntry | None
) -> str:
    """The newest remembered credential named like the chosen entry (any of the TLD's entries
    when none is chosen), else the newest, else an upload."""
    names = {entry.domain_name} if entry is not None else {e.domain_name for e in tld.entries}
    named = [r for r in credentials if r.credential.name in names]
    pick = (named or credentials or [None])[0]
    return pick.id if pick is not None else UPLOAD


def _widget(tld: Tld, form: ConnectionForm, **extra: Any) -> dict[str, Any]:
    """What the form needs: the choices and what is selected (the submitted values, else
    defaults from the entry asked for in the URL)."""
    credentials = STORE.list(_owner())
    sources = _sources()
    asked = form.entry.data if form.entry.data is not None else request.args.get("entry")
    entry = _entry(tld, asked)
    endpoint = form.endpoint.data
    selected = {
        "entry": str(entry.id) if entry is not None else "",
        "endpoint": endpoint if endpoint in ENDPOINTS else _default_endpoint(tld, entry),
        "source": form.source.data if form.source.data in sources else (sources or [""])[0],
        "credential": form.credential.data or _default_credential(tld, credentials, entry),
    }
    return {
        "form": form,
        "endpoint_groups": ENDPOINT_GROUPS,
        "sources": sources,
        "credentials": credentials,
        "selected": selected,
        "mock_host": current_app.config["MOCK_HOST"],
        **extra,
    }


@tab_context("connection")
def connection_context(tld: Tld) -> dict[str, Any]:
    return _widget(tld, ConnectionForm(formdata=None))


# --------------------------------------------------------------------------- the call


@dataclass(frozen=True)
class DecisionShown:
    """The mock's decision on the call, as the result shows it."""

    decision_id: int | None
    allowed: bool
    reason: str | None
    sentence: str
    entry_note: str | None  # how the entry the user expected fared


def _ca_display(ca_file: Path) -> str:
    """The CA's path as the curl command names it: relative to where the portal runs when
    inside it."""
    try:
        return str(ca_file.relative_to(Path.cwd()))
    except ValueError:
        return str(ca_file)


def _header_sentence(verdict: HeaderVerdict, facts: CallFacts) -> str:
    """The sentence from the header alone (the mock logged elsewhere, or for no TLD)."""
    if verdict.allowed:
        words = verdict.text.split()
        path = words[1] if len(words) > 1 else "none"
        via = words[3] if len(words) > 3 and words[2] == "via" else None
        return explain(True, path, [], CallFacts(facts.tld, facts.role, facts.source, via))
    return explain(False, "", [verdict.reason or ""], facts)


def _entry_note(
    entry: TlsClientAuthEntry | None, role: str | None, row: DecisionLogRow | None, facts: CallFacts
) -> str | None:
    if entry is None:
        return None
    name = entry.domain_name
    if role is not None and role not in entry.roles:
        label = ROLES_BY_ID[role].label
        return f"{name} does not have the role {role} ({label}), which this endpoint needs."
    if row is None:
        return None
    if row.result == "allowed":
        if row.matched_entry == name:
            return f"As expected, {name} admitted the call."
        return f"{row.matched_entry or 'Another credential'} admitted the call, not {name}."
    check = next((c for c in row.checks or [] if c.get("domain_name") == name), None)
    if check and check.get("reasons"):
        entry_facts = CallFacts(facts.tld, facts.role, facts.source, name)
        return f"For {name}: " + sentence(str(check["reasons"][0]), entry_facts)
    return None


def _decision(
    tld: Tld,
    result: tc.CallResult,
    role: str | None,
    entry: TlsClientAuthEntry | None,
) -> DecisionShown | None:
    verdict = result.verdict
    if verdict is None:
        return None
    facts = CallFacts(tld.name, role, result.target.source)
    row = tc.logged_decision(db.session, tld.name, verdict.decision_id)
    if row is not None:
        shown = sentence_of(row)
        reason = row.deciding_reason
        facts = CallFacts(tld.name, row.required_role, row.source_address, entry_named(row))
    else:
        shown = _header_sentence(verdict, facts)
        reason = verdict.reason
    return DecisionShown(
        verdict.decision_id,
        verdict.allowed,
        reason,
        shown,
        _entry_note(entry, role, row, facts),
    )


def _answer(tld: Tld, form: ConnectionForm, status: int, **extra: Any) -> Response:
    """The result in place for HTMX; the whole tab, form and result, without JavaScript."""
    if is_htmx():
        return fragment("tlds/_connection_result.html", status, tld=tld, **extra)
    return tab_page(tld, "connection", status, **_widget(tld, form, **extra))


@bp.route("/<name>/connection/call", methods=["POST"])
@login_required
def call_mock(name: str) -> Response:
    tld = load_tld(name)
    form = ConnectionForm()
    findings = []
    if not form.validate():
        findings.append(Finding("form", "The form is incomplete; reload the page."))
    choice = ENDPOINTS.get(form.endpoint.data or "")
    if choice is None:
        findings.append(Finding("endpoint", "Choose an endpoint from the list."))
    source = form.source.data or ""
    if source not in _sources():
        findings.append(Finding("source", "Choose a source address from the list."))
    entry = _entry(tld, form.entry.data)
    if form.entry.data and entry is None:
        findings.append(Finding("entry", "That entry is no longer on this TLD; reload the page."))
    chosen = None
    try:
        chosen = _chosen_credential(form)
    except Invalid as exc:
        findings += exc.findings
    if findings or choice is None or chosen is None:
        return _answer(tld, form, 422, findings=findings)

    config = current_app.config
    system = choice.route.system
    target = tc.Target(
        system,
        tc.connect_host(config["MOCK_HOST"], source) or config["MOCK_HOST"],
        int(config[f"{system.upper()}_PORT"]),
        choice.method,
        example_path(choice.route, tld.name),
        source,
    )
    ca_file = HarnessMaterial(Path(config["CERTS_DIR"])).ca_cert
    curl = tc.curl_command(
        target,
        _ca_display(ca_file),
        chosen.cert_file,
        chosen.key_file,
        chosen.credential.key_protected,
    )
    timeout = float(config.get(TIMEOUT_KEY, tc.DEFAULT_TIMEOUT))
    result = tc.call(target, chosen.credential, ca_file, timeout, curl)
    return _answer(
        tld,
        form,
        200,
        result=result,
        credential=chosen.credential,
        required_role=choice.route.role,
        decision=_decision(tld, result, choice.route.role, entry),
    )
