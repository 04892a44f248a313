"""The RSP bulk file (portal/core/bulk.py): parsing, validation of every row, the preview."""

from __future__ import annotations

import ipaddress
import json

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from portal.core.bulk import (
    COLUMNS,
    MAX_LISTED,
    BulkFinding,
    BulkPlan,
    parse_bulk,
    preview,
    render_csv,
    render_json,
    template_csv,
    validate_bulk,
)
from portal.core.diff import access_changes, describe_changes
from portal.core.roles import ROLE_IDS
from portal.core.validation import Entry, Limits, validate_entries

HEADER = "tld,domain_name,roles,ip_acl"
KNOWN = {"example": "Example Registry", "bank": "Bank Registry", "xn--80asehdb": "онлайн"}
MINE = {"example", "xn--80asehdb"}


def csv_bytes(*rows: str, header: str = HEADER, eol: str = "\n") -> bytes:
    return eol.join([header, *rows, ""]).encode()


def check(data: bytes, known=KNOWN, mine=MINE, limits: Limits | None = None, **kw):
    return validate_bulk(parse_bulk(data, **kw), known, mine, limits)


def errors(result) -> list[BulkFinding]:
    return [f for f in result.findings if f.severity == "error"]


def places(result) -> list[tuple[int | None, str]]:
    return [(f.line, f.column) for f in errors(result)]


def only_error(result) -> BulkFinding:
    found = errors(result)
    assert result.value is None
    assert len(found) == 1, [str(f) for f in found]
    return found[0]


GOOD_ROWS = (
    "example,client.rsp.example,mosapi-slam;rri-monthly-reports,203.0.113.0/24;2001:db8:1::/48",
    "example,escrow.rsp.example,rri-escrow-reports,198.51.100.7",
    "xn--80asehdb,client.rsp.example,mosapi-daar,203.0.113.0/24",
)


def good_plan() -> BulkPlan:
    result = check(csv_bytes(*GOOD_ROWS))
    assert result.value is not None, [str(f) for f in result.findings]
    return result.value


# --------------------------------------------------------------------------- good files


def test_template_is_a_valid_file_with_one_example_row() -> None:
    text = template_csv()
    lines = text.splitlines()
    assert lines[0] == HEADER and len(lines) == 2 and "#" not in text
    result = check(text.encode(), known={"example"}, mine={"example"})
    assert result.value is not None
    assert result.value.entry_count == 1
    assert not errors(result)


def test_rows_become_entries_per_tld_in_file_order() -> None:
    plan = good_plan()
    assert plan.tlds == ("example", "xn--80asehdb")
    assert plan.entries["example"] == (
        Entry(
            "client.rsp.example",
            ("rri-monthly-reports", "mosapi-slam"),
            ("203.0.113.0/24", "2001:db8:1::/48"),
        ),
        Entry("escrow.rsp.example", ("rri-escrow-reports",), ("198.51.100.7/32",)),
    )
    # The documents are what the configuration service validates and stores.
    for tld, doc in plan.documents().items():
        checked = validate_entries(doc)
        assert checked.value == list(plan.entries[tld])


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_bom_and_line_ends_change_nothing(eol: str, bom: bytes) -> None:
    data = bom + csv_bytes(*GOOD_ROWS, "example,a.example,nope,192.0.2.0/24", eol=eol)
    result = check(data)
    # Same line numbers whatever the line ends; the byte-order mark is not part of the header.
    assert places(result) == [(5, "roles")]
    fixed = check(bom + csv_bytes(*GOOD_ROWS, eol=eol))
    assert fixed.value == good_plan()


def test_header_in_any_order_and_case_with_trailing_empty_cells() -> None:
    data = csv_bytes(
        "203.0.113.0/24,MOSAPI-DAAR-not-a-role,client.rsp.example,example,,",
        "203.0.113.0/24,mosapi-daar,other.rsp.example,.EXAMPLE.,",
        header=" IP_ACL ,roles,Domain_Name,TLD,,",
    )
    result = check(data)
    assert places(result) == [(2, "roles")]
    assert "Unknown role" in errors(result)[0].message
    result = check(data.replace(b"MOSAPI-DAAR-not-a-role", b"mosapi-daar"))
    assert result.value is not None
    assert [e.domain_name for e in result.value.entries["example"]] == [
        "client.rsp.example",
        "other.rsp.example",
    ]


