"""The `crb` command line: the contract's CLI."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, date, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy.exc import OperationalError
from typer.core import TyperGroup

from bot import config as config_module
from bot.delivery import configured_platforms
from bot.render_text import render
from bot.runtime import Runtime
from db import migrate, queries
from db.models import Action, ActionStatus, Role
from handlers import roster
from handlers.context import Caller, Ctx
from handlers.errors import UserError
from handlers.identity import Via
from handlers.members import find_member
from handlers.plain import plain_line
from handlers.reach import reach_for_all
from handlers.records import action_record, audit_record, meeting_record, member_record
from handlers.reply import Tone
from handlers.views import display_refs
from planning.calendar import zone
from scheduler.clock import wall_clock

out = Console(highlight=False, markup=False, emoji=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, markup=False, emoji=False, soft_wrap=True)


class ExitCode:
    BAD_INPUT = 1
    USAGE = 2


class CrbGroup(TyperGroup):
    """Turns a UserError from any command into a message on stderr and exit status 1."""

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UserError as error:
            # The message may quote what was typed: shown as plain text, never as escapes.
            err.print(f"crb: {plain_line(error.message)}")
            for hint in error.hints:
                err.print(f"  {plain_line(hint)}")
            # Most refusals are bad input (1); "which board?" is a usage question (2).
            raise typer.Exit(error.exit_code) from error
        except OperationalError as error:
            # An unreachable database is the operator's to fix: say so, without the password.
            url = config_module.hide_password(config_module.load().database_url)
            reason = plain_line(str(error.orig or error).splitlines()[0])
            err.print(f"crb: I can't reach the database at {url}: {reason}")
            raise typer.Exit(ExitCode.BAD_INPUT) from error


app = typer.Typer(
    cls=CrbGroup,
    name="crb",
    help="crb-bot: keeps the board's meeting actions moving between meetings.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
member_app = typer.Typer(
    help="Add, edit, link, deactivate board members and change their roles.", no_args_is_help=True
)
meeting_app = typer.Typer(help="Record meetings.", no_args_is_help=True)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
action_app = typer.Typer(help="Change actions as the secretariat.", no_args_is_help=True)
app.add_typer(action_app, name="action")
web_app = typer.Typer(help="The web desk.", no_args_is_help=True)
board_app = typer.Typer(help="The board's own settings.", no_args_is_help=True)
app.add_typer(board_app, name="board")
app.add_typer(member_app, name="member")
app.add_typer(meeting_app, name="meeting")
app.add_typer(db_app, name="db")
app.add_typer(web_app, name="web")

CLI = Caller(None, "cli", Via.CLI)
BoardOption = Annotated[
    str | None,
    typer.Option(
        "--board",
        envvar="CRB_BOARD",
        metavar="SHORT",
        help="The board (its short code, e.g. GOV; default: the only board).",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
AtOption = Annotated[
    str | None,
    typer.Option("--at", help="Act as if it were this ISO-8601 instant (travel in time)."),
]


class StatusFilter(StrEnum):
    OPEN = "open"
    DONE = "done"
    ALL = "all"


def parse_instant(text: str | None, tz: str = "Europe/London") -> datetime:
    """An ISO-8601 instant; one with no offset is read as the board's local time."""
    if text is None:
        return wall_clock()
    try:
        instant = datetime.fromisoformat(text.strip())
    except ValueError as error:
        raise UserError(f"“{text}” is not an ISO-8601 time, like 2021-02-10T09:00:00Z.") from error
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=zone(tz))
    return instant.astimezone(UTC)


def runtime(now: datetime) -> Runtime:
    rt = Runtime(config_module.load())
    rt.prepare(now)
    return rt


@contextmanager
def operator(now: datetime, board: str | None, *, commit: bool = True) -> Iterator[Ctx]:
    """The CLI acts as the operator (the audit trail says "cli") on ``board`` (a short code;
    None: the only board), in one transaction."""
    rt = runtime(now)
    with rt.unit(CLI, now, board) as ctx:
        yield ctx
        if commit:
            ctx.session.commit()


