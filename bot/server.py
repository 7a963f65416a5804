"""`crb serve`: one aiohttp application for Slack, Teams and /healthz.

The process logs JSON lines with a request id (``bot.logs``). SIGTERM and SIGINT shut it down
gracefully: it stops listening, runs ``Runtime.on_shutdown`` (where the scheduler and the adapters
finish their in-flight sends), lets requests in progress finish within ``SHUTDOWN_TIMEOUT``
seconds, then exits 0.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import UTC, datetime, timedelta

from aiohttp import web

from bot.config import Config
from bot.logs import configure, request_id_middleware
from bot.runtime import Runtime

log = logging.getLogger("crb.server")
RUNTIME = web.AppKey("runtime", Runtime)
SHUTDOWN_TIMEOUT = 30.0  # seconds for requests in progress to finish after SIGTERM
TICK_STALE_AFTER = timedelta(minutes=3)  # the scheduler ticks each minute


def wall_clock() -> datetime:
    return datetime.now(UTC)


def scheduler_health(runtime: Runtime, now: datetime) -> dict[str, object]:
    last = runtime.last_tick
    return {
        "running": runtime.scheduler_running,
        "last_tick": last.isoformat() if last else None,
        "stale": runtime.scheduler_running and (last is None or now - last > TICK_STALE_AFTER),
    }


async def healthz(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    database_ok = await runtime.run_in_thread(runtime.healthy)
    body = {
        "status": "ok" if database_ok else "unavailable",
        "database": "ok" if database_ok else "unreachable",
        "scheduler": scheduler_health(runtime, wall_clock()),
    }
    return web.json_response(body, status=200 if database_ok else 503)


async def run_shutdown_hooks(app: web.Application) -> None:
    """Runtime.on_shutdown, in order; one failing hook does not stop the others."""
    for hook in app[RUNTIME].on_shutdown:
        try:
            await hook()
        except Exception:
            log.exception("a shutdown hook failed", extra={"hook": getattr(hook, "__name__", "")})


def make_app(runtime: Runtime) -> web.Application:
    app = web.Application(middlewares=[request_id_middleware])
    app[RUNTIME] = runtime
    app.router.add_get("/healthz", healthz)
    app.on_shutdown.append(run_shutdown_hooks)
    return app


async def serve_until(
    app: web.Application,
    port: int,
    stop: asyncio.Event,
    *,
    host: str = "0.0.0.0",
    listening: asyncio.Future[int] | None = None,
) -> None:
    """Serve ``app`` until ``stop`` is set, then shut down gracefully."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1]
    log.info("listening", extra={"port": bound})
    if listening is not None:
        listening.set_result(bound)
    try:
        await stop.wait()
        log.info("shutting down: finishing work in progress")
    finally:
        await runner.cleanup()
    log.info("stopped")


def serve(config: Config, port: int, *, scheduler: bool = True) -> None:
    configure(logging.INFO, secrets=config.secrets())
    log.info("starting", extra={"config": repr(config), "scheduler": scheduler})
    runtime = Runtime(config)
    runtime.prepare(wall_clock())
    if scheduler:
        log.info("the reminder scheduler is not wired yet in this build")
    asyncio.run(_serve_with_signals(make_app(runtime), port))


async def _serve_with_signals(app: web.Application, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await serve_until(app, port, stop)
