"""The SLAM probe nodes (harness-defined): the one table behind both mocks' probe-node list and
the probes of the mock MoSAPI's measurements. Pure.

The real list was not available to us; these nodes are fictitious, with documentation-range
addresses (198.51.100.0/24, 2001:db8::/32).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class ProbeNode:
    name: str
    city: str
    country: str  # ISO 3166-1 alpha-2
    ipv4: str
    ipv6: str


PROBE_NODES: tuple[ProbeNode, ...] = (
    ProbeNode("probe-nl-01", "Amsterdam", "NL", "198.51.100.186", "2001:db8::ba6b:c811"),
    ProbeNode("probe-us-02", "Ashburn", "US", "198.51.100.82", "2001:db8::52aa:ae2e"),
    ProbeNode("probe-de-03", "Frankfurt", "DE", "198.51.100.238", "2001:db8::ee42:d7c"),
    ProbeNode("probe-za-04", "Johannesburg", "ZA", "198.51.100.117", "2001:db8::7578:613"),
    ProbeNode("probe-uy-05", "Montevideo", "UY", "198.51.100.144", "2001:db8::90a4:ba34"),
    ProbeNode("probe-sg-06", "Singapore", "SG", "198.51.100.219", "2001:db8::dba2:9b9"),
    ProbeNode("probe-au-07", "Sydney", "AU", "198.51.100.235", "2001:db8::eb3e:395f"),
    ProbeNode("probe-jp-08", "Tokyo", "JP", "198.51.100.8", "2001:db8::846:93a2"),
)
PROBE_CITIES: tuple[str, ...] = tuple(node.city for node in PROBE_NODES)


def probe_node_list(tld: str) -> dict[str, Any]:
    """The probe-node-list answer: ``{version, lastUpdateApiDatabase, tld, probeNodes}``."""
    nodes = [asdict(node) for node in PROBE_NODES]
    return {"version": 2, "lastUpdateApiDatabase": 0, "tld": tld, "probeNodes": nodes}