def emit_json(document: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")


def table(title: str, columns: list[str], rows: list[list[str | None]]) -> Table:
    result = Table(title=title, title_justify="left", show_lines=False)
    for column in columns:
        result.add_column(column, overflow="fold")
    for row in rows:
        result.add_row(*(Text(plain_line(cell or "")) for cell in row))
    return result


# ---------------------------------------------------------------- listings


@app.command("actions")
def actions_command(
    status: Annotated[StatusFilter, typer.Option(help="Which actions.")] = StatusFilter.OPEN,
    owner: Annotated[str | None, typer.Option(help="Only this member's (initials).")] = None,
    as_json: JsonOption = False,
    board: BoardOption = None,
) -> None:
    """List the board's actions."""
    now = wall_clock()
    with operator(now, board, commit=False) as ctx:
        who = find_member(ctx, owner) if owner else None
        wanted = None if status == StatusFilter.ALL else ActionStatus(status.value)
        found = queries.actions(ctx.session, ctx.board, status=wanted, owner=who)
        refs = display_refs(ctx.session, ctx.board, found)
        if as_json:
            emit_json({"actions": [action_record(a, refs[a.id]) for a in found]})
            return
        rows = [
            [refs[a.id], a.meeting.date.isoformat(), "/".join(a.owner_initials), a.text, a.status]
            for a in found
        ]
        out.print(
            table(
                f"Actions ({status.value}): {len(found)}",
                ["Ref", "Meeting", "Owners", "Action", "Status"],
                rows,
            )
        )


@app.command("audit")
def audit_command(
    action: Annotated[str | None, typer.Option(help="Only this action's events (a REF).")] = None,
    last: Annotated[int, typer.Option(min=1, help="How many of the latest events.")] = 50,
    as_json: JsonOption = False,
    board: BoardOption = None,
) -> None:
    """The audit trail: who changed what, when, and through which channel."""
    from handlers.refs import parse_ref
    from handlers.resolve import resolve

    with operator(wall_clock(), board, commit=False) as ctx:
        ref = parse_ref(action) if action else None
        if action and ref is None:
            raise UserError(f"“{plain_line(action)[:40]}” is not a REF, like 04-CR.")
        chosen = resolve(ctx, ref) if ref else None
        events = queries.audit_events(ctx.session, ctx.board, action=chosen, last=last)
        named = [ctx.session.get(Action, e.action_id) for e in events if e.action_id]
        refs = display_refs(ctx.session, ctx.board, [a for a in named if a is not None])
        records = [audit_record(e, refs.get(e.action_id) if e.action_id else None) for e in events]
        if as_json:
            emit_json({"events": records})
            return
        rows = [
            [
                r["at"][:16].replace("T", " "),
                r["kind"],
                r["by"],
                r["channel"] or "",
                r["action"],
                r["note"],
            ]
            for r in records
        ]
        out.print(
            table(
                f"Audit trail: the latest {len(records)}",
                ["When (UTC)", "What", "Who", "Channel", "Action", "Note"],
                rows,
            )
        )


@app.command("members")
def members_command(as_json: JsonOption = False, board: BoardOption = None) -> None:
    """List the board's members."""
    with operator(wall_clock(), board, commit=False) as ctx:
        found = queries.members(ctx.session, ctx.board)
        if as_json:
            reach = reach_for_all(ctx.session, found, configured_platforms(config_module.load()))
            emit_json({"members": [member_record(m, reach[m.id]) for m in found]})
            return
        reach = reach_for_all(ctx.session, found, configured_platforms(config_module.load()))
        rows = [
            [
                m.initials,
                m.name,
                m.role if m.active else f"{m.role} (deactivated)",
                m.capacity,
                reach[m.id].short,
            ]
            for m in found
        ]
        out.print(
            table(
                f"Members: {len(found)}",
                ["Initials", "Name", "Role", "Capacity", "A nudge goes by"],
                rows,
            )
        )


@app.command("meetings")
def meetings_command(as_json: JsonOption = False, board: BoardOption = None) -> None:
    """List the board's meetings."""
    with operator(wall_clock(), board, commit=False) as ctx:
        found = queries.meetings(ctx.session, ctx.board)
        if as_json:
            emit_json({"meetings": [meeting_record(m) for m in found]})
            return
        rows = [
            [
                m.date.isoformat(),
                m.time.strftime("%H:%M") if m.time else "",
                m.venue,
                m.status,
                f"{m.minutes_imported_at:%Y-%m-%d}" if m.minutes_imported_at else "",
            ]
            for m in found
        ]
        headings = ["Date", "Time", "Venue", "Status", "Minutes imported"]
        out.print(table(f"Meetings: {len(found)}", headings, rows))


# ---------------------------------------------------------------- members


@member_app.command("add")
def member_add(
    initials: str,
    name: Annotated[str, typer.Option("--name", help="Full name.")],
    role: Annotated[Role, typer.Option(help="member, chair or secretariat.")] = Role.MEMBER,
    email: Annotated[str | None, typer.Option(help="Email address.")] = None,
    slack_id: Annotated[str | None, typer.Option("--slack-id", help="Slack user id (U…).")] = None,
    teams_id: Annotated[str | None, typer.Option("--teams-id", help="Teams AAD object id.")] = None,
    capacity: Annotated[str | None, typer.Option(help="Post and organisation.")] = None,
    board: BoardOption = None,
) -> None:
    """Add a board member (as chair: the present chair becomes a member)."""
    with operator(wall_clock(), board) as ctx:
        print_change(
            roster.new_member(
                ctx,
                initials,
                name,
                role=role,
                capacity=capacity,
                email=email,
                slack_id=slack_id,
                teams_id=teams_id,
            )
        )


def print_change(change: roster.Changed) -> None:
    out.print(change.summary)
    for note in change.notes:
        out.print(f"  {note}")


def _one_identity(**given: str | bool | None) -> tuple[str, Any]:
    chosen = {field: value for field, value in given.items() if value}
    if len(chosen) != 1:
        err.print("Give exactly one of --slack-id, --teams-id or --email.")
        raise typer.Exit(ExitCode.USAGE)
    return next(iter(chosen.items()))


@member_app.command("link")
def member_link(
    initials: str,
    slack_id: Annotated[str | None, typer.Option("--slack-id", help="Slack user id (U…).")] = None,
    teams_id: Annotated[str | None, typer.Option("--teams-id", help="Teams AAD object id.")] = None,
    email: Annotated[str | None, typer.Option(help="Email address.")] = None,
    board: BoardOption = None,
) -> None:
    """Link a member to a Slack id, a Teams id or an email address."""
    field, value = _one_identity(slack_id=slack_id, teams_id=teams_id, email=email)
    with operator(wall_clock(), board) as ctx:
        print_change(roster.link(ctx, initials, field, value))


@member_app.command("unlink")
def member_unlink(
    initials: str,
    slack: Annotated[bool, typer.Option("--slack", help="Forget their Slack account.")] = False,
    teams: Annotated[bool, typer.Option("--teams", help="Forget their Teams account.")] = False,
    email: Annotated[bool, typer.Option("--email", help="Forget their email address.")] = False,
    board: BoardOption = None,
) -> None:
    """Unlink a member's Slack account, Teams account or email: nudges stop going there."""
    field, _ = _one_identity(slack_id=slack, teams_id=teams, email=email)
    with operator(wall_clock(), board) as ctx:
        print_change(roster.unlink(ctx, initials, field))


@member_app.command("edit")
def member_edit(
    initials: str,
    name: Annotated[str | None, typer.Option(help="Full name.")] = None,
    new_initials: Annotated[
        str | None, typer.Option("--initials", help="New initials (their REFs change).")
    ] = None,
    capacity: Annotated[
        str | None, typer.Option(help="Post and organisation ('' clears it).")
    ] = None,
    email: Annotated[str | None, typer.Option(help="Email address ('' unlinks it).")] = None,
    board: BoardOption = None,
) -> None:
    """Change a member's name, initials, capacity or email."""
    with operator(wall_clock(), board) as ctx:
        print_change(
            roster.edit_member(
                ctx, initials, name=name, new_initials=new_initials, capacity=capacity, email=email
            )
        )


@member_app.command("role")
def member_role(
    initials: str,
    role: Annotated[Role, typer.Argument(help="member, chair or secretariat.")],
    board: BoardOption = None,
) -> None:
    """Change a member's role. Making someone the chair hands the chair over."""
    with operator(wall_clock(), board) as ctx:
        print_change(roster.change_role(ctx, initials, role))


@member_app.command("deactivate")
def member_deactivate(initials: str, board: BoardOption = None) -> None:
    """Deactivate a member: no more nudges, refused in chat and on the web; history kept."""
    with operator(wall_clock(), board) as ctx:
        print_change(roster.deactivate(ctx, initials))


@member_app.command("reactivate")
def member_reactivate(initials: str, board: BoardOption = None) -> None:
    """Reactivate a deactivated member."""
    with operator(wall_clock(), board) as ctx:
        print_change(roster.reactivate(ctx, initials))


@member_app.command("revoke-links")
def member_revoke_links(initials: str, board: BoardOption = None) -> None:
    """Withdraw every one-click link emailed to a member so far (a forwarded email, a lost
    phone). Their next email carries new links."""
    with operator(wall_clock(), board) as ctx:
        print_change(roster.revoke_email_links(ctx, initials))


# ---------------------------------------------------------------- boards (issues 15, 16)

ShortArgument = Annotated[
    str | None,
    typer.Argument(
        metavar="[SHORT]",
        envvar="CRB_BOARD",
        help="The board's short code, e.g. GOV (optional with one board).",
    ),
]
NameOption = Annotated[str | None, typer.Option("--name", help="The board's full name.")]
TimezoneOption = Annotated[
    str | None, typer.Option("--timezone", help="Its time zone, e.g. Europe/London.")
]
RecurrenceOption = Annotated[
    str | None,
    typer.Option(help="When the board meets, as an RFC 5545 rule (FREQ=YEARLY;BYMONTH=…)."),
]
MarkingOption = Annotated[
    str | None,
    typer.Option(
        "--marking",
        help='Protective marking on every paper, event, email and page ("" follows the '
        "minutes again).",
    ),
]


@app.command("boards")
def boards_command(as_json: JsonOption = False) -> None:
    """List the boards this database holds."""
    from handlers.boards import board_record

    rt = runtime(wall_clock())
    try:
        with rt.sessions() as session:
            found = [board_record(session, b) for b in queries.boards(session)]
    finally:
        rt.engine.dispose()
    if as_json:
        emit_json({"boards": found})
        return
    rows = [
        [
            b["short"],
            b["name"],
            b["timezone"],
            b["marking"],
            f"{b['reminder_days']} days before, at {b['reminder_time']}",
            ", ".join(f"{c}: {b[f'{c}_channel']}" for c in ("slack", "teams") if b[f"{c}_channel"]),
        ]
        for b in found
    ]
    headings = ["Short", "Name", "Time zone", "Marking", "Nudges", "Channels"]
    out.print(table(f"Boards: {len(found)}", headings, rows))


@board_app.command("add")
def board_add(
    short: Annotated[str, typer.Argument(metavar="SHORT", help="Its short code, e.g. GOV.")],
    name: Annotated[str, typer.Option("--name", help="The board's full name.")],
    timezone: TimezoneOption = None,
    recurrence: RecurrenceOption = None,
    marking: MarkingOption = None,
) -> None:
    """Add a board: one bot, one database, several boards."""
    from handlers.boards import add_board

    now = wall_clock()
    rt = runtime(now)
    try:
        with rt.sessions() as session:
            board = add_board(
                session,
                CLI,
                now,
                short,
                name,
                timezone=timezone,
                recurrence=recurrence,
                marking=marking,
            )
            session.commit()
            out.print(f"Added the {board.name} ({board.short}), in {board.timezone}.")
    finally:
        rt.engine.dispose()
    err.print(f"Give its commands --board {board.short} (or set CRB_BOARD={board.short}).")


@board_app.command("set")
def board_set(
    short: ShortArgument = None,
    name: NameOption = None,
    timezone: TimezoneOption = None,
    marking: MarkingOption = None,
    recurrence: RecurrenceOption = None,
    meeting_time: Annotated[
        str | None, typer.Option("--meeting-time", help="Usual start time, HH:MM ('' clears it).")
    ] = None,
    reminder_days: Annotated[
        str | None, typer.Option("--reminder-days", help="Days before a meeting to nudge: 14,7,1.")
    ] = None,
    digest_days: Annotated[
        str | None, typer.Option("--digest-days", help="Days before a meeting for digests: 7,1.")
    ] = None,
    reminder_time: Annotated[
        str | None, typer.Option("--reminder-time", help="Time of day for reminders, HH:MM.")
    ] = None,
    slack_channel: Annotated[
        str | None,
        typer.Option("--slack-channel", help="Bind a Slack channel id (C…) to it ('' unbinds)."),
    ] = None,
    teams_channel: Annotated[
        str | None,
        typer.Option("--teams-channel", help="Bind a Teams channel id to it ('' unbinds)."),
    ] = None,
) -> None:
    """Change a board: its name, time zone, channels, marking, when it meets and reminds."""
    from handlers.boards import change_board
    from handlers.settings import change_settings

    changes: dict[str, Any] = {
        setting: value
        for setting, value in (
            ("recurrence", recurrence),
            ("reminder_days", reminder_days),
            ("digest_days", digest_days),
            ("reminder_time", parse_time(reminder_time)),
        )
        if value is not None
    }
    if meeting_time is not None:
        changes["meeting_time"] = parse_time(meeting_time) if meeting_time.strip() else None
    identity = {
        field: value
        for field, value in (
            ("name", name),
            ("timezone", timezone),
            ("slack_channel", slack_channel),
            ("teams_channel", teams_channel),
        )
        if value is not None
    }
    if marking is None and not changes and not identity:
        err.print('Say what to set, e.g. crb board set GOV --marking "OFFICIAL-SENSITIVE".')
        raise typer.Exit(ExitCode.USAGE)
    with operator(wall_clock(), short) as ctx:
        pinned = pinned_settings(ctx)
        said = change_board(ctx, pinned=pinned, **identity)
        if changes:
            said += change_settings(ctx, pinned=pinned, **changes)
        if changes or identity:
            out.print(
                "Changed " + "; ".join(said) + "." if said else "Those settings are as given."
            )
        if marking is not None:
            print_marking(ctx, marking)


def pinned_settings(ctx: Ctx) -> dict[str, object]:
    """The settings the environment sets at every start: the first board's only
    (``Runtime.prepare``), so another board's are its own to change."""
    first = queries.default_board(ctx.session)
    return config_module.load().board_settings() if ctx.board is first else {}


def print_marking(ctx: Ctx, marking: str) -> None:
    from handlers.marking import board_marking, set_board_marking

    changed = set_board_marking(ctx, marking)
    shown = board_marking(ctx.session, ctx.board) or "none"
    source = "set by hand" if ctx.board.marking_by_hand else "from the latest minutes"
    said_marking = "is now" if changed else "was already"
    out.print(f"{ctx.board.name}'s protective marking {said_marking} {shown} ({source}).")


@board_app.command("show")
def board_show(short: ShortArgument = None, as_json: JsonOption = False) -> None:
    """Show a board's settings."""
    from handlers.boards import board_record

    with operator(wall_clock(), short, commit=False) as ctx:
        board = ctx.board
        settings = board_record(ctx.session, board)
        settings["marking_by_hand"] = bool(board.marking_by_hand)
        if as_json:
            emit_json({"board": settings})
            return
        for key, value in settings.items():
            out.print(f"{key.replace('_', ' ')}: {value if value is not None else 'none'}")


# ---------------------------------------------------------------- meetings


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise UserError(f"“{text}” is not a date like 2021-02-24.") from error


def parse_time(text: str | None) -> time | None:
    if text is None:
        return None
    try:
        return time.fromisoformat(text)
    except ValueError as error:
        raise UserError(f"“{text}” is not a time like 10:00.") from error


@meeting_app.command("add")
def meeting_add(
    day: Annotated[str, typer.Argument(metavar="YYYY-MM-DD")],
    at: Annotated[str | None, typer.Option("--time", help="Local start time, HH:MM.")] = None,
    venue: Annotated[str | None, typer.Option(help="Where it is held.")] = None,
    board: BoardOption = None,
) -> None:
    """Record a meeting in the board's diary (or confirm one pencilled in as tentative)."""
    from handlers.diary import new_meeting

    meeting_day, start = parse_day(day), parse_time(at)
    with operator(wall_clock(), board) as ctx:
        meeting, created = new_meeting(ctx, meeting_day, start, venue)
        what = "Recorded" if created else "Confirmed"
        out.print(f"{what} the meeting on {meeting.date:%A %-d %B %Y}.")


# ---------------------------------------------------------------- import


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="Minutes as .docx, .pdf, .html or .txt.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; change nothing.")
    ] = False,
    as_json: JsonOption = False,
    board: BoardOption = None,
) -> None:
    """Import actions, members and meetings from the minutes (without --board, into the board
    whose name the minutes' title holds)."""
    from handlers.minutes.importer import import_minutes
    from handlers.minutes.read import read_minutes

    minutes = read_minutes(file)
    now = wall_clock()
    with operator(now, board or minutes_board(now, minutes.board_name), commit=not dry_run) as ctx:
        ctx = Ctx(ctx.session, ctx.board, Caller(None, f"import:{file.name}", Via.IMPORT), ctx.now)
        report = import_minutes(ctx, minutes)
        if as_json:
            refs = display_refs(ctx.session, ctx.board, report.actions)
            emit_json(
                {
                    "meeting": meeting_record(report.meeting),
                    "actions": [action_record(a, refs[a.id]) for a in report.actions],
                    "members": [member_record(m) for m in report.members],
                    "next_meeting": meeting_record(report.next_meeting),
                    "warnings": report.warnings,
                    "doubts": [asdict(d) for d in report.doubts],
                    "facts": [asdict(f) for f in report.facts],
                    "dry_run": dry_run,
                    "created": report.created,
                    "changed": report.changed,
                    "unchanged": report.unchanged,
                }
            )
        else:
            print_import_report(report, dry_run)


