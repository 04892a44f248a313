"""The one rule of who may manage a TLD (portal/core/access.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.core.access import ICANN, can_manage, may_publish_at

OPERATOR, RSP, OTHER = 10, 20, 30
KINDS = ("registry-operator", "rsp", "icann")


@pytest.mark.parametrize(
    ("kind", "org_id", "rsp_id", "allowed"),
    [
        # ICANN staff manage every TLD, whoever runs it.
        (ICANN, OTHER, RSP, True),
        (ICANN, OTHER, None, True),
        # The registry operator manages its own TLD, with or without an RSP of record.
        ("registry-operator", OPERATOR, RSP, True),
        ("registry-operator", OPERATOR, None, True),
        # The RSP of record manages it too.
        ("rsp", RSP, RSP, True),
        # An RSP that is not (or no longer) of record does not.
        ("rsp", RSP, None, False),
        ("rsp", OTHER, RSP, False),
        # Another operator does not.
        ("registry-operator", OTHER, RSP, False),
        ("registry-operator", OTHER, None, False),
    ],
)
def test_can_manage(kind: str, org_id: int, rsp_id: int | None, allowed: bool) -> None:
    assert can_manage(kind, org_id, OPERATOR, rsp_id) is allowed


def test_icann_kind_is_the_stored_kind() -> None:
    assert ICANN == "icann"
    # Only the exact kind grants everything; look-alikes do not.
    for kind in ("ICANN", "Icann", " icann", "icann-staff", ""):
        assert can_manage(kind, OTHER, OPERATOR, RSP) is False


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(KINDS),
    st.integers(1, 6),
    st.integers(1, 6),
    st.one_of(st.none(), st.integers(1, 6)),
)
def test_can_manage_matches_the_stated_rule(
    kind: str, org_id: int, operator_id: int, rsp_id: int | None
) -> None:
    expected = kind == "icann" or org_id in (operator_id, rsp_id)
    assert can_manage(kind, org_id, operator_id, rsp_id) is expected


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10**6), st.integers(1, 10**6))
def test_no_rsp_of_record_means_only_operator_and_icann(org_id: int, operator_id: int) -> None:
    assert can_manage("rsp", org_id, operator_id, None) is (org_id == operator_id)
    assert can_manage("icann", org_id, operator_id, None) is True


@pytest.mark.parametrize(
    ("kind", "org_id", "owner", "allowed"),
    [
        # A name no entry names, free: open to anyone.
        ("rsp", OTHER, None, True),
        ("registry-operator", OTHER, None, True),
        # Held: its owner's users and ICANN staff only.
        ("rsp", RSP, RSP, True),
        (ICANN, OTHER, RSP, True),
        ("rsp", OTHER, RSP, False),
        ("registry-operator", OPERATOR, RSP, False),
    ],
)
def test_a_name_no_entry_names_is_first_come(
    kind: str, org_id: int, owner: int | None, allowed: bool
) -> None:
    assert may_publish_at(kind, org_id, (), owner) is allowed


@pytest.mark.parametrize(
    ("kind", "org_id", "owner", "allowed"),
    [
        # The TLD's operator and RSP of record, whoever published first (a squatter's name).
        ("registry-operator", OPERATOR, OTHER, True),
        ("rsp", RSP, OTHER, True),
        ("registry-operator", OPERATOR, None, True),
        # ICANN staff.
        (ICANN, OTHER, OTHER, True),
        # Anyone else, even the first publisher there (the squatter) and on a free name.
        ("rsp", OTHER, OTHER, False),
        ("rsp", OTHER, None, False),
        ("registry-operator", OTHER, None, False),
    ],
)
def test_a_client_name_is_its_tlds_operators_and_rsps(
    kind: str, org_id: int, owner: int | None, allowed: bool
) -> None:
    assert may_publish_at(kind, org_id, {OPERATOR, RSP}, owner) is allowed


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(KINDS),
    st.integers(1, 6),
    st.frozensets(st.integers(1, 6), max_size=4),
    st.one_of(st.none(), st.integers(1, 6)),
)
def test_may_publish_at_matches_the_stated_rule(
    kind: str, org_id: int, vouchers: frozenset[int], owner: int | None
) -> None:
    if kind == "icann":
        expected = True
    elif vouchers:  # named by entries: any operator or RSP of those TLDs
        expected = org_id in vouchers
    else:  # first-come
        expected = owner in (None, org_id)
    assert may_publish_at(kind, org_id, vouchers, owner) is expected
