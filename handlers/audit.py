"""Every change records who did it, when, and through which channel."""

from __future__ import annotations

from typing import Any

from db.models import Action, AuditEvent, EventKind, Meeting, Member, Rag
from handlers.context import Ctx


def record(
    ctx: Ctx,
    kind: EventKind,
    *,
    action: Action | None = None,
    member: Member | None = None,
    meeting: Meeting | None = None,
    note: str | None = None,
    rag: Rag | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """One audit event on the board of ``member`` (a person's seat may be on another board than
    the request's: each board's trail shows what changed on it), else of the request."""
    event = AuditEvent(
        board_id=member.board_id if member is not None and member.board_id else ctx.board.id,
        at=ctx.now,
        kind=kind,
        actor_id=ctx.caller.member.id if ctx.caller.member else None,
        actor_label=ctx.caller.audit_label,
        channel=str(ctx.caller.channel),
        action_id=action.id if action else None,
        member_id=member.id if member else None,
        meeting_id=meeting.id if meeting else None,
        note=note,
        rag=rag,
        details=details,
    )
    ctx.session.add(event)
    if meeting is not None and kind in (EventKind.MEETING_ADDED, EventKind.MEETING_CHANGED):
        _new_version(meeting, kind, ctx)
    return event


def _new_version(meeting: Meeting, kind: EventKind, ctx: Ctx) -> None:
    """A meeting's calendar event changes with every recorded change to the meeting: its
    SEQUENCE goes up and its LAST-MODIFIED is now. Done here, where every change is recorded,
    so no way of changing a meeting (chat, CLI, import, web, reminders) can forget it."""
    meeting.updated_at = ctx.now
    if kind == EventKind.MEETING_CHANGED:
        meeting.sequence = (meeting.sequence or 0) + 1
