"""The pure planner: which messages are due when, across the year's awkward days.

The simulation ticks through a year hour by hour (the reminder time is on the hour), records each
due message in the ledger as the dispatcher would, and compares every message sent, with the
instant it went, to a table written from the calendar by hand.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from db.models import DEFAULT_RECURRENCE, Board, DeliveryState, MeetingStatus, SnoozeChoice
from planning.plan import (
    LedgerFact,
    MeetingFact,
    OpenAction,
    Person,
    SnoozeFact,
    World,
    next_meeting,
    plan,
    snooze_slot,
    snooze_until,
)

CR, DP, RT, AC = 1, 2, 3, 4  # RT is the secretariat and an owner; AC the chair, owning nothing
NAMES = {CR: "CR", DP: "DP", RT: "RT", AC: "AC"}
PEOPLE = (
    Person(CR, "CR"),
    Person(DP, "DP"),
    Person(RT, "RT", officer=True),
    Person(AC, "AC", True),
)
ACTIONS = (OpenAction(10, (CR,)), OpenAction(11, (DP, RT)))  # 11 is joint: DP/RT


def board(**settings: object) -> Board:
    values = {
        "timezone": "Europe/London",
        "recurrence": DEFAULT_RECURRENCE,
        "meeting_time": None,
        "reminder_days": "14,7,1",
        "digest_days": "7,1",
        "reminder_time": time(9, 0),
    } | settings
    return Board(name="CRB", **values)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def world(*meetings: MeetingFact, **changes: object) -> World:
    base = World(board(), meetings, PEOPLE, ACTIONS, reachable=frozenset(NAMES))
    return replace(base, **changes)


def simulate(start: datetime, end: datetime, state: World, step=timedelta(hours=1)):
    """Tick from start to end; every due message is sent at once and ledgered."""
    sent = []
    now = start
    while now <= end:
        for due in plan(state, now):
            if due.meeting.id is None:  # the dispatcher records a projected meeting first
                recorded = replace(due.meeting, id=100 + len(state.meetings), status="tentative")
                state = replace(state, meetings=(*state.meetings, recorded))
                due = replace(due, meeting=recorded)
            sent.append((now, due.kind, due.slot, NAMES[due.recipient_id], due.meeting.date))
            entry = LedgerFact(due.recipient_id, due.meeting.id, due.slot, DeliveryState.SENT)
            state = replace(state, ledger=(*state.ledger, entry))
        now += step
    return sent


def expect(at: datetime, meeting: date, **slots: str) -> list[tuple]:
    """expect(at, meeting, nudge_14="CR DP RT") -> the rows that table writes."""
    rows = []
    for name, recipients in slots.items():
        kind, days = name.split("_")
        rows += [(at, kind, f"{kind}-{days}", who, meeting) for who in recipients.split()]
    return rows


HELD = MeetingFact(1, date(2020, 11, 25), None, MeetingStatus.HELD)
NEW_YEAR = MeetingFact(2, date(2021, 1, 4))  # Monday after the Christmas break
EASTER = MeetingFact(3, date(2021, 4, 12))  # Monday a week after Easter Monday
SUMMER = MeetingFact(4, date(2021, 8, 25))
AUTUMN = MeetingFact(5, date(2021, 11, 10))  # after the October clock change


def test_a_year_of_reminders_lands_on_working_days_at_nine_local() -> None:
    owners, officers = "CR DP RT", "RT AC"
    expected = [
        # Christmas: 7 days before 4 Jan is Mon 28 Dec (Boxing Day's substitute) -> Thu 24 Dec;
        # 1 day before is Sun 3 Jan -> Fri 1 Jan is New Year's Day -> Thu 31 Dec. GMT: 09:00Z.
        *expect(utc(2020, 12, 21, 9), NEW_YEAR.date, nudge_14=owners),
        *expect(utc(2020, 12, 24, 9), NEW_YEAR.date, nudge_7=owners, digest_7=officers),
        *expect(utc(2020, 12, 31, 9), NEW_YEAR.date, nudge_1=owners, digest_1=officers),
        # March: the clocks went forward on Sun 28 Mar, so 09:00 BST is 08:00Z from then on.
        # Easter: 7 days before 12 Apr is Easter Monday -> past Good Friday -> Thu 1 Apr;
        # 1 day before is Sunday -> Fri 9 Apr.
        *expect(utc(2021, 3, 29, 8), EASTER.date, nudge_14=owners),
        *expect(utc(2021, 4, 1, 8), EASTER.date, nudge_7=owners, digest_7=officers),
        *expect(utc(2021, 4, 9, 8), EASTER.date, nudge_1=owners, digest_1=officers),
        *expect(utc(2021, 8, 11, 8), SUMMER.date, nudge_14=owners),
        *expect(utc(2021, 8, 18, 8), SUMMER.date, nudge_7=owners, digest_7=officers),
        *expect(utc(2021, 8, 24, 8), SUMMER.date, nudge_1=owners, digest_1=officers),
        # October: 27 Oct is still BST (08:00Z); the clocks went back on 31 Oct (09:00Z after).
        *expect(utc(2021, 10, 27, 8), AUTUMN.date, nudge_14=owners),
        *expect(utc(2021, 11, 3, 9), AUTUMN.date, nudge_7=owners, digest_7=officers),
        *expect(utc(2021, 11, 9, 9), AUTUMN.date, nudge_1=owners, digest_1=officers),
    ]
    state = world(HELD, NEW_YEAR, EASTER, SUMMER, AUTUMN)
    # Up to the eve of the last meeting (the recurrence's next date, 24 Nov, starts a new cycle).
    sent = simulate(utc(2020, 12, 1), utc(2021, 11, 9, 23), state)
    assert sorted(sent, key=str) == sorted(expected, key=str)


FOURTEEN = ["nudge-14 CR", "nudge-14 DP", "nudge-14 RT"]
SEVEN = ["nudge-7 CR", "nudge-7 DP", "nudge-7 RT", "digest-7 AC", "digest-7 RT"]
ONE = ["nudge-1 CR", "nudge-1 DP", "nudge-1 RT", "digest-1 AC", "digest-1 RT"]


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2021, 2, 10, 8, 59), []),  # a minute early: nothing
        (utc(2021, 2, 10, 9, 0), FOURTEEN),
        (utc(2021, 2, 10, 9, 0, 30), FOURTEEN),
        (utc(2021, 2, 17, 9), SEVEN),
        (utc(2021, 2, 22, 15), SEVEN),  # after downtime: only the latest missed slot goes
        (utc(2021, 2, 23, 23, 59), ONE),
        (utc(2021, 2, 24, 0, 0), []),  # the meeting has started (no time known: from midnight)
    ],
)
def test_what_is_due_with_an_empty_ledger(now: datetime, expected: list[str]) -> None:
    due = plan(world(HELD, MeetingFact(2, date(2021, 2, 24), None, "tentative")), now)
    assert sorted(f"{d.slot} {NAMES[d.recipient_id]}" for d in due) == sorted(expected)


def test_a_joint_action_is_in_each_owners_nudge() -> None:
    due = plan(world(HELD, MeetingFact(2, date(2021, 2, 24))), utc(2021, 2, 10, 9))
    actions = {NAMES[d.recipient_id]: d.action_ids for d in due}
    assert actions == {"CR": (10,), "DP": (11,), "RT": (11,)}


def test_a_meeting_with_a_start_time_still_gets_its_same_day_reminder() -> None:
    state = world(
        HELD, MeetingFact(2, date(2021, 2, 24), time(10, 0)), board=board(reminder_days="0")
    )
    assert [d.slot for d in plan(state, utc(2021, 2, 24, 9, 1))][:1] == ["nudge-0"]
    assert plan(state, utc(2021, 2, 24, 10, 0)) == []  # started: nothing more is sent


def test_ledgered_messages_are_not_due_again_but_failures_and_lapsed_claims_are() -> None:
    meeting = MeetingFact(2, date(2021, 2, 24))
    now = utc(2021, 2, 10, 9, 5)

    def due_for(state: str, **extra: object) -> list[str]:
        entry = LedgerFact(CR, 2, "nudge-14", state, **extra)
        return [NAMES[d.recipient_id] for d in plan(world(HELD, meeting, ledger=(entry,)), now)]

    assert "CR" not in due_for(DeliveryState.SENT)
    assert "CR" not in due_for(DeliveryState.FAILED)
    assert "CR" in due_for(DeliveryState.PENDING)
    assert "CR" not in due_for(DeliveryState.RETRY, next_attempt_at=now + timedelta(minutes=1))
    assert "CR" in due_for(DeliveryState.RETRY, next_attempt_at=now)
    assert "CR" not in due_for(DeliveryState.SENDING, lease_until=now + timedelta(seconds=1))
    assert "CR" in due_for(DeliveryState.SENDING, lease_until=now)


def test_an_unreachable_owner_is_tried_again_once_linked_and_not_before() -> None:
    meeting = MeetingFact(2, date(2021, 2, 24))
    entry = LedgerFact(CR, 2, "nudge-14", DeliveryState.UNREACHABLE)
    now = utc(2021, 2, 10, 11)
    still = world(HELD, meeting, ledger=(entry,), reachable=frozenset({DP, RT, AC}))
    assert CR not in {d.recipient_id for d in plan(still, now)}
    linked = replace(still, reachable=frozenset(NAMES))
    assert CR in {d.recipient_id for d in plan(linked, now)}


def test_a_cancelled_meeting_gets_nothing_and_the_projection_skips_its_date() -> None:
    cancelled = MeetingFact(2, date(2021, 2, 24), None, MeetingStatus.CANCELLED)
    state = world(HELD, cancelled)
    assert plan(state, utc(2021, 2, 17, 9)) == []
    upcoming = next_meeting(state.board, state.meetings, utc(2021, 2, 17, 9))
    assert upcoming == MeetingFact(None, date(2021, 5, 26))
    due = plan(state, utc(2021, 5, 12, 8))  # 14 days before, 09:00 BST
    assert {d.meeting for d in due} == {MeetingFact(None, date(2021, 5, 26))}


def test_open_actions_carry_over_to_the_next_meeting_once_one_has_passed() -> None:
    state = world(HELD, MeetingFact(2, date(2021, 2, 24)))
    due = plan(state, utc(2021, 5, 12, 8))  # 14 days before the projected 26 May meeting
    assert {(d.meeting.date, d.action_ids) for d in due if d.recipient_id == CR} == {
        (date(2021, 5, 26), (10,))
    }


def test_snoozing_adds_one_follow_up_and_never_shifts_the_cycle() -> None:
    meeting = MeetingFact(2, date(2021, 2, 24))
    b = board()
    snoozed_at = utc(2021, 2, 10, 9, 5)  # Wednesday, after the 14-day nudge
    assert snooze_until(b, SnoozeChoice.ONE_DAY, snoozed_at) == utc(2021, 2, 11, 9)
    assert snooze_until(b, SnoozeChoice.THREE_DAYS, snoozed_at) == utc(2021, 2, 15, 9)  # Sat->Mon
    assert snooze_until(b, SnoozeChoice.NEXT, snoozed_at) is None
    # A follow-up that would land on or after the next regular nudge is not needed.
    late = SnoozeFact(1, CR, 2, utc(2021, 2, 17, 9), snoozed_at)
    assert snooze_slot(b, meeting, late) is None

    sent_14 = tuple(LedgerFact(p, 2, "nudge-14", DeliveryState.SENT) for p in (CR, DP, RT))
    snooze = SnoozeFact(7, CR, 2, utc(2021, 2, 11, 9), snoozed_at)
    state = world(HELD, meeting, ledger=sent_14, snoozes=(snooze,))
    sent = simulate(utc(2021, 2, 10, 10), utc(2021, 2, 17, 9), state)
    assert [(at, slot, who) for at, _k, slot, who, _m in sent if who == "CR"] == [
        (utc(2021, 2, 11, 9), "snooze-7", "CR"),
        (utc(2021, 2, 17, 9), "nudge-7", "CR"),  # the cycle's own nudge, on its own day
    ]
    # Only the owner who snoozed gets a follow-up.
    assert [who for at, _k, _s, who, _m in sent if at == utc(2021, 2, 11, 9)] == ["CR"]


def test_two_reminder_days_moved_onto_one_working_day_are_one_message() -> None:
    # Before Tue 29 Dec 2020: 3 days is Sat 26 Dec, 1 day is Mon 28 Dec (a bank holiday);
    # both move back to Thu 24 Dec, and each owner gets one nudge there, not two.
    state = world(HELD, MeetingFact(2, date(2020, 12, 29)), board=board(reminder_days="3,1"))
    sent = simulate(utc(2020, 12, 20), utc(2020, 12, 28, 23), state)
    nudges = [(at, slot, who) for at, kind, slot, who, _m in sent if kind == "nudge"]
    assert nudges == [(utc(2020, 12, 24, 9), "nudge-1", who) for who in ("CR", "DP", "RT")]
