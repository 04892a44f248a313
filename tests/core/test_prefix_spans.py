"""Prefixes read as integers (portal/core/validation.py `canonical_span`, the fast path of
`validate_prefix_list`, and `access_changes` in portal/core/diff.py) give exactly what reading
them with `ipaddress` gives: the same findings, messages, kept prefixes and access changes.

The references below are the ipaddress-only versions: every prefix through `validate_prefix`,
containment by `subnet_of`, coverage by `collapse_addresses`."""

from __future__ import annotations

import ipaddress
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.core.diff import AccessChange, AccessChanges, access_changes
from portal.core.roles import ROLE_IDS
from portal.core.validation import (
    SPECIAL_SPACE,
    Checked,
    Entry,
    Finding,
    Limits,
    canonical_span,
    span_of,
    validate_prefix,
    validate_prefix_list,
)

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --------------------------------------------------------------------------- references


def reference_prefix_list(raws: list[str], limits: Limits | None = None) -> Checked[list[str]]:
    """`validate_prefix_list` of a list, with `ipaddress` networks all the way."""
    limits = limits or Limits()
    fld = "ip_acl"
    findings: list[Finding] = []
    nets = []
    for i, raw in enumerate(raws):
        checked = validate_prefix(raw, f"{fld}[{i}]")
        findings.extend(checked.findings)
        if checked.value is not None:
            nets.append(checked.value)
    if not raws:
        findings.append(
            Finding(fld, "Add at least one IP prefix: without one no client can use this entry.")
        )
    ordered = sorted(range(len(nets)), key=lambda i: (nets[i].version, nets[i].prefixlen, i))
    kept_idx: list[int] = []
    by_version: dict[int, list] = {4: [], 6: []}
    for i in ordered:
        net = nets[i]
        container = next((k for k in by_version[net.version] if net.subnet_of(k)), None)
        if container is None:
            by_version[net.version].append(net)
            kept_idx.append(i)
        elif container == net:
            findings.append(Finding(fld, f"{net} was listed twice; kept once.", "note"))
        else:
            findings.append(Finding(fld, f"{net} is covered by {container}; removed.", "note"))
    kept = [nets[i] for i in sorted(kept_idx)]
    if len(kept) > limits.max_prefixes_per_entry:
        findings.append(
            Finding(
                fld,
                f"{len(kept)} prefixes; the limit is {limits.max_prefixes_per_entry} per entry.",
            )
        )
    if any(f.severity == "error" for f in findings):
        return Checked(None, findings)
    return Checked([str(n) for n in kept], findings)


def reference_access_changes(before: list[Entry], after: list[Entry]) -> AccessChanges:
    def grants(entries: list[Entry]) -> dict:
        out: dict = {}
        for entry in entries:
            nets = [ipaddress.ip_network(p, strict=False) for p in entry.ip_acl]
            for role in entry.roles:
                out.setdefault((entry.domain_name, role), []).extend(nets)
        return out

    def uncovered(key, nets, other) -> list[AccessChange]:
        union = [
            *ipaddress.collapse_addresses([o for o in other if o.version == 4]),
            *ipaddress.collapse_addresses([o for o in other if o.version == 6]),
        ]
        out = []
        for net in dict.fromkeys(nets):
            if any(net.subnet_of(o) for o in union if o.version == net.version):
                continue
            inside = tuple(str(o) for o in other if o.version == net.version and o.subnet_of(net))
            out.append(AccessChange(key[0], key[1], str(net), tuple(dict.fromkeys(inside))))
        return out

    old, new = grants(before), grants(after)
    rank = {role: i for i, role in enumerate(ROLE_IDS)}
    gained: list[AccessChange] = []
    lost: list[AccessChange] = []
    for key in sorted(old.keys() | new.keys(), key=lambda k: (k[0], rank.get(k[1], len(rank)))):
        gained += uncovered(key, new.get(key, []), old.get(key, []))
        lost += uncovered(key, old.get(key, []), new.get(key, []))
    return AccessChanges(tuple(gained), tuple(lost))


# --------------------------------------------------------------------------- tricky prefixes

# Prefixes just inside and just outside special space, of every size that changes a finding.
BASES = (
    *("8.8.8.0", "11.0.0.0", "9.255.255.0", "100.63.255.0", "100.128.0.0", "126.255.255.0"),
    *("172.15.255.0", "172.32.0.0", "192.0.1.0", "192.0.3.0", "192.168.0.0", "198.17.255.0"),
    *("198.20.0.0", "223.255.255.0", "224.0.0.0", "255.255.255.255", "127.0.0.1"),
    "0.0.0.0",  # noqa: S104 (a prefix to validate)
    *("2a10::", "2600:1f18:abcd::", "1fff:ffff:ffff::", "2000::", "2001:db8::", "2003::"),
    *("3ffe:ffff::", "4000::", "fe80::", "fc00::", "ff02::1", "::1", "::ffff:11.0.0.0"),
    *("64:ff9b::", "100::", "2001:4860:4860::8888", "2a10:0:0:200::", "2a10:0:1::1:0:0"),
)


