"""Actions as the reply model shows them: refs, owners, latest update and buttons."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from db import queries
from db.models import Action, ActionStatus, Board, Member
from db.queries import ActionFacts, ListedAction
from handlers.context import Ctx
from handlers.reply import ActionView, Button
from handlers.resolve import unique_refs


def may_change(member: Member | None, action: ActionFacts) -> bool:
    """Owners change their own actions; the chair and the secretariat change anyone's."""
    if member is None:
        return False
    return member.is_officer or member.id in {owner.id for owner in action.owners}


def buttons_for(member: Member | None, action: ListedAction, ref: str) -> tuple[Button, ...]:
    if not may_change(member, action):
        return ()
    if action.status == ActionStatus.DONE:
        return (Button("Reopen", f"reopen {ref}"),)
    return (Button("Mark done", f"done {ref}", "primary"), Button("Add update", f"note {ref}"))


def display_refs(
    session: Session,
    board: Board,
    shown: Sequence[ActionFacts],
    *,
    board_open: Sequence[ActionFacts] | None = None,
) -> dict[int, str]:
    """REFs to show: each names its action alone among the board's open actions and ``shown``.

    Only open actions under the same items with the same owners can share a REF: those are
    all that is loaded, not the whole board's (a tick's nudges would otherwise each read every
    open action). ``board_open``: every open action of the board, when the caller has already
    loaded them.
    """
    if board_open is None:
        items = {action.item for action in shown}
        owner_ids = {owner.id for action in shown for owner in action.owners}
        board_open = queries.open_rivals(session, board, items, owner_ids) if items else []
    return unique_refs(session, shown, [*board_open, *shown])


def action_views(ctx: Ctx, shown: Sequence[Action]) -> list[ActionView]:
    """``listed_views`` of ORM actions (the one a command changed, a nudge's), in their order."""
    listed = queries.listed_actions(ctx.session, ctx.board, ids=[a.id for a in shown])
    by_id = {action.id: action for action in listed}
    return listed_views(ctx, [by_id[action.id] for action in shown])


def listed_views(
    ctx: Ctx,
    shown: Sequence[ListedAction],
    *,
    with_buttons: bool = True,
    board_open: Sequence[ListedAction] | None = None,
) -> list[ActionView]:
    """Views of ``shown``, each with the REF that names it alone among the board's open actions."""
    refs = display_refs(ctx.session, ctx.board, shown, board_open=board_open)
    member = ctx.caller.member if with_buttons else None
    return [
        ActionView(
            ref=refs[action.id],
            item=action.item,
            meeting=action.meeting_date.isoformat(),
            owners=action.owner_initials,
            owner_names=tuple(owner.name for owner in action.owners),
            text=action.text,
            status=action.status,
            done_at=action.done_at,
            done_by=action.done_by_initials,
            latest_update=action.latest_update,
            rag=action.rag,
            buttons=buttons_for(member, action, refs[action.id]),
            action_id=action.id,
        )
        for action in shown
    ]