def minutes_board(now: datetime, title: str | None) -> str:
    """The short code of the board minutes with this title are for (the only board, or the one
    whose name the title holds); else "which board?" (exit 2)."""
    from handlers.boards import board_of_minutes

    rt = runtime(now)
    try:
        with rt.sessions() as session:
            return board_of_minutes(session, title).short
    finally:
        rt.engine.dispose()


def print_import_report(report: Any, dry_run: bool) -> None:
    """Everything the import did (or would do), one line each: created, changed, left alone."""
    verb = "would be" if dry_run else "were"
    meeting = f"{report.meeting.date:%-d %B %Y}"
    out.print(f"Minutes of {meeting}: {len(report.actions)} actions, {len(report.members)} people.")
    for label, mark, items in (
        ("created", "+", report.created),
        ("changed", "~", report.changed),
        ("left alone", "=", report.unchanged),
    ):
        out.print(f"{len(items)} {verb} {label}:" if items else f"Nothing {verb} {label}.")
        for item in map(plain_line, items):
            out.print(f"  {mark} {item}")
    for warning in report.warnings:
        err.print(f"warning: {plain_line(warning)}")
    if dry_run:
        out.print("Dry run: nothing was changed.")


# ---------------------------------------------------------------- console and demo


@app.command("console")
def console_command(
    as_member: Annotated[
        str | None, typer.Option("--as", help="Act as this member (initials).")
    ] = None,
    command: Annotated[
        str | None, typer.Option("-c", "--command", help="Run one command and exit.")
    ] = None,
    at: AtOption = None,
    board: BoardOption = None,
) -> None:
    """The chat commands in a terminal, acting as a member."""
    from bot.console import Console as ChatConsole

    now = parse_instant(at)
    chat = ChatConsole(runtime(now), as_member, fixed_now=now if at else None, board=board)
    chat.check_board()
    if command is not None:
        reply = chat.run(command)
        if reply.tone in (Tone.ERROR, Tone.WARNING):
            err.print(render(reply))
            raise typer.Exit(ExitCode.BAD_INPUT)
        out.print(render(reply))
        return
    chat.loop()


