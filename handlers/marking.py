"""The board's protective marking: what every paper, calendar event, email and web page carries.

The marking belongs to the board, not to one meeting. It follows the latest imported minutes'
marking ("PROTECT – MANAGEMENT") until someone sets it by hand (`crb board set --marking`, or the
web desk); from then on an import leaves it alone. Setting it to nothing hands it back to the
minutes. A meeting added with `crb meeting add` has no marking of its own, and it doesn't need
one: nothing asks a meeting for the marking any more.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Board, EventKind, Meeting
from handlers.audit import record
from handlers.context import Ctx
from handlers.errors import UserError
from handlers.plain import plain_line

MARKING_LENGTH = 100  # boards.marking is a String(100)


def board_marking(session: Session, board: Board) -> str | None:
    """The board's marking: set by hand or by the last import, else the latest imported
    minutes' (a board that predates the column, or whose marking was never recorded)."""
    if board.marking:
        return board.marking
    return latest_minutes_marking(session, board)


def latest_minutes_marking(session: Session, board: Board) -> str | None:
    """The marking of the latest meeting whose minutes were imported and carried one (only an
    import gives a meeting a marking)."""
    return session.scalar(
        select(Meeting.protective_marking)
        .where(
            Meeting.board_id == board.id,
            Meeting.protective_marking.is_not(None),
        )
        .order_by(Meeting.date.desc())
        .limit(1)
    )


def check_marking(text: str) -> str:
    """One plain line of at most 100 characters; "" means "follow the minutes again"."""
    marking = plain_line(text)
    if len(marking) > MARKING_LENGTH:
        raise UserError(
            f"A protective marking can be at most {MARKING_LENGTH} characters; "
            f"that one has {len(marking)}."
        )
    return marking


def set_board_marking(ctx: Ctx, text: str) -> bool:
    """Set the board's marking by hand, or with "" hand it back to the minutes. Only the chair,
    the secretariat or the operator may. Returns whether anything changed (retyping is harmless).
    """
    ctx.require_officer("set the board's protective marking")
    marking = check_marking(text)
    if marking:
        wanted, by_hand = marking, True
    else:
        wanted, by_hand = latest_minutes_marking(ctx.session, ctx.board), False
    if ctx.board.marking == wanted and bool(ctx.board.marking_by_hand) == by_hand:
        return False
    details = {"marking": wanted, "by_hand": by_hand, "was": ctx.board.marking}
    ctx.board.marking, ctx.board.marking_by_hand = wanted, by_hand
    record(ctx, EventKind.BOARD_CHANGED, details=details)
    ctx.session.flush()
    return True


def marking_from_minutes(ctx: Ctx, marking: str | None, meeting: Meeting) -> bool:
    """An import's marking becomes the board's, unless the board's was set by hand, or these
    minutes are older than the latest imported ones that carry a marking. Returns whether the
    board's marking changed."""
    if not marking or ctx.board.marking_by_hand or ctx.board.marking == marking:
        return False
    if latest_minutes_marking(ctx.session, ctx.board) != marking:
        return False  # older minutes imported late: the newer ones' marking stands
    details = {"marking": marking, "by_hand": False, "was": ctx.board.marking}
    ctx.board.marking = marking
    record(ctx, EventKind.BOARD_CHANGED, meeting=meeting, details=details)
    return True
