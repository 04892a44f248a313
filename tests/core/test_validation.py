"""Example tests for the shared validators (portal/core/validation.py) and the roles table."""

from __future__ import annotations

import pytest

from portal.core.roles import ROLE_IDS, ROLES, ROLES_BY_ID, sort_roles
from portal.core.validation import (
    MAX_LABEL_LENGTH,
    MAX_NAME_LENGTH,
    Checked,
    Entry,
    Finding,
    Limits,
    check_new_domain,
    split_prefix_text,
    validate_domain_name,
    validate_entries,
    validate_entry,
    validate_prefix,
    validate_prefix_list,
    validate_roles,
)

DESIGN_ROLE_IDS = (
    "rri-monthly-reports",
    "rri-escrow-reports",
    "mosapi-slam",
    "mosapi-daar",
    "mosapi-rdap-base-urls",
    "maintenance-window",
    "probe-node-list",
)


def messages(checked: Checked, severity: str | None = None) -> list[str]:
    return [f.message for f in checked.findings if severity is None or f.severity == severity]


def only_error(checked: Checked) -> str:
    assert checked.value is None
    assert not checked.ok
    assert len(checked.errors) == 1, checked.findings
    return checked.errors[0].message


def entry(name: str = "client.example", roles=None, acl=None) -> dict:
    return {
        "domain_name": name,
        "roles": ["mosapi-slam"] if roles is None else roles,
        "ip_acl": ["192.0.2.0/24"] if acl is None else acl,
    }


# --------------------------------------------------------------------------- Checked / Finding


def test_checked_partitions_findings_by_severity() -> None:
    c = Checked(
        "x",
        [
            Finding("f", "bad"),
            Finding("f", "careful", "warning"),
            Finding("f", "fyi", "note"),
        ],
    )
    assert not c.ok
    assert [f.message for f in c.errors] == ["bad"]
    assert [f.message for f in c.warnings] == ["careful"]
    assert [f.message for f in c.notes] == ["fyi"]
    assert Checked("x", [Finding("f", "fyi", "note")]).ok
    assert Finding("roles", "m").as_dict() == {"field": "roles", "message": "m"}


# --------------------------------------------------------------------------- domain names


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("client.example", "client.example"),
        ("Client.EXAMPLE", "client.example"),
        ("client.example.", "client.example"),
        ("  CLIENT.Example.  ", "client.example"),
        ("a.b", "a.b"),
        ("api-1.rsp.example", "api-1.rsp.example"),
        ("0x.example", "0x.example"),
        ("123.example", "123.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("XN--BCHER-KVA.EXAMPLE", "xn--bcher-kva.example"),
        ("client.xn--p1ai", "client.xn--p1ai"),
    ],
)
def test_domain_name_accepted_and_normalised(raw: str, expected: str) -> None:
    checked = validate_domain_name(raw)
    assert checked.ok, checked.findings
    assert checked.value == expected
    assert checked.warnings == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("bücher.example", "xn--bcher-kva.example"),
        ("BÜCHER.Example.", "xn--bcher-kva.example"),
        ("client.рф", "client.xn--p1ai"),
        ("münchen.bücher.example", "xn--mnchen-3ya.xn--bcher-kva.example"),
        # IDNA2008 (non-transitional): ß is kept, not mapped to "ss".
        ("straße.example", "xn--strae-oqa.example"),
        # UTS #46 mapping: full-width letters and the ideographic full stop.
        ("ｃｌｉｅｎｔ。example", "client.example"),
    ],
)
def test_u_label_converted_to_a_label_with_note(raw: str, expected: str) -> None:
    checked = validate_domain_name(raw)
    assert checked.ok, checked.findings
    assert checked.value == expected
    assert any(expected in m for m in messages(checked, "note"))


def test_a_label_input_has_no_note() -> None:
    assert validate_domain_name("xn--bcher-kva.example").findings == []


