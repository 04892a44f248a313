"""The JSON of the API (/api/v1), each shape defined once as a pydantic model.

The same models validate requests, turn service results into JSON (the only place that does)
and make the OpenAPI document (portal/api/spec.py). The CLI's `--json` output uses them too,
so CLI JSON and API JSON cannot drift.

Request bodies are checked for their shape and JSON types only. What the values mean (names,
prefixes, roles, key types, TLSA fields, …) is checked by portal.core.validation and the
services, whose findings name the field and the valid choices and report every problem of a
document at once; the document lists those choices (`one_of`) from the same constants.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    RootModel,
    Tag,
    WithJsonSchema,
    field_validator,
)
from werkzeug.datastructures import FileStorage

from ..core.certificates import ISSUERS, KEY_TYPES, PRESETS
from ..core.decision import RESULTS
from ..core.reasons import REASONS
from ..core.roles import ROLE_IDS
from ..core.tlsa import DEFAULT_TTL, MATCHING_TYPES, SELECTORS, USAGES
from ..core.validation import Finding, Severity
from ..models import AuditEvent, BulkTldChange, ChangeStatus, Tld, UploadStatus, as_utc
from ..services import workbench
from ..services.audit import Channel, summarise
from ..services.decisions import MAX_ENDPOINT, MAX_ENTRY
from ..services.decisions import SYSTEMS as LOGGED_SYSTEMS
from ..services.directory import TldPage
from ..services.simulator import METHODS, SYSTEMS, VERDICTS
from ..services.zone import MAX_TTL, MIN_TTL

RoleId = Literal[ROLE_IDS]  # type: ignore[valid-type]
DecisionResult = Literal[RESULTS]  # type: ignore[valid-type]
DecisionSystem = Literal[LOGGED_SYSTEMS]  # type: ignore[valid-type]
DecidingReason = Literal[REASONS]  # type: ignore[valid-type]
MAX_LIMIT = 1000


def one_of(values: Iterable[Any], description: str | None = None) -> Any:
    """Document a field's choices; the service checks them (its finding names the choices)."""
    return Field(description=description, json_schema_extra={"enum": list(values)})


def _iso(value: datetime) -> str:
    return as_utc(value).isoformat()  # type: ignore[union-attr]


