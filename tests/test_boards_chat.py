"""Chat across boards through the use-case layer, as the console reaches it (issue 16).

The console names its member by initials, which differ from board to board, so it reaches a
second board only by naming it: a leading board code, a board-qualified REF, ``outstanding GOV``.
"""

from __future__ import annotations

import pytest

from bot.render_text import render
from bot.runtime import Runtime
from db.models import ActionStatus
from handlers.identity import Account
from handlers.run import run_command
from tests.conftest import AFTER_MEETING
from tests.second_board import add_governance_board, gov_action


@pytest.fixture
def two_boards(board: Runtime) -> Runtime:
    add_governance_board(board)
    return board


def typed(runtime: Runtime, initials: str, text: str, board: str | None = None) -> str:
    reply = run_command(
        runtime.sessions, Account.console(initials), text, AFTER_MEETING, board=board
    )
    return render(reply)


def test_the_console_reaches_a_board_by_naming_it(two_boards: Runtime) -> None:
    assert "Added 10-DP" in typed(two_boards, "GC", "GOV add 10 DP Circulate the audit plan")
    assert "Done: 09-DP" in typed(two_boards, "DP", "done gov:9-dp")
    assert gov_action(two_boards, "risk register").status == ActionStatus.DONE
    assert "Outstanding actions: 3" in typed(two_boards, "DP", "outstanding GOV")


def test_a_ref_qualified_with_another_board_than_the_one_fixed_is_refused(
    two_boards: Runtime,
) -> None:
    text = typed(two_boards, "DP", "done GOV:04-DP", board="CRB")
    assert "GOV:04-DP is not on West Mercia Crime Reduction Board (CRB)." in text
    assert gov_action(two_boards, "governance framework").status == ActionStatus.OPEN


def test_without_a_board_named_the_console_is_asked_which(two_boards: Runtime) -> None:
    assert "Which board? This database holds 2" in typed(two_boards, "DP", "outstanding")
