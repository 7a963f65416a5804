"""The Teams side of the tests: the sample board served to the Bot Connector stand-in, the
Activities Teams would post, and reading the cards the bot answers with. Registered as a plugin
(conftest.py), so its `teams` fixture is everywhere."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from itertools import count
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot import config as config_module
from bot.config import TEAMS_SETTINGS, Config
from bot.runtime import Runtime
from bot.server import make_app
from db import queries
from db.models import ActionStatus, Member
from handlers.reply import ActionView, Button, Reply, Section
from tests.conftest import AFTER_MEETING, import_sample, link_members
from tests.teams_standin import BotConnectorStandIn

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


BOT = {"id": "28:crb-bot-app-id", "name": "crb"}


DP_AAD = "6f0a5d1e-0000-4000-8000-0000000000dp"


CR_AAD = "6f0a5d1e-0000-4000-8000-0000000000cr"


STRANGER_AAD = "6f0a5d1e-0000-4000-8000-00000000000x"


# The stand-ins listen on loopback: the only host the tests allow the bot to answer at.
LOOPBACK_ONLY = {
    "CRB_TEAMS_ALLOWED_SERVICE_HOSTS": "127.0.0.1",
    "CRB_TEAMS_FILE_HOSTS": "127.0.0.1",
}
ANONYMOUS = {TEAMS_SETTINGS + "ANONYMOUS_ALLOWED": "true", **LOOPBACK_ONLY}


def teams_config(url: str, env: dict[str, str] = ANONYMOUS) -> Config:
    return replace(config_module.load(env), database_url=url)


@pytest.fixture
def teams(database_url: str):
    """The sample board, with DP linked on Teams and CR known by email only."""
    runtime = Runtime(teams_config(database_url))
    runtime.prepare(AFTER_MEETING)
    import_sample(runtime)
    link_members(runtime, {"DP": DP_AAD}, "teams_id")
    link_members(runtime, {"CR": "Claire.Richardson@westmercia.example.gov.uk"}, "email")
    yield runtime
    runtime.engine.dispose()


def person(aad: str, name: str) -> dict[str, Any]:
    return {"id": f"29:{aad[-2:]}-teams-user", "name": name, "aadObjectId": aad}


DP = person(DP_AAD, "Damian Pettit")


def activity(
    service_url: str,
    sender: dict[str, Any],
    *,
    kind: str = "message",
    text: str | None = None,
    conversation: str | None = None,
    conversation_type: str = "personal",
    **extra: Any,
) -> dict[str, Any]:
    """An Activity as Teams posts it to the bot."""
    conversation = conversation or f"a:1personal-{sender['aadObjectId'][-2:]}"
    body: dict[str, Any] = {
        "type": kind,
        "id": f"1700000000{next(_ids):03d}",
        "timestamp": "2020-11-26T09:30:00.000Z",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": sender,
        "conversation": {
            "id": conversation,
            "conversationType": conversation_type,
            "tenantId": TENANT,
            **({"isGroup": True} if conversation_type != "personal" else {}),
        },
        "recipient": BOT,
        "channelData": {"tenant": {"id": TENANT}},
        "locale": "en-GB",
        **extra,
    }
    if text is not None:
        body["text"] = text
    return body


CHANNEL = "19:board-channel@thread.tacv2;messageid=1700000000000"


def channel_mention(service_url: str, sender: dict[str, Any], text: str) -> dict[str, Any]:
    return activity(
        service_url,
        sender,
        text=f"<at>crb</at> {text}",
        conversation=CHANNEL,
        conversation_type="channel",
        entities=[{"type": "mention", "mentioned": BOT, "text": "<at>crb</at>"}],
    )


def card_press(service_url: str, sender: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Action.Execute: an adaptiveCard/action invoke."""
    return activity(
        service_url,
        sender,
        kind="invoke",
        name="adaptiveCard/action",
        value={
            "action": {"type": "Action.Execute", "verb": "crb", "data": data},
            "trigger": "manual",
        },
    )


def card_submit(service_url: str, sender: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Action.Submit: a message with the button's data as its value and no text."""
    return activity(service_url, sender, value=data)


Scenario = Callable[[TestClient, BotConnectorStandIn], Awaitable[None]]


def run_teams(runtime: Runtime, scenario: Scenario, now: datetime = AFTER_MEETING) -> None:
    async def main() -> None:
        async with BotConnectorStandIn() as standin:
            app = make_app(runtime, clock=lambda: now)
            async with TestClient(TestServer(app)) as client:
                await scenario(client, standin)

    asyncio.run(main())


async def post(client: TestClient, body: dict[str, Any], status: int = 202) -> Any:
    response = await client.post("/api/messages", json=body)
    assert response.status == status, await response.text()
    return await response.json() if response.content_type == "application/json" else None


def card_text(card: dict[str, Any]) -> str:
    """Every TextBlock's and RichTextBlock's text, in order, one per line."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock":
                found.append(node["text"])
            if node.get("type") == "RichTextBlock":
                found.append("".join(run["text"] for run in node["inlines"]))
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card.get("body", []))
    return "\n".join(found)


def card_nodes(card: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """Every element of one type in a card, in order."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == kind:
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return found


def text_blocks(card: dict[str, Any]) -> list[dict[str, Any]]:
    """The TextBlocks (which render Markdown) in a card."""
    return card_nodes(card, "TextBlock")


def card_buttons(card: dict[str, Any]) -> list[tuple[str, str, str]]:
    found: list[tuple[str, str, str]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute":
                found.append((node["title"], node["verb"], node["data"]["command"]))
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return found


_ids = count(1)


def ask_on_teams(
    runtime: Runtime, sender: dict[str, Any], text: str, now: datetime = AFTER_MEETING
) -> str:
    """Post ``crb text`` from ``sender``; the text of the one card the bot answers with."""
    shown: list[str] = []

    async def scenario(client: TestClient, standin: BotConnectorStandIn) -> None:
        await post(client, activity(standin.url, sender, text=f"crb {text}"))
        (reply,) = standin.messages()
        shown.append(card_text(reply.card))

    run_teams(runtime, scenario, now)
    return shown[0]


def action_status(runtime: Runtime, ref_item: str, owner: str) -> ActionStatus:
    with runtime.sessions() as session:
        board = queries.default_board(session)
        member = queries.member_by_initials(session, board, owner)
        found = [a for a in queries.actions(session, board, owner=member) if a.item == ref_item]
        return found[0].status


def nudge() -> Reply:
    view = ActionView(
        ref="04-DP",
        item="04",
        meeting="2020-11-25",
        owners=("DP",),
        owner_names=("Damian Pettit",),
        text="DP will circulate a previous draft paper for comment.",
        status="open",
        buttons=(Button("Mark done", "done 04-DP", "primary"), Button("Add update", "note 04-DP")),
    )
    return Reply(
        title="Reminder: 1 open action before the meeting on 24 Feb 2021",
        sections=(Section(None, actions=(view,)),),
    )


def dp_member(runtime: Runtime) -> Member:
    with runtime.sessions() as session:
        member = queries.member_by_initials(session, queries.default_board(session), "DP")
        session.expunge(member)
        return member