def test_blank_lines_are_skipped_and_lines_still_counted() -> None:
    data = csv_bytes("", GOOD_ROWS[0], ",,,", "", "example,bad..name,mosapi-slam,192.0.2.1")
    result = check(data)
    assert places(result) == [(6, "domain_name")]


def test_json_file_gives_the_same_plan() -> None:
    plan = good_plan()
    doc = {
        "entries": [
            {"tld": "example", "domain_name": "client.rsp.example",
             "roles": ["mosapi-slam", "rri-monthly-reports"],
             "ip_acl": ["203.0.113.0/24", "2001:db8:1::/48"]},
            {"tld": "example", "domain_name": "escrow.rsp.example",
             "roles": ["rri-escrow-reports"], "ip_acl": ["198.51.100.7"]},
            {"tld": "онлайн", "domain_name": "client.rsp.example",
             "roles": ["mosapi-daar"], "ip_acl": ["203.0.113.0/24"]},
        ]
    }  # fmt: skip
    data = json.dumps(doc, ensure_ascii=False).encode()
    assert check(data).value == plan  # recognised by its first character
    assert check(data, filename="rsp.JSON").value == plan
    assert check(data, content_type="application/json; charset=utf-8").value == plan
    assert parse_bulk(data, filename="x.json").format == "json"
    # The name decides, then the content type, then the first character.
    csv_data = csv_bytes(*GOOD_ROWS)
    assert "Not valid JSON" in only_error(check(csv_data, filename="rsp.json")).message
    assert parse_bulk(csv_data, content_type="application/json").format == "json"
    assert parse_bulk(csv_data, filename="a.csv", content_type="application/json").format == "csv"
    assert parse_bulk(data, filename="a.txt", content_type="application/json").format == "csv"
    # A .csv name wins over the content: read as CSV, the header is wrong.
    assert parse_bulk(data, filename="x.csv").format == "csv"
    assert check(data, filename="x.csv").value is None


def test_json_findings_name_the_entry_and_key() -> None:
    doc = {
        "entries": [
            {"tld": "example", "domain_name": "a.example", "roles": ["x"], "ip_acl": ["10.0.0.1"]},
            {"tld": "bank", "domain_name": "b.example", "roles": ["mosapi-slam"],
             "ip_acl": ["=1+1"]},
        ]
    }  # fmt: skip
    result = check(json.dumps(doc).encode())
    assert [(f.entry, f.column) for f in errors(result)] == [
        (1, "roles"),
        (2, "tld"),
        (2, "ip_acl"),
    ]
    assert str(errors(result)[0]).startswith("Entry 1, roles: Unknown role")


@pytest.mark.parametrize(
    ("text", "column", "words"),
    [
        ("[]", "", "A JSON bulk file is an object"),
        ('{"rows": []}', "", "A JSON bulk file is an object"),
        ('{"entries": [{"tld": "example", "domain_name": "a.example", "roles": ["mosapi-slam"],'
         ' "ip_acl": ["203.0.113.1"]}], "x": 1}', "x", "Unknown key"),
        ('{"entries": []}', "", "is empty"),
        ('{"entries": [1]}', "", "Each entry is an object"),
        ('{"entries": [{"tld": "example", "domain_name": "a.b", "roles": []}]}', "ip_acl",
         "missing"),
        ('{"entries": [{"tld": 1, "domain_name": "a.b", "roles": [], "ip_acl": []}]}', "tld",
         "must be text"),
        ('{"entries": [{"tld": "example", "domain_name": "a.b", "roles": "mosapi-slam",'
         ' "ip_acl": []}]}', "roles", "must be a list"),
        ('{"entries": [{"tld": "example", "domain_name": "a.b", "roles": [],'
         ' "ip_acl": [1]}]}', "ip_acl", "must be a list"),
        ('{"entries": [{"tld": "example", "tld": "bank"}]}', "", "appears twice"),
        ('{"entries": [{"tld": "example", "domain_name": "a.b", "roles": [], "ip_acl": [],'
         ' "ip_acls": []}]}', "ip_acls", "Unknown key"),
    ],
)  # fmt: skip
def test_json_shape_findings(text: str, column: str, words: str) -> None:
    found = only_error(check(text.encode(), filename="f.json"))
    assert found.column == column
    assert words in found.message


