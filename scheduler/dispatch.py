"""One tick: plan what is due, then for each message claim it, compose it, send it, record it.

``tick(sessions, channels, now)`` is what the APScheduler job runs each minute inside
`crb serve`, and what `crb tick --at` runs once. All state is in the database; running the same
tick twice, or in several processes at once, sends each message once.

A tick runs every board in turn (or the one it is given), each with its own meetings, reminder
days, ledger and officers: a board's messages are planned, composed and recorded with nothing of
another board in view, so a person on two boards gets each board's messages apart.

Messages are claimed and composed in batches and sent several at once (``IN_FLIGHT``), each
under its own claim: the ledger, not the order of sending, keeps every message to one delivery.
Database work is synchronous and runs on one thread per tick; only the channels' sends are
awaited on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db import queries
from db.models import Board, EventKind, Meeting, MeetingStatus, Snooze
from handlers.audit import record
from handlers.compose import SCHEDULER, Reminder, Wanted
from handlers.compose import compose as compose_reminders
from handlers.context import Ctx
from planning import plan
from planning.calendar import local_date
from scheduler import ledger
from scheduler.channels import Channel, Delivery, DeliveryError, channel_for, connected

log = logging.getLogger("crb.dispatch")
T = TypeVar("T")
NOBODY = "none"  # the tick JSON's platform for a recipient no channel can reach
# Messages a tick sends at once: while some wait for the platform's answer, others go out. A
# 2,000-nudge fan-out under a 100 msg/s limit ends within half a second of the same time with 4,
# 8 or 16 in flight; 16 draw twice as many 429s as 8 (and Slack asks for modest concurrency).
IN_FLIGHT = 8
BATCH = 16  # messages claimed and composed together: a few queries for all of them, not each


@dataclass(frozen=True)
class Outcome:
    """One line of the tick's report."""

    kind: str
    to: str
    platform: str
    actions: tuple[str, ...]
    slot: str
    meeting: str
    board: str  # the board's short code: a person on two boards is "DP" on each
    error: str | None = None
    retry_at: datetime | None = None

    def record(self) -> dict[str, Any]:
        line: dict[str, Any] = {
            "board": self.board,
            "kind": self.kind,
            "to": self.to,
            "platform": self.platform,
            "actions": list(self.actions),
            "slot": self.slot,
            "meeting": self.meeting,
        }
        if self.error is not None:
            line["error"] = self.error
            line["retry_at"] = self.retry_at.isoformat() if self.retry_at else None
        return line


@dataclass
class TickResult:
    at: datetime
    sent: list[Outcome] = field(default_factory=list)  # delivered, or listed as unreachable
    failed: list[Outcome] = field(default_factory=list)  # to be retried, or refused for good

    def record(self) -> dict[str, Any]:
        """The contract's tick JSON, with the failures beside it."""
        return {
            "at": self.at.isoformat(),
            "sent": [o.record() for o in self.sent],
            "failed": [o.record() for o in self.failed],
        }


@dataclass(frozen=True)
class Planned:
    due: plan.Due
    meeting_id: int


@dataclass(frozen=True)
class BoardPlan:
    """One board's messages due at a tick."""

    board_id: int
    short: str
    planned: list[Planned]


@dataclass(frozen=True)
class Composed:
    reminder: Reminder
    delivery: Delivery
    channel: Channel | None  # the first that can reach the member; None: no channel can

    @property
    def recipient(self) -> str:
        return self.reminder.member.initials

    @property
    def refs(self) -> tuple[str, ...]:
        return self.reminder.refs


# ---------------------------------------------------------------- planning from the database


def load_world(
    session: Session, board: Board, now: datetime, channels: Sequence[Channel]
) -> plan.World:
    """What the planner needs to know of one board at ``now``."""
    return load_worlds(session, [board], now, channels)[board.id]


