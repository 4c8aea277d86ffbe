"""A test SMTP server's side: the bot's mailbox address, a handler keeping the mail it accepts, a free port."""

import socket
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import Envelope, Session

MAILBOX = "rpa-bot@example.com"


@dataclass
class Mailroom:
    """An aiosmtpd handler keeping every message it accepts; it refuses DATA after `accept` mails."""

    accept: int | None = None
    attempts: int = 0
    received: list[Envelope] = field(default_factory=list)

    async def handle_DATA(self, _server: Any, _session: Session, envelope: Envelope) -> str:
        self.attempts += 1
        if self.accept is not None and self.attempts > self.accept:
            return "550 5.7.1 Message rejected by policy"
        self.received.append(envelope)
        return "250 OK"

    def messages(self) -> list[EmailMessage]:
        messages = []
        for envelope in self.received:
            assert isinstance(envelope.content, bytes)  # aiosmtpd keeps DATA as bytes unless decode_data=True
            messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return messages


def free_port() -> int:
    # aiosmtpd's Controller cannot listen on port 0 (it checks readiness by connecting to its port).
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
