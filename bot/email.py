"""Email: the fallback channel for owners with no Slack or Teams identity.

It speaks SMTP with the standard library's ``smtplib`` in a worker thread. A nudge is a handful of
messages a day, so an async SMTP client would add a dependency and buy nothing; the thread keeps
the event loop free all the same.

``SMTP_URL`` forms: ``smtp://host:port`` (plain, as on a relay inside the network),
``smtp://host:587?starttls=true`` (upgrade with STARTTLS), ``smtps://host:465`` (TLS from the
start). A user and password in the URL (``smtp://user:pass@host``) log in first.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from bot.render_email import render_email
from db.models import Member
from handlers.context import Links
from handlers.email_links import EmailLinks, LinkMaker, expiry, links_for
from handlers.errors import UserError
from handlers.members import check_email
from handlers.plain import plain_line
from handlers.reply import Reply
from planning.calendar import zone
from scheduler.channels import FIRST_SEND, Delivery, DeliveryError
from scheduler.clock import wall_clock

TIMEOUT = 30  # seconds: a stuck relay must not hold a ticker past its lease


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    tls: str  # "none" | "starttls" | "implicit"
    username: str | None = None
    password: str | None = None

    def __repr__(self) -> str:
        return f"SmtpSettings({self.host}:{self.port}, tls={self.tls}, user={self.username})"


def parse_smtp_url(url: str) -> SmtpSettings:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise UserError(f"SMTP_URL must look like smtp://host:port, not {parts.scheme or url!r}.")
    try:
        port = parts.port
    except ValueError as error:
        raise UserError("SMTP_URL has a port that is not a number.") from error
    options = {k.lower(): v[-1].lower() for k, v in parse_qs(parts.query).items()}
    if parts.scheme == "smtps":
        tls = "implicit"
    elif options.get("starttls") in ("1", "true", "yes"):
        tls = "starttls"
    else:
        tls = "none"
    default_port = 465 if tls == "implicit" else 587 if tls == "starttls" else 25
    return SmtpSettings(
        host=parts.hostname,
        port=port or default_port,
        tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def parse_sender(value: str) -> Address:
    """``CRB_MAIL_FROM``: an address, with or without a display name
    (``West Mercia CRB <crb@opcc.example.org>``)."""
    try:
        header = policy.SMTP.header_factory("From", value)
        addresses = header.addresses
    except (ValueError, IndexError, HeaderParseError):
        addresses = ()
    defects = getattr(header, "defects", ()) if addresses else ()
    if len(addresses) != 1 or defects or not addresses[0].domain:
        raise UserError(
            f"CRB_MAIL_FROM={value!r} is not one email address. Give an address, or a name "
            "and an address: 'West Mercia CRB <crb@opcc.example.org>'."
        )
    address = addresses[0]
    check_email(address.addr_spec)
    return address


def compose_email(
    member: Member,
    message: Reply,
    *,
    sender: Address,
    now: datetime,
    reply_to: Sequence[tuple[str, str]] = (),
    links: Links | None = None,
) -> EmailMessage:
    """The reply as an email: a plain text part and an HTML part, with one-click links."""
    assert member.email is not None
    about = message.about
    email = EmailMessage(policy=policy.SMTP)
    email["Subject"] = subject(message)
    # Without a display name of its own the sender takes the board's name.
    board_name = about.board_name if about else None
    email["From"] = sender if sender.display_name or not board_name else named(sender, board_name)
    # Addresses as objects, never joined strings: "Smith, Jane" stays one recipient.
    email["To"] = Address(display_name=member.name, addr_spec=member.email)
    officers = [Address(display_name=name, addr_spec=address) for name, address in reply_to]
    if officers:
        email["Reply-To"] = officers
    timezone = about.timezone if about else "UTC"
    email["Date"] = format_datetime(now.astimezone(zone(timezone)))
    # Random and unique, under the installation's own mail domain: never a row number, which
    # another installation or a restored backup would reuse.
    email["Message-ID"] = make_msgid(idstring="crb", domain=sender.domain)
    # No out-of-office or delivery-report replies to an automatic message (RFC 3834; Exchange).
    email["Auto-Submitted"] = "auto-generated"
    email["X-Auto-Response-Suppress"] = "All"
    rendered = render_email(
        message,
        email_links(member, message, links, now),
        subject=str(email["Subject"]),
        replies_go_to=tuple(address.display_name or address.addr_spec for address in officers),
    )
    email.set_content(rendered.text)
    email.add_alternative(rendered.html, subtype="html")
    return email


def subject(message: Reply) -> str:
    """The marking first, then the board, then what the message is."""
    about = message.about
    if about is None:
        return plain_line(message.title)
    text = f"{about.board_name}: {message.title}"
    if about.marking:
        text = f"[{about.marking}] {text}"
    return plain_line(text)


def named(address: Address, display_name: str) -> Address:
    return Address(display_name=display_name, addr_spec=address.addr_spec)


def email_links(member: Member, message: Reply, links: Links | None, now: datetime) -> EmailLinks:
    about = message.about
    if about is None or links is None:
        return EmailLinks.none()
    maker = LinkMaker(
        keys=links.keys,
        public_url=links.base,
        member_id=member.id,
        meeting_id=about.meeting_id,
        now=now,
        expires_at=expiry(about.timezone, about.meeting_date),
        from_nudge=about.kind == "nudge",
        board_path=about.board_path,
    )
    return links_for(message, maker)


class EmailChannel:
    platform = "email"

    def __init__(
        self,
        smtp_url: str,
        sender: str,
        links: Links | Callable[[datetime], Links] | None = None,
    ) -> None:
        """``links``: the settings for one-click links, or how to get them at a given time
        (the key kept in the database is read when the first email goes)."""
        self.settings = parse_smtp_url(smtp_url)
        self.sender = parse_sender(sender)
        self.links = links

    def link_settings(self, now: datetime) -> Links | None:
        return self.links(now) if callable(self.links) else self.links

    def can_reach(self, member: Member) -> bool:
        return bool(member.email)

    def connected(self) -> AbstractAsyncContextManager[object]:
        return nullcontext()  # nothing held open across sends

    async def send(self, member: Member, message: Reply, delivery: Delivery = FIRST_SEND) -> None:
        # A tick always says when it sends; a message sent outside one is dated by the clock.
        now = delivery.at or wall_clock()
        await asyncio.to_thread(self._compose_and_deliver, member, message, now, delivery)

    def _compose_and_deliver(
        self, member: Member, message: Reply, now: datetime, delivery: Delivery
    ) -> None:
        email = compose_email(
            member,
            message,
            sender=self.sender,
            now=now,
            reply_to=delivery.reply_to,
            links=self.link_settings(now),
        )
        self._deliver(email)

    def _deliver(self, email: EmailMessage) -> None:
        settings = self.settings
        try:
            if settings.tls == "implicit":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    settings.host,
                    settings.port,
                    timeout=TIMEOUT,
                    context=ssl.create_default_context(),
                )
            else:
                client = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT)
            with client:
                if settings.tls == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if settings.username:
                    client.login(settings.username, settings.password or "")
                client.send_message(email)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            raise DeliveryError(
                f"the mail server refused {email['To']} ({', '.join(map(str, codes))})",
                permanent=all(code >= 500 for code in codes),
            ) from error
        except (smtplib.SMTPAuthenticationError, smtplib.SMTPSenderRefused) as error:
            # Our own settings are wrong: keep retrying, so fixing them lets the mail go out.
            raise DeliveryError(f"the mail server refused our login or sender: {error}") from error
        except smtplib.SMTPResponseException as error:
            # 5xx is final for this message; 4xx is the server asking us to come back later.
            reason = error.smtp_error.decode(errors="replace") if error.smtp_error else ""
            raise DeliveryError(
                f"SMTP {error.smtp_code}: {reason}", permanent=500 <= error.smtp_code < 600
            ) from error
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"mail server unavailable: {error}") from error
