"""Applying a seed document, and emptying the harness (`tlsauth seed [--reset]`, and the test
mode's POST /api/v1/harness/seed and /reset).

`apply` checks the whole document first (portal.core.seed), then what only the database can
tell (the kind of an organisation the document does not list, the operator of a new TLD, who
may publish at a name, which names the harness CA may issue to whom), and refuses it with every
finding, each at its path in the document, before changing anything. Then it changes what
differs, through the services that hold each rule (directory, configuration, scenarios, zone,
the workbench's certificate builder), in one transaction; each change that the portal records
in a TLD's History is recorded there with channel `seed` and actor "seed". What is already as
the document says is left alone: no audit event, no version bump, no new certificate, so
applying the same document twice changes nothing the second time.

Certificates: their keys are written only to the folder the document names (the user's own,
as a workbench download), never to the database, the harness's certificates folder or a log,
and never returned: the report lists the files. Over HTTP the section is refused
(`allow_certificates=False`).
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload
from werkzeug.security import check_password_hash

from ..core import certificates as cw
from ..core import pki
from ..core.access import REGISTRY_OPERATOR, RSP
from ..core.seed import CertificateSpec, SeedDocument, TldSpec, check_document
from ..core.tlsa import TlsaRecord, issued_by, record_for, san_dns_names, spki_der
from ..core.validation import Finding, Limits
from ..models import (
    ApiToken,
    Base,
    Counter,
    Organisation,
    Tld,
    TlsaRecordRow,
    User,
    utcnow,
)
from . import configuration as cfg
from . import directory, scenarios, workbench, zone
from .errors import Conflict, Invalid

SEED_ACTOR = "seed"
ACTOR = cfg.Actor(SEED_ACTOR, "seed")
# An existing certificate file is kept while it stays valid for more than this.
KEEP_VALID_FOR = timedelta(days=1)
GENERATED_PASSWORD_BYTES = 12  # 16 URL-safe characters
KINDS = ("organisations", "users", "tlds", "entries", "basic", "scenarios", "zone", "certificates")
# What a reset keeps: the registrars are the RRI mock's reference list (the migration fills it
# with a sample, `tlsauth registrar` edits it; a seed document has no section for it), and the
# change counters are bumped, never deleted, so that a running mock sees that its cache is stale.
KEPT_TABLES = ("registrars", "change_counters")
CERTIFICATES_OVER_HTTP = (
    "Certificates are not made over HTTP: the server keeps no private key it generates. Make "
    "them on the client's side with the pytest plugin's tlsauth_client_cert fixture, "
    "`tlsauth seed` on the command line, or the certificate workbench."
)


# --------------------------------------------------------------------------- reports


@dataclass
class Outcome:
    """What became of one kind of thing the document names (labels: names, emails, TLDs)."""

    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[str]]:
        return {"created": self.created, "changed": self.changed, "unchanged": self.unchanged}


@dataclass
class SeedReport:
    kinds: dict[str, Outcome] = field(default_factory=lambda: {k: Outcome() for k in KINDS})
    # New users whose password the document did not give: email → the password made for them.
    passwords: dict[str, str] = field(default_factory=dict)
    # The certificate, key and PKCS#12 files written (none for a certificate that was kept).
    certificates: list[Path] = field(default_factory=list)
    # The warnings and notes of the accepted document, at their paths.
    findings: list[Finding] = field(default_factory=list)

    @property
    def changed_anything(self) -> bool:
        return any(o.created or o.changed for o in self.kinds.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "changed": self.changed_anything,
            "kinds": {k: o.as_dict() for k, o in self.kinds.items()},
            "passwords": dict(self.passwords),
            "certificates": [str(p) for p in self.certificates],
            "findings": [
                {"field": f.field, "message": f.message, "severity": f.severity}
                for f in self.findings
            ],
        }


@dataclass
class ResetReport:
    removed: dict[str, int]  # table → rows deleted
    kept_users: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"removed": dict(self.removed), "kept_users": list(self.kept_users)}


# --------------------------------------------------------------------------- acting for an org


@dataclass(frozen=True)
class _OnBehalf:
    """The seed acting for an organisation, as zone.Publisher reads a user: the History says
    "seed (<organisation>)" and the records' creator is "seed"."""

    organisation: Organisation
    email: str = SEED_ACTOR
    id: int | None = None

    @property
    def organisation_id(self) -> int:
        return self.organisation.id