@app.command("demo")
def demo_command(
    database: Annotated[
        Path, typer.Option("--db", help="SQLite file for the demo board (recreated).")
    ] = Path("crb-demo.db"),
    at: AtOption = None,
) -> None:
    """Load the sample minutes into a fresh database, show the board, open the console."""
    from bot.demo import run_demo

    run_demo(database, parse_instant(at) if at else None, interactive=sys.stdin.isatty())


# ---------------------------------------------------------------- the web desk


@web_app.command("link")
def web_link(
    as_initials: Annotated[
        str, typer.Option("--as", metavar="INITIALS", help="The member who signs in.")
    ],
    board: BoardOption = None,
    as_json: JsonOption = False,
    when: AtOption = None,
) -> None:
    """Print a one-time sign-in link to the web desk: it works once, for 15 minutes."""
    from handlers import web_access

    now = parse_instant(when)
    config = config_module.load()
    rt = runtime(now)
    try:
        keys = rt.signing_keys(now)
        with rt.unit(CLI, now, board) as ctx:
            member = find_member(ctx, as_initials)
            token = web_access.issue_sign_in_link(ctx, member, keys, via="cli")
            ctx.session.commit()
    finally:
        rt.engine.dispose()
    url = web_access.sign_in_url(config.link_base, token)
    if as_json:
        emit_json({"url": url})
        return
    out.print(url)
    minutes = int(web_access.LINK_LIFETIME.total_seconds() // 60)
    err.print(f"It works once, for {minutes} minutes. Send it only to {as_initials.upper()}.")


# ---------------------------------------------------------------- serving and maintenance


@app.command("serve")
def serve_command(
    port: Annotated[
        int | None, typer.Option(help="Port (default $PORT or 3000; 0: any free port).")
    ] = None,
    no_scheduler: Annotated[
        bool, typer.Option("--no-scheduler", help="Do not run reminders here.")
    ] = False,
    simulate_from: Annotated[
        str | None,
        typer.Option(hidden=True, help="TEST ONLY: tick on a simulated clock from this instant."),
    ] = None,
    simulate_until: Annotated[
        str | None, typer.Option(hidden=True, help="TEST ONLY: the simulated clock's last tick.")
    ] = None,
    simulate_step: Annotated[
        int, typer.Option(hidden=True, help="TEST ONLY: simulated seconds between ticks.")
    ] = 3600,
    simulate_speed: Annotated[
        float | None,
        typer.Option(hidden=True, help="TEST ONLY: simulated seconds per real second."),
    ] = None,
    simulate_wall_start: Annotated[
        float | None,
        typer.Option(hidden=True, help="TEST ONLY: Unix time at which the simulation starts."),
    ] = None,
) -> None:
    """Run the bot: Slack, Teams and /healthz on one aiohttp server."""
    from bot.server import serve

    config = config_module.load()
    simulation = _simulation(
        config,
        simulate_from,
        simulate_until,
        simulate_step,
        speed=simulate_speed,
        wall_start=simulate_wall_start,
    )
    serve(
        config,
        config.port if port is None else port,
        scheduler=not no_scheduler,
        simulation=simulation,
    )


def _simulation(
    config: config_module.Config,
    start: str | None,
    until: str | None,
    step: int,
    *,
    speed: float | None = None,
    wall_start: float | None = None,
) -> Any:
    """The test-only simulated clock `crb serve --simulate-from` asks for, else None."""
    from datetime import timedelta

    from scheduler.simulated import SimulatedClock

    if start is None:
        if until is not None:
            raise UserError("--simulate-until needs --simulate-from.")
        return None
    tz = config.timezone or "Europe/London"
    first = parse_instant(start, tz)
    last = parse_instant(until, tz) if until else first
    try:
        return SimulatedClock(
            first, last, timedelta(seconds=step), speed=speed, wall_start=wall_start
        )
    except ValueError as error:
        raise UserError(f"--simulate-*: {error}.") from error


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations."""
    rt = Runtime(config_module.load())
    for report in migrate.upgrade(rt.engine):
        out.print(report)
    out.print("The database is up to date.")


# ---------------------------------------------------------------- Microsoft Teams (issue 6)

from bot.teams_package import teams_app  # noqa: E402  (its own module; no Agents SDK import)

app.add_typer(teams_app, name="teams")
# ---------------------------------------------------------------- reminders (issue 4)


@app.command("tick")
def tick_command(
    at: AtOption = None,
    as_json: JsonOption = False,
    board: Annotated[
        str | None,
        typer.Option(
            "--board", envvar="CRB_BOARD", metavar="SHORT", help="Only this board (default: all)."
        ),
    ] = None,
) -> None:
    """Send every nudge and digest due now (or --at) that has not been sent; print them."""
    import asyncio

    from bot.delivery import build_channels
    from handlers.boards import choose_board
    from scheduler.dispatch import tick

    config = config_module.load()
    now = parse_instant(at, config.timezone or "Europe/London")
    rt = runtime(now)
    with rt.sessions() as session:
        chosen = choose_board(session, board) if board else None
        every = queries.boards(session)
        zones = {b.timezone for b in ([chosen] if chosen else every)}
    channels = build_channels(config, rt.sessions)
    try:
        only = chosen.id if chosen else None
        result = asyncio.run(
            tick(rt.sessions, channels, now, board_id=only, lease=config.claim_lease)
        )
    finally:
        rt.engine.dispose()
    if as_json:
        emit_json(result.record())
        return
    tz = zones.pop() if len(zones) == 1 else "UTC"
    print_tick(result, tz, configured=bool(channels), several=len(every) > 1)


def print_tick(result: Any, tz: str, *, configured: bool, several: bool) -> None:
    """What a tick sent, and, apart from it, what no channel could carry. With ``several``
    boards in the database each recipient is named with their board ("GOV DP")."""
    from scheduler.dispatch import NOBODY

    local = f"{result.at.astimezone(zone(tz)):%a %-d %b %Y %H:%M} ({tz})"
    delivered = [o for o in result.sent if o.platform != NOBODY]
    unreachable = [o for o in result.sent if o.platform == NOBODY]
    if not result.sent and not result.failed:
        out.print(f"Nothing due at {local}.")
        return
    if not configured:
        out.print(
            f"Nothing was sent at {local}: no channel is configured (Slack: SLACK_BOT_TOKEN; "
            "Teams: the CONNECTIONS__… settings; email: SMTP_URL and CRB_MAIL_FROM). "
            f"{_kept(len(unreachable))}, and each goes once a channel is configured that "
            "reaches its recipient, while it is still current:"
        )
        rows = [[o.kind, _recipient(o, several), ", ".join(o.actions), o.slot] for o in unreachable]
        out.print(table("Waiting for a channel", ["Kind", "To", "Actions", "Slot"], rows))
        return
    rows = [
        [o.kind, _recipient(o, several), o.platform, ", ".join(o.actions), o.slot, _tick_note(o)]
        for o in delivered + unreachable + result.failed
    ]
    title = f"Tick at {local}: {len(delivered)} sent"
    if unreachable:
        title += f", {len(unreachable)} could not be reached"
    if result.failed:
        title += f", {len(result.failed)} failed"
    out.print(table(title, ["Kind", "To", "Platform", "Actions", "Slot", "Note"], rows))


def _kept(count: int) -> str:
    return "This message is kept" if count == 1 else f"These {count} messages are kept"


def _recipient(outcome: Any, several_boards: bool) -> str:
    """ "DP", or with several boards "GOV DP": a person may hold a seat on each."""
    return f"{outcome.board} {outcome.to}" if several_boards else outcome.to


def _tick_note(outcome: Any) -> str:
    if outcome.platform == "none":
        return "could not be reached: link them on Slack or Teams, or give an email and SMTP_URL"
    if outcome.error is None:
        return ""
    when = f"; retry at {outcome.retry_at:%Y-%m-%d %H:%M}Z" if outcome.retry_at else "; not retried"
    return f"{outcome.error}{when}"


@meeting_app.command("move")
def meeting_move(
    day: Annotated[str, typer.Argument(metavar="YYYY-MM-DD", help="The meeting's date now.")],
    new_day: Annotated[str, typer.Argument(metavar="NEW-DATE", help="Its new date.")],
    at: Annotated[str | None, typer.Option("--time", help="A new local start time, HH:MM.")] = None,
    when: AtOption = None,
    board: BoardOption = None,
) -> None:
    """Move a meeting; its reminders follow it, and those already sent are not sent again."""
    from handlers.diary import move_meeting

    old, new, start = parse_day(day), parse_day(new_day), parse_time(at)
    with operator(parse_instant(when), board) as ctx:
        meeting = move_meeting(ctx, old, new, start)
        out.print(f"Moved the meeting of {old:%-d %B %Y} to {meeting.date:%A %-d %B %Y}.")


@meeting_app.command("cancel")
def meeting_cancel(
    day: Annotated[str, typer.Argument(metavar="YYYY-MM-DD")],
    when: AtOption = None,
    board: BoardOption = None,
) -> None:
    """Cancel a meeting: no more reminders for it; open actions carry over to the next one."""
    from handlers.diary import cancel_meeting

    with operator(parse_instant(when), board) as ctx:
        meeting = cancel_meeting(ctx, parse_day(day))
        out.print(f"Cancelled the meeting of {meeting.date:%A %-d %B %Y}.")


@meeting_app.command("restore")
def meeting_restore(
    day: Annotated[str, typer.Argument(metavar="YYYY-MM-DD")],
    when: AtOption = None,
    board: BoardOption = None,
) -> None:
    """Restore a cancelled meeting: its reminders still to come go again."""
    from handlers.diary import restore_meeting

    with operator(parse_instant(when), board) as ctx:
        meeting = restore_meeting(ctx, parse_day(day))
        out.print(f"Restored the meeting of {meeting.date:%A %-d %B %Y}.")


@meeting_app.command("edit")
def meeting_edit(
    day: Annotated[str, typer.Argument(metavar="YYYY-MM-DD")],
    at: Annotated[
        str | None, typer.Option("--time", help="Local start time, HH:MM ('' clears it).")
    ] = None,
    venue: Annotated[str | None, typer.Option(help="Where it is held ('' clears it).")] = None,
    when: AtOption = None,
    board: BoardOption = None,
) -> None:
    """Change a meeting's start time or venue (to change its date: crb meeting move)."""
    from handlers.diary import KEEP, edit_meeting

    if at is None and venue is None:
        err.print("Give --time or --venue (or both).")
        raise typer.Exit(ExitCode.USAGE)
    start = KEEP if at is None else parse_time(at) if at.strip() else None
    with operator(parse_instant(when), board) as ctx:
        meeting = edit_meeting(
            ctx, parse_day(day), at=start, venue=KEEP if venue is None else venue
        )
        out.print(
            f"Changed the meeting of {meeting.date:%A %-d %B %Y}: {describe_meeting(meeting)}."
        )


def describe_meeting(meeting: Any) -> str:
    start = f"{meeting.time:%H:%M}" if meeting.time else "no time set"
    return f"{start}, {meeting.venue or 'no venue set'}"


# ---------------------------------------------------------------- actions


@action_app.command("reassign")
def action_reassign(
    ref: Annotated[str, typer.Argument(help="The action's REF, e.g. 04-CR or 03-? for no owner.")],
    owners: Annotated[str, typer.Argument(help="Its new owner's initials (DP/RT for two).")],
    when: AtOption = None,
    board: BoardOption = None,
) -> None:
    """Give an action to someone else, or an owner to one with none (03-?). They are told."""
    from handlers.commands import Reassign, parse_owners
    from handlers.dispatch import run
    from handlers.refs import parse_ref

    parsed = parse_ref(ref)
    if parsed is None:
        raise UserError(f"“{plain_line(ref)[:30]}” is not a REF, like 04-CR or 03-?.")
    with operator(parse_instant(when), board, commit=False) as ctx:
        reply = run(ctx, Reassign(parsed, parse_owners(owners)))
        if reply.changed:
            ctx.session.commit()
    if reply.tone in (Tone.ERROR, Tone.WARNING):
        err.print(render(reply))
        raise typer.Exit(ExitCode.BAD_INPUT)
    out.print(render(reply))


# ---------------------------------------------------------------- export (issue 5)


class ExportFormat(StrEnum):
    MD = "md"
    CSV = "csv"
    DOCX = "docx"
    ICS = "ics"


@app.command("export")
def export_command(
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="md, csv or docx: the paper; ics: meetings.")
    ] = ExportFormat.MD,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write to this file, not stdout.")
    ] = None,
    at: AtOption = None,
    board: BoardOption = None,
) -> None:
    """The "Actions from the previous meeting" paper for the next meeting, or the meetings as
    an iCalendar feed."""
    from handlers.export import render as render_export

    if fmt == ExportFormat.DOCX and output is None and sys.stdout.isatty():
        err.print("A Word document can't be shown here: give -o FILE, e.g. -o actions.docx.")
        raise typer.Exit(ExitCode.USAGE)
    with operator(parse_instant(at), board, commit=False) as ctx:
        document = render_export(ctx, fmt.value)
    data = document.encode("utf-8") if isinstance(document, str) else document
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        output.write_bytes(data)
    except OSError as error:
        raise UserError(f"Could not write {output}: {error.strerror or error}.") from error
    err.print(f"Wrote {output} ({len(data):,} bytes).")


