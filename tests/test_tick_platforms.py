"""`crb tick` delivering through the real Slack and Teams adapters, to their loopback stand-ins.

The reminder, Slack and Teams work met here first: each platform's nudge goes out once, a
platform's 429 or 500 delays it but never loses or repeats it.
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot import config as config_module
from bot.config import TEAMS_SETTINGS
from bot.runtime import Runtime
from bot.server import make_app
from tests.boards import GOV_NAME, add_governance_board
from tests.conftest import AFTER_MEETING
from tests.loopback import LoopbackServer
from tests.slack_standin import BOT_TOKEN, SlackStandIn
from tests.teams_harness import DP, DP_AAD, activity
from tests.teams_standin import BotConnectorStandIn

SAMPLE = Path(__file__).parent.parent / "bot" / "samples" / "crb-minutes-2020-11-25.txt"
OWNERS = ("CJ", "CR", "DP", "JS", "RT", "SG")
DUE = "2021-02-10T09:00:30Z"


@pytest.fixture
def cli(crb, monkeypatch: pytest.MonkeyPatch):
    """The CLI on the imported sample, with no chat or email configured unless a test says so."""
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SMTP_URL", TEAMS_SETTINGS + "CLIENTID"):
        monkeypatch.delenv(name, raising=False)
    crb("import", str(SAMPLE))
    return lambda *args: crb(*args).stdout


def tick(cli, at: str = DUE) -> dict:
    return json.loads(cli("tick", "--at", at, "--json"))


@pytest.fixture
def slack(cli, monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
        monkeypatch.setenv("SLACK_API_URL", standin.api_url)
        for initials in OWNERS:
            cli("member", "link", initials, "--slack-id", f"U0{initials}")
        yield standin


def nudged(slack: SlackStandIn) -> list[str]:
    return [call.params["channel"] for call in slack.calls_to("chat.postMessage")]


def test_each_slack_owner_gets_one_nudge_in_their_dm(cli, slack: SlackStandIn) -> None:
    assert tick(cli, "2021-02-10T08:59:00Z")["sent"] == []
    due = tick(cli)
    assert sorted(line["to"] for line in due["sent"]) == list(OWNERS)
    assert {line["platform"] for line in due["sent"]} == {"slack"}
    assert tick(cli)["sent"] == []
    assert len(nudged(slack)) == 6
    opened = sorted(call.params["users"] for call in slack.calls_to("conversations.open"))
    assert opened == [f"U0{initials}" for initials in OWNERS]


def test_a_tick_keeps_its_connections_to_slack_alive(cli, slack: SlackStandIn) -> None:
    tick(cli)
    calls = slack.calls_to("conversations.open") + slack.calls_to("chat.postMessage")
    assert len(calls) == 2 * len(OWNERS)
    assert len({call.peer for call in calls}) <= len(OWNERS)  # not a new connection per call


def test_a_slack_429_is_waited_out_and_sent_once(cli, slack: SlackStandIn) -> None:
    slack.fail("chat.postMessage", status=429, retry_after=1)
    due = tick(cli)
    assert len(due["sent"]) == 6 and due["failed"] == []
    attempts = nudged(slack)  # the rate-limited call was retried after Retry-After, once
    assert sorted(attempts.count(channel) for channel in set(attempts)) == [1, 1, 1, 1, 1, 2]


def test_a_lasting_slack_outage_is_retried_on_a_later_tick_never_twice(cli, slack) -> None:
    # DP's first try and its one retry fail; the nudges sent beside it are not touched.
    slack.fail("chat.postMessage", status=500, times=2, channel="D0DP")
    first = tick(cli)
    assert len(first["sent"]) == 5 and len(first["failed"]) == 1
    (failed,) = first["failed"]
    assert failed["to"] == "DP" and failed["platform"] == "slack" and failed["retry_at"]
    assert tick(cli)["sent"] == []  # too soon: backing off
    later = tick(cli, "2021-02-10T09:05:30Z")
    assert [line["to"] for line in later["sent"]] == [failed["to"]]
    attempts = nudged(slack)
    assert len(attempts) == 8  # two refused attempts, then each owner exactly once
    assert sorted(attempts.count(channel) for channel in set(attempts)) == [1, 1, 1, 1, 1, 3]


@contextmanager
def bot_connector() -> Iterator[BotConnectorStandIn]:
    """The Bot Connector stand-in on its own event loop, so the CLI can run in this thread."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    standin = BotConnectorStandIn()
    asyncio.run_coroutine_threadsafe(standin.start(), loop).result(10)
    try:
        yield standin
    finally:
        asyncio.run_coroutine_threadsafe(standin.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


def say_on_teams(runtime: Runtime, body: dict) -> None:
    with LoopbackServer(make_app(runtime, clock=lambda: AFTER_MEETING)) as server:
        request = urllib.request.Request(
            f"{server.base_url}/api/messages",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status in (200, 202)


def test_a_teams_member_is_nudged_in_the_stored_conversation(
    cli,
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(TEAMS_SETTINGS + "ANONYMOUS_ALLOWED", "true")
    monkeypatch.setenv("CRB_TEAMS_ALLOWED_SERVICE_HOSTS", "127.0.0.1")  # the loopback stand-in
    cli("member", "link", "DP", "--teams-id", DP_AAD)
    runtime = Runtime(config_module.load())
    runtime.prepare(AFTER_MEETING)
    with bot_connector() as connector:
        # DP talks to the bot once: the conversation is stored for proactive messages.
        say_on_teams(runtime, activity(connector.url, DP, text="crb mine"))
        conversation = activity(connector.url, DP)["conversation"]["id"]
        before = len(connector.messages(conversation))
        due = tick(cli)
        after = connector.messages(conversation)
    (line,) = [line for line in due["sent"] if line["to"] == "DP"]
    assert line["platform"] == "teams" and line["kind"] == "nudge"
    assert line["actions"] == ["04-DP", "05-DP/RT"]
    assert len(after) == before + 1
    runtime.engine.dispose()


def test_a_teams_chat_opened_on_one_board_carries_the_other_boards_nudges(
    cli,
    crb,
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DP talks to the bot once, as a member of the sample board; the Governance Board, where
    DP also sits, reaches DP in that same chat, and `crb tick --board GOV` runs GOV alone."""
    monkeypatch.setenv(TEAMS_SETTINGS + "ANONYMOUS_ALLOWED", "true")
    monkeypatch.setenv("CRB_TEAMS_ALLOWED_SERVICE_HOSTS", "127.0.0.1")  # the loopback stand-in
    cli("member", "link", "DP", "--teams-id", DP_AAD)
    runtime = Runtime(config_module.load())
    runtime.prepare(AFTER_MEETING)
    with bot_connector() as connector:
        say_on_teams(runtime, activity(connector.url, DP, text="crb mine"))
        add_governance_board(runtime, dp=("Damian Pettit", {"teams_id": DP_AAD}))
        conversation = activity(connector.url, DP)["conversation"]["id"]
        before = len(connector.messages(conversation))
        # GOV's 14-day nudges fall due on CRB's meeting day. --board runs one board alone.
        at = "2021-02-24T09:00:30Z"
        assert json.loads(cli("tick", "--at", at, "--board", "CRB", "--json"))["sent"] == []
        due = json.loads(cli("tick", "--at", at, "--board", "gov", "--json"))
        assert tick(cli, at)["sent"] == []  # every board: nothing left to send
        missing = crb("tick", "--at", at, "--board", "NOPE", code=1)
        after = connector.messages(conversation)[before:]
    to_dp = [(line["board"], line["kind"]) for line in due["sent"] if line["to"] == "DP"]
    assert sorted(to_dp) == [("GOV", "notice"), ("GOV", "nudge")]
    assert {line["platform"] for line in due["sent"] if line["to"] == "DP"} == {"teams"}
    assert {line["board"] for line in due["sent"]} == {"GOV"}
    assert len(after) == 2
    assert all(GOV_NAME in json.dumps(message.activity) for message in after)
    assert "There is no board 'NOPE'" in missing.stderr
    runtime.engine.dispose()