def _publisher(session: Session, org: Organisation) -> zone.Publisher:
    return zone.Publisher(session, cast(User, _OnBehalf(org)), "seed")


# --------------------------------------------------------------------------- checking


def _missing(name: str) -> str:
    return f"No organisation “{name}”: list it under organisations."


def _party_errors(
    name: str | None, kind: str, path: str, orgs: dict[str, Organisation], declared: dict[str, str]
) -> list[Finding]:
    if name is None:
        return []
    have = declared.get(name) or (orgs[name].kind if name in orgs else None)
    if have is None:
        return [Finding(path, _missing(name))]
    if have != kind:
        return [Finding(path, f"“{name}” is a {have} organisation; this must be a {kind} one.")]
    return []


def _database_errors(
    doc: SeedDocument, orgs: dict[str, Organisation], tlds: dict[str, Tld]
) -> list[Finding]:
    """What the document asks that the stored data does not allow."""
    declared = doc.declared_kinds()
    known = set(orgs) | set(declared)
    out: list[Finding] = []
    for org in doc.organisations or ():
        stored = orgs.get(org.name)
        if stored is not None and stored.kind != org.kind:
            out.append(
                Finding(
                    f"{org.path}.kind",
                    f"“{org.name}” exists as a {stored.kind} organisation; a seed does not "
                    "change an organisation's kind.",
                )
            )
    for user in doc.users or ():
        if user.organisation not in known:
            out.append(Finding(f"{user.path}.organisation", _missing(user.organisation)))
    for spec in doc.tlds or ():
        if spec.operator is None and spec.name not in tlds:
            out.append(
                Finding(
                    f"{spec.path}.operator",
                    f".{spec.name} does not exist yet: name its registry operator.",
                )
            )
        out += _party_errors(
            spec.operator, REGISTRY_OPERATOR, f"{spec.path}.operator", orgs, declared
        )
        out += _party_errors(spec.rsp, RSP, f"{spec.path}.rsp", orgs, declared)
    for item in doc.zone or ():
        if item.organisation not in known:
            out.append(Finding(f"{item.path}.organisation", _missing(item.organisation)))
    for cert in doc.certificates.items if doc.certificates else ():
        if cert.organisation is not None and cert.organisation not in known:
            out.append(Finding(f"{cert.path}.organisation", _missing(cert.organisation)))
    return out


def check(
    document: Any, limits: Limits | None = None, *, allow_certificates: bool = True
) -> SeedDocument:
    """The document checked as `apply` checks it before looking at the database: the typed
    document, or Invalid with every finding at its path."""
    return _checked(document, limits or Limits(), allow_certificates)[0]


def _checked(
    document: Any, limits: Limits, allow_certificates: bool
) -> tuple[SeedDocument, list[Finding]]:
    """The checked document and its findings (warnings and notes: it has no error)."""
    if isinstance(document, SeedDocument):
        doc, findings = document, []
    else:
        checked = check_document(document, limits)
        doc, findings = checked.value, checked.findings  # type: ignore[assignment]
    has_certificates = (
        doc.certificates is not None
        if doc is not None
        else isinstance(document, dict) and document.get("certificates") is not None
    )
    if has_certificates and not allow_certificates:
        findings = [Finding("certificates", CERTIFICATES_OVER_HTTP), *findings]
    if doc is None or any(f.severity == "error" for f in findings):
        raise Invalid(findings)
    return doc, findings


# --------------------------------------------------------------------------- applying


def _chunks(items: list[str], size: int = 500) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _load_tlds(session: Session, names: list[str]) -> dict[str, Tld]:
    out: dict[str, Tld] = {}
    for chunk in _chunks(names):
        stmt = (
            select(Tld)
            .where(Tld.name.in_(chunk))
            .options(selectinload(Tld.entries), selectinload(Tld.accounts))
        )
        out.update({t.name: t for t in session.scalars(stmt).unique()})
    return out


