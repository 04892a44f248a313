"""RSP bulk uploads: receive a file, check it in full, preview it, and on an attested submit
stage one pending change per TLD and notify each TLD's registry operator.

The file's rules live in portal.core.bulk; this module adds who may upload which TLD, the
one-time rule, and what is stored. A submitted upload is final: its file, SHA-256 and
attestation never change (the model refuses it). What happens to each TLD's change afterwards
(accepted, objected, loaded, conflict, cancelled) is in `bulk_changes`.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ..core import bulk
from ..core.diff import describe_changes
from ..core.validation import Finding, Limits
from ..models import (
    OPEN_CHANGES,
    AuditEvent,
    BulkAllowance,
    BulkTldChange,
    BulkUpload,
    ChangeStatus,
    Organisation,
    OrgKind,
    Tld,
    TlsClientAuthEntry,
    UploadStatus,
    User,
    as_utc,
    utcnow,
)
from .audit import Channel
from .errors import Invalid, NotFound
from .notifications import notify

log = logging.getLogger(__name__)

STATEMENT = (
    "I attest that the registry operator of every TLD listed in this file has authorized "
    "{rsp} to provide the TLS client authentication data in it to ICANN on the operator's "
    "behalf, and that the file is that data."
)
MAX_ATTESTER = 200
# What a JSON body sent to POST /api/v1/bulk-uploads holds beside the file's "entries".
API_REQUEST_FIELDS = ("attest", "attest_name", "attest_title", "dry_run")
PROGRESS_EVERY = 250  # rows (or TLDs) between two progress updates of the upload row
# History actions of the bulk process; only LOADED changes a TLD's version.
STAGED, ACCEPTED_LOAD, LOADED, OBJECTED, CONFLICT, CANCELLED = (
    "bulk-staged",
    "bulk-accepted",
    "bulk-loaded",
    "bulk-objected",
    "bulk-conflict",
    "bulk-cancelled",
)


def statement(rsp_name: str) -> str:
    """The attestation's text, as shown beside the tick box and stored with the upload."""
    return STATEMENT.format(rsp=rsp_name)


class Forbidden(Invalid):
    """The user may not do this (not an RSP, not this upload's organisation, not ICANN staff)."""


def _refuse(field: str, message: str) -> Forbidden:
    return Forbidden([Finding(field, message)])


def _is_icann(user: User) -> bool:
    return user.organisation.kind == OrgKind.ICANN


# --------------------------------------------------------------------------- upload and check


def create_upload(
    session: Session,
    user: User,
    data: bytes,
    *,
    filename: str,
    content_type: str = "",
    channel: Channel,
    max_bytes: int,
) -> BulkUpload:
    """Store the file as received, to be checked (`check_upload`). A file over the limit is
    refused here and never stored."""
    if user.organisation.kind != OrgKind.RSP:
        raise _refuse(
            "file",
            "Only an RSP's users can make a bulk upload; registry operators edit their "
            "TLDs on each TLD's page.",
        )
    if len(data) > max_bytes:
        raise Invalid(
            [Finding("file", bulk.parse_bulk(data, max_bytes=max_bytes).errors[0].message)]
        )
    upload = BulkUpload(
        organisation_id=user.organisation_id,
        user_id=user.id,
        uploaded_by=user.email,
        channel=channel,
        filename=(filename or "upload")[-255:],
        content_type=(content_type or "")[:100],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        file=data,
        status=UploadStatus.CHECKING,
        phase="Waiting to be checked",
    )
    session.add(upload)
    session.commit()
    return upload


def _progress(session: Session, upload: BulkUpload, phase: str) -> Callable[[int, int], None]:
    """A progress callback that records (done, total) on the upload, in its own commit."""

    def report(done: int, total: int) -> None:
        session.execute(
            update(BulkUpload)
            .where(BulkUpload.id == upload.id)
            .values(phase=phase, done=done, total=total)
        )
        session.commit()

    return report