def test_label_of_63_accepted_64_refused() -> None:
    ok = validate_domain_name("a" * MAX_LABEL_LENGTH + ".example")
    assert ok.ok and ok.value == "a" * 63 + ".example"
    message = only_error(validate_domain_name("a" * 64 + ".example"))
    assert "64" in message and "63" in message


def test_long_u_label_refused_when_its_a_label_is_too_long() -> None:
    # 60 "ü" encode to far more than 63 characters of Punycode.
    checked = validate_domain_name("ü" * 60 + ".example")
    assert checked.value is None and checked.errors


def _name_of_length(total: int) -> str:
    """A name of exactly `total` characters made of 63-character labels and a short tail."""
    labels: list[str] = []
    remaining = total
    while remaining > 0:
        size = min(MAX_LABEL_LENGTH, remaining - 2) if remaining > 2 else remaining
        labels.append("a" * size)
        remaining -= size + 1
    name = ".".join(labels)
    assert len(name) == total, (len(name), total)
    return name


def test_total_of_253_accepted_254_refused() -> None:
    name = _name_of_length(MAX_NAME_LENGTH)
    ok = validate_domain_name(name)
    assert ok.ok and ok.value == name
    # A trailing dot does not count against the limit.
    assert validate_domain_name(name + ".").value == name

    message = only_error(validate_domain_name(_name_of_length(254)))
    assert "254" in message and "253" in message


def test_underscore_label_accepted_with_san_warning() -> None:
    checked = validate_domain_name("_tlsa.client.example")
    assert checked.ok
    assert checked.value == "_tlsa.client.example"
    assert len(checked.warnings) == 1
    assert "subjectAltName" in checked.warnings[0].message
    assert validate_domain_name("_443._tcp.Client.Example.").value == "_443._tcp.client.example"


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("a_b.example", "underscore"),
        ("client.ex_ample", "underscore"),
        ("client", "two labels"),
        ("client.", "two labels"),
        (".", "two labels"),
        ("a..example", "empty label"),
        (".client.example", "empty label"),
        ("client.example..", "empty label"),
        ("-client.example", "hyphen"),
        ("client-.example", "hyphen"),
        ("ab--cd.example", "third and fourth"),
        ("xn--.example", "“xn--”"),
        ("xn--a.example", "A-label"),
        ("cli ent.example", "spaces"),
        ("client.example\tx", "spaces"),
        ("client\u3000x.example", "spaces"),
        ("client!.example", "letters, digits and hyphens"),
        ("client.example/", "letters, digits and hyphens"),
        ("*.client.example", "letters, digits and hyphens"),
        ("_tl$a.example", "underscores"),
        ("client.123", "all digits"),
        ("192.0.2.1", "all digits"),
        ("", "Enter a domain name"),
        ("   ", "Enter a domain name"),
        ("☃.example", "internationalised"),
        ("\ud800.example", "not a valid domain name"),
    ],
)
def test_domain_name_refused_with_reason(raw: str, fragment: str) -> None:
    message = only_error(validate_domain_name(raw))
    assert fragment in message


@pytest.mark.parametrize("raw", [None, 42, 4.2, True, ["client.example"], {"a": 1}, b"a.example"])
def test_domain_name_wrong_type_is_an_error_not_an_exception(raw) -> None:
    assert "text" in only_error(validate_domain_name(raw))


def test_domain_name_field_is_reported() -> None:
    checked = validate_domain_name("x", "entries[3].domain_name")
    assert checked.errors[0].field == "entries[3].domain_name"


# --------------------------------------------------------------------------- single prefixes


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("192.0.2.0/24", "192.0.2.0/24"),
        (" 198.51.100.0/25 ", "198.51.100.0/25"),
        ("203.0.113.7/32", "203.0.113.7/32"),
        ("2001:DB8:0:0::/48", "2001:db8::/48"),
        ("2001:0db8:0000:0000:0000:0000:0000:0000/32", "2001:db8::/32"),
        ("2001:db8::1/128", "2001:db8::1/128"),
        ("192.0.2.0/255.255.255.0", "192.0.2.0/24"),
    ],
)
def test_prefix_accepted_and_normalised(raw: str, expected: str) -> None:
    checked = validate_prefix(raw)
    assert checked.ok, checked.findings
    assert str(checked.value) == expected


