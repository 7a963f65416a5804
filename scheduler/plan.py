"""Reminder planning: pure functions of the board's settings, its meetings and its actions."""

from __future__ import annotations

from datetime import date

from db.models import Board
from scheduler.calendar import Slot, reminder_slots


def slots_for(board: Board, meeting_day: date) -> list[Slot]:
    """Every nudge and digest slot before a meeting, earliest first."""
    nudges = reminder_slots(
        meeting_day,
        kind="nudge",
        days_before=board.reminder_day_list(),
        at=board.reminder_time,
        tz=board.timezone,
    )
    digests = reminder_slots(
        meeting_day,
        kind="digest",
        days_before=board.digest_day_list(),
        at=board.reminder_time,
        tz=board.timezone,
    )
    return sorted(nudges + digests, key=lambda slot: (slot.at, slot.kind != "digest"))
