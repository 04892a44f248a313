"""Readable differences between two snapshots of a TLD's configuration (for History)."""

from __future__ import annotations

from typing import Any


def _entries(doc: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    if not doc:
        return {}
    return {e["domain_name"]: e for e in doc.get("entries", [])}


def describe_changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    """One sentence per change, in a stable order."""
    lines: list[str] = []
    old, new = _entries(before), _entries(after)
    for name in sorted(new.keys() - old.keys()):
        e = new[name]
        lines.append(
            f"Added entry {name} with roles {', '.join(e['roles'])} "
            f"and prefixes {', '.join(e['ip_acl'])}"
        )
    for name in sorted(old.keys() - new.keys()):
        lines.append(f"Removed entry {name}")
    for name in sorted(old.keys() & new.keys()):
        o, n = old[name], new[name]
        for key, label in (("roles", "roles"), ("ip_acl", "prefixes")):
            added = [x for x in n[key] if x not in o[key]]
            removed = [x for x in o[key] if x not in n[key]]
            if added:
                lines.append(f"{name}: {label} added: {', '.join(added)}")
            if removed:
                lines.append(f"{name}: {label} removed: {', '.join(removed)}")
    b_acl = (before or {}).get("basic_ip_acl")
    a_acl = (after or {}).get("basic_ip_acl")
    if b_acl is not None or a_acl is not None:
        b_set, a_set = b_acl or [], a_acl or []
        added = [x for x in a_set if x not in b_set]
        removed = [x for x in b_set if x not in a_set]
        if added:
            lines.append(f"Basic-auth prefixes added: {', '.join(added)}")
        if removed:
            lines.append(f"Basic-auth prefixes removed: {', '.join(removed)}")
    for key in sorted(
        set((before or {}).get("passwords", {})) | set((after or {}).get("passwords", {}))
    ):
        b_pw = (before or {}).get("passwords", {}).get(key)
        a_pw = (after or {}).get("passwords", {}).get(key)
        if a_pw != b_pw:
            change = "removed" if not a_pw else "rotated" if b_pw else "set"
            lines.append(f"Password of {key} {change}")
    return lines