def test_json_syntax_error_names_its_line() -> None:
    found = only_error(check(b'{"entries": [\n  {"tld": "example",,}\n]}'))
    assert found.line == 2 and "Not valid JSON" in found.message


def test_json_nested_too_deeply() -> None:
    found = only_error(check(b"[" * 100_000 + b"]" * 100_000, filename="f.json"))
    assert "nested too deeply" in found.message


# --------------------------------------------------------------------------- bad bytes


def test_size_limit_is_a_parameter() -> None:
    data = csv_bytes(*GOOD_ROWS)
    assert check(data, max_bytes=len(data)).value == good_plan()
    found = only_error(check(data, max_bytes=len(data) - 1))
    assert f"{len(data):,} bytes" in found.message and "limit" in found.message
    assert found.line is None


def test_non_utf8_lines_are_each_named() -> None:
    data = csv_bytes(
        "example,café.example,mosapi-slam,192.0.2.1",
        GOOD_ROWS[1],
        "example,b.example,mosapi-slam,192.0.2.1 # München",
    )
    latin1 = data.decode().encode("latin-1")
    result = check(latin1)
    assert result.value is None
    assert [(f.line, f.column) for f in errors(result)] == [(2, ""), (4, "")]
    assert "byte 0xE9 at position 12 of the line" in errors(result)[0].message
    assert "UTF-8" in errors(result)[0].message
    assert places(check(data)) == [(4, "ip_acl")]  # as UTF-8 the file reads


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + b"xl/workbook.xml",
        HEADER.encode() + b"\nexample,a.example,mosapi-slam,192.0.2.1\x00\n",
    ],
)
def test_binary_file_is_refused(data: bytes) -> None:
    assert "binary file" in only_error(check(data)).message


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_utf16_and_utf32_are_named(encoding: str) -> None:
    found = only_error(check(csv_bytes(*GOOD_ROWS).decode().encode(encoding)))
    assert "UTF-16 or UTF-32" in found.message


@pytest.mark.parametrize("data", [b"", b"   \n\r\n", b"\xef\xbb\xbf", b",,,\n,,,\n"])
def test_empty_file(data: bytes) -> None:
    assert "empty" in only_error(check(data)).message


def test_header_without_rows() -> None:
    found = only_error(check(csv_bytes()))
    assert "header but no rows" in found.message


def test_header_of_1240_columns_is_one_finding() -> None:
    header = ",".join([*COLUMNS, *(f"c{i}" for i in range(1236))])
    found = only_error(check(csv_bytes(GOOD_ROWS[0], header=header)))
    assert "1,240 columns" in found.message and found.line == 1


def test_row_of_1240_values() -> None:
    wide = GOOD_ROWS[1] + "," * 1236 + "x"
    result = check(csv_bytes(GOOD_ROWS[0], wide, GOOD_ROWS[2]))
    found = only_error(result)
    assert found.line == 3 and "1,240 values" in found.message


def test_row_with_too_few_values() -> None:
    found = only_error(check(csv_bytes("example,a.example,mosapi-slam")))
    assert (found.line, found.column) == (2, "") and "3 values" in found.message


@pytest.mark.parametrize(
    ("header", "findings"),
    [
        ("tld,domain_name,roles", [("ip_acl", "lacks the column ip_acl")]),
        (
            "tld,domain_name,roles,ip_acls",
            [("ip_acls", "Unknown column “ip_acls”"), ("ip_acl", "lacks the column")],
        ),
        ("tld,domain_name,roles,ip_acl,tld", [("tld", "appears twice")]),
        ("example,a.example,mosapi-slam,192.0.2.1", [("", "must be the header")]),
        ("tld;domain_name;roles;ip_acl", [("", "separated by “;”")]),
        ("tld\tdomain_name\troles\tip_acl", [("", "separated by tabs")]),
    ],
)
def test_header_findings(header: str, findings: list[tuple[str, str]]) -> None:
    result = check(csv_bytes(GOOD_ROWS[0], header=header))
    assert result.value is None
    found = errors(result)
    assert [(f.column, f.line) for f in found] == [(c, 1) for c, _ in findings]
    for f, (_, words) in zip(found, findings, strict=True):
        assert words in f.message


