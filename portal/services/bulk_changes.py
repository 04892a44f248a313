"""What becomes of each TLD's part of a submitted bulk upload.

The registry operator accepts (loaded at once, against the configuration it was shown) or
objects (withdrawn, the RSP is told). Without an answer the change loads when the notice period
ends (`load_due`, run by `tlsauth bulk load-due`); ICANN staff can load or cancel by hand.
Loading a TLD is one transaction: the change's status, the TLD's new version and entries, and
a History event (channel `bulk`, with the upload's id). A change that would load over a
configuration edited since the upload was made is never loaded: it becomes `conflict`, and
both sides are told; the registry operator can still accept it, having seen the difference
against what it has now.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session, selectinload

from ..core.diff import describe_changes
from ..core.validation import Entry, Finding
from ..models import (
    OPEN_CHANGES,
    AuditEvent,
    BasicAccount,
    BulkTldChange,
    ChangeStatus,
    OrgKind,
    Tld,
    TlsClientAuthEntry,
    User,
    utcnow,
)
from .audit import Channel
from .bulk_uploads import (
    ACCEPTED_LOAD,
    CANCELLED,
    CONFLICT,
    LOADED,
    OBJECTED,
    Forbidden,
    history_event,
    operator_users,
)
from .configuration import Actor, changes_since, load_entries, snapshot_of
from .errors import Conflict, Invalid, NotFound
from .notifications import notify

MAX_NOTE = 1000
BATCH = 200  # TLD changes loaded per transaction by load_due


@dataclass
class Outcome:
    """What a load did: per status the TLDs, and the notices still to send."""

    loaded: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # answered meanwhile by someone else


def get_change(session: Session, user: User, upload_id: int, tld_name: str) -> BulkTldChange:
    """The upload's change for `tld_name`, if the user may see it (its RSP, ICANN staff, or the
    TLD's registry operator)."""
    change = session.scalar(
        select(BulkTldChange)
        .options(selectinload(BulkTldChange.upload))
        .where(
            BulkTldChange.upload_id == upload_id,
            BulkTldChange.tld == tld_name.strip().lower().lstrip("."),
        )
    )
    if change is None:
        raise NotFound("bulk change")
    org = user.organisation
    tld = session.get(Tld, change.tld_id)
    if tld is None:
        raise NotFound("bulk change")
    if org.kind == OrgKind.ICANN or change.upload.organisation_id == org.id:
        return change
    if tld.operator_id == org.id:
        return change
    raise NotFound("bulk change")


def _is_operator(session: Session, user: User, change: BulkTldChange) -> Tld:
    tld = session.get(Tld, change.tld_id)
    if tld is None or tld.operator_id != user.organisation_id:
        raise Forbidden(
            [Finding("tld", f"Only the registry operator of .{change.tld} can answer its change.")]
        )
    return tld


def _is_icann(user: User) -> None:
    if user.organisation.kind != OrgKind.ICANN:
        raise Forbidden([Finding("tld", "Only ICANN staff can load or cancel a bulk change.")])


def _must_be_open(change: BulkTldChange) -> None:
    if change.status not in OPEN_CHANGES:
        raise Invalid(
            [
                Finding(
                    "tld",
                    f"The bulk change for .{change.tld} is already {change.status}; "
                    "nothing is left to answer.",
                )
            ]
        )


