"""The one entry point every adapter calls: chat text in, a Reply out."""

from __future__ import annotations

from collections.abc import Callable

from handlers import actions, members, reminders, reports, uploads, web_access
from handlers.commands import (
    Add,
    Command,
    Done,
    Help,
    ImportUpload,
    Link,
    Mine,
    Next,
    Note,
    Outstanding,
    Reassign,
    Reopen,
    Snooze,
    Web,
    parse_command,
)
from handlers.context import Ctx
from handlers.errors import UserError
from handlers.reply import Button, Reply, Tone
from handlers.resolve import AmbiguousRef, shorten

_HANDLERS: dict[type, Callable[[Ctx, Command], Reply]] = {
    Help: reports.help_reply,
    Mine: reports.mine,
    Outstanding: reports.outstanding,
    Next: reports.next_reply,
    Done: actions.done,
    Reopen: actions.reopen,
    Note: actions.note,
    Add: actions.add,
    Reassign: actions.reassign,
    Snooze: reminders.snooze,
    Link: members.link_command,
    ImportUpload: uploads.apply_upload,
    Web: web_access.web_link_reply,
}


def run(ctx: Ctx, command: Command) -> Reply:
    """Run a parsed command. A refusal becomes an error reply; the caller rolls back on it."""
    try:
        return _HANDLERS[type(command)](ctx, command)
    except AmbiguousRef as error:
        return _ambiguous_reply(error, command)
    except UserError as error:
        return Reply.error(error.message, *error.hints)


def handle(ctx: Ctx, text: str) -> Reply:
    """Parse and run one chat message."""
    try:
        command = parse_command(text, ctx.board.command_prefix)
    except UserError as error:
        return Reply.error(error.message, *error.hints)
    return run(ctx, command)


def _ambiguous_reply(error: AmbiguousRef, command: Command) -> Reply:
    lines = tuple(
        f"{error.refs[a.id]} — {shorten(a.text)} (raised {a.meeting_date:%-d %b %Y})"
        for a in error.candidates
    )
    buttons: tuple[Button, ...] = ()
    if isinstance(command, Done | Reopen):
        verb = type(command).__name__.lower()
        buttons = tuple(
            Button(f"{verb.title()} {error.refs[a.id]}", f"{verb} {error.refs[a.id]}")
            for a in error.candidates
        )
    return Reply(
        title=error.message,
        lines=(*lines, "Nothing changed."),
        buttons=buttons,
        tone=Tone.WARNING,
    )