def test_quoted_value_spanning_lines() -> None:
    data = csv_bytes(
        GOOD_ROWS[0],
        'example,a.example,"mosapi-slam\nmosapi-daar",192.0.2.1',
        "example,bad..name,mosapi-slam,192.0.2.1",
    )
    result = check(data)
    assert places(result) == [(3, "roles"), (5, "domain_name")]
    assert "runs over lines 3–4" in errors(result)[0].message


def test_unclosed_quote() -> None:
    data = csv_bytes(GOOD_ROWS[0], 'example,"a.example,mosapi-slam,192.0.2.1', GOOD_ROWS[1])
    found = only_error(check(data))
    assert found.line == 3 and "never closed" in found.message


def test_text_after_a_closing_quote_and_the_rows_after_it() -> None:
    data = csv_bytes('example,"a.example"x,mosapi-slam,192.0.2.1', "bank,b.example,nope,10.0.0.1")
    result = check(data)
    assert places(result) == [(2, ""), (3, "tld"), (3, "roles")]
    assert "two quotes" in errors(result)[0].message


def test_quoted_commas_are_values() -> None:
    data = csv_bytes('"example","client.rsp.example","mosapi-slam","192.0.2.0/24;10.1.0.0/16"')
    result = check(data)
    assert result.value is not None
    assert result.value.entries["example"][0].ip_acl == ("192.0.2.0/24", "10.1.0.0/16")


# --------------------------------------------------------------------------- formula cells


@pytest.mark.parametrize("start", ["=", "+", "-", "@", " \t="])
@pytest.mark.parametrize("column", COLUMNS)
def test_formula_looking_cells_are_refused(start: str, column: str) -> None:
    good = dict(zip(COLUMNS, GOOD_ROWS[1].split(","), strict=True))
    good[column] = f"{start}cmd|' /C calc'!A0"
    result = check(csv_bytes(",".join(good.values())))
    found = only_error(result)
    assert (found.line, found.column) == (2, column)
    assert "formula" in found.message and f"starts with “{start.strip()}”" in found.message


def test_formula_in_one_part_of_a_cell() -> None:
    found = only_error(check(csv_bytes("example,a.example,mosapi-slam,192.0.2.1;@SUM(1+1)")))
    assert found.column == "ip_acl" and "“@SUM(1+1)”" in found.message


def test_negative_number_is_a_formula_cell_too() -> None:
    # What a spreadsheet makes of a cell like "-1": a number, never a prefix.
    found = only_error(check(csv_bytes("example,a.example,mosapi-slam,-1")))
    assert "formula" in found.message


# --------------------------------------------------------------------------- rows


def test_every_kind_of_row_finding_at_once() -> None:
    data = csv_bytes(
        GOOD_ROWS[0],  # 2
        "nosuch,a.example,mosapi-slam,192.0.2.1",  # 3 unknown TLD
        "bank,a.example,mosapi-slam,192.0.2.1",  # 4 not your TLD
        "example,-bad.example,mosapi-slam,192.0.2.1",  # 5 formula-looking domain
        "example,bad_name.example,mosapi-slam,192.0.2.1",  # 6 bad domain
        "example,b.example,mosapi-slam,192.0.2.1/24",  # 7 bad prefix
        "example,c.example,mosapi-slam;rri-everything,192.0.2.1",  # 8 unknown role
        "example,CLIENT.rsp.example.,mosapi-daar,192.0.2.2",  # 9 duplicate of line 2
        "example,d.example,mosapi-slam",  # 10 wrong columns
        "example,e.example,,",  # 11 no role, no prefix
        "ex.ample,f.example,mosapi-slam,192.0.2.1",  # 12 not a TLD
    )
    result = check(data)
    assert result.value is None
    assert places(result) == [
        (3, "tld"),
        (4, "tld"),
        (5, "domain_name"),
        (6, "domain_name"),
        (7, "ip_acl"),
        (8, "roles"),
        (9, "domain_name"),
        (10, ""),
        (11, "roles"),
        (11, "ip_acl"),
        (12, "tld"),
    ]
    messages = [f.message for f in errors(result)]
    assert "There is no TLD .nosuch" in messages[0]
    assert ".bank is not one of your TLDs" in messages[1]
    assert "underscore" in messages[3]
    assert "host bits" in messages[4]
    assert "'rri-everything'" in messages[5]
    assert "already on line 2" in messages[6]
    assert "Enter the TLD alone" in messages[10]


