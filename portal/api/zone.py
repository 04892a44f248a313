"""The harness zone: the TLSA records the mocks use when their TLSA source is `harness`."""

from __future__ import annotations

from flask import Response, g

from infra.database import db

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


@bp.get("/tlsa-records")
@operation(ZoneRecords, refused="The name is not a valid domain name.")
def tlsa_list(query: ZoneQuery) -> ZoneRecords:
    """The harness zone's TLSA records (optionally at one name)"""
    rows = zone.list_records(db.session, query.name)
    return ZoneRecords(records=[ZoneRecord.model_validate(r) for r in rows])


@bp.post("/tlsa-records")
@operation(Published, status=201, refused="Nothing was published.")
def tlsa_publish(json: PublishInput) -> tuple[Published, int]:
    """Publish a TLSA record in the harness zone, or the records of a certificate

    Any user may publish at a free name; the name then belongs to the publisher's
    organisation (its users and ICANN staff may change it)."""
    body = json.root
    params = body.model_dump(exclude_unset=True)
    if isinstance(body, CertificatePublishInput):
        rows = workbench.publish_from_certificate(db.session, g.api_user, params)
        records = ZoneRecords(records=[ZoneRecord.model_validate(r) for r in rows])
        return Published(records), 201
    row, notes = zone.publish(db.session, g.api_user, params)
    published = PublishedRecord(
        **ZoneRecord.model_validate(row).model_dump(),
        warnings=[Detail.model_validate(f) for f in notes],
    )
    return Published(published), 201


@bp.delete("/tlsa-records/<int:record_id>")
@operation(None, status=204, errors=[404])
def tlsa_delete(record_id: int) -> Response:
    """Remove a TLSA record (publisher's organisation or ICANN staff)"""
    zone.remove(db.session, g.api_user, record_id)
    return Response(status=204)
