"""Organisations, users and TLDs: creation (CLI, demo, import) and the access-filtered TLD list."""

from __future__ import annotations

import contextlib
import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select, true
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..core.access import can_manage
from ..core.roles import sort_roles
from ..core.validation import (
    Finding,
    validate_email,
    validate_tld_name,
    validate_user_password,
)
from ..models import AuditEvent, Organisation, OrgKind, Tld, TlsClientAuthEntry, User, as_utc
from .audit import SET_PARTIES
from .configuration import Actor
from .errors import Invalid, NotFound

# A well-formed hash to compare against when the account does not exist, so a failed
# login costs the same whether or not the email is known.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def _done(session: Session, commit: bool) -> None:
    """Commit, or (inside a caller's transaction) only flush so the new row has its id."""
    if commit:
        session.commit()
    else:
        session.flush()


# --------------------------------------------------------------------------- organisations


def create_organisation(
    session: Session, name: str, kind: str, *, commit: bool = True
) -> Organisation:
    name = name.strip()
    if not name:
        raise Invalid([Finding("name", "Enter the organisation's name.")])
    if kind not in {k.value for k in OrgKind}:
        raise Invalid([Finding("kind", "Kind must be registry-operator, rsp or icann.")])
    if session.scalar(select(Organisation).where(Organisation.name == name)):
        raise Invalid([Finding("name", f"An organisation named “{name}” already exists.")])
    org = Organisation(name=name, kind=kind)
    session.add(org)
    _done(session, commit)
    return org


def get_organisation(session: Session, name: str) -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.name == name.strip()))
    if org is None:
        raise NotFound(f"organisation “{name}”")
    return org


# --------------------------------------------------------------------------- users


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(
    session: Session, email: str, org_name: str, password: str, *, commit: bool = True
) -> User:
    checked = validate_email(email)
    problems = [*checked.errors, *validate_user_password(password)]
    if problems or checked.value is None:
        raise Invalid(problems)
    email = checked.value
    org = get_organisation(session, org_name)
    if session.scalar(select(User).where(User.email == email)):
        raise Invalid([Finding("email", f"A user {email} already exists.")])
    user = User(email=email, organisation_id=org.id, password_hash=generate_password_hash(password))
    session.add(user)
    _done(session, commit)
    return user


def update_user(
    session: Session,
    user: User,
    *,
    org_name: str | None = None,
    password: str | None = None,
    commit: bool = True,
) -> User:
    """Move the user to another organisation and/or give them a new password."""
    problems = [] if password is None else validate_user_password(password)
    if problems:
        raise Invalid(problems)
    if org_name is not None:
        org = get_organisation(session, org_name)
        user.organisation_id, user.organisation = org.id, org
    if password is not None:
        user.password_hash = generate_password_hash(password)
    _done(session, commit)
    return user


def has_password(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password)


