"""Telling an owner that an action was added for them or reassigned to them.

The change writes the notice into the reminder ledger in its own transaction (an outbox): one
row per new owner, keyed by (owner, the action's meeting, ``notice-<audit event id>``). The next
tick claims it and sends it through the owner's channel like a nudge, so it goes exactly once,
after the change has committed, and a refused change leaves none behind. An owner no channel can
reach is listed by the tick (platform "none") and told once one can. When the tick comes, a
notice whose action has since been closed or given to someone else has nothing left to say and
is skipped. Nobody is told of their own change, and an import tells nobody (the minutes are
circulated, and the nudges follow).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from db import queries
from db.models import (
    NOTICE,
    Action,
    ActionStatus,
    AuditEvent,
    DeliveryState,
    EventKind,
    LedgerEntry,
    Member,
)
from handlers.context import Ctx
from handlers.reply import Reply, Section
from handlers.views import action_views, buttons_for

_PREFIX = "notice-"


def notice_slot(event: AuditEvent) -> str:
    return f"{_PREFIX}{event.id}"


def event_id_of(slot: str) -> int | None:
    tail = slot.removeprefix(_PREFIX)
    return int(tail) if slot.startswith(_PREFIX) and tail.isdigit() else None


def queue_notices(ctx: Ctx, action: Action, event: AuditEvent, owners: Sequence[Member]) -> int:
    """Queue a notice for each of ``owners`` other than the person making the change."""
    if ctx.caller.channel == "import":
        return 0
    ctx.session.flush()  # the event's id names the notice
    me = ctx.caller.member.id if ctx.caller.member else None
    told = [owner for owner in owners if owner.id != me and owner.active]
    for owner in told:
        ctx.session.add(
            LedgerEntry(
                board_id=ctx.board.id,
                recipient_id=owner.id,
                meeting_id=action.meeting_id,
                slot=notice_slot(event),
                kind=NOTICE,
                due_at=ctx.now,
                state=DeliveryState.PENDING,
                attempts=0,
                created_at=ctx.now,
                updated_at=ctx.now,
            )
        )
    return len(told)


def notice_reply(ctx: Ctx, owner: Member, event_id: int | None) -> Reply | None:
    """The notice as it stands now; None when the action is no longer open and theirs."""
    event = ctx.session.get(AuditEvent, event_id) if event_id is not None else None
    action = ctx.session.get(Action, event.action_id) if event and event.action_id else None
    if event is None or action is None or action.status != ActionStatus.OPEN:
        return None
    if owner.id not in {o.id for o in action.owners}:
        return None
    view = action_views(ctx, [action])[0]
    listed = queries.listed_actions(ctx.session, ctx.board, ids=[action.id])[0]
    view = replace(view, buttons=buttons_for(owner, listed, view.ref))
    by = event.actor.name if event.actor else "the secretariat"
    # The board is named: a person on two boards must know whose action this is.
    if event.kind == EventKind.REASSIGNED:
        title = f"{by} has given you an action on the {ctx.board.name}: {view.ref}"
    else:
        title = f"{by} has added an action for you on the {ctx.board.name}: {view.ref}"
    meeting = action.meeting
    return Reply(
        title=title,
        lines=(
            f"Raised at the meeting of {meeting.date:%-d %B %Y}, item {action.item}.",
            "Mark it done when it is, or add an update for the board to read.",
        ),
        sections=(Section("Your new action", actions=(view,)),),
    )
