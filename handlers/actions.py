"""Changing actions: done, reopen, note, add, reassign: one transaction and one audit event each."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from db import queries
from db.models import Action, ActionOwner, ActionStatus, EventKind, Member
from handlers.audit import record
from handlers.commands import Add, Done, Note, Reassign, Reopen
from handlers.context import Ctx
from handlers.errors import Forbidden, NotFound, UserError
from handlers.mentions import name_mentions
from handlers.notices import queue_notices
from handlers.refs import ActionId, Target
from handlers.reply import Reply, Section, Tone
from handlers.resolve import resolve
from handlers.views import action_views, may_change
from planning.calendar import local_date, zone


def _stamp(ctx: Ctx) -> str:
    return _local_stamp(ctx, ctx.now)


def _local_stamp(ctx: Ctx, at: datetime) -> str:
    local = at.astimezone(zone(ctx.board.timezone))
    return f"{local:%H:%M on %a %-d %b %Y}"


def _changeable(ctx: Ctx, target: Target, verb: str) -> Action:
    member = ctx.require_member()
    action = resolve(ctx, target)
    if not may_change(member, action):
        owners = ", ".join(f"{o.name} ({o.initials})" for o in action.owners) or "nobody yet"
        named = action_views(ctx, [action])[0].ref if isinstance(target, ActionId) else target
        raise Forbidden(
            f"You can't {verb} {named}: it belongs to {owners}. "
            "Only its owner, the chair or the secretariat can."
        )
    return action


def _changed(ctx: Ctx, title: str, action: Action, *lines: str) -> Reply:
    view = action_views(ctx, [action])[0]
    return Reply(
        title=title.format(ref=view.ref),
        lines=(*lines, f"Recorded by {ctx.caller.audit_label} at {_stamp(ctx)}."),
        sections=(Section(None, actions=(view,)),),
        tone=Tone.SUCCESS,
        changed=True,
    )


def _unchanged(ctx: Ctx, action: Action, why: str) -> Reply:
    """A command that finds nothing to do: it says why, shows the action as it is now, and
    changes nothing. Typing a command again, or clicking an old button, ends here."""
    view = action_views(ctx, [action])[0]
    return Reply(
        title=why.format(ref=view.ref),
        lines=("Nothing changed.",),
        sections=(Section(None, actions=(view,)),),
        tone=Tone.WARNING,
    )


def _closed_by(action: Action) -> str:
    who = action.done_by.initials if action.done_by else "someone"
    when = f" on {action.done_at:%-d %b %Y}" if action.done_at else ""
    return f"{who} closed it{when}"


def _stale(target: Target, action: Action) -> bool:
    """A button's action no longer in the status its message showed."""
    return isinstance(target, ActionId) and target.shown not in (None, action.status)


def done(ctx: Ctx, command: Done) -> Reply:
    action = _changeable(ctx, command.ref, "close")
    if action.status == ActionStatus.DONE:
        return _unchanged(ctx, action, "{ref} is already done: " + _closed_by(action) + ".")
    if _stale(command.ref, action):
        return _unchanged(ctx, action, "{ref} was reopened since that message.")
    action.status = ActionStatus.DONE
    action.done_at = ctx.now
    action.done_by = ctx.caller.member
    record(ctx, EventKind.DONE, action=action, note=name_mentions(ctx, command.note))
    ctx.session.flush()
    return _changed(ctx, "Done: {ref}", action)


def reopen(ctx: Ctx, command: Reopen) -> Reply:
    action = _changeable(ctx, command.ref, "reopen")
    if action.status == ActionStatus.OPEN:
        return _unchanged(ctx, action, "{ref} is open: there is nothing to reopen.")
    if _stale(command.ref, action):
        return _unchanged(ctx, action, "{ref} was closed again since that message.")
    action.status = ActionStatus.OPEN
    action.done_at = None
    action.done_by = None
    record(ctx, EventKind.REOPENED, action=action, note=name_mentions(ctx, command.reason))
    ctx.session.flush()
    return _changed(ctx, "Reopened: {ref}", action)


