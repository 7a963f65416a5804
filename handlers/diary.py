"""Adding, moving, changing, cancelling and restoring meetings. The reminders follow: they are
planned from the diary.

A moved meeting keeps its id, so the ledger still knows which of its reminders went out: those
are not sent again, and the rest are planned from the new date. A cancelled meeting gets no
reminders; its open actions carry over to the next meeting. A restored one gets its remaining
reminders again (those already sent stay sent).

``add_meeting`` is also the import's; the others, and ``new_meeting``, are the chair's and the
secretariat's (or the command line's) only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from db import queries
from db.models import EventKind, Meeting, MeetingStatus
from handlers.audit import record
from handlers.context import Ctx
from handlers.errors import NotFound, UserError
from handlers.plain import plain_or_none
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


def new_meeting(
    ctx: Ctx, day: date, at: time | None = None, venue: str | None = None
) -> tuple[Meeting, bool]:
    """The secretariat records a meeting (or confirms a tentative one): ``add_meeting``, checked."""
    ctx.require_officer("add meetings")
    return add_meeting(ctx, day, at, plain_or_none(venue))


def move_meeting(ctx: Ctx, day: date, new_day: date, new_time: time | None = None) -> Meeting:
    ctx.require_officer("move meetings")
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
    """Cancel a meeting. One in the past can be cancelled too, while nothing says it was held
    (no minutes imported, no action raised at it): it was entered and then did not happen."""
    ctx.require_officer("cancel meetings")
    meeting = _meeting(ctx, day)
    if meeting.status == MeetingStatus.CANCELLED:
        raise UserError(f"The meeting on {day:%-d %B %Y} is already cancelled.")
    if _started(ctx, meeting) and (held := _why_held(meeting)):
        raise UserError(f"The meeting on {day:%-d %B %Y} was held ({held}): it can't be cancelled.")
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


def _why_held(meeting: Meeting) -> str | None:
    if meeting.minutes_imported_at is not None or meeting.status == MeetingStatus.HELD:
        return "its minutes were imported"
    if meeting.actions:
        return "actions were raised at it"
    return None


def awaiting_minutes(ctx: Ctx, meeting: Meeting) -> bool:
    """A meeting that has started and is still only scheduled: held, as far as anyone said, but
    with no minutes yet (or entered by mistake, and then to be cancelled)."""
    return (
        meeting.status in (MeetingStatus.SCHEDULED, MeetingStatus.TENTATIVE)
        and meeting.minutes_imported_at is None
        and _started(ctx, meeting)
    )


def restore_meeting(ctx: Ctx, day: date) -> Meeting:
    """Undo a cancellation: the meeting is scheduled again, and its reminders still to come go."""
    ctx.require_officer("restore meetings")
    meeting = _meeting(ctx, day)
    if meeting.status != MeetingStatus.CANCELLED:
        raise UserError(f"The meeting on {day:%-d %B %Y} is not cancelled. Nothing changed.")
    meeting.status = MeetingStatus.SCHEDULED
    ctx.session.flush()
    record(
        ctx,
        EventKind.MEETING_CHANGED,
        meeting=meeting,
        details={"status": f"{MeetingStatus.CANCELLED} -> {MeetingStatus.SCHEDULED}"},
    )
    return meeting


KEEP = object()  # edit_meeting: leave this field as it is


def edit_meeting(ctx: Ctx, day: date, *, at: object = KEEP, venue: object = KEEP) -> Meeting:
    """Change a meeting's start time or venue (None clears it). Its date: ``move_meeting``."""
    ctx.require_officer("change meetings")
    meeting = _meeting(ctx, day)
    if meeting.status == MeetingStatus.CANCELLED:
        raise UserError(f"The meeting on {day:%-d %B %Y} is cancelled: restore it first.")
    details = {}
    if at is not KEEP and at != meeting.time:
        assert at is None or isinstance(at, time)
        if not _started(ctx, meeting) and _starts(ctx, meeting.date, at) <= ctx.now:
            raise UserError(f"{_hhmm(at)} on {day:%-d %B %Y} has passed: choose a later time.")
        details["time"] = f"{_hhmm(meeting.time)} -> {_hhmm(at)}"
        meeting.time = at
    if venue is not KEEP:
        cleaned = plain_or_none(venue) if isinstance(venue, str) else None
        if cleaned != meeting.venue:
            details["venue"] = f"{meeting.venue or 'none'} -> {cleaned or 'none'}"
            meeting.venue = cleaned
    if not details:
        raise UserError(f"The meeting on {day:%-d %B %Y} already has that time and venue.")
    ctx.session.flush()
    record(ctx, EventKind.MEETING_CHANGED, meeting=meeting, details=details)
    return meeting


def _hhmm(at: time | None) -> str:
    return f"{at:%H:%M}" if at else "none"


# ---------------------------------------------------------------- reading, for the desk


@dataclass(frozen=True)
class MeetingRow:
    """A meeting as the desk lists it, with what may be done to it now."""

    date: date
    time: time | None
    venue: str | None
    status: str  # "scheduled" | "tentative" | "held" | "cancelled"
    state: str  # what the secretariat reads: "to be confirmed", "awaiting minutes" …
    actions: int
    upcoming: bool  # not started yet: may be moved
    cancellable: bool
    restorable: bool

    @property
    def key(self) -> str:
        return self.date.isoformat()


def meeting_rows(ctx: Ctx) -> list[MeetingRow]:
    """Every recorded meeting, newest first."""
    ctx.require_officer("see the meetings")
    rows = []
    for meeting in reversed(queries.meetings(ctx.session, ctx.board)):
        started = _started(ctx, meeting)
        cancelled = meeting.status == MeetingStatus.CANCELLED
        rows.append(
            MeetingRow(
                meeting.date,
                meeting.time,
                meeting.venue,
                str(meeting.status),
                _state(ctx, meeting),
                len(meeting.actions),
                not started and not cancelled,
                not cancelled and not (started and _why_held(meeting)),
                cancelled,
            )
        )
    return rows


def meeting_row(ctx: Ctx, day: date) -> MeetingRow:
    _meeting(ctx, day)
    return next(row for row in meeting_rows(ctx) if row.date == day)


def _state(ctx: Ctx, meeting: Meeting) -> str:
    if meeting.status == MeetingStatus.CANCELLED:
        return "cancelled"
    if meeting.minutes_imported_at is not None or meeting.status == MeetingStatus.HELD:
        return "held, minutes imported"
    if awaiting_minutes(ctx, meeting):
        return "held? awaiting minutes"
    if meeting.status == MeetingStatus.TENTATIVE:
        return "to be confirmed"
    return "scheduled"