def spellings(base: str) -> list[str]:
    """The prefix lengths that matter for `base`, each written several ways."""
    address = ipaddress.ip_address(base)
    bits = address.max_prefixlen
    lengths = (0, 1, 8, 15, 16, 17, 24, 28, 32, 33) if bits == 32 else (0, 1, 31, 32, 48, 56, 64)
    out = [base, f" {base}\t", base.upper(), f"{base}%eth0", f"{base}/", f"/{bits}"]
    if bits == 128:
        out += [address.exploded, f"{address.exploded}/128", f"{base}/129", f"{base}/127"]
        out += [f"{base}/128", f"{base}%1/128"]
    else:
        out += [".".join(f"{int(o):03d}" for o in base.split(".")), f"::ffff:{base}"]
    for length in lengths:
        if length > bits:
            out.append(f"{base}/{length}")
            continue
        net = ipaddress.ip_network((address, length), strict=False)
        out += [str(net), f"{base}/{length}", f"{net.network_address}/0{length}"]
        out += [str(net).upper(), f"{net.network_address}/{net.netmask}"]
        if bits == 128:
            out.append(f"{net.network_address.exploded}/{length}")
    return out


TRICKY = sorted({s for base in BASES for s in spellings(base)}) + [
    *("", " ", "abc", "1.2.3", "1.2.3.4.5", "1.2.3.256/32", "１.2.3.4", "1.2.3.4/２４"),
    *("1.2.3.4/ 24", "1.2.3.4 /24", "+1.2.3.4", "1.2.3.4\x00", "2a10::1.2.3.4", "2a10:::1"),
    *("2a10::g", "2a10:00000::/32", ":2a10::", "2a10::/ 56", "0x0b000000/8", "2a10::/+56"),
]


@pytest.mark.parametrize("text", TRICKY)
def test_each_tricky_prefix_alone_reads_as_through_ipaddress(text: str) -> None:
    assert validate_prefix_list([text]) == reference_prefix_list([text])


def test_tricky_prefixes_together_read_as_through_ipaddress() -> None:
    # Several per list, so that duplicates and covered prefixes come from both paths.
    for size in (2, 5, 40):
        for start in range(0, len(TRICKY), size):
            chunk = TRICKY[start : start + size]
            assert validate_prefix_list(chunk) == reference_prefix_list(chunk), chunk
    assert validate_prefix_list(TRICKY, limits=Limits(max_prefixes_per_entry=3)) == (
        reference_prefix_list(TRICKY, Limits(max_prefixes_per_entry=3))
    )


# --------------------------------------------------------------------------- random prefixes


@st.composite
def prefix_texts(draw) -> str:
    """A prefix or address, often in public space, written as ipaddress would or otherwise."""
    version = draw(st.sampled_from([4, 6]))
    bits = 32 if version == 4 else 128
    if draw(st.booleans()):  # near the addresses of real access lists, in or out of 2000::/3
        top = draw(st.sampled_from([0x0B, 0x08, 0xC6, 0x64]) if version == 4 else st.just(0))
        high = (top << 24) if version == 4 else draw(st.integers(0x1FFF, 0x4000)) << 112
        low = draw(st.integers(0, 2 ** (24 if version == 4 else 112) - 1))
        value = high | low
    else:
        value = draw(st.integers(0, 2**bits - 1))
    length = draw(st.integers(0, bits))
    host_bits = draw(st.booleans())
    if not host_bits:
        value = value >> (bits - length) << (bits - length)
    address = ipaddress.ip_address(value) if version == 4 else ipaddress.IPv6Address(value)
    form = draw(st.sampled_from(["canonical", "bare", "exploded", "upper", "spaced", "zero"]))
    text = {
        "canonical": f"{address}/{length}",
        "bare": str(address),
        "exploded": f"{address.exploded}/{length}",
        "upper": f"{address}/{length}".upper(),
        "spaced": f" {address}/{length} ",
        "zero": f"{address}/0{length}",
    }[form]
    return text


@SETTINGS
@given(st.lists(prefix_texts(), max_size=12))
def test_random_prefix_lists_read_as_through_ipaddress(texts: list[str]) -> None:
    assert validate_prefix_list(texts) == reference_prefix_list(texts)


@SETTINGS
@given(prefix_texts())
def test_canonical_span_is_the_network_ipaddress_reads(text: str) -> None:
    span = canonical_span(text)
    try:
        net = ipaddress.ip_network(text)
    except ValueError:
        assert span is None
        return
    if span is not None:
        assert span == span_of(net)
        assert span.text == str(net)


