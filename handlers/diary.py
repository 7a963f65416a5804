"""Adding, moving and cancelling meetings. The reminders follow: they are planned from the diary.

A moved meeting keeps its id, so the ledger still knows which of its reminders went out: those
are not sent again, and the rest are planned from the new date. A cancelled meeting gets no
reminders; its open actions carry over to the next meeting.
"""

from __future__ import annotations

from datetime import date, datetime, time

from db import queries
from db.models import EventKind, Meeting, MeetingStatus
from handlers.audit import record
from handlers.context import Ctx
from handlers.errors import NotFound, UserError
from planning.calendar import meeting_start


def _meeting(ctx: Ctx, day: date) -> Meeting:
    meeting = queries.meeting_on(ctx.session, ctx.board, day)
    if meeting is None:
        raise NotFound(f"No meeting is recorded on {day:%A %-d %B %Y}.")
    return meeting


def _starts(ctx: Ctx, day: date, at: time | None) -> datetime:
    return meeting_start(day, at or ctx.board.meeting_time, ctx.board.timezone)


def _started(ctx: Ctx, meeting: Meeting) -> bool:
    return _starts(ctx, meeting.date, meeting.time) <= ctx.now


def add_meeting(
    ctx: Ctx,
    day: date,
    at: time | None = None,
    venue: str | None = None,
    *,
    status: MeetingStatus = MeetingStatus.SCHEDULED,
) -> tuple[Meeting, bool]:
    """Record a meeting, with an audit event. Returns the meeting and whether it is new.

    A tentative meeting already on that date (minutes said "TBC", or the reminders pencilled it
    in from the quarterly cycle) is confirmed rather than refused: that is what the secretariat
    means by adding it.
    """
    existing = queries.meeting_on(ctx.session, ctx.board, day)
    if existing is None:
        meeting = Meeting(
            board_id=ctx.board.id,
            date=day,
            time=at,
            venue=venue,
            status=status,
            created_at=ctx.now,
        )
        ctx.session.add(meeting)
        ctx.session.flush()
        record(ctx, EventKind.MEETING_ADDED, meeting=meeting)
        return meeting, True
    if existing.status != MeetingStatus.TENTATIVE or status == MeetingStatus.TENTATIVE:
        raise UserError(f"A meeting on {day:%A %-d %B %Y} is already recorded.")
    before = {"status": existing.status, "time": existing.time, "venue": existing.venue}
    existing.status = status
    existing.time = at or existing.time
    existing.venue = venue or existing.venue
    after = {"status": existing.status, "time": existing.time, "venue": existing.venue}
    changed = {k: str(v) for k, v in after.items() if before[k] != v}
    record(ctx, EventKind.MEETING_CHANGED, meeting=existing, details=changed)
    return existing, False


def move_meeting(ctx: Ctx, day: date, new_day: date, new_time: time | None = None) -> Meeting:
    meeting = _meeting(ctx, day)
    if meeting.status == MeetingStatus.CANCELLED:
        raise UserError(f"The meeting on {day} is cancelled: add a new one instead.")
    if _started(ctx, meeting):
        raise UserError(f"The meeting on {day} has already started: it can't be moved.")
    start = new_time or meeting.time
    if _starts(ctx, new_day, start) <= ctx.now:
        raise UserError(f"{new_day} is in the past: move the meeting to a future date.")
    other = queries.meeting_on(ctx.session, ctx.board, new_day)
    if other is not None and other.id != meeting.id:
        state = " (cancelled)" if other.status == MeetingStatus.CANCELLED else ""
        raise UserError(f"A meeting on {new_day} is already recorded{state}.")
    if new_day == meeting.date and start == meeting.time:
        raise UserError(f"The meeting is already on {new_day}. Nothing changed.")
    details = {"date": f"{meeting.date} -> {new_day}"}
    if start != meeting.time:
        details["time"] = f"{meeting.time or 'none'} -> {start}"
    meeting.date, meeting.time = new_day, start
    ctx.session.flush()
    record(ctx, EventKind.MEETING_CHANGED, meeting=meeting, details=details)
    return meeting


def cancel_meeting(ctx: Ctx, day: date) -> Meeting:
    meeting = _meeting(ctx, day)
    if meeting.status == MeetingStatus.CANCELLED:
        raise UserError(f"The meeting on {day} is already cancelled.")
    if _started(ctx, meeting):
        raise UserError(f"The meeting on {day} has already started: it can't be cancelled.")
    before = meeting.status
    meeting.status = MeetingStatus.CANCELLED
    record(
        ctx,
        EventKind.MEETING_CHANGED,
        meeting=meeting,
        details={"status": f"{before} -> {MeetingStatus.CANCELLED}"},
    )
    ctx.session.flush()
    return meeting
