"""Who a request comes from: one rule for every channel.

A platform account (a Slack user id, a Teams AAD object id, an email address, the console's
initials, or a member id that a web session or a signed email link vouches for) names at most one
member of the board. Only an *active* member is anyone: a member who has been deactivated is
treated exactly like a stranger on every channel. Linking an account to a member by their email
happens here too, with the clash checks inside the same transaction as the link.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.orm import Session

from db import queries
from db.models import Board, Member
from handlers.context import Caller, Ctx
from handlers.members import link_member
from handlers.plain import plain_line

log = logging.getLogger("crb.identity")


class Via(StrEnum):
    """The channel a request came through: the audit trail records it with every change."""

    SLACK = "slack"
    TEAMS = "teams"
    CONSOLE = "console"
    CLI = "cli"
    WEB = "web"
    EMAIL_LINK = "email link"
    EMAIL = "email"
    IMPORT = "import"
    SYSTEM = "system"


# The member column that holds each kind of platform account.
SLACK_ID, TEAMS_ID, EMAIL, INITIALS, MEMBER_ID = "slack_id", "teams_id", "email", "initials", "id"


@dataclass(frozen=True)
class Account:
    """A person as a channel names them, before anyone has looked them up."""

    via: Via
    field: str | None  # SLACK_ID | TEAMS_ID | EMAIL | INITIALS | MEMBER_ID; None: nobody
    value: str | int | None
    label: str  # the audit trail's name for them when no member answers to it

    @classmethod
    def slack(cls, user_id: str) -> Account:
        return cls(Via.SLACK, SLACK_ID, user_id, f"slack:{user_id}")

    @classmethod
    def teams(cls, aad_object_id: str | None, label: str) -> Account:
        return cls(Via.TEAMS, TEAMS_ID, aad_object_id, label)

    @classmethod
    def console(cls, initials: str | None) -> Account:
        label = f"console:{initials}" if initials else "console"
        return cls(Via.CONSOLE, INITIALS, initials, label)

    @classmethod
    def initials(cls, initials: str | None, via: Via, label: str) -> Account:
        return cls(via, INITIALS, initials, label)

    @classmethod
    def member(cls, member_id: int, via: Via | str) -> Account:
        """A member id someone else has vouched for: a web session, a signed email link."""
        via = Via(via)
        return cls(via, MEMBER_ID, member_id, f"{via}:member-{member_id}")

    @classmethod
    def email(cls, address: str, via: Via = Via.EMAIL) -> Account:
        return cls(via, EMAIL, address, f"{via}:{address}")


def find_member(session: Session, board: Board, account: Account) -> Member | None:
    """The active member this account names, or None (a stranger, or deactivated)."""
    member = account_holder(session, board, account)
    return member if member is not None and member.active else None


def account_holder(session: Session, board: Board, account: Account) -> Member | None:
    """The member holding this account, active or not: for linking, never for authorising."""
    value = account.value
    if account.field is None or value is None or value == "":
        return None
    if account.field == MEMBER_ID:
        member = session.get(Member, int(value))
        return member if member is not None and member.board_id == board.id else None
    if account.field == INITIALS:
        typed = plain_line(str(value))
        return queries.member_by_initials(session, board, typed) if typed else None
    return queries.member_by_identity(session, board, **{account.field: str(value)})


def seats_of(session: Session, account: Account) -> Sequence[Member]:
    """The account's active seats on every board (a member id vouches for one seat only)."""
    value = account.value
    if account.field is None or value is None or value == "" or account.field == INITIALS:
        return ()
    if account.field == MEMBER_ID:
        member = session.get(Member, int(value))
        return (member,) if member is not None and member.active else ()
    return queries.seats_by_identity(session, **{account.field: str(value)})


def seat_boards(session: Session, account: Account) -> tuple[Board, ...]:
    """The boards the account has an active seat on, by short code."""
    boards = {seat.board_id: seat.board for seat in seats_of(session, account)}
    return tuple(sorted(boards.values(), key=lambda board: board.short))


def any_seat(session: Session, field: str, value: str) -> Member | None:
    """A seat (the first made, active or not) of the person holding this account: where an
    adapter keeps what it knows of the person, such as their Teams chat."""
    person = queries.person_by_identity(session, **{field: value})
    return min(person.members, key=lambda seat: seat.id, default=None) if person else None


def identify(session: Session, board: Board, account: Account) -> Caller:
    """The caller behind ``account``: their member (active only), their label, their channel."""
    return Caller(find_member(session, board, account), account.label, account.via)


def link_by_email(ctx: Ctx, field: str, account_id: str, emails: Iterable[str]) -> Member | None:
    """Link the platform account ``account_id`` (``slack_id`` or ``teams_id``) to the person
    with one of ``emails`` who has an active seat on a board, inside ``ctx``'s transaction; the
    link holds on every board they sit on. The caller commits. Returns one of their seats.

    Refused (None) when nobody active has the email, when that person already holds another
    account of this kind, or when this account already belongs to someone: a link never moves
    an account from one person to another behind anyone's back.
    """
    if queries.person_by_identity(ctx.session, **{field: account_id}) is not None:
        return None
    for email in emails:
        seat = first_seat_with_email(ctx.session, email)
        if seat is None:
            continue
        if getattr(seat, field):
            log.warning(
                "%s %s matches %s by email, who is linked to another account",
                field,
                account_id,
                seat.initials,
            )
            return None
        link_member(ctx, seat, **{field: account_id})
        log.info("Linked %s to %s %s by their email", seat.initials, field, account_id)
        return seat
    return None


def first_seat_with_email(session: Session, email: str) -> Member | None:
    """An active seat, on any board, of the person with this email."""
    seats = queries.seats_by_identity(session, email=email)
    return seats[0] if seats else None


def unlinked_with_email(session: Session, field: str) -> Sequence[tuple[str, str]]:
    """(initials, email) of each person with an active seat on any board, an email and no
    account of this kind: one entry a person, whatever the boards they sit on."""
    found: dict[int, tuple[str, str]] = {}
    seats = queries.members_by_board(session, [board.id for board in queries.boards(session)])
    for m in (seat for board_seats in seats.values() for seat in board_seats):
        if m.email and not getattr(m, field) and m.active:
            found.setdefault(m.person_id, (m.initials, m.email))
    return list(found.values())