def test_repeated_unknown_tld_is_one_finding_listing_the_rows() -> None:
    rows = [f"nosuch,n{i}.example,mosapi-slam,192.0.2.1" for i in range(7)]
    found = only_error(check(csv_bytes(*rows)))
    assert found.line == 2
    assert "(7 rows: line 2, line 3, line 4, line 5, line 6 and 2 more)" in found.message


def test_may_include_as_a_test_gets_the_a_label() -> None:
    asked: list[str] = []

    def mine(tld: str) -> bool:
        asked.append(tld)
        return tld != "example"

    data = csv_bytes(*GOOD_ROWS, "ОНЛАЙН,other.rsp.example,mosapi-slam,192.0.2.1")
    result = validate_bulk(parse_bulk(data), KNOWN, mine)
    assert places(result) == [(2, "tld")]  # once, for two rows of .example
    assert "(2 rows: line 2, line 3)" in errors(result)[0].message
    assert sorted(asked) == ["example", "xn--80asehdb"]


def test_same_name_under_two_tlds_is_no_duplicate() -> None:
    result = check(csv_bytes(GOOD_ROWS[0], GOOD_ROWS[0].replace("example,", "xn--80asehdb,", 1)))
    assert result.value is not None and result.value.entry_count == 2


def test_u_label_duplicate_of_a_label() -> None:
    data = csv_bytes(
        "example,xn--bcher-kva.example,mosapi-slam,192.0.2.1",
        "example,BÜCHER.example,mosapi-daar,192.0.2.1",
    )
    assert places(check(data)) == [(3, "domain_name")]


def test_warnings_and_notes_do_not_block_the_plan() -> None:
    result = check(csv_bytes("example,a.example,mosapi-slam,127.0.0.1;10.0.0.0/8;10.1.0.0/16"))
    assert result.value is not None
    assert result.value.entries["example"][0].ip_acl == ("127.0.0.1/32", "10.0.0.0/8")
    kinds = {(f.line, f.column, f.severity) for f in result.findings}
    assert kinds == {(2, "ip_acl", "warning"), (2, "ip_acl", "note")}


def test_entries_per_tld_limit() -> None:
    rows = [f"example,n{i}.example,mosapi-slam,192.0.2.1" for i in range(4)]
    limits = Limits(max_entries_per_tld=3, max_prefixes_per_entry=500)
    found = only_error(check(csv_bytes(*rows), limits=limits))
    assert (found.line, found.column) == (5, "tld")
    assert "4 entries for .example; the limit is 3" in found.message
    assert check(csv_bytes(*rows[:3]), limits=limits).value is not None


def test_prefixes_per_entry_limit() -> None:
    acl = ";".join(f"192.0.2.{i}" for i in range(4))
    limits = Limits(max_entries_per_tld=100, max_prefixes_per_entry=3)
    found = only_error(check(csv_bytes(f"example,a.example,mosapi-slam,{acl}"), limits=limits))
    assert (found.line, found.column) == (2, "ip_acl") and "limit is 3" in found.message


def test_findings_are_capped_and_the_rest_counted() -> None:
    rows = [f"example,n{i}.example,nope,192.0.2.1" for i in range(MAX_LISTED + 50)]
    result = check(csv_bytes(*rows))
    found = errors(result)
    assert len(found) == MAX_LISTED + 1
    assert found[-1].message.startswith("50 more problems not listed")
    assert found[MAX_LISTED - 1].line == MAX_LISTED + 1


