"""Fan-out: a tick's nudges through a Slack stand-in that rate-limits as Slack does.

Slack allows about one message per second per channel (short bursts aside) and answers more with
429 and Retry-After. The stand-in here enforces that per channel, and a workspace-wide rate on top
so that the limiter really bites: a nudge goes to each member's own DM channel, so the
per-channel limit alone would never be reached by one nudge each. conversations.open, which finds
a person's DM channel, is limited as Slack's Tier 3 (about 50 a minute, a minute's burst). The
bot keeps each DM channel it learns in the database (`slack_dm_channels`): the first quarter's
fan-out (no channel known) opens one per person; a later quarter's opens none. Ticks run, a
minute apart in the bot's clock, until nothing is left to send; every owner must then have
exactly one message.
"""

from __future__ import annotations

import asyncio
import math
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import Engine, select

from bench.data import Scale, populate
from bench.planning import DUE
from bench.report import Result
from bot.config import Config
from bot.slack import SlackChannel, make_client
from db import migrate, queries
from db.models import Person
from db.session import make_engine, make_session_factory
from scheduler import dispatch
from tests.crowd import dm_of
from tests.slack_standin import SlackStandIn

PER_CHANNEL_SECONDS = 1.0  # one message per channel per second
RETRY_AFTER = 1  # seconds, as Slack's Retry-After for chat.postMessage
OPENS_PER_MINUTE = 50  # conversations.open: Slack's Tier 3


class RateLimitedSlack(SlackStandIn):
    """The test stand-in, with chat.postMessage limited per channel and per workspace."""

    def __init__(self, *, workspace_per_second: float) -> None:
        super().__init__()
        self.workspace_per_second = workspace_per_second
        self.delivered: Counter[str] = Counter()  # channel -> messages accepted
        self.refused = 0
        self._last_in_channel: dict[str, float] = {}
        self._workspace_allowance = workspace_per_second  # a token bucket, one second deep
        self._refilled = time.monotonic()
        self.opened = 0
        self._opens = float(OPENS_PER_MINUTE)  # a token bucket, one minute deep
        self._opens_refilled = self._refilled

    def _admit_open(self) -> float:
        """0 when a conversations.open may go ahead, else the seconds until it may."""
        now, rate = time.monotonic(), OPENS_PER_MINUTE / 60
        self._opens = min(OPENS_PER_MINUTE, self._opens + (now - self._opens_refilled) * rate)
        self._opens_refilled = now
        if self._opens < 1:
            return (1 - self._opens) / rate
        self._opens -= 1
        return 0.0

    def _admit(self, channel: str) -> bool:
        now = time.monotonic()
        self._workspace_allowance = min(
            self.workspace_per_second,
            self._workspace_allowance + (now - self._refilled) * self.workspace_per_second,
        )
        self._refilled = now
        last = self._last_in_channel.get(channel)
        if self._workspace_allowance < 1 or (last is not None and now - last < PER_CHANNEL_SECONDS):
            return False
        self._workspace_allowance -= 1
        self._last_in_channel[channel] = now
        return True

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["method"] == "conversations.open":
            wait = self._admit_open()
            if wait:
                self.refused += 1
                return web.json_response(
                    {"ok": False, "error": "ratelimited"},
                    status=429,
                    headers={"Retry-After": str(math.ceil(wait))},
                )
            self.opened += 1
        if request.match_info["method"] != "chat.postMessage":
            return await super()._api(request)
        params: dict[str, Any] = await self._params(request)
        channel = str(params.get("channel"))
        if not self._admit(channel):
            self.refused += 1
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(RETRY_AFTER)},
            )
        self.delivered[channel] += 1
        return web.json_response({"ok": True, "channel": channel, "ts": f"{time.time():.6f}"})

    async def _params(self, request: web.Request) -> dict[str, Any]:
        # aiohttp reads a body once; keep it for the parent's handler too.
        if "crb.params" not in request:
            request["crb.params"] = await super()._params(request)
        return dict(request["crb.params"])


def allowed_seconds(messages: int, workspace_per_second: float, opens: int = 0) -> float:
    """The least time the limits allow for one message to each of ``messages`` channels, of
    which ``opens`` must first be found with conversations.open."""
    posting = max(0.0, (messages - workspace_per_second) / workspace_per_second)
    opening = max(0.0, (opens - OPENS_PER_MINUTE) / (OPENS_PER_MINUTE / 60))
    return max(posting, opening)


def know_every_channel(engine: Engine) -> None:
    """A later quarter: every member's DM channel was kept the first time (as the stand-in
    opens them: D + the user id's digits)."""
    sessions = make_session_factory(engine)
    with sessions() as session, session.begin():
        for slack_id in session.scalars(
            select(Person.slack_id).where(Person.slack_id.is_not(None))
        ):
            queries.remember_slack_dm_channel(session, slack_id, dm_of(slack_id), DUE)


async def _drain(
    sessions: Any, channel: SlackChannel, expected: int, max_ticks: int
) -> tuple[int, int]:
    """Ticks a minute apart (in the bot's clock, back to back in the wall's) until every nudge is
    sent: a nudge that failed (a 429 outlasting its retries) is tried again by a later tick."""
    sent = failed = 0
    for n in range(max_ticks):
        result = await dispatch.tick(sessions, [channel], DUE + timedelta(minutes=n))
        sent += len(result.sent)
        failed += len(result.failed)
        if sent >= expected:
            break
    return sent, failed


def measure(
    *, members: int, workspace_per_second: float, channels_known: bool = True
) -> list[Result]:
    with tempfile.TemporaryDirectory() as directory:
        engine = make_engine(f"sqlite:///{Path(directory) / 'fanout.db'}")
        migrate.upgrade(engine)
        populate(engine, Scale(boards=1, members=members, actions=members), round_robin=True)
        if channels_known:
            know_every_channel(engine)
        sessions = make_session_factory(engine)
        with RateLimitedSlack(workspace_per_second=workspace_per_second) as slack:
            config = Config(slack_bot_token=slack.bot_token, slack_api_url=slack.api_url)
            channel = SlackChannel(make_client(config), sessions=sessions)
            started = time.perf_counter()
            sent, failed_attempts = asyncio.run(_drain(sessions, channel, members, max_ticks=120))
            elapsed = time.perf_counter() - started
            delivered, refused, opened = slack.delivered, slack.refused, slack.opened
        engine.dispose()
    floor = allowed_seconds(members, workspace_per_second, 0 if channels_known else members)
    exactly_once = len(delivered) == members and set(delivered.values()) == {1}
    quarter = "a later quarter" if channels_known else "a first quarter (no DM channel known)"
    label = f"{members:,} nudges, {quarter}, {workspace_per_second:g} msg/s"
    within = elapsed <= floor * 1.1  # the goal: within 10% of what the limits allow
    return [
        Result(
            "fan-out",
            f"{label}: wall time",
            elapsed,
            "s",
            f"≤ 110% of the {floor:.1f} s the limits allow",
            within,
        ),
        Result("fan-out", f"{label}: conversations.open accepted", opened, ""),
        Result("fan-out", f"{label}: 429s answered", refused, ""),
        Result("fan-out", f"{label}: ticks' failed attempts, retried later", failed_attempts, ""),
        Result(
            "fan-out",
            f"{label}: owners with exactly one nudge",
            sum(1 for count in delivered.values() if count == 1),
            "",
            f"{members:,}, none twice",
            exactly_once and sent == members,
        ),
    ]


if __name__ == "__main__":
    print(measure(members=50, workspace_per_second=math.inf))
