"""The policy simulator: the decision a mock would make for a call, made without the call.

The same decision procedure the mocks run (portal/core/decision.py) over the same policy and
TLSA records (portal/services/policy.py builds both for the mocks' cache too), from what a
tester knows: the TLD, the endpoint (or only the role it needs), the source address, and the
client's certificate chain or only the SHA-256 of its public key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ..core import certificates as cw
from ..core.decision import (
    Address,
    Decision,
    TldPolicy,
    TlsaLookup,
    admits,
    decide_certificate,
    parse_address,
)
from ..core.endpoints import example_path, role_probe
from ..core.reasons import CallFacts, explain, sentence
from ..core.roles import ROLES_BY_ID, sort_roles
from ..core.simulation import (
    CERTIFICATE_NEEDED,
    CERTIFICATE_NEEDED_SENTENCE,
    UNDETERMINED_SENTENCE,
    decide_key_only,
    find_endpoint,
    parse_spki_sha256,
)
from ..core.tlsa import CertFacts
from ..core.validation import Finding
from ..models import Tld
from .errors import Invalid
from .policy import policy_of, zone_lookup, zone_records

SYSTEMS = ("mosapi", "rri")
METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE")
# What the simulator answers: the mocks' two results, and one for a key's SHA-256 that cannot
# settle the question.
VERDICTS = ("allowed", "denied", "undetermined")
MAX_PATH = 300


@dataclass(frozen=True)
class Sources:
    """Where TLSA records and trust anchors come from, as the mocks have it configured."""

    tlsa_source: str  # harness | dns
    dns_resolver: str
    certs_dir: str | Path

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Sources:
        return cls(config["TLSA_SOURCE"], config["DNS_RESOLVER"], config["CERTS_DIR"])


@dataclass(frozen=True)
class Explained:
    code: str
    sentence: str


@dataclass(frozen=True)
class EntryVerdict:
    """How one entry judged the call (or that the decision never reached it)."""

    domain_name: str
    roles: list[str]
    ip_acl: list[str]
    reached: bool  # False: an earlier entry already admitted the call
    matched: bool  # the certificate matched the entry's TLSA records
    grants_role: bool
    admits_source: bool
    judged: bool  # False: some of its records need the certificate, given only a key's hash
    reasons: list[Explained] = field(default_factory=list)


@dataclass(frozen=True)
class Simulation:
    tld: str
    system: str | None
    method: str | None
    path: str | None
    role: str
    role_label: str
    source_address: str
    spki_sha256: str
    key_only: bool  # judged from the key's SHA-256, without the certificate
    tlsa_source: str
    result: str  # one of VERDICTS
    deciding_reason: str | None
    sentence: str
    reasons: list[Explained]
    warnings: list[Explained]
    matched_entry: str | None
    known_client: bool
    entries: list[EntryVerdict]

    @property
    def allowed(self) -> bool:
        return self.result == "allowed"


@dataclass(frozen=True)
class Target:
    role: str
    system: str | None
    method: str | None
    path: str | None  # a concrete path on the TLD, when known


def _invalid(fld: str, message: str) -> Invalid:
    return Invalid([Finding(fld, message)])


def _text(params: Mapping[str, Any], key: str) -> str:
    value = params.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _invalid(key, f"{key} must be text.")
    return value.strip()


def resolve_target(tld: str, params: Mapping[str, Any]) -> Target:
    """The role a call needs: from its endpoint (`path` on `system`, with `method`), or named
    directly (`role`, optionally on `system`)."""
    system = _text(params, "system") or None
    if system is not None and system not in SYSTEMS:
        raise _invalid("system", f"system must be one of {', '.join(SYSTEMS)}.")
    method = (_text(params, "method") or "GET").upper()
    path = _text(params, "path")
    role = _text(params, "role") or None
    if role is not None and role not in ROLES_BY_ID:
        raise _invalid("role", f"Unknown role {role!r}; valid roles are {', '.join(ROLES_BY_ID)}.")
    if path:
        if len(path) > MAX_PATH:
            raise _invalid("path", f"A path of at most {MAX_PATH} characters.")
        found = find_endpoint(path, method, system)
        if found is None:
            other = find_endpoint(path, None, system)
            if other is not None:
                allowed = ", ".join(other.route.methods)
                raise _invalid("method", f"{path} answers {allowed}, not {method}.")
            where = f"the {system} mock" if system else "either mock"
            raise _invalid(
                "path",
                f"{path} is no endpoint of {where}; the endpoints are listed in "
                "docs/mock-servers.md (e.g. /ry/<tld>/v2/monitoring/state).",
            )
        route = found.route
        if route.role is None:
            raise _invalid(
                "path",
                f"{route.rule} needs no role: it answers every client the same way, or checks "
                "credentials itself (login, logout).",
            )
        if found.tld is not None and found.tld.lower().rstrip(".") != tld:
            raise _invalid(
                "path", f"The path names .{found.tld}, but the TLD asked about is .{tld}."
            )
        if role is not None and role != route.role:
            raise _invalid("role", f"{route.rule} needs the role {route.role}, not {role}.")
        concrete = path if found.tld is not None else example_path(route, tld)
        return Target(route.role, route.system, method, concrete)
    if role is None:
        raise _invalid("path", "Name an endpoint (its path) or the role it needs.")
    if system is not None and system not in ROLES_BY_ID[role].systems:
        raise _invalid("role", f"The {system} mock has no endpoint that needs {role}.")
    probe = role_probe(system, role) if system else None
    return Target(
        role, system, "GET" if probe else None, example_path(probe, tld) if probe else None
    )


def _source(params: Mapping[str, Any]) -> Address:
    text = _text(params, "source_address")
    if not text:
        raise _invalid("source_address", "Give the address the client calls from.")
    addr = parse_address(text)
    if addr is None:
        raise _invalid("source_address", f"{text!r} is not an IPv4 or IPv6 address.")
    return addr


def _client(params: Mapping[str, Any]) -> tuple[list[CertFacts], bytes | None]:
    """The presented chain (leaf first), or only the key's SHA-256."""
    pem = params.get("certificate")
    spki = _text(params, "spki_sha256")
    if isinstance(pem, str):
        pem = pem.encode()
    if pem is not None and not isinstance(pem, bytes):
        raise _invalid("certificate", "certificate must be PEM text.")
    if pem and pem.strip() and spki:
        raise _invalid("spki_sha256", "Give the certificate or its key's SHA-256, not both.")
    if pem and pem.strip():
        try:
            certs = cw.order_chain(cw.load_certificates(pem))
        except cw.WorkbenchError as exc:
            raise Invalid(exc.findings) from exc
        return [CertFacts(c) for c in certs], None
    if spki:
        digest = parse_spki_sha256(spki)
        if digest is None:
            raise _invalid("spki_sha256", "The SHA-256 of the public key is 64 hexadecimal digits.")
        return [], digest
    raise _invalid(
        "certificate",
        "Give the client's certificate (PEM, leaf first) or the SHA-256 of its public key.",
    )


