"""Issue 17 (desk): meetings (time, venue, cancel and restore, a meeting entered in the past) and
the board's settings, through the use-cases and the CLI."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time

import pytest

from bot.runtime import Runtime
from db import queries
from db.models import MeetingStatus
from handlers import diary, settings
from handlers.errors import Forbidden, UserError
from handlers.settings import Cadence, describe_recurrence, upcoming_dates
from planning.plan import plan
from scheduler.dispatch import load_world
from tests.conftest import SAMPLE, acting

AT = ("--at", "2021-02-01T12:00Z")
FEB_1 = datetime(2021, 2, 1, 12, tzinfo=UTC)
FEB_10 = datetime(2021, 2, 10, 9, 0, 30, tzinfo=UTC)


@pytest.fixture
def imported(crb):
    crb("import", str(SAMPLE))
    return crb


def meetings(crb) -> dict[str, dict]:
    return {m["date"]: m for m in json.loads(crb("meetings", "--json").stdout)["meetings"]}


def test_a_cancelled_meeting_can_be_restored(imported) -> None:
    """Issue 17: a cancelled meeting could not be restored."""
    imported("meeting", "cancel", "2021-02-24", *AT)
    shown = imported("meeting", "restore", "2021-02-24", *AT).stdout
    assert "Restored the meeting of Wednesday 24 February 2021." in shown
    assert meetings(imported)["2021-02-24"]["status"] == "scheduled"
    sent = json.loads(imported("tick", "--at", "2021-02-10T09:00:30Z", "--json").stdout)["sent"]
    assert {o["meeting"] for o in sent} == {"2021-02-24"}  # its reminders go again
    refused = imported("meeting", "restore", "2021-02-24", *AT, code=1).stderr
    assert "is not cancelled" in refused


def test_venue_and_time_change_without_moving(imported) -> None:
    """Issue 17: a venue could not be changed; a time only by moving a meeting to its own date."""
    shown = imported(
        "meeting", "edit", "2021-02-24", "--time", "10:00", "--venue", "Hindlip Hall", *AT
    ).stdout
    assert "Changed the meeting of Wednesday 24 February 2021: 10:00, Hindlip Hall." in shown
    meeting = meetings(imported)["2021-02-24"]
    assert (meeting["time"], meeting["venue"]) == ("10:00", "Hindlip Hall")
    imported("meeting", "edit", "2021-02-24", "--venue", "", *AT)
    assert meetings(imported)["2021-02-24"]["venue"] is None
    same = imported("meeting", "edit", "2021-02-24", "--time", "10:00", *AT, code=1).stderr
    assert "already has that time and venue" in same


def test_a_meeting_entered_in_the_past_can_be_cancelled(imported) -> None:
    """Issue 17: a meeting added in the past stayed "scheduled" for ever and could not be
    cancelled."""
    imported("meeting", "add", "2021-01-13", "--time", "10:00")  # by mistake, in the past
    shown = imported("meeting", "cancel", "2021-01-13", *AT).stdout
    assert "Cancelled the meeting of Wednesday 13 January 2021." in shown
    assert meetings(imported)["2021-01-13"]["status"] == "cancelled"
    held = imported("meeting", "cancel", "2020-11-25", *AT, code=1).stderr
    assert "was held (its minutes were imported)" in held


def test_a_meeting_waiting_for_its_minutes_is_told_apart(board: Runtime) -> None:
    with acting(board, None, FEB_1) as ctx:
        meeting, _ = diary.new_meeting(ctx, date(2021, 1, 13), time(10, 0))
        assert diary.awaiting_minutes(ctx, meeting)
        assert not diary.awaiting_minutes(
            ctx, queries.meeting_on(ctx.session, ctx.board, date(2020, 11, 25))
        )


def test_only_officers_change_meetings(board: Runtime) -> None:
    for change in (
        lambda ctx: diary.cancel_meeting(ctx, date(2021, 2, 24)),
        lambda ctx: diary.move_meeting(ctx, date(2021, 2, 24), date(2021, 3, 3)),
        lambda ctx: diary.edit_meeting(ctx, date(2021, 2, 24), venue="Elsewhere"),
        lambda ctx: diary.new_meeting(ctx, date(2021, 5, 26)),
    ):
        with pytest.raises(Forbidden), acting(board, "CR", FEB_1) as ctx:
            change(ctx)
    with acting(board, "RT", FEB_1) as ctx:
        diary.cancel_meeting(ctx, date(2021, 2, 24))
    with acting(board, "AC", FEB_1) as ctx:
        assert diary.restore_meeting(ctx, date(2021, 2, 24)).status == MeetingStatus.SCHEDULED


def test_a_new_time_in_the_past_is_refused(board: Runtime) -> None:
    with acting(board, "RT", FEB_1) as ctx:
        diary.edit_meeting(ctx, date(2021, 2, 24), at=time(14, 0))
    morning = datetime(2021, 2, 24, 11, tzinfo=UTC)
    with (
        pytest.raises(UserError, match="09:00 on 24 February 2021 has passed"),
        acting(board, "RT", morning) as ctx,
    ):
        diary.edit_meeting(ctx, date(2021, 2, 24), at=time(9, 0))


def test_the_board_settings_change_the_reminders(board: Runtime) -> None:
    with acting(board, "RT", FEB_1) as ctx:
        changed = settings.change_settings(
            ctx, reminder_days="10, 3", reminder_time=time(8, 30), digest_days="3"
        )
    assert changed == [
        "reminder days: 14,7,1 -> 10,3",
        "reminder time: 09:00 -> 08:30",
        "digest days: 7,1 -> 3",
    ]
    with board.sessions() as session:
        world = load_world(session, queries.default_board(session), FEB_10, [])
        assert plan(world, FEB_10) == []  # no 14-day nudge any more
        at_10_days = datetime(2021, 2, 12, 8, 30, 30, tzinfo=UTC)  # Sun 14th -> Fri 12th
        assert {d.slot for d in plan(world, at_10_days)} == {"nudge-10"}


def test_the_recurrence_is_chosen_as_a_cadence(board: Runtime) -> None:
    cadence = Cadence((3, 6, 9, 12), 1, 1)  # the first Tuesday of March, June, …
    assert cadence.rule() == "FREQ=YEARLY;BYMONTH=3,6,9,12;BYDAY=1TU"
    assert Cadence.of(cadence.rule()) == cadence
    assert describe_recurrence(cadence.rule()) == (
        "the first Tuesday of March, June, September and December"
    )
    assert describe_recurrence("FREQ=YEARLY;BYMONTH=2,5,8,11;BYDAY=-1WE") == (
        "the last Wednesday of February, May, August and November"
    )
    assert upcoming_dates(cadence.rule(), date(2021, 1, 1), 2) == [
        date(2021, 3, 2),
        date(2021, 6, 1),
    ]
    with acting(board, "RT", FEB_1) as ctx:
        settings.change_settings(ctx, recurrence=cadence.rule())
        assert ctx.board.recurrence == cadence.rule()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"recurrence": "every so often"}, "not a recurrence rule I can read"),
        ({"reminder_days": "fourteen"}, "whole numbers of days"),
        ({"reminder_days": "120"}, "between 0 and 90"),
        ({"reminder_days": ""}, "at least one day"),
        ({"colour": "blue"}, "no setting called colour"),
    ],
)
def test_bad_settings_are_refused_and_change_nothing(
    sqlite_url: str, change: dict, message: str
) -> None:
    from tests.conftest import make_runtime

    runtime = make_runtime(sqlite_url)
    with pytest.raises(UserError, match=message), acting(runtime, None) as ctx:
        settings.change_settings(ctx, **change)
    runtime.engine.dispose()


def test_a_setting_the_environment_sets_says_where_to_change_it(board: Runtime) -> None:
    with (
        pytest.raises(UserError, match="CRB_REMINDER_DAYS is set in this server's environment"),
        acting(board, "RT", FEB_1) as ctx,
    ):
        settings.change_settings(ctx, pinned={"reminder_days"}, reminder_days="10,3")
    with pytest.raises(Forbidden), acting(board, "CR", FEB_1) as ctx:
        settings.change_settings(ctx, reminder_days="10,3")


def test_crb_board_set_changes_when_the_board_meets_and_reminds(crb, monkeypatch) -> None:
    shown = crb(
        "board",
        "set",
        "--reminder-days",
        "10,3",
        "--reminder-time",
        "08:30",
        "--recurrence",
        "FREQ=YEARLY;BYMONTH=3,6,9,12;BYDAY=1TU",
        "--meeting-time",
        "10:00",
    ).stdout
    assert "reminder days: 14,7,1 -> 10,3" in shown and "reminder time: 09:00 -> 08:30" in shown
    assert "Those settings are as given." in crb("board", "set", "--reminder-days", "10,3").stdout
    assert "whole numbers of days" in crb("board", "set", "--reminder-days", "x", code=1).stderr
    monkeypatch.setenv("CRB_REMINDER_DAYS", "14,7,1")
    pinned = crb("board", "set", "--reminder-days", "5", code=1).stderr
    assert "CRB_REMINDER_DAYS is set in this server's environment" in pinned
