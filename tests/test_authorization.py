"""The authorization matrix: every role × every command × one's own or another's action.

Each case runs through the console adapter (``bot.console``), which, like Slack and Teams
(test_authorization_slack.py, test_authorization_teams.py), asks ``handlers.identity`` who is
calling and runs the command with ``handlers.run``, on a copy of the sample board.
An allowed change must change the board; a refusal must say so and leave every row of every table
as it was (compared through a full backup). A stranger must never see an action's text.
"""

from __future__ import annotations

import pytest
from sqlalchemy import update

from bot.console import Console
from bot.render_text import render
from bot.runtime import Runtime
from db.models import Action
from handlers.reply import Tone, Visibility
from tests.authorization_matrix import (
    LATER,
    MATRIX,
    OWN_CASES,
    READ_CASES,
    Case,
    Role,
    all_action_texts,
    whole_board,
)
from tests.conftest import say


@pytest.mark.parametrize(("role", "case", "ref"), MATRIX)
def test_authorization_matrix(matrix_board: Runtime, role: Role, case: Case, ref: str) -> None:
    if case.needs_done:
        assert say(matrix_board, "RT", f"done {ref}").changed
    before = whole_board(matrix_board)
    command = case.command.format(ref=ref, me=role.initials or "CR", upload=1)
    reply = Console(matrix_board, role.initials, fixed_now=LATER).run(command)
    allowed = case.allowed(role)
    if allowed:
        assert reply.tone != Tone.ERROR, f"{role.name} was refused “{command}”: {reply.title}"
        assert reply.changed == case.changes
        assert (whole_board(matrix_board) != before) == case.changes
    else:
        assert reply.tone == Tone.ERROR and not reply.changed, f"{role.name} may not “{command}”"
        assert whole_board(matrix_board) == before, "a refusal changed the board"
    if role.initials is None:
        shown = render(reply)
        leaked = [text for text in all_action_texts(matrix_board) if text[:40] in shown]
        assert not leaked, f"a stranger was shown action text: {leaked}"


def test_the_matrix_covers_every_chat_command() -> None:
    from handlers.commands import USAGE

    covered = {case.command.split()[0] for case in [*OWN_CASES.values(), *READ_CASES.values()]}
    assert covered == set(USAGE)


# ---------------------------------------------------------------- channel posts


def test_closed_session_actions_never_reach_a_channel_post(board: Runtime) -> None:
    with board.sessions() as session, session.begin():
        session.execute(
            update(Action).where(Action.text.contains("Dave Cookson")).values(closed_session=True)
        )
    private = say(board, "AC", "outstanding")
    assert private.visibility == Visibility.EPHEMERAL
    assert any("Dave Cookson" in view.text for view in private.actions)

    posted = say(board, "AC", "outstanding --post")
    assert posted.visibility == Visibility.CHANNEL
    assert posted.actions, "the post shows the other open actions"
    assert not any("Dave Cookson" in view.text for view in posted.actions)
    assert "Dave Cookson" not in render(posted)
    assert not posted.buttons and not any(view.buttons for view in posted.actions)

    # JS's only open action is closed-session: there is nothing to post for JS.
    for_js = say(board, "AC", "outstanding JS --post")
    assert not for_js.actions and "Dave Cookson" not in render(for_js)