def _lookup(session: Session, policy: TldPolicy, sources: Sources) -> TlsaLookup:
    if sources.tlsa_source == "dns":
        from infra.dns_source import DnsTlsaSource

        try:
            return DnsTlsaSource.from_setting(sources.dns_resolver).lookup
        except ValueError as exc:
            raise _invalid("tlsa_source", str(exc)) from exc
    return zone_lookup(zone_records(session, [e.domain_name for e in policy.entries]))


def _anchors(sources: Sources) -> tuple[Any, ...]:
    from infra.harness_pki import ensure_material

    return (ensure_material(Path(sources.certs_dir)).load_ca(),)


def _about(facts: CallFacts, entry: str | None) -> CallFacts:
    return CallFacts(facts.tld, facts.role, facts.source, entry)


def _explained(codes: list[str], facts: CallFacts, decision: Decision) -> list[Explained]:
    """Each code with its sentence, about the entry that gave it."""
    return [
        Explained(code, _sentence(code, _about(facts, decision.entry_for(code) or facts.entry)))
        for code in codes
    ]


def _sentence(code: str, facts: CallFacts) -> str:
    if code == CERTIFICATE_NEEDED:
        return CERTIFICATE_NEEDED_SENTENCE.format(entry=facts.entry or "the entry's name")
    return sentence(code, facts)


def simulate(
    session: Session,
    tld: Tld,
    params: Mapping[str, Any],
    sources: Sources,
    now: datetime | None = None,
) -> Simulation:
    """What the mocks would decide for the call `params` describes:
    {system?, method?, path? | role, source_address, certificate | spki_sha256}."""
    if not isinstance(params, Mapping):
        raise _invalid("body", "Send an object.")
    target = resolve_target(tld.name, params)
    source = _source(params)
    chain, spki = _client(params)
    now = now or datetime.now(UTC)
    policy = policy_of(session, tld)
    lookup = _lookup(session, policy, sources)
    not_judged: tuple[str, ...] = ()
    undetermined = False
    if spki is not None:
        key_only = decide_key_only(policy, target.role, spki, source, lookup, now)
        decision, not_judged, undetermined = (
            key_only.decision,
            key_only.not_judged,
            key_only.undetermined,
        )
        spki_hex = spki.hex()
    else:
        decision = decide_certificate(
            policy, target.role, chain, source, lookup, now, _anchors(sources)
        )
        spki_hex = cw.spki_sha256(chain[0].cert)
    facts = CallFacts(tld.name, target.role, str(source), decision.matched_entry)
    deciding = decision.deciding_reason
    if decision.allowed:
        result = "allowed"
        text = explain(True, decision.auth_path, [], facts)
    elif undetermined:
        result, deciding = "undetermined", None
        text = UNDETERMINED_SENTENCE.format(entries=", ".join(not_judged))
    else:
        result = "denied"
        text = _sentence(deciding or "", _about(facts, decision.entry_for(deciding or "")))
    return Simulation(
        tld=tld.name,
        system=target.system,
        method=target.method,
        path=target.path,
        role=target.role,
        role_label=ROLES_BY_ID[target.role].label,
        source_address=str(source),
        spki_sha256=spki_hex,
        key_only=spki is not None,
        tlsa_source=sources.tlsa_source,
        result=result,
        deciding_reason=deciding,
        sentence=text,
        reasons=_explained(decision.reasons, facts, decision),
        warnings=_explained(decision.warnings, facts, decision),
        matched_entry=decision.matched_entry,
        known_client=decision.known_client,
        entries=_entries(policy, decision, target.role, source, facts, not_judged),
    )


def _entries(
    policy: TldPolicy,
    decision: Decision,
    role: str,
    source: Address,
    facts: CallFacts,
    not_judged: tuple[str, ...],
) -> list[EntryVerdict]:
    out = []
    checks = {c.domain_name: c for c in decision.checks}
    for entry in policy.entries:
        check = checks.get(entry.domain_name)
        about = _about(facts, entry.domain_name)
        out.append(
            EntryVerdict(
                domain_name=entry.domain_name,
                roles=sort_roles(entry.roles),
                ip_acl=[str(n) for n in entry.networks],
                reached=check is not None,
                matched=bool(check and check.matched),
                grants_role=role in entry.roles,
                admits_source=admits(entry.networks, source),
                judged=entry.domain_name not in not_judged,
                reasons=[
                    Explained(r, _sentence(r, about)) for r in (check.reasons if check else ())
                ],
            )
        )
    return out
