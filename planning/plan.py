"""Reminder planning: pure functions of the board's settings, its meetings and its actions.

``plan(world, now)`` answers one question: which messages are due at ``now`` and not yet sent?
It reads no clock and no database. ``scheduler.dispatch`` loads a ``World`` from the database,
plans, and then claims, sends and records each message.

The rules it keeps:
- The next meeting is the first one not yet started: the next recorded one, else the next date of
  the board's recurrence. Nothing is planned for a meeting once it has started, so open actions
  simply carry over to the next meeting's cycle.
- Each owner of open actions gets one nudge per reminder day, each chair and secretariat member
  one digest per digest day, at the board's reminder time, moved back to a working day.
- Catch-up: of the slots already past, only the latest can be due. After downtime an owner gets
  the most recent missed nudge once, never a burst of stale ones.
- A snooze adds one follow-up nudge. It never moves the regular slots, and a regular slot that
  comes first makes the follow-up unnecessary.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple

from db.models import Board, DeliveryState, Meeting, MeetingStatus, SnoozeChoice
from planning.calendar import (
    Slot,
    is_working_day,
    local_date,
    local_instant,
    meeting_start,
    next_occurrence,
    reminder_slots,
)

NUDGE = "nudge"
DIGEST = "digest"


def slots_for(board: Board, meeting_day: date) -> list[Slot]:
    """Every nudge and digest slot before a meeting, earliest first."""
    return list(
        _slots(
            meeting_day,
            tuple(board.reminder_day_list()),
            tuple(board.digest_day_list()),
            board.reminder_time,
            board.timezone,
        )
    )


@lru_cache(maxsize=256)
def _slots(
    meeting_day: date, nudge_days: tuple[int, ...], digest_days: tuple[int, ...], at: time, tz: str
) -> tuple[Slot, ...]:
    # Cached: a tick plans every minute, and the answer only changes with the meeting or settings.
    nudges = reminder_slots(meeting_day, kind=NUDGE, days_before=nudge_days, at=at, tz=tz)
    digests = reminder_slots(meeting_day, kind=DIGEST, days_before=digest_days, at=at, tz=tz)
    return tuple(sorted(nudges + digests, key=lambda slot: (slot.at, slot.kind != DIGEST)))


# ---------------------------------------------------------------- what the planner reads


@dataclass(frozen=True)
class MeetingFact:
    """A meeting as planning needs it. ``id`` is None for one projected from the recurrence."""

    id: int | None
    date: date
    time: time | None = None
    status: str = MeetingStatus.SCHEDULED

    @property
    def recorded(self) -> bool:
        return self.id is not None

    @classmethod
    def of(cls, meeting: Meeting) -> MeetingFact:
        return cls(meeting.id, meeting.date, meeting.time, meeting.status)


@dataclass(frozen=True)
class Person:
    id: int
    initials: str
    officer: bool = False  # chair or secretariat: gets the digests
    active: bool = True


class OpenAction(NamedTuple):
    """A named tuple, not a frozen dataclass: a tick makes one per open action, 100,000 on a
    big board, and a frozen dataclass costs several times as much to make."""

    id: int
    owner_ids: Sequence[int]


@dataclass(frozen=True)
class LedgerFact:
    recipient_id: int
    meeting_id: int
    slot: str
    state: str
    next_attempt_at: datetime | None = None
    lease_until: datetime | None = None


@dataclass(frozen=True)
class SnoozeFact:
    id: int
    member_id: int
    meeting_id: int
    until: datetime
    created_at: datetime


@dataclass(frozen=True)
class World:
    board: Board  # read for its settings only: zone, recurrence, reminder days and time
    meetings: tuple[MeetingFact, ...]
    people: tuple[Person, ...]
    open_actions: tuple[OpenAction, ...]
    ledger: tuple[LedgerFact, ...] = ()
    snoozes: tuple[SnoozeFact, ...] = ()
    reachable: frozenset[int] = field(default_factory=frozenset)  # members some channel reaches


@dataclass(frozen=True)
class Due:
    """One message to send now."""

    kind: str  # "nudge" | "digest"
    slot: str  # the ledger's slot name: "nudge-14", "digest-7", "snooze-12"
    days_before: int | None  # the slot's nominal place in the cycle (None for a snooze)
    at: datetime  # when the slot fell due
    recipient_id: int
    meeting: MeetingFact
    action_ids: tuple[int, ...]  # a nudge: the owner's open actions; a digest: all of them

    @property
    def follows_a_snooze(self) -> bool:
        return self.days_before is None


# ---------------------------------------------------------------- the next meeting


def meeting_starts(board: Board, meeting: MeetingFact) -> datetime:
    return meeting_start(meeting.date, meeting.time or board.meeting_time, board.timezone)


def next_meeting(
    board: Board, meetings: Iterable[MeetingFact], now: datetime
) -> MeetingFact | None:
    """The first meeting not yet started at ``now``: recorded first, else projected.

    A projection never lands on a recorded date (a cancelled meeting stays cancelled), and it
    counts from the last meeting held, so a rule with an INTERVAL keeps its phase.
    """
    meetings = sorted(meetings, key=lambda m: m.date)
    live = [m for m in meetings if m.status != MeetingStatus.CANCELLED]
    for meeting in live:
        if meeting_starts(board, meeting) > now:
            return meeting
    today = local_date(now, board.timezone)
    held = [m for m in live if m.date <= today]
    anchor = held[-1].date if held else None
    recorded_days = {m.date for m in meetings}
    after = today
    for _ in range(12):  # a year of quarters is more than enough to step past cancellations
        projected = next_occurrence(board.recurrence, after, anchor)
        if projected is None:
            return None
        if projected not in recorded_days:
            return MeetingFact(None, projected, board.meeting_time)
        after = projected
    return None


def previous_meeting(
    board: Board, meetings: Iterable[MeetingFact], before: MeetingFact
) -> MeetingFact | None:
    """The last meeting held before ``before``: where "since the last meeting" counts from."""
    held = [m for m in meetings if m.status != MeetingStatus.CANCELLED and m.date < before.date]
    return max(held, key=lambda m: m.date, default=None)


# ---------------------------------------------------------------- snoozes


def snooze_until(board: Board, choice: SnoozeChoice, now: datetime) -> datetime | None:
    """When a snoozed nudge comes back: the reminder time N days on, on a working day.

    "Until the next reminder day" has no follow-up of its own (None): the cycle's next nudge is it.
    """
    if choice == SnoozeChoice.NEXT:
        return None
    days = 1 if choice == SnoozeChoice.ONE_DAY else 3
    day = local_date(now, board.timezone) + timedelta(days=days)
    while not is_working_day(day):
        day += timedelta(days=1)
    return local_instant(day, board.reminder_time, board.timezone)


def next_nudge_after(board: Board, meeting: MeetingFact, after: datetime) -> Slot | None:
    """The first regular nudge slot after ``after`` that still falls before the meeting starts."""
    starts = meeting_starts(board, meeting)
    upcoming = [
        s for s in slots_for(board, meeting.date) if s.kind == NUDGE and after < s.at < starts
    ]
    return upcoming[0] if upcoming else None


@dataclass(frozen=True)
class SnoozeSlot:
    """The one follow-up nudge a snooze asks for; it sits beside the cycle's slots, not in it."""

    snooze_id: int
    at: datetime

    @property
    def name(self) -> str:
        return f"snooze-{self.snooze_id}"


