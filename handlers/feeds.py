"""A member's private calendar feed: ``/calendar/{token}.ics`` serves the board's meetings to
whoever holds the address, because a calendar app cannot sign in.

The address is the secret, so each member has their own (one at a time), and can revoke it from
the paper page: the old address then answers 404 for good, and a new one can be made. The feed
carries meetings only, never action text, and stops when its member is deactivated.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db.models import Board, CalendarFeed, EventKind, Member
from handlers.audit import record
from handlers.calendar_feed import meetings_calendar
from handlers.context import Caller, Ctx
from handlers.identity import Via

TOKEN_BYTES = 32


def current_feed(ctx: Ctx) -> CalendarFeed | None:
    """The caller's calendar address, if they have one that is not revoked."""
    member = ctx.require_member()
    return ctx.session.scalars(
        select(CalendarFeed).where(
            CalendarFeed.member_id == member.id, CalendarFeed.revoked_at.is_(None)
        )
    ).first()


def new_feed(ctx: Ctx) -> CalendarFeed:
    """A new private address for the caller; any address they had before stops working."""
    member = ctx.require_member()
    revoked = _revoke(ctx, member)
    feed = CalendarFeed(
        board_id=ctx.board.id,
        member_id=member.id,
        token=secrets.token_urlsafe(TOKEN_BYTES),
        created_at=ctx.now,
    )
    ctx.session.add(feed)
    ctx.session.flush()
    action = "replaced" if revoked else "created"
    record(ctx, EventKind.CALENDAR_FEED, member=member, details={"calendar address": action})
    return feed


def revoke_feed(ctx: Ctx) -> bool:
    """Stop the caller's calendar address. False when they had none."""
    member = ctx.require_member()
    if not _revoke(ctx, member):
        return False
    record(ctx, EventKind.CALENDAR_FEED, member=member, details={"calendar address": "revoked"})
    return True


def _revoke(ctx: Ctx, member: Member) -> bool:
    result = ctx.session.execute(
        update(CalendarFeed)
        .where(CalendarFeed.member_id == member.id, CalendarFeed.revoked_at.is_(None))
        .values(revoked_at=ctx.now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def calendar_for(session: Session, token: str, now: datetime) -> bytes | None:
    """The meetings for a calendar address, or None when it is unknown, revoked or its member
    deactivated (the web answers 404 alike, so nothing tells them apart)."""
    if not token or len(token) > 100:
        return None
    feed = session.scalars(
        select(CalendarFeed).where(CalendarFeed.token == token, CalendarFeed.revoked_at.is_(None))
    ).first()
    if feed is None or not feed.member.active:
        return None
    board = session.get(Board, feed.board_id)
    assert board is not None
    return meetings_calendar(
        Ctx(session, board, Caller(feed.member, f"calendar:member-{feed.member_id}", Via.WEB), now)
    )
