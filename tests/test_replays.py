"""Replayed Slack requests: a request captured and sent again, byte for byte, within Slack's
5-minute signature window, must not change anything a second time.

The signature check cannot refuse these (the signature is genuine and fresh). `done` is
idempotent by itself, but `note` and `add` are not: a replayed note would be recorded twice, a
replayed add would raise a second action. So the bot keeps the signature of each request that
changed the board, with the change, and runs such a request no second time (``handlers.run``;
a read sent again simply answers again); Events API
deliveries are also deduplicated on event_id (Slack's own retries are signed anew). A request
older than 5 minutes is refused outright:
tests/test_slack.py::test_a_stale_request_gets_401_even_when_signed_correctly.
"""

from __future__ import annotations

import json
import time
import urllib.parse

import pytest
from sqlalchemy import func, select

from bot.runtime import Runtime
from db.models import Action, ActionStatus, EventKind, ProcessedEvent
from handlers.run import REPLAYED
from tests.slack_fixtures import CHAIR, DP, action, block_text, events_of
from tests.slack_harness import SlackHarness, sign
from tests.slack_standin import TEAM_ID, SlackStandIn

FORM = "application/x-www-form-urlencoded"


def replay(bot: SlackHarness, body: str, content_type: str, times: int = 2) -> list:
    """Send the same body with the same signature headers ``times`` times."""
    signature = sign(body)
    return [bot.send(body, content_type, signature=signature) for _ in range(times)]


def ran_and_refused(slack: SlackStandIn, response_url: str) -> str:
    """The two answers to a request sent twice: one refusal as a replay; the other answer."""
    answers = [block_text(call.blocks) for call in slack.answers_at(response_url, count=2)]
    refused = [text for text in answers if REPLAYED in text]
    assert len(refused) == 1, answers
    (ran,) = set(answers) - set(refused)
    return ran


def replayed_command(bot: SlackHarness, who: str, text: str) -> str:
    """A slash command sent twice, byte for byte: the answer of the one that ran.

    Both are acknowledged at once; whichever reaches the database first runs.
    """
    fields = bot.command_fields(who, text)
    acks = replay(bot, urllib.parse.urlencode(fields), FORM)
    assert [(ack.status, ack.body) for ack in acks] == [(200, "")] * 2
    return ran_and_refused(bot.slack, fields["response_url"])


def test_a_replayed_slash_done_changes_state_once_and_says_nothing_changed(
    bot: SlackHarness, linked: Runtime
) -> None:
    assert "Done: 04-DP" in replayed_command(bot, DP, "done 04-DP")
    closed = action(linked, "draft paper")
    assert closed.status == ActionStatus.DONE
    (done,) = events_of(linked, EventKind.DONE)
    assert done.at == closed.done_at  # the replay did not move the completion time
    # The same command typed again is a new request: it runs, and done says what it finds.
    again = bot.slash(DP, "done 04-DP")
    assert "04-DP is already done: DP closed it on 26 Nov 2020.\nNothing changed." in block_text(
        again.reply["blocks"]
    )


@pytest.mark.parametrize(
    ("who", "text", "kind"),
    [(DP, "note 04-DP green circulated", EventKind.NOTE), (CHAIR, "add 04 DP Brief the PCC", None)],
)
def test_a_replayed_slash_note_or_add_is_recorded_once(
    bot: SlackHarness, linked: Runtime, who: str, text: str, kind: EventKind | None
) -> None:
    before = count_actions(linked)
    assert REPLAYED not in replayed_command(bot, who, text)
    if kind is not None:
        assert len(events_of(linked, kind)) == 1
    else:
        assert count_actions(linked) == before + 1


def count_actions(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count(Action.id))) or 0


def test_a_replayed_button_click_changes_state_once(
    bot: SlackHarness, slack: SlackStandIn, linked: Runtime
) -> None:
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID},
        "user": {"id": DP},
        "api_app_id": "A0CRB0001",
        "trigger_id": "trigger.replayed",
        "container": {"type": "message", "channel_id": "D0DM", "is_ephemeral": True},
        "channel": {"id": "D0DM"},
        "response_url": slack.response_url(),
        "actions": [
            {
                "type": "button",
                "action_id": "crb_cmd_0",
                "block_id": "b1",
                "value": "note 04-DP green circulated",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload)})
    assert [answer.status for answer in replay(bot, body, FORM)] == [200, 200]
    assert "Update recorded on 04-DP" in ran_and_refused(slack, payload["response_url"])
    assert len(events_of(linked, EventKind.NOTE)) == 1  # a note is not recorded twice


def test_a_replayed_event_is_handled_once_by_its_event_id(
    bot: SlackHarness, slack: SlackStandIn, linked: Runtime
) -> None:
    body = json.dumps(
        {
            "token": "deprecated-verification-token",
            "team_id": TEAM_ID,
            "api_app_id": "A0CRB0001",
            "type": "event_callback",
            "event_id": "Ev0REPLAYED",
            "event_time": int(time.time()),
            "event": {
                "type": "message",
                "channel": f"D{DP}",
                "channel_type": "im",
                "user": DP,
                "text": "note 04-DP amber waiting on partners",
                "ts": f"{time.time():.6f}",
            },
        }
    )
    # No X-Slack-Retry-Num header: not Slack retrying, someone sending it again: the same bytes
    # with the same signature, then signed anew a second later (caught by the event_id alone).
    assert [answer.status for answer in replay(bot, body, "application/json")] == [200] * 2
    time.sleep(1.0)
    assert bot.send(body, "application/json", signature=sign(body)).status == 200
    slack.wait_for("chat.postMessage")
    time.sleep(0.3)  # time for a second answer, were one coming
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert len(events_of(linked, EventKind.NOTE)) == 1
    with linked.sessions() as session:
        handled = select(func.count(ProcessedEvent.id)).where(ProcessedEvent.platform == "slack")
        assert session.scalar(handled) == 1