def load_worlds(
    session: Session, boards: Sequence[Board], now: datetime, channels: Sequence[Channel]
) -> dict[int, plan.World]:
    """Each board's world, read in six statements whatever the number of boards: a tick over a
    hundred boards pays the database's round trips once, not a hundred times."""
    ids = [board.id for board in boards]
    meetings = queries.meetings_by_board(session, ids)
    people = queries.members_by_board(session, ids)
    current = {
        board.id: [m.id for m in meetings[board.id] if m.date >= local_date(now, board.timezone)]
        for board in boards
    }
    every_current = [meeting_id for listed in current.values() for meeting_id in listed]
    snoozes: dict[int, list[Snooze]] = {}
    for snooze in session.scalars(select(Snooze).where(Snooze.meeting_id.in_(every_current))):
        snoozes.setdefault(snooze.board_id, []).append(snooze)
    board_of_meeting = {m.id: board_id for board_id, listed in meetings.items() for m in listed}
    facts: dict[int, list[plan.LedgerFact]] = {}
    for fact in ledger.facts_for(session, every_current):
        facts.setdefault(board_of_meeting[fact.meeting_id], []).append(fact)
    owners = queries.open_action_owners_by_board(session, ids)
    return {
        board.id: plan.World(
            board=board,
            meetings=tuple(plan.MeetingFact.of(m) for m in meetings[board.id]),
            people=tuple(
                plan.Person(p.id, p.initials, p.is_officer, p.active) for p in people[board.id]
            ),
            open_actions=tuple(
                plan.OpenAction(id, owner_ids) for id, owner_ids in owners.get(board.id, {}).items()
            ),
            ledger=tuple(facts.get(board.id, ())),
            snoozes=tuple(
                plan.SnoozeFact(s.id, s.member_id, s.meeting_id, s.until, s.created_at)
                for s in snoozes.get(board.id, ())
            ),
            reachable=frozenset(
                p.id for p in people[board.id] if channel_for(p, channels) is not None
            ),
        )
        for board in boards
    }


def materialise(session: Session, board: Board, meeting: plan.MeetingFact, now: datetime) -> int:
    """Record a meeting projected from the recurrence, so the ledger can name it.

    It is entered as tentative, with an audit event, the first time a reminder for it falls due.
    Two tickers may race to do it: the insert ignores the conflict and both read the one row.
    """
    created = ledger.insert_ignoring_conflict(
        session,
        Meeting,
        {
            "board_id": board.id,
            "date": meeting.date,
            "time": meeting.time,
            "status": MeetingStatus.TENTATIVE,
            "created_at": now,
        },
    )
    recorded = queries.meeting_on(session, board, meeting.date)
    assert recorded is not None
    if created:
        record(
            Ctx(session, board, SCHEDULER, now),
            EventKind.MEETING_ADDED,
            meeting=recorded,
            details={"source": "the board's recurrence: reminders fell due"},
        )
    return recorded.id


def prepare(
    sessions: sessionmaker[Session],
    channels: Sequence[Channel],
    board_ids: Sequence[int] | None,
    now: datetime,
) -> list[BoardPlan]:
    """Each board's messages due at ``now`` (every board, or those of ``board_ids``), each tied
    to a recorded meeting; the boards by short code."""
    with sessions() as session, session.begin():
        chosen = select(Board).order_by(Board.short)
        if board_ids is not None:
            chosen = chosen.where(Board.id.in_(list(board_ids)))
        boards = session.scalars(chosen).all()
        worlds = load_worlds(session, boards, now, channels)
        reachable = frozenset().union(*(world.reachable for world in worlds.values()))
        notices = ledger.due_notices(session, [board.id for board in boards], now, reachable)
        return [
            _board_plan(session, board, worlds[board.id], notices.get(board.id, []), now)
            for board in boards
        ]


def _board_plan(
    session: Session, board: Board, world: plan.World, notices: list[plan.Due], now: datetime
) -> BoardPlan:
    ids: dict[Any, int] = {}
    planned = []
    for item in plan.plan(world, now):
        key = item.meeting.id or item.meeting.date
        if key not in ids:
            ids[key] = item.meeting.id or materialise(session, board, item.meeting, now)
        planned.append(Planned(item, ids[key]))
    planned += [Planned(notice, notice.meeting.id or 0) for notice in notices]
    return BoardPlan(board.id, board.short, planned)


