"""Differences between two snapshots of a TLD's configuration: readable lines (for History),
and who gains or loses access (for the preview of an edit before it is saved)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .roles import ROLE_IDS
from .validation import Entry, Span, canonical_span, span_of


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
    lines += _party_changes(before or {}, after or {})
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


def _party_changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The registry operator and RSP of record, when an event records them."""
    lines: list[str] = []
    old_op, new_op = before.get("operator"), after.get("operator")
    if old_op != new_op and old_op and new_op:
        lines.append(f"Registry operator changed from {old_op} to {new_op}")
    if "rsp" in before or "rsp" in after:
        old_rsp, new_rsp = before.get("rsp"), after.get("rsp")
        if old_rsp != new_rsp:
            lines.append(
                f"RSP of record set to {new_rsp}"
                if not old_rsp
                else f"RSP of record removed (was {old_rsp})"
                if not new_rsp
                else f"RSP of record changed from {old_rsp} to {new_rsp}"
            )
    return lines


# --------------------------------------------------------------------------- access


@dataclass(frozen=True, order=True)
class AccessChange:
    """A (domain name, role, prefix) combination that gains or loses access. `overlap` lists the
    other side's prefixes inside this one: the addresses there had access before (for a gain)
    or keep it (for a loss)."""

    domain_name: str
    role: str
    prefix: str
    overlap: tuple[str, ...] = ()


@dataclass(frozen=True)
class AccessChanges:
    gained: tuple[AccessChange, ...]
    lost: tuple[AccessChange, ...]

    @property
    def none(self) -> bool:
        return not self.gained and not self.lost


def _span(text: str, seen: dict[str, Span]) -> Span:
    span = seen.get(text)
    if span is None:
        span = canonical_span(text) or span_of(ipaddress.ip_network(text, strict=False))
        seen[text] = span
    return span


def _grants(entries: Iterable[Entry], seen: dict[str, Span]) -> dict[tuple[str, str], list[Span]]:
    out: dict[tuple[str, str], list[Span]] = {}
    for entry in entries:
        spans = [_span(p, seen) for p in entry.ip_acl]
        for role in entry.roles:
            out.setdefault((entry.domain_name, role), []).extend(spans)
    return out


def _union(spans: list[Span]) -> list[tuple[int, int, int]]:
    """The addresses of `spans` as (version, first, last) runs, adjacent and overlapping joined."""
    runs: list[tuple[int, int, int]] = []
    for version, first, last in sorted((s.version, s.first, s.last) for s in spans):
        if runs and runs[-1][0] == version and first <= runs[-1][2] + 1:
            if last > runs[-1][2]:
                runs[-1] = (version, runs[-1][1], last)
        else:
            runs.append((version, first, last))
    return runs


def _uncovered(key: tuple[str, str], spans: list[Span], other: list[Span]) -> list[AccessChange]:
    """The prefixes of `spans` not wholly inside the union of `other`."""
    union = _union(other)
    out = []
    for net in dict.fromkeys(spans):
        if any(v == net.version and f <= net.first and net.last <= t for v, f, t in union):
            continue
        inside = tuple(
            o.text
            for o in other
            if o.version == net.version and net.first <= o.first and o.last <= net.last
        )
        out.append(AccessChange(key[0], key[1], net.text, tuple(dict.fromkeys(inside))))
    return out


def access_changes(before: Iterable[Entry], after: Iterable[Entry]) -> AccessChanges:
    """Which (domain name, role, prefix) combinations gain or lose access from `before` to
    `after`. A prefix counts as gained unless every address in it had the role through the
    same domain name before, and as lost unless every address in it keeps it."""
    seen: dict[str, Span] = {}
    old, new = _grants(before, seen), _grants(after, seen)
    gained: list[AccessChange] = []
    lost: list[AccessChange] = []
    rank = {role: i for i, role in enumerate(ROLE_IDS)}
    for key in sorted(old.keys() | new.keys(), key=lambda k: (k[0], rank.get(k[1], len(rank)))):
        gained += _uncovered(key, new.get(key, []), old.get(key, []))
        lost += _uncovered(key, old.get(key, []), new.get(key, []))
    return AccessChanges(tuple(gained), tuple(lost))