def test_public_prefix_has_no_findings() -> None:
    assert validate_prefix("8.8.8.0/24").findings == []
    assert validate_prefix("2a00:1450::/32").findings == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("198.51.100.7", "198.51.100.7/32"), ("2001:db8::7", "2001:db8::7/128")],
)
def test_bare_address_is_a_host_prefix_with_note(raw: str, expected: str) -> None:
    checked = validate_prefix(raw)
    assert checked.ok
    assert str(checked.value) == expected
    notes = messages(checked, "note")
    assert len(notes) == 1 and expected in notes[0] and raw in notes[0]


@pytest.mark.parametrize(
    ("raw", "suggested"),
    [
        ("10.0.0.1/24", "10.0.0.0/24"),
        ("192.0.2.130/25", "192.0.2.128/25"),
        ("2001:db8::1/64", "2001:db8::/64"),
        ("2001:DB8:0:0:1::/48", "2001:db8::/48"),
        ("128.0.0.1/1", "128.0.0.0/1"),
        ("192.0.2.1/255.255.255.0", "192.0.2.0/24"),
    ],
)
def test_host_bits_refused_with_correct_prefix_suggested(raw: str, suggested: str) -> None:
    message = only_error(validate_prefix(raw))
    assert "host bits" in message
    assert f"did you mean {suggested}?" in message


@pytest.mark.parametrize("raw", ["0.0.0.0/0", "::/0", "10.0.0.1/0", "::1/0"])
def test_slash_zero_refused(raw: str) -> None:
    message = only_error(validate_prefix(raw))
    assert "every address" in message
    # Never suggest the refused /0 as the correction.
    assert "did you mean" not in message


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("127.0.0.1/32", "loopback"),
        ("127.0.0.1", "loopback"),
        ("::1/128", "loopback"),
        ("10.1.2.0/24", "private or reserved"),
        ("192.168.0.0/24", "private or reserved"),
        ("fd00::/64", "private or reserved"),
        ("fe80::/64", "private or reserved"),
        ("224.0.0.0/24", "private or reserved"),
        ("240.0.0.0/24", "private or reserved"),
    ],
)
def test_special_space_accepted_with_warning(raw: str, fragment: str) -> None:
    checked = validate_prefix(raw)
    assert checked.ok, checked.findings
    assert checked.value is not None
    assert any(fragment in m for m in messages(checked, "warning"))


def test_loopback_is_usable() -> None:
    checked = validate_prefix("127.0.0.1/32")
    assert checked.ok and str(checked.value) == "127.0.0.1/32"
    assert [f.severity for f in checked.findings] == ["warning"]


@pytest.mark.parametrize(
    ("raw", "broad"), [("8.0.0.0/8", True), ("8.8.0.0/16", False), ("2a00::/16", True)]
)
def test_very_broad_prefix_accepted_with_warning(raw: str, broad: bool) -> None:
    checked = validate_prefix(raw)
    assert checked.ok
    has_warning = any("very broad" in m for m in messages(checked, "warning"))
    assert has_warning is broad


@pytest.mark.parametrize(
    "raw",
    ["192.0.2.0/33", "2001:db8::/129", "1.2.3", "1", "256.0.0.0/8", "010.0.0.0/8", "example.com",
     "192.0.2.0/24/1", "192.0.2.0 /24", "192.0.2.0/-1", "2001:db8:::/48", "/24"],
)  # fmt: skip
def test_malformed_prefix_refused_with_examples(raw: str) -> None:
    message = only_error(validate_prefix(raw))
    assert "is not an IPv4 or IPv6 prefix" in message
    assert "192.0.2.0/24" in message


