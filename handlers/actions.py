"""Changing actions: done, reopen, note, add, reassign, edit: one transaction and one audit event
each. Chat names an action by a typed REF; buttons, forms and links by its id (``ActionId``), and
a form also by the version it showed, so that a change made since is never overwritten unseen."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select

from db import queries
from db.models import Action, ActionOwner, ActionStatus, AuditEvent, EventKind, Member
from handlers.audit import record
from handlers.commands import MAX_TEXT, Add, Done, EditText, Note, Reassign, Reopen, clean_text
from handlers.context import Ctx
from handlers.errors import Forbidden, NotFound, Stale, UserError
from handlers.refs import ActionId, Ref, Target
from handlers.reply import Reply, Section, Tone
from handlers.resolve import resolve
from handlers.views import action_views, display_refs, may_change
from planning.calendar import local_date, zone


def _stamp(ctx: Ctx) -> str:
    local = ctx.now.astimezone(zone(ctx.board.timezone))
    return f"{local:%H:%M on %a %-d %b %Y}"


def version(ctx: Ctx, action: Action) -> str:
    """A short fingerprint of the action as a page shows it: status, text, owners, and its latest
    audit event (every change to an action records one, an update included)."""
    latest = ctx.session.scalar(
        select(func.max(AuditEvent.id)).where(AuditEvent.action_id == action.id)
    )
    owners = ",".join(str(owner.id) for owner in action.owners)
    facts = f"{action.status}|{owners}|{latest}|{action.text}"
    return hashlib.sha256(facts.encode()).hexdigest()[:16]


def named(ctx: Ctx, action: Action) -> str:
    """The REF that names ``action`` alone among the board's open actions."""
    return display_refs(ctx.session, ctx.board, [action])[action.id]


def _as_shown(ctx: Ctx, target: Target, action: Action) -> None:
    """An action named by a form must still be as the form's page showed it."""
    if isinstance(target, ActionId) and target.seen not in (None, version(ctx, action)):
        raise Stale(
            f"{named(ctx, action)} has changed since you opened it, so nothing was changed. "
            "Here it is as it is now."
        )


def _changeable(ctx: Ctx, target: Target, status: ActionStatus | None, verb: str) -> Action:
    member = ctx.require_member()
    action = resolve(ctx, target, status)
    if not may_change(member, action):
        owners = ", ".join(f"{o.name} ({o.initials})" for o in action.owners) or "nobody yet"
        shown = target if isinstance(target, Ref) else named(ctx, action)
        raise Forbidden(
            f"You can't {verb} {shown}: it belongs to {owners}. "
            "Only its owner, the chair or the secretariat can."
        )
    _as_shown(ctx, target, action)
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


def done(ctx: Ctx, command: Done) -> Reply:
    action = _changeable(ctx, command.ref, ActionStatus.OPEN, "close")
    action.status = ActionStatus.DONE
    action.done_at = ctx.now
    action.done_by = ctx.caller.member
    record(ctx, EventKind.DONE, action=action, note=command.note)
    ctx.session.flush()
    return _changed(ctx, "Done: {ref}", action)


def reopen(ctx: Ctx, command: Reopen) -> Reply:
    action = _changeable(ctx, command.ref, ActionStatus.DONE, "reopen")
    action.status = ActionStatus.OPEN
    action.done_at = None
    action.done_by = None
    record(ctx, EventKind.REOPENED, action=action, note=command.reason)
    ctx.session.flush()
    return _changed(ctx, "Reopened: {ref}", action)


def note(ctx: Ctx, command: Note) -> Reply:
    if isinstance(command.ref, ActionId):  # the page of a closed action takes updates too
        action = _changeable(ctx, command.ref, None, "update")
    else:
        try:
            action = _changeable(ctx, command.ref, ActionStatus.OPEN, "update")
        except NotFound:
            action = _changeable(ctx, command.ref, None, "update")
    record(ctx, EventKind.NOTE, action=action, note=command.text, rag=command.rag)
    ctx.session.flush()
    return _changed(ctx, "Update recorded on {ref}", action)


def _require_officer(ctx: Ctx, what: str) -> Member:
    member = ctx.require_member()
    if not member.is_officer:
        raise Forbidden(f"Only the chair or the secretariat can {what}.")
    return member


