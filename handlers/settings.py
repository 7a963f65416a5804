"""The board's own settings: when it meets (its recurrence and usual start time) and when owners
are reminded (reminder days, digest days, time of day). The chair and the secretariat only.

The recurrence is stored as an RFC 5545 rule; people choose it as a ``Cadence`` ("the last
Wednesday of February, May, August and November"), and a rule that is no cadence is kept as
written. A setting that the environment sets at every start (``CRB_REMINDER_DAYS`` …) can't be
changed here: the next start would undo it, so the refusal says where to change it.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from dateutil.rrule import rrulestr

from db.models import EventKind, parse_day_list
from handlers.audit import record
from handlers.context import Ctx
from handlers.errors import UserError
from handlers.marking import board_marking, set_board_marking
from handlers.plain import plain_line
from planning.calendar import next_occurrence, zone

_ANCHOR = datetime(2000, 1, 1)
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
ENVIRONMENT = {
    "timezone": "CRB_TIMEZONE",
    "reminder_days": "CRB_REMINDER_DAYS",
    "reminder_time": "CRB_REMINDER_TIME",
}
_CADENCE = re.compile(
    r"^FREQ=YEARLY;BYMONTH=(?P<months>[\d,]+);BYDAY=(?P<ord>-?\d)(?P<day>[A-Z]{2})$"
)


@dataclass(frozen=True)
class Cadence:
    """The board meets on the ``ordinal`` ``weekday`` (0 = Monday) of each of ``months``."""

    months: tuple[int, ...]
    ordinal: int  # 1..4, or -1 for the last
    weekday: int

    def rule(self) -> str:
        months = ",".join(str(m) for m in self.months)
        return f"FREQ=YEARLY;BYMONTH={months};BYDAY={self.ordinal}{WEEKDAYS[self.weekday]}"

    def describe(self) -> str:
        names = [calendar.month_name[m] for m in self.months]
        listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
        day = calendar.day_name[self.weekday]
        return f"the {ORDINALS[self.ordinal]} {day} of {listed}"

    @classmethod
    def of(cls, rule: str) -> Cadence | None:
        """The cadence a stored rule is, or None for any other rule."""
        match = _CADENCE.match(rule.strip().upper())
        if match is None or int(match["ord"]) not in ORDINALS or match["day"] not in WEEKDAYS:
            return None
        months = tuple(sorted({int(m) for m in match["months"].split(",") if m}))
        if not months or not all(1 <= m <= 12 for m in months):
            return None
        return cls(months, int(match["ord"]), WEEKDAYS.index(match["day"]))


def describe_recurrence(rule: str) -> str:
    cadence = Cadence.of(rule)
    return cadence.describe() if cadence else f"the rule {rule}"


def check_recurrence(rule: str) -> str:
    """An RFC 5545 rule that gives dates, else a friendly refusal."""
    rule = plain_line(rule).upper().removeprefix("RRULE:")
    if not rule:
        raise UserError("Say when the board meets.")
    try:
        parsed = rrulestr(rule, dtstart=_ANCHOR)
        first = parsed.after(_ANCHOR)
    except (ValueError, TypeError) as error:
        raise UserError(f"“{rule[:80]}” is not a recurrence rule I can read: {error}.") from error
    if first is None:
        raise UserError(f"“{rule[:80]}” gives no future dates.")
    return rule


def check_days(text: str, what: str) -> str:
    """ "14, 7, 1" -> "14,7,1": whole days before the meeting, 0 to 90."""
    try:
        days = parse_day_list(text)
    except ValueError as error:
        raise UserError(f"{what} must be whole numbers of days, like 14,7,1.") from error
    if not days:
        raise UserError(f"Give at least one day for {what.lower()}.")
    if any(day < 0 or day > 90 for day in days):
        raise UserError(f"{what} must be between 0 and 90 days before the meeting.")
    return ",".join(str(day) for day in days)


def change_settings(ctx: Ctx, *, pinned: Collection[str] = (), **changes: Any) -> list[str]:
    """Change the given settings; returns what changed, as "reminder days: 14,7,1 -> 10,3".

    ``pinned``: the settings the environment sets at every start (``Config.board_settings``).
    Accepted: recurrence, meeting_time, reminder_days, digest_days, reminder_time.
    """
    ctx.require_officer("change the board's settings")
    checked = {name: _checked(name, value) for name, value in changes.items()}
    changed = {name: value for name, value in checked.items() if getattr(ctx.board, name) != value}
    for name in changed:
        if name in pinned:
            raise UserError(
                f"{ENVIRONMENT.get(name, name)} is set in this server's environment, and sets "
                f"the {name.replace('_', ' ')} at every start: change it there."
            )
    details = {
        name: f"{_shown(getattr(ctx.board, name))} -> {_shown(v)}" for name, v in changed.items()
    }
    for name, value in changed.items():
        setattr(ctx.board, name, value)
    if details:
        ctx.session.flush()
        record(ctx, EventKind.BOARD_CHANGED, details=details)
    return [f"{name.replace('_', ' ')}: {change}" for name, change in details.items()]


def _checked(name: str, value: Any) -> Any:
    if name == "recurrence":
        return check_recurrence(value)
    if name == "reminder_days":
        return check_days(value, "Reminder days")
    if name == "digest_days":
        return check_days(value, "Digest days")
    if name == "reminder_time":
        if not isinstance(value, time):
            raise UserError("Give the reminders' time of day, like 09:00.")
        return value
    if name == "meeting_time":
        if value is not None and not isinstance(value, time):
            raise UserError("Give the meetings' usual start time, like 10:00.")
        return value
    raise UserError(f"The board has no setting called {name}.")


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, time):
        return f"{value:%H:%M}"
    return str(value)


def upcoming_dates(rule: str, after: date, count: int = 4) -> list[date]:
    """The next few dates a rule gives: shown beside the choice, so that it can be checked."""
    found: list[date] = []
    day: date | None = after
    while len(found) < count and day is not None:
        day = next_occurrence(rule, day)
        if day is not None:
            found.append(day)
    return found


@dataclass(frozen=True)
class SettingsView:
    """The board's settings as the desk shows and edits them."""

    recurrence: str
    cadence: Cadence | None  # None: a rule the cadence form can't show
    described: str
    upcoming: tuple[date, ...]
    meeting_time: time | None
    reminder_days: str
    digest_days: str
    reminder_time: time
    timezone: str
    marking: str | None  # what every paper, event, email and page carries
    marking_by_hand: bool  # False: it follows the latest minutes

    @property
    def upcoming_text(self) -> str:
        return ", ".join(f"{day:%a %-d %b %Y}" for day in self.upcoming) or "None"


def board_settings(ctx: Ctx) -> SettingsView:
    board = ctx.board
    today = ctx.now.astimezone(zone(board.timezone)).date()
    return SettingsView(
        board.recurrence,
        Cadence.of(board.recurrence),
        describe_recurrence(board.recurrence),
        tuple(upcoming_dates(board.recurrence, today)),
        board.meeting_time,
        board.reminder_days,
        board.digest_days,
        board.reminder_time,
        board.timezone,
        board_marking(ctx.session, board),
        bool(board.marking_by_hand),
    )


def change_marking(ctx: Ctx, marking: str) -> list[str]:
    """The marking by hand ("" follows the minutes again), as ``change_settings`` reports."""
    ctx.require_officer("change the board's protective marking")
    before = board_marking(ctx.session, ctx.board)
    if not set_board_marking(ctx, marking):
        return []
    after = board_marking(ctx.session, ctx.board)
    return [f"protective marking: {before or 'none'} -> {after or 'none'}"]
