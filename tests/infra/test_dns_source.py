"""The `dns` TLSA source: against a loopback DNS responder, then end to end through the mocks."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import dns.flags
import dns.rcode
import pytest

from infra.dns_source import DnsTlsaSource, parse_resolver_setting
from portal.core.decision import LookupResult
from portal.core.tlsa import TlsaRecord
from portal.core.validation import Entry
from tests.dns_responder import DnsResponder, closed_udp_port
from tests.helpers import client_cert, last_decision, set_entries

NAME = "client.alpha-rsp.example"
HEX = "ab" * 32
RDATA = f"3 1 1 {HEX}"
RECORD = TlsaRecord(3, 1, 1, bytes.fromhex(HEX))


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def responder() -> Iterator[DnsResponder]:
    server = DnsResponder({NAME: ([RDATA], 60)}).start()
    yield server
    server.stop()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def source(responder, clock) -> DnsTlsaSource:
    return DnsTlsaSource.from_setting(responder.setting, clock=clock)


# ---------------------------------------------------------------------- the setting


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("127.0.0.1", ("127.0.0.1", 53)),
        ("127.0.0.1:5353", ("127.0.0.1", 5353)),
        (" 192.0.2.1:53 ", ("192.0.2.1", 53)),
        ("[::1]:5353", ("::1", 5353)),
        ("[::1]", ("::1", 53)),
        ("::1", ("::1", 53)),
        ("2001:db8::53", ("2001:db8::53", 53)),
    ],
)
def test_resolver_setting_is_parsed(setting, expected):
    assert parse_resolver_setting(setting) == expected


@pytest.mark.parametrize(
    "setting",
    [
        "",
        "resolver.example",
        "resolver.example:53",
        "127.0.0.1:0",
        "127.0.0.1:65536",
        "127.0.0.1:dns",
        "127.0.0.1:",
        "[127.0.0.1]:53",
        "[::1",
        "[::1]:",
        "[::1]5353",
        "::1:5353x",
    ],
)
def test_bad_resolver_setting_is_refused_clearly(setting):
    with pytest.raises(ValueError, match="TLSAUTH_DNS_RESOLVER must be host\\[:port\\]"):
        DnsTlsaSource.from_setting(setting)


def test_defaults_and_query_flags(source, responder):
    assert source.resolver.timeout == 2.0 and source.resolver.lifetime == 3.0
    assert source.lookup(NAME) == LookupResult((RECORD,))
    query = responder.last_query
    assert query is not None
    assert query.flags & dns.flags.RD and query.flags & dns.flags.AD
    assert query.edns == 0 and query.ednsflags & dns.flags.DO


# ---------------------------------------------------------------------- answers


def test_validated_answer_gives_the_records(source, responder):
    responder.set(NAME, [RDATA, "2 0 1 " + "cd" * 32], 300)
    found = source.lookup(NAME)
    assert found.error is None
    assert set(found.records) == {RECORD, TlsaRecord(2, 0, 1, bytes.fromhex("cd" * 32))}


def test_answer_without_ad_is_not_accepted(source, responder):
    responder.ad = False
    assert source.lookup(NAME) == LookupResult(error="dnssec-not-validated")


def test_ad_is_judged_per_answer(source, responder):
    responder.set("other.example", [RDATA])
    responder.set_ad("other.example", False)
    assert source.lookup(NAME).records == (RECORD,)
    assert source.lookup("other.example").error == "dnssec-not-validated"


@pytest.mark.parametrize("ad", [True, False])
def test_missing_name_and_nodata_give_no_records_and_no_error(source, responder, ad):
    responder.ad = ad
    responder.set("empty.example", [])
    assert source.lookup("missing.example") == LookupResult()  # NXDOMAIN
    assert source.lookup("empty.example") == LookupResult()  # NODATA


@pytest.mark.parametrize("rcode", [dns.rcode.SERVFAIL, dns.rcode.REFUSED])
def test_servfail_and_refused_are_dns_errors(source, responder, rcode):
    responder.rcodes[NAME] = rcode
    assert source.lookup(NAME) == LookupResult(error="dns-error")


def test_resolver_down_is_a_dns_error_within_the_lifetime(clock):
    source = DnsTlsaSource("127.0.0.1", closed_udp_port(), timeout=0.3, lifetime=0.6, clock=clock)
    started = time.monotonic()
    assert source.lookup(NAME) == LookupResult(error="dns-error")
    assert time.monotonic() - started < 0.6 + 1.0


def test_names_are_compared_without_case_or_trailing_dot(source, responder):
    assert source.lookup("Client.ALPHA-rsp.example.").records == (RECORD,)
    assert source.lookup(NAME).records == (RECORD,)
    assert responder.count() == 1


# ---------------------------------------------------------------------- the cache


def test_positive_answer_is_cached_for_its_ttl(source, responder, clock):
    assert source.lookup(NAME).records == (RECORD,)
    assert source.lookup(NAME).records == (RECORD,)
    assert responder.count(NAME) == 1
    clock.advance(59)
    source.lookup(NAME)
    assert responder.count(NAME) == 1
    clock.advance(2)
    responder.set(NAME, [])  # the record was withdrawn
    assert source.lookup(NAME) == LookupResult()
    assert responder.count(NAME) == 2


def test_positive_ttl_is_capped(source, responder, clock):
    responder.set(NAME, [RDATA], 86400)
    source.lookup(NAME)
    clock.advance(3599)
    source.lookup(NAME)
    assert responder.count(NAME) == 1
    clock.advance(2)
    source.lookup(NAME)
    assert responder.count(NAME) == 2


def test_negative_answer_is_cached_for_the_negative_ttl(source, responder, clock):
    responder.negative_ttl = 30
    assert source.lookup("missing.example") == LookupResult()
    clock.advance(29)
    source.lookup("missing.example")
    assert responder.count("missing.example") == 1
    clock.advance(2)
    responder.set("missing.example", [RDATA])
    assert source.lookup("missing.example").records == (RECORD,)
    assert responder.count("missing.example") == 2


def test_negative_ttl_is_capped_at_five_minutes(source, responder, clock):
    responder.negative_ttl = 86400
    source.lookup("missing.example")
    clock.advance(299)
    source.lookup("missing.example")
    assert responder.count("missing.example") == 1
    clock.advance(2)
    source.lookup("missing.example")
    assert responder.count("missing.example") == 2


def test_errors_are_cached_only_briefly(source, responder, clock):
    responder.rcodes[NAME] = dns.rcode.SERVFAIL
    assert source.lookup(NAME).error == "dns-error"
    clock.advance(4)
    assert source.lookup(NAME).error == "dns-error"
    assert responder.count(NAME) == 1
    clock.advance(2)
    del responder.rcodes[NAME]
    assert source.lookup(NAME).records == (RECORD,)
    assert responder.count(NAME) == 2


def test_unvalidated_answer_is_cached_only_briefly(source, responder, clock):
    responder.ad = False
    assert source.lookup(NAME).error == "dnssec-not-validated"
    clock.advance(6)
    responder.ad = True  # the zone got signed
    assert source.lookup(NAME).records == (RECORD,)
    assert responder.count(NAME) == 2


def test_concurrent_misses_ask_once(source, responder):
    results: list[LookupResult] = []
    barrier = threading.Barrier(8)

    def ask() -> None:
        barrier.wait()
        results.append(source.lookup(NAME))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert results == [LookupResult((RECORD,))] * 8
    assert responder.count(NAME) == 1


def test_responder_stops_cleanly():
    server = DnsResponder().start()
    server.stop()
    assert not server._thread.is_alive()


# ---------------------------------------------------------------------- end to end over mTLS

PROBES = {
    "mosapi": ("GET", "/ry/alpha/v2/monitoring/state", 200),
    "rri": ("GET", "/info/report/registry-functions-activity/alpha/2026-01", 404),
}


@pytest.fixture(params=["mosapi", "rri"])
def system(request):
    return request.param


@pytest.fixture
def live(app, world, tmp_path):
    """alpha has one entry NAME (both probe roles, 127.0.0.1/32); DNS serves the client's key."""
    cred = client_cert(tmp_path, NAME)
    set_entries(app, [Entry(NAME, ("mosapi-slam", "rri-monthly-reports"), ("127.0.0.1/32",))])
    server = DnsResponder({NAME: ([f"3 1 1 {cred.spki_sha256()}"], 300)}).start()
    yield cred, server
    server.stop()


