"""Mail as a reader's client sees it: a tick through the real SMTP adapter to a loopback aiosmtpd
server, each message parsed back with the standard library's ``email`` package."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

from bs4 import BeautifulSoup

from bot.email import EmailChannel
from bot.runtime import Runtime
from db.models import Member
from handlers.context import Caller
from handlers.identity import Via
from scheduler.dispatch import TickResult, tick
from tests.conftest import AFTER_MEETING
from tests.doubles import smtp_server

SENDER = "crb@opcc.example.org"
KEYS = ("a test key for email links, long enough to be a real one",)
PUBLIC_URL = "https://crb.opcc.example.org"
OPERATOR = Caller(None, "test", Via.SYSTEM)


@dataclass(frozen=True)
class Mailed:
    """One tick's mail: each message parsed, with the envelope recipients the relay saw."""

    result: TickResult
    messages: list[EmailMessage]
    envelopes: list[list[str]]

    def to(self, address: str) -> EmailMessage:
        return next(m for m in self.messages if m["To"].addresses[0].addr_spec == address)


def parsed(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def mail_tick(
    runtime: Runtime,
    at: datetime,
    *,
    sender: str = SENDER,
    links: object = None,
) -> Mailed:
    # In a thread of its own: a test driving Playwright's sync API already runs an event loop.
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(_mail_tick, runtime, at, sender, links).result()


def _mail_tick(runtime: Runtime, at: datetime, sender: str, links: object) -> Mailed:
    with smtp_server() as (port, mail):
        channel = EmailChannel(f"smtp://127.0.0.1:{port}", sender, *([links] if links else []))
        result = asyncio.run(tick(runtime.sessions, [channel], at))
    return Mailed(result, [parsed(raw) for raw in mail.raw], mail.envelopes)


def with_links() -> object:
    from handlers.context import Links  # imported here: the issue 15 tests run on older code too

    return Links(PUBLIC_URL, lambda: KEYS)


def rename(runtime: Runtime, names: dict[str, str]) -> None:
    """Give members the names a real board has: commas, quotes, accents."""
    with runtime.unit(OPERATOR, AFTER_MEETING) as ctx:
        for initials, name in names.items():
            member = ctx.session.query(Member).filter_by(initials=initials).one()
            member.name = name
        ctx.session.commit()


def text_part(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def html_part(message: EmailMessage) -> str:
    body = message.get_body(("html",))
    assert body is not None
    return str(body.get_content())


def links_in(message: EmailMessage) -> list[tuple[str, str]]:
    """Each link in the HTML part, in order: (the words a reader sees, where it goes)."""
    soup = BeautifulSoup(html_part(message), "html.parser")
    return [(" ".join(a.get_text().split()), str(a["href"])) for a in soup.find_all("a")]


def recipients(messages: Sequence[EmailMessage]) -> list[tuple[str, str]]:
    return sorted(
        (address.display_name, address.addr_spec)
        for message in messages
        for address in message["To"].addresses
    )
