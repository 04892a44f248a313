"""What every generator of the mock MoSAPI's answers shares: seeded randomness, the TLD label
and the JSON envelope.

Randomness comes from ``random.Random`` instances seeded with SHA-256 of the TLD name and the item
being made (never Python's ``hash()``, never the global random state), so two processes agree
and two TLDs differ.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any

VERSION = 2


def seed(*parts: object) -> int:
    """A stable 64-bit number for ``parts`` (the same in every process)."""
    text = "\x1f".join(str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def rng(*parts: object) -> random.Random:
    """A random generator of its own for ``parts``."""
    return random.Random(seed(*parts))


def tld_label(tld: str) -> str:
    """``Example.`` -> ``example``."""
    return tld.strip().rstrip(".").lower()


def envelope(ref: int, **fields: Any) -> dict[str, Any]:
    """An answer body: ``version``, ``lastUpdateApiDatabase`` (the database time), ``fields``."""
    return {"version": VERSION, "lastUpdateApiDatabase": ref, **fields}