def _probe(start_mock, system, dns_server, cred):
    mock = start_mock(system, TLSA_SOURCE="dns", DNS_RESOLVER=f"127.0.0.1:{dns_server.port}")
    method, path, _ = PROBES[system]
    return mock.request(method, path, cred=cred)


def test_validated_dns_record_admits_the_client(app, start_mock, live, system):
    cred, dns_server = live
    answer = _probe(start_mock, system, dns_server, cred)
    assert answer.status == PROBES[system][2], answer.text
    row = last_decision(app)
    assert row.result == "allowed" and row.auth_path == "tls-client-auth"
    assert row.matched_entry == NAME
    assert dns_server.count(NAME) == 1


def test_unvalidated_dns_record_is_refused(app, start_mock, live, system):
    cred, dns_server = live
    dns_server.ad = False
    answer = _probe(start_mock, system, dns_server, cred)
    assert answer.status == 401, answer.text
    row = last_decision(app)
    assert row.result == "denied" and "dnssec-not-validated" in row.reasons
    assert answer.decision.endswith("; dnssec-not-validated")


def test_no_record_in_dns_is_no_tlsa_at_name(app, start_mock, live):
    cred, dns_server = live
    dns_server.set(NAME, [])
    answer = _probe(start_mock, "mosapi", dns_server, cred)
    assert answer.status == 401
    assert "no-tlsa-at-name" in last_decision(app).reasons