def test_finding_as_dict_and_text() -> None:
    found = only_error(check(csv_bytes("example,a.example,nope,192.0.2.1")))
    assert found.as_dict() == {
        "line": 2,
        "entry": None,
        "column": "roles",
        "message": found.message,
        "severity": "error",
    }
    assert str(found).startswith("Line 2, column roles: Unknown role")
    file_level = only_error(check(b""))
    assert str(file_level) == file_level.message and file_level.where() == ""


# --------------------------------------------------------------------------- preview


def entry(name: str, roles: tuple[str, ...], acl: tuple[str, ...]) -> Entry:
    return Entry(name, roles, acl)


def test_preview_per_tld_and_totals() -> None:
    plan = good_plan()
    current_example = [
        # client.rsp.example: gains rri-monthly-reports and 2001:db8:1::/48, loses 10.9.0.0/16.
        entry("client.rsp.example", ("mosapi-slam",), ("203.0.113.0/24", "10.9.0.0/16")),
        entry("escrow.rsp.example", ("rri-escrow-reports",), ("198.51.100.7/32",)),  # same
        entry("old.rsp.example", ("mosapi-daar",), ("192.0.2.0/24",)),  # removed
    ]
    current = {"example": current_example, "bank": [entry("x.bank", ("mosapi-slam",), ())]}
    result = preview(plan, current)
    assert [t.tld for t in result.tlds] == ["example", "xn--80asehdb"]  # .bank left alone
    ex, idn = result.tlds
    assert ex.added == () and [e.domain_name for e in ex.removed] == ["old.rsp.example"]
    assert ex.unchanged == 1
    (change,) = ex.changed
    assert change.domain_name == "client.rsp.example"
    assert change.roles_added == ("rri-monthly-reports",) and change.roles_removed == ()
    assert change.prefixes_added == ("2001:db8:1::/48",)
    assert change.prefixes_removed == ("10.9.0.0/16",)
    assert "Removed entry old.rsp.example" in ex.lines
    assert "client.rsp.example: roles added: rri-monthly-reports" in ex.lines
    assert idn.added == plan.entries["xn--80asehdb"] and idn.changes
    t = result.totals
    assert (t.tlds, t.tlds_changed) == (2, 2)
    assert (t.entries_added, t.entries_removed, t.entries_changed, t.entries_unchanged) == (
        1,
        1,
        1,
        1,
    )
    assert (t.roles_added, t.roles_removed, t.prefixes_added, t.prefixes_removed) == (1, 0, 1, 1)
    # Gained: rri-monthly-reports on both prefixes, mosapi-slam on the IPv6 one, and the new
    # IDN entry's one (role, prefix). Lost: mosapi-slam on 10.9/16, old's one combination.
    assert (t.access_gained, t.access_lost) == (4, 2)


def test_preview_of_an_unchanged_configuration_in_every_shape() -> None:
    plan = good_plan()
    as_entries = {tld: list(e) for tld, e in plan.entries.items()}
    as_docs = plan.documents()
    as_snapshots = {tld: {"entries": doc, "basic_ip_acl": []} for tld, doc in as_docs.items()}
    for current in (as_entries, as_docs, as_snapshots):
        result = preview(plan, current)
        assert result.totals.tlds_changed == 0
        assert result.totals.entries_unchanged == plan.entry_count
        assert all(not t.changes and not t.lines and t.access.none for t in result.tlds)


def test_preview_against_nothing_adds_everything() -> None:
    plan = good_plan()
    t = preview(plan, {}).totals
    assert (t.tlds_changed, t.entries_added, t.entries_removed) == (2, 3, 0)
    assert t.access_gained == 2 * 2 + 1 + 1


# --------------------------------------------------------------------------- round trip

KNOWN_TLDS = ("example", "bank", "xn--80asehdb", "shop")
label = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True).filter(
    lambda s: s[2:4] != "--"
)


@st.composite
def prefixes(draw) -> str:
    if draw(st.booleans()):
        length = draw(st.integers(8, 32))
        address = draw(st.integers(0, 2**32 - 1)) >> (32 - length) << (32 - length)
        return str(ipaddress.IPv4Network((address, length)))
    length = draw(st.integers(16, 128))
    address = draw(st.integers(0, 2**128 - 1)) >> (128 - length) << (128 - length)
    return str(ipaddress.IPv6Network((address, length)))


