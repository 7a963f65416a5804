"""The secretariat's members: add, edit, deactivate and reactivate, roles (handing the chair
over), linking and unlinking. The chair and the secretariat (or the command line) only.

Every function takes the request's context, checks permission, changes, records an audit event
and returns what happened as a ``Changed``; bad input raises a ``UserError`` and changes nothing.
A member is never deleted: a deactivated member keeps their history and their initials.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import delete, func, select

from db import queries
from db.models import (
    Action,
    ActionOwner,
    ActionStatus,
    EventKind,
    Member,
    Role,
    TeamsConversation,
)
from handlers.audit import record
from handlers.context import Ctx
from handlers.email_links import revoke_links
from handlers.errors import UserError
from handlers.members import (
    IDENTITIES,
    add_member,
    check_initials,
    find_member,
    joined_note,
    link_member,
)
from handlers.plain import plain_line, plain_or_none
from handlers.reach import reach_for_all
from handlers.views import display_refs

IDENTITY_NAMES = {"slack_id": "Slack account", "teams_id": "Teams account", "email": "email"}
ROLE_NAMES = {Role.CHAIR: "the chair", Role.SECRETARIAT: "the secretariat", Role.MEMBER: "a member"}


@dataclass(frozen=True)
class Changed:
    """What a change did, in words for the person who asked."""

    summary: str
    notes: tuple[str, ...] = ()
    changed: bool = True


def who(member: Member) -> str:
    return f"{member.name} ({member.initials})"


def new_member(
    ctx: Ctx,
    initials: str,
    name: str,
    *,
    role: Role = Role.MEMBER,
    capacity: str | None = None,
    **identities: str | None,
) -> Changed:
    """Add a member; adding one as chair hands the chair over from the present one."""
    ctx.require_officer("add members")
    existing = queries.member_by_initials(ctx.session, ctx.board, check_initials(initials))
    if existing is not None:
        raise UserError(_already_a_member(existing, role))
    previous_chair = current_chair(ctx) if role == Role.CHAIR else None
    member = add_member(ctx, initials, name, role=role, capacity=capacity, **identities)
    joined = joined_note(member)  # the same person as a seat on another board
    notes: tuple[str, ...] = (joined,) if joined else ()
    if previous_chair is not None:
        _set_role(ctx, previous_chair, Role.MEMBER, handover_to=member)
        notes += (f"{who(previous_chair)} is now a member.",)
    return Changed(f"Added {who(member)} as {ROLE_NAMES[member.role]}.", notes)


def _already_a_member(member: Member, role: Role) -> str:
    message = f"{member.initials} is already a member: {member.name}."
    if role != Role.MEMBER and member.role != role:
        return (
            f"{message} To make them {ROLE_NAMES[role]}: crb member role {member.initials} {role}"
        )
    return f"{message} Choose other initials, or change theirs with crb member edit."


def current_chair(ctx: Ctx) -> Member | None:
    chairs = [m for m in queries.officers(ctx.session, ctx.board) if m.role == Role.CHAIR]
    return chairs[0] if chairs else None


def edit_member(
    ctx: Ctx,
    initials: str,
    *,
    name: str | None = None,
    new_initials: str | None = None,
    capacity: str | None = None,
    email: str | None = None,
) -> Changed:
    """Change what is given (None: leave it). An empty capacity or email clears it."""
    ctx.require_officer("edit members")
    member = find_member(ctx, initials)
    changes: dict[str, str] = {}
    if name is not None:
        cleaned = plain_line(name)
        if not cleaned:
            raise UserError("A member needs a name.")
        _change(member, "name", cleaned, changes)
    if new_initials is not None:
        wanted = check_initials(new_initials)
        holder = queries.member_by_initials(ctx.session, ctx.board, wanted)
        if holder is not None and holder.id != member.id:
            raise UserError(f"{wanted} are already {holder.name}'s initials.")
        _change(member, "initials", wanted, changes)
    if capacity is not None:
        _change(member, "capacity", plain_or_none(capacity), changes)
    if changes:
        ctx.session.flush()
        record(ctx, EventKind.MEMBER_CHANGED, member=member, details=changes)
    notes = []
    if "initials" in changes:
        notes.append(f"Their actions' REFs now use {member.initials}.")
    if email is not None:
        linked = _set_email(ctx, member, email)
        if linked:
            changes["email"] = linked
    if not changes:
        return Changed(f"Nothing changed for {who(member)}.", changed=False)
    return Changed(f"Changed {who(member)}: {', '.join(changes)}.", tuple(notes))


def _change(member: Member, field: str, value: str | None, changes: dict[str, str]) -> None:
    before = getattr(member, field)
    if before != value:
        changes[field] = f"{before or '(none)'} -> {value or '(none)'}"
        setattr(member, field, value)


def _set_email(ctx: Ctx, member: Member, email: str) -> str | None:
    if not email.strip():
        return "removed" if _unlink(ctx, member, "email") else None
    return "changed" if link_member(ctx, member, email=email) else None


def link(ctx: Ctx, initials: str, field: str, value: str) -> Changed:
    ctx.require_officer("link members")
    member = find_member(ctx, initials)
    what = IDENTITY_NAMES.get(field, field)
    if not link_member(ctx, member, **{field: value}):
        return Changed(f"{who(member)} was already linked to that {what}.", changed=False)
    return Changed(f"Linked {who(member)} to {what} {getattr(member, field)}.")


def unlink(ctx: Ctx, initials: str, field: str) -> Changed:
    """Forget a member's Slack account, Teams account or email: nudges stop going there."""
    ctx.require_officer("unlink members")
    if field not in IDENTITIES:
        raise UserError(f"I can't unlink a {field}.")
    member = find_member(ctx, initials)
    what = IDENTITY_NAMES[field]
    if not _unlink(ctx, member, field):
        return Changed(f"{who(member)} has no {what} linked.", changed=False)
    return Changed(f"Unlinked {who(member)}'s {what}.")


