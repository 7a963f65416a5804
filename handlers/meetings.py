"""The next meeting: the next one recorded, or else the next date of the board's recurrence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy.orm import Session

from db import queries
from db.models import Board, Meeting, MeetingStatus
from planning import plan


@dataclass(frozen=True)
class NextMeeting:
    date: date
    time: time | None
    venue: str | None
    status: MeetingStatus
    recorded: bool  # False: projected from the board's recurrence, not yet in the diary
    meeting: Meeting | None = None

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
    """The first meeting that has not yet started at ``now`` (the reminders' rule, shared)."""
    recorded = {meeting.id: meeting for meeting in queries.meetings(session, board)}
    found = plan.next_meeting(board, [plan.MeetingFact.of(m) for m in recorded.values()], now)
    if found is None:
        return None
    if found.id is None:
        return NextMeeting(found.date, board.meeting_time, None, MeetingStatus.SCHEDULED, False)
    meeting = recorded[found.id]
    return NextMeeting(meeting.date, meeting.time, meeting.venue, meeting.status, True, meeting)
