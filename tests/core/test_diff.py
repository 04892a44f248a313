"""History's readable differences between two configuration snapshots (portal/core/diff.py)."""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from portal.core.diff import describe_changes


def snap(*entries: dict, basic=None, passwords=None) -> dict:
    doc: dict = {"entries": list(entries)}
    if basic is not None:
        doc["basic_ip_acl"] = basic
    if passwords is not None:
        doc["passwords"] = passwords
    return doc


def e(name: str, roles=("mosapi-slam",), acl=("192.0.2.0/24",)) -> dict:
    return {"domain_name": name, "roles": list(roles), "ip_acl": list(acl)}


def test_no_change_no_lines() -> None:
    doc = snap(e("a.example"), basic=["192.0.2.0/24"], passwords={"alpha_ry": "t1"})
    assert describe_changes(doc, copy.deepcopy(doc)) == []
    assert describe_changes(None, None) == []
    assert describe_changes({}, {}) == []
    assert describe_changes(None, {}) == []


def test_entry_added_from_nothing() -> None:
    after = snap(
        e(
            "client.example",
            ["rri-monthly-reports", "mosapi-slam"],
            ["192.0.2.0/24", "2001:db8::/48"],
        )
    )
    assert describe_changes(None, after) == [
        "Added entry client.example with roles rri-monthly-reports, mosapi-slam "
        "and prefixes 192.0.2.0/24, 2001:db8::/48"
    ]


def test_entry_removed() -> None:
    assert describe_changes(snap(e("a.example")), snap()) == ["Removed entry a.example"]
    assert describe_changes(snap(e("a.example")), None) == ["Removed entry a.example"]


def test_added_and_removed_are_sorted_by_name() -> None:
    before = snap(e("z.example"), e("m.example"), e("keep.example"))
    after = snap(e("keep.example"), e("b.example"), e("a.example"))
    lines = describe_changes(before, after)
    assert lines == [
        "Added entry a.example with roles mosapi-slam and prefixes 192.0.2.0/24",
        "Added entry b.example with roles mosapi-slam and prefixes 192.0.2.0/24",
        "Removed entry m.example",
        "Removed entry z.example",
    ]


def test_roles_and_prefixes_changed_on_an_entry() -> None:
    before = snap(e("a.example", ["mosapi-slam", "mosapi-daar"], ["192.0.2.0/24", "10.0.0.0/8"]))
    after = snap(
        e("a.example", ["mosapi-slam", "probe-node-list"], ["192.0.2.0/24", "2001:db8::/48"])
    )
    assert describe_changes(before, after) == [
        "a.example: roles added: probe-node-list",
        "a.example: roles removed: mosapi-daar",
        "a.example: prefixes added: 2001:db8::/48",
        "a.example: prefixes removed: 10.0.0.0/8",
    ]


def test_reordering_is_not_a_change() -> None:
    before = snap(
        e("a.example", ["mosapi-slam", "mosapi-daar"], ["192.0.2.0/24", "10.0.0.0/8"]),
        e("b.example"),
    )
    after = snap(
        e("b.example"),
        e("a.example", ["mosapi-daar", "mosapi-slam"], ["10.0.0.0/8", "192.0.2.0/24"]),
    )
    assert describe_changes(before, after) == []


def test_basic_acl_changes() -> None:
    assert describe_changes(
        snap(basic=["192.0.2.0/24"]), snap(basic=["192.0.2.0/24", "198.51.100.7/32"])
    ) == ["Basic-auth prefixes added: 198.51.100.7/32"]
    assert describe_changes(snap(basic=["192.0.2.0/24", "10.0.0.0/8"]), snap(basic=[])) == [
        "Basic-auth prefixes removed: 192.0.2.0/24, 10.0.0.0/8"
    ]
    # Absent on one side counts as empty.
    assert describe_changes(snap(), snap(basic=["192.0.2.0/24"])) == [
        "Basic-auth prefixes added: 192.0.2.0/24"
    ]
    assert describe_changes(snap(basic=["192.0.2.0/24"]), None) == [
        "Basic-auth prefixes removed: 192.0.2.0/24"
    ]