def _unlink(ctx: Ctx, member: Member, field: str) -> bool:
    before = getattr(member, field)
    if before is None:
        return False
    setattr(member, field, None)
    if field == "teams_id":  # the stored conversation is how Teams reaches them: it goes too
        ctx.session.execute(
            delete(TeamsConversation).where(TeamsConversation.member_id == member.id)
        )
    record(
        ctx,
        EventKind.MEMBER_LINKED,
        member=member,
        details={"field": field, "from": before, "to": None},
    )
    ctx.session.flush()
    return True


def change_role(ctx: Ctx, initials: str, role: Role) -> Changed:
    """Make a member the chair, the secretariat or a plain member.

    The board has one chair: making someone the chair makes the present chair a member, and the
    chair can only stop being the chair by handing it to someone else.
    """
    ctx.require_officer("change roles")
    member = find_member(ctx, initials)
    if not member.active:
        raise UserError(f"{who(member)} is deactivated: reactivate them first.")
    if member.role == role:
        return Changed(f"{who(member)} is already {ROLE_NAMES[role]}.", changed=False)
    if member.role == Role.CHAIR:
        raise UserError(
            f"{who(member)} is the chair. The board needs one: hand the chair to someone else "
            f"(crb member role INITIALS chair) and {member.initials} becomes a member."
        )
    notes = []
    if role == Role.CHAIR and (previous := current_chair(ctx)) is not None:
        _set_role(ctx, previous, Role.MEMBER, handover_to=member)
        notes.append(f"{who(previous)} is now a member.")
    _set_role(ctx, member, role)
    return Changed(f"{who(member)} is now {ROLE_NAMES[role]}.", tuple(notes))


def _set_role(ctx: Ctx, member: Member, role: Role, *, handover_to: Member | None = None) -> None:
    details = {"role": f"{member.role} -> {role}"}
    if handover_to is not None:
        details["chair_to"] = handover_to.initials
    member.role = role
    ctx.session.flush()
    record(ctx, EventKind.MEMBER_CHANGED, member=member, details=details)


