"""Who may see and change a TLD's configuration. One rule, used by UI, API and CLI."""

from __future__ import annotations

ICANN = "icann"


def can_manage(org_kind: str, org_id: int, operator_id: int, rsp_id: int | None) -> bool:
    """ICANN staff manage all TLDs; an operator its own; an RSP those where it is RSP of record."""
    if org_kind == ICANN:
        return True
    return org_id == operator_id or (rsp_id is not None and org_id == rsp_id)
