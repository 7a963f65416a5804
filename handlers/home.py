"""A member's home: their open actions and the next meeting; officers also see the whole board.

Platform-neutral: Slack shows it on the App Home tab; another adapter may show it elsewhere.
"""

from __future__ import annotations

from handlers.commands import Mine, Outstanding
from handlers.context import Ctx, not_linked_message
from handlers.reply import Reply, Section
from handlers.reports import mine, outstanding


def home(ctx: Ctx) -> Reply:
    member = ctx.caller.member
    if member is None:
        return Reply(f"{ctx.board.name}", lines=(not_linked_message(ctx),))
    own = mine(ctx, Mine())
    sections = [Section("Your open actions", lines=(own.title,), actions=own.actions)]
    if member.is_officer:
        board = outstanding(ctx, Outstanding())
        sections.append(Section(f"The board — {board.title}"))
        sections.extend(board.sections)
    return Reply(
        title=f"{ctx.board.name}: {member.name} ({member.initials}, {member.role})",
        lines=own.lines,  # the next meeting
        sections=tuple(sections),
    )
