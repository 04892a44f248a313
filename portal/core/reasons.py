"""Why a mock allowed or refused a call: every reason code with a sentence that names the fix.

The one table the portal, the API, the CLI and the mocks' log read. Sentences are templates over
the facts of the call (TLD, role, source address, entry); a fact that is not known reads as a
neutral phrase, so every sentence is whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# Reason codes, in the order a tester should read them: when several entries fail for different
# reasons, the earliest here is the deciding one.
REASONS = (
    "tld-not-configured",
    "no-certificate",
    "no-entry-for-role",
    "no-tlsa-at-name",
    "dnssec-not-validated",
    "dns-error",
    "tlsa-mismatch",
    "san-mismatch",
    "chain-does-not-reach-anchor",
    "certificate-expired",
    "pkix-usage-unsupported",
    "role-not-granted",
    "source-not-in-acl",
    "no-credentials",
    "unknown-user",
    "bad-password",
    "account-not-allowed-here",
    "source-not-in-basic-acl",
    "session-unknown",
    "session-expired",
    "too-many-connections",
    "too-many-login-failures",
)

# Warnings: the call was decided without them, but the real service may see it differently.
WARNINGS = ("certificate-expired", "certificate-not-yet-valid")

_TAB = "the TLS client authentication tab"

SENTENCES: dict[str, str] = {
    "tld-not-configured": (
        ".{tld} has no TLS client authentication entries; add one on " + _TAB + "."
    ),
    "no-certificate": (
        "The client sent no certificate; give it the certificate and key of one of .{tld}'s "
        "entries."
    ),
    "no-entry-for-role": (
        "No entry of .{tld} has the role {role}, which this endpoint needs; add the role to an "
        "entry on " + _TAB + "."
    ),
    "no-tlsa-at-name": (
        "No TLSA records are published at {entry}; publish the certificate's record in the "
        "workbench (harness zone) or in DNS."
    ),
    "dnssec-not-validated": (
        "The TLSA records at {entry} are not DNSSEC-validated; sign the zone, or use the "
        "harness zone."
    ),
    "dns-error": "The TLSA lookup for {entry} failed; check the resolver and the zone.",
    "tlsa-mismatch": (
        "The certificate matches no TLSA record at {entry}; publish a record for this "
        "certificate, or send the certificate the records describe."
    ),
    "san-mismatch": (
        "The certificate comes from the trust anchor a 2 x x record names, but its SAN does "
        "not hold {entry}; issue it for that name."
    ),
    "chain-does-not-reach-anchor": (
        "The certificate was not issued by the trust anchor a 2 x x record at {entry} names; "
        "send the intermediate certificates too, or issue it from that CA."
    ),
    "certificate-expired": (
        "The certificate, or one on its path to the trust anchor, is outside its validity "
        "period; issue a new one."
    ),
    "pkix-usage-unsupported": (
        "The records at {entry} use usage 0 or 1 (PKIX), which the harness cannot check; "
        "publish a 3 1 1 or 2 x x record."
    ),
    "role-not-granted": (
        "{entry} matched the certificate but lacks the role {role}, which this endpoint "
        "needs; add the role to it on " + _TAB + "."
    ),
    "source-not-in-acl": (
        "{source} is not in the prefixes of {entry} for this role; add it on " + _TAB + "."
    ),
    "no-credentials": (
        "No certificate was accepted and no other credentials were sent (HTTP Basic for RRI, "
        "the session cookie of a login for MoSAPI)."
    ),
    "unknown-user": (
        "No account of .{tld} has that user name; the user names are on the Credentials tab."
    ),
    "bad-password": (
        "The password is not the account's; set a new one on the Credentials tab and use it."
    ),
    "account-not-allowed-here": (
        "This account may not call this endpoint (the registry's account and the escrow "
        "agent's have different endpoints)."
    ),
    "source-not-in-basic-acl": (
        "{source} is not in .{tld}'s Basic-auth prefixes; add it on the Credentials tab."
    ),
    "session-unknown": (
        "The session cookie is not a live session of .{tld} (logged out, replaced by a newer "
        "login, or another TLD's); log in again."
    ),
    "session-expired": "The session has expired; log in again.",
    "too-many-connections": (
        "This client certificate holds too many open connections to the MoSAPI mock; close "
        "one and connect again."
    ),
    "too-many-login-failures": (
        "Too many failed logins for .{tld} from {source}; wait a minute and try again."
    ),
    "certificate-not-yet-valid": (
        "The certificate is not valid yet; the real service may refuse it until it is."
    ),
}

ALLOWED = {
    "tls-client-auth": "Allowed: {entry} matched the certificate, has the role {role} and admits "
    "{source}.",
    "basic": "Allowed: the account {entry} may call this endpoint from {source}.",
    "session": "Allowed: the session of {entry} is live and {source} is admitted.",
    "none": "Allowed.",
}

_UNKNOWN = {
    "tld": "this TLD",
    "role": "this endpoint's role",
    "source": "the source address",
    "entry": "the entry's name",
}


@dataclass(frozen=True)
class CallFacts:
    """What is known of a call when its decision is explained."""

    tld: str | None = None
    role: str | None = None
    source: str | None = None
    entry: str | None = None


def sentence(code: str, facts: CallFacts = CallFacts()) -> str:
    template = SENTENCES.get(code)
    if template is None:
        return f"Refused ({code})."
    values = {k: getattr(facts, k) or default for k, default in _UNKNOWN.items()}
    text = template.format(**values)
    # A sentence may open with a fact; only the stand-in for an unknown one is capitalised
    # (a domain name keeps its case).
    if any(text.startswith(default) for default in _UNKNOWN.values()):
        return text[0].upper() + text[1:]
    return text


def allowed_sentence(auth_path: str, facts: CallFacts = CallFacts()) -> str:
    values = {k: getattr(facts, k) or default for k, default in _UNKNOWN.items()}
    return ALLOWED.get(auth_path, ALLOWED["none"]).format(**values)


def ordered(reasons: Iterable[str]) -> list[str]:
    """Reason codes without repeats, in reading order (unknown codes last)."""
    rank = {r: i for i, r in enumerate(REASONS)}
    return sorted(set(reasons), key=lambda r: (rank.get(r, len(REASONS)), r))


def explain(
    allowed: bool,
    auth_path: str,
    reasons: list[str],
    facts: CallFacts = CallFacts(),
) -> str:
    """The one sentence of a decision: what admitted the call, or the deciding reason's fix."""
    if allowed:
        return allowed_sentence(auth_path, facts)
    return sentence(reasons[0] if reasons else "", facts)


@dataclass(frozen=True)
class HeaderVerdict:
    """The mocks' ``X-TLSAuth-Decision`` header, read back: ``<id>; allowed <path> [via <entry>]``
    or ``<id>; <deciding reason>``."""

    decision_id: int | None
    allowed: bool
    reason: str | None  # the deciding reason when refused
    text: str


def parse_decision_header(value: str | None) -> HeaderVerdict | None:
    if not value:
        return None
    head, _, rest = value.partition(";")
    rest = rest.strip()
    try:
        decision_id: int | None = int(head.strip())
    except ValueError:
        decision_id, rest = None, value.strip()
    if rest.startswith("allowed"):
        return HeaderVerdict(decision_id, True, None, rest)
    return HeaderVerdict(decision_id, False, rest or None, rest)
