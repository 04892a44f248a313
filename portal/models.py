"""SQLAlchemy 2.0 typed models.

Plain SQLAlchemy (no Flask) so the mocks, the CLI and the benchmarks share them.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from .core.tlsa import TlsaRecord


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def session_stamp(created_at: datetime) -> int:
    """A user row's creation time in microseconds, as sessions record it."""
    return round(as_utc(created_at).timestamp() * 1_000_000)  # type: ignore[union-attr]


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


class OrgKind(enum.StrEnum):
    REGISTRY_OPERATOR = "registry-operator"
    RSP = "rsp"
    ICANN = "icann"


class Organisation(Base):
    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint("kind in ('registry-operator', 'rsp', 'icann')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="organisation")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="users", lazy="joined")

    # Flask-Login protocol, kept here so the model needs no Flask import.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """The session's name for this user: the row id and when the row was made, so a
        session outlives neither the user nor a reset that reuses the id (SQLite does)."""
        return f"{self.id}.{session_stamp(self.created_at)}"


class Tld(Base):
    __tablename__ = "tlds"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    rsp_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    # Bumped by every change to the TLD's configuration: optimistic concurrency and the
    # mocks' policy cache key.
    version: Mapped[int] = mapped_column(Integer, default=1)
    basic_ip_acl: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column()

    operator: Mapped[Organisation] = relationship(foreign_keys=[operator_id], lazy="joined")
    rsp: Mapped[Organisation | None] = relationship(foreign_keys=[rsp_id], lazy="joined")
    entries: Mapped[list[TlsClientAuthEntry]] = relationship(
        back_populates="tld",
        order_by="TlsClientAuthEntry.id",
        cascade="all, delete-orphan",
    )
    accounts: Mapped[list[BasicAccount]] = relationship(
        back_populates="tld", order_by="BasicAccount.kind", cascade="all, delete-orphan"
    )


class TlsClientAuthEntry(Base):
    __tablename__ = "tls_client_auth_entries"
    __table_args__ = (UniqueConstraint("tld_id", "domain_name", name="uq_entry_tld_domain"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tld_id: Mapped[int] = mapped_column(ForeignKey("tlds.id", ondelete="CASCADE"), index=True)
    domain_name: Mapped[str] = mapped_column(String(253))
    roles: Mapped[list[str]] = mapped_column()
    ip_acl: Mapped[list[str]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    tld: Mapped[Tld] = relationship(back_populates="entries")

    def as_dict(self) -> dict[str, Any]:
        return {
            "domain_name": self.domain_name,
            "roles": list(self.roles),
            "ip_acl": list(self.ip_acl),
        }


class AccountKind(enum.StrEnum):
    REGISTRY = "ry"
    ESCROW_AGENT = "dea"


ACCOUNT_LABELS = {
    AccountKind.REGISTRY: "Registry user",
    AccountKind.ESCROW_AGENT: "Data escrow agent user",
}


class BasicAccount(Base):
    """The HTTP Basic users of a TLD: `<tld>_ry` and the escrow agent's `<tld>_dea`."""

    __tablename__ = "basic_accounts"
    __table_args__ = (
        UniqueConstraint("tld_id", "kind", name="uq_account_tld_kind"),
        CheckConstraint("kind in ('ry', 'dea')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tld_id: Mapped[int] = mapped_column(ForeignKey("tlds.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(3))
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    password_set_at: Mapped[datetime] = mapped_column(default=utcnow)

    tld: Mapped[Tld] = relationship(back_populates="accounts")


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_tld_id_id", "tld_id", "id"),
        CheckConstraint("channel in ('ui', 'api', 'cli', 'bulk', 'seed')", name="channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    tld_id: Mapped[int | None] = mapped_column(ForeignKey("tlds.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(254))
    channel: Mapped[str] = mapped_column(String(4))
    action: Mapped[str] = mapped_column(String(40))
    version_after: Mapped[int | None] = mapped_column()
    before: Mapped[dict[str, Any] | None] = mapped_column()
    after: Mapped[dict[str, Any] | None] = mapped_column()
    # The RSP bulk upload an event belongs to (staged, loaded, objected…), if any.
    bulk_upload_id: Mapped[int | None] = mapped_column(
        ForeignKey("bulk_uploads.id", ondelete="SET NULL"), index=True
    )


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # SHA-256 of the token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    display_prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship(lazy="joined")


# --------------------------------------------------------------------------- the mocks' state


class TlsaRecordRow(Base):
    """The harness zone: TLSA records the mocks use when the TLSA source is `harness`."""

    __tablename__ = "tlsa_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(253), index=True)
    usage: Mapped[int] = mapped_column(SmallInteger)
    selector: Mapped[int] = mapped_column(SmallInteger)
    matching_type: Mapped[int] = mapped_column(SmallInteger)
    data: Mapped[str] = mapped_column(Text)  # lower-case hex
    ttl: Mapped[int] = mapped_column(default=3600)
    # The name belongs to the organisation that published first at it.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    created_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def record(self) -> TlsaRecord:
        return TlsaRecord(self.usage, self.selector, self.matching_type, bytes.fromhex(self.data))

    @property
    def presentation(self) -> str:
        """The record as a zone file line."""
        return self.record.presentation(self.name, self.ttl)


class Counter(enum.StrEnum):
    """The change counters: each names a cached view the mocks reload when it moves."""

    TLSA = "tlsa"  # the harness zone
    SCENARIO = "scenario"  # the MoSAPI scenarios
    # The harness was emptied (`tlsauth seed --reset`): every cached TLD policy is stale, even
    # one whose TLD is back at the same version with other entries.
    RESET = "reset"


class ChangeCounter(Base):
    """Counters the mocks poll to know when a cached view is stale (names: `Counter`)."""

    __tablename__ = "change_counters"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


class DecisionLogRow(Base):
    __tablename__ = "decision_log"
    __table_args__ = (
        Index("ix_decision_log_tld_id", "tld", "id"),
        Index("ix_decision_log_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    system: Mapped[str] = mapped_column(String(8))
    tld: Mapped[str | None] = mapped_column(String(63))
    endpoint: Mapped[str] = mapped_column(String(300))
    method: Mapped[str] = mapped_column(String(8))
    source_address: Mapped[str] = mapped_column(String(64))
    cert_spki_sha256: Mapped[str | None] = mapped_column(String(64))
    cert_subject: Mapped[str | None] = mapped_column(String(500))
    auth_path: Mapped[str] = mapped_column(String(20))
    result: Mapped[str] = mapped_column(String(8))
    # The status the client received: set from the decision, corrected once the answer is sent
    # (a view's 400, 404 or 413 on an allowed call).
    status_code: Mapped[int] = mapped_column()
    reasons: Mapped[list[str]] = mapped_column()  # the deciding reason first
    warnings: Mapped[list[str]] = mapped_column()
    matched_entry: Mapped[str | None] = mapped_column(String(253))
    required_role: Mapped[str | None] = mapped_column(String(40))
    deciding_reason: Mapped[str | None] = mapped_column(String(40))
    # Each entry's verdict on the certificate: [{domain_name, matched, reasons}].
    checks: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)


class MosapiSession(Base):
    """MoSAPI login sessions; in the database so several mock processes share them."""

    __tablename__ = "mosapi_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)  # one live session per account
    tld: Mapped[str] = mapped_column(String(63))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


class Submission(Base):
    """A report body the RRI mock accepted, stored byte for byte."""

    __tablename__ = "submissions"
    __table_args__ = (Index("ix_submissions_tld_kind_key", "tld", "kind", "report_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tld: Mapped[str] = mapped_column(String(63))
    kind: Mapped[str] = mapped_column(String(40))
    report_key: Mapped[str] = mapped_column(String(40))
    content_type: Mapped[str] = mapped_column(String(100))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    decision_id: Mapped[int | None] = mapped_column()


class Registrar(Base):
    """An ICANN-accredited registrar the RRI mock knows: a transactions report line whose
    ``iana-id`` is not listed (nor reserved) is refused with 2102."""

    __tablename__ = "registrars"

    iana_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(255))


class Scenario(Base):
    """Per-TLD overrides of the MoSAPI mock data (service states, incidents, METRICA)."""

    __tablename__ = "scenarios"

    tld_id: Mapped[int] = mapped_column(ForeignKey("tlds.id", ondelete="CASCADE"), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(254))


class MaintenanceWindow(Base):
    """Harness-defined maintenance windows, shared by both mocks."""

    __tablename__ = "maintenance_windows"
    __table_args__ = (Index("ix_maintenance_windows_tld_end", "tld", "ends_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tld: Mapped[str] = mapped_column(String(63))
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    services: Mapped[list[str]] = mapped_column()
    description: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


# --------------------------------------------------------------------------- RSP bulk uploads


class UploadStatus(enum.StrEnum):
    """Where an uploaded bulk file is: checked in the background, then submitted."""

    CHECKING = "checking"  # being read, checked and previewed
    INVALID = "invalid"  # refused: its findings say why; nothing staged
    READY = "ready"  # checked, previewed; waits for the attestation
    STAGING = "staging"  # attested; its TLD changes are being staged
    SUBMITTED = "submitted"  # staged: one change per TLD, registries notified
    FAILED = "failed"  # the background work stopped on an unexpected error


class ChangeStatus(enum.StrEnum):
    """One TLD's part of a submitted upload."""

    PENDING = "pending"  # registry notified; loads when the notice period ends
    ACCEPTED = "accepted"  # the registry operator accepted: loaded at once
    OBJECTED = "objected"  # the registry operator objected: withdrawn
    LOADED = "loaded"  # loaded at the end of the notice period, or by ICANN staff
    CONFLICT = "conflict"  # the TLD changed after the upload: not loaded, flagged for review
    CANCELLED = "cancelled"  # withdrawn by ICANN staff


OPEN_CHANGES = (ChangeStatus.PENDING, ChangeStatus.CONFLICT)
# The file as uploaded: set once, never changed.
FILE_FIELDS = ("file", "sha256", "size", "filename")
# Set once, when the upload is submitted; never changed after (the listener below refuses it).
ATTESTED_FIELDS = (
    "attestation_text",
    "attested_name",
    "attested_title",
    "attested_by",
    "submitted_at",
    "sequence",
)


class BulkUpload(Base):
    """A bulk file an RSP uploaded: the file byte for byte, what checking it found, and once
    submitted the attestation that every listed TLD's registry operator authorized it."""

    __tablename__ = "bulk_uploads"
    __table_args__ = (
        # The one-time rule: an RSP's submitted uploads are numbered 1, 2, … and the next
        # number must be allowed by ICANN staff; two submits at once cannot both take it.
        UniqueConstraint("organisation_id", "sequence", name="uq_bulk_upload_org_sequence"),
        CheckConstraint(
            "status in ('checking', 'invalid', 'ready', 'staging', 'submitted', 'failed')",
            name="status",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_by: Mapped[str] = mapped_column(String(254))
    channel: Mapped[str] = mapped_column(String(4))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100), default="")
    format: Mapped[str | None] = mapped_column(String(4))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    file: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(10), default=UploadStatus.CHECKING)
    # Progress of the background work, for the page that polls it.
    phase: Mapped[str] = mapped_column(String(60), default="")
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    findings: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # The checked file: per TLD its entry objects; and the preview's totals.
    plan: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    totals: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Per TLD what submitting would change: {tld, added, removed, changed, unchanged, lines,
    # access_gained, access_lost}, in TLD order.
    preview: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    sequence: Mapped[int | None] = mapped_column()
    submitted_at: Mapped[datetime | None] = mapped_column()
    attestation_text: Mapped[str | None] = mapped_column(Text)
    attested_name: Mapped[str | None] = mapped_column(String(200))
    attested_title: Mapped[str | None] = mapped_column(String(200))
    attested_by: Mapped[str | None] = mapped_column(String(254))
    notice_ends_at: Mapped[datetime | None] = mapped_column()

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    changes: Mapped[list[BulkTldChange]] = relationship(
        back_populates="upload", order_by="BulkTldChange.tld"
    )


class BulkTldChange(Base):
    """One TLD's part of a submitted upload: the entries it would load and what became of it."""

    __tablename__ = "bulk_tld_changes"
    __table_args__ = (
        UniqueConstraint("upload_id", "tld_id", name="uq_bulk_change_upload_tld"),
        Index("ix_bulk_tld_changes_status_due", "status", "due_at"),
        CheckConstraint(
            "status in ('pending', 'accepted', 'objected', 'loaded', 'conflict', 'cancelled')",
            name="status",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("bulk_uploads.id"), index=True)
    tld_id: Mapped[int] = mapped_column(ForeignKey("tlds.id", ondelete="CASCADE"), index=True)
    tld: Mapped[str] = mapped_column(String(63))
    status: Mapped[str] = mapped_column(String(10), default=ChangeStatus.PENDING)
    # The TLD's version and entries when the upload was submitted: loading needs the same
    # version, so nothing edited since is overwritten.
    base_version: Mapped[int] = mapped_column()
    before: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    entries: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    lines: Mapped[list[str]] = mapped_column(JSON)  # History's sentences for the change
    due_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(String(254))
    note: Mapped[str | None] = mapped_column(String(1000))
    loaded_at: Mapped[datetime | None] = mapped_column()
    loaded_version: Mapped[int | None] = mapped_column()

    upload: Mapped[BulkUpload] = relationship(back_populates="changes")


class BulkAllowance(Base):
    """ICANN staff's leave for an RSP to submit one more bulk upload."""

    __tablename__ = "bulk_allowances"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    granted_by: Mapped[str] = mapped_column(String(254))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(String(500), default="")


class Notification(Base):
    """A message in a portal user's inbox."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column()
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(300), default="")
    upload_id: Mapped[int | None] = mapped_column(
        ForeignKey("bulk_uploads.id", ondelete="SET NULL")
    )


class OutboxMessage(Base):
    """An email the portal sends (or, without SMTP settings, only records)."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    notification_id: Mapped[int | None] = mapped_column(
        ForeignKey("notifications.id", ondelete="SET NULL")
    )
    sent_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))

    notification: Mapped[Notification | None] = relationship()


class AttestationChanged(Exception):
    """A submitted upload's file or attestation was about to be changed."""


@event.listens_for(BulkUpload, "before_update")
def _attestation_is_final(_mapper: Any, connection: Any, upload: BulkUpload) -> None:
    state = inspect(upload)
    if any(state.attrs[name].history.has_changes() for name in FILE_FIELDS):
        raise AttestationChanged(f"bulk upload {upload.id}: the uploaded file cannot change")
    if not any(state.attrs[name].history.has_changes() for name in ATTESTED_FIELDS):
        return
    stored = connection.execute(
        select(BulkUpload.submitted_at).where(BulkUpload.id == upload.id)
    ).scalar()
    if stored is not None:
        raise AttestationChanged(f"bulk upload {upload.id} was submitted; its attestation is final")
