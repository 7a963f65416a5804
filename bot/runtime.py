"""The running bot: one engine, one session per request, and the rule for committing.

A request commits only when its reply says it changed the board; a refusal or an error rolls
everything back, so bad input never changes anything. Async adapters call ``run_in_thread`` so that
database work stays off the event loop.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial
from typing import TypeVar

from sqlalchemy import Engine, delete, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.config import Config
from db import migrate, queries
from db.models import Board, EventKind, ProcessedEvent
from db.session import make_engine, make_session_factory
from handlers import web_access
from handlers.audit import record
from handlers.context import Caller, Ctx, Links
from handlers.dispatch import handle
from handlers.errors import UserError
from handlers.plain import plain_line
from handlers.reply import Reply

T = TypeVar("T")
SYSTEM = Caller(None, "system")
REQUEST_MEMORY = timedelta(days=1)  # longer than any platform retries or accepts a signature
# Requests' database work is CPU-bound Python that holds the GIL. More threads than this only
# make the event loop wait longer for its turn, and the event loop is what acknowledges Slack
# (measured in bench/: acknowledgement p99 at 20 requests in flight fell from ~120 to ~30 ms).
WORKER_THREADS = 2


class Runtime:
    def __init__(self, config: Config, *, engine: Engine | None = None) -> None:
        self.config = config
        self.engine = engine or make_engine(config.database_url)
        self.sessions = make_session_factory(self.engine)
        self.workers = ThreadPoolExecutor(WORKER_THREADS, thread_name_prefix="crb-request")
        # Awaited in order when `crb serve` shuts down (SIGTERM), after the server stops taking
        # new requests and before the process exits: the place to finish in-flight sends.
        self.on_shutdown: list[Callable[[], Awaitable[None]]] = []
        self._signing_keys: tuple[str, ...] = ()

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
        return Links(self.config.link_base, partial(self.signing_keys, now))

    @contextmanager
    def unit(self, caller: Callable[[Session, Board], Caller], now: datetime) -> Iterator[Ctx]:
        """A request's context. The body decides: ``commit()`` or leave to roll back."""
        links = self.links(now)
        with self.sessions() as session:
            board = queries.default_board(session)
            if board is None:
                raise RuntimeError("No board: the database has not been prepared.")
            try:
                yield Ctx(session, board, caller(session, board), now, links)
            finally:
                if session.in_transaction():
                    session.rollback()

    def execute(
        self, caller: Callable[[Session, Board], Caller], text: str, now: datetime
    ) -> Reply:
        """Run one chat command; commit only if the reply changed the board."""
        with self.unit(caller, now) as ctx:
            reply = handle(ctx, text)
            if reply.changed:
                ctx.session.commit()
            return reply

    def first_time(self, platform: str, key: str, now: datetime) -> bool:
        """Whether this platform's request or event ``key`` is new (then it is remembered).

        A duplicate delivery, or a request sent again byte for byte, finds its key here and is
        not run a second time. Keys are forgotten after ``REQUEST_MEMORY``.
        """
        try:
            with self.sessions() as session, session.begin():
                forgotten = ProcessedEvent.received_at < now - REQUEST_MEMORY
                session.execute(delete(ProcessedEvent).where(forgotten))
                session.add(ProcessedEvent(platform=platform, event_id=key, received_at=now))
        except IntegrityError:
            return False
        return True

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


def by_initials(initials: str | None, label: str) -> Callable[[Session, Board], Caller]:
    def identify(session: Session, board: Board) -> Caller:
        typed = plain_line(initials) if initials else None
        member = queries.member_by_initials(session, board, typed) if typed else None
        return Caller(member, label)

    return identify
