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
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, replace
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from bot.render_text import render
from db.models import Member
from handlers.errors import UserError
from handlers.members import check_email
from handlers.reply import Reply
from scheduler.channels import FIRST_SEND, Delivery, DeliveryError

TIMEOUT = 30  # seconds: a stuck relay must not hold a ticker past its lease
WHY_EMAIL = "You receive this by email because no Slack or Teams account is linked to you."
HOW_TO_ANSWER = "To mark an action done or give an update, reply to this email."


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


def compose_email(
    member: Member, message: Reply, sender: str, delivery: Delivery = FIRST_SEND
) -> EmailMessage:
    """The reply as plain text: buttons cannot be pressed in an email, so they are left out."""
    assert member.email is not None
    email = EmailMessage()
    email["Subject"] = message.title
    email["From"] = sender
    email["To"] = f"{member.name} <{member.email}>"
    email["Date"] = formatdate(localtime=False)
    domain = sender.rpartition("@")[2] or "crb-bot.invalid"
    key = delivery.message_key
    # A stable Message-ID lets the receiving side recognise a resend after a crash as the same.
    email["Message-ID"] = f"<{key}@{domain}>" if key else make_msgid(domain=domain)
    reply_to = [address for address in delivery.reply_to if address]
    footer = WHY_EMAIL
    if reply_to:
        email["Reply-To"] = ", ".join(reply_to)
        footer += " " + HOW_TO_ANSWER
    email.set_content(f"{render(replace(message, buttons=()))}\n\n-- \n{footer}\n")
    return email


class EmailChannel:
    platform = "email"

    def __init__(self, smtp_url: str, sender: str) -> None:
        self.settings = parse_smtp_url(smtp_url)
        self.sender = check_email(sender)

    def can_reach(self, member: Member) -> bool:
        return bool(member.email)

    def connected(self) -> AbstractAsyncContextManager[object]:
        return nullcontext()  # nothing held open across sends

    async def send(self, member: Member, message: Reply, delivery: Delivery = FIRST_SEND) -> None:
        email = compose_email(member, message, self.sender, delivery)
        await asyncio.to_thread(self._deliver, email)

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
