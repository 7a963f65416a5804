"""`crb serve`: one aiohttp application for Slack, Teams and /healthz."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from aiohttp import web

from bot.config import Config
from bot.delivery import build_channels
from bot.runtime import Runtime
from scheduler.jobs import Ticker

if TYPE_CHECKING:
    from bot.slack import SlackBot

log = logging.getLogger("crb.server")
RUNTIME = web.AppKey("runtime", Runtime)
TICKER = web.AppKey("ticker", Ticker)
EVENTS = "/slack/events"


async def healthz(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    ticker = request.app.get(TICKER)
    scheduler = {"scheduler": ticker.health()} if ticker is not None else {}
    if await runtime.run_in_thread(runtime.healthy):
        return web.json_response({"status": "ok", "database": "ok", **scheduler})
    return web.json_response(
        {"status": "unavailable", "database": "unreachable", **scheduler}, status=503
    )


def make_app(
    runtime: Runtime,
    ticker: Ticker | None = None,
    *,
    slack: SlackBot | None = None,
    clock: Callable[[], datetime] | None = None,
) -> web.Application:
    app = web.Application()
    app[RUNTIME] = runtime
    app.router.add_get("/healthz", healthz)
    if ticker is not None:
        app[TICKER] = ticker
        app.on_startup.append(_start_ticker)
        app.on_cleanup.append(_stop_ticker)
    # Slack: POST /slack/events over HTTP, or a Socket Mode connection when SLACK_APP_TOKEN is set.
    from bot.slack import slack_bot_from_config

    slack = slack or slack_bot_from_config(runtime)
    if slack is not None:
        slack.attach(app)
        log.info("Slack is on (%s)", "Socket Mode" if slack.socket_mode else f"HTTP {EVENTS}")
    if runtime.config.teams_enabled:
        from bot.teams import mount_teams  # the Agents SDK is the optional [teams] extra

        mount_teams(app, runtime, **({"clock": clock} if clock else {}))
    return app


async def _start_ticker(app: web.Application) -> None:
    app[TICKER].start()  # needs the running loop: AsyncIOScheduler ticks on it


async def _stop_ticker(app: web.Application) -> None:
    app[TICKER].stop()


def serve(config: Config, port: int, *, scheduler: bool = True) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    runtime = Runtime(config)
    runtime.prepare(datetime.now(UTC))
    ticker = Ticker(runtime.sessions, build_channels(config)) if scheduler else None
    if ticker is None:
        log.info("reminders are off in this process (--no-scheduler)")
    web.run_app(make_app(runtime, ticker), host="0.0.0.0", port=port, print=_announce)


def _announce(message: str) -> None:
    """aiohttp's start-up line, with the real port (``--port 0`` picks a free one)."""
    log.info("crb serve: %s", message.splitlines()[0].strip("= "))
