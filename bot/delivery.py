"""The delivery channels this process can use, in the order they are tried for a member.

A chat identity comes before email: a member linked on Slack or Teams is nudged there, and email
is the fallback for members outside chat.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.config import Config
from handlers.context import Links
from handlers.errors import UserError
from scheduler.channels import Channel

Sessions = sessionmaker[Session]
log = logging.getLogger("crb.email")


def build_channels(config: Config, sessions: Sessions | None = None) -> list[Channel]:
    """The channels ``config`` turns on. Teams needs ``sessions``: it keeps members' conversations
    in the database, and uses the runtime's session factory rather than an engine of its own.
    Email reads the links' signing key there when ``CRB_SECRET_KEY`` is not set, and the Slack
    channel keeps each person's DM channel there."""
    channels: list[Channel] = []
    # Each adapter adds its channel here when it is configured: Slack, then Teams, then email.
    if config.slack_bot_token:
        from bot.slack import SlackChannel, make_client

        slack = SlackChannel(make_client(config), sessions=sessions, full_list=config.full_list_url)
        channels.append(slack)
    if config.teams_enabled:
        from bot.teams import TeamsChannel  # the Agents SDK is the optional [teams] extra

        if sessions is None:
            raise ValueError("the Teams channel needs the runtime's session factory")
        channels.append(TeamsChannel(config, sessions))
    channels.extend(email_channels(config, sessions))
    return channels


def email_channels(config: Config, sessions: Sessions | None = None) -> list[Channel]:
    """Email, last: only for members no chat channel reaches. Needs SMTP_URL and CRB_MAIL_FROM."""
    from bot.email import EmailChannel

    if not config.smtp_url:
        return []
    if not config.mail_from:
        raise UserError("SMTP_URL is set but CRB_MAIL_FROM is not: say whom the email is from.")
    return [EmailChannel(config.smtp_url, config.mail_from, email_links(config, sessions))]


def email_links(config: Config, sessions: Sessions | None) -> Callable[[datetime], Links] | None:
    """Where an email's one-click links point (``CRB_PUBLIC_URL``) and the keys that sign them:
    ``CRB_SECRET_KEY``, else the key the web desk keeps in the database (read when first sent)."""
    from handlers.web_access import signing_keys

    if config.public_url is None:
        log.warning(
            "CRB_PUBLIC_URL is not set: the buttons in emails point at %s, which people outside "
            "this machine cannot open",
            config.link_base,
        )
    if config.secret_keys:
        return lambda _now: Links(config.link_base, lambda: config.secret_keys)
    if sessions is None:
        return None
    kept = sessions  # the key the web desk keeps in the database

    def links(now: datetime) -> Links:
        return Links(config.link_base, lambda: tuple(signing_keys(kept, (), now)))

    return links


def configured_platforms(config: Config) -> frozenset[str]:
    """The channels ``build_channels`` would build, by name, without building them."""
    names = set()
    if config.slack_bot_token:
        names.add("slack")
    if config.teams_enabled:
        names.add("teams")
    if config.smtp_url and config.mail_from:
        names.add("email")
    return frozenset(names)
