"""Board members: initials, adding and linking chat identities."""

from __future__ import annotations

import re
import unicodedata

from db import queries
from db.models import EventKind, Member, Person, Role
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
    """A new seat on the board. Given the email or chat account of someone who already sits on
    another board, the seat is that person's (``joined_seats`` says where else they sit)."""
    initials = check_initials(initials)
    name, capacity = plain_line(name), plain_or_none(capacity)
    if not name:
        raise UserError("A member needs a name.")
    if queries.member_by_initials(ctx.session, ctx.board, initials):
        raise UserError(f"{initials} is already a member. Choose other initials.")
    person = _existing_person(ctx, identities)
    member = Member(
        board_id=ctx.board.id,
        initials=initials,
        name=name,
        capacity=capacity,
        role=role,
        created_at=ctx.now,
        person=person,
    )
    ctx.session.add(member)
    ctx.session.flush()
    details = {"role": role.value}
    if person is not None:
        details["person"] = "joined"  # the same person as a seat on another board
    record(ctx, EventKind.MEMBER_ADDED, member=member, details=details)
    for field, value in identities.items():
        if value:
            link_member(ctx, member, **{field: value})
    return member


def _existing_person(ctx: Ctx, identities: dict[str, str | None]) -> Person | None:
    """The one person these accounts already belong to, if any."""
    found: dict[int, Person] = {}
    for field, value in identities.items():
        if value and field in IDENTITIES:
            typed = check_email(value) if field == "email" else plain_line(value)
            person = queries.person_by_identity(ctx.session, **{field: typed})
            if person is not None:
                found[person.id] = person
    if len(found) > 1:
        raise UserError("Those accounts belong to different people: give one person's.")
    person = next(iter(found.values()), None)
    if person is not None:
        seat = _seat_on(person, ctx.board.id)
        if seat is not None:
            raise UserError(f"That person is already a member of this board, as {seat.initials}.")
    return person


def _seat_on(person: Person, board_id: int) -> Member | None:
    return next((seat for seat in person.members if seat.board_id == board_id), None)


def joined_seats(member: Member) -> list[Member]:
    """The person's seats on other boards: where else they sit, under one identity."""
    return [seat for seat in member.person.members if seat.id != member.id]


def joined_note(member: Member) -> str | None:
    """What to tell the secretariat when a new seat is someone who already sits elsewhere."""
    others = joined_seats(member)
    if not others:
        return None
    where = "; ".join(
        f"{seat.board.name} ({seat.board.short}) as {seat.initials}" for seat in others
    )
    return (
        f"{member.name} is the same person who sits on the {where}: one person, so their "
        "email and chat accounts are shared by every board they sit on."
    )


def link_member(ctx: Ctx, member: Member, **identity: str) -> bool:
    """Link one chat identity or email to ``member``'s person, so on every board they sit on.
    Returns False when it was already linked.

    Another person holding the account is refused, unless they sit on no board this person
    sits on and no account of theirs clashes: then the two are one person, joined.
    """
    ((field, value),) = identity.items()
    if field not in IDENTITIES:
        raise UserError(f"I can't link a {field}.")
    value = check_email(value) if field == "email" else plain_line(value)
    if not value:
        raise UserError(f"The {field.replace('_', ' ')} is empty.")
    holder = queries.person_by_identity(ctx.session, **{field: value})
    if holder is not None and holder.id != member.person_id:
        if not _may_join(holder, member.person):
            raise UserError(
                f"That {field.replace('_', ' ')} is already linked to {_named(ctx, holder)}."
            )
        _join(ctx, member, holder)
        return True
    if getattr(member, field) == value:
        return False
    before = getattr(member, field)
    setattr(member, field, value)
    for seat in member.person.members:
        record(
            ctx,
            EventKind.MEMBER_LINKED,
            member=seat,
            details={"field": field, "from": before, "to": value},
        )
    ctx.session.flush()
    return True


def _named(ctx: Ctx, person: Person) -> str:
    """How a refusal names another person: their initials here, else board and initials."""
    seat = _seat_on(person, ctx.board.id)
    if seat is not None:
        return seat.initials
    if person.members:
        other = person.members[0]
        return f"{other.initials} of the {other.board.name}"
    return "someone else"


def _may_join(holder: Person, person: Person) -> bool:
    """Two people are one when their seats are on different boards and no account clashes."""
    boards = {seat.board_id for seat in holder.members}
    if any(seat.board_id in boards for seat in person.members):
        return False
    return all(
        not getattr(holder, field)
        or not getattr(person, field)
        or _same(field, getattr(holder, field), getattr(person, field))
        for field in IDENTITIES
    )


def _same(field: str, one: str, other: str) -> bool:
    return one.lower() == other.lower() if field == "email" else one == other


def _join(ctx: Ctx, member: Member, holder: Person) -> None:
    """``member``'s person becomes ``holder``: every seat and account moves, recorded per seat."""
    old = member.person
    moved = {field: getattr(old, field) for field in IDENTITIES if getattr(old, field)}
    for seat in list(old.members):
        seat.person = holder
    for field, value in moved.items():
        if not getattr(holder, field):
            setattr(old, field, None)
            ctx.session.flush()  # off the old row first, or the unique key sees it twice
            setattr(holder, field, value)
    ctx.session.flush()
    ctx.session.delete(old)
    for seat in holder.members:
        record(ctx, EventKind.MEMBER_LINKED, member=seat, details={"joined": "person"})
    ctx.session.flush()


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