@pytest.mark.parametrize(
    "raw", ["fe80::1%eth0/128", "fe80::%1/64", "fe80::1%eth0", "2001:db8::%x/48"]
)
def test_zone_index_refused(raw: str) -> None:
    # ipaddress would keep "%eth0" in the stored text, and "fe80::1%eth0/128" would differ from
    # "fe80::1/128" while each is a subnet of the other.
    message = only_error(validate_prefix(raw))
    assert "zone index" in message and raw in message
    assert "did you mean" not in message


def test_zone_index_with_host_bits_suggests_the_plain_prefix() -> None:
    # The corrected prefix is computed from the bits alone, so the zone is gone from it.
    message = only_error(validate_prefix("fe80::1%eth0/64"))
    assert "did you mean fe80::/64?" in message


@pytest.mark.parametrize("raw", ["50%", "10.0.0.0%1/8", "%eth0"])
def test_percent_in_non_prefix_is_just_not_a_prefix(raw: str) -> None:
    assert "is not an IPv4 or IPv6 prefix" in only_error(validate_prefix(raw))


@pytest.mark.parametrize("raw", ["", "  ", "\n"])
def test_empty_prefix_refused(raw: str) -> None:
    assert "Enter a prefix" in only_error(validate_prefix(raw))


@pytest.mark.parametrize("raw", [None, 167772160, 1.5, False, ["10.0.0.0/8"], {"p": 1}])
def test_prefix_wrong_type_is_an_error(raw) -> None:
    assert "must be text" in only_error(validate_prefix(raw))


# --------------------------------------------------------------------------- prefix lists


def test_split_prefix_text() -> None:
    assert split_prefix_text("") == []
    assert split_prefix_text(" 192.0.2.0/24,\n2001:db8::/48 ;198.51.100.7\t\r\n") == [
        "192.0.2.0/24",
        "2001:db8::/48",
        "198.51.100.7",
    ]


def test_prefix_list_normalises_and_keeps_order() -> None:
    checked = validate_prefix_list(["2001:DB8::/48", "198.51.100.7", "192.0.2.0/24"])
    assert checked.ok
    assert checked.value == ["2001:db8::/48", "198.51.100.7/32", "192.0.2.0/24"]


def test_prefix_list_from_text() -> None:
    checked = validate_prefix_list("192.0.2.0/24, 2001:db8::/48\n198.51.100.7")
    assert checked.value == ["192.0.2.0/24", "2001:db8::/48", "198.51.100.7/32"]


def test_prefix_list_accepts_tuple() -> None:
    assert validate_prefix_list(("192.0.2.0/24",)).value == ["192.0.2.0/24"]


def test_duplicates_collapsed_with_note() -> None:
    checked = validate_prefix_list(["192.0.2.0/24", "198.51.100.0/24", "192.0.2.0/24"])
    assert checked.ok
    assert checked.value == ["192.0.2.0/24", "198.51.100.0/24"]
    notes = messages(checked, "note")
    assert notes == ["192.0.2.0/24 was listed twice; kept once."]


def test_duplicate_in_different_spelling_collapsed() -> None:
    checked = validate_prefix_list(["2001:db8::/48", "2001:DB8:0:0::/48", "2001:db8:0::0/48"])
    assert checked.value == ["2001:db8::/48"]
    assert len(messages(checked, "note")) == 2


def test_covered_prefix_removed_with_note_naming_container() -> None:
    # The broader prefix comes later in the input: order of the survivors is kept anyway.
    checked = validate_prefix_list(
        ["198.51.100.7/32", "192.0.2.128/25", "2001:db8:1::/48", "192.0.2.0/24", "2001:db8::/32"]
    )
    assert checked.ok
    assert checked.value == ["198.51.100.7/32", "192.0.2.0/24", "2001:db8::/32"]
    notes = messages(checked, "note")
    assert "192.0.2.128/25 is covered by 192.0.2.0/24; removed." in notes
    assert "2001:db8:1::/48 is covered by 2001:db8::/32; removed." in notes
    assert len(notes) == 2


def test_nested_chain_collapses_to_outermost() -> None:
    checked = validate_prefix_list(["10.1.1.1/32", "10.1.1.0/24", "10.1.0.0/16", "10.0.0.0/8"])
    assert checked.value == ["10.0.0.0/8"]
    notes = messages(checked, "note")
    assert len(notes) == 3
    assert all("covered by 10.0.0.0/8" in m for m in notes)


