"""Running the web desk's use-cases in tests, as its pages do: as a member, at a time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select

from bot.runtime import Runtime
from db import queries
from db.models import Action
from handlers.commands import Command
from handlers.context import Ctx
from handlers.identity import Account, Via
from handlers.reply import Reply
from handlers.run import run_command
from tests.conftest import AFTER_MEETING

T = TypeVar("T")


def run_as(
    runtime: Runtime, initials: str | None, command: Command, now: datetime = AFTER_MEETING
) -> Reply:
    """Run a parsed command (one naming its action by id) as a web page does, through the one
    entry point (``handlers.run``): committed only if it changed the board."""
    return run_command(runtime.sessions, web_member(runtime, initials), command, now)


def read_as(
    runtime: Runtime,
    initials: str | None,
    use_case: Callable[[Ctx], T],
    now: datetime = AFTER_MEETING,
) -> T:
    """Run a use-case as a member and roll back: what a page shows, or a preview."""
    with runtime.unit(web_member(runtime, initials), now) as ctx:
        return use_case(ctx)


def web_member(runtime: Runtime, initials: str | None) -> Account:
    """The account a web session names: the member with these initials (None: nobody)."""
    if initials is None:
        return Account(Via.WEB, None, None, "web")
    with runtime.sessions() as session:
        board = queries.default_board(session)
        member = queries.member_by_initials(session, board, initials)
        assert member is not None, initials
        return Account.member(member.id, Via.WEB)


def action_id(runtime: Runtime, fragment: str) -> int:
    """The id of the one action whose text contains ``fragment``."""
    with runtime.sessions() as session:
        return session.scalars(select(Action.id).where(Action.text.contains(fragment))).one()
