"""Validators for TLS client authentication data: one module for UI, API, CLI and bulk upload.

Each validator returns a `Checked` value: the normalised value (or None) plus a list of
`Finding`s, each an error, a warning or a note, with the field it concerns and a sentence a
person understands. Errors refuse the input; warnings and notes are shown but accepted.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import struct
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, NamedTuple, TypeVar

import idna

from .roles import ROLE_IDS, sort_roles

T = TypeVar("T")
Severity = Literal["error", "warning", "note"]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_NAME_LENGTH = 253
MAX_LABEL_LENGTH = 63
# Shorter prefixes than these are accepted but flagged as very broad.
BROAD_IPV4_PREFIXLEN = 16
BROAD_IPV6_PREFIXLEN = 32


@dataclass(frozen=True)
class Finding:
    field: str
    message: str
    severity: Severity = "error"

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


@dataclass
class Checked(Generic[T]):
    value: T | None
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def notes(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "note"]


@dataclass(frozen=True)
class Limits:
    """Per-TLD and per-entry ceilings; defaults far above what a real RSP configures."""

    max_entries_per_tld: int = 100
    max_prefixes_per_entry: int = 500


# --------------------------------------------------------------------------- domain names

_LDH_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
_UNDERSCORE_LABEL = re.compile(r"^_[a-z0-9_-]*$")


def _check_label(label: str, fld: str) -> tuple[str | None, Finding | None]:
    """Return the A-label form of one label, or an error."""
    if not label:
        return None, Finding(
            fld, "The name has an empty label (two dots in a row, or a leading dot)."
        )
    if label.startswith("_"):
        if not _UNDERSCORE_LABEL.match(label):
            return None, Finding(
                fld, f"Label “{label}” may hold only letters, digits, hyphens and underscores."
            )
        return label, None
    if not label.isascii():
        try:
            return idna.alabel(label).decode("ascii"), None
        except idna.IDNAError as exc:
            return None, Finding(
                fld, f"Label “{label}” is not a valid internationalised label: {exc}."
            )
    if "_" in label:
        return None, Finding(
            fld,
            f"Label “{label}”: an underscore is allowed only as the first character of a label.",
        )
    if not _LDH_LABEL.match(label):
        return None, Finding(
            fld,
            f"Label “{label}” may hold only letters, digits and hyphens, "
            "and may not begin or end with a hyphen.",
        )
    if label[2:4] == "--":
        if not label.startswith("xn--"):
            return None, Finding(
                fld, f"Label “{label}”: hyphens in the third and fourth positions are reserved."
            )
        try:
            idna.ulabel(label)
        except (idna.IDNAError, UnicodeError) as exc:
            return None, Finding(fld, f"Label “{label}” is not a valid A-label: {exc}.")
    return label, None


def validate_domain_name(raw: Any, fld: str = "domain_name") -> Checked[str]:
    """A-label or U-label → lower-case A-label without trailing dot."""
    if not isinstance(raw, str):
        return Checked(None, [Finding(fld, "The domain name must be text.")])
    name = raw.strip()
    if not name:
        return Checked(None, [Finding(fld, "Enter a domain name.")])
    if not name.isascii():
        try:
            # UTS #46 mapping: case folding, full-width dots and similar.
            name = idna.uts46_remap(name, std3_rules=False, transitional=False)
        except idna.IDNAError as exc:
            return Checked(
                None, [Finding(fld, f"“{raw.strip()}” is not a valid domain name: {exc}.")]
            )
    name = name.lower()
    if name.endswith("."):
        name = name[:-1]
    if any(ch.isspace() for ch in name):
        return Checked(None, [Finding(fld, "A domain name may not contain spaces.")])
    labels = name.split(".")
    if len(labels) < 2:
        return Checked(
            None,
            [
                Finding(
                    fld,
                    "Enter a fully qualified name with at least two labels, e.g. client.example.",
                )
            ],
        )
    out: list[str] = []
    for label in labels:
        alabel, err = _check_label(label, fld)
        if err:
            return Checked(None, [err])
        assert alabel is not None
        if len(alabel) > MAX_LABEL_LENGTH:
            return Checked(
                None,
                [
                    Finding(
                        fld, f"Label “{label}” is {len(alabel)} characters long; the limit is 63."
                    )
                ],
            )
        out.append(alabel)
    result = ".".join(out)
    if len(result) > MAX_NAME_LENGTH:
        return Checked(
            None, [Finding(fld, f"The name is {len(result)} characters long; the limit is 253.")]
        )
    if out[-1].isdigit():
        return Checked(None, [Finding(fld, "The last label (the TLD) cannot be all digits.")])
    findings: list[Finding] = []
    if any(label.startswith("_") for label in out):
        findings.append(
            Finding(
                fld,
                "Labels beginning with “_” are fine for a TLSA owner name, but such a name cannot "
                "appear in a certificate's subjectAltName: use it with DANE-EE (usage 3) records.",
                "warning",
            )
        )
    if result != raw.strip().rstrip(".").lower() and not raw.strip().isascii():
        findings.append(Finding(fld, f"Stored as its A-label {result}.", "note"))
    return Checked(result, findings)


def validate_tld_name(raw: Any, fld: str = "tld") -> Checked[str]:
    """A TLD label, A-label or U-label → lower-case A-label (validated as a name's last label)."""
    if not isinstance(raw, str):
        return Checked(None, [Finding(fld, "The TLD must be text, such as example.")])
    checked = validate_domain_name(f"x.{raw.strip().strip('.')}", fld)
    if checked.value is None:
        return Checked(None, checked.errors)
    if "." in checked.value[2:]:
        return Checked(None, [Finding(fld, "A TLD is a single label.")])
    return Checked(checked.value[2:])


# --------------------------------------------------------------------------- people and accounts

MIN_USER_PASSWORD = 10
MIN_BASIC_PASSWORD = 12
MAX_BASIC_PASSWORD = 128
# A TLD's HTTP Basic accounts: the registry's `<tld>_ry` and the escrow agent's `<tld>_dea`.
BASIC_ACCOUNTS: tuple[str, ...] = ("ry", "dea")


def validate_email(raw: Any, fld: str = "email") -> Checked[str]:
    """An email address as users sign in with it: trimmed, lower case."""
    if not isinstance(raw, str):
        return Checked(None, [Finding(fld, "The email address must be text.")])
    email = raw.strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@") or " " in email:
        return Checked(None, [Finding(fld, f"“{email}” is not an email address.")])
    return Checked(email)


def validate_user_password(password: Any, fld: str = "password") -> list[Finding]:
    if not isinstance(password, str):
        return [Finding(fld, "Enter the password as text.")]
    if len(password) < MIN_USER_PASSWORD:
        return [Finding(fld, f"Use at least {MIN_USER_PASSWORD} characters.")]
    return []


def validate_basic_password(
    password: Any, confirm: Any = None, fld: str = "password"
) -> list[Finding]:
    out: list[Finding] = []
    if not isinstance(password, str):
        out.append(Finding(fld, "Enter the password as text."))
    elif len(password) < MIN_BASIC_PASSWORD:
        out.append(Finding(fld, f"Use at least {MIN_BASIC_PASSWORD} characters."))
    elif len(password) > MAX_BASIC_PASSWORD:
        out.append(Finding(fld, f"Use at most {MAX_BASIC_PASSWORD} characters."))
    elif not password.isprintable() or ":" in password:
        out.append(
            Finding(fld, "Use printable characters only, without “:” (HTTP Basic splits on it).")
        )
    if confirm is not None and confirm != password:
        out.append(Finding("confirm", "The two passwords differ."))
    return out


# --------------------------------------------------------------------------- IP prefixes


def split_prefix_text(text: str) -> list[str]:
    """Prefixes typed in a text box: one per line, or separated by commas or spaces."""
    return [p for p in re.split(r"[\s,;]+", text) if p]


def _zone_error(net: Network, text: str, fld: str) -> Checked[Network] | None:
    # ipaddress accepts RFC 4007 zone indexes ("fe80::1%eth0/128") and keeps them in str();
    # a zone names an interface of the machine it was typed on and is no part of a prefix.
    if net.version == 6 and net.network_address.scope_id:  # type: ignore[union-attr]
        return Checked(
            None,
            [
                Finding(
                    fld,
                    f"“{text}” carries a zone index (the part from “%”); "
                    "enter the prefix without it, e.g. fe80::/64.",
                )
            ],
        )
    return None


def validate_prefix(raw: Any, fld: str = "ip_acl") -> Checked[Network]:
    if not isinstance(raw, str):
        return Checked(None, [Finding(fld, "Each prefix must be text such as 192.0.2.0/24.")])
    text = raw.strip()
    if not text:
        return Checked(
            None, [Finding(fld, "Enter a prefix such as 192.0.2.0/24 or 2001:db8::/48.")]
        )
    try:
        net = ipaddress.ip_network(text, strict=True)
    except ValueError:
        try:
            loose = ipaddress.ip_network(text, strict=False)
        except ValueError:
            return Checked(
                None,
                [
                    Finding(
                        fld,
                        f"“{text}” is not an IPv4 or IPv6 prefix "
                        "(examples: 192.0.2.0/24, 198.51.100.7, 2001:db8::/48).",
                    )
                ],
            )
        if loose.prefixlen == 0:
            # Never suggest 0.0.0.0/0 or ::/0: they are refused below.
            return Checked(
                None,
                [Finding(fld, f"{text} would admit every address; enter a narrower prefix.")],
            )
        return Checked(
            None,
            [Finding(fld, f"{text} has host bits set; did you mean {loose}?")],
        )
    if zone := _zone_error(net, text, fld):
        return zone
    if net.prefixlen == 0:
        return Checked(
            None,
            [Finding(fld, f"{net} would admit every address; enter a narrower prefix.")],
        )
    findings: list[Finding] = []
    if "/" not in text:
        findings.append(Finding(fld, f"{text} taken as the single address {net}.", "note"))
    broad = BROAD_IPV4_PREFIXLEN if net.version == 4 else BROAD_IPV6_PREFIXLEN
    if net.prefixlen < broad:
        findings.append(
            Finding(
                fld,
                f"{net} is very broad ({net.num_addresses:,} addresses); "
                "an access list is usually a few hosts or a small network.",
                "warning",
            )
        )
    if net.is_loopback:
        findings.append(
            Finding(
                fld, f"{net} is loopback: only clients on the harness machine match it.", "warning"
            )
        )
    elif net.is_private or net.is_reserved or net.is_link_local or net.is_multicast:
        findings.append(
            Finding(
                fld,
                f"{net} is private or reserved address space: production ICANN systems "
                "will never see a client from it.",
                "warning",
            )
        )
    return Checked(net, findings)


def validate_prefix_list(
    raws: Any, fld: str = "ip_acl", limits: Limits | None = None, required: bool = True
) -> Checked[list[str]]:
    """Validate a list of prefixes, then drop duplicates and prefixes covered by another."""
    limits = limits or Limits()
    if isinstance(raws, str):
        raws = split_prefix_text(raws)
    if not isinstance(raws, list | tuple):
        return Checked(None, [Finding(fld, "The access list must be a list of prefixes.")])
    findings: list[Finding] = []
    spans: list[Span] = []
    for i, raw in enumerate(raws):
        span, found = _checked_span(raw, fld, i)
        findings.extend(found)
        if span is not None:
            spans.append(span)
    if required and not raws:
        findings.append(
            Finding(fld, "Add at least one IP prefix: without one no client can use this entry.")
        )
    kept = _collapse(spans, fld, findings)
    if len(kept) > limits.max_prefixes_per_entry:
        findings.append(
            Finding(
                fld,
                f"{len(kept)} prefixes; the limit is {limits.max_prefixes_per_entry} per entry.",
            )
        )
    if any(f.severity == "error" for f in findings):
        return Checked(None, findings)
    return Checked([s.text for s in kept], findings)


def _collapse(spans: Sequence[Span], fld: str, findings: list[Finding]) -> list[Span]:
    """Keep input order; remove exact duplicates and prefixes inside a broader one."""
    # Sorting by (version, prefixlen) means every possible container is seen before its subnets.
    ordered = sorted(range(len(spans)), key=lambda i: (spans[i].version, spans[i].prefixlen, i))
    kept_idx: list[int] = []
    by_version: dict[int, list[Span]] = {4: [], 6: []}
    for i in ordered:
        span = spans[i]
        container = next(
            (k for k in by_version[span.version] if k.first <= span.first and span.last <= k.last),
            None,
        )
        if container is None:
            by_version[span.version].append(span)
            kept_idx.append(i)
        elif container == span:
            findings.append(Finding(fld, f"{span.text} was listed twice; kept once.", "note"))
        else:
            findings.append(
                Finding(fld, f"{span.text} is covered by {container.text}; removed.", "note")
            )
    return [spans[i] for i in sorted(kept_idx)]


# --------------------------------------------------------------------------- prefixes as integers


class Span(NamedTuple):
    """A prefix as integers (first and last address, length) with its text as `str()` of its
    `ipaddress` network. Equal networks have equal spans."""

    version: int
    first: int
    last: int
    prefixlen: int
    text: str


def span_of(net: Network) -> Span:
    first = int(net.network_address)
    return Span(net.version, first, first + net.num_addresses - 1, net.prefixlen, str(net))


_PREFIXLENS = {str(n): n for n in range(129)}


def _v6_text(packed: bytes) -> str:
    """An IPv6 address as `ipaddress` writes it: lower-case hex groups, the first longest run
    of two or more zero groups as “::”."""
    groups = [f"{g:x}" for g in struct.unpack(">8H", packed)]
    best_start, best_len, start, length = -1, 1, -1, 0
    for i, group in enumerate(groups):
        if group == "0":
            if length == 0:
                start = i
            length += 1
            if length > best_len:
                best_start, best_len = start, length
        else:
            length = 0
    if best_start < 0:
        return ":".join(groups)
    end = best_start + best_len
    return ":".join(groups[:best_start]) + "::" + ":".join(groups[end:])


def canonical_span(text: str) -> Span | None:
    """The span of a prefix or address written exactly as `ipaddress` writes it, without host
    bits (“192.0.2.0/24”, “2001:db8::/48”, “198.51.100.7”); None for any other text, which
    `ipaddress` must then read. IPv6 addresses in ::/16 are left to it too: how it writes
    IPv4-mapped addresses depends on the Python version."""
    address, slash, length = text.partition("/")
    prefixlen = _PREFIXLENS.get(length) if slash else None
    if slash and prefixlen is None:
        return None
    try:
        if ":" in address:
            packed = socket.inet_pton(socket.AF_INET6, address)
            if packed[0] == packed[1] == 0 or _v6_text(packed) != address:
                return None
            version, bits = 6, 128
        else:
            packed = socket.inet_pton(socket.AF_INET, address)
            if ".".join(map(str, packed)) != address:
                return None
            version, bits = 4, 32
    except (OSError, ValueError):  # not an address (ValueError: NUL, non-ASCII)
        return None
    if prefixlen is None:
        prefixlen = bits
    elif prefixlen > bits:
        return None
    first = int.from_bytes(packed, "big")
    size = 1 << (bits - prefixlen)
    if first & (size - 1):
        return None
    return Span(version, first, first + size - 1, prefixlen, text if slash else f"{text}/{bits}")


def _merged(networks: Iterable[str]) -> dict[int, tuple[list[int], list[int]]]:
    """Per version the sorted starts and ends of the networks' union, adjacent ones joined."""
    out: dict[int, tuple[list[int], list[int]]] = {}
    for version in (4, 6):
        spans = sorted(
            (s.first, s.last)
            for s in (span_of(ipaddress.ip_network(n)) for n in networks)
            if s.version == version
        )
        starts: list[int] = []
        ends: list[int] = []
        for first, last in spans:
            if ends and first <= ends[-1] + 1:
                ends[-1] = max(ends[-1], last)
            else:
                starts.append(first)
                ends.append(last)
        out[version] = (starts, ends)
    return out


# Where any of ipaddress's loopback, private, reserved, link-local or multicast tests can hold,
# on this Python or a later one (a superset: a test compares it with the stdlib's own lists).
# A prefix wholly outside it draws no warning about its address space, so it needs no test.
SPECIAL_SPACE = (
    *("0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16"),
    *("172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16"),
    *("198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/3"),
    # Everything but 2000::/3 is reserved, private or multicast; inside it 2001::/23 and the
    # documentation prefixes are private, and later Pythons add 2002::/16 and 3fff::/20.
    *("::/3", "4000::/2", "8000::/1", "2001::/16", "2002::/16", "3fff::/16"),
)
_SPECIAL = _merged(SPECIAL_SPACE)
_BROAD = {4: BROAD_IPV4_PREFIXLEN, 6: BROAD_IPV6_PREFIXLEN}


def _plain(span: Span) -> bool:
    """Whether `validate_prefix` finds nothing to say of this prefix's size or address space."""
    if span.prefixlen < _BROAD[span.version]:
        return False
    starts, ends = _SPECIAL[span.version]
    i = bisect_right(starts, span.last)
    return i == 0 or ends[i - 1] < span.first


def _checked_span(raw: Any, fld: str, index: int) -> tuple[Span | None, list[Finding]]:
    """`validate_prefix` for one prefix of a list, as a span. A prefix written as `ipaddress`
    writes it, of ordinary size and in ordinary address space (most of any real list) is
    read without building a network: it draws no finding but the bare address's note."""
    if isinstance(raw, str):
        text = raw.strip()
        span = canonical_span(text)
        if span is not None and _plain(span):
            if "/" in text:
                return span, []
            note = f"{text} taken as the single address {span.text}."
            return span, [Finding(f"{fld}[{index}]", note, "note")]
    checked = validate_prefix(raw, f"{fld}[{index}]")
    return (None if checked.value is None else span_of(checked.value)), checked.findings


# --------------------------------------------------------------------------- roles


def validate_roles(raws: Any, fld: str = "roles") -> Checked[list[str]]:
    if isinstance(raws, str):
        raws = [raws]
    if not isinstance(raws, list | tuple | set):
        return Checked(None, [Finding(fld, "Roles must be a list of role ids.")])
    unknown = [r for r in raws if not isinstance(r, str) or r not in ROLE_IDS]
    if unknown:
        return Checked(
            None,
            [
                Finding(
                    fld,
                    f"Unknown role {', '.join(repr(u) for u in unknown)}; "
                    f"valid roles are {', '.join(ROLE_IDS)}.",
                )
            ],
        )
    if not raws:
        return Checked(None, [Finding(fld, "Choose at least one role.")])
    return Checked(sort_roles(raws))


# --------------------------------------------------------------------------- entries


@dataclass(frozen=True)
class Entry:
    domain_name: str
    roles: tuple[str, ...]
    ip_acl: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "domain_name": self.domain_name,
            "roles": list(self.roles),
            "ip_acl": list(self.ip_acl),
        }


