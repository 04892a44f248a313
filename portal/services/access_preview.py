"""What saving an entry as typed would change: which (domain name, role, prefix) combinations
gain or lose access. Nothing is saved; the checks are those the save makes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..core.diff import AccessChanges, access_changes
from ..core.validation import (
    Entry,
    Finding,
    Limits,
    check_new_domain,
    validate_entry,
    validate_prefix_list,
    validate_roles,
)
from ..models import Tld
from .configuration import entries_of, get_entry


@dataclass(frozen=True)
class AccessPreview:
    changes: AccessChanges | None  # None: the input would be refused as it stands
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]


def preview_add(
    tld: Tld, domain_name: Any, roles: Any, ip_acl: Any, limits: Limits
) -> AccessPreview:
    """Adding the entry: everything it grants is gained."""
    checked = validate_entry(
        {"domain_name": domain_name, "roles": roles, "ip_acl": ip_acl}, limits=limits
    )
    before = entries_of(tld)
    if checked.value is None:
        return AccessPreview(None, checked.findings)
    dup = check_new_domain(before, checked.value.domain_name)
    if dup:
        return AccessPreview(None, [dup])
    return AccessPreview(access_changes(before, [*before, checked.value]), checked.findings)


def preview_update(
    tld: Tld, entry_id: int, roles: Any, ip_acl: Any, limits: Limits
) -> AccessPreview:
    """Saving the entry's roles and prefixes (NotFound for an entry not of this TLD)."""
    row = get_entry(tld, entry_id)
    checked_roles = validate_roles(roles)
    checked_acl = validate_prefix_list(ip_acl, limits=limits)
    findings = [*checked_roles.findings, *checked_acl.findings]
    if checked_roles.value is None or checked_acl.value is None:
        return AccessPreview(None, findings)
    edited = Entry(row.domain_name, tuple(checked_roles.value), tuple(checked_acl.value))
    before = entries_of(tld)
    after = [edited if e.domain_name == row.domain_name else e for e in before]
    return AccessPreview(access_changes(before, after), findings)
