"""Who is asking, on which board, and when: handed to every use-case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from db.models import Board, Member
from db.queries import officers
from handlers.errors import NotLinked


@dataclass(frozen=True)
class Caller:
    """The person behind a request. ``member`` is None for someone not linked to the board."""

    member: Member | None
    label: str  # how the audit trail names them when no member does: "cli", "slack:U123"
    channel: str  # what they came through ("slack", "web", "cli"…: handlers.identity.Via)

    @property
    def audit_label(self) -> str:
        return self.member.initials if self.member else self.label


@dataclass(frozen=True)
class Ctx:
    session: Session
    board: Board
    caller: Caller
    now: datetime  # aware, UTC: injected so that tests and ``--at`` can travel in time

    def require_member(self) -> Member:
        if self.caller.member is None:
            raise NotLinked(not_linked_message(self))
        return self.caller.member


def not_linked_message(ctx: Ctx) -> str:
    contacts = ", ".join(member.name for member in officers(ctx.session, ctx.board)) or (
        "the board's secretariat"
    )
    return (
        f"You're not linked to a member of {ctx.board.name} yet, so I can't show you its "
        f"actions. Ask {contacts} to link your account."
    )
