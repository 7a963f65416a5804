"""What each due reminder says: the messages the scheduler sends, composed as use-cases.

The scheduler decides *when* (planning) and *whether it was sent* (its ledger); this module
decides *what a nudge or a digest says* and to whom answers go, reading the board as it stands
at the moment of sending (an action closed since the plan was made drops out).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db import queries
from db.models import NOTICE, Board, Meeting, Member
from handlers.context import LINKS, Caller, Ctx
from handlers.identity import Via
from handlers.notices import event_id_of, notice_reply
from handlers.reminders import Nudge, digest_reply, nudge_replies, officers_addresses
from handlers.reply import Reply
from planning import plan
from planning.calendar import meeting_start, zone

Row = TypeVar("Row", Member, Meeting)
SCHEDULER = Caller(None, "scheduler", Via.SYSTEM)
Reachable = Callable[[Member], bool]


@dataclass(frozen=True)
class Wanted:
    """A claimed message to compose: its recipient, its meeting and what kind it is."""

    recipient_id: int
    meeting_id: int
    kind: str  # planning.plan.NUDGE | planning.plan.DIGEST | db.models.NOTICE
    follows_a_snooze: bool = False
    slot: str = ""  # the ledger's slot: a notice's names the change it tells of


@dataclass(frozen=True)
class Reminder:
    """A composed nudge or digest: to whom, what it says, where answers to it should go."""

    member: Member
    reply: Reply
    reply_to: tuple[tuple[str, str], ...] = ()  # (name, address): the officers with email

    @property
    def refs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(view.ref for view in self.reply.actions))


def compose(
    sessions: sessionmaker[Session],
    board_id: int,
    wanted: Sequence[Wanted],
    now: datetime,
    reachable: Reachable,
) -> list[Reminder | None]:
    """Each wanted message as it stands now; None where nothing is left to say.

    One read for them all: a fan-out's nudges are composed together (``nudge_replies``).
    ``reachable`` says whether some channel can reach a member (the digest lists who not).
    Only board ``board_id``'s members and meetings are read: the ledger's rows are a board's.
    """
    with sessions() as session:
        board = session.get_one(Board, board_id)
        members = _by_id(session, Member, board_id, {w.recipient_id for w in wanted})
        meetings = _by_id(session, Meeting, board_id, {w.meeting_id for w in wanted})
        links = session.info.get(LINKS)  # the runtime's: where a digest's board link points
        ctx = Ctx(session, board, SCHEDULER, now, links(now) if links else None)
        found = {
            index: (members[w.recipient_id], meetings[w.meeting_id])
            for index, w in enumerate(wanted)
            if w.recipient_id in members and w.meeting_id in meetings
        }
        nudging = [i for i in found if wanted[i].kind == plan.NUDGE]
        nudges = [Nudge(*found[i], snoozed=wanted[i].follows_a_snooze) for i in nudging]
        reply_to = tuple(officers_addresses(ctx))
        reminders: dict[int, Reminder | None] = {
            i: Reminder(found[i][0], reply, reply_to) if reply else None
            for i, reply in zip(nudging, nudge_replies(ctx, nudges), strict=True)
        }
        for index, (member, meeting) in found.items():
            if wanted[index].kind == NOTICE:  # an owner told of an action added or given to them
                told = notice_reply(ctx, member, event_id_of(wanted[index].slot))
                reminders[index] = Reminder(member, told, reply_to) if told else None
            elif index not in reminders:  # a digest: the whole board, as this officer sees it
                officer = replace(ctx, caller=Caller(member, "scheduler", Via.SYSTEM))
                reminders[index] = Reminder(member, digest(officer, meeting, reachable), reply_to)
        return [reminders.get(i) for i in range(len(wanted))]


def _by_id(session: Session, model: type[Row], board_id: int, ids: set[int]) -> dict[int, Row]:
    rows = session.scalars(select(model).where(model.id.in_(ids), model.board_id == board_id))
    return {row.id: row for row in rows}


def digest(ctx: Ctx, meeting: Meeting, reachable: Reachable) -> Reply:
    """The officer's digest before ``meeting``: what changed since their last digest (or the
    last meeting, or the board's start)."""
    member = ctx.caller.member
    assert member is not None
    facts = [plan.MeetingFact.of(m) for m in queries.meetings(ctx.session, ctx.board)]
    previous = plan.previous_meeting(ctx.board, facts, plan.MeetingFact.of(meeting))
    last_meeting = ctx.session.get(Meeting, previous.id) if previous and previous.id else None
    last_digest = queries.latest_digest_sent(ctx.session, ctx.board.id, member.id, ctx.now)
    tz = zone(ctx.board.timezone)
    if last_digest is not None:
        since, label = last_digest, f"your last digest ({last_digest.astimezone(tz):%a %-d %b})"
    elif last_meeting is not None:
        since = meeting_start(last_meeting.date, last_meeting.time, ctx.board.timezone)
        label = f"the meeting on {last_meeting.date:%-d %B %Y}"
    else:
        since, label = ctx.board.created_at, "the board was set up"
    return digest_reply(
        ctx, meeting, since=since, since_label=label, last_meeting=last_meeting, reachable=reachable
    )
