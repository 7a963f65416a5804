"""Running one request: the one way every adapter changes (or reads) the board.

An adapter (Slack, Teams, the console, the web desk, an email link) hands over who is asking
(an ``Account``, or a fixed ``Caller`` for operators), what they asked (a parsed ``Command``, or
the text they typed) and the time; it gets a ``Reply`` back. This module owns:

- the session and its one transaction;
- identity: the account is looked up with ``handlers.identity`` inside that transaction;
- the commit rule: commit only when the reply says the board changed, roll back otherwise, so a
  refusal or an error never leaves anything half done;
- replays: a request key seen before is refused with ``REPLAYED``, and never run twice. The key
  is kept in the transaction that commits the change, so a request costs no write of its own.

The audit event is written by the use-case itself (``handlers.audit.record``), with the caller's
channel, in the same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from db.models import Board, ProcessedEvent
from handlers import uploads
from handlers.boards import choose_board, choose_first_board
from handlers.commands import Command
from handlers.context import LINKS, Caller, Ctx
from handlers.dispatch import handle, run
from handlers.errors import UserError
from handlers.identity import (
    Account,
    first_seat_with_email,
    identify,
    link_by_email,
    seat_boards,
)
from handlers.reply import Reply, Room
from handlers.routing import Route, grouped, route

log = logging.getLogger("crb.run")

Sessions = sessionmaker[Session]
Who = Account | Caller  # an account to look up, or an operator/system caller as it is
UseCase = Callable[[Ctx], Reply]
RequestKey = tuple[str, str]  # (platform, the request's own key): a signature, an activity id

REPLAYED = "This exact request was already received and handled, so nothing was changed again."
REQUEST_MEMORY = timedelta(days=1)  # longer than any platform retries or accepts a signature


@contextmanager
def unit(sessions: Sessions, who: Who, now: datetime, board: str | None = None) -> Iterator[Ctx]:
    """One request's context on ``board`` (a short code; ``None``: the board ``who`` sits on,
    or the only one). The body decides: ``ctx.session.commit()`` or leave to roll back.
    Raises ``BoardNeeded`` when several boards could be meant."""
    with sessions() as session, _unit_on(session, board_for(session, who, board), who, now) as ctx:
        yield ctx


def board_for(session: Session, who: Who, board: Board | str | None) -> Board:
    """The board given or named, else the one board the account has a seat on, else the only
    board."""
    if isinstance(board, Board):
        return board
    if board is None and isinstance(who, Account):
        boards = seat_boards(session, who)
        if len(boards) == 1:
            return boards[0]
    return choose_board(session, board)


@contextmanager
def _unit_on(
    session: Session, board: Board, who: Who, now: datetime, room: Room | None = None
) -> Iterator[Ctx]:
    caller = identify(session, board, who) if isinstance(who, Account) else who
    links = session.info.get(LINKS)  # the runtime's: where links point, what signs them
    try:
        yield Ctx(session, board, caller, now, links(now) if links else None, room)
    finally:
        if session.in_transaction():
            session.rollback()


def run_use_case(
    sessions: Sessions, who: Who, now: datetime, use_case: UseCase, board: str | None = None
) -> Reply:
    """Run ``use_case`` in one transaction; commit only if its reply changed the board."""
    with sessions() as session:
        return _run_use_case_in(session, who, now, use_case, board)


def _run_use_case_in(
    session: Session,
    who: Who,
    now: datetime,
    use_case: UseCase,
    board: Board | str | None,
    request_key: RequestKey | None = None,
    room: Room | None = None,
) -> Reply:
    try:
        chosen = board_for(session, who, board)
    except UserError as error:  # no such board, or several and none named
        return Reply.error(error.message, *error.hints)
    with _unit_on(session, chosen, who, now, room) as ctx:
        try:
            reply = use_case(ctx)
            if reply.changed:
                if request_key is not None:
                    _remember_in(session, request_key, now)
                session.commit()
            return reply
        except IntegrityError:
            # The same request, run at the same moment, may have made its change first: this
            # run's change (or its key) then clashes with that one. Any other clash is a fault.
            session.rollback()
            if request_key is not None and _seen(session, request_key):
                return _replayed(request_key)
            raise


def run_command(
    sessions: Sessions,
    who: Who,
    command: Command | str,
    now: datetime,
    *,
    request_key: RequestKey | None = None,
    board: str | None = None,
    channel: str | None = None,
    room: Room | None = None,
) -> Reply:
    """Run one command (parsed, or as typed) as ``who`` at ``now``.

    ``request_key`` (platform, key) names the request itself, such as a Slack signature or a
    Teams activity id: a key seen before is a replay and is refused without running anything.
    A key is kept only with a change, in its transaction: a request that changed nothing (a
    read, a refusal) may run again, and answers the same. ``room``: how much of a long list the
    caller's screen shows (``Room``); views are built for that much only.
    ``board`` fixes the board (the console's ``--board``); without it, a chat account's request
    goes where ``handlers.routing`` sends it, using the ``channel`` it was typed in (a Slack
    channel or Teams conversation id) when that channel is bound to a board.
    """
    with sessions() as session:
        if request_key is not None and _seen(session, request_key):
            return _replayed(request_key)
        if board is None and isinstance(who, Account):
            try:
                chosen = route(session, who, command, channel)
            except UserError as error:  # a board named that does not exist
                return Reply.error(error.message, *error.hints)
            if chosen is not None:
                return _run_routed(session, who, now, chosen, request_key, room)
        return _run_use_case_in(session, who, now, _running(command), board, request_key, room)


def _replayed(request_key: RequestKey) -> Reply:
    log.warning("a %s request was received again: not run again", request_key[0])
    return Reply(REPLAYED)


def _running(command: Command | str) -> UseCase:
    if isinstance(command, str):
        return lambda ctx: handle(ctx, command)
    return lambda ctx: run(ctx, command)


def _run_routed(
    session: Session,
    who: Account,
    now: datetime,
    chosen: Route,
    request_key: RequestKey | None,
    room: Room | None,
) -> Reply:
    """The routed request: answered already, run on its board, or read on each and grouped."""
    running = _running(chosen.command)
    if chosen.reply is not None:
        return chosen.reply
    if len(chosen.boards) == 1:
        board = chosen.boards[0]
        return _run_use_case_in(session, who, now, running, board, request_key, room)
    return _read_on_each(session, who, now, chosen.boards, running)


def _read_on_each(
    session: Session, who: Account, now: datetime, boards: Sequence[Board], read: UseCase
) -> Reply:
    """A read (``mine``, ``next``, a home) on each board, as the caller's seat there, grouped."""
    parts = []
    for board in boards:
        with _unit_on(session, board, who, now) as ctx:
            parts.append((board, read(ctx)))
    return grouped(parts)


def read_on_every_board(sessions: Sessions, who: Account, now: datetime, read: UseCase) -> Reply:
    """A read about the caller (the Slack Home tab) on every board they sit on, grouped by
    board; on their one board (or, for a stranger, the first board) as it always was."""
    with sessions() as session:
        boards = seat_boards(session, who)
        if len(boards) > 1:
            return _read_on_each(session, who, now, boards, read)
        board = boards[0] if boards else choose_first_board(session)
        with _unit_on(session, board, who, now) as ctx:
            return read(ctx)


def upload_refusal(sessions: Sessions, who: Account, now: datetime) -> Reply | None:
    """Why ``who`` may not send minutes in chat (asked before the file is fetched), or None."""
    with sessions() as session:
        try:
            board = board_for(session, who, uploads.upload_board(session, who))
            with _unit_on(session, board, who, now) as ctx:
                uploads.require_importer(ctx)
        except UserError as error:
            return Reply.error(error.message)
    return None


def stage_minutes(sessions: Sessions, who: Account, name: str, data: bytes, now: datetime) -> Reply:
    """Minutes sent in chat: previewed (a dry run, rolled back) and kept for "Import"."""
    try:
        with sessions() as session:
            board = uploads.upload_board(session, who)
        with unit(sessions, who, now, board) as ctx:
            preview = uploads.dry_run(ctx, name, data)  # rolled back when the unit ends
        return run_use_case(
            sessions, who, now, lambda ctx: uploads.stage(ctx, name, data, preview), board
        )
    except UserError as error:
        return Reply.error(error.message, *error.hints, "Nothing was imported.")


def link_account_by_email(
    sessions: Sessions,
    linker: Caller,
    field: str,
    account_id: str,
    emails: Sequence[str],
    now: datetime,
) -> int | None:
    """Link a platform account to the active member with one of ``emails``, in one transaction
    (``handlers.identity.link_by_email`` checks for clashes inside it). The member's id, or None.
    """
    with sessions() as session:
        seat = next(filter(None, (first_seat_with_email(session, e) for e in emails)), None)
        if seat is None:
            return None
        with _unit_on(session, seat.board, linker, now) as ctx:
            member = link_by_email(ctx, field, account_id, emails)
            if member is None:
                return None
            ctx.session.commit()
            return member.id


def first_time(sessions: Sessions, platform: str, key: str, now: datetime) -> bool:
    """Whether this platform's request or event ``key`` is new (then it is remembered).

    A duplicate delivery, or a request sent again byte for byte, finds its key here and is
    not run a second time. Keys are forgotten after ``REQUEST_MEMORY``.
    """
    with sessions() as session:
        return _remember(session, platform, key, now)


def _remember(session: Session, platform: str, key: str, now: datetime) -> bool:
    """``first_time`` in ``session``, in a transaction of its own, committed on return."""
    try:
        with session.begin():
            _remember_in(session, (platform, key), now)
    except IntegrityError:
        return False
    return True


def _remember_in(session: Session, request_key: RequestKey, now: datetime) -> None:
    """Keep ``request_key`` in the session's transaction (``IntegrityError`` when it is kept
    already: roll back). Keys older than ``REQUEST_MEMORY`` are forgotten on the way."""
    platform, key = request_key
    forgotten = ProcessedEvent.received_at < now - REQUEST_MEMORY
    session.execute(delete(ProcessedEvent).where(forgotten))
    session.add(ProcessedEvent(platform=platform, event_id=key, received_at=now))
    session.flush()


def _seen(session: Session, request_key: RequestKey) -> bool:
    """Whether a change was already made by this request (a read: nothing is written)."""
    platform, key = request_key
    return session.execute(_SEEN, {"platform": platform, "key": key}).first() is not None


_SEEN = select(ProcessedEvent.id).where(
    ProcessedEvent.platform == bindparam("platform"), ProcessedEvent.event_id == bindparam("key")
)