class _Applier:
    def __init__(
        self,
        session: Session,
        doc: SeedDocument,
        report: SeedReport,
        limits: Limits,
        now: datetime,
    ) -> None:
        self.session = session
        self.doc = doc
        self.report = report
        self.limits = limits
        self.now = now
        self.orgs = {o.name: o for o in session.scalars(select(Organisation))}

    def outcome(self, kind: str) -> Outcome:
        return self.report.kinds[kind]

    # ------------------------------------------------------------------ directory

    def organisations(self) -> None:
        for spec in self.doc.organisations or ():
            if spec.name in self.orgs:
                self.outcome("organisations").unchanged.append(spec.name)
                continue
            org = directory.create_organisation(self.session, spec.name, spec.kind, commit=False)
            self.orgs[org.name] = org
            self.outcome("organisations").created.append(spec.name)

    def users(self) -> None:
        specs = self.doc.users or ()
        emails = [u.email for u in specs]
        existing: dict[str, User] = {}
        for chunk in _chunks(emails):
            existing.update(
                {
                    u.email: u
                    for u in self.session.scalars(select(User).where(User.email.in_(chunk)))
                }
            )
        for spec in specs:
            user = existing.get(spec.email)
            if user is None:
                password = spec.password or secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
                directory.create_user(
                    self.session, spec.email, spec.organisation, password, commit=False
                )
                if spec.password is None:
                    self.report.passwords[spec.email] = password
                self.outcome("users").created.append(spec.email)
                continue
            moved = user.organisation.name != spec.organisation
            new_password = spec.password is not None and not directory.has_password(
                user, spec.password
            )
            if not moved and not new_password:
                self.outcome("users").unchanged.append(spec.email)
                continue
            directory.update_user(
                self.session,
                user,
                org_name=spec.organisation if moved else None,
                password=spec.password if new_password else None,
                commit=False,
            )
            self.outcome("users").changed.append(spec.email)

    # ------------------------------------------------------------------ TLDs

    def tlds(self, stored: dict[str, Tld]) -> None:
        for spec in self.doc.tlds or ():
            tld = stored.get(spec.name)
            if tld is None:
                assert spec.operator is not None  # checked: a new TLD names its operator
                tld = directory.add_tld(
                    self.session, spec.name, spec.operator, spec.rsp, commit=False
                )
                self.outcome("tlds").created.append(spec.name)
            else:
                operator = spec.operator or tld.operator.name
                rsp = spec.rsp if spec.rsp_given else (tld.rsp.name if tld.rsp else None)
                moved = directory.set_parties(self.session, tld, operator, rsp, ACTOR, commit=False)
                (self.outcome("tlds").changed if moved else self.outcome("tlds").unchanged).append(
                    spec.name
                )
            self.entries(tld, spec)
            self.basic(tld, spec)
            self.scenario(tld, spec)

    def entries(self, tld: Tld, spec: TldSpec) -> None:
        if spec.entries is None:
            return
        current = {e.domain_name: (list(e.roles), list(e.ip_acl)) for e in tld.entries}
        wanted = {e.domain_name: (list(e.roles), list(e.ip_acl)) for e in spec.entries}
        if current == wanted:
            self.outcome("entries").unchanged.append(spec.name)
            return
        expected = tld.version
        event = cfg.load_entries(
            self.session, tld, spec.entries, expected, ACTOR, action="replace-entries"
        )
        if event is None:
            raise Conflict(expected, tld.version)
        self.outcome("entries").changed.append(spec.name)

    def basic(self, tld: Tld, spec: TldSpec) -> None:
        if spec.basic is None:
            return
        changed = False
        acl = spec.basic.ip_acl
        if acl is not None and list(tld.basic_ip_acl or []) != list(acl):
            cfg.set_basic_acl(
                self.session, tld, list(acl), tld.version, ACTOR, self.limits, commit=False
            )
            changed = True
        for kind, password in spec.basic.passwords.items():
            account = next((a for a in tld.accounts if a.kind == kind), None)
            if account is not None and check_password_hash(account.password_hash, password):
                continue
            cfg.set_password(self.session, tld, kind, password, tld.version, ACTOR, commit=False)
            changed = True
        (self.outcome("basic").changed if changed else self.outcome("basic").unchanged).append(
            spec.name
        )

    def scenario(self, tld: Tld, spec: TldSpec) -> None:
        if spec.scenario is None:
            return
        stored = scenarios.get(self.session, tld)
        if scenarios.unchanged_by(self.session, tld, spec.scenario, self.now):
            self.outcome("scenarios").unchanged.append(spec.name)
            return
        scenarios.save(self.session, tld, spec.scenario, SEED_ACTOR, now=self.now, commit=False)
        (self.outcome("scenarios").changed if stored else self.outcome("scenarios").created).append(
            spec.name
        )

    # ------------------------------------------------------------------ certificates

    def certificates(self, base_dir: Path | None, certs_dir: Path) -> list[_Cert]:
        spec = self.doc.certificates
        if spec is None:
            return []
        folder = Path(spec.folder).expanduser()
        if not folder.is_absolute():
            folder = (base_dir or Path.cwd()) / folder
        if folder.exists() and not folder.is_dir():
            raise Invalid([Finding("certificates.folder", f"{folder} is not a folder.")])
        harness: cw.Issuer | None = None
        if any(item.issuer == "harness" for item in spec.items):
            harness = workbench.harness_issuer(certs_dir)
        out: list[_Cert] = []
        for item in spec.items:
            paths = _Cert.paths_for(folder, item.name)
            kept = _kept_certificate(paths, item, harness, self.now)
            out.append(_Cert(item, paths, harness, kept, existed=any(p.exists() for p in paths)))
        return out

    def issuing_refusals(self, certs: list[_Cert]) -> list[Finding]:
        out: list[Finding] = []
        for cert in certs:
            if cert.kept is None and cert.spec.issuer == "harness":
                publisher = _publisher(self.session, self.orgs[cert.spec.organisation or ""])
                out += publisher.issuing_refusals(
                    [cert.spec.domain_name], f"{cert.spec.path}.organisation"
                )
        return out

    # ------------------------------------------------------------------ zone

    def zone_plan(self, certs: list[_Cert]) -> list[_NameChange]:
        """Per name the document lists (zone items, published certificates): the records to
        publish and the seed's own records there that the document no longer lists."""
        wanted: dict[str, list[_Wanted]] = {}
        for item in self.doc.zone or ():
            at = wanted.setdefault(item.name, [])
            at += [_Wanted(r, item.organisation, item.path, None) for r in item.records]
        for cert in certs:
            if cert.spec.publish:
                record = record_for(cert.kept, 3, 1, 1) if cert.kept is not None else None
                at = wanted.setdefault(cert.spec.domain_name, [])
                at.append(_Wanted(record, cert.spec.organisation or "", cert.spec.path, cert))
        plan: list[_NameChange] = []
        for name, items in wanted.items():
            rows = zone.records_at(self.session, name)
            present = {_row_key(r) for r in rows}
            listed = {_key(w.record) for w in items if w.record is not None}
            missing: list[_Wanted] = []
            for w in items:
                key = None if w.record is None else _key(w.record)
                if key is None or (key not in present and key not in {_key_of(m) for m in missing}):
                    missing.append(w)
            stale = [r for r in rows if r.created_by == SEED_ACTOR and _row_key(r) not in listed]
            plan.append(_NameChange(name, bool(rows), missing, stale))
        return plan

    def publishing_refusals(self, plan: list[_NameChange]) -> list[Finding]:
        out: list[Finding] = []
        for change in plan:
            for org, items in _by_organisation(change.missing).items():
                refusal = _publisher(self.session, self.orgs[org]).refusal(change.name)
                if refusal is not None:
                    out.append(Finding(f"{items[0].path}.organisation", refusal))
        return out

    def publish(self, plan: list[_NameChange]) -> None:
        for change in plan:
            for row in change.stale:
                zone.remove(
                    _publisher(self.session, row_org(self.session, row)), row.id, commit=False
                )
            for org, items in _by_organisation(change.missing).items():
                records = [w.current_record() for w in items]
                try:
                    zone.publish_records(
                        _publisher(self.session, self.orgs[org]), change.name, records, commit=False
                    )
                except Invalid as exc:
                    raise Invalid(
                        [Finding(items[0].path, f.message, f.severity) for f in exc.findings]
                    ) from exc
            outcome = self.outcome("zone")
            if not change.missing and not change.stale:
                outcome.unchanged.append(change.name)
            elif not change.had_records:
                outcome.created.append(change.name)
            else:
                outcome.changed.append(change.name)

    def make_certificates(self, certs: list[_Cert]) -> None:
        for cert in certs:
            outcome = self.outcome("certificates")
            if cert.kept is not None:
                outcome.unchanged.append(cert.spec.name)
                continue
            spec = cert.spec
            cert.made = cw.generate(
                spec.domain_name,
                spec.key_type,
                spec.issuer,
                cw.validity(spec.days, now=self.now),
                cert.harness,
            )
            (outcome.changed if cert.existed else outcome.created).append(spec.name)