# Stored times are UTC (SQLite hands them back naive); written as ISO 8601 with the offset.
Timestamp = Annotated[
    datetime,
    PlainSerializer(_iso, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


class Shape(BaseModel):
    """A response shape, read from a service result's attributes."""

    model_config = ConfigDict(from_attributes=True)


class Body(BaseModel):
    """A JSON request body: JSON types are not converted (a number is not a string)."""

    model_config = ConfigDict(strict=True)


class Query(BaseModel):
    """Query parameters: text, converted to the declared types."""


# --------------------------------------------------------------------------- errors


class Detail(Shape):
    field: str
    message: str


class Remark(Detail):
    """A warning or note on accepted input (or an error, on refused input)."""

    severity: Severity


class ErrorInfo(BaseModel):
    code: str
    message: str
    details: list[Detail] = Field(description="The errors, each naming its field")


class ErrorBody(BaseModel):
    error: ErrorInfo

    @classmethod
    def of(cls, code: str, message: str, findings: Sequence[Finding] = ()) -> ErrorBody:
        details = [Detail.model_validate(f) for f in findings if f.severity == "error"]
        return cls(error=ErrorInfo(code=code, message=message, details=details))


# --------------------------------------------------------------------------- TLDs


class TldQuery(Query):
    q: str = Field("", description="Search in TLD and registry operator names")
    page: int = Field(1, description="From 1; past the last page gives the last")
    per_page: int = Field(100, description="1 to 200")


class TldSummary(Shape):
    tld: str = Field(validation_alias="name")
    operator: str
    rsp: str | None
    entry_count: int
    roles: list[RoleId]
    version: int
    updated_at: Timestamp | None


class TldList(BaseModel):
    tlds: list[TldSummary]
    page: int
    per_page: int
    total: int

    @classmethod
    def of(cls, result: TldPage) -> TldList:
        return cls(
            tlds=[TldSummary.model_validate(row) for row in result.rows],
            page=result.page,
            per_page=result.per_page,
            total=result.total,
        )


def _clamp_limit(value: int) -> int:
    return max(1, min(value, MAX_LIMIT))


class LimitQuery(Query):
    limit: Annotated[int, AfterValidator(_clamp_limit)] = Field(
        100, description=f"How many, newest first: 1 to {MAX_LIMIT} (others are brought in range)"
    )


# --------------------------------------------------------------------------- configuration


class Entry(Shape):
    domain_name: str
    roles: list[RoleId] = Field(min_length=1)
    ip_acl: list[str] = Field(min_length=1, description="IPv4 and IPv6 prefixes (CIDR)")


class Document(BaseModel):
    """A TLD's TLS client authentication data; the ETag header carries the version."""

    tld: str = Field(description="The TLD as an A-label")
    version: int
    entries: list[Entry]

    @classmethod
    def of(cls, tld: Tld) -> Document:
        return cls(
            tld=tld.name,
            version=tld.version,
            entries=[Entry.model_validate(e) for e in tld.entries],
        )


class SavedDocument(Document):
    warnings: list[Remark] = Field(description="Warnings and notes on what was saved")

    @classmethod
    def saved(cls, tld: Tld, findings: Sequence[Finding]) -> SavedDocument:
        return cls(
            **Document.of(tld).model_dump(),
            warnings=[Remark.model_validate(f) for f in findings],
        )


class EntryInput(Body):
    domain_name: str
    roles: list[Annotated[str, one_of(ROLE_IDS)]]
    ip_acl: list[str] = Field(description="IPv4 or IPv6 prefixes; a bare address is one host")


class DocumentInput(Body):
    """The new entries (they replace all of the TLD's); `version` and `warnings` are ignored."""

    # Any JSON value: one that is not this TLD is refused as tld_mismatch, a clearer answer
    # than a type error.
    tld: Annotated[Any, WithJsonSchema({"type": "string"})] = Field(
        None, description="Optional; must name the TLD of the URL"
    )
    entries: list[EntryInput]


def _if_match_version(raw: str) -> int | None:
    """3, "3" and W/"3" all name version 3."""
    value = raw.strip().removeprefix("W/").strip('"')
    return int(value) if value.isdigit() else None


class IfMatch(BaseModel):
    value: str = Field(alias="If-Match", description='The version you read: 3, "3" or W/"3"')

    @property
    def version(self) -> int | None:
        return _if_match_version(self.value)


class EventSummary(Shape):
    id: int
    at: Timestamp
    actor: str
    channel: Channel
    action: str
    version: int | None
    changes: list[str] = Field(description="What changed, as sentences")


class HistoryEvent(EventSummary):
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @classmethod
    def of(cls, event: AuditEvent) -> HistoryEvent:
        return cls(**asdict(summarise(event)), before=event.before, after=event.after)


class History(BaseModel):
    tld: str
    events: list[HistoryEvent]


class ConflictBody(ErrorBody):
    """A stale If-Match: the document as it is now and what changed since your version."""

    current: Document
    changes: list[EventSummary]


# --------------------------------------------------------------------------- mocks' data


class ZoneQuery(Query):
    name: str | None = Field(None, description="Only the records at this name")


class ZoneRecord(Shape):
    id: int
    name: str
    usage: int
    selector: int
    matching_type: int
    data: str = Field(description="Hexadecimal")
    ttl: int
    presentation: str
    organisation: str = Field(description="The organisation that published it")
    created_by: str | None = Field(
        description="Who published it: given on your organisation's records only"
    )
    created_at: Timestamp


class PublishedRecord(ZoneRecord):
    warnings: list[Detail]


class ZoneRecords(BaseModel):
    records: list[ZoneRecord]


class TlsaRecordInput(Body):
    name: str
    usage: Annotated[int, one_of(USAGES)]
    selector: Annotated[int, one_of(SELECTORS)]
    matching_type: Annotated[int, one_of(MATCHING_TYPES)]
    data: str = Field(description="Hexadecimal")
    ttl: int = Field(DEFAULT_TTL, description=f"Seconds, {MIN_TTL} to {MAX_TTL}")


class CertificatePublishInput(Body):
    """Publish the TLSA records of a certificate (or chain: leaf first)."""

    certificate: str = Field(description="PEM")
    name: str | None = Field(None, description="Default: the certificate's first DNS name")
    records: list[Annotated[str, one_of(workbench.RECORD_KINDS)]] = Field(
        ["3 1 1"], description="Which records"
    )


def _publish_kind(body: Any) -> str:
    has_certificate = isinstance(body, dict) and "certificate" in body
    return "CertificatePublishInput" if has_certificate else "TlsaRecordInput"


class PublishInput(
    RootModel[
        Annotated[
            Annotated[TlsaRecordInput, Tag("TlsaRecordInput")]
            | Annotated[CertificatePublishInput, Tag("CertificatePublishInput")],
            Discriminator(_publish_kind),
        ]
    ]
):
    """One record, or the records of a certificate."""


class Published(RootModel[PublishedRecord | ZoneRecords]):
    """The record published, or the records of the certificate."""


class DecisionQuery(LimitQuery):
    """The decision log's filters; every one given narrows the answer."""

    result: DecisionResult | None = Field(None, description="Only allowed or only denied calls")
    reason: DecidingReason | None = Field(
        None, description="Only calls refused for this deciding reason"
    )
    system: DecisionSystem | None = Field(None, description="Only calls to this mock")
    endpoint: str | None = Field(
        None, max_length=MAX_ENDPOINT, description="Only calls whose path contains this (any case)"
    )
    source: str | None = Field(
        None, max_length=64, description="Only calls from this source address"
    )
    entry: str | None = Field(
        None,
        max_length=MAX_ENTRY,
        description="Only calls whose matched entry (or Basic account) is this",
    )
    since: datetime | None = Field(
        None, description="Only calls at or after this time (no offset: UTC)"
    )
    until: datetime | None = Field(None, description="Only calls before this time (no offset: UTC)")


class EntryCheck(BaseModel):
    domain_name: str
    matched: bool = Field(description="The certificate matched the entry's TLSA records")
    reasons: list[str]


class Decision(Shape):
    id: int
    at: Timestamp = Field(validation_alias="created_at")
    system: str = Field(description="The mock that decided: mosapi or rri")
    endpoint: str
    method: str
    source_address: str
    cert_spki_sha256: str | None
    cert_subject: str | None
    auth_path: str
    result: DecisionResult
    status_code: int
    reasons: list[str] = Field(description="Reason codes, the deciding one first")
    warnings: list[str]
    matched_entry: str | None
    required_role: str | None = Field(description="The role the endpoint needs")
    deciding_reason: str | None
    sentence: str = Field("", description="What decided the call, and the fix when refused")
    checks: list[EntryCheck] = Field(
        default_factory=list, description="Each entry's verdict on the certificate"
    )

    @field_validator("checks", mode="before")
    @classmethod
    def _no_checks(cls, value: Any) -> Any:
        return value or []


class Decisions(BaseModel):
    tld: str
    decisions: list[Decision]


class ScenarioInput(RootModel[dict[str, Any]]):
    """The MoSAPI scenario (docs/mock-servers.md), bare or as {"scenario": …}."""

    model_config = ConfigDict(strict=True)

    @property
    def scenario(self) -> Any:
        return self.root.get("scenario", self.root)


class ScenarioDocument(BaseModel):
    tld: str
    scenario: dict[str, Any]


class SubmissionInfo(Shape):
    id: int
    kind: str
    key: str = Field(validation_alias="report_key")
    content_type: str
    size: int
    sha256: str
    received_at: Timestamp
    decision_id: int | None


class Submissions(BaseModel):
    tld: str
    submissions: list[SubmissionInfo]


# --------------------------------------------------------------------------- workbench


class GenerateInput(Body):
    domain_name: str
    key_type: Annotated[str, one_of(KEY_TYPES)] | None = None
    issuer: Annotated[str, one_of(ISSUERS)] = "self"
    days: int | None = Field(None, description="Valid for this many days from now")
    not_before: str | None = Field(None, json_schema_extra={"format": "date-time"})
    not_after: str | None = Field(None, json_schema_extra={"format": "date-time"})
    validity_preset: Annotated[str, one_of(PRESETS)] | None = None
    extra_sans: list[str] | None = None
    key_passphrase: str | None = Field(None, description="Encrypt the private key with it")
    pkcs12_password: str | None = Field(None, description="Also make a PKCS#12 with it")
    tld: str | None = Field(
        None, description="The TLD the snippets call (one you manage); default: one naming it"
    )


class SignInput(Body):
    csr: str = Field(description="PEM")
    days: int | None = None


class InspectInput(Body):
    certificate: str = Field(description="PEM: a certificate or a chain")


class DnsCheckInput(Body):
    name: str
    certificate: str | None = Field(None, description="PEM; say which records bind it")


class CertificateInfo(Shape):
    subject: str
    issuer: str
    self_signed: bool
    serial: str
    sans: list[str]
    not_before: str = Field(json_schema_extra={"format": "date-time"})
    not_after: str = Field(json_schema_extra={"format": "date-time"})
    valid_now: bool
    validity_note: str
    key_type: str
    key_bits: int | None
    ca: bool
    extended_key_usage: list[str]
    sha256_fingerprint: str
    spki_sha256: str


class TlsaSuggestion(Shape):
    """A TLSA record that would bind the certificate, and what it means."""

    usage: int
    selector: int
    matching_type: int
    data: str
    name: str
    ttl: int
    presentation: str
    meaning: str


class Snippets(Shape):
    """Each works when pasted as is beside the downloaded files and harness-ca.pem."""

    curl: str
    python: str
    playwright: str
    rri: str = Field(description="An RRI report upload with curl")


class Issued(Shape):
    certificate: str = Field(description="PEM")
    chain: str = Field(description="PEM of the issuing CA, empty when self-signed")
    info: CertificateInfo
    tlsa: list[TlsaSuggestion]


class Generated(Issued):
    private_key: str = Field(description="PKCS#8 PEM: in this answer only, the harness keeps none")
    private_key_encrypted: bool
    snippets: Snippets
    snippet_tld: str | None = Field(description="The TLD the snippets call; null: <tld>")
    notes: list[str]
    pkcs12: str | None = Field(
        None,
        description="Base64, when a PKCS#12 password was given",
        exclude_if=lambda value: value is None,
    )


class Inspection(Shape):
    certificates: list[CertificateInfo] = Field(description="Leaf first")
    tlsa: list[TlsaSuggestion]


class DnsRecord(BaseModel):
    usage: int
    selector: int
    matching_type: int
    data: str
    presentation: str
    matches: bool | None = Field(
        None,
        description="Whether it binds the certificate given (absent without one)",
        exclude_if=lambda value: value is None,
    )


class DnsCheck(BaseModel):
    name: str
    resolver: str
    validated: bool = Field(description="Whether the answer was DNSSEC-validated (AD)")
    problem: str | None
    records: list[DnsRecord]

    @classmethod
    def of(cls, result: workbench.DnsCheck) -> DnsCheck:
        return cls(
            name=result.name,
            resolver=result.resolver,
            validated=result.validated,
            problem=result.problem,
            records=[
                DnsRecord(**r.record.as_dict(), presentation=r.presentation, matches=r.matches)
                for r in result.records
            ],
        )


# --------------------------------------------------------------------------- CLI checker

CheckVerdict = Literal["allowed", "denied", "unknown", "error"]


class CheckDecision(BaseModel):
    id: int | None
    allowed: bool
    reason: str | None = Field(description="The deciding reason of a denial")
    header: str = Field(description="The X-TLSAuth-Decision header as sent")


class CheckResult(BaseModel):
    """`tlsauth check --json`: one call with a client certificate and its verdict."""

    url: str
    method: str
    system: str | None = Field(description="mosapi or rri, when the path is a mock endpoint's")
    tld: str | None
    role: str | None = Field(description="The role the endpoint needs")
    source_address: str | None
    status: int | None = Field(description="None when no answer came (see error)")
    decision: CheckDecision | None
    sentence: str | None = Field(description="The decision in a sentence, with the fix")
    verdict: CheckVerdict
    reason: str | None = Field(
        description="Why not allowed: the deciding reason, 'HTTP <status>', or the error"
    )
    error: str | None
    error_detail: str | None
    elapsed_ms: float
    body_start: str


class MatrixCall(BaseModel):
    system: str
    url: str
    status: int | None
    verdict: CheckVerdict
    reason: str | None
    decision_id: int | None
    error: str | None
    elapsed_ms: float


class MatrixCell(BaseModel):
    tld: str
    role: RoleId
    verdict: CheckVerdict
    reason: str | None
    sentence: str | None
    calls: list[MatrixCall] = Field(description="One per mock that serves the role")


class MatrixResult(BaseModel):
    """`tlsauth check-matrix --json`: per TLD and role, the verdict of its harmless call(s)."""

    tlds: list[str]
    roles: list[RoleId]
    cells: list[MatrixCell]
    counts: dict[str, int] = Field(description="Cells per verdict")
    calls: int
    elapsed_s: float


# --------------------------------------------------------------------------- policy simulator


class SimulateInput(Body):
    tld: str
    path: str | None = Field(
        None,
        description="The endpoint: a path on the TLD (/ry/example/v2/monitoring/state) or its "
        "rule (/ry/<tld>/v2/monitoring/state); or leave it out and name the role",
    )
    method: Annotated[str, one_of(METHODS)] = "GET"
    system: Annotated[str, one_of(SYSTEMS, "The mock: mosapi or rri")] | None = None
    role: Annotated[str, one_of(ROLE_IDS, "The role, instead of an endpoint")] | None = None
    source_address: str = Field(description="The address the client calls from")
    certificate: str | None = Field(
        None, description="PEM: the client's certificate, leaf first, with any intermediates"
    )
    spki_sha256: str | None = Field(
        None,
        description="Instead of the certificate: the SHA-256 of its public key (64 hex digits); "
        "only 3 1 1 records can be judged from it",
    )


class Explained(Shape):
    code: str
    sentence: str = Field(description="What it means, and the fix")


class SimulatedEntry(Shape):
    domain_name: str
    roles: list[RoleId]
    ip_acl: list[str]
    reached: bool = Field(description="False: an earlier entry already admitted the call")
    matched: bool = Field(description="The certificate matched the entry's TLSA records")
    grants_role: bool
    admits_source: bool
    judged: bool = Field(
        description="False: some of its records need the certificate, not only its key's hash"
    )
    reasons: list[Explained] = Field(description="Why the entry did not admit the call")


class Simulation(Shape):
    """What the mocks would decide, by the decision procedure they run, without a call."""

    tld: str
    system: str | None
    method: str | None
    path: str | None = Field(description="The endpoint's path on the TLD, when known")
    role: RoleId = Field(description="The role the endpoint needs")
    role_label: str
    source_address: str
    spki_sha256: str
    key_only: bool = Field(description="Judged from the key's SHA-256, without the certificate")
    tlsa_source: str = Field(description="Where the TLSA records came from: harness or dns")
    result: Literal[VERDICTS] = Field(  # type: ignore[valid-type]
        description="undetermined: only the certificate could settle it"
    )
    deciding_reason: str | None
    sentence: str = Field(description="What decided the call, and the fix when refused")
    reasons: list[Explained] = Field(description="Reason codes, the deciding one first")
    warnings: list[Explained]
    matched_entry: str | None
    known_client: bool = Field(description="The certificate matched an entry")
    entries: list[SimulatedEntry] = Field(description="Each entry's verdict, in order")


# --------------------------------------------------------------------------- bulk uploads

UploadStatusName = Literal[tuple(s.value for s in UploadStatus)]  # type: ignore[valid-type]
ChangeStatusName = Literal[tuple(s.value for s in ChangeStatus)]  # type: ignore[valid-type]
Binary = WithJsonSchema({"type": "string", "format": "binary"})


class BulkFindingInfo(BaseModel):
    """A finding placed in the file: a CSV line and column, or a JSON entry (from 1) and key;
    neither for the whole file."""

    line: int | None
    entry: int | None
    column: str = Field(description="The column (CSV) or key (JSON); empty for a whole row")
    message: str
    severity: Severity


class BulkRefusal(ErrorBody):
    """A refused bulk upload or submit: the error, the upload concerned (stored, so it can be
    read back) and, for a file with errors, every finding of it in file order."""

    upload_id: int | None = Field(description="The upload, when one was stored")
    findings: list[BulkFindingInfo] = Field(
        description="The file's findings (errors, warnings, notes); empty unless the file is "
        "refused"
    )


def _uploaded_file(value: Any) -> FileStorage:
    if not isinstance(value, FileStorage):
        raise ValueError("Send the file as a file part, e.g. curl -F file=@entries.csv.")
    return value


class BulkUploadForm(BaseModel):
    """multipart/form-data: the file and the attestation, as a form sends them."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    file: Annotated[Any, AfterValidator(_uploaded_file), Binary] = Field(
        description="The CSV or JSON bulk file (docs/bulk-upload.md); its name's extension "
        "decides the format, then its content type, then its first character"
    )
    attest: str = Field(
        "",
        description="yes, true, on or 1 attests the statement (the upload's "
        "attestation.statement once submitted)",
    )
    attest_name: str = Field("", description="Your full name")
    attest_title: str = Field("", description="Your title (job role)")
    dry_run: bool = Field(False, description="true: check and preview only; nothing is staged")


class BulkEntryInput(Body):
    """One row of the bulk file (checked by the file's rules, which name the entry and key)."""

    tld: str
    domain_name: str
    roles: list[Annotated[str, one_of(ROLE_IDS)]]
    ip_acl: list[str]


class BulkUploadInput(Body):
    """The JSON bulk file itself, with the request's fields beside `entries`. The body is
    stored byte for byte as the uploaded file (named upload.json)."""

    model_config = ConfigDict(strict=True, extra="allow")

    # Any items: the file's rules check them, naming the entry and key (422 invalid_file).
    entries: Annotated[
        list[Any],
        WithJsonSchema({"type": "array", "items": BulkEntryInput.model_json_schema()}),
    ]
    attest: bool = Field(False, description="You attest the statement")
    attest_name: str | None = Field(None, description="Your full name")
    attest_title: str | None = Field(None, description="Your title (job role)")
    dry_run: bool = Field(False, description="Check and preview only; nothing is staged")


class BulkSubmitInput(Body):
    """The attestation, for an upload that is checked and ready."""

    attest: bool = Field(False, description="You attest the statement")
    attest_name: str | None = Field(None, description="Your full name")
    attest_title: str | None = Field(None, description="Your title (job role)")


class BulkAcceptInput(Body):
    version: int = Field(
        description="The TLD's version you reviewed the change against (`tld_version` of the "
        "change, or the TLD document's version); a stale one is refused (409)"
    )


class BulkNoteInput(Body):
    note: str = Field("", description="Why; told to the RSP (at most 1000 characters)")


class BulkUploadsQuery(Query):
    status: UploadStatusName | None = Field(None, description="Only uploads in this status")


class BulkChangesQuery(Query):
    status: ChangeStatusName | None = Field(
        None, description="Only the TLD changes in this status (`counts` still counts all)"
    )


class BulkPreviewRow(BaseModel):
    """What submitting would change on one TLD."""

    tld: str
    added: int
    removed: int
    changed: int
    unchanged: int
    access_gained: int = Field(
        description="(domain name, role, prefix) combinations gaining access"
    )
    access_lost: int
    changes: list[str] = Field(validation_alias="lines", description="What changes, as sentences")


class BulkTotals(BaseModel):
    tlds: int
    tlds_changed: int
    entries_added: int
    entries_removed: int
    entries_changed: int
    entries_unchanged: int
    roles_added: int
    roles_removed: int
    prefixes_added: int
    prefixes_removed: int
    access_gained: int
    access_lost: int


class BulkPreview(BaseModel):
    totals: BulkTotals
    tlds: list[BulkPreviewRow] = Field(description="In TLD order")


class Attestation(BaseModel):
    statement: str = Field(
        description="What was attested: every listed TLD's registry operator authorized the RSP"
    )
    name: str
    title: str
    by: str = Field(description="The portal user who submitted")


class BulkChange(BaseModel):
    """One TLD's part of a submitted upload."""

    upload_id: int
    tld: str
    status: ChangeStatusName
    base_version: int = Field(description="The TLD's version when the upload was submitted")
    tld_version: int = Field(description="The TLD's version now: send it to accept")
    due_at: Timestamp = Field(description="When it loads without an answer")
    decided_at: Timestamp | None
    decided_by: str | None
    loaded_at: Timestamp | None
    loaded_version: int | None
    note: str | None = Field(
        description="The objection's or cancellation's reason, or why it is a conflict"
    )
    changes: list[str] = Field(
        validation_alias="lines",
        description="What loading changes, as sentences (against the configuration when it "
        "was submitted; for a conflict, against the configuration now)",
    )

    @classmethod
    def of(cls, change: BulkTldChange, tld_version: int) -> BulkChange:
        return cls.model_validate(
            {
                **{name: getattr(change, name) for name in _CHANGE_FIELDS},
                "tld_version": tld_version,
            }
        )


_CHANGE_FIELDS = (
    "upload_id",
    "tld",
    "status",
    "base_version",
    "due_at",
    "decided_at",
    "decided_by",
    "loaded_at",
    "loaded_version",
    "note",
    "lines",
)


class BulkUploadSummary(BaseModel):
    """An upload. For a registry operator, the file's details, the uploader and the
    attestation are null and `counts` counts its own TLDs only."""

    id: int
    rsp: str = Field(description="The RSP organisation that uploaded it")
    status: UploadStatusName
    uploaded_by: str | None
    created_at: Timestamp
    filename: str | None
    format: Literal["csv", "json"] | None
    size: int | None
    sha256: str | None
    submitted_at: Timestamp | None
    attestation: Attestation | None = Field(description="Once submitted")
    notice_ends_at: Timestamp | None = Field(description="When unanswered changes load")
    counts: dict[str, int] = Field(description="TLD changes per status")


class BulkUploadDocument(BulkUploadSummary):
    """An upload with its findings, its preview (once checked) and its TLD changes (once
    submitted)."""

    findings: list[BulkFindingInfo] = Field(description="The file's findings, in file order")
    preview: BulkPreview | None = Field(description="What submitting changes, once checked")
    tlds: list[BulkChange] = Field(description="The TLD changes you may see, in TLD order")


class BulkUploads(BaseModel):
    uploads: list[BulkUploadSummary] = Field(description="Newest first")


# --------------------------------------------------------------------------- test mode


class SeedOutcome(BaseModel):
    """Labels (names, emails, TLDs) of one kind of thing the document names."""

    created: list[str]
    changed: list[str]
    unchanged: list[str]


class SeedReport(BaseModel):
    """What a seed document changed; applying the same document again changes nothing."""

    changed: bool = Field(description="Whether anything was created or changed")
    kinds: dict[str, SeedOutcome] = Field(
        description="Per kind (organisations, users, tlds, entries, basic, scenarios, zone)"
    )
    passwords: dict[str, str] = Field(
        description="New users the document gave no password: email → the password made for "
        "them, in this answer only"
    )
    findings: list[Remark] = Field(description="The accepted document's warnings and notes")


class ResetReport(BaseModel):
    removed: dict[str, int] = Field(description="Rows deleted, per table")
    kept_users: list[str] = Field(description="The caller, kept with their organisation and tokens")
