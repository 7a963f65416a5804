"""Running a command (``handlers.run``): one transaction, one commit rule, one audit trail that
says through which channel each change came, whichever adapter asked."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from bot.console import Console
from bot.runtime import Runtime
from db import queries
from db.models import Action, AuditEvent, EventKind, ProcessedEvent
from handlers.commands import Done, Note, Reopen
from handlers.identity import Account, Via
from handlers.refs import ActionId
from handlers.reply import Tone
from handlers.run import REPLAYED, run_command
from tests.authorization_matrix import LATER, whole_board
from tests.conftest import link_members
from tests.db_faults import audit_writes_fail
from tests.slack_fixtures import block_text
from tests.slack_harness import SlackHarness
from tests.slack_standin import SlackStandIn
from tests.teams_harness import DP, DP_AAD, ask_on_teams, teams_config

DRAFT_PAPER = "circulate a previous draft paper"  # the text of 04-DP, Damian Pettit's action


def member_id(runtime: Runtime, initials: str) -> int:
    with runtime.sessions() as session:
        return queries.member_by_initials(session, queries.default_board(session), initials).id


def action_id(runtime: Runtime, fragment: str) -> int:
    with runtime.sessions() as session:
        return session.scalars(select(Action.id).where(Action.text.contains(fragment))).one()


def notes_by_channel(runtime: Runtime) -> list[tuple[str | None, str | None]]:
    with runtime.sessions() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.kind == EventKind.NOTE).order_by(AuditEvent.id)
        )
        return [(event.channel, event.note) for event in events]


def test_the_audit_trail_names_the_channel_of_every_change(
    matrix_board: Runtime, slack: SlackStandIn
) -> None:
    link_members(matrix_board, {"DP": "U0DP"}, "slack_id", LATER)
    link_members(matrix_board, {"DP": DP_AAD}, "teams_id", LATER)
    teams = Runtime(teams_config(matrix_board.config.database_url))

    Console(matrix_board, "DP", fixed_now=LATER).run("note 04-DP typed at the console")
    with SlackHarness(matrix_board, slack, LATER) as harness:
        block_text(harness.slash("U0DP", "note 04-DP sent from Slack").reply["blocks"])
    ask_on_teams(teams, DP, "note 04-DP sent from Teams", LATER)
    teams.engine.dispose()
    web = Account.member(member_id(matrix_board, "DP"), Via.WEB)
    note = Note(ActionId(action_id(matrix_board, DRAFT_PAPER)), "from the web desk")
    assert run_command(matrix_board.sessions, web, note, LATER).changed

    assert notes_by_channel(matrix_board) == [
        ("console", "typed at the console"),
        ("slack", "sent from Slack"),
        ("teams", "sent from Teams"),
        ("web", "from the web desk"),
    ]


def test_a_web_page_closes_an_action_by_its_id_as_a_member(matrix_board: Runtime) -> None:
    dp = Account.member(member_id(matrix_board, "DP"), Via.WEB)
    closing = Done(ActionId(action_id(matrix_board, DRAFT_PAPER)))

    reply = run_command(matrix_board.sessions, dp, closing, LATER)

    assert reply.tone == Tone.SUCCESS and reply.changed
    assert reply.title == "Done: 04-DP"
    with matrix_board.sessions() as session:
        (event,) = session.scalars(select(AuditEvent).where(AuditEvent.kind == EventKind.DONE))
        assert (event.channel, event.actor_label) == ("web", "DP")


def test_an_action_id_is_refused_like_a_ref_and_nothing_changes(matrix_board: Runtime) -> None:
    cr = Account.member(member_id(matrix_board, "CR"), Via.EMAIL_LINK)
    dps = ActionId(action_id(matrix_board, DRAFT_PAPER))
    before = whole_board(matrix_board)

    someone_elses = run_command(matrix_board.sessions, cr, Done(dps), LATER)
    missing = run_command(matrix_board.sessions, cr, Done(ActionId(999_999)), LATER)
    still_open = run_command(matrix_board.sessions, cr, Reopen(dps), LATER)
    dp = Account.member(member_id(matrix_board, "DP"), Via.EMAIL_LINK)
    open_already = run_command(matrix_board.sessions, dp, Reopen(dps), LATER)

    assert someone_elses.tone == Tone.ERROR
    assert someone_elses.title.startswith("You can't close 04-DP: it belongs to Damian Pettit")
    assert missing.title == "There is no action #999999 on West Mercia Crime Reduction Board."
    # Whose it is comes first; the state is told to those who may change it (issue 13).
    assert still_open.title.startswith("You can't reopen 04-DP: it belongs to Damian Pettit")
    assert open_already.title == "04-DP is open: there is nothing to reopen."
    assert not open_already.changed
    assert whole_board(matrix_board) == before


def test_a_request_key_seen_before_is_refused_as_a_replay(matrix_board: Runtime) -> None:
    dp = Account.member(member_id(matrix_board, "DP"), Via.WEB)
    note = Note(ActionId(action_id(matrix_board, DRAFT_PAPER)), "only once")
    key = ("web-form", "form-token-1")

    first = run_command(matrix_board.sessions, dp, note, LATER, request_key=key)
    again = run_command(matrix_board.sessions, dp, note, LATER, request_key=key)

    assert first.changed and not again.changed
    assert again.title == REPLAYED
    assert [said for _, said in notes_by_channel(matrix_board)] == ["only once"]


def test_a_request_that_changes_nothing_writes_nothing_so_its_replay_answers_again(
    matrix_board: Runtime,
) -> None:
    """A read with a request key costs no write (issue 20: the replay check's write, a commit
    and on SQLite an fsync, was a third of `outstanding`'s time): the key is kept only with a
    change, in its transaction. A read sent again answers again, as retyping it would."""
    dp = Account.member(member_id(matrix_board, "DP"), Via.WEB)
    key = ("web-form", "form-token-2")

    first = run_command(matrix_board.sessions, dp, "outstanding", LATER, request_key=key)
    again = run_command(matrix_board.sessions, dp, "outstanding", LATER, request_key=key)

    assert first.title.startswith("Outstanding actions") and again == first
    with matrix_board.sessions() as session:
        assert session.scalars(select(ProcessedEvent)).all() == []


def test_a_change_the_database_refused_keeps_no_key_so_the_same_request_can_run_again(
    matrix_board: Runtime,
) -> None:
    """The key commits with the change or not at all: a request whose change failed (here the
    audit trail refuses its row) can be sent again, byte for byte, and run. Before, the key was
    committed first, so the retry was refused as a replay and the action stayed open."""
    dp = Account.member(member_id(matrix_board, "DP"), Via.WEB)
    done = Done(ActionId(action_id(matrix_board, DRAFT_PAPER)))
    key = ("web-form", "form-token-3")

    with audit_writes_fail(matrix_board), pytest.raises(DBAPIError):
        run_command(matrix_board.sessions, dp, done, LATER, request_key=key)
    again = run_command(matrix_board.sessions, dp, done, LATER, request_key=key)

    assert again.changed and again.title.startswith("Done")
    with matrix_board.sessions() as session:
        (kept,) = session.scalars(select(ProcessedEvent)).all()
        assert (kept.platform, kept.event_id) == key
