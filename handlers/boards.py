"""Which board a request is about: several boards share one bot, one database.

A board is named by its short code (``CRB``, ``GOV``), typed in any case. With one board in the
database it is implied everywhere, so nothing written for a single board needs to name it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from db import queries
from db.models import Board, EventKind, Member
from handlers.audit import record
from handlers.context import Caller, Ctx
from handlers.errors import Forbidden, NotFound, UserError
from handlers.marking import board_marking, set_board_marking
from handlers.plain import plain_line
from handlers.settings import check_recurrence


class BoardNeeded(UserError):
    """Several boards, and nothing said which: the message names the choices."""

    exit_code = 2

    def __init__(self, boards: Sequence[Board], why: str = "") -> None:
        super().__init__(
            f"{why}Which board? This database holds {len(boards)}: {board_choices(boards)}."
        )
        self.boards = tuple(boards)


def board_choices(boards: Sequence[Board]) -> str:
    """ "CRB (Crime Reduction Board), GOV (Governance Board)" """
    return ", ".join(f"{board.short} ({board.name})" for board in boards)


def _board_called(session: Session, name: str) -> Board | None:
    """The board with this full name (any case): what ``board set`` took before short codes."""
    wanted = plain_line(name).casefold()
    return next((b for b in queries.boards(session) if b.name.casefold() == wanted), None)


def choose_board(session: Session, short: str | None) -> Board:
    """The board ``short`` names; with none named, the only board there is.

    Raises ``NotFound`` for a code no board has, and ``BoardNeeded`` when several boards could
    be meant.
    """
    if short is not None and short.strip():
        board = queries.board_by_short(session, short) or _board_called(session, short)
        if board is None:
            shown = short.strip()[:20]
            raise NotFound(
                f"There is no board {shown!r}. The boards here are "
                f"{board_choices(queries.boards(session))}."
            )
        return board
    boards = queries.boards(session)
    if not boards:
        raise RuntimeError("No board: the database has not been prepared.")
    if len(boards) > 1:
        raise BoardNeeded(boards)
    return boards[0]


def board_of_minutes(session: Session, title: str | None) -> Board:
    """The board minutes titled ``title`` are for: the only board, else the one board whose
    name the title holds (or that holds the title). ``BoardNeeded`` when none or several do."""
    boards = queries.boards(session)
    if len(boards) == 1:
        return boards[0]
    words = _words(title or "")
    matching = [b for b in boards if words and _contains(words, _words(b.name))]
    matching = matching or [b for b in boards if words and _contains(_words(b.name), words)]
    if len(matching) == 1:
        return matching[0]
    shown = f"“{plain_line(title)[:80]}”" if title else "no board's name"
    said = "names several boards" if matching else "matches no board's name"
    raise BoardNeeded(boards, f"The minutes' title, {shown}, {said}: give --board. ")


def _words(text: str) -> tuple[str, ...]:
    return tuple(re.findall(r"[a-z0-9]+", text.casefold()))


def _contains(words: tuple[str, ...], part: tuple[str, ...]) -> bool:
    """Whether ``part`` is a run of whole words in ``words``."""
    size = len(part)
    return size > 0 and any(words[i : i + size] == part for i in range(len(words) - size + 1))


# ---------------------------------------------------------------- adding and changing boards

_SHORT = re.compile(r"^[A-Z0-9]{1,16}$")


def check_short(session: Session, short: str, *, board: Board | None = None) -> str:
    """``short`` in capitals: letters and digits, unique among the boards (any case)."""
    upper = short.strip().upper()
    if not _SHORT.match(upper):
        raise UserError(
            f"“{plain_line(short)[:20]}” can't be a board's short code: use up to 16 letters "
            "and digits, like GOV."
        )
    holder = queries.board_by_short(session, upper)
    if holder is not None and holder is not board:
        raise UserError(f"{holder.short} is already the {holder.name}'s short code.")
    return upper


def check_timezone(name: str) -> str:
    """An IANA time zone name, like Europe/London."""
    name = plain_line(name)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise UserError(f"“{name[:60]}” is not a time zone, like Europe/London.") from error
    return name


def check_board_name(name: str) -> str:
    name = plain_line(name)
    if not name:
        raise UserError("A board needs a name, like “Governance Board”.")
    if len(name) > 200:
        raise UserError("A board's name has at most 200 characters.")
    return name


def add_board(
    session: Session,
    caller: Caller,
    now: datetime,
    short: str,
    name: str,
    *,
    timezone: str | None = None,
    recurrence: str | None = None,
    marking: str | None = None,
) -> Board:
    """A new board, with its first audit event (who added it, with what settings)."""
    if not caller.operator:  # no board's chair speaks for a board that does not exist yet
        raise Forbidden("Only the operator adds boards (crb board add).")
    board = Board(short=check_short(session, short), name=check_board_name(name), created_at=now)
    if timezone is not None:
        board.timezone = check_timezone(timezone)
    if recurrence is not None:
        board.recurrence = check_recurrence(recurrence)
    session.add(board)
    session.flush()
    ctx = Ctx(session, board, caller, now)
    details = {"created": "board", "short": board.short, "name": board.name}
    details |= {"timezone": board.timezone, "recurrence": board.recurrence}
    record(ctx, EventKind.BOARD_CHANGED, details=details)
    if marking:
        set_board_marking(ctx, marking)
    return board


def change_board(
    ctx: Ctx,
    *,
    pinned: Collection[str] = (),
    name: str | None = None,
    timezone: str | None = None,
    slack_channel: str | None = None,
    teams_channel: str | None = None,
) -> list[str]:
    """Change the board's name, time zone and bound channels (None: left as it is; "" unbinds
    a channel). ``pinned``: settings the environment sets at every start (``CRB_TIMEZONE``).
    Returns what changed, as "name: A -> B"."""
    ctx.require_officer("change the board")
    wanted: dict[str, str | None] = {}
    if name is not None:
        wanted["name"] = check_board_name(name)
    if timezone is not None:
        wanted["timezone"] = check_timezone(timezone)
        if "timezone" in pinned and wanted["timezone"] != ctx.board.timezone:
            raise UserError(
                "CRB_TIMEZONE is set in this server's environment, and sets the first board's "
                "time zone at every start: change it there."
            )
    if slack_channel is not None:
        wanted["slack_channel"] = _channel(ctx, "slack_channel", slack_channel)
    if teams_channel is not None:
        wanted["teams_channel"] = _channel(ctx, "teams_channel", teams_channel)
    details = {
        field: f"{getattr(ctx.board, field) or 'none'} -> {value or 'none'}"
        for field, value in wanted.items()
        if getattr(ctx.board, field) != value
    }
    for field in details:
        setattr(ctx.board, field, wanted[field])
    if details:
        ctx.session.flush()
        record(ctx, EventKind.BOARD_CHANGED, details=details)
    return [f"{field.replace('_', ' ')}: {change}" for field, change in details.items()]


def _channel(ctx: Ctx, field: str, channel: str) -> str | None:
    """A chat channel id to bind (None: unbind). One channel means one board."""
    channel = plain_line(channel)
    if not channel:
        return None
    if len(channel) > (32 if field == "slack_channel" else 400):
        raise UserError(f"“{channel[:40]}…” is too long for a channel id.")
    for other in queries.boards(ctx.session):
        if other is not ctx.board and getattr(other, field) == channel:
            raise UserError(
                f"That channel is already bound to the {other.name} ({other.short}): a command "
                "typed there means that board. Unbind it there first."
            )
    return channel


def board_record(session: Session, board: Board) -> dict[str, Any]:
    """One board as ``crb boards --json`` prints it."""
    return {
        "short": board.short,
        "name": board.name,
        "timezone": board.timezone,
        "marking": board_marking(session, board),
        "reminder_days": board.reminder_days,
        "reminder_time": f"{board.reminder_time:%H:%M}",
        "recurrence": board.recurrence,
        "slack_channel": board.slack_channel,
        "teams_channel": board.teams_channel,
    }


def choose_first_board(session: Session) -> Board:
    """The first board made: where a stranger on several boards is told they are not linked."""
    board = queries.default_board(session)
    if board is None:
        raise RuntimeError("No board: the database has not been prepared.")
    return board


def board_prefix(ctx: Ctx, member: Member) -> str:
    """ "GOV " before a button's command for someone who sits on several boards, so that the
    click runs on this board; nothing for someone on one (their buttons read as they always have).
    """
    return f"{ctx.board.short} " if len(member.person.members) > 1 else ""


def board_page_path(ctx: Ctx) -> str:
    """The web desk's path to this board's page: "/" where there is one board (the page every
    link has always opened), else ``/boards/SHORT``, which opens this board whichever board the
    reader's browser was on."""
    return f"/boards/{ctx.board.short}" if queries.board_count(ctx.session) > 1 else "/"