def note(ctx: Ctx, command: Note) -> Reply:
    """An update on an action, open or done. The same update twice is recorded once."""
    action = _changeable(ctx, command.ref, "update")
    text = name_mentions(ctx, command.text) or command.text
    latest = queries.latest_note(ctx.session, action, ctx.caller.member)
    if latest is not None and (latest.note, latest.rag) == (text, command.rag):
        when = _local_stamp(ctx, latest.at)
        return _unchanged(ctx, action, "That update on {ref} was already recorded at " + when + ".")
    record(ctx, EventKind.NOTE, action=action, note=text, rag=command.rag)
    ctx.session.flush()
    return _changed(ctx, "Update recorded on {ref}", action)


def _owners(ctx: Ctx, initials: tuple[str, ...]) -> list[Member]:
    found = []
    for each in initials:
        member = queries.member_by_initials(ctx.session, ctx.board, each)
        if member is None:
            known = ", ".join(m.initials for m in queries.members(ctx.session, ctx.board))
            raise NotFound(f"No member has the initials {each}.", hints=(f"Members: {known}",))
        if not member.active:
            raise UserError(
                f"{member.name} ({member.initials}) is deactivated: choose someone else."
            )
        found.append(member)
    if len(set(found)) != len(found):
        raise UserError("An owner is named twice.")
    return found


def _link_owners(action: Action, owners: list[Member]) -> None:
    action.owner_links = [ActionOwner(member=owner, position=n) for n, owner in enumerate(owners)]


def add(ctx: Ctx, command: Add) -> Reply:
    ctx.require_officer("add actions")
    owners = _owners(ctx, command.owners)
    today = local_date(ctx.now, ctx.board.timezone)
    meeting = queries.latest_meeting_before(ctx.session, ctx.board, today)
    if meeting is None:
        raise UserError(
            "No meeting has been held yet to raise the action at. "
            "Record one first with `crb meeting add YYYY-MM-DD`."
        )
    text = name_mentions(ctx, command.text) or command.text
    twin = _same_action(ctx, meeting.id, command.item, owners, text)
    if twin is not None:
        return _unchanged(ctx, twin, "That action is already on the board as {ref}.")
    last = ctx.session.scalar(
        select(func.max(Action.position)).where(Action.meeting_id == meeting.id)
    )
    action = Action(
        board_id=ctx.board.id,
        meeting=meeting,
        item=command.item,
        position=(last or 0) + 1,
        text=text,
        created_at=ctx.now,
    )
    _link_owners(action, owners)
    ctx.session.add(action)
    ctx.session.flush()
    event = record(ctx, EventKind.CREATED, action=action, details={"owners": list(command.owners)})
    queue_notices(ctx, action, event, owners)
    return _changed(
        ctx, "Added {ref}", action, f"Raised at the meeting of {meeting.date:%-d %B %Y}."
    )


def _same_action(
    ctx: Ctx, meeting_id: int, item: str, owners: list[Member], text: str
) -> Action | None:
    """An open action the same command added before: adding it again would be a duplicate."""
    same = ctx.session.scalars(
        select(Action).where(
            Action.meeting_id == meeting_id,
            Action.item == item,
            Action.text == text,
            Action.status == ActionStatus.OPEN,
        )
    )
    return next((a for a in same if list(a.owner_initials) == [o.initials for o in owners]), None)


def reassign(ctx: Ctx, command: Reassign) -> Reply:
    ctx.require_officer("reassign actions")
    action = resolve(ctx, command.ref)
    if action.status == ActionStatus.DONE:
        return _unchanged(ctx, action, "{ref} is done: reopen it before giving it to someone else.")
    before = list(action.owner_initials)
    owners = _owners(ctx, command.owners)
    if [o.initials for o in owners] == before:
        return Reply(f"{command.ref} already belongs to {'/'.join(before)}. Nothing changed.")
    action.owner_links.clear()
    ctx.session.flush()  # the old links go before the new: an owner may stay, under the same key
    _link_owners(action, owners)
    ctx.session.flush()
    event = record(
        ctx,
        EventKind.REASSIGNED,
        action=action,
        details={"from": before, "to": [o.initials for o in owners]},
    )
    queue_notices(ctx, action, event, [o for o in owners if o.initials not in before])
    return _changed(ctx, "Reassigned: now {ref}", action, f"It was {'/'.join(before)}'s.")
