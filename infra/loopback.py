"""The loopback addresses this host really has: the source addresses a call to the local mocks
can be made from.

Linux routes all of 127.0.0.0/8 to the loopback interface; other systems often have only
127.0.0.1, and a host without IPv6 has no ``::1``. An address counts when a socket binds to it.
"""

from __future__ import annotations

import functools
import socket

CANDIDATES: tuple[str, ...] = ("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4", "::1")


def binds(address: str) -> bool:
    """Whether a TCP socket can bind to `address` (port chosen by the system)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.bind((address, 0))
    except OSError:
        return False
    return True


@functools.cache
def loopback_addresses() -> tuple[str, ...]:
    """The candidates that bind, in the order above (probed once per process)."""
    return tuple(address for address in CANDIDATES if binds(address))
