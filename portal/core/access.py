"""Who may see and change what. One place for each rule, used by UI, API and CLI."""

from __future__ import annotations

from collections.abc import Collection

ICANN = "icann"
# The kinds of organisation (stored as `models.OrgKind`).
ORGANISATION_KINDS: tuple[str, ...] = ("registry-operator", "rsp", ICANN)
REGISTRY_OPERATOR, RSP = ORGANISATION_KINDS[:2]


def can_manage(org_kind: str, org_id: int, operator_id: int, rsp_id: int | None) -> bool:
    """ICANN staff manage all TLDs; an operator its own; an RSP those where it is RSP of record."""
    if org_kind == ICANN:
        return True
    return org_id == operator_id or (rsp_id is not None and org_id == rsp_id)


def may_publish_at(
    org_kind: str, org_id: int, vouchers: Collection[int], owner_org_id: int | None
) -> bool:
    """Who may publish (add or remove records) at a name of the harness zone, and have the
    harness CA issue a certificate for it.

    `vouchers` are the organisations that vouch for the name: the registry operators and RSPs
    of record of every TLD whose entries name it. Such a name is theirs (any of them) and ICANN
    staff's, whoever published there first. Any other name is first-come: free to anyone, then
    held by the organisation that published there first (`owner_org_id`)."""
    if org_kind == ICANN:
        return True
    if vouchers:
        return org_id in vouchers
    return owner_org_id is None or org_id == owner_org_id