def test_ipv4_and_ipv6_never_cover_each_other() -> None:
    # The IPv4-mapped block ::ffff:0:0/96 is IPv6 space: 0.0.0.0/1 does not cover it.
    checked = validate_prefix_list(["::ffff:0:0/96", "0.0.0.0/1", "2001:db8::/32"])
    assert checked.value == ["::ffff:0:0/96", "0.0.0.0/1", "2001:db8::/32"]
    assert checked.notes == []
    # Within a family coverage applies: ::ffff:0:0/96 lies inside ::/1, 10.0.0.0/8 in 0.0.0.0/1.
    checked = validate_prefix_list(["::ffff:0:0/96", "10.0.0.0/8", "::/1", "0.0.0.0/1"])
    assert checked.value == ["::/1", "0.0.0.0/1"]


def test_one_bad_prefix_refuses_the_list_and_names_its_index() -> None:
    checked = validate_prefix_list(["192.0.2.0/24", "10.0.0.1/24", "bogus"])
    assert checked.value is None
    assert [f.field for f in checked.errors] == ["ip_acl[1]", "ip_acl[2]"]
    assert "did you mean 10.0.0.0/24?" in checked.errors[0].message


def test_empty_list_required_and_optional() -> None:
    assert "at least one IP prefix" in only_error(validate_prefix_list([]))
    assert "at least one IP prefix" in only_error(validate_prefix_list(""))
    optional = validate_prefix_list([], "basic_ip_acl", required=False)
    assert optional.ok and optional.value == []


@pytest.mark.parametrize("raws", [None, 5, {"a": "192.0.2.0/24"}, {"192.0.2.0/24"}, b"10.0.0.0/8"])
def test_prefix_list_wrong_container_is_an_error(raws) -> None:
    assert "must be a list" in only_error(validate_prefix_list(raws))


def test_prefix_list_wrong_item_types_are_errors() -> None:
    checked = validate_prefix_list(["192.0.2.0/24", None, 3, ["10.0.0.0/8"], {"x": 1}])
    assert checked.value is None
    assert [f.field for f in checked.errors] == ["ip_acl[1]", "ip_acl[2]", "ip_acl[3]", "ip_acl[4]"]


def test_prefix_limit_per_entry() -> None:
    limits = Limits(max_prefixes_per_entry=2)
    assert validate_prefix_list(["192.0.2.0/24", "198.51.100.0/24"], limits=limits).ok
    message = only_error(
        validate_prefix_list(["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"], limits=limits)
    )
    assert "3 prefixes" in message and "limit is 2" in message


def test_prefix_limit_counts_after_collapse() -> None:
    limits = Limits(max_prefixes_per_entry=1)
    checked = validate_prefix_list(["192.0.2.0/24", "192.0.2.7", "192.0.2.0/24"], limits=limits)
    assert checked.ok and checked.value == ["192.0.2.0/24"]


def test_default_limits_are_generous() -> None:
    limits = Limits()
    assert limits.max_entries_per_tld >= 10
    assert limits.max_prefixes_per_entry >= 100
    many = [f"10.{i // 256}.{i % 256}.1" for i in range(limits.max_prefixes_per_entry)]
    assert validate_prefix_list(many).ok
    too_many = [f"10.{i // 256}.{i % 256}.0/24" for i in range(limits.max_prefixes_per_entry + 1)]
    assert not validate_prefix_list(too_many).ok


# --------------------------------------------------------------------------- roles


def test_roles_table_is_the_design_table() -> None:
    assert ROLE_IDS == DESIGN_ROLE_IDS
    assert len(ROLES) == 7
    assert set(ROLES_BY_ID) == set(DESIGN_ROLE_IDS)
    for role in ROLES:
        assert ROLES_BY_ID[role.id] is role
        assert role.label and role.opens
        assert set(role.systems) <= {"mosapi", "rri"} and role.systems
    assert ROLES_BY_ID["maintenance-window"].systems == ("mosapi", "rri")
    assert ROLES_BY_ID["probe-node-list"].systems == ("mosapi", "rri")
    assert ROLES_BY_ID["rri-monthly-reports"].systems == ("rri",)
    assert ROLES_BY_ID["mosapi-daar"].systems == ("mosapi",)


