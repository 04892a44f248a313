"""What the bulk upload lists show beside each upload and each RSP: per-status counts of the
uploads' TLD changes (one grouped query, not every change loaded) and the one-time rule of
every RSP organisation."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import BulkTldChange, ChangeStatus, Organisation, OrgKind, Tld
from .bulk_uploads import Allowance, allowance
from .errors import NotFound


def change_counts(
    session: Session, upload_ids: Iterable[int], *, operator_id: int | None = None
) -> dict[int, dict[str, int]]:
    """Per upload id, how many of its TLD changes are in each status (every status named,
    0 included); with `operator_id`, only the changes of that registry operator's TLDs."""
    ids = list(upload_ids)
    out = {i: {s.value: 0 for s in ChangeStatus} for i in ids}
    for start in range(0, len(ids), 500):
        stmt = (
            select(BulkTldChange.upload_id, BulkTldChange.status, func.count())
            .where(BulkTldChange.upload_id.in_(ids[start : start + 500]))
            .group_by(BulkTldChange.upload_id, BulkTldChange.status)
        )
        if operator_id is not None:
            stmt = stmt.join(Tld, Tld.id == BulkTldChange.tld_id).where(
                Tld.operator_id == operator_id
            )
        for upload_id, status, count in session.execute(stmt):
            out[upload_id][status] = count
    return out


@dataclass(frozen=True)
class RspRule:
    organisation: Organisation
    rule: Allowance


def rsp_rules(session: Session) -> list[RspRule]:
    """Every RSP organisation, by name, with how many bulk uploads it may and did submit."""
    orgs = session.scalars(
        select(Organisation).where(Organisation.kind == OrgKind.RSP).order_by(Organisation.name)
    )
    return [RspRule(org, allowance(session, org.id)) for org in orgs]


def rsp_organisation(session: Session, organisation_id: int) -> Organisation:
    org = session.get(Organisation, organisation_id)
    if org is None or org.kind != OrgKind.RSP:
        raise NotFound("RSP organisation")
    return org
