"""Actions as the reply model shows them: refs, owners, latest update and buttons."""

from __future__ import annotations

from collections.abc import Sequence

from db import queries
from db.models import Action, ActionStatus, Member
from db.queries import ActionFacts, ListedAction
from handlers.context import Ctx
from handlers.refs import ActionId
from handlers.reply import ActionView, Button, Room
from handlers.resolve import display_refs, shorten

__all__ = ["action_views", "buttons_for", "display_refs", "fitting", "listed_views", "may_change"]

# The least a listed action's line can take besides its text: "• ", the shortest REF ("4-A"),
# " — " and the line's end. Counting each line at no more than it can take means every action a
# renderer shows has its view.
_LEAST_LINE = len("• ") + len("4-A") + len(" — ") + 1


def fitting(room: Room | None, shown: Sequence[ActionFacts]) -> int:
    """How many of ``shown``, in order, could fit in ``room`` (all of them without one)."""
    if room is None:
        return len(shown)
    left = room.characters
    for count, action in enumerate(shown):
        left -= _LEAST_LINE + len(shorten(action.text, room.text))
        if left < 0:
            return count
    return len(shown)


def may_change(member: Member | None, action: ActionFacts) -> bool:
    """Owners change their own actions; the chair and the secretariat change anyone's."""
    if member is None:
        return False
    return member.is_officer or member.id in {owner.id for owner in action.owners}


def buttons_for(member: Member | None, action: ListedAction, ref: str) -> tuple[Button, ...]:
    """What ``member`` may do to ``action`` from here. Each button names the action by its id
    and the status shown, so a click never acts on another action, nor on a changed one."""
    if not may_change(member, action):
        return ()
    shown = ActionId(action.id, str(action.status))
    if action.status == ActionStatus.DONE:
        return (Button("Reopen", f"reopen {ref}", target=("reopen", shown)),)
    return (
        Button("Mark done", f"done {ref}", "primary", target=("done", shown)),
        Button("Add update", f"note {ref}", target=("note", shown)),
    )


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
    every_open: Sequence[ListedAction] | None = None,
) -> list[ActionView]:
    """Views of ``shown``, each with the REF that names it alone among the board's actions
    (``every_open``: the board's open actions, when the caller has read them all)."""
    refs = display_refs(ctx.session, ctx.board, shown, every_open)
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
