"""Drive the real Bolt app over HTTP with requests signed as Slack signs them.

``SlackHarness`` serves the bot's aiohttp application (``bot.server.make_app``) on 127.0.0.1,
pointed at a ``SlackStandIn``, and sends slash commands, button clicks, form submissions and
events to ``POST /slack/events`` exactly as Slack would: form- or JSON-encoded, with the v0
signature and timestamp headers.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import count
from typing import Any

from slack_sdk.signature import SignatureVerifier

from bot.config import Config
from bot.runtime import Runtime
from bot.server import make_app
from bot.slack import SlackBot
from handlers.commands import parse_pinned_value
from tests.loopback import LoopbackServer
from tests.slack_standin import TEAM_ID, SlackStandIn

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
_ids = count(1)


def sign(body: str, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature or ""}


@dataclass
class HttpAnswer:
    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Answered:
    """A slash command as the person sees it: an empty acknowledgement, then the answer."""

    ack: HttpAnswer  # what Slack's 3-second clock waits for: always empty
    reply: dict[str, Any]  # the answer posted to the command's response_url
    seconds: float  # from sending the command to the answer's arrival


def post(url: str, body: str, headers: dict[str, str], timeout: float = 10) -> HttpAnswer:
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            text = response.read().decode()
            return HttpAnswer(
                response.status, text, dict(response.headers), time.monotonic() - started
            )
    except urllib.error.HTTPError as error:
        return HttpAnswer(
            error.code, error.read().decode(), dict(error.headers), time.monotonic() - started
        )


def command_fields(slack: SlackStandIn, user_id: str, text: str) -> dict[str, str]:
    """A slash command's form fields as Slack sends them, answered at a new response_url."""
    return {
        "token": "deprecated-verification-token",
        "team_id": TEAM_ID,
        "team_domain": "crb",
        "channel_id": "C0BOARD01",
        "channel_name": "crime-reduction-board",
        "user_id": user_id,
        "user_name": user_id.lower(),
        "command": "/crb",
        "text": text,
        "api_app_id": "A0CRB0001",
        "response_url": slack.response_url(),
        "trigger_id": f"trigger.{next(_ids)}",
    }


def readable(value: str) -> str:
    """A button's value as the command it stands for: ``done 04-DP``, whether it carries the
    action's id (with the REF it showed) or the command itself."""
    pinned = parse_pinned_value(value)
    if pinned is None:
        return value
    return f"{pinned[0]} {json.loads(value)['ref']}"


