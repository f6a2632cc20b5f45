"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, collecting what it receives."""

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller

from app.mail.senders import SmtpSender


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage


@dataclass
class Collector:
    """aiosmtpd handler: keeps every message; answers 550 to addresses in ``reject``."""

    received: list[Received] = field(default_factory=list)
    reject: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address.lower() in self.reject:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        parsed = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(parsed, EmailMessage)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), raw, parsed))
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    host: str
    port: int
    collector: Collector

    @property
    def received(self) -> list[Received]:
        return self.collector.received

    def sender(self) -> SmtpSender:
        return SmtpSender(self.host, self.port, timeout=5)


def free_port() -> int:
    """A port nobody listens on (bound and released at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running_smtp_server(collector: Collector | None = None) -> Iterator[SmtpServer]:
    collector = collector if collector is not None else Collector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, collector)
    finally:
        controller.stop()


def down_sender() -> SmtpSender:
    """A sender whose SMTP server is down: the connection is refused."""
    return SmtpSender("127.0.0.1", free_port(), timeout=2)
