"""The harness's probe nodes: one table behind the probe-node list (both mocks)."""

from __future__ import annotations

import ipaddress

from mock_services.probe_nodes import PROBE_CITIES, PROBE_NODES, probe_node_list


def test_the_list_answer_is_the_table() -> None:
    body = probe_node_list("alpha")
    assert body["version"] == 2 and body["lastUpdateApiDatabase"] == 0 and body["tld"] == "alpha"
    assert body["probeNodes"] == [
        {
            "name": n.name,
            "city": n.city,
            "country": n.country,
            "ipv4": n.ipv4,
            "ipv6": n.ipv6,
        }
        for n in PROBE_NODES
    ]
    assert body["probeNodes"][0] == {
        "name": "probe-nl-01",
        "city": "Amsterdam",
        "country": "NL",
        "ipv4": "198.51.100.186",
        "ipv6": "2001:db8::ba6b:c811",
    }


def test_nodes_are_distinct_with_documentation_addresses() -> None:
    assert len(PROBE_NODES) == 8
    assert len({n.name for n in PROBE_NODES}) == len(PROBE_CITIES) == len(set(PROBE_CITIES))
    for n in PROBE_NODES:
        assert n.name == f"probe-{n.country.lower()}-{PROBE_NODES.index(n) + 1:02d}"
        assert ipaddress.ip_address(n.ipv4) in ipaddress.ip_network("198.51.100.0/24")
        assert ipaddress.ip_address(n.ipv6) in ipaddress.ip_network("2001:db8::/32")
