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
        return str(self.id)


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
        CheckConstraint("channel in ('ui', 'api', 'cli', 'bulk')", name="channel"),
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
