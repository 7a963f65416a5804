"""Who is asking, on which board, and when: handed to every use-case."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from db.models import Board, Member
from db.queries import officers
from handlers.errors import Forbidden, NotLinked
from handlers.reply import Room

# The command line, its imports and the bot itself at start-up or on its schedule: trusted code
# run by whoever holds the database (``handlers.identity.Via`` values).
OPERATOR_CHANNELS = ("cli", "import", "system")


@dataclass(frozen=True)
class Caller:
    """The person behind a request. ``member`` is None for someone not linked to the board."""

    member: Member | None
    label: str  # how the audit trail names them when no member does: "cli", "slack:U123"
    channel: str  # what they came through ("slack", "web", "cli"…: handlers.identity.Via)

    @property
    def audit_label(self) -> str:
        return self.member.initials if self.member else self.label

    @property
    def operator(self) -> bool:
        """The command line (and its imports, and the bot's own start-up and schedule): whoever
        runs it holds the database itself, so may do what an officer may. A caller from chat,
        the console, an email link or the web never is one."""
        return self.member is None and str(self.channel) in OPERATOR_CHANNELS


LINKS = "crb.links"  # Session.info key: ``now -> Links``, set by the runtime's session factory


@dataclass(frozen=True)
class Links:
    """What a use-case needs to make a link a person can open (a sign-in or email link)."""

    base: str  # CRB_PUBLIC_URL, or this server's own address
    signing_keys: Callable[[], tuple[str, ...]]  # read when a link is made, not before

    @property
    def keys(self) -> tuple[str, ...]:
        """The keys that sign links and sessions, newest first (``handlers.web_access``)."""
        return self.signing_keys()


@dataclass(frozen=True)
class Ctx:
    session: Session
    board: Board
    caller: Caller
    now: datetime  # aware, UTC: injected so that tests and ``--at`` can travel in time
    links: Links | None = None  # None where no link can be made (a bare test context)
    room: Room | None = None  # how much of a long list the caller's screen shows; None: all

    def require_member(self) -> Member:
        if self.caller.member is None:
            raise NotLinked(not_linked_message(self))
        return self.caller.member

    def require_officer(self, what: str) -> Member | None:
        """The chair or the secretariat (or the command line's operator), else a refusal."""
        if self.caller.operator:
            return self.caller.member
        member = self.require_member()
        if not member.is_officer:
            raise Forbidden(f"Only the chair or the secretariat can {what}.")
        return member


def not_linked_message(ctx: Ctx) -> str:
    contacts = ", ".join(member.name for member in officers(ctx.session, ctx.board)) or (
        "the board's secretariat"
    )
    return (
        f"You're not linked to a member of {ctx.board.name} yet, so I can't show you its "
        f"actions. Ask {contacts} to link your account."
    )