def test_passwords_set_and_rotated_never_show_values() -> None:
    before = snap(passwords={"alpha_ry": "2024-01-01T00:00:00+00:00", "alpha_dea": None})
    after = snap(
        passwords={
            "alpha_ry": "2024-02-01T00:00:00+00:00",
            "alpha_dea": "2024-02-01T00:00:00+00:00",
        }
    )
    lines = describe_changes(before, after)
    assert lines == ["Password of alpha_dea set", "Password of alpha_ry rotated"]
    assert not any("2024" in line for line in lines)
    assert describe_changes(snap(), after) == [
        "Password of alpha_dea set",
        "Password of alpha_ry set",
    ]
    assert describe_changes(after, copy.deepcopy(after)) == []


def test_everything_at_once_in_stable_order() -> None:
    before = snap(
        e("old.example"),
        e("same.example", ["mosapi-slam"], ["192.0.2.0/24"]),
        basic=["203.0.113.0/24"],
        passwords={"alpha_ry": "t1"},
    )
    after = snap(
        e("new.example"),
        e("same.example", ["mosapi-slam", "mosapi-daar"], ["192.0.2.0/24"]),
        basic=["198.51.100.0/24"],
        passwords={"alpha_ry": "t2"},
    )
    assert describe_changes(before, after) == [
        "Added entry new.example with roles mosapi-slam and prefixes 192.0.2.0/24",
        "Removed entry old.example",
        "same.example: roles added: mosapi-daar",
        "Basic-auth prefixes added: 198.51.100.0/24",
        "Basic-auth prefixes removed: 203.0.113.0/24",
        "Password of alpha_ry rotated",
    ]


def test_inputs_are_not_modified() -> None:
    before = snap(e("a.example"), basic=["192.0.2.0/24"], passwords={"x": "1"})
    after = snap(e("b.example"), basic=[], passwords={"x": "2"})
    b0, a0 = copy.deepcopy(before), copy.deepcopy(after)
    describe_changes(before, after)
    assert (before, after) == (b0, a0)


# --------------------------------------------------------------------------- properties

NAMES = st.sampled_from(["a.example", "b.example", "c.example", "d.example"])
ROLES = st.lists(st.sampled_from(["mosapi-slam", "mosapi-daar", "probe-node-list"]), unique=True)
PREFIXES = st.lists(st.sampled_from(["192.0.2.0/24", "10.0.0.0/8", "2001:db8::/48"]), unique=True)
SNAPSHOTS = st.builds(
    lambda entries, basic: snap(*entries.values(), basic=basic),
    st.dictionaries(
        NAMES,
        st.builds(lambda roles, acl: {"roles": roles, "ip_acl": acl}, ROLES, PREFIXES),
    ).map(lambda d: {k: {"domain_name": k, **v} for k, v in d.items()}),
    PREFIXES,
)


@settings(max_examples=200, deadline=None)
@given(SNAPSHOTS, SNAPSHOTS)
def test_diff_is_empty_iff_equal_up_to_order(before: dict, after: dict) -> None:
    def canon(doc: dict):
        return (
            {x["domain_name"]: (set(x["roles"]), set(x["ip_acl"])) for x in doc["entries"]},
            set(doc["basic_ip_acl"]),
        )

    lines = describe_changes(before, after)
    assert (lines == []) is (canon(before) == canon(after))
    assert lines == describe_changes(before, after)  # deterministic


@settings(max_examples=200, deadline=None)
@given(SNAPSHOTS, SNAPSHOTS)
def test_diff_mirrors_when_swapped(before: dict, after: dict) -> None:
    forward = describe_changes(before, after)
    backward = describe_changes(after, before)
    assert len(forward) == len(backward)
    assert sum(line.startswith("Added entry") for line in forward) == sum(
        line.startswith("Removed entry") for line in backward
    )
    # Per-entry and Basic-auth lines ("…: roles added: x") swap "added" and "removed".
    swapped = [
        line.replace("added:", "\0").replace("removed:", "added:").replace("\0", "removed:")
        for line in backward
        if ": " in line
    ]
    kept = [line for line in forward if ": " in line]
    assert sorted(kept) == sorted(swapped)
