"""One tick: plan what is due, then for each message claim it, compose it, send it, record it.

``tick(sessions, channels, now)`` is what the APScheduler job runs each minute inside
`crb serve`, and what `crb tick --at` runs once. All state is in the database; running the same
tick twice, or in several processes at once, sends each message once.

Database work is synchronous and runs in worker threads; only the channels' sends are awaited on
the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db import queries
from db.models import (
    ActionStatus,
    Board,
    EventKind,
    Meeting,
    MeetingStatus,
    Member,
    Snooze,
)
from handlers.audit import record
from handlers.context import Caller, Ctx
from handlers.reminders import digest_reply, nudge_reply
from handlers.reply import Reply
from scheduler import ledger, plan
from scheduler.calendar import local_date, meeting_start, zone
from scheduler.channels import Channel, DeliveryError, channel_for, connected

log = logging.getLogger("crb.dispatch")
SCHEDULER = Caller(None, "scheduler")
NOBODY = "none"  # the tick JSON's platform for a recipient no channel can reach


@dataclass(frozen=True)
class Outcome:
    """One line of the tick's report."""

    kind: str
    to: str
    platform: str
    actions: tuple[str, ...]
    slot: str
    meeting: str
    error: str | None = None
    retry_at: datetime | None = None

    def record(self) -> dict[str, Any]:
        line: dict[str, Any] = {
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
class Composed:
    member: Member
    message: Reply
    refs: tuple[str, ...]
    recipient: str  # initials


# ---------------------------------------------------------------- planning from the database


def load_world(
    session: Session, board: Board, now: datetime, channels: Sequence[Channel]
) -> plan.World:
    meetings = queries.meetings(session, board)
    people = queries.members(session, board)
    today = local_date(now, board.timezone)
    current = [m.id for m in meetings if m.date >= today]
    snoozes = session.scalars(select(Snooze).where(Snooze.meeting_id.in_(current))).all()
    return plan.World(
        board=board,
        meetings=tuple(plan.MeetingFact.of(m) for m in meetings),
        people=tuple(plan.Person(p.id, p.initials, p.is_officer, p.active) for p in people),
        open_actions=tuple(
            plan.OpenAction(action_id, owner_ids)
            for action_id, owner_ids in queries.open_action_owners(session, board)
        ),
        ledger=tuple(ledger.facts_for(session, board.id, current)),
        snoozes=tuple(
            plan.SnoozeFact(s.id, s.member_id, s.meeting_id, s.until, s.created_at) for s in snoozes
        ),
        reachable=frozenset(p.id for p in people if channel_for(p, channels) is not None),
    )


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
    sessions: sessionmaker[Session], channels: Sequence[Channel], now: datetime
) -> tuple[int | None, list[Planned]]:
    """The board and the messages due at ``now``, each tied to a recorded meeting."""
    with sessions() as session, session.begin():
        board = queries.default_board(session)
        if board is None:
            return None, []
        due = plan.plan(load_world(session, board, now, channels), now)
        ids: dict[Any, int] = {}
        planned = []
        for item in due:
            key = item.meeting.id or item.meeting.date
            if key not in ids:
                ids[key] = item.meeting.id or materialise(session, board, item.meeting, now)
            planned.append(Planned(item, ids[key]))
        return board.id, planned


# ---------------------------------------------------------------- composing


def compose(
    sessions: sessionmaker[Session],
    channels: Sequence[Channel],
    planned: Planned,
    entry_id: int,
    now: datetime,
    attempt: int = 1,
) -> Composed | None:
    """The message as it stands now (actions closed since planning drop out); None: nothing left."""
    with sessions() as session:
        board = queries.default_board(session)
        member = session.get(Member, planned.due.recipient_id)
        meeting = session.get(Meeting, planned.meeting_id)
        if board is None or member is None or meeting is None:
            return None
        ctx = Ctx(session, board, Caller(member, "scheduler"), now)
        if planned.due.kind == plan.NUDGE:
            owned = queries.actions(session, board, status=ActionStatus.OPEN, owner=member)
            if not owned:
                return None
            message = nudge_reply(ctx, meeting, owned, snoozed=planned.due.follows_a_snooze)
        else:
            message = _digest(ctx, meeting, channels)
        # The key names this ledger row on the platform; from the second attempt on, a channel
        # that can look up what it already posted checks for it before posting again (a send
        # that went out just before its process died, or before an answer that never came).
        extras = {**message.extras, "message_key": f"crb-{entry_id}", "attempt": attempt}
        message = replace(message, extras=extras)
        refs = tuple(dict.fromkeys(view.ref for view in message.actions))
        return Composed(member, message, refs, member.initials)


