"""The board's calendar: quarterly recurrence, working days and local times.

Every function is pure. Dates are the board's local calendar dates; instants are aware UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from dateutil.rrule import rrulebase, rrulestr


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=8)
def bank_holidays(years: tuple[int, ...]) -> holidays.HolidayBase:
    """England & Wales bank holidays, from the maintained ``holidays`` package."""
    return holidays.country_holidays("GB", subdiv="ENG", years=years)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in bank_holidays((day.year,))


def previous_working_day(day: date) -> date:
    """``day`` itself when it is a working day, else the working day before it."""
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def local_instant(day: date, at: time, tz: str) -> datetime:
    """09:00 on ``day`` in the board's zone, as UTC: 08:00Z in BST, 09:00Z in GMT."""
    return datetime.combine(day, at, tzinfo=zone(tz)).astimezone(UTC)


def local_date(instant: datetime, tz: str) -> date:
    return instant.astimezone(zone(tz)).date()


def meeting_start(day: date, at: time | None, tz: str) -> datetime:
    """When a meeting starts. With no time known, the start of its day, so nothing is sent on it."""
    return local_instant(day, at or time(0, 0), tz)


def next_occurrence(recurrence: str, after: date, anchor: date | None = None) -> date | None:
    """The first date of the RFC 5545 ``recurrence`` strictly after ``after``.

    ``anchor`` is the rule's DTSTART (a known meeting); rules with an INTERVAL count from it.
    """
    start = datetime.combine(anchor or date(after.year - 1, 1, 1), time(0, 0))
    found = _rule(recurrence, start).after(datetime.combine(after, time(23, 59, 59)))
    return found.date() if found else None


@lru_cache(maxsize=256)
def _rule(recurrence: str, start: datetime) -> rrulebase:
    """A parsed rule, kept with the dates it has produced (dateutil's cache, which is
    thread-safe): every `outstanding` and `next` asks for the board's next meeting, and parsing
    the rule and stepping it from its start again cost about 2 ms each time."""
    return rrulestr(recurrence, dtstart=start, cache=True)


@dataclass(frozen=True)
class Slot:
    """One reminder day before a meeting: when it falls and how many days before it nominally is."""

    kind: str  # "nudge" | "digest"
    days_before: int
    at: datetime  # UTC

    @property
    def name(self) -> str:
        return f"{self.kind}-{self.days_before}"


def reminder_slots(
    meeting_day: date,
    *,
    kind: str,
    days_before: Iterable[int],
    at: time,
    tz: str,
) -> list[Slot]:
    """The slots of one kind before a meeting, each moved back to a working day, earliest first.

    Two nominal days can land on the same working day (14 days before a Monday after Easter, and
    so on); they stay two slots so that each keeps its own place in the cycle.
    """
    slots = [
        Slot(kind, days, local_instant(previous_working_day(meeting_day - timedelta(days)), at, tz))
        for days in days_before
    ]
    return sorted(slots, key=lambda slot: (slot.at, -slot.days_before))
