"""`crb serve`: one aiohttp application for Slack, Teams and /healthz."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from aiohttp import web

from bot.config import Config
from bot.runtime import Runtime

log = logging.getLogger("crb.server")
RUNTIME = web.AppKey("runtime", Runtime)


async def healthz(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    if await runtime.run_in_thread(runtime.healthy):
        return web.json_response({"status": "ok", "database": "ok"})
    return web.json_response({"status": "unavailable", "database": "unreachable"}, status=503)


def make_app(runtime: Runtime, *, clock: Callable[[], datetime] | None = None) -> web.Application:
    app = web.Application()
    app[RUNTIME] = runtime
    app.router.add_get("/healthz", healthz)
    if runtime.config.teams_enabled:
        from bot.teams import mount_teams  # the Agents SDK is the optional [teams] extra

        mount_teams(app, runtime, **({"clock": clock} if clock else {}))
    return app


def serve(config: Config, port: int, *, scheduler: bool = True) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    runtime = Runtime(config)
    runtime.prepare(datetime.now(UTC))
    if scheduler:
        log.info("the reminder scheduler is not wired yet in this build")
    web.run_app(make_app(runtime), host="0.0.0.0", port=port, print=None)