def _tld_index(session: Session) -> dict[str, tuple[int, int | None]]:
    """Every TLD's name → (id, RSP of record's organisation id)."""
    return {
        name: (tid, rsp) for tid, name, rsp in session.execute(select(Tld.id, Tld.name, Tld.rsp_id))
    }


def current_entries(session: Session, tld_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """Per TLD id its entry objects, in the order the TLD page shows them."""
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    ids = list(tld_ids)
    for start in range(0, len(ids), 500):
        rows = session.scalars(
            select(TlsClientAuthEntry)
            .where(TlsClientAuthEntry.tld_id.in_(ids[start : start + 500]))
            .order_by(TlsClientAuthEntry.tld_id, TlsClientAuthEntry.id)
        )
        for row in rows:
            out[row.tld_id].append(row.as_dict())
    return out


def tlds_named(session: Session, names: Sequence[str]) -> dict[str, Tld]:
    out: dict[str, Tld] = {}
    for start in range(0, len(names), 500):
        for tld in session.scalars(select(Tld).where(Tld.name.in_(names[start : start + 500]))):
            out[tld.name] = tld
    return out


def open_changes(session: Session, tld_ids: Iterable[int]) -> dict[int, BulkTldChange]:
    """The TLDs among `tld_ids` that have a bulk change still open (pending or conflict)."""
    ids = list(tld_ids)
    out: dict[int, BulkTldChange] = {}
    for start in range(0, len(ids), 500):
        for change in session.scalars(
            select(BulkTldChange).where(
                BulkTldChange.tld_id.in_(ids[start : start + 500]),
                BulkTldChange.status.in_(OPEN_CHANGES),
            )
        ):
            out[change.tld_id] = change
    return out


def _still_open(tlds: Sequence[str], changes: dict[str, BulkTldChange]) -> list[Finding]:
    out = []
    for name in tlds:
        change = changes.get(name)
        if change is not None:
            out.append(
                bulk.BulkFinding(
                    "tld",
                    f".{name} still has a bulk change open from upload #{change.upload_id} "
                    f"({change.status}); it must be loaded, objected to or cancelled by ICANN "
                    "staff before another upload can include this TLD.",
                )
            )
    return out


def _preview_rows(preview: bulk.Preview) -> list[dict[str, Any]]:
    return [
        {
            "tld": t.tld,
            "added": len(t.added),
            "removed": len(t.removed),
            "changed": len(t.changed),
            "unchanged": t.unchanged,
            "lines": list(t.lines),
            "access_gained": len(t.access.gained),
            "access_lost": len(t.access.lost),
        }
        for t in preview.tlds
    ]


def check_upload(session: Session, upload: BulkUpload, limits: Limits) -> BulkUpload:
    """Read, check and preview the stored file, recording progress on the upload as it goes;
    it ends `ready` (with its plan and preview) or `invalid` (with every finding). Meant to
    run off the request (the portal runs it in a thread and the page polls the upload)."""
    try:
        org_id = upload.organisation_id
        parsed = bulk.parse_bulk(
            upload.file,
            filename=upload.filename,
            content_type=upload.content_type,
            max_bytes=max(upload.size, 1),
            other_keys=API_REQUEST_FIELDS if upload.channel == "api" else (),
        )
        index = _tld_index(session)
        mine = {name for name, (_, rsp) in index.items() if rsp == org_id}
        checked = bulk.validate_bulk(
            parsed,
            index,
            mine,
            limits,
            progress=_progress(session, upload, "Checking rows"),
        )
        findings = list(checked.findings)
        plan = checked.value
        if plan is not None:
            ids = {name: index[name][0] for name in plan.tlds}
            busy = open_changes(session, ids.values())
            by_name = {c.tld: c for c in busy.values()}
            findings += _still_open(plan.tlds, by_name)
        upload.format = parsed.format
        upload.findings = [
            f.as_dict() if isinstance(f, bulk.BulkFinding) else _as_dict(f) for f in findings
        ]
        if plan is None or any(f.severity == "error" for f in findings):
            upload.status, upload.phase = UploadStatus.INVALID, "Refused"
            session.commit()
            return upload
        current = current_entries(session, ids.values())
        preview = bulk.preview(
            plan,
            {name: current.get(tid, []) for name, tid in ids.items()},
            progress=_progress(session, upload, "Comparing with the current configuration"),
        )
        upload.plan = plan.documents()
        upload.totals = asdict(preview.totals)
        upload.preview = _preview_rows(preview)
        upload.status, upload.phase = UploadStatus.READY, "Checked"
        session.commit()
        return upload
    except Exception as exc:  # the page must learn that the work stopped, not poll for ever
        session.rollback()
        log.exception("checking bulk upload %s failed", upload.id)
        session.execute(
            update(BulkUpload)
            .where(BulkUpload.id == upload.id)
            .values(
                status=UploadStatus.FAILED,
                phase="Stopped",
                error=f"{type(exc).__name__}: {exc}"[:2000],
            )
        )
        session.commit()
        session.refresh(upload)
        return upload


def _as_dict(f: Finding) -> dict[str, Any]:
    return {
        "line": None,
        "entry": None,
        "column": f.field,
        "message": f.message,
        "severity": f.severity,
    }


# --------------------------------------------------------------------------- one-time rule


@dataclass(frozen=True)
class Allowance:
    """How many uploads the RSP may submit, how many it has, and its last one."""

    allowed: int
    used: int
    last: BulkUpload | None

    @property
    def may_submit(self) -> bool:
        return self.used < self.allowed


def allowance(session: Session, organisation_id: int) -> Allowance:
    granted = (
        session.scalar(
            select(func.count())
            .select_from(BulkAllowance)
            .where(BulkAllowance.organisation_id == organisation_id)
        )
        or 0
    )
    last = session.scalar(
        select(BulkUpload)
        .where(BulkUpload.organisation_id == organisation_id, BulkUpload.sequence.is_not(None))
        .order_by(BulkUpload.sequence.desc())
        .limit(1)
    )
    return Allowance(1 + granted, last.sequence if last and last.sequence else 0, last)


def _one_time_refusal(rule: Allowance) -> Forbidden:
    last = rule.last
    when = f" on {as_utc(last.submitted_at):%Y-%m-%d}" if last and last.submitted_at else ""
    number = f" (#{last.id}{when})" if last else ""
    return _refuse(
        "file",
        f"Your organisation has already submitted its bulk upload{number}. An RSP has one bulk "
        "upload that can be loaded; ICANN staff can allow another.",
    )


def allow_another(
    session: Session, organisation: Organisation, actor: User, note: str = ""
) -> BulkAllowance:
    """ICANN staff let an RSP submit one more bulk upload."""
    if not _is_icann(actor):
        raise _refuse("organisation", "Only ICANN staff can allow another bulk upload.")
    if organisation.kind != OrgKind.RSP:
        raise Invalid([Finding("organisation", f"{organisation.name} is not an RSP.")])
    grant = BulkAllowance(organisation_id=organisation.id, granted_by=actor.email, note=note[:500])
    session.add(grant)
    session.commit()
    return grant


# --------------------------------------------------------------------------- submit


def history_event(
    session: Session,
    change: BulkTldChange,
    action: str,
    *,
    actor: str,
    channel: Channel,
    user_id: int | None = None,
    note: str = "",
) -> AuditEvent:
    """A History event of the bulk process that changes no version (staged, objected,
    conflict, cancelled): what happened, by whom, and the change's sentences."""
    upload = change.upload
    event = AuditEvent(
        tld_id=change.tld_id,
        user_id=user_id,
        actor=actor,
        channel=channel,
        action=action,
        version_after=None,
        before=None,
        after={
            "bulk": {
                "upload": upload.id,
                "rsp": upload.organisation.name,
                "status": change.status,
                "due": as_utc(change.due_at).isoformat() if change.due_at else None,  # type: ignore[union-attr]
                "base_version": change.base_version,
                "note": note,
                "lines": list(change.lines),
            }
        },
        bulk_upload_id=upload.id,
    )
    session.add(event)
    return event


def operator_users(session: Session, organisation_ids: Iterable[int]) -> dict[int, list[User]]:
    """Per organisation id its active users."""
    ids = set(organisation_ids)
    out: dict[int, list[User]] = defaultdict(list)
    if ids:
        for user in session.scalars(
            select(User).where(User.organisation_id.in_(ids), User.active.is_(True))
        ):
            out[user.organisation_id].append(user)
    return out


def _tld_list(names: Sequence[str], limit: int = 20) -> str:
    shown = ", ".join(f".{n}" for n in names[:limit])
    return f"{shown} and {len(names) - limit:,} more" if len(names) > limit else shown


@dataclass(frozen=True)
class Staging:
    """An attested submit that passed every check and claimed its upload: `stage` it next."""

    upload_id: int
    user_id: int
    attester: dict[str, str]
    notice_days: int
    portal_url: str
    now: datetime
    sequence: int


def begin_submit(
    session: Session,
    upload: BulkUpload,
    user: User,
    *,
    attest: Any,
    name: Any,
    title: Any,
    notice_days: int,
    portal_url: str = "",
    now: datetime | None = None,
) -> Staging:
    """Check the attestation, the one-time rule and that every TLD of the file may still be
    staged, then claim the upload (`staging`): of two submits at once only one gets here.
    Refusals raise Invalid (Forbidden for the one-time rule) and leave the upload ready."""
    if upload.organisation_id != user.organisation_id:
        raise NotFound("bulk upload")
    if upload.status != UploadStatus.READY:
        raise Invalid(
            [
                Finding(
                    "file",
                    f"This upload is {upload.status}; only a checked upload that is ready "
                    "can be submitted.",
                )
            ]
        )
    problems = []
    if attest not in (True, "y", "yes", "on", "true", "1", 1):
        problems.append(
            Finding(
                "attest",
                "Tick the attestation: the registry operator of every listed TLD must "
                "have authorized this upload.",
            )
        )
    clean: dict[str, str] = {}
    for field, value, label in (
        ("attest_name", name, "your full name"),
        ("attest_title", title, "your title (job role)"),
    ):
        text = " ".join(str(value or "").split())
        if not text:
            problems.append(Finding(field, f"Enter {label}."))
        elif len(text) > MAX_ATTESTER:
            problems.append(Finding(field, f"Use at most {MAX_ATTESTER} characters."))
        clean[field] = text
    if problems:
        raise Invalid(problems)
    rule = allowance(session, user.organisation_id)
    if not rule.may_submit:
        raise _one_time_refusal(rule)
    plan: dict[str, list[dict[str, Any]]] = upload.plan or {}
    tlds = tlds_named(session, list(plan))
    gone = [n for n in plan if n not in tlds]
    foreign = [n for n, t in tlds.items() if t.rsp_id != user.organisation_id]
    busy = _still_open(
        list(plan),
        {c.tld: c for c in open_changes(session, [t.id for t in tlds.values()]).values()},
    )
    refusals = []
    if gone:
        refusals.append(
            Finding(
                "file",
                f"These TLDs no longer exist in the harness: {_tld_list(gone)}. "
                "Upload the file again without them.",
            )
        )
    if foreign:
        refusals.append(
            Finding(
                "file",
                f"Your organisation is no longer RSP of record for {_tld_list(foreign)}. "
                "Upload the file again without them.",
            )
        )
    refusals += busy
    if refusals:
        raise Invalid(refusals)
    claimed = session.execute(
        update(BulkUpload)
        .where(BulkUpload.id == upload.id, BulkUpload.status == UploadStatus.READY)
        .values(status=UploadStatus.STAGING, phase="Staging the TLD changes")
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if claimed.rowcount != 1:
        session.refresh(upload)
        raise Invalid(
            [Finding("file", f"This upload is {upload.status}; it was submitted already.")]
        )
    session.refresh(upload)
    return Staging(
        upload.id, user.id, clean, notice_days, portal_url, now or utcnow(), rule.used + 1
    )


def stage(session: Session, staging: Staging) -> BulkUpload:
    """Stage a claimed submit in one transaction: on any failure nothing is staged and the
    upload is ready again (a lost race for the one-time rule raises Forbidden)."""
    upload = session.get(BulkUpload, staging.upload_id)
    user = session.get(User, staging.user_id)
    assert upload is not None and user is not None
    try:
        _stage(session, upload, user, staging)
    except IntegrityError as exc:  # another submit took the same sequence number
        session.rollback()
        _unclaim(session, upload)
        raise _one_time_refusal(allowance(session, user.organisation_id)) from exc
    except Exception:
        session.rollback()
        _unclaim(session, upload)
        raise
    return upload


def submit(
    session: Session,
    upload: BulkUpload,
    user: User,
    *,
    attest: Any,
    name: Any,
    title: Any,
    notice_days: int,
    portal_url: str = "",
    now: datetime | None = None,
) -> BulkUpload:
    """`begin_submit` then `stage`, for callers that wait (the API and the CLI)."""
    staging = begin_submit(
        session,
        upload,
        user,
        attest=attest,
        name=name,
        title=title,
        notice_days=notice_days,
        portal_url=portal_url,
        now=now,
    )
    return stage(session, staging)


def _unclaim(session: Session, upload: BulkUpload) -> None:
    session.execute(
        update(BulkUpload)
        .where(BulkUpload.id == upload.id, BulkUpload.status == UploadStatus.STAGING)
        .values(status=UploadStatus.READY, phase="Checked")
        .execution_options(synchronize_session=False)
    )
    session.commit()
    session.refresh(upload)


def _stage(session: Session, upload: BulkUpload, user: User, staging: Staging) -> None:
    now, attester, portal_url = staging.now, staging.attester, staging.portal_url
    plan: dict[str, list[dict[str, Any]]] = upload.plan or {}
    tlds = tlds_named(session, list(plan))
    due = now + timedelta(days=staging.notice_days)
    current = current_entries(session, [t.id for t in tlds.values()])
    upload.sequence = staging.sequence
    upload.submitted_at = now
    upload.attestation_text = statement(user.organisation.name)
    upload.attested_name = attester["attest_name"]
    upload.attested_title = attester["attest_title"]
    upload.attested_by = user.email
    upload.notice_ends_at = due
    per_operator: dict[int, list[str]] = defaultdict(list)
    for name in sorted(plan):
        tld = tlds[name]
        before = current.get(tld.id, [])
        change = BulkTldChange(
            upload=upload,
            tld_id=tld.id,
            tld=name,
            status=ChangeStatus.PENDING,
            base_version=tld.version,
            before=before,
            entries=plan[name],
            lines=describe_changes({"entries": before}, {"entries": plan[name]}),
            due_at=due,
            updated_at=now,
        )
        session.add(change)
        history_event(session, change, STAGED, actor=user.email, channel="bulk", user_id=user.id)
        per_operator[tld.operator_id].append(name)
    rsp = user.organisation.name
    for org_id, users in operator_users(session, per_operator).items():
        names = per_operator[org_id]
        one = len(names) == 1
        notify(
            session,
            users,
            f"{rsp} submitted TLS client authentication data for {_tld_list(names, 3)}",
            f"{rsp} (RSP of record) submitted a bulk upload (#{upload.id}) that replaces the TLS "
            f"client authentication entries of {_tld_list(names)}, attesting that you authorized "
            f"it. Review the change; accept it to load it now, or object to withdraw it. Without "
            f"an answer it loads on {due:%Y-%m-%d %H:%M} UTC.",
            link=f"/tlds/{names[0]}" if one else f"/bulk/uploads/{upload.id}",
            upload_id=upload.id,
            portal_url=portal_url,
        )
    upload.status, upload.phase = UploadStatus.SUBMITTED, "Submitted"
    session.commit()


# --------------------------------------------------------------------------- reading


def get_upload(session: Session, user: User, upload_id: int) -> BulkUpload:
    """The upload if the user may see it: its RSP, ICANN staff, or an operator of one of its
    TLDs (who then sees only its own TLDs' changes: `visible_changes`)."""
    upload = session.get(BulkUpload, upload_id)
    if upload is None:
        raise NotFound("bulk upload")
    org = user.organisation
    if org.kind == OrgKind.ICANN or upload.organisation_id == org.id:
        return upload
    if org.kind == OrgKind.REGISTRY_OPERATOR and upload.submitted_at is not None:
        mine = session.scalar(
            select(func.count())
            .select_from(BulkTldChange)
            .join(Tld, Tld.id == BulkTldChange.tld_id)
            .where(BulkTldChange.upload_id == upload.id, Tld.operator_id == org.id)
        )
        if mine:
            return upload
    raise NotFound("bulk upload")


def sees_whole_upload(user: User, upload: BulkUpload) -> bool:
    """The RSP and ICANN staff see every TLD, the file and the attestation."""
    return _is_icann(user) or upload.organisation_id == user.organisation_id


def visible_changes(
    session: Session,
    user: User,
    upload: BulkUpload,
    *,
    status: str | None = None,
    query: str = "",
) -> list[BulkTldChange]:
    """The upload's TLD changes the user may see, filtered by status and TLD name."""
    stmt = select(BulkTldChange).where(BulkTldChange.upload_id == upload.id)
    if not sees_whole_upload(user, upload):
        stmt = stmt.join(Tld, Tld.id == BulkTldChange.tld_id).where(
            Tld.operator_id == user.organisation_id
        )
    if status:
        stmt = stmt.where(BulkTldChange.status == status)
    if query.strip():
        stmt = stmt.where(BulkTldChange.tld.contains(query.strip().lower().lstrip(".")))
    return list(session.scalars(stmt.order_by(BulkTldChange.tld)))


def status_counts(changes: Iterable[BulkTldChange]) -> dict[str, int]:
    counts = {s.value: 0 for s in ChangeStatus}
    for change in changes:
        counts[change.status] += 1
    return counts


def list_uploads(session: Session, user: User) -> list[BulkUpload]:
    """The uploads the user may see, newest first: an RSP its own, ICANN staff all, an
    operator the submitted ones that touch its TLDs."""
    org = user.organisation
    stmt = select(BulkUpload).order_by(BulkUpload.id.desc())
    if org.kind == OrgKind.ICANN:
        return list(session.scalars(stmt.limit(500)))
    if org.kind == OrgKind.RSP:
        return list(session.scalars(stmt.where(BulkUpload.organisation_id == org.id)))
    touching = (
        select(BulkTldChange.upload_id)
        .join(Tld, Tld.id == BulkTldChange.tld_id)
        .where(Tld.operator_id == org.id)
    )
    return list(session.scalars(stmt.where(BulkUpload.id.in_(touching))))


def open_change_for(session: Session, tld: Tld) -> BulkTldChange | None:
    """The TLD's bulk change that waits for an answer (pending or conflict), if any."""
    return session.scalar(
        select(BulkTldChange)
        .options(selectinload(BulkTldChange.upload))
        .where(BulkTldChange.tld_id == tld.id, BulkTldChange.status.in_(OPEN_CHANGES))
        .order_by(BulkTldChange.id.desc())
        .limit(1)
    )


def changes_csv_rows(changes: Iterable[BulkTldChange]) -> Iterable[list[str]]:
    """The per-TLD status table as CSV rows, header first."""
    yield ["tld", "status", "due_at", "decided_at", "decided_by", "loaded_at", "note", "changes"]
    for c in changes:
        yield [
            c.tld,
            c.status,
            _iso(c.due_at),
            _iso(c.decided_at),
            _cell(c.decided_by or ""),
            _iso(c.loaded_at),
            _cell(c.note or ""),
            str(len(c.lines)),
        ]


def _iso(value: datetime | None) -> str:
    return as_utc(value).isoformat(timespec="seconds") if value else ""  # type: ignore[union-attr]


def _cell(text: str) -> str:
    """Free text for a CSV cell, never run as a formula by a spreadsheet program."""
    return f"'{text}" if text.startswith(bulk.FORMULA_STARTS) else text