def _claim(session: Session, change: BulkTldChange, status: str, now: datetime) -> bool:
    """Move the change from open to `status`; False if someone answered it meanwhile."""
    result = session.execute(
        update(BulkTldChange)
        .where(BulkTldChange.id == change.id, BulkTldChange.status.in_(OPEN_CHANGES))
        .values(status=status, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    change.status = status
    return True


def _entries(change: BulkTldChange) -> list[Entry]:
    return [Entry(e["domain_name"], tuple(e["roles"]), tuple(e["ip_acl"])) for e in change.entries]


class _Notices:
    """Notifications gathered during one transaction, sent as one message per organisation and
    kind of event."""

    def __init__(self) -> None:
        self.by_org: dict[tuple[int, str], list[BulkTldChange]] = defaultdict(list)

    def add(self, org_id: int, kind: str, change: BulkTldChange) -> None:
        self.by_org[(org_id, kind)].append(change)

    def send(self, session: Session, portal_url: str) -> None:
        users = operator_users(session, {org for org, _ in self.by_org})
        for (org_id, kind), changes in self.by_org.items():
            subject, body = _wording(kind, changes)
            first = changes[0]
            link = f"/tlds/{first.tld}" if len(changes) == 1 else f"/bulk/uploads/{first.upload_id}"
            notify(
                session,
                users.get(org_id, []),
                subject,
                body,
                link=link,
                upload_id=first.upload_id,
                portal_url=portal_url,
            )
        self.by_org.clear()


def _names(changes: list[BulkTldChange], limit: int = 20) -> str:
    shown = ", ".join(f".{c.tld}" for c in changes[:limit])
    return f"{shown} and {len(changes) - limit:,} more" if len(changes) > limit else shown


def _wording(kind: str, changes: list[BulkTldChange]) -> tuple[str, str]:
    upload = changes[0].upload
    number, rsp, names = upload.id, upload.organisation.name, _names(changes)
    short = _names(changes, 3)
    if kind == OBJECTED:
        notes = "; ".join(f".{c.tld}: {c.note}" for c in changes if c.note)
        return (
            f"Objection to bulk upload #{number} for {short}",
            f"The registry operator objected to bulk upload #{number} for {names}; that part of "
            f"the upload is withdrawn and will not load.{' Reason: ' + notes if notes else ''}",
        )
    if kind == CONFLICT:
        return (
            f"Bulk upload #{number} not loaded for {short}: configuration changed",
            f"Bulk upload #{number} from {rsp} was not loaded for {names}: the TLS client "
            "authentication data was changed after the upload was made, so loading it would "
            "overwrite those edits. It is flagged for review: the registry operator can accept "
            "it against the current configuration or object; ICANN staff can cancel it.",
        )
    if kind == CANCELLED:
        return (
            f"Bulk upload #{number} cancelled for {short}",
            f"ICANN staff cancelled bulk upload #{number} from {rsp} for {names}; it will not "
            "load.",
        )
    verb = "accepted and loaded" if kind == ACCEPTED_LOAD else "loaded"
    return (
        f"Bulk upload #{number} {verb} for {short}",
        f"Bulk upload #{number} from {rsp} was {verb} for {names}.",
    )


def _load_one(
    session: Session,
    change: BulkTldChange,
    *,
    expected_version: int,
    status: str,
    actor: Actor,
    notices: _Notices,
    now: datetime,
) -> str:
    """Inside the caller's transaction: load the change over version `expected_version`.
    Returns `status` when loaded, CONFLICT when the TLD has moved on, "" when someone else
    answered the change first."""
    if not _claim(session, change, status, now):
        return ""
    tld = session.get(Tld, change.tld_id)
    assert tld is not None
    event = load_entries(
        session,
        tld,
        _entries(change),
        expected_version,
        actor,
        action=ACCEPTED_LOAD if status == ChangeStatus.ACCEPTED else LOADED,
        bulk_upload_id=change.upload_id,
    )
    rsp_org = change.upload.organisation_id
    if event is None:
        change.status = ChangeStatus.CONFLICT
        change.note = (
            f"Not loaded: .{change.tld} was at version {change.base_version} when the upload "
            f"was made and is now at version {tld.version}."
        )
        change.lines = describe_changes(
            {"entries": [e.as_dict() for e in tld.entries]}, {"entries": change.entries}
        )
        history_event(
            session, change, CONFLICT, actor=actor.label, channel="bulk", note=change.note
        )
        notices.add(tld.operator_id, CONFLICT, change)
        notices.add(rsp_org, CONFLICT, change)
        return ChangeStatus.CONFLICT
    change.loaded_at, change.loaded_version = now, tld.version
    kind = ACCEPTED_LOAD if status == ChangeStatus.ACCEPTED else LOADED
    notices.add(rsp_org, kind, change)
    if status != ChangeStatus.ACCEPTED:
        notices.add(tld.operator_id, kind, change)
    return status


def accept(
    session: Session,
    user: User,
    change: BulkTldChange,
    *,
    expected_version: int,
    portal_url: str = "",
) -> BulkTldChange:
    """The registry operator accepts: the change loads at once over the configuration the
    operator was shown (`expected_version`). If the TLD changed while it looked, Conflict."""
    tld = _is_operator(session, user, change)
    _must_be_open(change)
    if tld.version != expected_version:
        raise Conflict(
            expected_version, tld.version, changes_since(session, tld, expected_version), tld
        )
    now = utcnow()
    notices = _Notices()
    change.decided_at, change.decided_by = now, user.email
    result = _load_one(
        session,
        change,
        expected_version=expected_version,
        status=ChangeStatus.ACCEPTED,
        actor=Actor(user.email, "bulk", user.id),
        notices=notices,
        now=now,
    )
    if result == "":
        session.rollback()
        session.refresh(change)
        _must_be_open(change)
    if result == ChangeStatus.CONFLICT:
        session.rollback()
        session.refresh(tld)
        raise Conflict(
            expected_version, tld.version, changes_since(session, tld, expected_version), tld
        )
    notices.send(session, portal_url)
    session.commit()
    return change


def object_to(
    session: Session,
    user: User,
    change: BulkTldChange,
    *,
    note: str,
    channel: Channel,
    portal_url: str = "",
) -> BulkTldChange:
    """The registry operator objects: the change is withdrawn and the RSP is told why."""
    _is_operator(session, user, change)
    return _close(session, user, change, ChangeStatus.OBJECTED, OBJECTED, note, channel, portal_url)


def cancel(
    session: Session,
    user: User,
    change: BulkTldChange,
    *,
    note: str,
    channel: Channel,
    portal_url: str = "",
) -> BulkTldChange:
    """ICANN staff withdraw a change; both sides are told."""
    _is_icann(user)
    return _close(
        session, user, change, ChangeStatus.CANCELLED, CANCELLED, note, channel, portal_url
    )


def _close(
    session: Session,
    user: User,
    change: BulkTldChange,
    status: str,
    action: str,
    note: str,
    channel: Channel,
    portal_url: str,
) -> BulkTldChange:
    _must_be_open(change)
    text = " ".join(str(note or "").split())
    if len(text) > MAX_NOTE:
        raise Invalid([Finding("note", f"Use at most {MAX_NOTE} characters.")])
    now = utcnow()
    if not _claim(session, change, status, now):
        session.rollback()
        session.refresh(change)
        _must_be_open(change)
    change.decided_at, change.decided_by, change.note = now, user.email, text or None
    history_event(
        session, change, action, actor=user.email, channel=channel, user_id=user.id, note=text
    )
    notices = _Notices()
    tld = session.get(Tld, change.tld_id)
    notices.add(change.upload.organisation_id, action, change)
    if status == ChangeStatus.CANCELLED and tld is not None:
        notices.add(tld.operator_id, action, change)
    notices.send(session, portal_url)
    session.commit()
    return change


def load_now(
    session: Session, user: User, change: BulkTldChange, *, channel: Channel, portal_url: str = ""
) -> BulkTldChange:
    """ICANN staff load a change before its notice period ends. Like the end of the notice
    period, it never loads over a configuration edited since the upload: that is a conflict."""
    _is_icann(user)
    _must_be_open(change)
    if change.status == ChangeStatus.CONFLICT:
        raise Invalid(
            [
                Finding(
                    "tld",
                    f".{change.tld} changed after the upload was made; only its registry "
                    "operator can accept the change now (or ICANN staff cancel it).",
                )
            ]
        )
    now = utcnow()
    notices = _Notices()
    change.decided_at, change.decided_by = now, user.email
    result = _load_one(
        session,
        change,
        expected_version=change.base_version,
        status=ChangeStatus.LOADED,
        actor=Actor(user.email, "bulk", user.id),
        notices=notices,
        now=now,
    )
    if result == "":
        session.rollback()
        session.refresh(change)
        _must_be_open(change)
    notices.send(session, portal_url)
    session.commit()
    return change


def due(session: Session, now: datetime) -> list[int]:
    """The ids of the pending changes whose notice period has ended, oldest first."""
    return list(
        session.scalars(
            select(BulkTldChange.id)
            .where(BulkTldChange.status == ChangeStatus.PENDING, BulkTldChange.due_at <= now)
            .order_by(BulkTldChange.due_at, BulkTldChange.id)
        )
    )


def _load_batch(
    session: Session, changes: list[BulkTldChange], actor: Actor, now: datetime, notices: _Notices
) -> tuple[list[str], list[BulkTldChange]]:
    """Load, inside the caller's transaction, the pending changes whose TLD is still at the
    version the upload saw: the same rows and History events as `load_entries`, written a
    batch at a time. Returns the TLDs loaded and the changes left for the one-by-one path
    (conflicts, and any answered meanwhile)."""
    if not changes:
        return [], []
    ids = [c.id for c in changes]
    # Writing first takes the write lock (SQLite) before anything is read.
    claimed = session.execute(
        update(BulkTldChange)
        .where(BulkTldChange.id.in_(ids), BulkTldChange.status == ChangeStatus.PENDING)
        .values(status=ChangeStatus.LOADED, updated_at=now, loaded_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != len(ids):
        session.rollback()
        return [], changes
    tld_rows = {
        row.id: row
        for row in session.execute(
            select(Tld.id, Tld.version, Tld.basic_ip_acl, Tld.operator_id)
            .where(Tld.id.in_([c.tld_id for c in changes]))
            .with_for_update()
        )
    }
    ready = [c for c in changes if (r := tld_rows.get(c.tld_id)) and r.version == c.base_version]
    rest = [c for c in changes if c not in ready]
    if rest:
        session.execute(
            update(BulkTldChange)
            .where(BulkTldChange.id.in_([c.id for c in rest]))
            .values(status=ChangeStatus.PENDING, loaded_at=None)
            .execution_options(synchronize_session=False)
        )
    if not ready:
        return [], rest
    tld_ids = [c.tld_id for c in ready]
    current: dict[int, list[Any]] = defaultdict(list)
    for row in session.execute(
        select(
            TlsClientAuthEntry.id,
            TlsClientAuthEntry.tld_id,
            TlsClientAuthEntry.domain_name,
            TlsClientAuthEntry.roles,
            TlsClientAuthEntry.ip_acl,
        )
        .where(TlsClientAuthEntry.tld_id.in_(tld_ids))
        .order_by(TlsClientAuthEntry.tld_id, TlsClientAuthEntry.id)
    ):
        current[row.tld_id].append(row)
    accounts: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    for row in session.execute(
        select(BasicAccount.tld_id, BasicAccount.username, BasicAccount.password_set_at)
        .where(BasicAccount.tld_id.in_(tld_ids))
        .order_by(BasicAccount.tld_id, BasicAccount.kind)
    ):
        accounts[row.tld_id].append((row.username, row.password_set_at))
    deletes: list[int] = []
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    versions: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    loaded: list[dict[str, Any]] = []
    for change in ready:
        rows = current.get(change.tld_id, [])
        wanted = {e["domain_name"]: e for e in change.entries}
        old = {r.domain_name: r for r in rows}
        kept: list[dict[str, Any]] = []
        for r in rows:
            new = wanted.get(r.domain_name)
            if new is None:
                deletes.append(r.id)
                continue
            kept.append(new)
            if list(r.roles) != new["roles"] or list(r.ip_acl) != new["ip_acl"]:
                updates.append(
                    {
                        "b_id": r.id,
                        "roles": new["roles"],
                        "ip_acl": new["ip_acl"],
                        "updated_at": now,
                    }
                )
        added = [e for e in change.entries if e["domain_name"] not in old]
        inserts += [
            {**e, "tld_id": change.tld_id, "created_at": now, "updated_at": now} for e in added
        ]
        base = tld_rows[change.tld_id]
        version = change.base_version + 1
        versions.append({"b_id": change.tld_id, "b_base": change.base_version, "version": version})
        before = [
            {"domain_name": r.domain_name, "roles": r.roles, "ip_acl": r.ip_acl} for r in rows
        ]
        events.append(
            {
                "created_at": now,
                "tld_id": change.tld_id,
                "user_id": actor.user_id,
                "actor": actor.label,
                "channel": "bulk",
                "action": LOADED,
                "version_after": version,
                "before": snapshot_of(before, base.basic_ip_acl, accounts[change.tld_id]),
                "after": snapshot_of(kept + added, base.basic_ip_acl, accounts[change.tld_id]),
                "bulk_upload_id": change.upload_id,
            }
        )
        loaded.append({"b_id": change.id, "loaded_version": version})
        notices.add(change.upload.organisation_id, LOADED, change)
        notices.add(base.operator_id, LOADED, change)
    entry_table, tld_table = TlsClientAuthEntry.__table__, Tld.__table__
    change_table = BulkTldChange.__table__
    if deletes:
        session.execute(delete(entry_table).where(entry_table.c.id.in_(deletes)))
    if updates:
        session.execute(
            update(entry_table)
            .where(entry_table.c.id == bindparam("b_id"))
            .values(roles=bindparam("roles"), ip_acl=bindparam("ip_acl"), updated_at=now),
            updates,
        )
    if inserts:
        session.execute(insert(entry_table), inserts)
    result = session.execute(
        update(tld_table)
        .where(tld_table.c.id == bindparam("b_id"), tld_table.c.version == bindparam("b_base"))
        .values(version=bindparam("version"), updated_at=now),
        versions,
    )
    if result.rowcount not in (-1, len(versions)):  # the rows are locked: cannot happen
        raise RuntimeError("a TLD's version moved while its bulk change was loading")
    session.execute(insert(AuditEvent.__table__), events)
    session.execute(
        update(change_table)
        .where(change_table.c.id == bindparam("b_id"))
        .values(loaded_version=bindparam("loaded_version")),
        loaded,
    )
    return [c.tld for c in ready], rest


def load_due(
    session: Session,
    *,
    now: datetime | None = None,
    actor: str = "notice period ended",
    portal_url: str = "",
) -> Outcome:
    """Load every pending change whose notice period has ended, BATCH TLDs per transaction
    (each TLD atomic; a conflict never blocks the others)."""
    now = now or utcnow()
    outcome = Outcome()
    ids = due(session, now)
    who = Actor(actor, "bulk")
    for start in range(0, len(ids), BATCH):
        notices = _Notices()
        changes = session.scalars(
            select(BulkTldChange)
            .options(selectinload(BulkTldChange.upload))
            .where(BulkTldChange.id.in_(ids[start : start + BATCH]))
            .order_by(BulkTldChange.id)
        )
        loaded, rest = _load_batch(session, list(changes), who, now, notices)
        outcome.loaded += loaded
        for change in rest:
            result = _load_one(
                session,
                change,
                expected_version=change.base_version,
                status=ChangeStatus.LOADED,
                actor=who,
                notices=notices,
                now=now,
            )
            {ChangeStatus.LOADED: outcome.loaded, ChangeStatus.CONFLICT: outcome.conflicts}.get(
                result, outcome.skipped
            ).append(change.tld)
        notices.send(session, portal_url)
        session.commit()
    return outcome
