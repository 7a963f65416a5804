"""The delivery channels this process can use, in the order they are tried for a member.

A chat identity comes before email: a member linked on Slack or Teams is nudged there, and email
is the fallback for members outside chat.
"""

from __future__ import annotations

from bot.config import Config
from scheduler.channels import Channel


def build_channels(config: Config) -> list[Channel]:
    channels: list[Channel] = []
    # Each adapter adds its channel here when it is configured: Slack, then Teams, then email.
    if config.slack_bot_token:
        from bot.slack import SlackChannel, make_client

        channels.append(SlackChannel(make_client(config)))
    return channels
