"""Whose access an edit changes (portal/core/diff.py `access_changes`): the (domain name, role,
prefix) combinations that gain or lose access, judged by the addresses they cover."""

from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from portal.core.diff import AccessChange, access_changes
from portal.core.validation import Entry

A, B = "a.example", "b.example"
SLAM, DAAR = "mosapi-slam", "mosapi-daar"


def triples(changes) -> set[tuple[str, str, str]]:
    return {(c.domain_name, c.role, c.prefix) for c in changes}


def test_unchanged_entries_change_nothing():
    entries = [Entry(A, (SLAM, DAAR), ("192.0.2.0/24", "2001:db8::/48"))]
    assert access_changes(entries, list(entries)).none
    assert access_changes([], []).none


def test_a_new_entry_gains_every_role_and_prefix():
    new = Entry(B, (SLAM, DAAR), ("192.0.2.0/24", "::1/128"))
    changes = access_changes(
        [Entry(A, (SLAM,), ("10.0.0.0/8",))], [Entry(A, (SLAM,), ("10.0.0.0/8",)), new]
    )
    assert triples(changes.gained) == {
        (B, role, prefix) for role in (SLAM, DAAR) for prefix in ("192.0.2.0/24", "::1/128")
    }
    assert changes.lost == ()


def test_a_removed_role_loses_all_its_prefixes_and_an_added_one_gains_them():
    before = [Entry(A, (SLAM,), ("192.0.2.0/24", "::1/128"))]
    after = [Entry(A, (DAAR,), ("192.0.2.0/24", "::1/128"))]
    changes = access_changes(before, after)
    assert triples(changes.lost) == {(A, SLAM, "192.0.2.0/24"), (A, SLAM, "::1/128")}
    assert triples(changes.gained) == {(A, DAAR, "192.0.2.0/24"), (A, DAAR, "::1/128")}


def test_widening_gains_the_wider_prefix_naming_what_had_access():
    changes = access_changes(
        [Entry(A, (SLAM,), ("192.0.2.0/25",))], [Entry(A, (SLAM,), ("192.0.2.0/24",))]
    )
    assert changes.gained == (AccessChange(A, SLAM, "192.0.2.0/24", ("192.0.2.0/25",)),)
    assert changes.lost == ()


def test_narrowing_loses_the_old_prefix_naming_what_keeps_access():
    changes = access_changes(
        [Entry(A, (SLAM,), ("192.0.2.0/24",))], [Entry(A, (SLAM,), ("192.0.2.128/25",))]
    )
    assert changes.lost == (AccessChange(A, SLAM, "192.0.2.0/24", ("192.0.2.128/25",)),)
    assert changes.gained == ()


def test_a_prefix_split_in_two_halves_changes_nothing():
    changes = access_changes(
        [Entry(A, (SLAM,), ("192.0.2.0/24",))],
        [Entry(A, (SLAM,), ("192.0.2.0/25", "192.0.2.128/25"))],
    )
    assert changes.none


def test_access_is_per_domain_name():
    """Another entry's prefix does not cover this one's: the client is a different one."""
    changes = access_changes(
        [Entry(A, (SLAM,), ("192.0.2.0/24",)), Entry(B, (SLAM,), ("192.0.2.0/24",))],
        [Entry(A, (SLAM,), ("192.0.2.0/24",)), Entry(B, (SLAM,), ("198.51.100.0/24",))],
    )
    assert triples(changes.lost) == {(B, SLAM, "192.0.2.0/24")}
    assert triples(changes.gained) == {(B, SLAM, "198.51.100.0/24")}


def test_ipv4_never_covers_ipv6():
    changes = access_changes(
        [Entry(A, (SLAM,), ("0.0.0.0/0",))], [Entry(A, (SLAM,), ("0.0.0.0/0", "::/0"))]
    )
    assert triples(changes.gained) == {(A, SLAM, "::/0")}


def test_changes_come_in_table_order_of_the_roles():
    after = [Entry(A, ("probe-node-list", "rri-monthly-reports", SLAM), ("192.0.2.0/24",))]
    roles = [c.role for c in access_changes([], after).gained]
    assert roles == ["rri-monthly-reports", SLAM, "probe-node-list"]


# A small space (10.0.0.0/28) so every address can be checked.
SPACE = list(ipaddress.ip_network("10.0.0.0/28"))
prefixes = st.builds(
    lambda length, index: str(
        list(ipaddress.ip_network("10.0.0.0/28").subnets(new_prefix=length))[
            index % 2 ** (length - 28)
        ]
    ),
    st.integers(28, 32),
    st.integers(0, 15),
)
entry_lists = st.lists(
    st.builds(
        lambda name, roles, acl: Entry(name, tuple(roles), tuple(acl)),
        st.sampled_from([A, B]),
        st.sets(st.sampled_from([SLAM, DAAR]), min_size=1),
        st.lists(prefixes, min_size=1, max_size=4),
    ),
    max_size=3,
)


def has_access(entries: list[Entry], name: str, role: str, address) -> bool:
    return any(
        e.domain_name == name
        and role in e.roles
        and any(address in ipaddress.ip_network(p) for p in e.ip_acl)
        for e in entries
    )


@settings(max_examples=300, deadline=None)
@given(entry_lists, entry_lists)
def test_changes_are_exactly_the_addresses_that_gain_or_lose(before, after):
    changes = access_changes(before, after)
    for name in (A, B):
        for role in (SLAM, DAAR):
            for side, rows, new, old in (
                ("gained", changes.gained, after, before),
                ("lost", changes.lost, before, after),
            ):
                nets = [
                    ipaddress.ip_network(c.prefix)
                    for c in rows
                    if (c.domain_name, c.role) == (name, role)
                ]
                moved = {
                    a
                    for a in SPACE
                    if has_access(new, name, role, a) and not has_access(old, name, role, a)
                }
                # Every address that moved lies in a listed prefix …
                assert all(any(a in n for n in nets) for a in moved), (side, name, role)
                # … each listed prefix is the new side's and holds an address that moved.
                for net in nets:
                    assert all(has_access(new, name, role, a) for a in net), (side, net)
                    assert any(a in net for a in moved), (side, net)
