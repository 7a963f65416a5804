"""Email links as a test mints and follows them: tokens for the sample board's members."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from bot.runtime import Runtime
from db.models import Action, ActionStatus, AuditEvent, Meeting, Member, Snooze, SnoozeChoice
from handlers.email_links import LinkClaim, Purpose, expiry, sign
from tests.email_harness import KEYS

FEB_24 = date(2021, 2, 24)  # the sample's next meeting


def member_id(runtime: Runtime, initials: str) -> int:
    with runtime.sessions() as session:
        return session.query(Member).filter_by(initials=initials).one().id


def action_id(runtime: Runtime, initials: str, item: str) -> int:
    """The first action under ``item`` that ``initials`` owns."""
    with runtime.sessions() as session:
        owned = [
            action
            for action in session.query(Action).filter_by(item=item).order_by(Action.id)
            if initials in action.owner_initials
        ]
        return owned[0].id


def next_meeting_id(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return session.query(Meeting).filter_by(date=FEB_24).one().id


def token(
    runtime: Runtime,
    initials: str,
    purpose: Purpose,
    *,
    action: tuple[str, str] | None = None,
    snooze: SnoozeChoice | None = None,
    issued: datetime,
    keys: Sequence[str] = KEYS,
) -> str:
    """A link's token as an email to ``initials`` would carry it, about the 24 Feb meeting;
    ``action``: (owner initials, item) of the action it names."""
    claim = LinkClaim(
        member_id=member_id(runtime, initials),
        purpose=purpose,
        meeting_id=next_meeting_id(runtime),
        issued_at=issued,
        expires_at=expiry("Europe/London", FEB_24),
        action_id=action_id(runtime, *action) if action else None,
        snooze=snooze,
        from_nudge=True,
    )
    return sign(keys, claim)


def counts(runtime: Runtime) -> dict[str, int]:
    """What a link could change: audit events, snoozes, open actions."""
    with runtime.sessions() as session:
        return {
            "events": session.query(AuditEvent).count(),
            "snoozes": session.query(Snooze).count(),
            "open": session.query(Action).filter_by(status=ActionStatus.OPEN).count(),
        }