def snooze_slot(board: Board, meeting: MeetingFact, snooze: SnoozeFact) -> SnoozeSlot | None:
    """The follow-up nudge a snooze asks for, unless a regular nudge or the meeting comes first."""
    if snooze.until >= meeting_starts(board, meeting):
        return None
    regular = next_nudge_after(board, meeting, snooze.created_at)
    if regular is not None and regular.at <= snooze.until:
        return None  # the cycle's own nudge comes first: a snooze never shifts the cycle
    return SnoozeSlot(snooze.id, snooze.until)


# ---------------------------------------------------------------- planning


def is_claimable(entry: LedgerFact | None, reachable: bool, now: datetime) -> bool:
    """Whether a slot with this ledger entry may be (re)tried at ``now``."""
    if entry is None or entry.state == DeliveryState.PENDING:
        return True
    if entry.state == DeliveryState.RETRY:
        return entry.next_attempt_at is None or entry.next_attempt_at <= now
    if entry.state == DeliveryState.SENDING:
        return entry.lease_until is None or entry.lease_until <= now
    if entry.state == DeliveryState.UNREACHABLE:
        return reachable  # linked since: the message still goes, if its slot is still current
    return False  # sent, failed for good, or skipped


def _latest(slots: Sequence[Slot | SnoozeSlot], now: datetime) -> Slot | SnoozeSlot | None:
    """The most recent slot already due: catch-up sends this one, never the older ones."""
    past = [s for s in slots if s.at <= now]

    def rank(slot: Slot | SnoozeSlot) -> tuple[datetime, bool, int]:
        # On a tie the regular slot wins over a snooze, and the slot nearer the meeting over the
        # farther (two nominal days moved onto one working day are one message).
        if isinstance(slot, SnoozeSlot):
            return (slot.at, False, 0)
        return (slot.at, True, -slot.days_before)

    return max(past, key=rank, default=None)


