"""The reason table and the decision header read back."""

from portal.core.reasons import REASONS, SENTENCES, CallFacts, parse_decision_header, sentence


def test_every_reason_has_a_sentence_naming_the_fix_with_the_facts() -> None:
    facts = CallFacts("bank", "mosapi-slam", "127.0.0.2", "tlsa.rsp.example")
    for code in REASONS:
        assert code in SENTENCES, code
        text = sentence(code, facts)
        assert "{" not in text and text.endswith("."), code
    assert sentence("source-not-in-acl", facts) == (
        "127.0.0.2 is not in the prefixes of tlsa.rsp.example for this role; add it on the TLS "
        "client authentication tab."
    )
    assert "mosapi-slam" in sentence("role-not-granted", facts)
    assert sentence("role-not-granted", facts).startswith("tlsa.rsp.example matched")


def test_unknown_facts_read_as_whole_sentences() -> None:
    assert sentence("source-not-in-acl") == (
        "The source address is not in the prefixes of the entry's name for this role; add it "
        "on the TLS client authentication tab."
    )


def test_the_decision_header_reads_back() -> None:
    allowed = parse_decision_header("12; allowed tls-client-auth via c.example")
    assert allowed is not None and allowed.allowed and allowed.decision_id == 12
    denied = parse_decision_header("13; bad-password")
    assert denied is not None and not denied.allowed and denied.reason == "bad-password"
    assert parse_decision_header(None) is None
