"""The audit trail as the secretariat reads it: every change with who, when, how and what,
filtered by who, kind and date, newest first, and as a CSV file. The chair and the secretariat
only: the trail quotes updates, which are action text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from db.models import Action, AuditEvent, EventKind, Meeting, Member
from handlers.context import Ctx
from handlers.errors import UserError
from handlers.export import _csv_safe as csv_safe
from handlers.plain import plain_line
from handlers.refs import format_ref
from planning.calendar import local_instant, zone

_MIDNIGHT = time(0, 0)
PAGE = 200  # the newest shown on a page; the CSV has them all

KIND_NAMES = {
    EventKind.CREATED: "action added",
    EventKind.DONE: "action done",
    EventKind.REOPENED: "action reopened",
    EventKind.NOTE: "update",
    EventKind.REASSIGNED: "action reassigned",
    EventKind.IMPORTED: "action imported",
    EventKind.STATUS_FROM_MINUTES: "status from minutes",
    EventKind.MEMBER_ADDED: "member added",
    EventKind.MEMBER_CHANGED: "member changed",
    EventKind.MEMBER_LINKED: "member linked",
    EventKind.MEETING_ADDED: "meeting added",
    EventKind.MEETING_CHANGED: "meeting changed",
    EventKind.BOARD_CHANGED: "settings changed",
    EventKind.CALENDAR_FEED: "calendar address",
}
CHANNEL_NAMES = {  # handlers.identity.Via, as people say it
    "slack": "Slack",
    "teams": "Teams",
    "console": "console",
    "cli": "command line",
    "web": "web",
    "email link": "email link",
    "email": "email",
    "import": "import",
    "system": "the bot itself",
}


@dataclass(frozen=True)
class AuditFilter:
    who: str | None = None  # initials, or a label such as "cli"
    kind: str | None = None  # an EventKind value
    since: date | None = None  # local dates, both inclusive
    until: date | None = None

    def __post_init__(self) -> None:
        if self.kind is not None and self.kind not in set(EventKind):
            raise UserError(f"“{plain_line(self.kind)[:30]}” is not a kind of change.")
        if self.since and self.until and self.since > self.until:
            raise UserError("The first date comes after the last: swap them.")


@dataclass(frozen=True)
class AuditRow:
    at: datetime  # local time, in the board's zone
    who: str
    how: str
    kind: str
    what: str


def audit_rows(
    ctx: Ctx, wanted: AuditFilter, limit: int | None = PAGE, offset: int = 0
) -> tuple[list[AuditRow], int]:
    """The matching changes, newest first (at most ``limit``, after skipping ``offset`` newer
    ones: a page), and how many match in all."""
    ctx.require_officer("read the audit trail")
    query = _filtered(ctx, wanted)
    total = ctx.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ordered = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).options(
        selectinload(AuditEvent.actor)
    )
    if limit is not None:
        ordered = ordered.limit(limit)
    events = ctx.session.scalars(ordered.offset(offset)).all()
    return _rows(ctx, events), total


def _filtered(ctx: Ctx, wanted: AuditFilter) -> Select[tuple[AuditEvent]]:
    query = select(AuditEvent).where(AuditEvent.board_id == ctx.board.id)
    if wanted.who:
        typed = plain_line(wanted.who)
        actor_ids = select(Member.id).where(
            Member.board_id == ctx.board.id, func.upper(Member.initials) == typed.upper()
        )
        query = query.where(
            or_(AuditEvent.actor_id.in_(actor_ids), AuditEvent.actor_label == typed)
        )
    if wanted.kind:
        query = query.where(AuditEvent.kind == wanted.kind)
    tz = ctx.board.timezone
    if wanted.since:
        query = query.where(AuditEvent.at >= local_instant(wanted.since, _MIDNIGHT, tz))
    if wanted.until:
        next_day = wanted.until + timedelta(days=1)
        query = query.where(AuditEvent.at < local_instant(next_day, _MIDNIGHT, tz))
    return query


def _rows(ctx: Ctx, events: Sequence[AuditEvent]) -> list[AuditRow]:
    actions = _by_id(ctx, Action, {e.action_id for e in events if e.action_id})
    members = _by_id(ctx, Member, {e.member_id for e in events if e.member_id})
    meetings = _by_id(ctx, Meeting, {e.meeting_id for e in events if e.meeting_id})
    tz = zone(ctx.board.timezone)
    return [
        AuditRow(
            at=event.at.astimezone(tz),
            who=_who(event),
            how=_how(event),
            kind=KIND_NAMES.get(EventKind(event.kind), str(event.kind)),
            what=_what(event, actions, members, meetings),
        )
        for event in events
    ]


def _by_id(ctx: Ctx, model: Any, ids: set[int]) -> dict[int, Any]:
    if not ids:
        return {}
    return {row.id: row for row in ctx.session.scalars(select(model).where(model.id.in_(ids)))}


def _who(event: AuditEvent) -> str:
    if event.actor is not None:
        return f"{event.actor.name} ({event.actor.initials})"
    return event.actor_label


def _how(event: AuditEvent) -> str:
    channel = event.channel
    if channel is None and event.actor_id is None:  # before channels were kept: the label says
        channel = event.actor_label.split(":", 1)[0]
    if channel is None:
        return "not recorded"
    return CHANNEL_NAMES.get(channel, channel)


def _what(
    event: AuditEvent,
    actions: dict[int, Action],
    members: dict[int, Member],
    meetings: dict[int, Meeting],
) -> str:
    parts = []
    if event.action_id in actions:
        action = actions[event.action_id]
        parts.append(f"{format_ref(action.item, action.owner_initials)} “{_short(action.text)}”")
    if event.member_id in members:
        member = members[event.member_id]
        parts.append(f"{member.name} ({member.initials})")
    if event.meeting_id in meetings:
        parts.append(f"meeting of {meetings[event.meeting_id].date:%-d %B %Y}")
    if event.details:
        parts.append(
            ", ".join(f"{k.replace('_', ' ')}: {_value(v)}" for k, v in event.details.items())
        )
    if event.note:
        rag = f"[{event.rag.upper()}] " if event.rag else ""
        parts.append(f"{rag}{event.note}")
    return plain_line(" — ".join(parts)) or "—"


def _value(value: Any) -> str:
    if isinstance(value, list):
        return "/".join(str(v) for v in value) or "nobody"
    return str(value)


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def audit_csv(rows: Sequence[AuditRow]) -> str:
    """The rows as CSV: one line each, cells that a spreadsheet would run made inert."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["When", "Who", "How", "Kind", "What"])
    for row in rows:
        cells = [row.at.strftime("%Y-%m-%d %H:%M"), row.who, row.how, row.kind, row.what]
        writer.writerow([csv_safe(cell) for cell in cells])
    return out.getvalue()
