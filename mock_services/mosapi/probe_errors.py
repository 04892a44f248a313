"""The error codes a failed probe test writes into a measurement's ``result``. Pure.

From the RSM probes' error table (beta6nine9/zabbix_rsm ``src/zabbix_server/poller/
checks_simple_rsm.h``, the ``*_EC_*`` defines). Codes -1 to -199 are the probe's own internal
errors and never make a target Down, so none is drawn here; of the rest, each tuple keeps the
codes that say the tested server failed (a resolver on the probe's side failing is not drawn).
DNS over TCP repeats the UDP meanings 400 lower, but for no reply (UDP -200), which over TCP is
a timeout (-600) or a refused connection (-601).
"""

from __future__ import annotations

DNS_UDP: tuple[int, ...] = (
    -200,  # no reply from name server
    -207,  # expecting DNS CLASS IN but got CHAOS
    -210,  # header section incomplete
    -215,  # malformed DNS response
    -250,  # non-existent domain: AA flag not present in response
    -251,  # non-existent domain: queried name not in the question section
    -254,  # expecting NXDOMAIN RCODE but got SERVFAIL
    -256,  # expecting NXDOMAIN RCODE but got REFUSED
    -270,  # expecting NXDOMAIN RCODE but got something unexpected
)
DNS_TCP: tuple[int, ...] = (
    -600,  # timeout reply from name server
    -601,  # error opening connection to name server
    *(code - 400 for code in DNS_UDP if code != -200),  # the rest: UDP's meanings, 400 lower
)
DNSSEC_UDP: tuple[int, ...] = (
    -401,  # DNSSEC-enabled TLD, but no DNSKEY in the apex
    -405,  # unknown cryptographic algorithm
    -406,  # cryptographic algorithm not implemented
    -407,  # no RRSIGs in any section
    -408,  # no NSEC/NSEC3 RRs in the authority section
    -410,  # the signature does not cover this RRset
    -414,  # RRSIG not signed by a DNSKEY of the TLD's KEYSET
    -415,  # bogus DNSSEC signature
    -416,  # DNSSEC signature has expired
    -417,  # DNSSEC signature not incepted yet
    -418,  # expiration date earlier than inception date
    -419,  # error in NSEC3 denial of existence proof
    -422,  # RR not covered by the given NSEC RRs
    -423,  # wildcard not covered by the given NSEC RRs
    -425,  # the RRSIG has too few RDATA fields
    -427,  # malformed DNSSEC response
)
DNSSEC_TCP: tuple[int, ...] = tuple(code - 400 for code in DNSSEC_UDP)  # -801 .. -827
RDDS43: tuple[int, ...] = (
    -201,  # Whois server returned no NS
    -225,  # NXDOMAIN when resolving the server's host name
    -227,  # timeout
    -228,  # error opening connection to server
    -229,  # empty response
)
RDDS80: tuple[int, ...] = (
    -253,  # NXDOMAIN when resolving the server's host name
    -255,  # timeout
    -256,  # error opening connection to server
    -257,  # error in HTTP protocol
    -258,  # error in HTTPS protocol
    -259,  # maximum HTTP redirects
)
RDAP: tuple[int, ...] = (
    -403,  # NXDOMAIN when resolving the server's host name
    -405,  # timeout
    -406,  # error opening connection to server
    -407,  # invalid JSON format in response
    -408,  # ldhName member not found in response
    -409,  # ldhName member doesn't match query in response
    -413,  # error in HTTP protocol
    -414,  # error in HTTPS protocol
    -415,  # maximum HTTP redirects
)
EPP: tuple[int, ...] = (
    -201,  # cannot connect to EPP server
    -202,  # invalid certificate or private key
    -203,  # first message timeout
    -204,  # first message is invalid
    -205,  # LOGIN command timeout
    -206,  # invalid reply to LOGIN command
    -207,  # UPDATE command timeout
    -208,  # invalid reply to UPDATE command
    -209,  # INFO command timeout
    -210,  # invalid reply to INFO command
    -211,  # server certificate validation failed
)

_BY_INTERFACE: dict[tuple[str, str], tuple[int, ...]] = {
    ("DNS", "udp"): DNS_UDP,
    ("DNS", "tcp"): DNS_TCP,
    ("DNSSEC", "udp"): DNSSEC_UDP,
    ("DNSSEC", "tcp"): DNSSEC_TCP,
    ("RDDS43", "tcp"): RDDS43,
    ("RDDS80", "tcp"): RDDS80,
    ("RDAP", "tcp"): RDAP,
    ("EPP", "tcp"): EPP,
}


def failure_codes(interface: str, transport: str) -> tuple[int, ...]:
    """The codes a failed test of ``interface`` over ``transport`` (udp, tcp) may report."""
    return _BY_INTERFACE[(interface, transport)]
