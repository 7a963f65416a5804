"""Running the web desk's use-cases in tests, as its pages do: as a member, at a time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select

from bot.runtime import Runtime, by_initials
from db.models import Action
from handlers import dispatch
from handlers.commands import Command
from handlers.context import Ctx
from handlers.reply import Reply
from tests.conftest import AFTER_MEETING

T = TypeVar("T")


def run_as(
    runtime: Runtime, initials: str | None, command: Command, now: datetime = AFTER_MEETING
) -> Reply:
    """Run a parsed command (one naming its action by id) as a page does: commit if it changed."""
    with runtime.unit(by_initials(initials, f"test:{initials}"), now) as ctx:
        reply = dispatch.run(ctx, command)
        if reply.changed:
            ctx.session.commit()
        return reply


def read_as(
    runtime: Runtime,
    initials: str | None,
    use_case: Callable[[Ctx], T],
    now: datetime = AFTER_MEETING,
) -> T:
    """Run a use-case as a member and roll back: what a page shows, or a preview."""
    with runtime.unit(by_initials(initials, f"test:{initials}"), now) as ctx:
        return use_case(ctx)


def action_id(runtime: Runtime, fragment: str) -> int:
    """The id of the one action whose text contains ``fragment``."""
    with runtime.sessions() as session:
        return session.scalars(select(Action.id).where(Action.text.contains(fragment))).one()
