"""The `dns` TLSA source: live TLSA lookups through a validating resolver.

`TLSAUTH_DNS_RESOLVER` names one resolver as `host[:port]` (an IP address, IPv6 in brackets:
`127.0.0.1:53`, `[::1]:5353`; port 53 by default). The resolver must validate DNSSEC itself: each
query asks for recursion (RD), sets AD ("tell me whether you validated", RFC 6840 §5.7) and sends
EDNS0 with DO, and the harness trusts the AD bit of the answer. The TLSA owner name is the
configured domain name itself (no `_port._tcp` prefix), as ICANN documents it.

What an answer becomes (`LookupResult`), and how long it is cached:

* NOERROR with TLSA records and AD set → the records; cached for the RRset TTL (the smallest TTL
  along a CNAME chain), at most `max_positive_ttl` (3600 s).
* NOERROR with TLSA records but no AD → error `dnssec-not-validated`: the zone is unsigned, or the
  resolver does not validate. Cached for `error_ttl` (5 s), so a fixed zone is seen quickly.
* NXDOMAIN, or NOERROR without TLSA data (NODATA) → no records and no error, with or without AD;
  the decision then says `no-tlsa-at-name`. A negative answer can only deny, so accepting it
  unvalidated cannot let anyone in, and "there is no record" is the more useful thing to tell a
  tester than "not validated". Cached for the negative TTL (min of the SOA TTL and SOA minimum,
  RFC 2308; 300 s without an SOA), at most `max_negative_ttl` (300 s).
* SERVFAIL (what a validating resolver answers for bogus data), REFUSED, any other rcode, a
  timeout or a network error → error `dns-error`; cached for `error_ttl` (5 s) so a dead resolver
  does not cost every request the full lifetime. A lookup takes at most about `lifetime` (3 s;
  dnspython may overshoot it by one retry back-off), each try at most `timeout` (2 s).

The cache is keyed by the lower-cased name without its trailing dot, is thread-safe, is bounded,
and runs on an injectable monotonic clock. Concurrent misses on one name wait for one query.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rdatatype
import dns.resolver

from portal.core.decision import LookupResult
from portal.core.tlsa import TlsaRecord

log = logging.getLogger(__name__)

NOT_VALIDATED = "dnssec-not-validated"
DNS_ERROR = "dns-error"

_BRACKETED = re.compile(r"\[([^\]]+)\](?::([^:]*))?")
_LOCK_STRIPES = 64
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_resolver_setting(setting: str) -> tuple[str, int]:
    """`host[:port]` → (IP address text, port). Raises ValueError with a readable message."""

    def bad(why: str) -> ValueError:
        return ValueError(
            "TLSAUTH_DNS_RESOLVER must be host[:port] with an IP address as host "
            f"(e.g. 127.0.0.1:53 or [::1]:5353), not {setting!r}: {why}"
        )

    text = (setting or "").strip()
    if not text:
        raise bad("it is empty")
    port_text: str | None
    if text.startswith("["):
        match = _BRACKETED.fullmatch(text)
        if not match:
            raise bad("an IPv6 address goes in brackets, optionally followed by :port")
        host, port_text = match.group(1), match.group(2)
        if not isinstance(_ip(host, bad), ipaddress.IPv6Address):
            raise bad("only an IPv6 address goes in brackets")
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:  # an IPv4 address or a name, or a bare IPv6 address (no port)
        host, port_text = text, None
    _ip(host, bad)
    if port_text is None:
        return host, 53
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise bad(f"port {port_text!r} is not a number from 1 to 65535")
    return host, int(port_text)


def _ip(
    host: str, bad: Callable[[str], ValueError]
) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        raise bad(
            f"{host!r} is not an IP address (the resolver is not looked up by name)"
        ) from None


@dataclass(frozen=True)
class _Cached:
    result: LookupResult
    expires: float


@dataclass(frozen=True)
class DnsCheck:
    records: tuple[TlsaRecord, ...]
    validated: bool
    problem: str | None


def _records(rrset: Any) -> tuple[TlsaRecord, ...]:
    return tuple(TlsaRecord(rd.usage, rd.selector, rd.mtype, bytes(rd.cert)) for rd in rrset)


class DnsTlsaSource:
    """`lookup(name) -> LookupResult` from a validating resolver, cached by TTL."""

    def __init__(
        self,
        host: str,
        port: int = 53,
        *,
        timeout: float = 2.0,
        lifetime: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
        max_positive_ttl: int = 3600,
        max_negative_ttl: int = 300,
        error_ttl: float = 5.0,
        max_entries: int = 10_000,
    ) -> None:
        self.host, self.port = host, port
        self.clock = clock
        self.max_positive_ttl = max_positive_ttl
        self.max_negative_ttl = max_negative_ttl
        self.error_ttl = error_ttl
        self.max_entries = max_entries
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [host]
        resolver.port = port
        resolver.timeout = timeout
        resolver.lifetime = lifetime
        resolver.flags = dns.flags.RD | dns.flags.AD
        resolver.use_edns(0, dns.flags.DO, 1232)
        resolver.cache = None  # our own cache below, on our clock
        self.resolver = resolver
        self._cache: dict[str, _Cached] = {}
        self._lock = threading.Lock()
        self._stripes = [threading.Lock() for _ in range(_LOCK_STRIPES)]

    @classmethod
    def from_setting(cls, setting: str, **options: object) -> DnsTlsaSource:
        host, port = parse_resolver_setting(setting)
        return cls(host, port, **options)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"DnsTlsaSource({self.host!r}, {self.port})"

    # ------------------------------------------------------------------ cache

    def _get(self, key: str) -> LookupResult | None:
        with self._lock:
            hit = self._cache.get(key)
            if hit is None:
                return None
            if hit.expires <= self.clock():
                del self._cache[key]
                return None
            return hit.result

    def _put(self, key: str, result: LookupResult, ttl: float) -> None:
        if ttl <= 0:
            return
        now = self.clock()
        with self._lock:
            if len(self._cache) >= self.max_entries:
                for k in [k for k, v in self._cache.items() if v.expires <= now]:
                    del self._cache[k]
                while len(self._cache) >= self.max_entries:  # still full: drop the oldest
                    del self._cache[next(iter(self._cache))]
            self._cache[key] = _Cached(result, now + ttl)

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()

    # ------------------------------------------------------------------ lookup

    def lookup(self, name: str) -> LookupResult:
        key = name.strip().rstrip(".").lower()
        hit = self._get(key)
        if hit is not None:
            return hit
        with self._stripes[hash(key) % _LOCK_STRIPES]:
            hit = self._get(key)  # another thread may have just asked
            if hit is not None:
                return hit
            result, ttl = self._query(key)
            self._put(key, result, ttl)
            return result

    def _query(self, key: str) -> tuple[LookupResult, float]:
        try:
            qname = dns.name.from_text(key or ".")
            answer = self.resolver.resolve(
                qname, dns.rdatatype.TLSA, search=False, raise_on_no_answer=False
            )
        except dns.resolver.NXDOMAIN as exc:
            return LookupResult(), self._negative_ttl(exc.responses().values())
        except (dns.exception.DNSException, OSError) as exc:
            log.warning("TLSA lookup of %s via %s:%s failed: %s", key, self.host, self.port, exc)
            return LookupResult(error=DNS_ERROR), self.error_ttl
        if answer.rrset is None:  # NODATA
            return LookupResult(), self._negative_ttl([answer.response])
        if not answer.response.flags & dns.flags.AD:
            return LookupResult(error=NOT_VALIDATED), self.error_ttl
        ttl = min(answer.chaining_result.minimum_ttl, self.max_positive_ttl)
        return LookupResult(_records(answer.rrset)), ttl

    def check(self, name: str) -> DnsCheck:
        """One uncached query for a person ("Check DNS"): the records even when the answer is
        not validated, and whether it was."""
        key = name.strip().rstrip(".").lower()
        try:
            answer = self.resolver.resolve(
                dns.name.from_text(key or "."),
                dns.rdatatype.TLSA,
                search=False,
                raise_on_no_answer=False,
            )
        except dns.resolver.NXDOMAIN as exc:
            validated = any(r.flags & dns.flags.AD for r in exc.responses().values())
            return DnsCheck((), validated, "NXDOMAIN: the name does not exist")
        except (dns.exception.DNSException, OSError) as exc:
            return DnsCheck(
                (), False, f"the resolver {self.host}:{self.port} did not answer: {exc}"
            )
        validated = bool(answer.response.flags & dns.flags.AD)
        if answer.rrset is None:
            return DnsCheck((), validated, "the name exists but holds no TLSA record")
        return DnsCheck(_records(answer.rrset), validated, None)

    def _negative_ttl(self, responses: Iterable[Any]) -> float:
        ttls = []
        for response in responses:
            try:
                ttls.append(response.resolve_chaining().minimum_ttl)
            except dns.exception.DNSException:
                continue
        ttl = min(ttls) if ttls else dns.message.NEGATIVE_TTL_WITHOUT_SOA
        return min(ttl, self.max_negative_ttl)