def test_sort_roles_uses_table_order_and_drops_duplicates() -> None:
    assert sort_roles(["probe-node-list", "mosapi-slam", "rri-monthly-reports", "mosapi-slam"]) == [
        "rri-monthly-reports",
        "mosapi-slam",
        "probe-node-list",
    ]
    assert sort_roles(set(ROLE_IDS)) == list(ROLE_IDS)
    assert sort_roles(()) == []


@pytest.mark.parametrize("role", DESIGN_ROLE_IDS)
def test_each_role_accepted_alone(role: str) -> None:
    checked = validate_roles([role])
    assert checked.ok and checked.value == [role]
    assert validate_roles(role).value == [role]


def test_all_roles_accepted_in_table_order() -> None:
    checked = validate_roles(list(reversed(ROLE_IDS)))
    assert checked.value == list(ROLE_IDS)
    assert validate_roles(set(ROLE_IDS)).value == list(ROLE_IDS)
    assert validate_roles(tuple(ROLE_IDS)).value == list(ROLE_IDS)


def test_duplicate_roles_kept_once() -> None:
    assert validate_roles(["mosapi-slam", "mosapi-slam"]).value == ["mosapi-slam"]


def test_no_role_refused() -> None:
    assert "at least one role" in only_error(validate_roles([]))
    assert "at least one role" in only_error(validate_roles(()))


@pytest.mark.parametrize(
    "raws",
    [["mosapi-slam", "admin"], ["MOSAPI-SLAM"], [" mosapi-slam"], [""], "nope", ["rri"]],
)
def test_unknown_roles_refused_naming_them_and_the_valid_ones(raws) -> None:
    message = only_error(validate_roles(raws))
    assert "Unknown role" in message
    bad = [r for r in ([raws] if isinstance(raws, str) else raws) if r not in ROLE_IDS]
    for r in bad:
        assert repr(r) in message
    for r in ROLE_IDS:
        assert r in message


@pytest.mark.parametrize("raws", [None, 7, {"mosapi-slam": True}, b"mosapi-slam"])
def test_roles_wrong_container_is_an_error(raws) -> None:
    assert "must be a list" in only_error(validate_roles(raws))


@pytest.mark.parametrize("item", [None, 1, ["mosapi-slam"], {"id": "mosapi-slam"}, 2.5])
def test_roles_wrong_item_type_is_an_error(item) -> None:
    assert "Unknown role" in only_error(validate_roles(["mosapi-slam", item]))


# --------------------------------------------------------------------------- entries


def test_entry_accepted_and_normalised() -> None:
    checked = validate_entry(
        {
            "domain_name": "Bücher.Example.",
            "roles": ["probe-node-list", "mosapi-slam"],
            "ip_acl": ["2001:DB8::/48", "192.0.2.7", "2001:db8::1"],
            "ignored": "extra keys are ignored",
        }
    )
    assert checked.ok, checked.findings
    assert checked.value == Entry(
        "xn--bcher-kva.example",
        ("mosapi-slam", "probe-node-list"),
        ("2001:db8::/48", "192.0.2.7/32"),
    )
    assert checked.value.as_dict() == {
        "domain_name": "xn--bcher-kva.example",
        "roles": ["mosapi-slam", "probe-node-list"],
        "ip_acl": ["2001:db8::/48", "192.0.2.7/32"],
    }


def test_entry_reports_every_problem_with_prefixed_fields() -> None:
    checked = validate_entry(
        {"domain_name": "single", "roles": ["nope"], "ip_acl": ["10.0.0.1/8"]}, "entries[2]."
    )
    assert checked.value is None
    assert {f.field for f in checked.errors} == {
        "entries[2].domain_name",
        "entries[2].roles",
        "entries[2].ip_acl[0]",
    }


