"""The harness zone: the TLSA records the mocks use when their TLSA source is `harness`."""

from __future__ import annotations

from flask import Response, g

from infra.database import db

from ..models import TlsaRecordRow
from ..services import workbench, zone
from . import bp
from .schemas import (
    CertificatePublishInput,
    Detail,
    Published,
    PublishedRecord,
    PublishInput,
    ZoneQuery,
    ZoneRecord,
    ZoneRecords,
)
from .spec import operation


def _publisher() -> zone.Publisher:
    return zone.Publisher(db.session, g.api_user, "api")


def _own(row: TlsaRecordRow) -> ZoneRecord:
    """A record the caller just published: theirs, so with its creator."""
    user = g.api_user
    return ZoneRecord.model_validate(zone.ZoneRecord.of(row, user.organisation.name, user))


@bp.get("/tlsa-records")
@operation(ZoneRecords, refused="The name is not a valid domain name.")
def tlsa_list(query: ZoneQuery) -> ZoneRecords:
    """The harness zone's TLSA records you may see (optionally at one name)

    ICANN staff see every record; anyone else the names their organisation published at and
    the client names (entry domain names) of the TLDs they manage. The creator's email address
    is given on your organisation's records only; every record names its organisation."""
    rows = zone.visible_records(_publisher(), query.name)
    return ZoneRecords(records=[ZoneRecord.model_validate(r) for r in rows])


@bp.post("/tlsa-records")
@operation(Published, status=201, refused="Nothing was published.")
def tlsa_publish(json: PublishInput) -> tuple[Published, int]:
    """Publish a TLSA record in the harness zone, or the records of a certificate

    A client name of a TLD (a domain name in its entries) is open to that TLD's registry
    operator and RSP of record, and ICANN staff. Any other name is open to anyone until
    someone publishes there; it then belongs to the publisher's organisation (its users and
    ICANN staff may change it). Data is at most 8192 hexadecimal digits."""
    body = json.root
    params = body.model_dump(exclude_unset=True)
    if isinstance(body, CertificatePublishInput):
        rows = workbench.publish_from_certificate(_publisher(), params)
        return Published(ZoneRecords(records=[_own(r) for r in rows])), 201
    row, notes = zone.publish(_publisher(), params)
    published = PublishedRecord(
        **_own(row).model_dump(), warnings=[Detail.model_validate(f) for f in notes]
    )
    return Published(published), 201


@bp.delete("/tlsa-records/<int:record_id>")
@operation(None, status=204, errors=[404])
def tlsa_delete(record_id: int) -> Response:
    """Remove a TLSA record

    Whoever may publish at its name removes any record there (a TLD's operator or RSP removes
    a squatter's record at its client name); an organisation may always withdraw its own."""
    zone.remove(_publisher(), record_id)
    return Response(status=204)
