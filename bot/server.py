"""`crb serve`: one aiohttp application for Slack, Teams, the web desk and /healthz.

The process logs JSON lines with a request id (``bot.logs``). SIGTERM and SIGINT shut it down
gracefully: it stops listening, runs ``Runtime.on_shutdown`` (where the scheduler and the adapters
finish their in-flight sends), lets requests in progress finish within ``SHUTDOWN_TIMEOUT``
seconds, then exits 0.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from aiohttp import web

from bot.config import Config
from bot.delivery import build_channels
from bot.logs import configure, request_id_middleware
from bot.runtime import Runtime
from bot.web import mount_web
from handlers.errors import UserError
from scheduler.clock import wall_clock
from scheduler.jobs import Ticker
from scheduler.simulated import SimulatedClock

if TYPE_CHECKING:
    from bot.slack import SlackBot

log = logging.getLogger("crb.server")
RUNTIME = web.AppKey("runtime", Runtime)
TICKER = web.AppKey("ticker", Ticker)
# Whatever reports the Slack connection: {"mode", "connected", "since"} (bot.slack.SlackBot).
SLACK_HEALTH = web.AppKey("slack_health", Callable[[], dict[str, object]])
EVENTS = "/slack/events"
UPLOAD_LIMIT = 20 * 1024 * 1024  # bytes in one request body
SHUTDOWN_TIMEOUT = 30.0  # seconds for requests in progress to finish after SIGTERM
TICK_STALE_AFTER = timedelta(minutes=3)  # the scheduler ticks each minute


def scheduler_health(ticker: Ticker | None, now: datetime) -> dict[str, object]:
    """The reminder clock as /healthz reports it: stale when a running clock has not ticked."""
    if ticker is None:
        return {"running": False, "last_tick": None, "last_error": None, "stale": False}
    health = ticker.health()
    last = ticker.last_tick
    health["stale"] = bool(health["running"]) and (last is None or now - last > TICK_STALE_AFTER)
    return health


async def healthz(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    database_ok = await runtime.run_in_thread(runtime.healthy)
    body = {
        "status": "ok" if database_ok else "unavailable",
        "database": "ok" if database_ok else "unreachable",
        "scheduler": scheduler_health(request.app.get(TICKER), wall_clock()),
    }
    if (slack := request.app.get(SLACK_HEALTH)) is not None:
        body["slack"] = slack()
    return web.json_response(body, status=200 if database_ok else 503)


async def run_shutdown_hooks(app: web.Application) -> None:
    """Runtime.on_shutdown, in order; one failing hook does not stop the others."""
    for hook in app[RUNTIME].on_shutdown:
        try:
            await hook()
        except Exception:
            log.exception("a shutdown hook failed", extra={"hook": getattr(hook, "__name__", "")})


def make_app(
    runtime: Runtime,
    ticker: Ticker | None = None,
    *,
    slack: SlackBot | None = None,
    clock: Callable[[], datetime] | None = None,
) -> web.Application:
    # Minutes uploaded on the web desk are Word files of a few megabytes at most.
    app = web.Application(middlewares=[request_id_middleware], client_max_size=UPLOAD_LIMIT)
    app[RUNTIME] = runtime
    app.router.add_get("/healthz", healthz)
    app.on_shutdown.append(run_shutdown_hooks)
    if ticker is not None:
        app[TICKER] = ticker
        app.on_startup.append(_start_ticker)
        runtime.on_shutdown.append(ticker.drain)  # SIGTERM lets a tick in flight finish its sends
    # Slack: POST /slack/events over HTTP, or a Socket Mode connection when SLACK_APP_TOKEN is set.
    from bot.slack import slack_bot_from_config

    slack = slack or slack_bot_from_config(runtime)
    if slack is not None:
        slack.attach(app)
        app[SLACK_HEALTH] = slack.health
        log.info("Slack is on (%s)", "Socket Mode" if slack.socket_mode else f"HTTP {EVENTS}")
    if runtime.config.teams_enabled:
        from bot.teams import mount_teams  # the Agents SDK is the optional [teams] extra

        mount_teams(app, runtime, **({"clock": clock} if clock else {}))
    mount_web(app, runtime, clock=clock or wall_clock, channels=ticker.channels if ticker else None)
    return app


async def _start_ticker(app: web.Application) -> None:
    app[TICKER].start()  # needs the running loop: AsyncIOScheduler ticks on it


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
    log.info("listening on http://%s:%d", host, bound, extra={"port": bound})
    if listening is not None:
        listening.set_result(bound)
    try:
        await stop.wait()
        log.info("shutting down: finishing work in progress")
    finally:
        await runner.cleanup()
    log.info("stopped")


def serve(
    config: Config,
    port: int,
    *,
    scheduler: bool = True,
    simulation: SimulatedClock | None = None,
) -> None:
    configure(logging.INFO, secrets=config.secrets())
    log.info("starting", extra={"config": repr(config), "scheduler": scheduler})
    if simulation is not None:
        refuse_simulation(config, scheduler=scheduler)
        log.warning(
            "TEST ONLY: reminders tick on a simulated clock",
            extra={"from": simulation.start.isoformat(), "until": simulation.until.isoformat()},
        )
    runtime = Runtime(config)
    runtime.prepare(wall_clock())
    ticker = (
        Ticker(
            runtime.sessions,
            build_channels(config, runtime.sessions),
            wall_clock,
            lease=config.claim_lease,
            simulation=simulation,
        )
        if scheduler
        else None
    )
    if ticker is None:
        log.info("reminders are off in this process (--no-scheduler)")
    asyncio.run(_serve_with_signals(make_app(runtime, ticker), port))


def refuse_simulation(config: Config, *, scheduler: bool) -> None:
    """A simulated clock sends a quarter's reminders in seconds: only ever to local stand-ins."""
    if not scheduler:
        raise UserError("--simulate-from drives the reminder ticker: drop --no-scheduler.")
    real = []
    if config.slack_bot_token and not _is_loopback(config.slack_api_url):
        real.append("Slack (SLACK_API_URL is not a local stand-in)")
    if config.teams_client_id:
        real.append("Teams (a bot registration is configured)")
    if config.smtp_url and not _is_loopback(config.smtp_url):
        real.append("email (SMTP_URL is not a local server)")
    if real:
        raise UserError(
            "The simulated clock is for tests only and would message real people through "
            + ", ".join(real)
            + ". Point every platform at a local stand-in, or drop --simulate-from."
        )


def _is_loopback(url: str) -> bool:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    return host in ("127.0.0.1", "::1", "localhost")


async def _serve_with_signals(app: web.Application, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await serve_until(app, port, stop)
