"""`crb demo`: the sample minutes in a fresh SQLite database, the board, then the console."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from importlib import resources
from pathlib import Path

from rich.console import Console as RichConsole
from rich.table import Table
from rich.text import Text

from bot import config as config_module
from bot.console import Console
from bot.runtime import Runtime
from db import queries
from db.models import Action, ActionStatus, Role
from handlers.context import Caller, Ctx
from handlers.identity import Via
from handlers.meetings import next_meeting
from handlers.minutes.importer import import_minutes
from handlers.minutes.text import parse_text
from handlers.reminders import planned_reminders
from handlers.reports import by_owner
from handlers.views import display_refs
from planning.calendar import local_instant, zone

SAMPLE = "crb-minutes-2020-11-25.txt"


def sample_text() -> str:
    return resources.files("bot").joinpath("samples", SAMPLE).read_text(encoding="utf-8")


def fresh_database(path: Path) -> str:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def run_demo(path: Path, at: datetime | None, *, interactive: bool) -> None:
    screen = RichConsole(highlight=False, markup=False, emoji=False, soft_wrap=True)
    minutes = parse_text(sample_text())
    assert minutes.meeting_date is not None
    # The demo stands on the morning after the sample meeting unless told otherwise.
    now = at or local_instant(
        minutes.meeting_date + timedelta(days=1), time(9, 30), "Europe/London"
    )
    runtime = Runtime(replace(config_module.load(), database_url=fresh_database(path)))
    runtime.prepare(now)
    with runtime.unit(Caller(None, f"import:{SAMPLE}", Via.IMPORT), now) as ctx:
        report = import_minutes(ctx, minutes)
        ctx.session.commit()
        show_board(screen, ctx, len(report.actions))
    screen.print(f"\nThe demo board is in {path}. Keep using it with:")
    screen.print(f"  DATABASE_URL=sqlite:///{path} crb console --as DP --at {now:%Y-%m-%dT%H:%M}Z")
    screen.print("Or open it on the web desk, as the secretariat (two terminals):")
    screen.print(f"  DATABASE_URL=sqlite:///{path} crb serve --no-scheduler")
    screen.print(f"  DATABASE_URL=sqlite:///{path} crb web link --as RT   # then open the link")
    if interactive:
        secretary = _first_secretary(runtime)
        screen.print()
        Console(runtime, secretary, fixed_now=now).loop()


def _first_secretary(runtime: Runtime) -> str | None:
    with runtime.sessions() as session:
        board = queries.default_board(session)
        officers = [m for m in queries.officers(session, board) if m.role == Role.SECRETARIAT]
        return officers[0].initials if officers else None


def show_board(screen: RichConsole, ctx: Ctx, imported: int) -> None:
    local_now = ctx.now.astimezone(zone(ctx.board.timezone))
    screen.print(f"{ctx.board.name} — as of {local_now:%A %-d %B %Y, %H:%M}")
    screen.print(f"Imported the sample minutes: {imported} actions.\n")
    upcoming = next_meeting(ctx.session, ctx.board, ctx.now)
    screen.print(f"Next meeting: {upcoming.describe() if upcoming else 'none known'}")
    open_actions = queries.actions(ctx.session, ctx.board, status=ActionStatus.OPEN)
    refs = display_refs(ctx.session, ctx.board, open_actions)
    outstanding = Table(title=f"Outstanding actions: {len(open_actions)}", title_justify="left")
    for column in ("Owner", "Ref", "Action"):
        outstanding.add_column(column, overflow="fold")
    for owner, owned in by_owner(open_actions).items():
        name = f"{owner.name} ({owner.initials})" if owner else "No owner"
        for n, action in enumerate(owned):
            outstanding.add_row(
                Text(name if n == 0 else ""), Text(refs[action.id]), Text(action.text)
            )
    screen.print(outstanding)
    if upcoming is not None:
        screen.print(reminder_table(ctx, upcoming.date, open_actions))


def reminder_table(ctx: Ctx, meeting_day: date, open_actions: Sequence[Action]) -> Table:
    owners = [o.initials for a in open_actions for o in a.owners]
    planned = Table(title="Reminders planned", title_justify="left")
    for column in ("When (local)", "What", "To"):
        planned.add_column(column, overflow="fold")
    tz = zone(ctx.board.timezone)
    for reminder in planned_reminders(ctx, meeting_day, owners):
        planned.add_row(
            Text(f"{reminder.at.astimezone(tz):%a %-d %b %Y %H:%M}"),
            Text(reminder.what),
            Text(", ".join(reminder.recipients)),
        )
    return planned
