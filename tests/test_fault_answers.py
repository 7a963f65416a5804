"""Faults tell the user: when the database or Slack misbehaves during a command, the person is
told (with the answer, or that it could not complete) and nothing is left half-done. And a
repeated Teams invoke changes the board once.

Already covered elsewhere, not repeated here: Slack 429s and 500s on the Web API
(tests/test_slack_failures.py), a modal that cannot open (tests/test_slack.py), a slow Slack API
never delaying the acknowledgement (tests/test_slack_failures.py).
"""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from bot.runtime import Runtime
from bot.slack import FAILED
from db.models import ActionStatus, EventKind
from handlers.run import REPLAYED as REPEATED
from tests.conftest import AFTER_MEETING
from tests.db_faults import audit_writes_fail
from tests.slack_fixtures import DP, action, block_text, events_of
from tests.slack_harness import SlackHarness
from tests.slack_standin import SlackStandIn
from tests.teams_harness import DP as DP_ON_TEAMS
from tests.teams_harness import card_press, card_text, post, run_teams
from tests.teams_standin import BotConnectorStandIn

# ---------------------------------------------------------------- the database fails


def test_a_database_fault_during_done_is_told_and_leaves_the_action_open(
    linked: Runtime, slack: SlackStandIn
) -> None:
    with SlackHarness(linked, slack, AFTER_MEETING) as bot:
        with audit_writes_fail(linked):
            failed = bot.slash(DP, "done 04-DP")
            # The status change came first and was rolled back with the refused audit event.
            assert action(linked, "draft paper").status == ActionStatus.OPEN
        assert FAILED in block_text(failed.reply["blocks"])
        assert events_of(linked, EventKind.DONE) == []
        again = bot.slash(DP, "done 04-DP")  # nothing half-done stands in the way of a retry
    assert "Done: 04-DP" in block_text(again.reply["blocks"])
    assert len(events_of(linked, EventKind.DONE)) == 1


# ---------------------------------------------------------------- Slack fails to take the answer


def test_when_the_response_url_fails_the_answer_comes_as_an_ephemeral_message(
    bot: SlackHarness, slack: SlackStandIn, linked: Runtime
) -> None:
    slack.fail("response_url", status=500)
    assert bot.send_form(bot.command_fields(DP, "done 04-DP")).body == ""
    (told,) = slack.wait_for("chat.postEphemeral", timeout=8)
    assert (told.params["channel"], told.params["user"]) == ("C0BOARD01", DP)
    assert "Done: 04-DP" in block_text(told.blocks)
    assert len(events_of(linked, EventKind.DONE)) == 1


def test_when_slack_refuses_every_way_back_into_the_channel_the_answer_comes_in_a_dm(
    bot: SlackHarness, slack: SlackStandIn, linked: Runtime
) -> None:
    slack.fail("response_url", status=500)
    slack.fail("chat.postEphemeral", status=200, error="user_not_in_channel")
    bot.send_form(bot.command_fields(DP, "done 04-DP"))
    (told,) = slack.wait_for("chat.postMessage", timeout=8)
    assert told.params["channel"] == "D" + DP.removeprefix("U")
    assert "Done: 04-DP" in block_text(told.blocks)
    assert action(linked, "draft paper").status == ActionStatus.DONE


# ---------------------------------------------------------------- Teams: the same invoke twice


def test_a_repeated_teams_invoke_changes_the_board_once(teams: Runtime) -> None:
    answers: list[dict[str, Any]] = []

    async def scenario(client: TestClient, standin: BotConnectorStandIn) -> None:
        pressed = card_press(standin.url, DP_ON_TEAMS, {"verb": "crb", "command": "note 04-DP"})
        pressed["value"]["action"]["data"] |= {"update": "partners agreed", "rag": "green"}
        for _ in range(2):  # the very same activity, id and all
            answers.append(await post(client, pressed, 200))
        done = card_press(standin.url, DP_ON_TEAMS, {"verb": "crb", "command": "done 04-DP"})
        for _ in range(2):
            answers.append(await post(client, done, 200))

    run_teams(teams, scenario)
    noted, noted_again, closed, closed_again = (card_text(a["value"]) for a in answers)
    assert "Update recorded on 04-DP" in noted and REPEATED in noted_again
    assert "Done: 04-DP" in closed and REPEATED in closed_again
    assert len(events_of(teams, EventKind.NOTE)) == 1
    assert len(events_of(teams, EventKind.DONE)) == 1