# --------------------------------------------------------------------------- certificates


@dataclass
class _Cert:
    spec: CertificateSpec
    paths: tuple[Path, Path, Path]  # certificate (and chain), key, PKCS#12
    harness: cw.Issuer | None
    kept: x509.Certificate | None  # the existing certificate, still fit for the document
    existed: bool
    made: cw.Generated | None = None

    @staticmethod
    def paths_for(folder: Path, name: str) -> tuple[Path, Path, Path]:
        return folder / f"{name}.pem", folder / f"{name}.key", folder / f"{name}.p12"

    def files(self) -> list[tuple[Path, bytes, int]]:
        made = self.made
        assert made is not None
        chain = [made.certificate, *made.chain]
        return [
            (self.paths[0], pki.certs_pem(chain).data, 0o644),
            (self.paths[1], pki.key_pem(made.private_key).data, 0o600),
            (
                self.paths[2],
                cw.pkcs12_unencrypted(
                    made.private_key, made.certificate, made.chain, self.spec.name
                ),
                0o600,
            ),
        ]


def _kept_certificate(
    paths: tuple[Path, Path, Path],
    spec: CertificateSpec,
    harness: cw.Issuer | None,
    now: datetime,
) -> x509.Certificate | None:
    """The certificate already in the folder, if it is the one the document describes (same
    name, domain, key type and issuer, its key beside it) and valid for more than a day."""
    if not all(p.is_file() for p in paths):
        return None
    try:
        leaf = x509.load_pem_x509_certificates(paths[0].read_bytes())[0]
        key = serialization.load_pem_private_key(paths[1].read_bytes(), None)
    except (ValueError, TypeError, IndexError):
        return None
    if spki_der(leaf) != key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ):
        return None
    if spec.domain_name not in san_dns_names(leaf):
        return None
    if cw.key_type_of(leaf.public_key()) != spec.key_type:
        return None
    signer = harness.cert if spec.issuer == "harness" and harness is not None else leaf
    if leaf.issuer != signer.subject or not issued_by(leaf, signer):
        return None
    if not leaf.not_valid_before_utc <= now < leaf.not_valid_after_utc - KEEP_VALID_FOR:
        return None
    return leaf