def _owners(ctx: Ctx, initials: tuple[str, ...]) -> list[Member]:
    found = []
    for each in initials:
        member = queries.member_by_initials(ctx.session, ctx.board, each)
        if member is None:
            known = ", ".join(m.initials for m in queries.members(ctx.session, ctx.board))
            raise NotFound(f"No member has the initials {each}.", hints=(f"Members: {known}",))
        found.append(member)
    if len(set(found)) != len(found):
        raise UserError("An owner is named twice.")
    return found


def _link_owners(action: Action, owners: list[Member]) -> None:
    action.owner_links = [ActionOwner(member=owner, position=n) for n, owner in enumerate(owners)]


def add(ctx: Ctx, command: Add) -> Reply:
    _require_officer(ctx, "add actions")
    owners = _owners(ctx, command.owners)
    today = local_date(ctx.now, ctx.board.timezone)
    meeting = queries.latest_meeting_before(ctx.session, ctx.board, today)
    if meeting is None:
        raise UserError(
            "No meeting has been held yet to raise the action at. "
            "Record one first with `crb meeting add YYYY-MM-DD`."
        )
    last = ctx.session.scalar(
        select(func.max(Action.position)).where(Action.meeting_id == meeting.id)
    )
    action = Action(
        board_id=ctx.board.id,
        meeting=meeting,
        item=command.item,
        position=(last or 0) + 1,
        text=command.text,
        created_at=ctx.now,
    )
    _link_owners(action, owners)
    ctx.session.add(action)
    ctx.session.flush()
    record(ctx, EventKind.CREATED, action=action, details={"owners": list(command.owners)})
    return _changed(
        ctx, "Added {ref}", action, f"Raised at the meeting of {meeting.date:%-d %B %Y}."
    )


def reassign(ctx: Ctx, command: Reassign) -> Reply:
    """Give an open action to other owners; by id, also give an owner to one that has none (an
    import's ``03-?``), whatever its status."""
    _require_officer(ctx, "reassign actions")
    # By id, an action with no owner (an import's ``03-?``) is given one whatever its status.
    by_id = isinstance(command.ref, ActionId)
    action = resolve(ctx, command.ref, None if by_id else ActionStatus.OPEN)
    unowned = not action.owner_links
    if by_id and not unowned and action.status != ActionStatus.OPEN:
        raise UserError(f"{named(ctx, action)} is done: reopen it first. Nothing changed.")
    _as_shown(ctx, command.ref, action)
    before = list(action.owner_initials)
    owners = _owners(ctx, command.owners)
    if [o.initials for o in owners] == before:
        already = f"{named(ctx, action)} already belongs to {'/'.join(before)}."
        return Reply(f"{already} Nothing changed.")
    action.owner_links.clear()
    ctx.session.flush()  # the old links go before the new: an owner may stay, under the same key
    _link_owners(action, owners)
    ctx.session.flush()
    record(
        ctx,
        EventKind.REASSIGNED,
        action=action,
        details={"from": before, "to": [o.initials for o in owners]},
    )
    if unowned:
        return _changed(ctx, "Given an owner: now {ref}", action, "It had no owner.")
    return _changed(ctx, "Reassigned: now {ref}", action, f"It was {'/'.join(before)}'s.")


def edit_text(ctx: Ctx, command: EditText) -> Reply:
    """Correct what an action says (the chair or the secretariat): its REF stays the same."""
    _require_officer(ctx, "edit what an action says")
    action = resolve(ctx, command.ref, None)
    _as_shown(ctx, command.ref, action)
    text = clean_text(command.text)
    if not text:
        raise UserError("The action's text is empty: say what is to be done.")
    if len(text) > MAX_TEXT:
        raise UserError(f"That is too long: keep it under {MAX_TEXT} characters.")
    if text == action.text:
        return Reply(f"{named(ctx, action)} already says that. Nothing changed.")
    before = action.text
    action.text = text
    record(ctx, EventKind.TEXT_EDITED, action=action, details={"from": before, "to": text})
    ctx.session.flush()
    return _changed(ctx, "Edited {ref}", action)