def deactivate(ctx: Ctx, initials: str) -> Changed:
    """Stop a member: no nudges, no digests, refused in chat and on the web. History is kept."""
    officer = ctx.require_officer("deactivate members")
    member = find_member(ctx, initials)
    if not member.active:
        return Changed(f"{who(member)} is already deactivated.", changed=False)
    if officer is not None and officer.id == member.id:
        raise UserError("You can't deactivate yourself: ask the chair or the secretariat.")
    if member.role == Role.CHAIR:
        raise UserError(
            f"{who(member)} is the chair: hand the chair to someone else first "
            "(crb member role INITIALS chair)."
        )
    others = [m for m in queries.officers(ctx.session, ctx.board) if m.id != member.id]
    if member.is_officer and not others:
        raise UserError(f"{who(member)} is the board's last officer: make someone else one first.")
    member.active = False
    ctx.session.flush()
    record(ctx, EventKind.MEMBER_CHANGED, member=member, details={"active": "yes -> no"})
    owned = queries.actions(ctx.session, ctx.board, status=ActionStatus.OPEN, owner=member)
    notes: tuple[str, ...] = ()
    if owned:
        refs = display_refs(ctx.session, ctx.board, owned)
        listed = ", ".join(refs[a.id] for a in owned)
        notes = (f"They still own {len(owned)} open action(s): {listed}. Reassign them.",)
    return Changed(f"Deactivated {who(member)}. Their history is kept.", notes)


def reactivate(ctx: Ctx, initials: str) -> Changed:
    ctx.require_officer("reactivate members")
    member = find_member(ctx, initials)
    if member.active:
        return Changed(f"{who(member)} is already active.", changed=False)
    member.active = True
    ctx.session.flush()
    record(ctx, EventKind.MEMBER_CHANGED, member=member, details={"active": "no -> yes"})
    return Changed(f"Reactivated {who(member)}.")


def revoke_email_links(ctx: Ctx, initials: str) -> Changed:
    """Withdraw every one-click link emailed to a member so far (a forwarded email, a lost
    phone); their next email carries new ones."""
    ctx.require_officer("withdraw a member's email links")
    member = find_member(ctx, initials)
    revoke_links(ctx, member)
    return Changed(f"Every email link sent to {who(member)} until now is withdrawn.")


# ---------------------------------------------------------------- reading, for the desk


@dataclass(frozen=True)
class MemberRow:
    """A member as the desk lists them: plain values, with how a nudge would reach them."""

    initials: str
    name: str
    role: str
    capacity: str | None
    email: str | None
    slack_id: str | None
    teams_id: str | None
    active: bool
    reached_by: str  # "Slack", "email", "nobody (not linked)"
    reach: str  # the whole sentence: how, or why nobody can
    open_actions: int


def member_rows(ctx: Ctx, configured: Collection[str]) -> list[MemberRow]:
    """Every member, active first, by initials."""
    ctx.require_officer("see the members")
    members = list(queries.members(ctx.session, ctx.board))
    reach = reach_for_all(ctx.session, members, configured)
    owned = dict(
        ctx.session.execute(
            select(ActionOwner.member_id, func.count())
            .join(Action, Action.id == ActionOwner.action_id)
            .where(Action.board_id == ctx.board.id, Action.status == ActionStatus.OPEN)
            .group_by(ActionOwner.member_id)
        ).all()
    )
    rows = [
        MemberRow(
            m.initials,
            m.name,
            str(m.role),
            m.capacity,
            m.email,
            m.slack_id,
            m.teams_id,
            m.active,
            reach[m.id].short,
            reach[m.id].explanation,
            owned.get(m.id, 0),
        )
        for m in members
    ]
    return sorted(rows, key=lambda row: (not row.active, row.initials))


def member_row(ctx: Ctx, initials: str, configured: Collection[str]) -> MemberRow:
    wanted = find_member(ctx, initials).initials
    return next(row for row in member_rows(ctx, configured) if row.initials == wanted)


def chair_row(ctx: Ctx) -> tuple[str, str] | None:
    """The present chair's (initials, name), for a handover's check-your-answers page."""
    chair = current_chair(ctx)
    return (chair.initials, chair.name) if chair else None
