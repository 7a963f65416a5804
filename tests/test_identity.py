"""Who is calling, decided once (``handlers.identity``) for every channel.

Slack, Teams and the console ask the same module who an account belongs to, so a rule about
people (here: a deactivated member is nobody) holds alike on every path.
"""

from __future__ import annotations

import pytest
from sqlalchemy import update

from bot.console import Console
from bot.render_text import render
from bot.runtime import Runtime
from db import queries
from db.models import Member
from handlers.identity import Account, Via, find_member
from tests.authorization_matrix import LATER
from tests.conftest import link_members
from tests.slack_fixtures import LINKED, block_text
from tests.slack_harness import SlackHarness
from tests.slack_standin import SlackStandIn
from tests.teams_harness import CR_AAD, ask_on_teams, person, teams_config

NOT_LINKED = "You're not linked to a member of"
ADAPTERS_OWN_TABLES = ("processed_events", "teams_conversations", "teams_cards")


def deactivate(runtime: Runtime, initials: str) -> None:
    with runtime.sessions() as session, session.begin():
        session.execute(update(Member).where(Member.initials == initials).values(active=False))


def board_state(runtime: Runtime) -> dict:
    from db import backup

    document = backup.dump(runtime.engine, LATER)
    for table in ADAPTERS_OWN_TABLES:
        document["tables"].pop(table)
    return document


@pytest.mark.parametrize("command", ["done 04-CR.1 finished", "note 04-CR.1 on track", "mine"])
def test_a_deactivated_member_is_refused_alike_on_slack_teams_and_the_console(
    matrix_board: Runtime, slack: SlackStandIn, command: str
) -> None:
    link_members(matrix_board, LINKED, "slack_id", LATER)
    link_members(matrix_board, {"CR": CR_AAD}, "teams_id", LATER)
    deactivate(matrix_board, "CR")
    teams = Runtime(teams_config(matrix_board.config.database_url))
    before = board_state(matrix_board)

    on_console = render(Console(matrix_board, "CR", fixed_now=LATER).run(command))
    with SlackHarness(matrix_board, slack, LATER) as harness:
        on_slack = block_text(harness.slash(LINKED["CR"], command).reply["blocks"])
    on_teams = ask_on_teams(teams, person(CR_AAD, "Claire Richardson"), command, LATER)
    teams.engine.dispose()

    assert NOT_LINKED in on_console
    assert NOT_LINKED in on_slack
    assert NOT_LINKED in on_teams
    assert board_state(matrix_board) == before, "a deactivated member changed the board"


def test_an_active_member_is_known_by_every_kind_of_account(matrix_board: Runtime) -> None:
    link_members(matrix_board, {"CR": "U0CR"}, "slack_id", LATER)
    link_members(matrix_board, {"CR": CR_AAD}, "teams_id", LATER)
    link_members(matrix_board, {"CR": "claire@example.org"}, "email", LATER)
    with matrix_board.sessions() as session:
        board = queries.default_board(session)
        cr = queries.member_by_initials(session, board, "CR")
        accounts = [
            Account.slack("U0CR"),
            Account.teams(CR_AAD, "teams:test"),
            Account.console("cr"),
            Account.email("Claire@Example.org"),
            Account.member(cr.id, Via.WEB),
        ]
        found = [find_member(session, board, account) for account in accounts]
    assert [member.initials if member else None for member in found] == ["CR"] * 5


def test_a_member_id_from_another_board_names_nobody(matrix_board: Runtime) -> None:
    with matrix_board.sessions() as session:
        board = queries.default_board(session)
        assert find_member(session, board, Account.member(999_999, Via.WEB)) is None
        assert find_member(session, board, Account.console(None)) is None


def test_slack_never_links_a_deactivated_member_by_email(
    matrix_board: Runtime, slack: SlackStandIn
) -> None:
    link_members(matrix_board, {"TR": "Tim.Rice@police.example"}, "email", LATER)
    deactivate(matrix_board, "TR")
    slack.add_user("U0TR", email="tim.rice@police.example", name="Tim Rice")
    with SlackHarness(matrix_board, slack, LATER) as harness:
        shown = block_text(harness.slash("U0TR", "mine").reply["blocks"])
    assert NOT_LINKED in shown
    with matrix_board.sessions() as session:
        tim = queries.member_by_initials(session, queries.default_board(session), "TR")
        assert tim.slack_id is None
