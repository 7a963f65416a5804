"""The one entry point every adapter calls: chat text in, a Reply out."""

from __future__ import annotations

from collections.abc import Callable

from db.models import ActionStatus
from db.queries import ListedAction
from handlers import actions, members, reminders, reports, uploads, web_access
from handlers.commands import (
    Add,
    Command,
    Done,
    EditText,
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
from handlers.refs import ActionId
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
    EditText: actions.edit_text,
    Snooze: reminders.snooze,
    Link: members.link_command,
    ImportUpload: uploads.apply_upload,
    Web: web_access.web_link_reply,
}


def perform(ctx: Ctx, command: Command) -> Reply:
    """Run a parsed command; a refusal is raised as the ``UserError`` it is (a web form shows it
    beside the field at fault, with the status that fits)."""
    return _HANDLERS[type(command)](ctx, command)


def run(ctx: Ctx, command: Command) -> Reply:
    """Run a parsed command. A refusal becomes an error reply; the caller rolls back on it."""
    try:
        return perform(ctx, command)
    except AmbiguousRef as error:
        return ambiguous_reply(error, command)
    except UserError as error:
        return Reply.error(error.message, *error.hints)


def handle(ctx: Ctx, text: str) -> Reply:
    """Parse and run one chat message."""
    try:
        command = parse_command(text, ctx.board.command_prefix)
    except UserError as error:
        return Reply.error(error.message, *error.hints)
    return run(ctx, command)


def ambiguous_reply(error: AmbiguousRef, command: Command) -> Reply:
    """The actions a REF could mean, each with its state, and a button for each it could do."""
    lines = tuple(f"{error.refs[a.id]} — {shorten(a.text)} ({_state(a)})" for a in error.candidates)
    verb = type(command).__name__.lower()
    wanted = {"done": ActionStatus.OPEN, "reopen": ActionStatus.DONE}.get(verb)
    buttons = tuple(
        Button(
            f"{verb.title()} {error.refs[a.id]}",
            f"{verb} {error.refs[a.id]}",
            target=(verb, ActionId(a.id, str(a.status))),
        )
        for a in error.candidates
        if a.status == wanted
    )
    return Reply(
        title=error.message,
        lines=(*lines, "Nothing changed."),
        buttons=buttons,
        tone=Tone.WARNING,
    )


def _state(action: ListedAction) -> str:
    raised = f"raised {action.meeting_date:%-d %b %Y}"
    if action.status != ActionStatus.DONE:
        return f"open, {raised}"
    by = f" by {action.done_by_initials}" if action.done_by_initials else ""
    when = f" on {action.done_at:%-d %b %Y}" if action.done_at else ""
    return f"done{by}{when}, {raised}"
