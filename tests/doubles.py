"""Real stand-ins at the edges: a loopback SMTP server (aiosmtpd) and a recording chat channel.

The recording channel stands in for Slack and Teams (other adapters' work): it implements the
``Channel`` protocol, remembers every delivery, and can be told to fail like a platform does.
"""

from __future__ import annotations

import asyncio
import email
import threading
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from email.message import Message

from aiosmtpd.smtp import SMTP, Envelope, Session

from db.models import Member
from handlers.reply import Reply
from scheduler.channels import FIRST_SEND, Delivery, DeliveryError


class RecordingChannel:
    """A chat channel that reaches members with a ``slack_id`` and records what it sends."""

    def __init__(self, platform: str = "slack") -> None:
        self.platform = platform
        self.deliveries: list[tuple[str, Reply]] = []
        self.failures: dict[str, list[DeliveryError]] = {}  # initials -> errors to raise, in turn
        self.sending = 0
        self.most_at_once = 0  # the most sends that were in flight together
        self._lock = threading.Lock()

    def can_reach(self, member: Member) -> bool:
        return bool(member.slack_id)

    def connected(self) -> AbstractAsyncContextManager[object]:
        return nullcontext()  # nothing held open across sends

    def fail(self, initials: str, *errors: DeliveryError) -> None:
        self.failures.setdefault(initials, []).extend(errors)

    async def send(self, member: Member, message: Reply, delivery: Delivery = FIRST_SEND) -> None:
        with self._lock:
            self.sending += 1
            self.most_at_once = max(self.most_at_once, self.sending)
        try:
            await asyncio.sleep(0.01)  # a network call takes time: lets concurrent sends overlap
        finally:
            with self._lock:
                self.sending -= 1
        with self._lock:
            queued = self.failures.get(member.initials)
            if queued:
                raise queued.pop(0)
            self.deliveries.append((member.initials, message))

    def recipients(self) -> list[str]:
        return sorted(initials for initials, _ in self.deliveries)


@dataclass
class MailHandler:
    """aiosmtpd handler: keeps each accepted message; refuses the addresses in ``refuse``."""

    messages: list[Message] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    envelopes: list[list[str]] = field(default_factory=list)  # each message's RCPT TO list
    raw: list[bytes] = field(default_factory=list)  # each message as it came over the wire

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        self.messages.append(email.message_from_bytes(envelope.content))
        self.envelopes.append(list(envelope.rcpt_tos))
        self.raw.append(envelope.content)
        return "250 Message accepted"


@contextmanager
def smtp_server() -> Iterator[tuple[int, MailHandler]]:
    """An aiosmtpd server on 127.0.0.1, on a port the system picks, in its own thread."""
    handler = MailHandler()
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(
        loop.create_server(lambda: SMTP(handler), host="127.0.0.1", port=0)
    )
    port = server.sockets[0].getsockname()[1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield port, handler
    finally:
        loop.call_soon_threadsafe(server.close)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()
