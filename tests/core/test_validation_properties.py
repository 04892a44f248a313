"""Property-based tests (hypothesis) for the shared validators."""

from __future__ import annotations

import ipaddress
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from portal.core.roles import ROLE_IDS
from portal.core.validation import (
    Checked,
    Entry,
    Limits,
    validate_domain_name,
    validate_entries,
    validate_entry,
    validate_prefix,
    validate_prefix_list,
    validate_roles,
)

SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --------------------------------------------------------------------------- strategies

LDH = string.ascii_lowercase + string.digits


@st.composite
def ldh_labels(draw, min_size: int = 1, max_size: int = 70) -> str:
    """An LDH label: letters/digits at both ends, hyphens inside, never "--" at positions 3-4."""
    size = draw(st.integers(min_size, max_size))
    if size <= 2:
        return draw(st.text(LDH, min_size=size, max_size=size))
    first = draw(st.sampled_from(LDH))
    last = draw(st.sampled_from(LDH))
    middle = list(draw(st.text(LDH + "-", min_size=size - 2, max_size=size - 2)))
    if len(middle) >= 3 and middle[1] == middle[2] == "-":
        middle[2] = "a"
    return first + "".join(middle) + last


@st.composite
def ldh_names(draw) -> str:
    labels = draw(st.lists(ldh_labels(), min_size=2, max_size=7))
    tld = labels[-1]
    if tld.isdigit():  # an all-digit TLD is refused for a different reason
        labels[-1] = "x" + tld[1:]
    return ".".join(labels)


# Characters that exercise the IDNA path: letters from several scripts, joiners, full-width
# forms, ideographic full stop, combining marks, underscore, plus the plain LDH repertoire.
IDN_ALPHABET = st.sampled_from(
    list("abcxyzXYZ0189-_.")
    + ["ü", "ß", "ς", "é", "e\u0301", "ı", "İ", "ﬀ", "ǅ", "Ａ", "。", "．", "\u200c", "\u200d"]
    + ["ا", "١", "א", "ㄱ", "〆", "·", "・", "д", "β", "中", "☃", " ", "\u00a0", "\t"]
)
idn_texts = st.lists(IDN_ALPHABET, max_size=40).map("".join)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def networks(draw, version: int | None = None, min_prefixlen: int = 1):
    v = version if version is not None else draw(st.sampled_from([4, 6]))
    address = draw(st.ip_addresses(v=v))
    bits = 32 if v == 4 else 128
    prefixlen = draw(st.integers(min_prefixlen, bits))
    return ipaddress.ip_network((address, prefixlen), strict=False)


@st.composite
def clustered_networks(draw):
    """Networks drawn from two small areas so duplicates and nesting are common."""
    base = draw(
        st.sampled_from(
            [ipaddress.ip_network("10.20.0.0/16"), ipaddress.ip_network("2001:db8:5::/48")]
        )
    )
    offset = draw(st.integers(0, min(base.num_addresses - 1, 2**16 - 1)))
    address = base.network_address + offset
    prefixlen = draw(st.integers(base.prefixlen, base.max_prefixlen))
    return ipaddress.ip_network((address, prefixlen), strict=False)


def assert_well_formed(checked: Checked) -> None:
    """What every validator promises whatever its input."""
    assert isinstance(checked, Checked)
    for finding in checked.findings:
        assert finding.severity in ("error", "warning", "note")
        assert isinstance(finding.message, str) and finding.message
        assert isinstance(finding.field, str) and finding.field
    if checked.errors:
        assert checked.value is None
    else:
        assert checked.value is not None


def assert_valid_name(name: str) -> None:
    assert name.isascii()
    assert name == name.lower()
    assert not name.endswith(".")
    assert len(name) <= 253
    labels = name.split(".")
    assert len(labels) >= 2
    assert all(1 <= len(label) <= 63 for label in labels)


# --------------------------------------------------------------------------- domain names


@SETTINGS
@given(st.one_of(ldh_names(), idn_texts, st.text(max_size=60)))
def test_domain_name_idempotent_and_well_formed(raw: str) -> None:
    checked = validate_domain_name(raw)
    assert_well_formed(checked)
    if not checked.ok:
        return
    assert_valid_name(checked.value)
    again = validate_domain_name(checked.value)
    assert again.ok and again.errors == []
    assert again.value == checked.value
    # Re-validating the stored form gives no new note (it is already an A-label).
    assert again.notes == []