def button_commands(blocks: list[dict[str, Any]]) -> list[str]:
    """Every button in ``blocks``, as ``readable`` commands."""
    return [
        readable(element["value"])
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def slack_config(slack: SlackStandIn, database_url: str, **overrides: Any) -> Config:
    settings: dict[str, Any] = {
        "database_url": database_url,
        "slack_bot_token": slack.bot_token,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": slack.api_url,
    }
    return Config(**(settings | overrides))


class SlackHarness:
    def __init__(
        self,
        runtime: Runtime,
        slack: SlackStandIn,
        now: datetime,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.slack = slack
        self.runtime = runtime
        config = slack_config(slack, runtime.config.database_url)
        clock = clock or (lambda: now)
        self.bot = SlackBot(runtime, config, clock=clock)
        self.server = LoopbackServer(make_app(runtime, slack=self.bot, clock=clock))

    def __enter__(self) -> SlackHarness:
        self.server.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.stop()

    @property
    def events_url(self) -> str:
        return f"{self.server.base_url}/slack/events"

    # ------------------------------------------------------------------ raw requests

    def send(
        self,
        body: str,
        content_type: str,
        *,
        headers: dict[str, str] | None = None,
        signature: dict[str, str] | None = None,
    ) -> HttpAnswer:
        signed = sign(body) if signature is None else signature
        all_headers = {"Content-Type": content_type, **signed, **(headers or {})}
        return post(self.events_url, body, all_headers)

    def send_form(self, fields: dict[str, str], **kwargs: Any) -> HttpAnswer:
        return self.send(
            urllib.parse.urlencode(fields), "application/x-www-form-urlencoded", **kwargs
        )

    # ------------------------------------------------------------------ what Slack sends

    def command_fields(self, user_id: str, text: str) -> dict[str, str]:
        return command_fields(self.slack, user_id, text)

    def slash(self, user_id: str, text: str) -> Answered:
        """Type ``/crb text`` as ``user_id``; the acknowledgement must be empty and quick."""
        fields = self.command_fields(user_id, text)
        started = time.monotonic()
        ack = self.send_form(fields)
        assert (ack.status, ack.body) == (200, ""), ack
        (answer,) = self.slack.answers_at(fields["response_url"])
        return Answered(ack, answer.params, answer.at - started)

    def click(
        self,
        user_id: str,
        command: str,
        *,
        on_home: bool = False,
        block_id: str = "b1",
        message: list[dict[str, Any]] | None = None,
    ) -> HttpAnswer:
        """A click on a button whose value is ``command``, in a message or on the App Home.

        ``message``: the blocks of the (non-ephemeral) message clicked, which Slack sends with
        the click; without them the message is an ephemeral one, which Slack does not send.
        """
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": TEAM_ID},
            "user": {"id": user_id},
            "api_app_id": "A0CRB0001",
            "trigger_id": f"trigger.{next(_ids)}",
            "actions": [
                {
                    "type": "button",
                    "action_id": "crb_cmd_0",
                    "block_id": block_id,
                    "value": command,
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        if on_home:
            payload["container"] = {"type": "view", "view_id": "VHOME"}
            payload["view"] = {"id": "VHOME", "type": "home", "blocks": []}
        else:
            ephemeral = message is None
            payload["container"] = {
                "type": "message",
                "channel_id": "D0DM",
                "message_ts": "1606383000.000100",
                "is_ephemeral": ephemeral,
            }
            payload["channel"] = {"id": "D0DM"}
            payload["response_url"] = self.slack.response_url()
            if message is not None:
                payload["message"] = {"type": "message", "ts": "1606383000.000100"}
                payload["message"]["blocks"] = message
        return self.send_form({"payload": json.dumps(payload)})

    def press(
        self,
        user_id: str,
        blocks: list[dict[str, Any]],
        command: str,
        *,
        on_home: bool = False,
        ephemeral: bool = False,
    ) -> HttpAnswer:
        """Click the button in ``blocks`` whose command reads ``command`` ("done 04-DP"), as
        Slack sends it: its own value and block, and the message's blocks unless ephemeral."""
        for block in blocks:
            for element in block.get("elements", []) if block["type"] == "actions" else []:
                if readable(element["value"]) == command:
                    shown = None if ephemeral or on_home else blocks
                    return self.click(
                        user_id,
                        element["value"],
                        on_home=on_home,
                        block_id=block.get("block_id", "b1"),
                        message=shown,
                    )
        raise AssertionError(f"no button {command!r} in {button_commands(blocks)}")

    def submit_note(
        self, user_id: str, view: dict[str, Any], text: str, rag: str | None = None
    ) -> HttpAnswer:
        """Fill in and submit the "Add update" modal the bot opened (``view`` from views.open)."""
        values: dict[str, Any] = {
            "note": {"text": {"type": "plain_text_input", "value": text}},
            "rag": {"rag": {"type": "radio_buttons", "selected_option": None}},
        }
        if rag:
            values["rag"]["rag"]["selected_option"] = {"value": rag}
        payload = {
            "type": "view_submission",
            "team": {"id": TEAM_ID},
            "user": {"id": user_id},
            "api_app_id": "A0CRB0001",
            "view": {**view, "id": "VNOTE", "state": {"values": values}},
        }
        return self.send_form({"payload": json.dumps(payload)})

    def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry: int | None = None
    ) -> HttpAnswer:
        body = json.dumps(
            {
                "token": "deprecated-verification-token",
                "team_id": TEAM_ID,
                "api_app_id": "A0CRB0001",
                "type": "event_callback",
                "event_id": event_id or f"Ev{next(_ids):08d}",
                "event_time": int(time.time()),
                "event": event,
            }
        )
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return self.send(body, "application/json", headers=headers if retry else None)

    def dm(self, user_id: str, text: str, **kwargs: Any) -> HttpAnswer:
        event = {
            "type": "message",
            "channel": f"D{user_id}",
            "channel_type": "im",
            "user": user_id,
            "text": text,
            "ts": f"{time.time():.6f}",
        }
        return self.event(event, **kwargs)
