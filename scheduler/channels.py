"""How a message reaches a member: Slack, Teams or email, behind one small interface.

The dispatcher picks the first channel that can reach a member, in the order the channels are
registered (a chat identity before email). Each adapter renders the platform-neutral ``Reply``
itself, so the scheduler never sees Block Kit, Adaptive Cards or MIME.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from db.models import Member
from handlers.reply import Reply


class DeliveryError(Exception):
    """A send failed. ``retry_after`` (seconds) is set when the platform said when to try again."""

    def __init__(self, message: str, *, retry_after: float | None = None, permanent: bool = False):
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent


@dataclass(frozen=True)
class Delivery:
    """What a channel needs to know about this send, beside the message itself."""

    # Names the ledger row on the platform ("crb-41"): Slack metadata. From the second attempt
    # on, a channel that can look up what it already posted checks for it before posting again
    # (a send that went out just before its process died).
    message_key: str | None = None
    attempt: int = 1  # 1 for the first try; more after a failure or a crash
    # Where an answer by email should go: the officers who have an address, (name, address).
    reply_to: tuple[tuple[str, str], ...] = ()
    at: datetime | None = None  # the tick's time: an email's Date and its links' issue time


FIRST_SEND = Delivery()


class Channel(Protocol):
    platform: str  # "slack" | "teams" | "email": the tick JSON's "platform"

    def can_reach(self, member: Member) -> bool: ...

    async def send(self, member: Member, message: Reply, delivery: Delivery = FIRST_SEND) -> None:
        """Deliver ``message`` to ``member`` or raise ``DeliveryError``."""

    def connected(self) -> AbstractAsyncContextManager[object]:
        """Held open around a tick's sends: a channel may keep its connections alive inside it."""


def channel_for(member: Member, channels: Sequence[Channel]) -> Channel | None:
    return next((channel for channel in channels if channel.can_reach(member)), None)


@asynccontextmanager
async def connected(channels: Sequence[Channel]) -> AsyncIterator[None]:
    """Every channel's ``connected()``, entered together and closed together."""
    async with AsyncExitStack() as stack:
        for channel in channels:
            await stack.enter_async_context(channel.connected())
        yield
