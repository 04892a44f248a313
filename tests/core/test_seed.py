"""The seed document: reading YAML and JSON, every kind of mistake named by its path, the JSON
Schema (the documented example, and agreement with the checker)."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import jsonschema
import pytest

from portal.core import certificates as cw
from portal.core.access import ORGANISATION_KINDS
from portal.core.roles import ROLE_IDS
from portal.core.seed import DocumentError, check_document, load_document, schema
from portal.core.validation import BASIC_ACCOUNTS, Limits
from portal.models import AccountKind, OrgKind
from tests.helpers import ROOT

HEX = "0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6"


def documented_example() -> str:
    """The first YAML block of docs/seed.md: the format as documented."""
    text = (ROOT / "docs" / "seed.md").read_text(encoding="utf-8")
    match = re.search(r"```yaml\n(.*?)```", text, re.S)
    assert match
    return match.group(1)


def good() -> dict[str, Any]:
    return {
        "version": 1,
        "organisations": [
            {"name": "ICANN", "kind": "icann"},
            {"name": "Example RSP", "kind": "rsp"},
            {"name": "Example Registry", "kind": "registry-operator"},
        ],
        "users": [{"email": "Staff@ICANN.example", "organisation": "ICANN"}],
        "tlds": [
            {
                "name": "example",
                "operator": "Example Registry",
                "rsp": "Example RSP",
                "entries": [
                    {
                        "domain_name": "client.rsp.example",
                        "roles": ["mosapi-slam"],
                        "ip_acl": ["203.0.113.0/24"],
                    }
                ],
                "basic": {"ip_acl": ["198.51.100.0/24"], "passwords": {"ry": "a-good-password"}},
                "scenario": {"services": {"DNS": {"status": "Down"}}},
            }
        ],
        "zone": [
            {
                "name": "client.rsp.example",
                "organisation": "Example RSP",
                "records": [f"3 1 1 {HEX}"],
            }
        ],
        "certificates": {
            "folder": "out",
            "items": [
                {
                    "name": "client",
                    "domain_name": "client.rsp.example",
                    "issuer": "harness",
                    "publish": True,
                    "organisation": "Example RSP",
                }
            ],
        },
    }


def errors(data: Any, limits: Limits | None = None) -> dict[str, str]:
    checked = check_document(data, limits)
    assert checked.value is None
    out: dict[str, str] = {}
    for f in checked.errors:
        out.setdefault(f.field, f.message)
    return out


def with_(path: str, value: Any) -> dict[str, Any]:
    """The good document with the value at `path` (dots and [i]) replaced; `...` deletes it."""
    doc = good()
    keys = [int(k) if k.isdigit() else k for k in re.findall(r"[^.\[\]]+", path)]
    target: Any = doc
    for key in keys[:-1]:
        target = target[key]
    if value is ...:
        del target[keys[-1]]
    else:
        target[keys[-1]] = value
    return doc


# --------------------------------------------------------------------------- reading


def test_yaml_and_json_read_the_same_document():
    doc = good()
    as_json = json.dumps(doc)
    assert load_document(as_json.encode(), "seed.json") == doc
    assert load_document(as_json) == doc  # starts with “{”: JSON
    import yaml

    assert load_document(yaml.safe_dump(doc), "seed.yaml") == doc


def test_the_documented_example_is_read_and_accepted():
    data = load_document(documented_example(), "seed.yaml")
    checked = check_document(data)
    assert checked.ok, checked.errors
    doc = checked.value
    assert [o.kind for o in doc.organisations] == ["icann", "rsp", "registry-operator"]
    assert doc.users[1].password is None
    (tld,) = doc.tlds
    assert tld.entries[0].roles == ("rri-monthly-reports", "mosapi-slam")  # table order
    assert tld.basic.passwords == {"ry": "registry-password-1", "dea": "escrow-password-1"}
    assert doc.certificates.items[0].publish is True


@pytest.mark.parametrize(
    ("text", "filename", "line", "fragment"),
    [
        ("version: 1\ntlds:\n  - name: x\n   bad: 1\n", "s.yaml", 4, "not valid YAML"),
        ("version: 1\nzone: [\n", "s.yml", 3, "not valid YAML"),
        ('{"version": 1,\n "tlds": [}\n', "s.json", 2, "not valid JSON"),
        ("version: 1\ntlds: []\nversion: 1\n", "s.yaml", 3, "given twice (first on line 1)"),
        ("tlds:\n  - name: a\n    name: b\n", "", 3, "'name' is given twice"),
    ],
)
def test_a_syntax_error_names_its_line(text, filename, line, fragment):
    with pytest.raises(DocumentError) as caught:
        load_document(text, filename)
    assert caught.value.line == line
    assert fragment in caught.value.message
    assert caught.value.finding.field == f"line {line}"


def test_json_duplicate_keys_and_bad_bytes_are_refused():
    with pytest.raises(DocumentError, match="'version' is given twice"):
        load_document('{"version": 1, "version": 1}', "s.json")
    with pytest.raises(DocumentError, match="not UTF-8"):
        load_document(b"version: \xff\n")
    assert load_document("\ufeffversion: 1\n".encode()) == {"version": 1}


def test_yaml_plain_scalars_are_yaml_1_2():
    data = load_document(
        "a: no\nb: yes\nc: on\nd: true\ne: False\nf: 2026-01-31\ng: 2001:db8::/48\n", "s.yaml"
    )
    assert data == {
        "a": "no",
        "b": "yes",
        "c": "on",
        "d": True,
        "e": False,
        "f": "2026-01-31",
        "g": "2001:db8::/48",
    }
    # The TLD .no is a TLD, not false.
    doc = load_document("version: 1\ntlds: [{name: no, operator: X}]\n", "s.yaml")
    assert check_document(doc).value.tlds[0].name == "no"


def test_yaml_anchors_and_aliases_are_refused():
    text = "version: 1\na: &x [1, 2]\nb: *x\n"
    with pytest.raises(DocumentError, match="anchors and aliases"):
        load_document(text, "s.yaml")


# --------------------------------------------------------------------------- checking


def test_a_good_document_becomes_typed_values_with_its_warnings():
    checked = check_document(good())
    assert checked.ok
    doc = checked.value
    assert doc.users[0].email == "staff@icann.example"
    assert doc.tlds[0].rsp_given and doc.tlds[0].rsp == "Example RSP"
    assert doc.zone[0].records[0].data_hex == HEX
    assert doc.certificates.items[0].key_type == "ec-p256"  # the default
    assert doc.certificates.items[0].days == cw.DEFAULT_DAYS
    # Documentation prefixes are accepted with the portal's warning, at their path.
    assert [(f.field, f.severity) for f in checked.warnings] == [
        ("tlds[0].entries[0].ip_acl[0]", "warning"),
        ("tlds[0].basic.ip_acl[0]", "warning"),
    ]


def test_absent_sections_are_none_and_a_u_label_is_stored_as_its_a_label():
    doc = check_document({"version": 1, "tlds": [{"name": "рф", "operator": "X"}]}).value
    assert doc.organisations is None and doc.zone is None and doc.certificates is None
    (tld,) = doc.tlds
    assert tld.name == "xn--p1ai"
    assert tld.entries is None and tld.basic is None and tld.scenario is None
    assert not tld.rsp_given
    removed = check_document({"version": 1, "tlds": [{"name": "x", "rsp": None}]}).value
    assert removed.tlds[0].rsp_given and removed.tlds[0].rsp is None
    empty = check_document({"version": 1, "organisations": None, "tlds": []}).value
    assert empty.organisations is None and empty.tlds == ()


@pytest.mark.parametrize(
    ("data", "path", "fragment"),
    [
        ([1], "document", "must be an object"),
        ({}, "version", "version is required"),
        ({"version": 2}, "version", "must be 1"),
        ({"version": True}, "version", "must be 1"),
        ({"version": 1, "extra": 1}, "extra", "unknown key"),
        ({"version": 1, "tlds": {"name": "x"}}, "tlds", "must be a list"),
        ({"version": 1, "certificates": []}, "certificates", "must be an object"),
    ],
)
def test_document_mistakes(data, path, fragment):
    assert fragment in errors(data)[path]


@pytest.mark.parametrize(
    ("path", "value", "where", "fragment"),
    [
        # organisations
        ("organisations[0].kind", "staff", "organisations[0].kind", "must be one of"),
        ("organisations[0].name", ..., "organisations[0].name", "name is required"),
        ("organisations[0].name", "  ", "organisations[0].name", "non-empty text"),
        ("organisations[0].name", "x" * 201, "organisations[0].name", "more than 200"),
        ("organisations[1].name", "ICANN", "organisations[1].name", "listed twice"),
        ("organisations[0].colour", "red", "organisations[0].colour", "unknown key"),
        # users
        ("users[0].email", "staff.example", "users[0].email", "not an email address"),
        ("users[0].password", "short", "users[0].password", "at least 10"),
        ("users[0].password", 1234567890123, "users[0].password", "as text"),
        ("users[0].organisation", ..., "users[0].organisation", "required"),
        # TLDs
        ("tlds[0].name", "a.b", "tlds[0].name", "single label"),
        ("tlds[0].name", "-x", "tlds[0].name", "may not begin or end with a hyphen"),
        ("tlds[0].name", ..., "tlds[0].name", "required"),
        ("tlds[0].operator", "Example RSP", "tlds[0].operator", "listed as rsp"),
        ("tlds[0].rsp", "Example Registry", "tlds[0].rsp", "must be a rsp"),
        ("tlds[0].entries", {"a": 1}, "tlds[0].entries", "must be a list"),
        ("tlds[0].entries[0]", "client.example", "tlds[0].entries[0]", "must be an object"),
        ("tlds[0].entries[0].note", "x", "tlds[0].entries[0].note", "unknown key"),
        ("tlds[0].entries[0].roles", "mosapi-slam", "tlds[0].entries[0].roles", "list"),
        ("tlds[0].entries[0].roles", [], "tlds[0].entries[0].roles", "at least one role"),
        ("tlds[0].entries[0].ip_acl", [], "tlds[0].entries[0].ip_acl", "at least one IP"),
        ("tlds[0].entries[0].domain_name", "a..b", "tlds[0].entries[0].domain_name", "empty"),
        ("tlds[0].basic.ip_acl[0]", "0.0.0.0/0", "tlds[0].basic.ip_acl[0]", "every address"),
        ("tlds[0].basic.ip_acl", "198.51.100.0/24", "tlds[0].basic.ip_acl", "list"),
        ("tlds[0].basic.passwords.ry", "short", "tlds[0].basic.passwords.ry", "at least 12"),
        ("tlds[0].basic.passwords.ry", "with:colon-here", "tlds[0].basic.passwords.ry", "“:”"),
        (
            "tlds[0].basic.passwords.root",
            "a-good-password",
            "tlds[0].basic.passwords.root",
            "unknown key",
        ),
        ("tlds[0].basic.x", 1, "tlds[0].basic.x", "unknown key"),
        ("tlds[0].scenario", [], "tlds[0].scenario", "must be a JSON object"),
        (
            "tlds[0].scenario.services.DNS.status",
            "Sideways",
            "tlds[0].scenario.services.DNS.status",
            "must be one of",
        ),
        ("tlds[0].scenario.weather", "fine", "tlds[0].scenario.weather", "unknown key"),
        # zone
        ("zone[0].name", "no_dots", "zone[0].name", "at least two labels"),
        ("zone[0].organisation", ..., "zone[0].organisation", "required"),
        ("zone[0].records", f"3 1 1 {HEX}", "zone[0].records", "must be a list"),
        ("zone[0].records[0]", "3 1 1", "zone[0].records[0]", "usage selector matching-type data"),
        ("zone[0].records[0]", "3 1 1 abc", "zone[0].records[0]", "not hexadecimal"),
        ("zone[0].records[0]", "3 1 1 abcd", "zone[0].records[0]", "needs 64 hex digits"),
        ("zone[0].records[0]", f"4 1 1 {HEX}", "zone[0].records[0]", "usage 4"),
        # certificates
        ("certificates.folder", ..., "certificates.folder", "required"),
        ("certificates.items", {}, "certificates.items", "must be a list"),
        ("certificates.items[0].name", "../x", "certificates.items[0].name", "file stem"),
        (
            "certificates.items[0].domain_name",
            "_x.example",
            "certificates.items[0].domain_name",
            "subjectAltName",
        ),
        (
            "certificates.items[0].domain_name",
            "nodots",
            "certificates.items[0].domain_name",
            "two labels",
        ),
        (
            "certificates.items[0].key_type",
            "rsa-1024",
            "certificates.items[0].key_type",
            "must be one of",
        ),
        (
            "certificates.items[0].issuer",
            "other",
            "certificates.items[0].issuer",
            "must be one of self, harness",
        ),
        ("certificates.items[0].days", 0, "certificates.items[0].days", "from 1 to 3650"),
        ("certificates.items[0].days", 4000, "certificates.items[0].days", "from 1 to 3650"),
        ("certificates.items[0].days", "30", "certificates.items[0].days", "whole number"),
        ("certificates.items[0].days", True, "certificates.items[0].days", "whole number"),
        ("certificates.items[0].publish", "yes", "certificates.items[0].publish", "true or false"),
        (
            "certificates.items[0].organisation",
            ...,
            "certificates.items[0].organisation",
            "required",
        ),
        ("certificates.items[0].keep", 1, "certificates.items[0].keep", "unknown key"),
    ],
)
def test_each_mistake_is_named_by_its_path(path, value, where, fragment):
    found = errors(with_(path, value))
    assert where in found, found
    assert fragment in found[where], found[where]


def test_issuer_self_unpublished_needs_no_organisation():
    doc = good()
    item = doc["certificates"]["items"][0]
    item.update(issuer="self", publish=False)
    del item["organisation"]
    assert check_document(doc).ok


def test_prefixes_and_roles_are_placed_at_their_index_with_the_portals_message():
    doc = good()
    doc["tlds"] = [{"name": f"t{i}", "operator": "Example Registry"} for i in range(4)]
    doc["tlds"][3]["entries"] = [
        {
            "domain_name": "client.rsp.example",
            "roles": ["mosapi-slam", "mosapi-sla", 7],
            "ip_acl": ["203.0.113.0/24", "192.0.2.1/24", "fe80::1%eth0/128"],
        }
    ]
    found = errors(doc)
    assert found["tlds[3].entries[0].ip_acl[1]"] == (
        "192.0.2.1/24 has host bits set; did you mean 192.0.2.0/24?"
    )
    assert "zone index" in found["tlds[3].entries[0].ip_acl[2]"]
    assert found["tlds[3].entries[0].roles[1]"].startswith("Unknown role 'mosapi-sla'")
    assert found["tlds[3].entries[0].roles[2]"].startswith("Unknown role 7")
    assert "tlds[3].entries[0].roles[0]" not in found


def test_duplicates_are_named_where_they_repeat():
    doc = good()
    doc["tlds"].append({"name": "EXAMPLE.", "operator": "Example Registry"})
    doc["tlds"][0]["entries"].append(dict(doc["tlds"][0]["entries"][0]))
    doc["users"].append({"email": "staff@icann.example ", "organisation": "ICANN"})
    doc["zone"].append(copy.deepcopy(doc["zone"][0]))
    doc["zone"][0]["records"].append(f"3  1 1 {HEX.upper()}")
    doc["certificates"]["items"].append(dict(doc["certificates"]["items"][0]))
    found = errors(doc)
    assert "listed twice (also at tlds[0].name)" in found["tlds[1].name"]
    assert "already entry 1" in found["tlds[0].entries[1].domain_name"]
    assert "listed twice (also at users[0].email)" in found["users[1].email"]
    assert "listed twice (also at zone[0].name)" in found["zone[1].name"]
    assert "listed twice (also at zone[0].records[0])" in found["zone[0].records[1]"]
    assert "listed twice" in found["certificates.items[1].name"]


def test_every_error_is_found_at_once():
    doc = good()
    doc["organisations"][0]["kind"] = "staff"
    doc["users"][0]["password"] = "short"
    doc["tlds"][0]["entries"][0]["ip_acl"] = ["192.0.2.1/24"]
    doc["zone"][0]["records"] = ["nonsense"]
    doc["certificates"]["items"][0]["key_type"] = "dsa"
    assert sorted(errors(doc)) == [
        "certificates.items[0].key_type",
        "organisations[0].kind",
        "tlds[0].entries[0].ip_acl[0]",
        "users[0].password",
        "zone[0].records[0]",
    ]


def test_the_limits_apply():
    doc = good()
    doc["tlds"][0]["entries"] = [
        {"domain_name": f"c{i}.rsp.example", "roles": ["mosapi-slam"], "ip_acl": ["203.0.113.0/24"]}
        for i in range(3)
    ]
    assert (
        "3 entries; the limit is 2" in errors(doc, Limits(max_entries_per_tld=2))["tlds[0].entries"]
    )


def test_a_boolean_where_text_belongs_says_why():
    found = errors(with_("zone[0].organisation", False))
    assert "quote it" in found["zone[0].organisation"]


# --------------------------------------------------------------------------- the JSON Schema


def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema())


def test_the_schema_is_a_valid_schema_and_accepts_the_documented_example():
    jsonschema.Draft202012Validator.check_schema(schema())
    validator().validate(load_document(documented_example(), "seed.yaml"))
    validator().validate(good())


def test_the_schema_names_what_the_portal_names():
    defs = schema()["$defs"]
    assert defs["entry"]["properties"]["roles"]["items"]["enum"] == list(ROLE_IDS)
    assert defs["organisation"]["properties"]["kind"]["enum"] == list(ORGANISATION_KINDS)
    assert set(ORGANISATION_KINDS) == {k.value for k in OrgKind}
    assert defs["certificate"]["properties"]["key_type"]["enum"] == list(cw.KEY_TYPES)
    assert defs["certificate"]["properties"]["issuer"]["enum"] == list(cw.ISSUERS)
    assert list(defs["basic"]["properties"]["passwords"]["properties"]) == list(BASIC_ACCOUNTS)
    assert set(BASIC_ACCOUNTS) == {k.value for k in AccountKind}


# Mistakes of shape: the schema and the checker both refuse them.
SHAPE_MISTAKES = [
    ("version", 2),
    ("version", ...),
    ("colour", "red"),
    ("organisations", {}),
    ("organisations[0].kind", "staff"),
    ("organisations[0].name", ...),
    ("users[0].email", "nobody"),
    ("users[0].password", "short"),
    ("users[0].organisation", ...),
    ("tlds[0].name", ...),
    ("tlds[0].name", 5),
    ("tlds[0].entries", "x"),
    ("tlds[0].entries[0].roles", []),
    ("tlds[0].entries[0].roles", ["mosapi-sla"]),
    ("tlds[0].entries[0].roles", "mosapi-slam"),
    ("tlds[0].entries[0].ip_acl", []),
    ("tlds[0].entries[0].ip_acl", ["not a prefix"]),
    ("tlds[0].entries[0].weight", 1),
    ("tlds[0].basic.passwords.ry", "short"),
    ("tlds[0].basic.passwords.ry", "has:a-colon-in-it"),
    ("tlds[0].basic.passwords.root", "a-good-password"),
    ("tlds[0].scenario", "down"),
    ("tlds[0].scenario.services.DNS.status", "Sideways"),
    ("tlds[0].scenario.services", {"WHOIS": {}}),
    ("tlds[0].scenario.metrica", {"counts": {"spam": -2}}),
    ("tlds[0].scenario.metrica", {"date": "31/01/2026"}),
    ("zone[0].records", ["3 1 1"]),
    ("zone[0].records", ["3 1 1 xyz"]),
    ("zone[0].organisation", ...),
    ("certificates.folder", ...),
    ("certificates.items[0].name", "a/b"),
    ("certificates.items[0].key_type", "rsa-1024"),
    ("certificates.items[0].issuer", "ca"),
    ("certificates.items[0].days", 0),
    ("certificates.items[0].days", "30"),
    ("certificates.items[0].publish", "yes"),
    ("certificates.items[0].organisation", ...),
]

# Good documents, from the smallest up.
GOOD = [
    {"version": 1},
    {"version": 1, "organisations": None, "tlds": []},
    {"version": 1, "tlds": [{"name": "example", "rsp": None, "entries": []}]},
    {"version": 1, "tlds": [{"name": "example", "scenario": {"services": {"dns": {}}}}]},
    {
        "version": 1,
        "certificates": {"folder": "x", "items": [{"name": "a", "domain_name": "a.example"}]},
    },
    good(),
]

# Mistakes only the checker sees (the portal's rules on values of the right shape).
RULE_MISTAKES = [
    ("tlds[0].entries[0].ip_acl", ["192.0.2.1/24"]),  # host bits
    ("tlds[0].entries[0].domain_name", "a..example"),
    ("tlds[0].name", "a.b"),
    ("organisations[1].name", "ICANN"),  # listed twice
    ("zone[0].records", [f"3 1 1 {HEX}0"]),  # 65 digits
    ("certificates.items[0].domain_name", "_tcp.example"),
    ("tlds[0].scenario.services.DNS", {"status": "Disabled", "incidents": [{}]}),
]


@pytest.mark.parametrize(("path", "value"), SHAPE_MISTAKES)
def test_schema_and_checker_both_refuse_a_mistake_of_shape(path, value):
    data = with_(path, value)
    assert not validator().is_valid(data), path
    assert not check_document(data).ok, path


@pytest.mark.parametrize("data", GOOD)
def test_schema_and_checker_both_accept_a_good_document(data):
    assert validator().is_valid(data), list(validator().iter_errors(data))
    assert check_document(data).ok, check_document(data).errors


@pytest.mark.parametrize(("path", "value"), RULE_MISTAKES)
def test_the_checker_applies_the_portals_rules_beyond_the_schema(path, value):
    data = with_(path, value)
    assert validator().is_valid(data), list(validator().iter_errors(data))
    assert not check_document(data).ok