def test_entry_missing_keys() -> None:
    checked = validate_entry({})
    assert checked.value is None
    fields = {f.field for f in checked.errors}
    assert fields == {"domain_name", "roles", "ip_acl"}


@pytest.mark.parametrize("data", [None, 1, "client.example", ["client.example"], 2.0])
def test_entry_wrong_type_is_an_error(data) -> None:
    checked = validate_entry(data, "entries[0].")
    assert only_error(checked) == "Each entry must be an object."
    assert checked.errors[0].field == "entries[0]"
    assert validate_entry(data).errors[0].field == "entry"


def test_entry_keeps_warnings_and_notes() -> None:
    checked = validate_entry(entry("_tlsa.client.example", acl=["127.0.0.1", "127.0.0.1/32"]))
    assert checked.ok
    assert checked.value is not None and checked.value.ip_acl == ("127.0.0.1/32",)
    assert checked.warnings and checked.notes


def test_entries_accepted() -> None:
    checked = validate_entries([entry("a.example"), entry("b.example", roles=list(ROLE_IDS))])
    assert checked.ok
    assert [e.domain_name for e in checked.value] == ["a.example", "b.example"]
    assert validate_entries([]).value == []


def test_entries_duplicate_domain_names_refused() -> None:
    checked = validate_entries(
        [entry("client.example"), entry("other.example"), entry("CLIENT.example.")]
    )
    assert checked.value is None
    assert len(checked.errors) == 1
    err = checked.errors[0]
    assert err.field == "entries[2].domain_name"
    assert "client.example" in err.message and "entry 1" in err.message


def test_entries_duplicate_u_and_a_label_refused() -> None:
    checked = validate_entries([entry("bücher.example"), entry("xn--bcher-kva.example")])
    assert checked.value is None
    assert "xn--bcher-kva.example is already entry 1" in checked.errors[0].message


def test_entries_limit_per_tld() -> None:
    limits = Limits(max_entries_per_tld=2)
    assert validate_entries([entry("a.example"), entry("b.example")], limits).ok
    checked = validate_entries([entry(f"{c}.example") for c in "abc"], limits)
    message = only_error(checked)
    assert "3 entries" in message and "limit is 2" in message
    assert checked.errors[0].field == "entries"


def test_entries_pass_prefix_limit_down() -> None:
    limits = Limits(max_prefixes_per_entry=1)
    checked = validate_entries([entry(acl=["192.0.2.0/24", "198.51.100.0/24"])], limits)
    assert checked.value is None
    assert checked.errors[0].field == "entries[0].ip_acl"


@pytest.mark.parametrize("data", [None, {}, {"entries": []}, "[]", 3, (entry(),)])
def test_entries_wrong_type_is_an_error(data) -> None:
    assert "must be a list" in only_error(validate_entries(data))


def test_entries_wrong_item_types_are_errors_not_exceptions() -> None:
    checked = validate_entries(
        [
            None,
            17,
            "client.example",
            {"domain_name": 5, "roles": None, "ip_acl": {"a": 1}},
            {"domain_name": None, "roles": [None], "ip_acl": [None]},
        ]
    )
    assert checked.value is None
    fields = [f.field for f in checked.errors]
    assert fields[:3] == ["entries[0]", "entries[1]", "entries[2]"]
    assert {"entries[3].domain_name", "entries[3].roles", "entries[3].ip_acl"} <= set(fields)
    assert {"entries[4].domain_name", "entries[4].roles", "entries[4].ip_acl[0]"} <= set(fields)


def test_check_new_domain() -> None:
    existing = [Entry("client.example", ("mosapi-slam",), ("192.0.2.0/24",))]
    finding = check_new_domain(existing, "client.example")
    assert finding is not None and finding.field == "domain_name"
    assert "client.example already has an entry" in finding.message
    assert check_new_domain(existing, "other.example") is None
    assert check_new_domain([], "client.example") is None