# ---------------------------------------------------------------- composing


def compose(
    sessions: sessionmaker[Session],
    channels: Sequence[Channel],
    board_id: int,
    claimed: Sequence[tuple[Planned, ledger.Claim]],
    now: datetime,
) -> list[Composed | None]:
    """The claimed messages, worded by ``handlers.compose``, each with its delivery facts and
    the channel that will carry it; None where nothing is left to say."""
    wanted = [
        Wanted(p.due.recipient_id, p.meeting_id, p.due.kind, p.due.follows_a_snooze, p.due.slot)
        for p, _ in claimed
    ]
    reminders = compose_reminders(
        sessions, board_id, wanted, now, lambda member: channel_for(member, channels) is not None
    )
    return [
        _addressed(reminder, claim, channels, now) if reminder is not None else None
        for reminder, (_, claim) in zip(reminders, claimed, strict=True)
    ]


def _addressed(
    reminder: Reminder, claim: ledger.Claim, channels: Sequence[Channel], now: datetime
) -> Composed:
    # The key names this ledger row on the platform, so that a resend can be recognised.
    delivery = Delivery(f"crb-{claim.entry_id}", claim.attempts, reminder.reply_to, at=now)
    return Composed(reminder, delivery, channel_for(reminder.member, channels))


# ---------------------------------------------------------------- delivering


@dataclass(frozen=True)
class Held:
    """A message this tick has claimed and composed, waiting for a sender."""

    index: int  # its place in its phase of the plan: the report keeps the plan's order
    planned: Planned
    claim: ledger.Claim
    composed: Composed
    board: str

    def outcome(self, platform: str, **failure: Any) -> Outcome:
        due, composed = self.planned.due, self.composed
        return Outcome(
            due.kind,
            composed.recipient,
            platform,
            composed.refs,
            due.slot,
            due.meeting.date.isoformat(),
            self.board,
            **failure,
        )