def _stage(certs: list[_Cert]) -> list[tuple[str, Path]]:
    """Each new certificate's files as temporary files in their folder (renamed into place once
    the database has committed)."""
    staged: list[tuple[str, Path]] = []
    try:
        for cert in certs:
            if cert.made is None:
                continue
            for path, content, mode in cert.files():
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
                staged.append((tmp, path))
                with os.fdopen(fd, "wb") as fh:
                    os.fchmod(fh.fileno(), mode)
                    fh.write(content)
    except BaseException:
        _discard(staged)
        raise
    return staged


def _discard(staged: list[tuple[str, Path]]) -> None:
    for tmp, _ in staged:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _finish(staged: list[tuple[str, Path]]) -> list[Path]:
    for tmp, path in staged:
        os.replace(tmp, path)
    return [path for _, path in staged]


# --------------------------------------------------------------------------- zone


RecordKey = tuple[int, int, int, str]


def _key(record: TlsaRecord) -> RecordKey:
    return (record.usage, record.selector, record.matching_type, record.data_hex)


def _row_key(row: TlsaRecordRow) -> RecordKey:
    return (row.usage, row.selector, row.matching_type, row.data)


def _key_of(wanted: _Wanted) -> RecordKey | None:
    return None if wanted.record is None else _key(wanted.record)


def row_org(session: Session, row: TlsaRecordRow) -> Organisation:
    org = session.get(Organisation, row.organisation_id)
    assert org is not None
    return org


@dataclass
class _Wanted:
    """A record the document lists at a name; a new certificate's is known once it is made."""

    record: TlsaRecord | None
    organisation: str
    path: str
    cert: _Cert | None

    def current_record(self) -> TlsaRecord:
        if self.record is not None:
            return self.record
        assert self.cert is not None and self.cert.made is not None
        return record_for(self.cert.made.certificate, 3, 1, 1)