def validate_entry(data: Any, prefix: str = "", limits: Limits | None = None) -> Checked[Entry]:
    if not isinstance(data, Mapping):
        return Checked(
            None, [Finding(prefix.rstrip(".") or "entry", "Each entry must be an object.")]
        )
    name = validate_domain_name(data.get("domain_name"), f"{prefix}domain_name")
    roles = validate_roles(data.get("roles", []), f"{prefix}roles")
    acl = validate_prefix_list(data.get("ip_acl", []), f"{prefix}ip_acl", limits)
    findings = [*name.findings, *roles.findings, *acl.findings]
    if name.value is None or roles.value is None or acl.value is None:
        return Checked(None, findings)
    return Checked(Entry(name.value, tuple(roles.value), tuple(acl.value)), findings)


def validate_entries(data: Any, limits: Limits | None = None) -> Checked[list[Entry]]:
    """A whole TLD's entries (the API document's `entries`)."""
    limits = limits or Limits()
    if not isinstance(data, list):
        return Checked(None, [Finding("entries", "“entries” must be a list.")])
    findings: list[Finding] = []
    entries: list[Entry] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(data):
        checked = validate_entry(item, f"entries[{i}].", limits)
        findings.extend(checked.findings)
        if checked.value is None:
            continue
        first = seen.setdefault(checked.value.domain_name, i)
        if first != i:
            findings.append(
                Finding(
                    f"entries[{i}].domain_name",
                    f"{checked.value.domain_name} is already entry {first + 1}; "
                    "give one entry all its roles and prefixes.",
                )
            )
        entries.append(checked.value)
    if len(data) > limits.max_entries_per_tld:
        findings.append(
            Finding(
                "entries",
                f"{len(data)} entries; the limit is {limits.max_entries_per_tld} per TLD.",
            )
        )
    if any(f.severity == "error" for f in findings):
        return Checked(None, findings)
    return Checked(entries, findings)


def check_new_domain(
    entries: Iterable[Entry], name: str, fld: str = "domain_name"
) -> Finding | None:
    """The error for adding a second entry with an existing name, if it is one."""
    if any(e.domain_name == name for e in entries):
        return Finding(fld, f"{name} already has an entry; edit that entry instead.")
    return None
