"""A tiny DNS server for tests: answers TLSA questions from a dict, on a loopback UDP socket.

It stands in for a validating resolver: it answers with RA set and, per name or globally, with
or without the AD bit. Names not in the zone get NXDOMAIN; names in the zone with no records get
NODATA; both carry an SOA in the authority section so negative TTLs can be tested. A name can
also be told to answer with another rcode (e.g. SERVFAIL). Every query received is counted.

    with DnsResponder({"client.example": (["3 1 1 ab..."], 300)}) as dns:
        DnsTlsaSource("127.0.0.1", dns.port)
"""

from __future__ import annotations

import socket
import threading
from collections import Counter
from typing import Any

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

Zone = dict[str, tuple[list[str], int]]

SOA_TEXT = "ns.test. hostmaster.test. 1 3600 600 86400 {minimum}"


def _key(name: str | dns.name.Name) -> str:
    return str(name).rstrip(".").lower()


class DnsResponder:
    def __init__(
        self,
        zone: Zone | None = None,
        *,
        ad: bool = True,
        negative_ttl: int = 60,
        host: str = "127.0.0.1",
    ) -> None:
        self.zone: Zone = {_key(k): v for k, v in (zone or {}).items()}
        self.ad = ad  # the global default
        self.ad_names: dict[str, bool] = {}  # per-name override
        self.rcodes: dict[str, int] = {}  # per-name rcode override, e.g. dns.rcode.SERVFAIL
        self.negative_ttl = negative_ttl
        self.queries: Counter[str] = Counter()  # name → queries received
        self.last_query: dns.message.Message | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((host, 0))
        self._sock.settimeout(0.05)
        self.host, self.port = self._sock.getsockname()[:2]
        self._thread = threading.Thread(target=self._serve, name="dns-responder", daemon=True)

    # ------------------------------------------------------------------ control

    def start(self) -> DnsResponder:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._sock.close()

    def __enter__(self) -> DnsResponder:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def setting(self) -> str:
        return f"{self.host}:{self.port}"

    def set(self, name: str, records: list[str], ttl: int = 300) -> None:
        with self._lock:
            self.zone[_key(name)] = (records, ttl)

    def set_ad(self, name: str, ad: bool) -> None:
        with self._lock:
            self.ad_names[_key(name)] = ad

    def count(self, name: str | None = None) -> int:
        with self._lock:
            return self.queries[_key(name)] if name is not None else sum(self.queries.values())

    # ------------------------------------------------------------------ serving

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                wire, peer = self._sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            reply = self._answer(wire)
            if reply is not None:
                try:
                    self._sock.sendto(reply, peer)
                except OSError:
                    return

    def _answer(self, wire: bytes) -> bytes | None:
        try:
            query = dns.message.from_wire(wire)
        except Exception:  # garbage in, nothing out
            return None
        response = dns.message.make_response(query)
        response.flags |= dns.flags.RA
        if len(query.question) != 1:
            response.set_rcode(dns.rcode.FORMERR)
            return response.to_wire()
        question = query.question[0]
        key = _key(question.name)
        with self._lock:
            self.queries[key] += 1
            self.last_query = query
            entry = self.zone.get(key)
            ad = self.ad_names.get(key, self.ad)
            rcode = self.rcodes.get(key)
        if rcode is not None:
            response.set_rcode(rcode)
            return response.to_wire()
        if ad:
            response.flags |= dns.flags.AD
        if entry is not None and entry[0] and question.rdtype == dns.rdatatype.TLSA:
            records, ttl = entry
            response.answer.append(
                dns.rrset.from_text_list(
                    question.name, ttl, dns.rdataclass.IN, dns.rdatatype.TLSA, records
                )
            )
        else:
            if entry is None:
                response.set_rcode(dns.rcode.NXDOMAIN)
            soa = SOA_TEXT.format(minimum=self.negative_ttl)
            response.authority.append(
                dns.rrset.from_text(
                    dns.name.root, self.negative_ttl, dns.rdataclass.IN, dns.rdatatype.SOA, soa
                )
            )
        return response.to_wire(max_size=65535)


def closed_udp_port(host: str = "127.0.0.1") -> int:
    """A loopback UDP port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]
