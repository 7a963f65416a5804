"""Board members: initials, adding and linking chat identities."""

from __future__ import annotations

import re
import unicodedata

from db import queries
from db.models import EventKind, Member, Role
from handlers.audit import record
from handlers.commands import Link
from handlers.context import Ctx
from handlers.errors import Forbidden, NotFound, UserError
from handlers.plain import plain_line, plain_or_none
from handlers.reply import Reply, Tone

_TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "cllr", "sir", "dame", "rev"}
_INITIALS = re.compile(r"^[A-Z][A-Z0-9]{0,9}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
IDENTITIES = ("slack_id", "teams_id", "email")


def name_words(name: str) -> list[str]:
    words = [w for w in re.split(r"[\s.]+", name) if re.search(r"[A-Za-z]", w)]
    return [w for w in words if w.lower().strip(".") not in _TITLES] or words


def derive_initials(name: str) -> str:
    """ "Rachael Thorold" -> "RT": the first letters of the first and last names."""
    words = name_words(name)
    if not words:
        raise UserError(f"“{name}” has no letters to make initials from.")
    chosen = (words[0], words[-1]) if len(words) > 1 else (words[0],)
    return "".join(_first_letter(word) for word in chosen).upper()


def _first_letter(word: str) -> str:
    """The word's first letter, its accent dropped ("Émile" -> "E"); punctuation skipped."""
    for char in word:
        base = unicodedata.normalize("NFKD", char)[0]
        if base.isascii() and base.isalpha():
            return base
    return word[0]


def longer_initials(name: str) -> str:
    """A handle that tells apart two people with the same initials: Mark Loader -> "MLO"."""
    words = name_words(name)
    surname = re.sub(r"[^A-Za-z]", "", words[-1])
    return (words[0][0] + surname[:2]).upper()


def check_initials(initials: str) -> str:
    upper = initials.strip().upper()
    if not _INITIALS.match(upper):
        raise UserError(f"“{initials[:20]}” can't be initials: use letters, like CR.")
    return upper


def check_email(email: str) -> str:
    email = email.strip()
    if not _EMAIL.match(email) or plain_line(email) != email:
        raise UserError(f"“{plain_line(email)[:60]}” is not an email address.")
    return email


def add_member(
    ctx: Ctx,
    initials: str,
    name: str,
    *,
    role: Role = Role.MEMBER,
    capacity: str | None = None,
    **identities: str | None,
) -> Member:
    initials = check_initials(initials)
    name, capacity = plain_line(name), plain_or_none(capacity)
    if not name:
        raise UserError("A member needs a name.")
    if queries.member_by_initials(ctx.session, ctx.board, initials):
        raise UserError(f"{initials} is already a member. Choose other initials.")
    member = Member(
        board_id=ctx.board.id,
        initials=initials,
        name=name,
        capacity=capacity,
        role=role,
        created_at=ctx.now,
    )
    ctx.session.add(member)
    ctx.session.flush()
    record(ctx, EventKind.MEMBER_ADDED, member=member, details={"role": role.value})
    for field, value in identities.items():
        if value:
            link_member(ctx, member, **{field: value})
    return member


def link_member(ctx: Ctx, member: Member, **identity: str) -> bool:
    """Link one chat identity or email to ``member``. Returns False when it was already linked."""
    ((field, value),) = identity.items()
    if field not in IDENTITIES:
        raise UserError(f"I can't link a {field}.")
    value = check_email(value) if field == "email" else plain_line(value)
    if not value:
        raise UserError(f"The {field.replace('_', ' ')} is empty.")
    holder = queries.member_by_identity(ctx.session, ctx.board, **{field: value})
    if holder is not None and holder.id != member.id:
        raise UserError(f"That {field.replace('_', ' ')} is already linked to {holder.initials}.")
    if getattr(member, field) == value:
        return False
    before = getattr(member, field)
    setattr(member, field, value)
    record(
        ctx,
        EventKind.MEMBER_LINKED,
        member=member,
        details={"field": field, "from": before, "to": value},
    )
    ctx.session.flush()
    return True


def find_member(ctx: Ctx, initials: str) -> Member:
    initials = plain_line(initials)
    member = queries.member_by_initials(ctx.session, ctx.board, initials)
    if member is None:
        raise NotFound(f"No member has the initials {initials.upper()[:10]}.")
    return member


def link_command(ctx: Ctx, command: Link) -> Reply:
    """`link CR @claire`: the chair or the secretariat links a member to a chat account."""
    officer = ctx.require_member()
    if not officer.is_officer:
        raise Forbidden("Only the chair or the secretariat can link members.")
    member = find_member(ctx, command.initials)
    what = {"slack_id": "Slack account", "teams_id": "Teams account", "email": "email address"}[
        command.field
    ]
    if not link_member(ctx, member, **{command.field: command.value}):
        return Reply(f"{member.name} ({member.initials}) was already linked to that {what}.")
    return Reply(
        f"Linked {member.name} ({member.initials}) to that {what}.",
        lines=(f"They can now use {ctx.board.command_prefix} as {member.initials}.",),
        tone=Tone.SUCCESS,
        changed=True,
    )
