"""How each member is reached: which channel a nudge would use now, or why none can.

The channels are tried in the dispatcher's order (Slack, Teams, email: a chat identity before
email), each only when this installation has it configured. The rule mirrors each channel's
``can_reach``: Slack needs a Slack id; Teams needs the conversation the member opened with the
bot (a Teams id alone is not enough to start one); email needs an address.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from db import queries
from db.models import Member

CHANNEL_ORDER = ("slack", "teams", "email")
_SETTINGS = {
    "slack": "SLACK_BOT_TOKEN",
    "teams": "the CONNECTIONS__SERVICE_CONNECTION__… Teams settings",
    "email": "SMTP_URL and CRB_MAIL_FROM",
}


@dataclass(frozen=True)
class Reach:
    channel: str | None  # "slack" | "teams" | "email"; None: no nudge can reach them
    explanation: str

    @property
    def short(self) -> str:
        """A table's cell: "Slack", "email", "nobody (not linked)"."""
        if self.channel is not None:
            return "email" if self.channel == "email" else self.channel.title()
        reason = self.explanation.removeprefix("Cannot be reached: ").split(";")[0].rstrip(".")
        if reason.startswith("Deactivated"):
            reason = "deactivated"
        elif reason.startswith("not linked"):
            reason = "not linked"
        return f"nobody ({reason})"


def reach_of(member: Member, configured: Collection[str], *, has_teams_conversation: bool) -> Reach:
    """How a nudge to ``member`` would travel, given the channels configured here."""
    if not member.active:
        return Reach(None, "Deactivated: gets no nudges or digests.")
    linked = {
        "slack": member.slack_id is not None,
        "teams": has_teams_conversation,
        "email": member.email is not None,
    }
    for channel in CHANNEL_ORDER:
        if linked[channel] and channel in configured:
            return Reach(channel, _reached_by(member, channel))
    return Reach(None, _why_not(member, linked, configured))


def _reached_by(member: Member, channel: str) -> str:
    if channel == "slack":
        return f"Slack, as {member.slack_id}."
    if channel == "teams":
        return "Teams, in their chat with the bot."
    return f"Email, to {member.email}."


def _why_not(member: Member, linked: dict[str, bool], configured: Collection[str]) -> str:
    reasons = [
        f"linked on {name.title() if name != 'email' else 'email'}, but {name} is not "
        f"configured here ({_SETTINGS[name]})"
        for name in CHANNEL_ORDER
        if linked[name] and name not in configured
    ]
    if member.teams_id and not linked["teams"]:
        reasons.append("has a Teams id but has not opened a chat with the bot yet")
    if not (member.slack_id or member.teams_id or member.email):
        reasons.append("not linked to Slack, Teams or an email address")
    return "Cannot be reached: " + "; ".join(reasons) + "."


def reach_for_all(
    session: Session, members: Sequence[Member], configured: Collection[str]
) -> dict[int, Reach]:
    """Each member's reach, the Teams conversations read once for them all."""
    talked = queries.with_teams_conversation(session, [m.id for m in members])
    return {m.id: reach_of(m, configured, has_teams_conversation=m.id in talked) for m in members}
