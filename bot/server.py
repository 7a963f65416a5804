"""`crb serve`: one aiohttp application for Slack, Teams and /healthz."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from aiohttp import web

from bot.config import Config
from bot.runtime import Runtime

if TYPE_CHECKING:
    from bot.slack import SlackBot

log = logging.getLogger("crb.server")
RUNTIME = web.AppKey("runtime", Runtime)
EVENTS = "/slack/events"


async def healthz(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    if await runtime.run_in_thread(runtime.healthy):
        return web.json_response({"status": "ok", "database": "ok"})
    return web.json_response({"status": "unavailable", "database": "unreachable"}, status=503)


def make_app(runtime: Runtime, *, slack: SlackBot | None = None) -> web.Application:
    app = web.Application()
    app[RUNTIME] = runtime
    app.router.add_get("/healthz", healthz)
    # Slack: POST /slack/events over HTTP, or a Socket Mode connection when SLACK_APP_TOKEN is set.
    from bot.slack import slack_bot_from_config

    slack = slack or slack_bot_from_config(runtime)
    if slack is not None:
        slack.attach(app)
        log.info("Slack is on (%s)", "Socket Mode" if slack.socket_mode else f"HTTP {EVENTS}")
    return app


def serve(config: Config, port: int, *, scheduler: bool = True) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    runtime = Runtime(config)
    runtime.prepare(datetime.now(UTC))
    if scheduler:
        log.info("the reminder scheduler is not wired yet in this build")
    web.run_app(make_app(runtime), host="0.0.0.0", port=port, print=_announce)


def _announce(message: str) -> None:
    """aiohttp's start-up line, with the real port (``--port 0`` picks a free one)."""
    log.info("crb serve: %s", message.splitlines()[0].strip("= "))
