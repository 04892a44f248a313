"""What the MoSAPI generators share: seeds stable across processes, the TLD label, the envelope."""

from __future__ import annotations

import subprocess
import sys

from mock_services.mosapi.generation import envelope, rng, seed, tld_label


def test_seed_is_the_same_in_another_process() -> None:
    # Python's hash() of a string differs per process; the seed must not.
    code = "from mock_services.mosapi.generation import seed; print(seed('example', 'DNS', 7))"
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert int(other) == seed("example", "DNS", 7)
    assert seed("example", "DNS", 7) != seed("example", "DNS", 8)
    assert rng("a", 1).random() == rng("a", 1).random()


def test_tld_label_and_envelope() -> None:
    assert tld_label(" Example. ") == "example"
    assert envelope(60, tld="example") == {
        "version": 2,
        "lastUpdateApiDatabase": 60,
        "tld": "example",
    }