raw_rows = st.lists(
    st.tuples(
        st.sampled_from(KNOWN_TLDS),
        st.lists(label, min_size=1, max_size=3).map(lambda ls: ".".join([*ls, "example"])),
        st.lists(st.sampled_from(ROLE_IDS), min_size=1, max_size=4),
        st.lists(prefixes(), min_size=1, max_size=5),
    ),
    min_size=1,
    max_size=12,
    unique_by=lambda r: (r[0], r[1]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw_rows, st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_a_valid_plan_written_back_reads_as_the_same_plan(rows, eol: str, bom: bool) -> None:
    data = csv_bytes(*(f"{t},{n},{';'.join(r)},{';'.join(a)}" for t, n, r, a in rows))
    first = check(data, known=KNOWN_TLDS, mine=KNOWN_TLDS)
    plan = first.value
    assert plan is not None, [str(f) for f in errors(first)]
    text = render_csv(plan)
    again = (b"\xef\xbb\xbf" if bom else b"") + text.replace("\r\n", eol).encode()
    assert check(again, known=KNOWN_TLDS, mine=KNOWN_TLDS).value == plan
    as_json = render_json(plan).encode()
    assert check(as_json, known=KNOWN_TLDS, mine=KNOWN_TLDS).value == plan
    assert render_csv(check(again, known=KNOWN_TLDS, mine=KNOWN_TLDS).value) == text


small_entries = st.lists(
    st.builds(
        Entry,
        st.sampled_from(["a.example", "b.example", "c.example", "d.example"]),
        st.lists(st.sampled_from(ROLE_IDS[:3]), min_size=1, max_size=3, unique=True).map(
            lambda rs: tuple(r for r in ROLE_IDS if r in rs)
        ),
        st.lists(
            st.sampled_from(["10.0.0.0/8", "10.1.0.0/16", "192.0.2.0/24", "2001:db8::/32"]),
            min_size=1,
            max_size=3,
            unique=True,
        ).map(tuple),
    ),
    max_size=4,
    unique_by=lambda e: e.domain_name,
)


@settings(max_examples=300, deadline=None)
@given(small_entries, small_entries)
def test_preview_access_is_access_changes_of_the_whole_lists(before, after) -> None:
    assume(after)
    plan = BulkPlan({"example": tuple(after)})
    (tld,) = preview(plan, {"example": before}).tlds
    assert tld.access == access_changes(before, after)

    def same(e: Entry) -> tuple:
        return (e.domain_name, frozenset(e.roles), frozenset(e.ip_acl))

    assert tld.changes == ({same(e) for e in before} != {same(e) for e in after})


# The current configuration may name an entry twice; describe_changes keeps the last one.
current_entries = st.lists(
    st.builds(
        Entry,
        st.sampled_from(["a.example", "b.example", "c.example", "d.example"]),
        st.lists(st.sampled_from(ROLE_IDS[:3]), min_size=1, max_size=3, unique=True).map(
            lambda rs: tuple(r for r in ROLE_IDS if r in rs)
        ),
        st.lists(
            st.sampled_from(["10.0.0.0/8", "10.1.0.0/16", "192.0.2.0/24", "2001:db8::/32"]),
            min_size=1,
            max_size=3,
            unique=True,
        ).map(tuple),
    ),
    max_size=5,
)


@settings(max_examples=300, deadline=None)
@given(current_entries, small_entries, st.booleans())
def test_preview_lines_are_describe_changes_of_the_whole_lists(before, after, reuse) -> None:
    assume(after)
    if reuse:  # most entries of a real file are the current ones
        after = list({e.domain_name: e for e in [*before, *after]}.values())
    plan = BulkPlan({"example": tuple(after)})
    (tld,) = preview(plan, {"example": before}).tlds
    whole = describe_changes(
        {"entries": [e.as_dict() for e in before]}, {"entries": [e.as_dict() for e in after]}
    )
    assert list(tld.lines) == whole
