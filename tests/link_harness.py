"""Email links as a test mints and follows them: tokens for the sample board's members."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from email.message import EmailMessage
from urllib.parse import parse_qs, urlsplit

from bot.runtime import Runtime
from db.models import Action, ActionStatus, AuditEvent, Meeting, Member, Snooze, SnoozeChoice
from handlers import web_access
from handlers.context import Links
from handlers.email_links import LinkClaim, Purpose, expiry, sign
from tests.email_harness import KEYS, Mailed, links_in, mail_tick
from tests.web_harness import WebDesk

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


def desk_keys(runtime: Runtime, now: datetime) -> list[str]:
    """The keys the web desk signs with (kept in the database when CRB_SECRET_KEY is unset)."""
    return web_access.signing_keys(runtime.sessions, runtime.config.secret_keys, now)


def mail_with_desk_links(runtime: Runtime, desk: WebDesk, at: datetime) -> Mailed:
    """A tick whose emails link to ``desk``, signed with its keys, as `crb serve` sends them."""
    keys = tuple(desk_keys(runtime, at))
    return mail_tick(runtime, at, links=Links(desk.base_url, lambda: keys))


def link_to(message: EmailMessage, words: str, nth: int = 0) -> str:
    """The href of the ``nth`` link in ``message`` whose text is ``words``."""
    return [href for text, href in links_in(message) if text == words][nth]


def token_in(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]
