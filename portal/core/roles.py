"""The one table of authorized roles: stable ids, labels, and the endpoints each opens.

Identifiers are stable: they are stored in the database and appear in the API, CSV files and
URLs. The mocks look roles up here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    id: str
    label: str
    systems: tuple[str, ...]
    opens: str


ROLES: tuple[Role, ...] = (
    Role(
        "rri-monthly-reports",
        "RRI – TLD Monthly Reporting",
        ("rri",),
        "RRI monthly report PUTs, their /info/report/... status reads, /info/status/registry/<tld>",
    ),
    Role(
        "rri-escrow-reports",
        "RRI – TLD Data Escrow Daily Reporting",
        ("rri",),
        "RRI escrow report PUT, escrow agent notification POST, their status reads, "
        "/info/status/escrow-agent-notification/<tld>",
    ),
    Role(
        "mosapi-slam",
        "MoSAPI – TLD SLAM Data",
        ("mosapi",),
        "MoSAPI monitoring/... (state, alarmed, downtime, incidents, measurements)",
    ),
    Role(
        "mosapi-daar",
        "MoSAPI – TLD DAAR Data",
        ("mosapi",),
        "MoSAPI metrica/... (domain abuse reports)",
    ),
    Role(
        "mosapi-rdap-base-urls",
        "MoSAPI – Registrars Base RDAP URL List",
        ("mosapi",),
        "MoSAPI registrarRdapBaseUrl/list",
    ),
    Role(
        "maintenance-window",
        "MoSAPI/RRI – TLD Maintenance Window",
        ("mosapi", "rri"),
        "maintenance window create/update/get/list/delete on both mocks",
    ),
    Role(
        "probe-node-list",
        "MoSAPI/RRI – SLAM Probe Node List",
        ("mosapi", "rri"),
        "probe node list on both mocks",
    ),
)

ROLE_IDS: tuple[str, ...] = tuple(r.id for r in ROLES)
ROLES_BY_ID: dict[str, Role] = {r.id: r for r in ROLES}


def sort_roles(role_ids: list[str] | set[str] | tuple[str, ...]) -> list[str]:
    """Roles in table order, so every display and document lists them the same way."""
    wanted = set(role_ids)
    return [r for r in ROLE_IDS if r in wanted]
