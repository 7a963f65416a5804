"""The web desk's pages on the benchmark board: each GET's time, signed in as the chair.

The real application (``bot.server.make_app``) in-process on loopback, so the time is the
server's work for the page (session, database, template) plus a loopback round trip. The goal
(issue 17): the board page and the actions list at p50 under 50 ms on the benchmark board's
400 open actions.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import requests
from sqlalchemy import func, select

from bench.latency import quantile
from bench.report import Result
from bot.config import Config
from bot.runtime import Runtime
from bot.server import make_app
from db import queries
from db.models import Action, ActionStatus, Role
from handlers import web_access
from tests.loopback import LoopbackServer

# Each page: its path and the text that shows it rendered in full.
PAGES = [
    ("/", "board page", "Reminders planned"),
    ("/actions", "actions list", "Show actions"),
]
GOAL_MS = 50.0


def _chair_session(runtime: Runtime, now: datetime) -> tuple[str, int]:
    """A session cookie for the board's chair, and the board's open actions."""
    keys = runtime.signing_keys(now)
    with runtime.sessions() as session, session.begin():
        board = queries.default_board(session)
        chair = next(m for m in queries.officers(session, board) if m.role == Role.CHAIR)
        cookie = web_access.start_session(session, chair, keys, now, via="link")
        open_actions = session.scalar(
            select(func.count()).where(
                Action.board_id == board.id, Action.status == ActionStatus.OPEN
            )
        )
    return cookie, open_actions or 0


def measure(database_url: str, label: str, *, renders: int) -> list[Result]:
    now = datetime.now(UTC)
    runtime = Runtime(Config(database_url=database_url))
    runtime.prepare(now)
    cookie, open_actions = _chair_session(runtime, now)
    results = []
    with LoopbackServer(make_app(runtime, clock=lambda: now)) as server:
        browser = requests.Session()
        browser.cookies.set("crb_session", cookie)
        for path, name, shown in PAGES:
            timings = []
            for n in range(renders + 3):  # three to warm the caches first
                started = time.perf_counter()
                page = browser.get(server.base_url + path, timeout=30, allow_redirects=False)
                elapsed = time.perf_counter() - started
                if page.status_code != 200 or shown not in page.text:
                    raise RuntimeError(f"{path} did not render ({page.status_code})")
                if n >= 3:
                    timings.append(elapsed * 1000)
            p50 = quantile(timings, 0.5)
            results.append(
                Result(
                    "web desk",
                    f"GET {path} ({name}), p50 of {renders}, {open_actions} open actions, {label}",
                    p50,
                    "ms",
                    f"< {GOAL_MS:g} ms",
                    p50 < GOAL_MS,
                )
            )
    runtime.engine.dispose()
    return results
