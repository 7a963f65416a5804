"""The contract's JSON shapes for actions, members and meetings."""

from __future__ import annotations

from typing import Any

from db.models import Action, AuditEvent, Meeting, Member
from handlers.reach import Reach
from handlers.refs import format_ref


def action_record(action: Action, unique_ref: str | None = None) -> dict[str, Any]:
    ref = format_ref(action.item, action.owner_initials)
    return {
        "ref": ref,
        "unique_ref": unique_ref or ref,
        "item": action.item,
        "meeting": action.meeting.date.isoformat(),
        "owners": action.owner_initials,
        "text": action.text,
        "status": str(action.status),
        "done_at": action.done_at.isoformat() if action.done_at else None,
        "done_by": action.done_by.initials if action.done_by else None,
    }


def member_record(member: Member, reach: Reach | None = None) -> dict[str, Any]:
    record = {
        "initials": member.initials,
        "name": member.name,
        "role": str(member.role),
        "capacity": member.capacity,
        "slack_id": member.slack_id,
        "teams_id": member.teams_id,
        "email": member.email,
        "active": member.active,
    }
    if reach is not None:  # how a nudge would reach them here, or why none can
        record["reached_by"] = reach.channel
        record["reach"] = reach.explanation
    return record


def audit_record(event: AuditEvent, ref: str | None) -> dict[str, Any]:
    """One audit event: when, what, who, through which channel, on which action."""
    return {
        "at": event.at.isoformat(),
        "kind": str(event.kind),
        "by": event.actor_label,
        "channel": event.channel,  # None for events recorded before channels were
        "action": ref,
        "note": event.note,
        "rag": str(event.rag) if event.rag else None,
        "details": event.details,
    }


def meeting_record(meeting: Meeting | None) -> dict[str, Any] | None:
    if meeting is None:
        return None
    return {
        "date": meeting.date.isoformat(),
        "time": meeting.time.strftime("%H:%M") if meeting.time else None,
        "venue": meeting.venue,
        "status": str(meeting.status),
        "minutes_imported_at": (
            meeting.minutes_imported_at.isoformat() if meeting.minutes_imported_at else None
        ),
    }
