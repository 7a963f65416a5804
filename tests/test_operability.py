"""Operability: /healthz, structured logs with request ids, graceful shutdown, SQLite settings."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot import logs
from bot.config import Config
from bot.runtime import Runtime
from bot.server import make_app, serve_until
from bot.slack import SlackBot
from scheduler.clock import wall_clock
from scheduler.jobs import Ticker
from tests.conftest import (
    AFTER_MEETING,
    SECRETS,
    make_runtime,
)
from tests.slack_fixtures import block_text
from tests.slack_harness import command_fields, sign, slack_config
from tests.slack_standin import SlackStandIn


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logs.configure(logging.INFO, stream=stream)
    yield stream
    logging.getLogger().removeHandler(handler)


def log_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


Scenario = Callable[[aiohttp.ClientSession, str], Awaitable[Any]]


def run_server(app: web.Application, scenario: Scenario, *, stop_after: bool = True) -> Any:
    """Serve ``app`` on a free port, run ``scenario`` against it, then stop gracefully."""

    async def main() -> Any:
        stop = asyncio.Event()
        listening: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        server = asyncio.create_task(
            serve_until(app, 0, stop, host="127.0.0.1", listening=listening)
        )
        port = await asyncio.wait_for(listening, 10)
        async with aiohttp.ClientSession() as client:
            result = await scenario(client, f"http://127.0.0.1:{port}")
            stop.set()
            await asyncio.wait_for(server, 20)
        return result

    return asyncio.run(main())


# ---------------------------------------------------------------- /healthz


def test_healthz_reports_the_database_and_the_scheduler(runtime: Runtime) -> None:
    async def ask(client: aiohttp.ClientSession, base: str) -> tuple[int, dict]:
        async with client.get(f"{base}/healthz") as response:
            return response.status, await response.json()

    idle = run_server(make_app(runtime), ask)
    assert idle == (
        200,
        {
            "status": "ok",
            "database": "ok",
            "scheduler": {"running": False, "last_tick": None, "last_error": None, "stale": False},
        },
    )
    ticker = Ticker(runtime.sessions, [], wall_clock)

    async def ticking_then_stale(client: aiohttp.ClientSession, base: str) -> list[dict]:
        for _ in range(100):  # the clock ticks once at start-up
            if ticker.last_tick is not None:
                break
            await asyncio.sleep(0.05)
        ticking = (await ask(client, base))[1]
        ticker.last_tick = wall_clock() - timedelta(minutes=10)
        return [ticking, (await ask(client, base))[1]]

    ticking, stale = run_server(make_app(runtime, ticker), ticking_then_stale)
    assert ticking["scheduler"]["running"] is True
    assert ticking["scheduler"]["last_tick"].endswith("+00:00")
    assert ticking["scheduler"]["stale"] is False
    assert stale["scheduler"]["stale"] is True and stale["status"] == "ok"


def test_healthz_is_503_when_the_database_is_unreachable() -> None:
    runtime = Runtime(Config(database_url="postgresql://postgres@127.0.0.1:1/nowhere"))

    async def ask(client: aiohttp.ClientSession, base: str) -> tuple[int, dict]:
        async with client.get(f"{base}/healthz") as response:
            return response.status, await response.json()

    status, body = run_server(make_app(runtime), ask)
    assert status == 503
    assert body["status"] == "unavailable" and body["database"] == "unreachable"


# ---------------------------------------------------------------- request ids and logs


def test_every_request_has_an_id_in_its_response_and_its_log_lines(
    runtime: Runtime, json_logs: io.StringIO
) -> None:
    work_log = logging.getLogger("crb.test")

    async def traced(request: web.Request) -> web.Response:
        # Database work runs in a thread: its log lines must carry the request id too.
        await runtime.run_in_thread(lambda: work_log.info("in a worker thread"))
        return web.json_response({})

    async def broken(request: web.Request) -> web.Response:
        raise RuntimeError("boom")

    app = make_app(runtime)
    app.router.add_get("/traced", traced)
    app.router.add_get("/broken", broken)

    async def ask(client: aiohttp.ClientSession, base: str) -> list[tuple[int, str]]:
        ids = []
        for path, headers in [
            ("/traced", {"X-Request-Id": "abc-123"}),
            ("/traced", {}),
            ("/traced", {"X-Request-Id": "bad id\twith <stuff>"}),
            ("/broken", {"X-Request-Id": "broken-1"}),
            ("/missing", {"X-Request-Id": "missing-1"}),
        ]:
            async with client.get(base + path, headers=headers) as response:
                ids.append((response.status, response.headers["X-Request-Id"]))
        return ids

    given, fresh, refused, broken_answer, missing = run_server(app, ask)
    assert given == (200, "abc-123")
    assert len(fresh[1]) == 32 and fresh[1] != refused[1] and "\t" not in refused[1]
    assert broken_answer == (500, "broken-1") and missing == (404, "missing-1")

    lines = log_lines(json_logs)
    for line in lines:
        assert {"time", "level", "logger", "message"} <= set(line)
    worker = [line for line in lines if line["message"] == "in a worker thread"]
    assert [line.get("request_id") for line in worker] == ["abc-123", fresh[1], refused[1]]
    requests = [line for line in lines if line["message"] == "request"]
    assert {(r["request_id"], r["path"], r["status"]) for r in requests} >= {
        ("abc-123", "/traced", 200),
        ("broken-1", "/broken", 500),
        ("missing-1", "/missing", 404),
    }
    (failure,) = [line for line in lines if line["message"] == "request failed"]
    assert failure["request_id"] == "broken-1" and "RuntimeError: boom" in failure["error"]


def test_log_lines_redact_registered_secrets() -> None:
    stream = io.StringIO()
    handler = logs.configure(logging.INFO, secrets=["xoxb-very-secret", 'q"uote'], stream=stream)
    try:
        logging.getLogger("crb.test").info("token is %s", "xoxb-very-secret")
        logging.getLogger("crb.test").info("odd", extra={"value": 'has q"uote in it'})
    finally:
        logging.getLogger().removeHandler(handler)
    output = stream.getvalue()
    assert "xoxb-very-secret" not in output and 'q\\"uote' not in output
    assert output.count(logs.REDACTED) == 2


# ---------------------------------------------------------------- graceful shutdown


def test_shutdown_finishes_requests_in_flight_and_runs_the_shutdown_hooks(
    runtime: Runtime,
) -> None:
    finished: list[str] = []

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(1.0)  # still going when the shutdown hooks have finished
        finished.append("request")
        return web.json_response({"sent": True})

    async def finish_sends() -> None:
        await asyncio.sleep(0.1)  # an in-flight send completing
        finished.append("sends")

    async def failing_hook() -> None:
        raise RuntimeError("a broken hook")

    async def close_adapter() -> None:
        finished.append("adapter")

    runtime.on_shutdown.extend([finish_sends, failing_hook, close_adapter])
    app = make_app(runtime)
    app.router.add_get("/slow", slow)

    async def main() -> tuple[int, dict]:
        stop = asyncio.Event()
        listening: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        server = asyncio.create_task(
            serve_until(app, 0, stop, host="127.0.0.1", listening=listening)
        )
        port = await asyncio.wait_for(listening, 10)
        async with aiohttp.ClientSession() as client:
            request = asyncio.create_task(client.get(f"http://127.0.0.1:{port}/slow"))
            await asyncio.sleep(0.1)  # the request is in progress
            stop.set()  # what SIGTERM does
            response = await request
            body = (response.status, await response.json())
            await asyncio.wait_for(server, 20)
        return body

    assert asyncio.run(main()) == (200, {"sent": True})
    # Every hook ran, in order, despite the broken one; the request in flight was answered.
    assert sorted(finished) == ["adapter", "request", "sends"]
    assert finished.index("sends") < finished.index("adapter")


def test_shutdown_lets_acknowledged_slack_commands_send_their_answers(
    linked: Runtime, slack: SlackStandIn
) -> None:
    release = threading.Event()

    def held_clock() -> datetime:  # the command's work waits here until released
        assert release.wait(10)
        return AFTER_MEETING

    bot = SlackBot(linked, slack_config(slack, linked.config.database_url), clock=held_clock)
    body = urllib.parse.urlencode(command_fields(slack, "U0DP", "done 04-DP"))

    async def acknowledged_then_stopped(client: aiohttp.ClientSession, base: str) -> None:
        headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
        async with client.post(f"{base}/slack/events", data=body, headers=headers) as ack:
            assert (ack.status, await ack.text()) == (200, "")
        threading.Timer(0.5, release.set).start()  # still working when the stop comes

    run_server(make_app(linked, slack=bot), acknowledged_then_stopped)
    (answer,) = slack.calls_to("response_url")  # sent before the server finished stopping
    assert "Done: 04-DP" in block_text(answer.blocks)


# ---------------------------------------------------------------- crb serve, for real


def wait_for_line(process: subprocess.Popen[str], needle: str, seen: list[str]) -> str:
    deadline = time.monotonic() + 30
    assert process.stderr is not None
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        seen.append(line)
        if needle in line:
            return line
    raise AssertionError(f"never saw {needle!r}; got: {''.join(seen)}")


@pytest.fixture
def slack_api() -> Iterator[str]:
    """Socket Mode connects to the loopback stand-in: nothing may reach the real Slack."""
    with SlackStandIn(bot_token=SECRETS["SLACK_BOT_TOKEN"]) as standin:
        yield standin.api_url


def test_crb_serve_logs_json_keeps_secrets_and_stops_cleanly_on_sigterm(
    postgres_url: str, slack_api: str
) -> None:
    database_url = postgres_url.replace("postgres@", "postgres:pg-PASSWORD-secret@", 1)
    env = {**os.environ, **SECRETS, "DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}
    env |= {"SLACK_API_URL": slack_api, "CRB_MAIL_FROM": "crb@opcc.example.org"}
    process = subprocess.Popen(
        [sys.executable, "-c", "from bot.cli import main; main()", "serve", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: list[str] = []
    try:
        port = json.loads(wait_for_line(process, '"listening on http', seen))["port"]

        async def ask() -> tuple[int, dict]:
            async with (
                aiohttp.ClientSession() as client,
                client.get(f"http://127.0.0.1:{port}/healthz?token=xoxb-1111") as response,
            ):
                return response.status, await response.json()

        assert asyncio.run(ask())[0] == 200
        wait_for_line(process, '"request"', seen)
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    output = "".join(seen) + stderr + stdout
    assert process.returncode == 0, output
    assert '"stopped"' in output
    for line in output.splitlines():
        json.loads(line)  # every line is structured
    for name, secret in [*SECRETS.items(), ("DATABASE_URL password", "pg-PASSWORD-secret")]:
        assert secret not in output, f"{name} leaked into the log"
    assert "smtp-PASSWORD" not in output and "[set]" in output


# ---------------------------------------------------------------- SQLite


def test_sqlite_runs_in_wal_mode_with_foreign_keys_on(sqlite_url: str) -> None:
    runtime = make_runtime(sqlite_url)
    connections = [runtime.engine.connect() for _ in range(3)]  # each pooled connection
    try:
        for connection in connections:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        with pytest.raises(IntegrityError), runtime.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO action_owners (action_id, member_id, position) "
                    "VALUES (9999, 9999, 0)"
                )
            )
    finally:
        for connection in connections:
            connection.close()
        runtime.engine.dispose()
