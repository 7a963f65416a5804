"""`crb serve` ticks on APScheduler's AsyncIOScheduler; /healthz says when it last ran."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient, TestServer

from bot.runtime import Runtime
from bot.server import make_app
from scheduler.jobs import JOB_ID, Ticker
from tests.conftest import FEB_10, OWNERS, link
from tests.doubles import RecordingChannel


def test_the_server_ticks_at_once_and_then_each_minute(board: Runtime) -> None:
    link(board, *OWNERS)
    chat = RecordingChannel()
    ticker = Ticker(board.sessions, [chat], clock=lambda: FEB_10)

    async def scenario() -> dict:
        async with TestClient(TestServer(make_app(board, ticker))) as client:
            for _ in range(200):  # the first tick runs as soon as the scheduler starts
                if ticker.last_tick is not None:
                    break
                await asyncio.sleep(0.05)
            job = ticker.scheduler.get_job(JOB_ID)
            assert str(job.trigger) == "cron[second='0']"
            assert job.max_instances == 1 and job.coalesce
            response = await client.get("/healthz")
            assert response.status == 200
            return await response.json()

    health = asyncio.run(scenario())
    assert health["status"] == "ok"
    assert health["scheduler"]["last_tick"] == FEB_10.isoformat()
    assert chat.recipients() == list(OWNERS)
    assert ticker.scheduler is None  # stopped with the app


def test_a_failing_tick_is_logged_and_kept_for_health(board: Runtime) -> None:
    board.engine.dispose()

    naive = FEB_10.replace(tzinfo=None)  # a naive instant cannot be compared or stored
    ticker = Ticker(board.sessions, [], clock=lambda: naive)
    assert asyncio.run(ticker.run_once()) is None
    assert ticker.last_error is not None and ticker.last_tick is None