@dataclass
class _NameChange:
    name: str
    had_records: bool
    missing: list[_Wanted]
    stale: list[TlsaRecordRow]


def _by_organisation(items: list[_Wanted]) -> dict[str, list[_Wanted]]:
    out: dict[str, list[_Wanted]] = {}
    for item in items:
        out.setdefault(item.organisation, []).append(item)
    return out


# --------------------------------------------------------------------------- entry points


def apply(
    session: Session,
    document: Any,
    *,
    base_dir: Path | None = None,
    allow_certificates: bool = True,
    limits: Limits | None = None,
    certs_dir: Path | None = None,
    now: datetime | None = None,
) -> SeedReport:
    """Apply a seed document (its data as `core.seed.load_document` reads it, or a checked
    `SeedDocument`): everything or, with any error, nothing (Invalid with every finding at its
    path). `base_dir` is where a relative certificates folder starts (the seed file's folder;
    default the working directory); `certs_dir` holds the harness CA (default the setting)."""
    limits = limits or Limits()
    doc, findings = _checked(document, limits, allow_certificates)
    report = SeedReport(findings=findings)
    if certs_dir is None:
        from infra.config import certs_dir as configured

        certs_dir = configured()
    staged: list[tuple[str, Path]] = []
    try:
        applier = _Applier(session, doc, report, limits, now or utcnow())
        stored = _load_tlds(session, [t.name for t in doc.tlds or ()])
        errors = _database_errors(doc, applier.orgs, stored)
        if errors:
            raise Invalid(errors)
        applier.organisations()
        applier.users()
        applier.tlds(stored)
        session.flush()
        certs = applier.certificates(base_dir, certs_dir)
        plan = applier.zone_plan(certs)
        errors = applier.issuing_refusals(certs) + applier.publishing_refusals(plan)
        if errors:
            raise Invalid(errors)
        applier.make_certificates(certs)
        applier.publish(plan)
        staged = _stage(certs)
        session.commit()
    except BaseException:
        session.rollback()
        _discard(staged)
        raise
    report.certificates = _finish(staged)
    return report


def reset(
    session: Session, *, keep_users: Collection[str] = (), commit: bool = True
) -> ResetReport:
    """Empty every table of the harness's data: organisations, users and their API tokens,
    TLDs with their entries, Basic accounts and scenarios, the audit trail, the harness zone,
    the decision log, MoSAPI sessions, RRI submissions, maintenance windows, bulk uploads with
    their changes and allowances, the inbox and the outbox.

    Kept: the harness CA and server certificate (files, untouched); the registrars, the RRI
    mock's reference list that the migration fills and `tlsauth registrar` edits (a seed has no
    section for them); and the change counters, which are bumped instead (with `reset`, which
    tells the mocks that a TLD back at an old version number is not the TLD they cached).

    `keep_users` (emails) keeps those users with their organisations and API tokens: the ICANN
    staff member whose token asked for the reset over HTTP can seed next.

    With commit=False the reset stays in the caller's transaction: `apply` after it commits
    both, or (refusing its document) rolls both back."""
    emails = [directory.normalise_email(e) for e in keep_users]
    kept_users = list(session.scalars(select(User).where(User.email.in_(emails)))) if emails else []
    user_ids = [u.id for u in kept_users]
    org_ids = sorted({u.organisation_id for u in kept_users})
    partial = {
        "users": User.id.notin_(user_ids),
        "api_tokens": ApiToken.user_id.notin_(user_ids),
        "organisations": Organisation.id.notin_(org_ids),
    }
    removed: dict[str, int] = {}
    for table in reversed(Base.metadata.sorted_tables):
        if table.name in KEPT_TABLES:
            continue
        stmt = delete(table)
        if table.name in partial and user_ids:
            stmt = stmt.where(partial[table.name])
        removed[table.name] = session.execute(stmt).rowcount
    for counter in Counter:
        zone.bump_counter(session, counter)
    session.flush()
    # The deleted rows' objects must not answer for new rows that get their ids.
    session.expunge_all()
    if commit:
        session.commit()
    return ResetReport(removed, [u.email for u in kept_users])
