"""Which board a request is about: several boards share one bot, one database.

A board is named by its short code (``CRB``, ``GOV``), typed in any case. With one board in the
database it is implied everywhere, so nothing written for a single board needs to name it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from db import queries
from db.models import Board
from handlers.errors import NotFound, UserError


class BoardNeeded(UserError):
    """Several boards, and nothing said which: the message names the choices."""

    exit_code = 2

    def __init__(self, boards: Sequence[Board]) -> None:
        super().__init__(
            f"Which board? This database holds {len(boards)}: {board_choices(boards)}."
        )
        self.boards = tuple(boards)


def board_choices(boards: Sequence[Board]) -> str:
    """ "CRB (Crime Reduction Board), GOV (Governance Board)" """
    return ", ".join(f"{board.short} ({board.name})" for board in boards)


def choose_board(session: Session, short: str | None) -> Board:
    """The board ``short`` names; with none named, the only board there is.

    Raises ``NotFound`` for a code no board has, and ``BoardNeeded`` when several boards could
    be meant.
    """
    if short is not None and short.strip():
        board = queries.board_by_short(session, short)
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
