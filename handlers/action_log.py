"""The action log as the web desk shows it: a filtered listing, and each action with its history.

Reading only: every change goes through ``handlers.actions``, the same code chat uses. Each action
comes with its ``version`` (what a form carries back) and what the caller may do to it, so a page
offers only the forms that would be accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from db import queries
from db.models import Action, ActionStatus, AuditEvent, EventKind, Meeting, Member
from handlers.actions import version
from handlers.context import Ctx
from handlers.errors import NotFound
from handlers.reply import ActionView
from handlers.views import listed_views, may_change

UNOWNED = "?"  # the owner filter for actions an import could not give an owner (``03-?``)
STATUSES = ("open", "done", "all")


@dataclass(frozen=True)
class ActionFilter:
    """What the listing shows: a status ("open", "done", "all"), an owner's initials (or ``?``
    for no owner) and the ISO date of the meeting that raised the actions."""

    status: str = "open"
    owner: str | None = None
    meeting: date | None = None


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class ActionLog:
    filter: ActionFilter
    actions: tuple[tuple[int, ActionView], ...]  # (action id, view), in minutes order
    owners: tuple[Choice, ...]  # what the owner filter offers
    meetings: tuple[Choice, ...]  # what the meeting filter offers, newest first
    errors: dict[str, str] = field(default_factory=dict)  # filter field -> what was wrong


def action_log(
    ctx: Ctx, status: str | None = None, owner: str | None = None, meeting: str | None = None
) -> ActionLog:
    """The board's actions filtered as asked. A filter that names nothing known is reported in
    ``errors`` and left out, so the page still lists what it can."""
    ctx.require_member()
    errors: dict[str, str] = {}
    members = queries.members(ctx.session, ctx.board)
    meetings = queries.meetings(ctx.session, ctx.board)
    wanted_status = (status or "open").strip().lower()
    if wanted_status not in STATUSES:
        errors["status"] = "Choose open, done or all"
        wanted_status = "open"
    owner_member, owner_key = _owner(owner, members, errors)
    meeting_row, meeting_day = _meeting(meeting, meetings, errors)
    listed = queries.listed_actions(
        ctx.session,
        ctx.board,
        status=None if wanted_status == "all" else ActionStatus(wanted_status),
        owner=owner_member,
        meeting=meeting_row,
        unowned=owner_key == UNOWNED,
    )
    views = listed_views(ctx, listed, with_buttons=False)
    return ActionLog(
        filter=ActionFilter(wanted_status, owner_key, meeting_day),
        actions=tuple((action.id, view) for action, view in zip(listed, views, strict=True)),
        owners=(
            *(Choice(m.initials, f"{m.name} ({m.initials})") for m in members),
            Choice(UNOWNED, "No owner"),
        ),
        meetings=tuple(
            Choice(m.date.isoformat(), f"{m.date:%-d %B %Y}") for m in reversed(meetings)
        ),
        errors=errors,
    )


def _owner(
    typed: str | None, members: list[Member] | Any, errors: dict[str, str]
) -> tuple[Member | None, str | None]:
    wanted = (typed or "").strip().upper()
    if not wanted:
        return None, None
    if wanted == UNOWNED:
        return None, UNOWNED
    for member in members:
        if member.initials == wanted:
            return member, wanted
    errors["owner"] = f"No member has the initials {wanted[:10]}"
    return None, None


def _meeting(
    typed: str | None, meetings: list[Meeting] | Any, errors: dict[str, str]
) -> tuple[Meeting | None, date | None]:
    if not (typed or "").strip():
        return None, None
    try:
        day = date.fromisoformat((typed or "").strip())
    except ValueError:
        errors["meeting"] = "Give the meeting's date as YYYY-MM-DD"
        return None, None
    for meeting in meetings:
        if meeting.date == day:
            return meeting, day
    errors["meeting"] = f"No meeting is recorded on {day:%-d %B %Y}"
    return None, None


# ---------------------------------------------------------------- one action


@dataclass(frozen=True)
class Happening:
    """One line of an action's history, from its audit event."""

    at: datetime
    who: str  # "Claire Richardson (CR)", or the label of whoever had no member: "cli"
    how: str | None  # the channel: "slack", "web", "import"… (None before it was recorded)
    what: str  # "Marked done", "Reassigned from DP to CR", "Update"
    note: str | None = None
    rag: str | None = None


