"""`crb serve` end to end: a real process, a signed /crb from Slack, the stand-in as Slack's API."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from bot.runtime import Runtime
from db import queries
from db.models import Action, ActionStatus, EventKind
from tests.conftest import import_sample, link_members, make_runtime
from tests.slack_fixtures import block_text
from tests.slack_harness import SIGNING_SECRET, HttpAnswer, post, sign
from tests.slack_standin import TEAM_ID, SlackStandIn

CRB = Path(sys.executable).with_name("crb")


class ServeProcess:
    """`crb serve --port 0` in a child process; its log is read to learn the port it bound."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [str(CRB), "serve", "--port", "0", "--no-scheduler"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.port = self._wait_for_port()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.put(line)

    def _wait_for_port(self, timeout: float = 30) -> int:
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                log = "".join(self.log)
                raise AssertionError(f"crb serve never said where it listens:\n{log}") from None
            self.log.append(line)
            if match := re.search(r"listening on http://[\d.]+:(\d+)", line):
                return int(match[1])

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


@contextmanager
def serving(
    sqlite_url: str, **slack_env: str
) -> Iterator[tuple[ServeProcess, SlackStandIn, Runtime]]:
    runtime = make_runtime(sqlite_url)
    import_sample(runtime)
    link_members(runtime, {"DP": "U0DP", "JS": "U0JS"})
    with SlackStandIn() as slack:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("SLACK_", "CONNECTIONS__", "SMTP_"))
        }
        env |= {
            "DATABASE_URL": sqlite_url,
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_API_URL": slack.api_url,
            **slack_env,
        }
        server = ServeProcess(env)
        try:
            yield server, slack, runtime
        finally:
            server.stop()
            runtime.engine.dispose()


@pytest.fixture
def served(sqlite_url: str) -> Iterator[tuple[ServeProcess, SlackStandIn, Runtime]]:
    with serving(sqlite_url, SLACK_SIGNING_SECRET=SIGNING_SECRET) as running:
        yield running


def slash(
    port: int, slack: SlackStandIn, user_id: str, text: str, forged: bool = False
) -> tuple[HttpAnswer, str]:
    """Send ``/crb text`` to `crb serve`: its acknowledgement, and where the answer will go."""
    response_url = slack.response_url()
    body = urlencode(
        {
            "team_id": TEAM_ID,
            "channel_id": "C0BOARD01",
            "user_id": user_id,
            "command": "/crb",
            "text": text,
            "response_url": response_url,
            "trigger_id": "trigger.serve",
        }
    )
    signature = sign(body, secret="forged" if forged else SIGNING_SECRET)
    headers = {"Content-Type": "application/x-www-form-urlencoded", **signature}
    return post(f"http://127.0.0.1:{port}/slack/events", body, headers), response_url


def answer_shown(slack: SlackStandIn, sent: tuple[HttpAnswer, str]) -> str:
    """The answer to an acknowledged command, as the person reads it."""
    ack, response_url = sent
    assert (ack.status, ack.body) == (200, "") and ack.seconds < 3
    (answer,) = slack.answers_at(response_url, timeout=10)
    return block_text(answer.blocks)


def test_crb_serve_answers_a_signed_done_from_dps_slack_id_within_3_seconds(served) -> None:
    server, slack, runtime = served
    forged, _ = slash(server.port, slack, "U0DP", "done 04-DP", forged=True)
    assert forged.status == 401

    assert "Done: 04-DP" in answer_shown(slack, slash(server.port, slack, "U0DP", "done 04-DP"))
    with runtime.sessions() as session:
        action = session.scalars(select(Action).where(Action.text.contains("draft paper"))).one()
        assert action.status == ActionStatus.DONE
        trail = [e for e in queries.audit_trail(session, action) if e.kind == EventKind.DONE]
        assert [(e.actor_label, e.actor.initials) for e in trail] == [("DP", "DP")]
        assert trail[0].at == action.done_at and action.done_at is not None

    mine = answer_shown(slack, slash(server.port, slack, "U0DP", "mine"))
    assert "05-DP/RT — The statistics supporting the report" in mine
    assert slack.calls_to("auth.test")  # Bolt spoke to the stand-in, not to Slack


def test_crb_serve_with_an_app_token_uses_socket_mode_and_serves_no_http_route(
    sqlite_url: str,
) -> None:
    with serving(sqlite_url, SLACK_APP_TOKEN="xapp-1-serve") as (server, slack, _runtime):
        slack.wait_for("socket.connect", timeout=15)
        response_url = slack.response_url()
        envelope_id = slack.socket_send(
            "slash_commands",
            {
                "command": "/crb",
                "text": "mine",
                "user_id": "U0DP",
                "team_id": TEAM_ID,
                "channel_id": "C0BOARD01",
                "response_url": response_url,
                "trigger_id": "t.serve",
            },
        )
        (ack,) = slack.wait_for("socket_mode.ack", timeout=10)
        assert ack.params["envelope_id"] == envelope_id
        (answer,) = slack.answers_at(response_url, timeout=10)
        assert "05-DP/RT" in block_text(answer.blocks)
        http, _ = slash(server.port, slack, "U0DP", "mine")
        assert http.status in (404, 405)  # Socket Mode instead of HTTP, not beside it