# ---------------------------------------------------------------- backup and restore (issue 7)


@app.command("backup")
def backup_command(
    output: Annotated[
        Path, typer.Option("-o", "--output", help="File to write the backup to ('-': stdout).")
    ],
    board: Annotated[
        str | None,
        typer.Option(
            "--board",
            metavar="SHORT",
            help="Only this board and what hangs off it (default: every board). CRB_BOARD is "
            "not read here: a backup is of everything unless you say otherwise.",
        ),
    ] = None,
) -> None:
    """Write every board (every table, every row), or one board, to one JSON file."""
    from db import backup
    from handlers.boards import choose_board

    rt = Runtime(config_module.load())
    if rt.engine.dialect.name == "sqlite":
        migrate.upgrade(rt.engine)
    if board is not None:
        with rt.sessions() as session:
            board = choose_board(session, board).short
    document = backup.dump(rt.engine, wall_clock(), board)
    text = backup.to_json(document)
    if str(output) == "-":
        sys.stdout.write(text)
        return
    write_private(output, text)
    rows = sum(len(rows) for rows in document["tables"].values())
    what = f"board {board} only" if board else "every board"
    tables = len(document["tables"])
    out.print(f"Backed up {rows} rows of {tables} tables ({what}) to {output}.")


def write_private(path: Path, text: str) -> None:
    """Write ``text`` readable by its owner only: a backup holds the board's restricted data."""
    temporary = path.with_name(f".{path.name}.partial")
    try:
        temporary.touch(mode=0o600, exist_ok=False)
    except FileExistsError:
        temporary.unlink()
        temporary.touch(mode=0o600)
    except OSError as error:
        raise UserError(f"I can't write {path}: {error.strerror}.") from error
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)  # a crash never leaves a half-written backup under the real name


@app.command("restore")
def restore_command(
    file: Annotated[Path, typer.Argument(help="A file written by `crb backup`.")],
    replace: Annotated[
        bool,
        typer.Option(
            "--replace", help="Delete everything in this database first (one transaction)."
        ),
    ] = False,
) -> None:
    """Load a backup into an empty database, keeping every id."""
    from db import backup

    if not file.is_file():
        raise UserError(f"There is no file at {file}.")
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise UserError(f"{file.name} is not a crb backup: it is not UTF-8 text.") from error
    document = backup.parse(text)
    counts = backup.restore(Runtime(config_module.load()).engine, document, replace=replace)
    out.print(
        f"Restored {sum(counts.values())} rows of {len(counts)} tables from {file.name} "
        f"(made {document.get('created_at')})."
    )


def main() -> None:
    app(prog_name="crb")
