"""Who may see and change what. One place for each rule, used by UI, API and CLI."""

from __future__ import annotations

ICANN = "icann"


def can_manage(org_kind: str, org_id: int, operator_id: int, rsp_id: int | None) -> bool:
    """ICANN staff manage all TLDs; an operator its own; an RSP those where it is RSP of record."""
    if org_kind == ICANN:
        return True
    return org_id == operator_id or (rsp_id is not None and org_id == rsp_id)


def may_edit_zone_name(org_kind: str, org_id: int, owner_org_id: int | None) -> bool:
    """A free name of the harness zone is open to anyone (it then belongs to the publisher's
    organisation); a held name to its owner's users and ICANN staff."""
    return owner_org_id is None or org_kind == ICANN or org_id == owner_org_id