class Sending:
    """One tick's sending: messages are claimed and composed a batch at a time on the tick's
    database thread, and sent ``workers`` at a time as they are ready, each recorded as soon as
    its channel answers.

    One database thread, not several: SQLite has one writer, and writers in one process that
    meet wait in SQLite's busy handler, which sleeps (a 2,000-nudge fan-out took 1.6 times as
    long with eight threads as with one). The sends are what waits, and they overlap on the loop.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        channels: Sequence[Channel],
        board: BoardPlan,
        now: datetime,
        *,
        lease: timedelta,
        workers: int,
        database: Executor,
    ) -> None:
        self.sessions = sessions
        self.channels = channels
        self.board_id = board.board_id
        self.short = board.short
        self.now = now
        self.lease = lease
        self.workers = workers
        self.database = database

    async def phase(self, planned: Sequence[Planned]) -> list[Outcome]:
        """Deliver ``planned``; the outcomes in plan order.

        At most a batch being composed, ``workers`` ready and ``workers`` in flight are claimed
        and not yet recorded at any moment: what a crash leaves to wait for its lease.
        """
        ready: asyncio.Queue[Held | None] = asyncio.Queue(maxsize=self.workers)
        outcomes: list[tuple[int, Outcome]] = []
        numbered = list(enumerate(planned))

        async def claim_in_batches() -> None:
            for start in range(0, len(numbered), BATCH):
                batch = numbered[start : start + BATCH]
                for held in await self._in_database(partial(self.claim_and_compose, batch)):
                    await ready.put(held)
            for _ in range(self.workers):
                await ready.put(None)  # nothing more: each sender stops

        async def send_each() -> None:
            while (held := await ready.get()) is not None:
                outcomes.append((held.index, await self.send(held)))

        # An error that escapes (the database failing) cancels the others: their claims stay
        # held until the lease runs out, as after a crash, and a later tick takes them.
        async with asyncio.TaskGroup() as group:
            group.create_task(claim_in_batches())
            for _ in range(self.workers):
                group.create_task(send_each())
        return [outcome for _, outcome in sorted(outcomes, key=lambda pair: pair[0])]

    def claim_and_compose(self, batch: Sequence[tuple[int, Planned]]) -> list[Held]:
        """Claim a batch and compose the messages this ticker won (in the database thread).

        A message with nothing left to say is settled as skipped.
        """
        wanted = [(planned.due, planned.meeting_id) for _, planned in batch]
        claims = ledger.claim(self.sessions, self.board_id, wanted, self.now, lease=self.lease)
        won = [(i, p, c) for (i, p), c in zip(batch, claims, strict=True) if c is not None]
        messages = compose(
            self.sessions, self.channels, self.board_id, [(p, c) for _, p, c in won], self.now
        )
        held = []
        for (index, planned, claim), composed in zip(won, messages, strict=True):
            if composed is None:
                ledger.mark_skipped(self.sessions, claim, self.now)
            else:
                held.append(Held(index, planned, claim, composed, self.short))
        return held

    async def send(self, held: Held) -> Outcome:
        """Send one message through its channel and record what happened."""
        due, composed, claim = held.planned.due, held.composed, held.claim
        channel, to = composed.channel, composed.recipient
        if channel is None:
            await self._in_database(
                partial(ledger.mark_unreachable, self.sessions, claim, self.now, refs=composed.refs)
            )
            return held.outcome(NOBODY)
        try:
            reminder = composed.reminder
            await channel.send(reminder.member, reminder.reply, composed.delivery)
        except Exception as error:
            failure = _as_delivery_error(error)
            if not isinstance(error, DeliveryError):  # an adapter's bug must not stop the others
                log.exception("%s %s to %s: unexpected error", due.kind, due.slot, to)
            else:
                log.warning("%s %s to %s failed: %s", due.kind, due.slot, to, error)
            retry_at = await self._in_database(
                partial(
                    ledger.mark_failed,
                    self.sessions,
                    claim,
                    self.now,
                    platform=channel.platform,
                    error=str(failure),
                    permanent=failure.permanent,
                    retry_after=failure.retry_after,
                )
            )
            return held.outcome(channel.platform, error=str(failure), retry_at=retry_at)
        await self._in_database(
            partial(
                ledger.mark_sent,
                self.sessions,
                claim,
                self.now,
                platform=channel.platform,
                refs=composed.refs,
            )
        )
        return held.outcome(channel.platform)

    async def _in_database(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.database, work)


def _as_delivery_error(error: Exception) -> DeliveryError:
    if isinstance(error, DeliveryError):
        return error
    return DeliveryError(f"{type(error).__name__}: {error}")


async def tick(
    sessions: sessionmaker[Session],
    channels: Sequence[Channel],
    now: datetime,
    *,
    board_id: int | None = None,
    lease: timedelta = ledger.LEASE,
    workers: int = IN_FLIGHT,
) -> TickResult:
    """Send everything due at ``now`` that has not been sent: each board's nudges, then its
    digests; every board, or only ``board_id``.

    ``lease``: how long each claim taken here keeps other tickers off the message.
    ``workers``: how many messages are sent at once.
    """
    result = TickResult(now)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="crb-tick") as database:
        loop = asyncio.get_running_loop()
        only = [board_id] if board_id is not None else None
        async with connected(channels):
            plans = await loop.run_in_executor(database, prepare, sessions, channels, only, now)
            for board in plans:
                sending = Sending(
                    sessions, channels, board, now, lease=lease, workers=workers, database=database
                )
                # The digests report on the nudges (who could not be reached): they wait for them.
                nudges = [item for item in board.planned if item.due.kind != plan.DIGEST]
                digests = [item for item in board.planned if item.due.kind == plan.DIGEST]
                for phase in (nudges, digests):
                    for done in await sending.phase(phase):
                        (result.failed if done.error is not None else result.sent).append(done)
    return result
