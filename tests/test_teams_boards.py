"""Chat across boards on Teams (issue 16): the same routing as Slack, through the real Teams app.

The sample board (CRB) and the Governance Board (GOV, ``tests.second_board``); DP, linked on
Teams, sits on both with the same email.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.runtime import Runtime
from db.models import ActionStatus
from tests.second_board import add_governance_board, bind_channel, gov_action
from tests.slack_fixtures import action
from tests.teams_harness import (
    CHANNEL,
    DP,
    activity,
    card_nodes,
    card_press,
    card_text,
    channel_mention,
    post,
    run_teams,
)
from tests.teams_standin import BotConnectorStandIn


@pytest.fixture
def two_boards(teams: Runtime) -> Runtime:
    add_governance_board(teams)
    return teams


def ask(runtime: Runtime, text: str) -> dict[str, Any]:
    """DP types ``crb text`` in their 1:1 chat; the one card the bot answers with."""
    cards: list[dict[str, Any]] = []

    async def scenario(client: TestClient, standin: BotConnectorStandIn) -> None:
        await post(client, activity(standin.url, DP, text=f"crb {text}"))
        (reply,) = standin.messages()
        cards.append(reply.card)

    run_teams(runtime, scenario)
    return cards[0]


def test_mine_on_teams_is_grouped_by_board(two_boards: Runtime) -> None:
    text = card_text(ask(two_boards, "mine"))
    crb, gov = text.split("Governance Board (GOV)")
    assert "West Mercia Crime Reduction Board (CRB)" in crb
    assert "CRB:04-DP" in crb and "CRB:05-DP/RT" in crb
    assert "GOV:04-DP" in gov and "GOV:09-DP" in gov and "CRB:" not in gov


def test_an_ambiguous_ref_on_teams_lists_both_boards_and_its_button_acts_on_one(
    two_boards: Runtime,
) -> None:
    card = ask(two_boards, "done 04-DP")
    text = card_text(card)
    assert "2 actions match 04-DP" in text and "Nothing changed." in text
    assert "CRB:04-DP" in text and "GOV:04-DP" in text
    assert action(two_boards, "draft paper").status == ActionStatus.OPEN
    assert gov_action(two_boards, "governance framework").status == ActionStatus.OPEN
    (gov_button,) = [
        node["data"]
        for node in card_nodes(card, "Action.Execute")
        if node["data"]["command"] == "done GOV:04-DP"
    ]

    async def scenario(client: TestClient, standin: BotConnectorStandIn) -> None:
        answer = await post(client, card_press(standin.url, DP, gov_button), 200)
        assert "Done: 04-DP" in card_text(answer["value"])

    run_teams(two_boards, scenario)
    assert gov_action(two_boards, "governance framework").status == ActionStatus.DONE
    assert action(two_boards, "draft paper").status == ActionStatus.OPEN


def test_outstanding_in_a_teams_channel_bound_to_a_board_means_that_board(
    two_boards: Runtime,
) -> None:
    bind_channel(two_boards, "GOV", teams_channel=CHANNEL)
    shown: list[str] = []

    async def scenario(client: TestClient, standin: BotConnectorStandIn) -> None:
        await post(client, channel_mention(standin.url, DP, "crb outstanding"))
        shown.extend(card_text(message.card) for message in standin.messages())

    run_teams(two_boards, scenario)
    (listing,) = [text for text in shown if "Outstanding actions" in text]
    assert "Outstanding actions: 3" in listing and "Grace Chambers (GC)" in listing


def test_someone_on_the_second_board_only_is_reachable_on_teams_once_they_talk(
    teams: Runtime,
) -> None:
    from db import queries
    from db.models import TeamsConversation
    from tests.teams_harness import person

    gc_aad = "6f0a5d1e-0000-4000-8000-0000000000gc"
    add_governance_board(teams, GC={"teams_id": gc_aad})

    async def scenario(client: TestClient, standin: BotConnectorStandIn) -> None:
        await post(client, activity(standin.url, person(gc_aad, "Grace Chambers"), text="mine"))
        assert standin.messages()

    run_teams(teams, scenario)
    with teams.sessions() as session:
        gov = queries.board_by_short(session, "GOV")
        gc = queries.member_by_initials(session, gov, "GC")
        kept = session.get(TeamsConversation, gc.id)
    assert kept is not None, "GC's chat is kept, so their nudges can reach them on Teams"
