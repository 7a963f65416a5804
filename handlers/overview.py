"""The board at a glance, as the web desk's Board page shows it.

The next meeting, the outstanding actions by owner with their RAG and latest update, who the
reminders cannot reach and why, and the reminders planned before the next meeting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from db import queries
from db.models import ActionStatus, Member
from handlers.context import Ctx
from handlers.meetings import NextMeeting, next_meeting
from handlers.reminders import PlannedReminder, planned_reminders, unreachable_lines
from handlers.reply import ActionView
from handlers.reports import by_owner
from handlers.views import listed_views


@dataclass(frozen=True)
class OwnerGroup:
    heading: str  # "Claire Richardson (CR)", or "No owner"
    initials: str | None
    actions: tuple[ActionView, ...]


@dataclass(frozen=True)
class BoardOverview:
    board_name: str
    timezone: str
    next_meeting: NextMeeting | None
    open_count: int
    owners: tuple[OwnerGroup, ...]
    unreachable: tuple[str, ...]
    reminders: tuple[PlannedReminder, ...]  # still to come, earliest first


def board_overview(ctx: Ctx, reachable: Callable[[Member], bool]) -> BoardOverview:
    """What the Board page shows. Reads only. ``reachable``: whether a configured channel can
    reach a member (the reminders' own test)."""
    ctx.require_member()
    upcoming = next_meeting(ctx.session, ctx.board, ctx.now)
    open_actions = queries.listed_actions(ctx.session, ctx.board, status=ActionStatus.OPEN)
    views = listed_views(ctx, open_actions, with_buttons=False)
    view_of = {action.id: view for action, view in zip(open_actions, views, strict=True)}
    groups = tuple(
        OwnerGroup(
            f"{owner.name} ({owner.initials})" if owner else "No owner",
            owner.initials if owner else None,
            tuple(view_of[action.id] for action in owned),
        )
        for owner, owned in by_owner(open_actions).items()
    )
    owner_ids = {owner.id for action in open_actions for owner in action.owners}
    owners = ctx.session.scalars(select(Member).where(Member.id.in_(owner_ids))).all()
    unreachable = unreachable_lines(ctx, upcoming.meeting if upcoming else None, owners, reachable)
    reminders: list[PlannedReminder] = []
    if upcoming is not None:
        initials = [o.initials for o in owners if o.active]
        reminders = [r for r in planned_reminders(ctx, upcoming.date, initials) if r.at >= ctx.now]
    return BoardOverview(
        ctx.board.name,
        ctx.board.timezone,
        upcoming,
        len(open_actions),
        groups,
        tuple(unreachable),
        tuple(reminders),
    )
