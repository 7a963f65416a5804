"""The delivery channels this process can use, in the order they are tried for a member.

A chat identity comes before email: a member linked on Slack or Teams is nudged there, and email
is the fallback for members outside chat.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from bot.config import Config
from handlers.errors import UserError
from scheduler.channels import Channel


def build_channels(config: Config, sessions: sessionmaker[Session] | None = None) -> list[Channel]:
    """The channels ``config`` turns on. Teams needs ``sessions``: it keeps members' conversations
    in the database, and uses the runtime's session factory rather than an engine of its own."""
    channels: list[Channel] = []
    # Each adapter adds its channel here when it is configured: Slack, then Teams, then email.
    if config.slack_bot_token:
        from bot.slack import SlackChannel, make_client

        channels.append(SlackChannel(make_client(config)))
    if config.teams_enabled:
        from bot.teams import TeamsChannel  # the Agents SDK is the optional [teams] extra

        if sessions is None:
            raise ValueError("the Teams channel needs the runtime's session factory")
        channels.append(TeamsChannel(config, sessions))
    channels.extend(email_channels(config))
    return channels


def email_channels(config: Config) -> list[Channel]:
    """Email, last: only for members no chat channel reaches. Needs SMTP_URL and CRB_MAIL_FROM."""
    from bot.email import EmailChannel

    if not config.smtp_url:
        return []
    if not config.mail_from:
        raise UserError("SMTP_URL is set but CRB_MAIL_FROM is not: say whom the email is from.")
    return [EmailChannel(config.smtp_url, config.mail_from)]


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