def get_user(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise NotFound(f"user {email}")
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not user.active or not check_password_hash(user.password_hash, password):
        return None
    return user


# --------------------------------------------------------------------------- TLDs


def normalise_tld(raw: str) -> str:
    """A TLD label as an A-label (validated as the last label of a name)."""
    checked = validate_tld_name(raw)
    if checked.value is None:
        raise Invalid(checked.errors)
    return checked.value


def _parties(
    session: Session, operator: str, rsp: str | None
) -> tuple[Organisation, Organisation | None]:
    op = get_organisation(session, operator)
    rsp_org = get_organisation(session, rsp) if rsp else None
    if rsp_org is not None and rsp_org.kind != OrgKind.RSP:
        raise Invalid([Finding("rsp", f"“{rsp_org.name}” is not an RSP organisation.")])
    return op, rsp_org


def add_tld(
    session: Session, name: str, operator: str, rsp: str | None = None, *, commit: bool = True
) -> Tld:
    tld_name = normalise_tld(name)
    op, rsp_org = _parties(session, operator, rsp)
    if session.scalar(select(Tld).where(Tld.name == tld_name)):
        raise Invalid([Finding("tld", f".{tld_name} already exists.")])
    # Empty collections, known to be empty: a caller adding entries in the same transaction
    # reads no lazy load.
    tld = Tld(
        name=tld_name,
        operator_id=op.id,
        rsp_id=rsp_org.id if rsp_org else None,
        entries=[],
        accounts=[],
    )
    session.add(tld)
    _done(session, commit)
    return tld


def set_parties(
    session: Session,
    tld: Tld,
    operator: str,
    rsp: str | None,
    actor: Actor,
    *,
    commit: bool = True,
) -> AuditEvent | None:
    """Give the TLD another registry operator or RSP of record (None: no RSP), recorded in its
    History; None when both are already so. Changes no version: the mocks' policy has neither."""
    op, rsp_org = _parties(session, operator, rsp)
    before = {"operator": tld.operator.name, "rsp": tld.rsp.name if tld.rsp else None}
    after = {"operator": op.name, "rsp": rsp_org.name if rsp_org else None}
    if before == after:
        return None
    tld.operator_id, tld.operator = op.id, op
    tld.rsp_id, tld.rsp = (rsp_org.id, rsp_org) if rsp_org else (None, None)
    event = AuditEvent(
        tld_id=tld.id,
        user_id=actor.user_id,
        actor=actor.label,
        channel=actor.channel,
        action=SET_PARTIES,
        version_after=None,
        before=before,
        after=after,
    )
    session.add(event)
    _done(session, commit)
    return event


@dataclass
class ImportResult:
    tlds_added: int
    tlds_existing: int
    operators_added: int


def import_gtlds(session: Session, text: str) -> ImportResult:
    """Load the gtlds.csv format (tld, registry_operator, kind); existing TLDs are kept."""
    reader = csv.DictReader(io.StringIO(text))
    missing = {"tld", "registry_operator"} - set(reader.fieldnames or [])
    if missing:
        raise Invalid(
            [
                Finding(
                    "file",
                    f"Missing column(s) {', '.join(sorted(missing))}; "
                    "expected tld,registry_operator,kind.",
                )
            ]
        )
    rows: list[tuple[int, str, str]] = []
    problems: list[Finding] = []
    for row in reader:
        # The file's line (where the record ends), not the record count: the reader skips
        # blank lines and a quoted field may span lines.
        line_no = reader.line_num
        try:
            tld = normalise_tld(row.get("tld") or "")
        except Invalid as exc:
            problems.append(Finding(f"line {line_no}", exc.findings[0].message))
            continue
        operator = (row.get("registry_operator") or "").strip()
        if not operator:
            problems.append(Finding(f"line {line_no}", "The registry_operator column is empty."))
            continue
        rows.append((line_no, tld, operator))
    if problems:
        raise Invalid(problems)
    orgs = {o.name: o for o in session.scalars(select(Organisation))}
    existing = set(session.scalars(select(Tld.name)))
    added_orgs = added_tlds = 0
    for _, tld, operator in rows:
        org = orgs.get(operator)
        if org is None:
            org = Organisation(name=operator, kind=OrgKind.REGISTRY_OPERATOR.value)
            session.add(org)
            session.flush()
            orgs[operator] = org
            added_orgs += 1
        elif org.kind == OrgKind.ICANN:
            raise Invalid([Finding("registry_operator", f"“{operator}” is an ICANN organisation.")])
        if tld in existing:
            continue
        session.add(Tld(name=tld, operator_id=org.id))
        existing.add(tld)
        added_tlds += 1
    session.commit()
    return ImportResult(added_tlds, len(rows) - added_tlds, added_orgs)


# --------------------------------------------------------------------------- access


def visible_clause(user: User) -> ColumnElement[bool]:
    org = user.organisation
    if org.kind == OrgKind.ICANN:
        return true()
    return or_(Tld.operator_id == org.id, Tld.rsp_id == org.id)


def tld_for_user(session: Session, user: User, name: str) -> Tld:
    """The TLD if the user may manage it; NotFound otherwise (no leak of which TLDs exist)."""
    try:
        tld_name = normalise_tld(name)
    except Invalid as exc:
        raise NotFound("TLD") from exc
    tld = session.scalar(select(Tld).where(Tld.name == tld_name))
    org = user.organisation
    if tld is None or not can_manage(org.kind, org.id, tld.operator_id, tld.rsp_id):
        raise NotFound("TLD")
    return tld


@dataclass
class TldRow:
    name: str
    operator: str
    rsp: str | None
    entry_count: int
    roles: list[str]
    version: int
    updated_at: datetime | None


@dataclass
class TldPage:
    rows: list[TldRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _search_clause(query: str) -> ColumnElement[bool] | None:
    q = query.strip().lower().lstrip(".")
    if not q:
        return None
    if not q.isascii():
        with contextlib.suppress(Invalid):
            q = normalise_tld(q)
    # Escape LIKE wildcards so a user's "_" or "%" matches literally.
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    operator_match = select(Organisation.id).where(
        func.lower(Organisation.name).like(pattern, escape="\\")
    )
    return or_(Tld.name.like(pattern, escape="\\"), Tld.operator_id.in_(operator_match))


def list_tlds(
    session: Session, user: User, query: str = "", page: int = 1, per_page: int = 50
) -> TldPage:
    per_page = max(1, min(per_page, 200))
    clause = visible_clause(user)
    search = _search_clause(query)
    if search is not None:
        clause = clause & search
    total = session.scalar(select(func.count(Tld.id)).where(clause)) or 0
    page = max(1, min(page, max(1, -(-total // per_page))))
    counts = (
        select(TlsClientAuthEntry.tld_id, func.count(TlsClientAuthEntry.id).label("n"))
        .group_by(TlsClientAuthEntry.tld_id)
        .subquery()
    )
    stmt: Select[Any] = (
        select(Tld, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.tld_id == Tld.id)
        .where(clause)
        .order_by(Tld.name)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    found = session.execute(stmt).unique().all()
    ids = [tld.id for tld, _ in found]
    roles: dict[int, set[str]] = {i: set() for i in ids}
    if ids:
        for tld_id, entry_roles in session.execute(
            select(TlsClientAuthEntry.tld_id, TlsClientAuthEntry.roles).where(
                TlsClientAuthEntry.tld_id.in_(ids)
            )
        ):
            roles[tld_id].update(entry_roles)
    rows = [
        TldRow(
            name=tld.name,
            operator=tld.operator.name,
            rsp=tld.rsp.name if tld.rsp else None,
            entry_count=int(n),
            roles=sort_roles(roles[tld.id]),
            version=tld.version,
            updated_at=as_utc(tld.updated_at),
        )
        for tld, n in found
    ]
    return TldPage(rows, total, page, per_page)