@SETTINGS
@given(st.integers(0, 2**128 - 1), st.integers(0, 7), st.integers(0, 7))
def test_canonical_span_reads_what_ipaddress_writes(value: int, zero_at: int, zeros: int) -> None:
    # Runs of zero groups anywhere, of every length, so that "::" is placed every way.
    groups = [(value >> (16 * (7 - i))) & 0xFFFF for i in range(8)]
    groups[zero_at : zero_at + zeros] = [0] * len(groups[zero_at : zero_at + zeros])
    address = ipaddress.IPv6Address(sum(g << (16 * (7 - i)) for i, g in enumerate(groups)))
    span = canonical_span(str(address))
    if groups[0] == 0:  # ::/16 is left to ipaddress
        assert span is None
    else:
        assert span == span_of(ipaddress.ip_network(address))
    four = ipaddress.IPv4Address(value >> 96)
    assert canonical_span(str(four)) == span_of(ipaddress.ip_network(four))


def stdlib_special_networks() -> list:
    """Every network the stdlib's address tests look in, on the Python running the tests."""
    out = []
    for constants in (ipaddress._IPv4Constants, ipaddress._IPv6Constants):
        for name, value in vars(constants).items():
            if name.startswith("_public"):  # is_global's, not a warning's
                continue
            values = value if isinstance(value, list) else [value]
            out += [
                v for v in values if isinstance(v, ipaddress.IPv4Network | ipaddress.IPv6Network)
            ]
    return out


def test_special_space_holds_every_network_the_stdlib_tests_look_in() -> None:
    special = [ipaddress.ip_network(n) for n in SPECIAL_SPACE]
    found = stdlib_special_networks()
    assert len(found) > 20
    for net in found:
        assert any(net.version == s.version and net.subnet_of(s) for s in special), (
            f"{net} is special to ipaddress but outside SPECIAL_SPACE"
        )


def test_only_ordinary_prefixes_skip_validate_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    # Written as ipaddress writes them, /16 or longer (IPv4) and /32 or longer (IPv6), outside
    # special space: read as integers. Anything else goes through validate_prefix.
    ordinary = ["11.0.0.0/28", "11.0.0.0/16", "8.8.8.8", "2a10::/56", "2a10::/32", "2a10::1"]
    others = ["11.0.0.0/15", "2a10::/31", "10.0.0.0/24", "2001:db8::/48", "2002::/24"]
    others += ["011.0.0.0/28", "2A10::/56", "11.0.0.1/28", "11.0.0.0/016", "::ffff:b00:0/120"]
    asked: list[str] = []

    def recording(raw, fld="ip_acl"):
        asked.append(raw)
        return validate_prefix(raw, fld)

    monkeypatch.setattr("portal.core.validation.validate_prefix", recording)
    checked = validate_prefix_list(ordinary + others)
    assert asked == others
    assert checked == reference_prefix_list(ordinary + others)


# --------------------------------------------------------------------------- access changes

NAMES = ("a.example", "b.example")
ROLES = ROLE_IDS[:3]
ACL_TEXTS = (
    *("10.0.0.0/24", "10.0.0.0/25", "10.0.0.128/25", "10.0.0.1/24", "10.0.1.0/24", "10.0.0.0/23"),
    *("10.0.0.64/26", "10.0.0.0/8", "11.0.0.0/28", "11.0.0.16/28", "11.0.0.0/27"),
    *("2a10::/56", "2a10:0:0:100::/56", "2a10::/55", "2A10::/48", "2a10::1/56", "::ffff:a00:0/120"),
    *("fe80::/64", "2001:db8::/32", "0.0.0.0/0", "::/0"),
)
entry_lists = st.lists(
    st.builds(
        lambda name, roles, acl: Entry(name, tuple(roles), tuple(acl)),
        st.sampled_from(NAMES),
        st.lists(st.sampled_from(ROLES), min_size=1, max_size=3, unique=True),
        st.lists(st.sampled_from(ACL_TEXTS), min_size=1, max_size=5),
    ),
    max_size=4,
)


@SETTINGS
@given(entry_lists, entry_lists)
def test_access_changes_are_those_of_collapsed_ipaddress_networks(before, after) -> None:
    assert access_changes(before, after) == reference_access_changes(before, after)


def test_access_changes_on_every_pair_of_tricky_acls() -> None:
    for a, b in itertools.product(ACL_TEXTS, repeat=2):
        before = [Entry("a.example", (ROLES[0],), (a,))]
        after = [Entry("a.example", (ROLES[0],), (b, "10.0.0.0/25"))]
        assert access_changes(before, after) == reference_access_changes(before, after), (a, b)


def test_a_zone_index_is_compared_by_its_addresses() -> None:
    # No entry holds one (the validators refuse zone indexes). ipaddress would order
    # fe80::%eth0 apart from fe80:: and collapse the two /64s into fe80::/63, so here the
    # integer reading differs from the reference on purpose: same addresses, no change.
    before = [Entry("a.example", (ROLES[0],), ("fe80::/64",))]
    after = [Entry("a.example", (ROLES[0],), ("fe80::%eth0/64",))]
    assert access_changes(before, after).none
    assert not reference_access_changes(before, after).none
