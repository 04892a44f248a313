"""A real SMTP server for tests (aiosmtpd) on a free loopback port, plain SMTP ("none"),
keeping every message it accepts. Addresses in `refuse` get a 550 at RCPT TO.

    with SmtpServer() as smtp:
        deliver(session, Smtp(host=smtp.host, port=smtp.port, security="none"))
        smtp.messages[0]["Subject"]
"""

from __future__ import annotations

import socket
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def closed_port() -> int:
    """A loopback port nothing listens on (bound and released just now)."""
    return free_port()


class _Handler:
    def __init__(self, refuse: set[str]) -> None:
        self.refuse = refuse
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.arrived = threading.Condition()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options):  # noqa: N802
        if address.lower() in self.refuse:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.arrived:
            self.messages.append(message)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.arrived.notify_all()
        return "250 Message accepted"


class SmtpServer:
    def __init__(self, refuse: set[str] | None = None) -> None:
        self.handler = _Handler({a.lower() for a in refuse or ()})
        self.host = HOST
        self.port = 0
        self.controller: Controller | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages

    @property
    def envelopes(self) -> list[tuple[str, list[str]]]:
        return self.handler.envelopes

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """The messages once at least `count` have arrived; fails after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self.handler.arrived:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"{len(self.messages)} of {count} emails arrived in {timeout:.0f} s"
                    )
                self.handler.arrived.wait(left)
            return list(self.messages)

    def __enter__(self) -> SmtpServer:
        last: Exception | None = None
        for _ in range(5):  # the free port may be taken between the probe and the bind
            self.port = free_port()
            controller = Controller(self.handler, hostname=HOST, port=self.port)
            try:
                controller.start()
            except Exception as exc:  # noqa: BLE001
                last = exc
                continue
            self.controller = controller
            return self
        raise RuntimeError(f"no SMTP server could start: {last}")

    def __exit__(self, *exc: object) -> None:
        if self.controller is not None:
            self.controller.stop()
