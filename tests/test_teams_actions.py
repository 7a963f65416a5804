"""Universal Actions on Teams: a button updates the message it is on, for every viewer and
device, keeps the card's other actions, shows an action that changed since as it is now, "Post
to channel" posts, and a failure still answers 200 with a card."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from bot.runtime import Runtime
from db.models import ActionStatus
from tests.conftest import link_members
from tests.teams_harness import (
    CHANNEL,
    DP,
    action_status,
    activity,
    card_buttons,
    card_nodes,
    card_text,
    person,
    post,
    run_teams,
)
from tests.teams_standin import BotConnectorStandIn

AC_AAD = "6f0a5d1e-0000-4000-8000-0000000000ac"
AC = person(AC_AAD, "Alison Chair")


def press(
    service_url: str,
    sender: dict[str, Any],
    command: str,
    message_id: str,
    conversation: str | None = None,
    conversation_type: str = "personal",
) -> dict[str, Any]:
    """Action.Execute on the message ``message_id``, as Teams posts it."""
    return activity(
        service_url,
        sender,
        kind="invoke",
        name="adaptiveCard/action",
        replyToId=message_id,
        conversation=conversation,
        conversation_type=conversation_type,
        value={
            "action": {
                "type": "Action.Execute",
                "verb": "crb",
                "data": {"verb": "crb", "command": command},
            },
            "trigger": "manual",
        },
    )


def rows(card: dict[str, Any]) -> list[str]:
    return [item["id"] for item in card["body"] if str(item.get("id", "")).startswith("action-")]


async def my_actions_card(client: TestClient, standin: BotConnectorStandIn) -> tuple[str, dict]:
    """DP asks for their actions in the 1:1 chat: the card (04-DP and 05-DP/RT) and its id."""
    await post(client, activity(standin.url, DP, text="crb mine"))
    (message,) = standin.messages()
    return f"activity-{len(standin.posted)}", message.card


def test_mark_done_on_a_card_of_several_actions_updates_that_row_and_keeps_the_rest(
    teams: Runtime,
) -> None:
    """Defect 3: "Mark done" replaced a multi-action card with one receipt, for the clicker
    only, and the message itself was never updated."""

    async def scenario(client: TestClient, standin: BotConnectorStandIn) -> None:
        message_id, card = await my_actions_card(client, standin)
        assert len(rows(card)) == 2
        answer = await post(client, press(standin.url, DP, "done 04-DP", message_id), 200)
        shown = answer["value"]
        assert rows(shown) == rows(card)  # both actions still there, in the same order
        buttons = card_buttons(shown)
        assert ("Reopen", "crb", "reopen 04-DP") in buttons
        assert ("Mark done", "crb", "done 04-DP") not in buttons
        assert any(command.startswith("done 05") for _t, _v, command in buttons)
        assert "done 2020-11-26 by DP" in card_text(shown)
        # The message itself is updated: every device and viewer loses the stale button.
        (update,) = standin.updated
        assert update.reply_to_id == message_id and update.conversation_id == "a:1personal-dp"
        assert update.card == shown

    run_teams(teams, scenario)
    assert action_status(teams, "04", "DP") == ActionStatus.DONE


def button_data(card: dict[str, Any], command: str) -> dict[str, Any]:
    (data,) = [
        node["data"]
        for node in card_nodes(card, "Action.Execute")
        if node["data"]["command"] == command
    ]
    return data


def press_data(service_url: str, sender: dict[str, Any], data: dict[str, Any], message_id: str):
    body = press(service_url, sender, data["command"], message_id)
    body["value"]["action"]["data"] = data
    return body


def test_buttons_carry_the_actions_id_and_run_by_it(teams: Runtime) -> None:
    async def scenario(client: TestClient, standin: BotConnectorStandIn) -> None:
        message_id, card = await my_actions_card(client, standin)
        done_04 = button_data(card, "done 04-DP")
        assert isinstance(done_04["action"], int)
        assert done_04["action"] != button_data(card, "done 05-DP/RT")["action"]
        # The id wins over the REF in the text (a REF can come to name another action).
        swapped = {**button_data(card, "done 05-DP/RT"), "command": "done 04-DP"}
        answer = await post(client, press_data(standin.url, DP, swapped, message_id), 200)
        assert "05-DP/RT" in card_text(answer["value"])

    run_teams(teams, scenario)
    assert action_status(teams, "04", "DP") == ActionStatus.OPEN
    assert action_status(teams, "05", "DP") == ActionStatus.DONE


def test_a_press_on_an_action_changed_since_shows_it_as_it_is_now(teams: Runtime) -> None:
    async def scenario(client: TestClient, standin: BotConnectorStandIn) -> None:
        message_id, card = await my_actions_card(client, standin)
        await post(client, activity(standin.url, DP, text="crb done 04-DP"))  # typed elsewhere
        data = button_data(card, "done 04-DP")
        assert data["shown"] == "open"
        answer = await post(client, press_data(standin.url, DP, data, message_id), 200)
        shown = answer["value"]
        assert card_text(shown).startswith("! 04-DP is already done: DP closed it on 26 Nov 2020.")
        assert rows(shown) == rows(card)  # the card, its 04-DP row as it is now
        assert ("Reopen", "crb", "reopen 04-DP") in card_buttons(shown)
        (update,) = standin.updated  # everyone's copy loses the stale button too, no notice
        assert rows(update.card) == rows(card) and "already done" not in card_text(update.card)

    run_teams(teams, scenario)
    assert action_status(teams, "04", "DP") == ActionStatus.DONE


def test_a_card_about_one_action_becomes_the_answer_everywhere(teams: Runtime) -> None:
    async def scenario(client: TestClient, standin: BotConnectorStandIn) -> None:
        await post(client, activity(standin.url, DP, text="crb done 04-DP"))
        message_id = f"activity-{len(standin.posted)}"
        answer = await post(client, press(standin.url, DP, "reopen 04-DP", message_id), 200)
        assert card_text(answer["value"]).startswith("✓ Reopened")
        (update,) = standin.updated
        assert update.card == answer["value"]

    run_teams(teams, scenario)
    assert action_status(teams, "04", "DP") == ActionStatus.OPEN


def test_post_to_channel_posts_in_the_channel(teams: Runtime) -> None:
    """Defect 3: "Post to channel" in a channel answered the invoke and posted nothing."""
    link_members(teams, {"AC": AC_AAD}, "teams_id")

    async def scenario(client: TestClient, standin: BotConnectorStandIn) -> None:
        body = press(standin.url, AC, "outstanding --post", "1700000000999", CHANNEL, "channel")
        answer = await post(client, body, 200)
        assert card_text(answer["value"]) == "✓ Posted to the channel."
        (posted,) = standin.messages(CHANNEL)
        assert card_text(posted.card).startswith("Outstanding actions:")
        assert "04-DP" in card_text(posted.card)
        assert not any(
            e.get("type") == "activityTreatment" for e in posted.activity.get("entities") or []
        )

    run_teams(teams, scenario)


def test_a_failed_press_answers_200_with_an_error_card(teams: Runtime) -> None:
    """Defect 6: a failed card press returned HTTP 501 with an empty body."""

    async def scenario(client: TestClient, standin: BotConnectorStandIn) -> None:
        message_id, _card = await my_actions_card(client, standin)
        standin.fail_next(403)  # updating the message is refused
        response = await client.post(
            "/api/messages", json=press(standin.url, DP, "done 04-DP", message_id)
        )
        assert response.status == 200
        answer = await response.json()
        assert answer["type"] == "application/vnd.microsoft.card.adaptive"
        assert "went wrong" in card_text(answer["value"])
        assert card_nodes(answer["value"], "Action.Execute") == []

    run_teams(teams, scenario)


def test_a_joint_action_listed_under_each_owner_is_updated_in_both_rows(teams: Runtime) -> None:
    async def scenario(client: TestClient, standin: BotConnectorStandIn) -> None:
        await post(client, activity(standin.url, DP, text="crb outstanding"))
        message_id = f"activity-{len(standin.posted)}"
        card = standin.messages()[-1].card
        joint = [t for t in card_text(card).splitlines() if t.startswith("05-DP/RT")]
        assert len(joint) == 2  # under DP and under RT
        answer = await post(client, press(standin.url, DP, "done 05-DP/RT", message_id), 200)
        shown = answer["value"]
        assert rows(shown) == rows(card)
        reopen = [b for b in card_buttons(shown) if b[2].startswith("reopen 05")]
        assert len(reopen) == 2

    run_teams(teams, scenario)