@dataclass(frozen=True)
class ActionRecord:
    """An action's page: the action, its updates (newest first), its history (oldest first),
    and what the caller may do to it."""

    id: int
    version: str
    view: ActionView
    meeting: date
    closed_session: bool
    updates: tuple[Happening, ...]
    history: tuple[Happening, ...]
    may_change: bool  # done, reopen, update: its owners, the chair and the secretariat
    may_manage: bool  # reassign, give an owner, edit the text: the chair and the secretariat
    members: tuple[Choice, ...]  # who it may be given to
    timezone: str  # the board's, for showing when things happened


def action_record(ctx: Ctx, action_id: int) -> ActionRecord:
    """One action of the board, by id, for any member of the board."""
    member = ctx.require_member()
    action = ctx.session.get(Action, action_id, options=(joinedload(Action.meeting),))
    if action is None or action.board_id != ctx.board.id:
        raise NotFound(f"There is no action #{action_id} on {ctx.board.name}.")
    (view,) = listed_views(
        ctx, queries.listed_actions(ctx.session, ctx.board, ids=[action.id]), with_buttons=False
    )
    events = ctx.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action_id == action.id)
        .options(joinedload(AuditEvent.actor))
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    meeting_ids = {event.meeting_id for event in events if event.meeting_id}
    rows = ctx.session.execute(select(Meeting.id, Meeting.date).where(Meeting.id.in_(meeting_ids)))
    dates: dict[int, date] = {meeting_id: day for meeting_id, day in rows}
    history = tuple(_happening(event, dates.get(event.meeting_id or 0)) for event in events)
    updates = tuple(
        h for h, e in zip(history, events, strict=True) if e.note and e.kind in _UPDATE_KINDS
    )
    return ActionRecord(
        id=action.id,
        version=version(ctx, action),
        view=view,
        meeting=action.meeting.date,
        closed_session=action.closed_session,
        updates=tuple(reversed(updates)),
        history=history,
        may_change=may_change(member, action),
        may_manage=member.is_officer,
        members=tuple(
            Choice(m.initials, f"{m.name} ({m.initials})")
            for m in queries.members(ctx.session, ctx.board)
            if m.active
        ),
        timezone=ctx.board.timezone,
    )


_UPDATE_KINDS = (EventKind.NOTE, EventKind.DONE, EventKind.STATUS_FROM_MINUTES)


def _happening(event: AuditEvent, meeting: date | None) -> Happening:
    actor = event.actor
    return Happening(
        at=event.at,
        who=f"{actor.name} ({actor.initials})" if actor else event.actor_label,
        how=event.channel or _channel_from_label(event.actor_label),
        what=_what(event, meeting),
        note=event.note,
        rag=event.rag,
    )


def _channel_from_label(label: str) -> str | None:
    """Events recorded before the audit trail kept its channel (revision 0006): the label
    often says it."""
    prefix = label.split(":", 1)[0]
    return prefix if prefix in ("cli", "import", "slack", "teams", "console", "email") else None


def _what(event: AuditEvent, day: date | None) -> str:
    details = event.details or {}
    meeting = f" of {day:%-d %B %Y}" if day else ""
    match event.kind:
        case EventKind.CREATED:
            owners = "/".join(details.get("owners", []))
            return f"Added for {owners}" if owners else "Added"
        case EventKind.IMPORTED:
            return f"Imported from the minutes{meeting}"
        case EventKind.DONE:
            return "Marked done"
        case EventKind.REOPENED:
            return "Reopened"
        case EventKind.NOTE:
            return f"Update from the minutes{meeting}" if day else "Update"
        case EventKind.STATUS_FROM_MINUTES:
            return f"Closed by the minutes{meeting}"
        case EventKind.REASSIGNED:
            return _reassigned(details)
        case EventKind.TEXT_EDITED:
            return f"Text changed from “{details.get('from', '')}”"
    return str(event.kind).replace("_", " ").capitalize()


def _reassigned(details: dict[str, Any]) -> str:
    def owners(value: object) -> str:
        return "/".join(value) if isinstance(value, list) else str(value or "")

    before, after = owners(details.get("from")), owners(details.get("to"))
    return f"Reassigned from {before} to {after}" if before else f"Given to {after}"
