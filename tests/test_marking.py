"""The board's protective marking (issue 15): set by hand, or following the latest minutes."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.runtime import Runtime
from db import queries
from db.models import AuditEvent, EventKind
from handlers.context import Caller
from handlers.errors import UserError
from handlers.identity import Via
from handlers.marking import board_marking, set_board_marking
from handlers.minutes.model import Minutes
from handlers.minutes.text import parse_text
from tests.conftest import SAMPLE, run_import

MINUTES_MARKING = "PROTECT – MANAGEMENT"
LATER = datetime(2020, 12, 1, 9, 0, tzinfo=UTC)


def marking_of(runtime: Runtime) -> tuple[str | None, bool]:
    with runtime.sessions() as session:
        board = queries.default_board(session)
        return board_marking(session, board), bool(board.marking_by_hand)


def set_marking(runtime: Runtime, text: str, caller: Caller | None = None) -> bool:
    who = caller or Caller(None, "cli", Via.CLI)
    with runtime.unit(who, LATER) as ctx:
        changed = set_board_marking(ctx, text)
        ctx.session.commit()
        return changed


def minutes_marked(marking: str, day: str = "25th November 2020") -> Minutes:
    text = SAMPLE.read_text(encoding="utf-8").replace(MINUTES_MARKING, marking)
    return parse_text(text.replace("25th November 2020", day))


def test_the_marking_follows_the_imported_minutes(board: Runtime) -> None:
    assert marking_of(board) == (MINUTES_MARKING, False)
    with board.sessions() as session:
        assert queries.default_board(session).marking == MINUTES_MARKING  # stored, not guessed


def test_a_marking_set_by_hand_stands_until_handed_back(board: Runtime) -> None:
    assert set_marking(board, "  OFFICIAL-SENSITIVE ")
    assert not set_marking(board, "OFFICIAL-SENSITIVE")  # retyping is harmless
    assert marking_of(board) == ("OFFICIAL-SENSITIVE", True)
    report = run_import(board, minutes_marked("RESTRICTED - MANAGEMENT"), LATER)
    assert marking_of(board) == ("OFFICIAL-SENSITIVE", True)
    assert not any(change.startswith("board marking") for change in report.changed)
    assert set_marking(board, "")  # back to the minutes: the latest imported marking
    assert marking_of(board) == ("RESTRICTED - MANAGEMENT", False)
    with board.sessions() as session:
        events = session.query(AuditEvent).filter_by(kind=EventKind.BOARD_CHANGED).all()
        by_hand = [e.details for e in events if e.details and "marking" in e.details]
    assert [d["marking"] for d in by_hand][-2:] == ["OFFICIAL-SENSITIVE", "RESTRICTED - MANAGEMENT"]


def test_newer_minutes_change_the_marking_and_older_ones_do_not(board: Runtime) -> None:
    report = run_import(board, minutes_marked("OFFICIAL", "20th May 2020"), LATER)
    assert marking_of(board) == (MINUTES_MARKING, False)  # older minutes imported late
    assert not any(change.startswith("board marking") for change in report.changed)


def test_a_marking_is_one_short_plain_line(board: Runtime) -> None:
    try:
        set_marking(board, "X" * 101)
    except UserError as error:
        assert "at most 100" in error.message
    else:
        raise AssertionError("a 101-character marking was accepted")
    set_marking(board, "OFFICIAL\n\u202eSENSITIVE\x07")
    assert marking_of(board)[0] == "OFFICIAL SENSITIVE"


@pytest.mark.parametrize("who", ["DP", "a stranger in Slack"])
def test_only_officers_set_the_marking(board: Runtime, who: str) -> None:
    with board.sessions() as session:
        member = queries.member_by_initials(session, queries.default_board(session), "DP")
    caller = (
        Caller(member, "test:DP", Via.CONSOLE)
        if who == "DP"
        else Caller(None, "slack:U9", Via.SLACK)
    )
    with pytest.raises(UserError):  # Forbidden, or "not linked" for the stranger
        set_marking(board, "OFFICIAL", caller)
    assert marking_of(board) == (MINUTES_MARKING, False)


def test_crb_board_set_marking(crb) -> None:
    crb("import", str(SAMPLE))
    result = crb("board", "set", "--marking", "OFFICIAL-SENSITIVE")
    assert "is now OFFICIAL-SENSITIVE (set by hand)" in result.stdout
    board = "West Mercia Crime Reduction Board"
    again = crb("board", "set", board, "--marking", "OFFICIAL-SENSITIVE")
    assert "was already" in again.stdout
    crb("board", "set", "CRB", "--marking", "OFFICIAL")
    refused = crb("board", "set", "Another Board", "--marking", "SECRET", code=1)
    assert "There is no board 'Another Board'" in refused.stderr
    shown = json.loads(crb("board", "show", "--json").stdout)["board"]
    assert shown["marking"] == "OFFICIAL" and shown["marking_by_hand"] is True
    paper = crb("export", "--format", "md").stdout
    assert paper.startswith("**OFFICIAL**")


def test_newer_minutes_with_another_marking_change_it(board: Runtime) -> None:
    report = run_import(board, minutes_marked("OFFICIAL-SENSITIVE", "24th February 2021"), LATER)
    assert marking_of(board) == ("OFFICIAL-SENSITIVE", False)
    assert f"board marking {MINUTES_MARKING} → OFFICIAL-SENSITIVE" in report.changed