@SETTINGS
@given(ldh_names())
def test_ldh_name_accepted_iff_length_rules_hold(name: str) -> None:
    labels = name.split(".")
    within = len(name) <= 253 and all(len(label) <= 63 for label in labels)
    checked = validate_domain_name(name)
    assert checked.ok is within, (name, checked.findings)
    if within:
        assert checked.value == name
        assert checked.findings == []
    else:
        assert len(checked.errors) == 1
        assert "limit is" in checked.errors[0].message


@SETTINGS
@given(ldh_names(), st.booleans(), st.sampled_from(["", " ", "\t", "\n "]))
def test_case_trailing_dot_and_whitespace_do_not_matter(
    name: str, trailing_dot: bool, pad: str
) -> None:
    plain = validate_domain_name(name)
    variant = pad + name.upper() + ("." if trailing_dot else "") + pad
    assert validate_domain_name(variant).value == plain.value


@SETTINGS
@given(st.lists(ldh_labels(max_size=20), min_size=1, max_size=3), ldh_names())
def test_underscore_prefixed_names_accepted_with_warning(service: list[str], name: str) -> None:
    assume(len(name) < 150)
    owner = ".".join("_" + label for label in service) + "." + name
    checked = validate_domain_name(owner)
    if not checked.ok:
        # Only the length rules may refuse it.
        assert any("limit is" in f.message for f in checked.errors)
        return
    assert checked.value == owner
    assert len(checked.warnings) == 1


@SETTINGS
@given(ldh_labels(min_size=1, max_size=20), st.integers(0, 19), ldh_names())
def test_underscore_inside_a_label_refused(label: str, at: int, name: str) -> None:
    at = min(at, len(label))
    assume(at > 0)
    bad = label[:at] + "_" + label[at:]
    checked = validate_domain_name(bad + "." + name)
    assert not checked.ok
    assert "underscore" in checked.errors[0].message


# --------------------------------------------------------------------------- single prefixes


@SETTINGS
@given(networks())
def test_strict_network_accepted_and_normalised(net) -> None:
    for text in {str(net), net.exploded, net.exploded.upper(), f"  {net.compressed}  "}:
        checked = validate_prefix(text)
        assert checked.ok, (text, checked.findings)
        assert checked.value == net
        assert str(checked.value) == str(net)
        assert not any("taken as the single address" in m.message for m in checked.notes)


@SETTINGS
@given(st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)))
def test_bare_address_becomes_host_prefix(address) -> None:
    checked = validate_prefix(str(address))
    host = ipaddress.ip_network(address)
    assert checked.ok
    assert checked.value == host
    assert any(str(host) in n.message for n in checked.notes)


@SETTINGS
@given(networks(), st.data())
def test_host_bits_refused_suggesting_the_network(net, data) -> None:
    assume(net.num_addresses > 1)
    offset = data.draw(st.integers(1, net.num_addresses - 1), label="offset")
    address = net.network_address + offset
    checked = validate_prefix(f"{address}/{net.prefixlen}")
    assert checked.value is None
    assert len(checked.errors) == 1
    message = checked.errors[0].message
    assert "host bits" in message
    assert f"did you mean {net}?" in message
    # The suggestion itself is accepted.
    assert validate_prefix(str(net)).ok


@SETTINGS
@given(st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)))
def test_any_slash_zero_refused_without_suggesting_it(address) -> None:
    checked = validate_prefix(f"{address}/0")
    assert checked.value is None
    assert len(checked.errors) == 1
    assert "every address" in checked.errors[0].message
    assert "did you mean" not in checked.errors[0].message


# --------------------------------------------------------------------------- prefix lists


def _oracle(nets: list) -> list:
    """Keep a prefix unless a strictly broader one, or an earlier identical one, is listed."""
    kept = []
    for i, net in enumerate(nets):
        wider = any(
            other.version == net.version and other != net and net.subnet_of(other) for other in nets
        )
        earlier_twin = net in nets[:i]
        if not wider and not earlier_twin:
            kept.append(net)
    return kept