def _digest(ctx: Ctx, meeting: Meeting, channels: Sequence[Channel]) -> Reply:
    member = ctx.caller.member
    assert member is not None
    facts = [plan.MeetingFact.of(m) for m in queries.meetings(ctx.session, ctx.board)]
    previous = plan.previous_meeting(ctx.board, facts, plan.MeetingFact.of(meeting))
    last_meeting = ctx.session.get(Meeting, previous.id) if previous and previous.id else None
    last_digest = ledger.latest_digest_sent(ctx.session, ctx.board.id, member.id, ctx.now)
    tz = zone(ctx.board.timezone)
    if last_digest is not None:
        since, label = last_digest, f"your last digest ({last_digest.astimezone(tz):%a %-d %b})"
    elif last_meeting is not None:
        since = meeting_start(last_meeting.date, last_meeting.time, ctx.board.timezone)
        label = f"the meeting on {last_meeting.date:%-d %B %Y}"
    else:
        since, label = ctx.board.created_at, "the board was set up"
    return digest_reply(
        ctx,
        meeting,
        since=since,
        since_label=label,
        last_meeting=last_meeting,
        reachable=lambda m: channel_for(m, channels) is not None,
    )


# ---------------------------------------------------------------- delivering


async def deliver(
    sessions: sessionmaker[Session],
    channels: Sequence[Channel],
    board_id: int,
    planned: Planned,
    now: datetime,
    *,
    lease: timedelta = ledger.LEASE,
) -> Outcome | None:
    """Claim, compose, send and record one message. None when another ticker has it."""
    due = planned.due
    claimed = await asyncio.to_thread(
        partial(ledger.claim, sessions, board_id, due, planned.meeting_id, now, lease=lease)
    )
    if claimed is None:
        return None
    composed = await asyncio.to_thread(
        compose, sessions, channels, planned, claimed.entry_id, now, claimed.attempts
    )
    if composed is None:
        await asyncio.to_thread(ledger.mark_skipped, sessions, claimed, now)
        return None

    def outcome(platform: str, **failure: Any) -> Outcome:
        return Outcome(
            due.kind,
            composed.recipient,
            platform,
            composed.refs,
            due.slot,
            due.meeting.date.isoformat(),
            **failure,
        )

    channel = channel_for(composed.member, channels)
    if channel is None:
        await asyncio.to_thread(
            partial(ledger.mark_unreachable, sessions, claimed, now, refs=composed.refs)
        )
        return outcome(NOBODY)
    try:
        await channel.send(composed.member, composed.message)
    except Exception as error:
        failure = _as_delivery_error(error)
        if not isinstance(error, DeliveryError):  # an adapter's bug must not stop the others
            log.exception("%s %s to %s: unexpected error", due.kind, due.slot, composed.recipient)
        else:
            log.warning("%s %s to %s failed: %s", due.kind, due.slot, composed.recipient, error)
        retry_at = await asyncio.to_thread(
            partial(
                ledger.mark_failed,
                sessions,
                claimed,
                now,
                platform=channel.platform,
                error=str(failure),
                permanent=failure.permanent,
                retry_after=failure.retry_after,
            )
        )
        return outcome(channel.platform, error=str(failure), retry_at=retry_at)
    await asyncio.to_thread(
        partial(
            ledger.mark_sent, sessions, claimed, now, platform=channel.platform, refs=composed.refs
        )
    )
    return outcome(channel.platform)


def _as_delivery_error(error: Exception) -> DeliveryError:
    if isinstance(error, DeliveryError):
        return error
    return DeliveryError(f"{type(error).__name__}: {error}")


async def tick(
    sessions: sessionmaker[Session],
    channels: Sequence[Channel],
    now: datetime,
    *,
    lease: timedelta = ledger.LEASE,
) -> TickResult:
    """Send everything due at ``now`` that has not been sent: nudges first, then digests.

    ``lease``: how long each claim taken here keeps other tickers off the message.
    """
    result = TickResult(now)
    board_id, planned = await asyncio.to_thread(prepare, sessions, channels, now)
    if board_id is None:
        return result
    async with connected(channels):
        for item in planned:
            done = await deliver(sessions, channels, board_id, item, now, lease=lease)
            if done is None:
                continue
            (result.failed if done.error is not None else result.sent).append(done)
    return result
