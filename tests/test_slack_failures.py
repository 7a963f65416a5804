"""Slack API failures, the Slack delivery channel, Socket Mode wiring and the Block Kit renderer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.socket_mode.async_internals import run_async_bolt_app
from slack_sdk.socket_mode.request import SocketModeRequest
from sqlalchemy import select

from bot import render_slack
from bot.delivery import build_channels
from bot.runtime import Runtime
from bot.server import make_app
from bot.slack import SlackBot, SlackChannel, make_client, mentions_to_accounts
from db.models import Action, ActionStatus, Member
from handlers.commands import ImportUpload, Link, parse_command
from handlers.errors import UserError
from handlers.reply import ActionView, Button, Reply, Section, Tone
from scheduler.channels import DeliveryError, channel_for
from tests.conftest import AFTER_MEETING, link_members, wait_until
from tests.loopback import LoopbackServer
from tests.slack_fixtures import DP, LINKED, block_text
from tests.slack_harness import SlackHarness, slack_config
from tests.slack_standin import SlackStandIn


@pytest.fixture
def linked_sqlite(sqlite_url: str) -> Iterator[Runtime]:
    """The sample board on SQLite only: these tests are about Slack, not the database."""
    from tests.conftest import import_sample, make_runtime

    runtime = make_runtime(sqlite_url)
    import_sample(runtime)
    link_members(runtime, LINKED)
    yield runtime
    runtime.engine.dispose()


def logged(caplog: pytest.LogCaptureFixture, fragment: str) -> bool:
    return any(fragment in record.getMessage() for record in caplog.records)


def member(slack_id: str | None = "U0DP") -> Member:
    return Member(initials="DP", name="Damian Pettit", slack_id=slack_id)


def nudge() -> Reply:
    view = ActionView(
        ref="04-DP",
        item="04",
        meeting="2020-11-25",
        owners=("DP",),
        owner_names=("Damian Pettit",),
        text="Circulate the draft paper",
        status="open",
        buttons=(Button("Mark done", "done 04-DP", "primary"), Button("Snooze", "snooze 04-DP")),
    )
    return Reply("Reminder: 1 action due", sections=(Section(None, actions=(view,)),))


# ---------------------------------------------------------------- Web API failures


def test_a_429_is_retried_after_the_retry_after_it_names(
    linked_sqlite: Runtime, slack: SlackStandIn
) -> None:
    slack.fail("chat.postMessage", status=429, retry_after=1)
    with SlackHarness(linked_sqlite, slack, AFTER_MEETING) as bot:
        bot.dm(DP, "mine")
        first, second = slack.wait_for("chat.postMessage", count=2, timeout=8)
    assert second.at - first.at >= 1.0  # it waited as Slack asked
    assert "Your open actions" in block_text(second.blocks)


def test_a_server_error_is_retried_once_then_logged(
    linked_sqlite: Runtime, slack: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    slack.fail("views.publish", status=500, times=2)
    with (
        caplog.at_level(logging.ERROR, "crb.slack"),
        SlackHarness(linked_sqlite, slack, AFTER_MEETING) as bot,
    ):
        bot.event({"type": "app_home_opened", "user": DP, "tab": "home"})
        slack.wait_for("views.publish", count=2, timeout=8)
        assert wait_until(lambda: logged(caplog, "views.publish for U0DP failed"))
    assert len(slack.calls_to("views.publish")) == 2  # one retry, then it gives up


def test_a_slow_slack_api_never_delays_the_acknowledgement(
    linked_sqlite: Runtime, slack: SlackStandIn
) -> None:
    slack.hang("users.info", seconds=2)  # an unknown user: the bot asks Slack for their email
    with SlackHarness(linked_sqlite, slack, AFTER_MEETING) as bot:
        ack = bot.send_form(bot.command_fields("U0NEWPERSON", "mine"))
        assert (ack.status, ack.body) == (200, "") and ack.seconds < 0.5
        (late,) = slack.wait_for("response_url", timeout=8)
    assert late.at - slack.calls_to("users.info")[0].at >= 2  # it waited for Slack, not the ack
    assert "You're not linked to a member" in block_text(late.blocks)


def test_an_answer_that_cannot_be_delivered_is_logged_not_swallowed(
    linked_sqlite: Runtime, slack: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    slack.fail("chat.postMessage", status=200, error="channel_not_found")
    with (
        caplog.at_level(logging.ERROR, "crb.slack"),
        SlackHarness(linked_sqlite, slack, AFTER_MEETING) as bot,
    ):
        bot.dm(DP, "mine")
        slack.wait_for("chat.postMessage")
        assert wait_until(lambda: logged(caplog, "channel_not_found"))


# ---------------------------------------------------------------- the delivery channel


def channel(slack: SlackStandIn, **overrides: object) -> SlackChannel:
    return SlackChannel(make_client(slack_config(slack, "sqlite://", **overrides), max_retries=0))


def test_the_slack_channel_opens_the_dm_and_posts_the_rendered_nudge(slack: SlackStandIn) -> None:
    asyncio.run(channel(slack).send(member(), nudge()))
    (opened,) = slack.calls_to("conversations.open")
    assert opened.params["users"] == "U0DP"
    (posted,) = slack.calls_to("chat.postMessage")
    assert posted.params["channel"] == "D0DP"
    values = [e["value"] for b in posted.blocks if b["type"] == "actions" for e in b["elements"]]
    assert values == ["done 04-DP", "snooze 04-DP"]  # any button: its value is the command
    assert "Reminder: 1 action due" in posted.params["text"]


def test_the_slack_channel_reaches_only_linked_members_and_is_registered(
    slack: SlackStandIn,
) -> None:
    config = slack_config(slack, "sqlite://")
    channels = build_channels(config)
    assert [c.platform for c in channels] == ["slack"]
    assert channel_for(member(), channels) is channels[0]
    assert channel_for(member(slack_id=None), channels) is None
    assert build_channels(slack_config(slack, "sqlite://", slack_bot_token=None)) == []


def test_a_rate_limit_becomes_a_delivery_error_saying_when_to_retry(slack: SlackStandIn) -> None:
    slack.fail("chat.postMessage", status=429, retry_after=42)
    with pytest.raises(DeliveryError) as raised:
        asyncio.run(channel(slack).send(member(), nudge()))
    assert raised.value.retry_after == 42 and not raised.value.permanent


def test_a_refusal_about_the_person_is_a_permanent_delivery_error(slack: SlackStandIn) -> None:
    slack.fail("conversations.open", status=200, error="user_not_found")
    with pytest.raises(DeliveryError) as raised:
        asyncio.run(channel(slack).send(member(), nudge()))
    assert raised.value.permanent and "user_not_found" in str(raised.value)
    slack.fail("chat.postMessage", status=500, times=3)
    with pytest.raises(DeliveryError) as raised:
        asyncio.run(channel(slack).send(member(), nudge()))
    assert not raised.value.permanent and raised.value.retry_after is None


def test_a_wrong_token_is_a_permanent_delivery_error(slack: SlackStandIn) -> None:
    wrong = channel(slack, slack_bot_token="xoxb-wrong")
    with pytest.raises(DeliveryError) as raised:
        asyncio.run(wrong.send(member(), nudge()))
    assert raised.value.permanent and "invalid_auth" in str(raised.value)


# ---------------------------------------------------------------- serving modes


def test_http_mode_mounts_the_events_route(linked_sqlite: Runtime, slack: SlackStandIn) -> None:
    runtime = Runtime(slack_config(slack, linked_sqlite.config.database_url))
    app = make_app(runtime)
    routes = {(r.method, r.resource.canonical) for r in app.router.routes()}
    assert ("POST", "/slack/events") in routes


def test_http_mode_without_a_signing_secret_refuses_to_start(slack: SlackStandIn) -> None:
    runtime = Runtime(slack_config(slack, "sqlite://", slack_signing_secret=None))
    with pytest.raises(UserError, match="SLACK_SIGNING_SECRET is required"):
        make_app(runtime)


def test_slack_is_off_without_a_bot_token() -> None:
    from bot.config import Config

    app = make_app(Runtime(Config(database_url="sqlite://")))
    assert "/slack/events" not in {r.resource.canonical for r in app.router.routes()}


def test_socket_mode_is_chosen_with_an_app_token_and_dispatches_to_the_same_listeners(
    linked_sqlite: Runtime, slack: SlackStandIn
) -> None:
    config = slack_config(
        slack,
        linked_sqlite.config.database_url,
        slack_app_token="xapp-1-test",
        slack_signing_secret=None,
    )
    bot = SlackBot(linked_sqlite, config, clock=lambda: AFTER_MEETING)
    app = make_app(linked_sqlite, slack=bot)
    assert bot.socket_mode
    assert "/slack/events" not in {r.resource.canonical for r in app.router.routes()}
    assert bot._socket_mode_context in app.cleanup_ctx

    async def over_the_socket() -> dict[str, object]:
        handler = bot.socket_mode_handler()
        assert isinstance(handler, AsyncSocketModeHandler)
        assert handler.app is bot.app and handler.app_token == "xapp-1-test"
        assert handler.client.web_client is bot.client
        response_url = slack.response_url()
        envelope = SocketModeRequest(
            type="slash_commands",
            envelope_id="env-1",
            payload={
                "command": "/crb",
                "text": "done 04-DP",
                "user_id": DP,
                "team_id": "T0CRB0001",
                "channel_id": "C0BOARD01",
                "response_url": response_url,
                "trigger_id": "t.1",
            },
        )
        response = await run_async_bolt_app(bot.app, envelope)  # no signature in Socket Mode
        (answer,) = await asyncio.to_thread(slack.answers_at, response_url)
        await handler.client.close()
        return {"status": response.status, "body": response.body, "answer": answer.blocks}

    answer = asyncio.run(over_the_socket())
    assert (answer["status"], answer["body"]) == (200, "")
    assert "Done: 04-DP" in block_text(answer["answer"])


def test_socket_mode_end_to_end_over_the_stand_ins_websocket(
    linked_sqlite: Runtime, slack: SlackStandIn
) -> None:
    config = slack_config(
        slack,
        linked_sqlite.config.database_url,
        slack_app_token="xapp-1-test",
        slack_signing_secret=None,
    )
    bot = SlackBot(linked_sqlite, config, clock=lambda: AFTER_MEETING)
    with LoopbackServer(make_app(linked_sqlite, slack=bot)):
        (opened,) = slack.wait_for("apps.connections.open")
        assert opened.headers["Authorization"] == "Bearer xapp-1-test"
        slack.wait_for("socket.connect")
        payload = {
            "command": "/crb",
            "text": "done 04-DP",
            "user_id": DP,
            "team_id": "T0CRB0001",
            "channel_id": "C0BOARD01",
            "response_url": slack.response_url(),
            "trigger_id": "t.2",
        }
        envelope_id = slack.socket_send("slash_commands", payload)
        (ack,) = slack.wait_for("socket_mode.ack")
        (answer,) = slack.answers_at(payload["response_url"])
    assert ack.params["envelope_id"] == envelope_id and not ack.params.get("payload")
    assert "Done: 04-DP" in block_text(answer.blocks)
    with linked_sqlite.sessions() as session:
        done = session.scalars(select(Action).where(Action.text.contains("draft paper"))).one()
        assert done.status == ActionStatus.DONE


# ---------------------------------------------------------------- parsing what Slack sends


def test_mentions_become_platform_neutral_accounts() -> None:
    assert mentions_to_accounts("link CR <@U01ABC|claire>") == "link CR slack:U01ABC"
    assert mentions_to_accounts("link CR <@W0123XYZ>") == "link CR slack:W0123XYZ"
    assert parse_command("link cr slack:U01ABC") == Link("CR", "slack_id", "U01ABC")
    assert parse_command("link CR claire@example.org") == Link("CR", "email", "claire@example.org")
    assert parse_command("import 12") == ImportUpload(12)
    assert parse_command("import 12 cancel") == ImportUpload(12, cancel=True)
    for bad in ("link CR", "link CR @claire", "import", "import twelve", "import 1 now"):
        with pytest.raises(UserError):
            parse_command(bad)


# ---------------------------------------------------------------- the renderer


def hostile_view(text: str) -> ActionView:
    return ActionView(
        ref="04-DP",
        item="04",
        meeting="2020-11-25",
        owners=("DP",),
        owner_names=("Damian <@U999> Pettit",),
        text=text,
        status="done",
        done_at=datetime(2020, 11, 26, 9, 30, tzinfo=UTC),
        done_by="DP",
        latest_update="*urgent* <!here> & _now_",
        rag="red",
    )


def test_user_text_can_never_become_a_mention_link_or_formatting() -> None:
    evil = "<!channel> <@U0ADMIN> <https://evil.example|click> *bold* _it_ ~s~ `c` A&E"
    reply = Reply(
        f"About “{evil}”", sections=(Section("Heading <!here>", actions=(hostile_view(evil),)),)
    )
    message = render_slack.message(reply)
    for block in message["blocks"]:
        for obj in [block.get("text"), *[e.get("text") for e in block.get("elements", [])]]:
            if isinstance(obj, dict):
                assert obj["type"] == "plain_text" and obj["emoji"] is False
                assert "<" not in obj["text"] and ">" not in obj["text"]
    shown = block_text(message["blocks"])
    assert "&lt;!channel&gt; &lt;@U0ADMIN&gt;" in shown and "A&amp;E" in shown
    assert "Latest update: [RED] *urgent* &lt;!here&gt; &amp; _now_" in shown
    fallback = message["text"]
    assert "<" not in fallback and ">" not in fallback
    assert "*bold*" not in fallback and "\u200b*bold\u200b*" in fallback


def test_long_lists_fit_slacks_block_limits_and_say_what_was_left_out() -> None:
    views = tuple(
        ActionView(
            ref=f"{n:02d}-DP",
            item=f"{n:02d}",
            meeting="2020-11-25",
            owners=("DP",),
            owner_names=("Damian Pettit",),
            text="x" * 4000,
            status="open",
            buttons=(Button("Mark done", f"done {n:02d}-DP", "primary"),),
        )
        for n in range(1, 80)
    )
    reply = Reply(
        "Outstanding actions: 79", sections=(Section("Damian Pettit (DP)", actions=views),)
    )
    blocks = render_slack.blocks_for(reply)
    assert len(blocks) <= render_slack.MESSAGE_BLOCKS
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if "text" in b)
    notes = block_text([b for b in blocks if b["type"] == "context"])
    assert "type the command" in notes and "15 more — see the full list" in notes
    home = render_slack.home_view(reply)
    assert len(home["blocks"]) <= render_slack.VIEW_BLOCKS
    assert render_slack.blocks_for(Reply("ok", tone=Tone.SUCCESS))[0]["text"]["text"] == "✅ ok"


# ---------------------------------------------------------------- the app manifest


def test_the_manifest_creates_the_app_with_the_scopes_command_and_events_it_needs() -> None:
    import yaml

    manifest = yaml.safe_load(Path(__file__).parents[1].joinpath("manifest.yml").read_text())
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "im:write", "users:read", "users:read.email"} <= scopes
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/crb" and command["should_escape"] is True
    assert command["url"].endswith("/slack/events")
    settings = manifest["settings"]
    assert set(settings["event_subscriptions"]["bot_events"]) == {"app_home_opened", "message.im"}
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["interactivity"]["request_url"].endswith("/slack/events")
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
