"""The credential path alone (`decide_basic`): every refusal and the acceptance, asserting the
whole Decision — allowed (a bool, not only falsy), the path, the reasons, whether the client
is known and which account matched — and `entry_for` when nothing gave a reason."""

from __future__ import annotations

import ipaddress

import pytest

from portal.core.decision import AccountPolicy, Decision, TldPolicy, decide_basic

RY = AccountPolicy("alpha_ry", "ry", "hash-ry")
DEA = AccountPolicy("alpha_dea", "dea", "hash-dea")
POLICY = TldPolicy.build("alpha", 3, [], ["192.0.2.0/24", "2001:db8::/48"], [RY, DEA])
INSIDE, INSIDE_V6 = ipaddress.ip_address("192.0.2.9"), ipaddress.ip_address("2001:db8::5")
OUTSIDE = ipaddress.ip_address("198.51.100.1")


def verify(stored: str, given: str) -> bool:
    return stored == f"hash-{given}"


def fields(d: Decision) -> tuple:
    return (d.allowed, d.auth_path, d.reasons, d.known_client, d.matched_entry, d.warnings)


@pytest.mark.parametrize(
    ("policy", "user", "password", "kinds", "source", "expected"),
    [
        (None, "alpha_ry", "ry", {"ry"}, INSIDE, (False, "basic", ["unknown-user"], False)),
        (POLICY, "beta_ry", "ry", {"ry"}, INSIDE, (False, "basic", ["unknown-user"], False)),
        (POLICY, "alpha_ry", "dea", {"ry"}, INSIDE, (False, "basic", ["bad-password"], False)),
        (
            POLICY,
            "alpha_dea",
            "dea",
            {"ry"},
            INSIDE,
            (False, "basic", ["account-not-allowed-here"], True),
        ),
        (
            POLICY,
            "alpha_ry",
            "ry",
            {"ry"},
            OUTSIDE,
            (False, "basic", ["source-not-in-basic-acl"], True),
        ),
    ],
    ids=["no-policy", "unknown-user", "bad-password", "account-not-allowed", "outside-acl"],
)
def test_each_refusal_is_exactly_what_it_says(policy, user, password, kinds, source, expected):
    decision = decide_basic(policy, frozenset(kinds), user, password, source, verify)
    assert fields(decision) == (*expected, None, [])
    assert decision.allowed is False
    assert decision.deciding_reason == expected[2][0]


@pytest.mark.parametrize("source", [INSIDE, INSIDE_V6], ids=["v4-first-prefix", "v6-second"])
def test_the_right_account_from_inside_is_a_known_client(source):
    decision = decide_basic(POLICY, frozenset({"ry", "dea"}), "alpha_dea", "dea", source, verify)
    assert fields(decision) == (True, "basic", [], True, "alpha_dea", [])
    assert decision.allowed is True and decision.deciding_reason is None


def test_an_empty_basic_acl_admits_nobody():
    policy = TldPolicy.build("alpha", 1, [], [], [RY])
    decision = decide_basic(policy, frozenset({"ry"}), "alpha_ry", "ry", INSIDE, verify)
    assert fields(decision) == (False, "basic", ["source-not-in-basic-acl"], True, None, [])


def test_entry_for_a_reason_nobody_gave_is_none():
    refused = decide_basic(POLICY, frozenset({"ry"}), "nobody", "x", INSIDE, verify)
    assert refused.entry_for("unknown-user") is None
    accepted = decide_basic(POLICY, frozenset({"ry"}), "alpha_ry", "ry", INSIDE, verify)
    assert accepted.entry_for("anything") == "alpha_ry"
