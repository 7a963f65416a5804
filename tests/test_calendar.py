"""The quarterly calendar: recurrence, working days, bank holidays and local times."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from db.models import DEFAULT_RECURRENCE
from planning.calendar import (
    is_working_day,
    local_instant,
    next_occurrence,
    previous_working_day,
    reminder_slots,
)

LONDON = "Europe/London"


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (date(2020, 11, 24), date(2020, 11, 25)),
        (date(2020, 11, 25), date(2021, 2, 24)),
        (date(2021, 2, 24), date(2021, 5, 26)),
        (date(2021, 5, 26), date(2021, 8, 25)),
        (date(2026, 11, 23), date(2026, 11, 25)),
    ],
)
def test_default_recurrence_is_the_last_wednesday_of_each_quarter(
    after: date, expected: date
) -> None:
    assert next_occurrence(DEFAULT_RECURRENCE, after) == expected


def test_a_custom_rule_counts_from_its_anchor() -> None:
    # Every three months from the June 2020 meeting: the last Wednesday of Jun, Sep, Dec, Mar.
    rule = "FREQ=MONTHLY;INTERVAL=3;BYDAY=-1WE"
    assert next_occurrence(rule, date(2020, 6, 24), anchor=date(2020, 6, 24)) == date(2020, 9, 30)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2021, 4, 2), False),  # Good Friday
        (date(2021, 4, 5), False),  # Easter Monday
        (date(2020, 12, 25), False),  # Christmas Day
        (date(2020, 12, 28), False),  # Boxing Day, substitute
        (date(2021, 4, 10), False),  # Saturday
        (date(2021, 4, 1), True),
        (date(2021, 3, 17), True),  # St Patrick's Day is not an England & Wales holiday
    ],
)
def test_working_days(day: date, working: bool) -> None:
    assert is_working_day(day) is working


def test_previous_working_day_skips_the_christmas_break() -> None:
    assert previous_working_day(date(2020, 12, 28)) == date(2020, 12, 24)


def test_nine_oclock_is_nine_oclock_local_in_gmt_and_bst() -> None:
    assert local_instant(date(2021, 2, 10), time(9), LONDON) == datetime(2021, 2, 10, 9, tzinfo=UTC)
    assert local_instant(date(2021, 4, 1), time(9), LONDON) == datetime(2021, 4, 1, 8, tzinfo=UTC)
    # The days either side of the clock changes.
    assert local_instant(date(2021, 3, 27), time(9), LONDON).hour == 9
    assert local_instant(date(2021, 3, 28), time(9), LONDON).hour == 8
    assert local_instant(date(2021, 10, 30), time(9), LONDON).hour == 8
    assert local_instant(date(2021, 10, 31), time(9), LONDON).hour == 9


def test_reminders_for_a_meeting_after_easter_move_to_working_days() -> None:
    slots = reminder_slots(
        date(2021, 4, 12), kind="nudge", days_before=[14, 7, 1], at=time(9), tz=LONDON
    )
    assert [(s.days_before, s.at) for s in slots] == [
        (14, datetime(2021, 3, 29, 8, tzinfo=UTC)),
        (7, datetime(2021, 4, 1, 8, tzinfo=UTC)),  # from Easter Monday, past Good Friday
        (1, datetime(2021, 4, 9, 8, tzinfo=UTC)),  # from Sunday to Friday
    ]
