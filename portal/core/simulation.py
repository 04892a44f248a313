"""What the policy simulator adds to the decision procedure, pure: the endpoint a path names,
and a decision for a client known only by the SHA-256 of its public key.

A key's SHA-256 is what a 3 1 1 record holds, so those records are judged exactly as the mocks
judge them (match iff equal). Every other DANE record (2 x x, 3 0 x, 3 1 0, 3 1 2) needs the
certificate itself; the entries publishing such records are named as not judged, and a refusal
that one of them might have turned round is reported as undetermined rather than as denied.
PKIX records (usage 0, 1) are refused whatever the certificate, so they are judged as the mocks
judge them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import cast

from .decision import (
    Address,
    Decision,
    LookupResult,
    TldPolicy,
    TlsaLookup,
    admits,
    decide_certificate,
)
from .endpoints import ROUTES, MockRoute
from .tlsa import CertFacts, TlsaRecord

# An entry whose records the simulator could not all judge without the certificate.
CERTIFICATE_NEEDED = "certificate-needed"
CERTIFICATE_NEEDED_SENTENCE = (
    "The records at {entry} other than 3 1 1 need the certificate itself; give the certificate "
    "instead of its key's SHA-256 to judge them."
)
UNDETERMINED_SENTENCE = (
    "Cannot tell without the certificate: {entries} could admit the call through records that "
    "only the certificate can be checked against; give the certificate instead of its key's "
    "SHA-256."
)

_SPKI_HEX = re.compile(r"[0-9a-f]{64}")


def parse_spki_sha256(text: str) -> bytes | None:
    """64 hex digits (colons and spaces allowed, as fingerprints are often written) → bytes."""
    cleaned = re.sub(r"[\s:]", "", text).lower()
    return bytes.fromhex(cleaned) if _SPKI_HEX.fullmatch(cleaned) else None


def judged_by_key(record: TlsaRecord) -> bool:
    """Whether the record can be judged from the key's SHA-256 alone."""
    return record.usage in (0, 1) or (
        record.usage,
        record.selector,
        record.matching_type,
    ) == (3, 1, 1)


class _ValidityUnknown:
    """A key's SHA-256 says nothing of a validity period: the leaf is treated as valid (3 1 1
    records ignore validity; the mocks only warn about it)."""

    not_valid_before_utc = datetime.min.replace(tzinfo=UTC)
    not_valid_after_utc = datetime.max.replace(tzinfo=UTC)


class KeyFacts:
    """The leaf as a 3 1 1 record sees it: only the SHA-256 of its SubjectPublicKeyInfo."""

    def __init__(self, spki_sha256: bytes) -> None:
        self.spki_sha256 = spki_sha256
        self.cert = _ValidityUnknown()

    def data(self, selector: int, matching_type: int) -> bytes:
        if (selector, matching_type) != (1, 1):
            raise ValueError("only the SPKI SHA-256 (selector 1, matching type 1) is known")
        return self.spki_sha256

    def matches(self, record: TlsaRecord) -> bool:
        return (record.selector, record.matching_type) == (1, 1) and (
            record.data == self.spki_sha256
        )


@dataclass(frozen=True)
class KeyOnlyDecision:
    decision: Decision  # what the records that could be judged decide
    not_judged: tuple[str, ...]  # entries with records that need the certificate
    undetermined: bool  # refused, but an entry not judged could have admitted the call


def decide_key_only(
    policy: TldPolicy | None,
    role: str,
    spki_sha256: bytes,
    source: Address,
    lookup: TlsaLookup,
    now: datetime,
) -> KeyOnlyDecision:
    """`decide_certificate` for a client known by its key's SHA-256 alone.

    Each entry is judged by the records the key can be checked against; one that publishes
    only other records gets `CERTIFICATE_NEEDED` as its reason instead of "no TLSA records"."""
    not_judged: list[str] = []

    def judgeable(name: str) -> LookupResult:
        found = lookup(name)
        if found.error:
            return found
        kept = tuple(r for r in found.records if judged_by_key(r))
        if len(kept) == len(found.records):
            return found
        not_judged.append(name)
        return LookupResult(kept) if kept else LookupResult(error=CERTIFICATE_NEEDED)

    leaf = cast(CertFacts, KeyFacts(spki_sha256))
    decision = decide_certificate(policy, role, [leaf], source, judgeable, now)
    entries = policy.entries if policy is not None else ()
    # An entry not judged could only have admitted the call if it grants the role and the
    # source address; it was not matched (or the decision would be allowed).
    undetermined = not decision.allowed and any(
        e.domain_name in not_judged and role in e.roles and admits(e.networks, source)
        for e in entries
    )
    return KeyOnlyDecision(decision, tuple(not_judged), undetermined)


# --------------------------------------------------------------------------- endpoints


@cache
def _pattern(rule: str) -> re.Pattern[str]:
    """The rule as a regular expression; its <tld> placeholder is the group `tld`."""
    out = []
    for part in re.split(r"(<[^>]+>)", rule):
        if part == "<tld>":
            out.append("(?P<tld>[^/]+)")
        elif part.startswith("<int:"):
            out.append(r"\d+")
        elif part.startswith("<"):
            out.append("[^/]+")
        else:
            out.append(re.escape(part))
    return re.compile("".join(out))


@dataclass(frozen=True)
class EndpointMatch:
    route: MockRoute
    tld: str | None  # the TLD the path names (None: the path was the rule itself)


def find_endpoint(
    path: str,
    method: str | None = "GET",
    system: str | None = None,
    routes: Sequence[MockRoute] = ROUTES,
) -> EndpointMatch | None:
    """The mock route a path (concrete, or the rule itself) names, for `method` (None: any)."""
    path = path.strip().split("?", 1)[0]
    for route in routes:
        if system is not None and route.system != system:
            continue
        if method is not None and method.upper() not in route.methods:
            continue
        if path == route.rule:
            return EndpointMatch(route, None)
        match = _pattern(route.rule).fullmatch(path)
        if match:
            return EndpointMatch(route, match.groupdict().get("tld"))
    return None
