"""What one answer of MoSAPI or RRI says about TLS client authentication: allowed, denied, or
unknown.

The rule, for any server (the harness mocks or ICANN's):

* With an ``X-TLSAuth-Decision`` header (the mocks send one), the header decides: ``allowed ...``
  is allowed whatever the status (an allowed RRI status read may answer 404 "nothing yet"); a
  reason is a denial for that reason.
* Without it (a real ICANN endpoint, or a mock with the header switched off): 2xx is allowed,
  401 and 403 are denied, and any other status says nothing about the client's certificate, so
  the verdict is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

from .reasons import CallFacts, allowed_sentence, parse_decision_header, sentence

ALLOWED, DENIED, UNKNOWN = "allowed", "denied", "unknown"


@dataclass(frozen=True)
class CallVerdict:
    outcome: str  # allowed | denied | unknown
    status: int
    reason: str | None  # the deciding reason of a denial, from the header
    decision_id: int | None
    header: str | None  # the decision header as sent
    auth_path: str | None  # how an allowed call was admitted (tls-client-auth, basic, session)
    entry: str | None  # the entry that admitted it, when the header names one

    @property
    def why(self) -> str | None:
        """What kept it from being allowed: the deciding reason, or ``HTTP <status>``."""
        if self.outcome == ALLOWED:
            return None
        return self.reason or f"HTTP {self.status}"

    @property
    def label(self) -> str:
        """``allowed``, ``denied (reason)``, ``denied (HTTP 401)`` or ``unknown (HTTP 404)``."""
        return self.outcome if self.why is None else f"{self.outcome} ({self.why})"

    def sentence(self, facts: CallFacts | None = None) -> str | None:
        """The plain sentence of the decision (with the fix, when denied); None without a
        decision header, where nothing says why."""
        facts = facts or CallFacts()
        if self.header is None:
            return None
        if self.outcome == ALLOWED:
            entry = self.entry or facts.entry
            return allowed_sentence(
                self.auth_path or "none",
                CallFacts(facts.tld, facts.role, facts.source, entry),
            )
        return sentence(self.reason or "", facts)


def verdict_of(status: int, header: str | None) -> CallVerdict:
    """The verdict of one answer: its status and its ``X-TLSAuth-Decision`` header, if any."""
    read = parse_decision_header(header)
    if read is not None:
        if read.allowed:
            # "allowed <path> [via <entry>]"
            words = read.text.split()
            path = words[1] if len(words) > 1 else None
            entry = words[3] if len(words) > 3 and words[2] == "via" else None
            return CallVerdict(ALLOWED, status, None, read.decision_id, header, path, entry)
        return CallVerdict(DENIED, status, read.reason, read.decision_id, header, None, None)
    if 200 <= status < 300:
        outcome = ALLOWED
    elif status in (401, 403):
        outcome = DENIED
    else:
        outcome = UNKNOWN
    return CallVerdict(outcome, status, None, None, None, None, None)
