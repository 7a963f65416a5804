"""The running bot: one engine, its sessions, the request workers, and the wall clock.

Running a request (its transaction, the commit rule, replays) is ``handlers.run``'s; the
runtime only hands it the session factory. Async adapters call ``run_in_thread`` so that
database work stays off the event loop.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from datetime import datetime
from functools import partial
from typing import TypeVar

from sqlalchemy import Engine, text

from bot.config import Config
from db import migrate, queries
from db.models import Board, EventKind
from db.session import make_engine, make_session_factory
from handlers import run, web_access
from handlers.audit import record
from handlers.context import LINKS, Caller, Ctx, Links
from handlers.errors import UserError
from handlers.identity import Via
from handlers.reply import Reply
from handlers.run import Who

T = TypeVar("T")
SYSTEM = Caller(None, "system", Via.SYSTEM)
# Requests' database work is CPU-bound Python that holds the GIL. More threads than this only
# make the event loop wait longer for its turn, and the event loop is what acknowledges Slack
# (measured in bench/: acknowledgement p99 at 20 requests in flight fell from ~120 to ~30 ms).
WORKER_THREADS = 2


class Runtime:
    def __init__(self, config: Config, *, engine: Engine | None = None) -> None:
        self.config = config
        self.engine = engine or make_engine(config.database_url)
        # Every session carries how this process makes links (``handlers.run.unit`` puts them in
        # each request's ``Ctx.links``), whichever adapter opened it.
        self.sessions = make_session_factory(self.engine, info={LINKS: self.links})
        self._signing_keys: tuple[str, ...] = ()
        self.workers = ThreadPoolExecutor(WORKER_THREADS, thread_name_prefix="crb-request")
        # Awaited in order when `crb serve` shuts down (SIGTERM), after the server stops taking
        # new requests and before the process exits: the place to finish in-flight sends.
        self.on_shutdown: list[Callable[[], Awaitable[None]]] = []

    def prepare(self, now: datetime) -> None:
        """Bring the schema up to date (SQLite: automatically) and the board in line with config."""
        if self.engine.dialect.name == "sqlite":
            migrate.upgrade_if_behind(self.engine)
        elif not migrate.is_current(self.engine):
            raise UserError("The database schema is out of date: run `crb db upgrade` first.")
        with self.sessions() as session, session.begin():
            new = queries.default_board(session) is None
            board = queries.ensure_board(session, now, **self.config.board_settings())
            ctx = Ctx(session, board, SYSTEM, now)
            if new:  # the board's first audit event: when it came to be, and with what settings
                record(ctx, EventKind.BOARD_CHANGED, details=self._creation_details(board))
            self._apply_settings(ctx)

    @staticmethod
    def _creation_details(board: Board) -> dict[str, str]:
        settings = ("name", "timezone", "recurrence", "reminder_days", "digest_days")
        details = {name: str(getattr(board, name)) for name in settings}
        return {"created": "board", **details, "reminder_time": f"{board.reminder_time}"}

    def _apply_settings(self, ctx: Ctx) -> None:
        changed = {}
        for name, value in self.config.board_settings().items():
            if getattr(ctx.board, name) != value:
                changed[name] = str(value)
                setattr(ctx.board, name, value)
        if changed:
            record(ctx, EventKind.BOARD_CHANGED, details=changed)

    def signing_keys(self, now: datetime) -> tuple[str, ...]:
        """The keys that sign web sessions and links, newest first: ``CRB_SECRET_KEY``'s, or the
        one kept in the database (read once per process)."""
        if not self._signing_keys:
            keys = web_access.signing_keys(self.sessions, self.config.secret_keys, now)
            self._signing_keys = tuple(keys)
        return self._signing_keys

    def links(self, now: datetime) -> Links:
        """Where links point (``CRB_PUBLIC_URL``) and what signs them; the keys are read only
        when a link is made."""
        return Links(self.config.link_base, partial(self.signing_keys, now))

    def unit(
        self, who: Who, now: datetime, board: str | None = None
    ) -> AbstractContextManager[Ctx]:
        """A request's context (``handlers.run.unit``) on ``board`` (a short code; None: the
        caller's only board, or the only one): commit in the body, or it rolls back."""
        return run.unit(self.sessions, who, now, board)

    def execute(self, who: Who, text: str, now: datetime, board: str | None = None) -> Reply:
        """Run one typed command (``handlers.run.run_command``)."""
        return run.run_command(self.sessions, who, text, now, board=board)

    def first_time(self, platform: str, key: str, now: datetime) -> bool:
        return run.first_time(self.sessions, platform, key, now)

    def healthy(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def run_in_thread(self, function: Callable[..., T], *args: object) -> T:
        """Run database work on the request workers, with the caller's context (its log ids)."""
        call = partial(contextvars.copy_context().run, function, *args)
        return await asyncio.get_running_loop().run_in_executor(self.workers, call)
