"""The board's meetings as an iCalendar feed that calendar clients can trust.

- Each meeting's UID comes from its id (and its board's), never its date: a moved meeting is the
  same event moved, not a new one beside the old.
- SEQUENCE counts the meeting's recorded changes and LAST-MODIFIED (and DTSTAMP, which a feed
  with no METHOD equates with it) is the latest: a client knows which version is newer.
- A cancelled meeting stays in the feed with STATUS:CANCELLED and "Cancelled:" in its title, so
  a subscribed calendar removes or strikes it, and a client that ignores STATUS still says so.
- The board's protective marking opens every description, and the event is CLASS:PRIVATE when
  there is one. No action text goes in: the feed may be shared more widely than the board.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar

from db import queries
from db.models import Board, Meeting, MeetingStatus
from handlers.context import Ctx
from handlers.marking import board_marking
from planning.calendar import zone

MEETING_LENGTH = timedelta(hours=2)  # the calendar's guess when the minutes give no end time

_ICS_STATUS = {
    MeetingStatus.CANCELLED: "CANCELLED",
    MeetingStatus.TENTATIVE: "TENTATIVE",
    MeetingStatus.SCHEDULED: "CONFIRMED",
    MeetingStatus.HELD: "CONFIRMED",
}


def meetings_calendar(ctx: Ctx) -> bytes:
    """Every recorded meeting, cancelled ones included, in the board's time zone. A meeting with
    no known start time is an all-day event."""
    tz = zone(ctx.board.timezone)
    marking = board_marking(ctx.session, ctx.board)
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//crb-bot//Board meetings//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"{ctx.board.name} meetings")
    calendar.add("x-wr-timezone", ctx.board.timezone)
    for meeting in queries.meetings(ctx.session, ctx.board):
        calendar.add_component(_event(ctx.board, meeting, tz, marking))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def meeting_uid(board: Board, meeting: Meeting) -> str:
    """The meeting's id, its board's, and when the board was created: the same for the
    meeting's whole life (a backup restored elsewhere included), and no other installation's."""
    return f"meeting-{meeting.id}-board-{board.id}-{board.created_at:%Y%m%dT%H%M%S}@crb-bot"


def _event(board: Board, meeting: Meeting, tz: ZoneInfo, marking: str | None) -> icalendar.Event:
    event = icalendar.Event()
    changed = (meeting.updated_at or meeting.created_at).astimezone(UTC)
    event.add("uid", meeting_uid(board, meeting))
    event.add("dtstamp", changed)
    event.add("last-modified", changed)
    event.add("sequence", meeting.sequence or 0)
    event.add("summary", _title(board, meeting))
    start_time: time | None = meeting.time or board.meeting_time
    if start_time is None:
        event.add("dtstart", meeting.date)
        event.add("dtend", meeting.date + timedelta(days=1))
    else:
        start = datetime.combine(meeting.date, start_time, tzinfo=tz)
        event.add("dtstart", start)
        event.add("dtend", start + MEETING_LENGTH)
    if meeting.venue:
        event.add("location", meeting.venue)
    event.add("status", _ICS_STATUS.get(MeetingStatus(meeting.status), "CONFIRMED"))
    event.add("class", "PRIVATE" if marking else "PUBLIC")
    event.add("description", _description(board, meeting, marking))
    return event


def _title(board: Board, meeting: Meeting) -> str:
    title = f"{board.name} meeting"
    if meeting.status == MeetingStatus.CANCELLED:
        return f"Cancelled: {title}"
    if meeting.status == MeetingStatus.TENTATIVE:
        return f"{title} (to be confirmed)"
    return title


def _description(board: Board, meeting: Meeting, marking: str | None) -> str:
    said = {
        MeetingStatus.CANCELLED: "This meeting is cancelled.",
        MeetingStatus.TENTATIVE: "The date is to be confirmed.",
        MeetingStatus.HELD: "This meeting has been held.",
    }.get(MeetingStatus(meeting.status))
    lines = [marking, f"{board.name} meeting.", said]
    if meeting.venue:
        lines.append(f"Venue: {meeting.venue}.")
    return "\n".join(line for line in lines if line)