def _is_subsequence(small: list, big: list) -> bool:
    it = iter(big)
    return all(any(x == y for y in it) for x in small)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(clustered_networks(), networks()), min_size=1, max_size=25))
def test_prefix_list_collapse(nets: list) -> None:
    texts = [str(n) for n in nets]
    checked = validate_prefix_list(texts)
    assert checked.ok, checked.findings
    out = [ipaddress.ip_network(p) for p in checked.value]

    # Exactly the oracle's answer, in input order.
    assert out == _oracle(nets)
    # No duplicates and nothing covered by another output prefix.
    for i, a in enumerate(out):
        for j, b in enumerate(out):
            if i != j and a.version == b.version:
                assert not a.subnet_of(b), (a, b)
    # Output is a subsequence of the input: the collapse never invents or widens a prefix.
    assert _is_subsequence(checked.value, texts)
    # Coverage is never lost: every input prefix lies inside some output prefix.
    for net in nets:
        assert any(o.version == net.version and net.subnet_of(o) for o in out), net
    # One note per dropped prefix, from the list level.
    list_notes = [f for f in checked.notes if f.field == "ip_acl"]
    assert len(list_notes) == len(nets) - len(out)


@SETTINGS
@given(st.lists(networks(), min_size=1, max_size=10), st.integers(1, 10))
def test_prefix_limit_applies_to_collapsed_list(nets: list, limit: int) -> None:
    checked = validate_prefix_list(
        [str(n) for n in nets], limits=Limits(max_prefixes_per_entry=limit)
    )
    kept = _oracle(nets)
    assert checked.ok is (len(kept) <= limit)


@SETTINGS
@given(st.lists(st.one_of(st.text(max_size=20), networks().map(str)), max_size=8))
def test_prefix_list_refuses_iff_some_item_refused(items: list[str]) -> None:
    checked = validate_prefix_list(items)
    assert_well_formed(checked)
    bad = [i for i, item in enumerate(items) if not validate_prefix(item).ok]
    if not items:
        assert not checked.ok
    elif bad:
        assert not checked.ok
        assert {f"ip_acl[{i}]" for i in bad} <= {f.field for f in checked.errors}
    else:
        assert checked.ok


# --------------------------------------------------------------------------- roles


@SETTINGS
@given(st.lists(st.sampled_from(ROLE_IDS), min_size=1, max_size=10))
def test_known_roles_accepted_in_table_order(roles: list[str]) -> None:
    checked = validate_roles(roles)
    assert checked.ok
    assert checked.value == [r for r in ROLE_IDS if r in roles]


@SETTINGS
@given(st.lists(st.sampled_from(ROLE_IDS), max_size=5), st.text(max_size=20))
def test_unknown_role_refused(roles: list[str], extra: str) -> None:
    assume(extra not in ROLE_IDS)
    checked = validate_roles([*roles, extra])
    assert not checked.ok
    assert repr(extra) in checked.errors[0].message


# --------------------------------------------------------------------------- never raise


def assert_normal_prefixes(value: list[str]) -> None:
    for text in value:
        assert "/" in text and text == str(ipaddress.ip_network(text)), value


def assert_normal_roles(value: Sequence[str]) -> None:
    assert list(value) == [r for r in ROLE_IDS if r in value], value


def assert_normal_entry(entry: Entry) -> None:
    assert_valid_name(entry.domain_name)
    assert_normal_roles(entry.roles)
    assert_normal_prefixes(list(entry.ip_acl))


def assert_normal_entries(entries: list[Entry]) -> None:
    for entry in entries:
        assert_normal_entry(entry)
    assert len({e.domain_name for e in entries}) == len(entries)


@dataclass(frozen=True)
class Validator:
    """A validator, how to feed its accepted value back to it, what a normal value looks
    like, and the fields a refusal may name."""

    validate: Callable[[Any], Checked]
    as_input: Callable[[Any], Any]
    assert_normal: Callable[[Any], None]
    fields: tuple[str, ...]


