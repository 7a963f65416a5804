"""The next meeting: the next one recorded, or else the next date of the board's recurrence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy.orm import Session

from db import queries
from db.models import Board, Meeting, MeetingStatus
from scheduler.calendar import local_date, meeting_start, next_occurrence


@dataclass(frozen=True)
class NextMeeting:
    date: date
    time: time | None
    venue: str | None
    status: MeetingStatus
    recorded: bool  # False: projected from the board's recurrence, not yet in the diary
    meeting: Meeting | None = None

    def starts_at(self, board: Board) -> datetime:
        return meeting_start(self.date, self.time or board.meeting_time, board.timezone)

    def describe(self) -> str:
        when = f"{self.date:%A %-d %B %Y}"
        if self.time:
            when += f" at {self.time:%H:%M}"
        if self.venue:
            when += f", {self.venue}"
        if self.status == MeetingStatus.TENTATIVE:
            when += " (to be confirmed)"
        if not self.recorded:
            when += " (expected from the quarterly cycle; not yet in the diary)"
        return when


def next_meeting(session: Session, board: Board, now: datetime) -> NextMeeting | None:
    """The first meeting that has not yet started at ``now``."""
    today = local_date(now, board.timezone)
    for meeting in queries.upcoming_meetings(session, board, today):
        if meeting_start(meeting.date, meeting.time or board.meeting_time, board.timezone) > now:
            return NextMeeting(
                meeting.date, meeting.time, meeting.venue, meeting.status, True, meeting
            )
    last = queries.latest_meeting_before(session, board, today)
    projected = next_occurrence(board.recurrence, today, last.date if last else None)
    if projected is None:
        return None
    return NextMeeting(projected, board.meeting_time, None, MeetingStatus.SCHEDULED, False)