def plan(world: World, now: datetime) -> list[Due]:
    """The messages due at ``now`` that the ledger has not already settled, nudges first."""
    board = world.board
    meeting = next_meeting(board, world.meetings, now)
    if meeting is None:
        return []
    starts = meeting_starts(board, meeting)
    slots = [s for s in slots_for(board, meeting.date) if s.at < starts]
    nudge_slots = [s for s in slots if s.kind == NUDGE]
    digest_slots = [s for s in slots if s.kind == DIGEST]
    ledger = {(e.recipient_id, e.meeting_id, e.slot): e for e in world.ledger}
    active = [p for p in world.people if p.active]

    def settled(person: Person, slot: Slot | SnoozeSlot) -> bool:
        if meeting.id is None:
            return False  # projected: nothing can be in the ledger for it yet
        entry = ledger.get((person.id, meeting.id, slot.name))
        return not is_claimable(entry, person.id in world.reachable, now)

    due: list[Due] = []
    owned = _open_actions_by_owner(world.open_actions)
    for person in active:
        if not owned.get(person.id):
            continue
        candidates = [*nudge_slots, *_snooze_slots(world, meeting, person)]
        slot = _latest(candidates, now)
        if slot is not None and not settled(person, slot):
            due.append(_due(NUDGE, slot, person, meeting, tuple(owned[person.id])))
    every_open = tuple(a.id for a in world.open_actions)
    for person in active:
        if not person.officer:
            continue
        slot = _latest(digest_slots, now)
        if slot is not None and not settled(person, slot):
            due.append(_due(DIGEST, slot, person, meeting, every_open))
    return due


def _open_actions_by_owner(actions: Iterable[OpenAction]) -> dict[int, list[int]]:
    """A joint action ("DP/RT") is in each of its owners' nudges."""
    owned: dict[int, list[int]] = {}
    for action in actions:
        for owner_id in action.owner_ids:
            owned.setdefault(owner_id, []).append(action.id)
    return owned


def _snooze_slots(world: World, meeting: MeetingFact, person: Person) -> list[SnoozeSlot]:
    """The follow-up of this owner's latest snooze for the meeting, if it still applies."""
    if meeting.id is None:
        return []
    mine = [s for s in world.snoozes if s.member_id == person.id and s.meeting_id == meeting.id]
    if not mine:
        return []
    slot = snooze_slot(world.board, meeting, max(mine, key=lambda s: s.id))
    return [slot] if slot is not None else []


def _due(
    kind: str,
    slot: Slot | SnoozeSlot,
    person: Person,
    meeting: MeetingFact,
    action_ids: tuple[int, ...],
) -> Due:
    return Due(
        kind=kind,
        slot=slot.name,
        days_before=slot.days_before if isinstance(slot, Slot) else None,
        at=slot.at,
        recipient_id=person.id,
        meeting=meeting,
        action_ids=action_ids,
    )
