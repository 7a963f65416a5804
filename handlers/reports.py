"""Read-only answers: help, mine, outstanding, next."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TypeVar

from db import queries
from db.models import ActionStatus, Role
from db.queries import ActionFacts, ListedAction, OwnerFacts
from handlers.commands import USAGE, Help, Mine, Next, Outstanding
from handlers.context import Ctx, not_linked_message
from handlers.errors import Forbidden, NotFound
from handlers.meetings import next_meeting
from handlers.reply import Button, Reply, Section, Tone, Visibility
from handlers.views import fitting, listed_views
from planning.calendar import local_date

OFFICER_ONLY = ("add", "reassign", "link", "import")


def help_reply(ctx: Ctx, command: Help) -> Reply:
    member = ctx.caller.member
    verbs = [
        v for v in USAGE if member is not None and (member.is_officer or v not in OFFICER_ONLY)
    ]
    lines = [USAGE[v] for v in verbs] or [USAGE["help"]]
    if member is None:
        lines.append(not_linked_message(ctx))
    else:
        lines.append("A REF is the agenda item and the owner's initials: 04-CR, 4-cr or 04 CR.")
    title = f"{ctx.board.command_prefix} — the {ctx.board.name}'s action tracker"
    return Reply(title=title, lines=tuple(lines))


def _next_line(ctx: Ctx) -> str:
    upcoming = next_meeting(ctx.session, ctx.board, ctx.now)
    return f"Next meeting: {upcoming.describe()}." if upcoming else "No next meeting is known."


def mine(ctx: Ctx, _command: Mine) -> Reply:
    member = ctx.require_member()
    open_actions = queries.listed_actions(
        ctx.session, ctx.board, status=ActionStatus.OPEN, owner=member
    )
    if not open_actions:
        return Reply("You have no open actions.", lines=(_next_line(ctx),), tone=Tone.SUCCESS)
    views = listed_views(ctx, open_actions)
    title = f"Your open actions ({len(views)})"
    return Reply(title, lines=(_next_line(ctx),), sections=(Section(None, actions=tuple(views)),))


ActionT = TypeVar("ActionT", bound=ActionFacts)


def by_owner(actions: Sequence[ActionT]) -> dict[OwnerFacts | None, list[ActionT]]:
    """Open actions grouped by owner; a joint action appears under each of its owners."""
    groups: dict[OwnerFacts | None, list[ActionT]] = defaultdict(list)
    for action in actions:
        for owner in action.owners or [None]:
            groups[owner].append(action)
    return dict(sorted(groups.items(), key=lambda kv: kv[0].name if kv[0] else "~"))


def outstanding(ctx: Ctx, command: Outstanding) -> Reply:
    member = ctx.require_member()
    if command.post and member.role != Role.CHAIR:
        raise Forbidden("Only the chair can post the outstanding actions to the channel.")
    owner = None
    if command.owner:
        owner = queries.member_by_initials(ctx.session, ctx.board, command.owner)
        if owner is None:
            raise NotFound(f"No member has the initials {command.owner}.")
    open_actions = queries.listed_actions(
        ctx.session, ctx.board, status=ActionStatus.OPEN, owner=owner
    )
    if command.post:
        open_actions = [a for a in open_actions if not a.closed_session]
    if not open_actions:
        who = f" for {owner.name}" if owner else ""
        return Reply(f"Nothing is outstanding{who}.", lines=(_next_line(ctx),), tone=Tone.SUCCESS)
    groups = [
        (person, owned)
        for person, owned in by_owner(open_actions).items()
        if owner is None or (person is not None and person.id == owner.id)
    ]
    listed = _listed_in_room(ctx, [action for _person, owned in groups for action in owned])
    every_open = open_actions if owner is None and not command.post else None
    shown = listed_views(
        ctx, list(listed.values()), with_buttons=not command.post, every_open=every_open
    )
    view_of = {view.action_id: view for view in shown}
    sections = []
    for person, owned in groups:
        heading = f"{person.name} ({person.initials})" if person else "No owner"
        views = tuple(view_of[a.id] for a in owned if a.id in listed)
        sections.append(Section(f"{heading} — {len(owned)}", actions=views))
        if len(views) < len(owned):
            break  # the caller's room is full: the rest are counted, not listed
    buttons = ()
    if member.role == Role.CHAIR and not command.post:
        named = " ".join(filter(None, (command.board, command.owner)))
        text = f"outstanding {named} --post".replace("  ", " ")
        buttons = (Button("Post to channel", text),)
    return Reply(
        title=f"Outstanding actions: {len(open_actions)}",
        lines=(_next_line(ctx),),
        sections=tuple(sections),
        buttons=buttons,
        visibility=Visibility.CHANNEL if command.post else Visibility.EPHEMERAL,
        unlisted=len(open_actions) - len(listed),
    )


def _listed_in_room(ctx: Ctx, entries: Sequence[ListedAction]) -> dict[int, ListedAction]:
    """The actions of ``entries`` (in the order shown; a joint action once under each owner)
    that the caller's room could show, by id, in order."""
    return {action.id: action for action in entries[: fitting(ctx.room, entries)]}


def next_reply(ctx: Ctx, _command: Next) -> Reply:
    member = ctx.require_member()
    upcoming = next_meeting(ctx.session, ctx.board, ctx.now)
    if upcoming is None:
        return Reply("No next meeting is known.", lines=("Ask the secretariat to add one.",))
    days = (upcoming.date - local_date(ctx.now, ctx.board.timezone)).days
    lines = [upcoming.describe(), f"That is in {days} day{'s' if days != 1 else ''}."]
    owned = queries.listed_actions(ctx.session, ctx.board, status=ActionStatus.OPEN, owner=member)
    lines.append(
        f"You have {len(owned)} open action{'s' if len(owned) != 1 else ''} to report on."
        if owned
        else "You have no open actions to report on."
    )
    sections = (
        (Section("Your open actions", actions=tuple(listed_views(ctx, owned))),) if owned else ()
    )
    return Reply(title="Next meeting", lines=tuple(lines), sections=sections)