VALIDATORS: dict[str, Validator] = {
    "domain_name": Validator(validate_domain_name, str, assert_valid_name, ("domain_name",)),
    "prefix": Validator(
        validate_prefix,
        str,
        lambda net: assert_normal_prefixes([str(net)]),
        ("ip_acl",),
    ),
    "prefix_list": Validator(validate_prefix_list, list, assert_normal_prefixes, ("ip_acl",)),
    "optional_prefix_list": Validator(
        lambda raw: validate_prefix_list(raw, required=False),
        list,
        assert_normal_prefixes,
        ("ip_acl",),
    ),
    "roles": Validator(validate_roles, list, assert_normal_roles, ("roles",)),
    "entry": Validator(
        validate_entry,
        Entry.as_dict,
        assert_normal_entry,
        ("entry", "domain_name", "roles", "ip_acl"),
    ),
    "entries": Validator(
        validate_entries,
        lambda entries: [e.as_dict() for e in entries],
        assert_normal_entries,
        ("entries",),
    ),
}


def names_field(finding_field: str, roots: tuple[str, ...]) -> bool:
    return any(finding_field == r or finding_field.startswith((f"{r}[", f"{r}.")) for r in roots)


def assert_answer(kind: str, raw: Any) -> None:
    """Whatever the input, the validator answers (never raises) with a well-formed result:
    either a normal value, which re-validates to itself drawing no error or note (a warning
    is about the value itself and stays), or a refusal with an error naming the field."""
    v = VALIDATORS[kind]
    checked = v.validate(raw)
    assert_well_formed(checked)
    if checked.ok:
        v.assert_normal(checked.value)
        again = v.validate(v.as_input(checked.value))
        redrawn = [f for f in again.findings if f.severity != "warning"]
        assert redrawn == [], (kind, raw, checked.value, again.findings)
        assert again.value == checked.value, (kind, raw, checked.value, again.value)
    else:
        assert any(names_field(f.field, v.fields) for f in checked.errors), (
            kind,
            raw,
            checked.findings,
        )


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_validators_answer_any_text(text: str) -> None:
    for kind in ("domain_name", "prefix", "prefix_list", "optional_prefix_list", "roles"):
        assert_answer(kind, text)
    assert_answer("entry", {"domain_name": text, "roles": text, "ip_acl": text})


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_validators_answer_any_json(value) -> None:
    for kind in VALIDATORS:
        assert_answer(kind, value)
    item = {"domain_name": value, "roles": value, "ip_acl": value}
    assert_answer("entry", item)
    assert_answer("entries", [value, item])
    assert_answer("entries", {"entries": value})


@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries(
        {
            "domain_name": st.one_of(ldh_names(), idn_texts),
            "roles": st.one_of(
                st.lists(st.sampled_from(ROLE_IDS), max_size=4), st.text(max_size=20)
            ),
            "ip_acl": st.one_of(
                st.lists(st.one_of(networks().map(str), st.ip_addresses().map(str)), max_size=4),
                st.text(max_size=30),
            ),
        }
    )
)
def test_validators_answer_plausible_entries(item: dict) -> None:
    """Inputs near the valid ones, so the accepted branch is exercised as much as the refusal."""
    for kind, key in (
        ("domain_name", "domain_name"),
        ("roles", "roles"),
        ("prefix_list", "ip_acl"),
    ):
        assert_answer(kind, item[key])
    assert_answer("entry", item)
    assert_answer("entries", [item, item])


@SETTINGS
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "domain_name": st.one_of(ldh_names(), st.sampled_from(["a.example", "A.Example."])),
                "roles": st.lists(st.sampled_from(ROLE_IDS), min_size=1, max_size=3),
                "ip_acl": st.lists(networks().map(str), min_size=1, max_size=3),
            }
        ),
        max_size=6,
    )
)
def test_entries_refuse_exactly_duplicate_names(items: list[dict]) -> None:
    checked = validate_entries(items)
    names = [validate_domain_name(i["domain_name"]).value for i in items]
    valid = all(n is not None for n in names)
    unique = len(set(names)) == len(names)
    assert checked.ok is (valid and unique)
    if checked.ok:
        assert [e.domain_name for e in checked.value] == names


@SETTINGS
@given(networks(version=6), st.text(string.ascii_letters + string.digits, min_size=1, max_size=8))
def test_zone_index_never_stored(net, zone: str) -> None:
    checked = validate_prefix(f"{net.network_address}%{zone}/{net.prefixlen}")
    assert checked.value is None
    assert "zone index" in checked.errors[0].message
