"""The sent-message ledger: claim a message before sending it, record what happened after.

Every reminder has one row, keyed by (recipient, meeting, slot). A ticker first makes sure the
rows exist (an insert that ignores conflicts), then claims them, several at a time:
- on PostgreSQL with ``SELECT … FOR UPDATE SKIP LOCKED`` and an update, so a second process
  skips a row the first is claiming instead of waiting for it;
- on SQLite with one conditional ``UPDATE … RETURNING`` whose rows say which this ticker won
  (SQLite has one writer at a time, so each row is returned to exactly one of several tickers).
The claim is a lease: the row is SENDING until ``lease_until``. A ticker that dies after
claiming leaves the row to be claimed again once the lease has run out, never sooner, so the
same message is never being sent by two tickers at once.

After sending, the claimant records the outcome under its claim token. A failure is retried on a
later tick with exponential backoff (or the platform's Retry-After, when it is longer).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from db.models import NOTICE, Base, DeliveryState, LedgerEntry, Meeting
from planning.plan import Due, LedgerFact, MeetingFact

log = logging.getLogger("crb.ledger")

LEASE = timedelta(minutes=5)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)


@dataclass(frozen=True)
class Claim:
    """A ticker's hold on one ledger row: only the holder of ``token`` may record the outcome."""

    entry_id: int
    token: str
    attempts: int


def insert_ignoring_conflict(session: Session, model: type[Base], values: dict[str, Any]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING on either backend. True when a row was inserted."""
    insert = _insert(model, session.get_bind().dialect.name)
    result = session.execute(insert.values(**values).on_conflict_do_nothing())
    return result.rowcount == 1


def _insert(model: type[Base], dialect: str) -> Any:
    """An INSERT that can take ON CONFLICT: each backend has its own construct."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def claimable(now: datetime) -> Any:
    """The SQL twin of ``plan.is_claimable``, checked again atomically at claim time."""
    return or_(
        LedgerEntry.state.in_([DeliveryState.PENDING, DeliveryState.UNREACHABLE]),
        and_(
            LedgerEntry.state == DeliveryState.RETRY,
            or_(LedgerEntry.next_attempt_at.is_(None), LedgerEntry.next_attempt_at <= now),
        ),
        and_(
            LedgerEntry.state == DeliveryState.SENDING,
            or_(LedgerEntry.lease_until.is_(None), LedgerEntry.lease_until <= now),
        ),
    )


def claim(
    sessions: sessionmaker[Session],
    board_id: int,
    wanted: Sequence[tuple[Due, int]],
    now: datetime,
    *,
    lease: timedelta = LEASE,
) -> list[Claim | None]:
    """Claim each (message, meeting id) for this ticker: a Claim, or None where another ticker
    has it or it is settled. Two transactions for all of them, however many."""
    if not wanted:
        return []
    with sessions() as session, session.begin():
        connection = session.connection()
        connection.execute(
            _insert(LedgerEntry, connection.dialect.name).on_conflict_do_nothing(),
            [_pending(board_id, due, meeting_id, now) for due, meeting_id in wanted],
        )
    token = str(uuid.uuid4())  # marks the rows claimed here: only its holder records outcomes
    taken: dict[tuple[int, int, str], Row[Any]] = {}
    with sessions() as session, session.begin():
        connection = session.connection()
        # One statement per (meeting, slot), naming its recipients: SQLite then finds the rows
        # by the unique key's index, where a list of (recipient, meeting, slot) rows scans them.
        for (meeting_id, slot), recipients in _by_slot(wanted).items():
            where = and_(
                LedgerEntry.board_id == board_id,
                LedgerEntry.recipient_id.in_(recipients),
                LedgerEntry.meeting_id == meeting_id,
                LedgerEntry.slot == slot,
                claimable(now),
            )
            for row in _take(connection, where, token, now, lease):
                taken[(row.recipient_id, meeting_id, slot)] = row
    keys = [(due.recipient_id, meeting_id, due.slot) for due, meeting_id in wanted]
    return [Claim(row.id, token, row.attempts) if (row := taken.get(k)) else None for k in keys]


def _by_slot(wanted: Sequence[tuple[Due, int]]) -> dict[tuple[int, str], list[int]]:
    recipients: dict[tuple[int, str], list[int]] = {}
    for due, meeting_id in wanted:
        recipients.setdefault((meeting_id, due.slot), []).append(due.recipient_id)
    return recipients


def _take(
    connection: Connection, where: Any, token: str, now: datetime, lease: timedelta
) -> Sequence[Row[Any]]:
    """Mark the claimable rows ``where`` selects as this ticker's; the rows it won."""
    if connection.dialect.name == "postgresql":
        # Rows another ticker is claiming right now are skipped, not waited for.
        ids = connection.scalars(
            select(LedgerEntry.id).where(where).with_for_update(skip_locked=True)
        ).all()
        where = LedgerEntry.id.in_(ids)
    return connection.execute(
        update(LedgerEntry)
        .where(where)
        .values(
            state=DeliveryState.SENDING,
            claim_token=token,
            lease_until=now + lease,
            attempts=LedgerEntry.attempts + 1,
            updated_at=now,
        )
        .returning(LedgerEntry.id, LedgerEntry.attempts, LedgerEntry.recipient_id)
    ).all()


def _pending(board_id: int, due: Due, meeting_id: int, now: datetime) -> dict[str, Any]:
    return {
        "board_id": board_id,
        "recipient_id": due.recipient_id,
        "meeting_id": meeting_id,
        "slot": due.slot,
        "kind": due.kind,
        "due_at": due.at,
        "state": DeliveryState.PENDING,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }


def _settle(sessions: sessionmaker[Session], claimed: Claim, now: datetime, **values: Any) -> bool:
    """Record an outcome, only if this ticker still holds the claim."""
    with sessions() as session, session.begin():
        result = session.connection().execute(
            update(LedgerEntry)
            .where(LedgerEntry.id == claimed.entry_id, LedgerEntry.claim_token == claimed.token)
            .values(claim_token=None, lease_until=None, updated_at=now, **values)
        )
    if result.rowcount != 1:
        # The lease ran out before the send finished and another ticker took over.
        log.warning("ledger entry %s: the claim was lost before the outcome was recorded", claimed)
        return False
    return True


def mark_sent(
    sessions: sessionmaker[Session],
    claimed: Claim,
    now: datetime,
    *,
    platform: str,
    refs: Sequence[str],
) -> bool:
    return _settle(
        sessions,
        claimed,
        now,
        state=DeliveryState.SENT,
        platform=platform,
        sent_at=now,
        next_attempt_at=None,
        last_error=None,
        action_refs=list(refs),
    )


def mark_unreachable(
    sessions: sessionmaker[Session], claimed: Claim, now: datetime, *, refs: Sequence[str]
) -> bool:
    return _settle(
        sessions,
        claimed,
        now,
        state=DeliveryState.UNREACHABLE,
        platform="none",
        last_error="no channel could reach the recipient",
        action_refs=list(refs),
    )


def mark_skipped(sessions: sessionmaker[Session], claimed: Claim, now: datetime) -> bool:
    return _settle(sessions, claimed, now, state=DeliveryState.SKIPPED)


def retry_delay(attempts: int, retry_after: float | None = None) -> timedelta:
    """1, 2, 4 … minutes, at most an hour; never sooner than the platform asked."""
    backoff = min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)
    if retry_after is not None:
        backoff = max(backoff, timedelta(seconds=retry_after))
    return backoff


def mark_failed(
    sessions: sessionmaker[Session],
    claimed: Claim,
    now: datetime,
    *,
    platform: str,
    error: str,
    permanent: bool,
    retry_after: float | None = None,
) -> datetime | None:
    """Record a failed send. Returns when it will be tried again (None: it will not)."""
    next_attempt = None if permanent else now + retry_delay(claimed.attempts, retry_after)
    _settle(
        sessions,
        claimed,
        now,
        state=DeliveryState.FAILED if permanent else DeliveryState.RETRY,
        platform=platform,
        next_attempt_at=next_attempt,
        last_error=error[:2000],
    )
    return next_attempt


def facts_for(session: Session, meeting_ids: Sequence[int]) -> list[LedgerFact]:
    """The ledger as the planner reads it, for the given meetings (of any boards)."""
    if not meeting_ids:
        return []
    rows = session.execute(
        select(
            LedgerEntry.recipient_id,
            LedgerEntry.meeting_id,
            LedgerEntry.slot,
            LedgerEntry.state,
            LedgerEntry.next_attempt_at,
            LedgerEntry.lease_until,
        ).where(LedgerEntry.meeting_id.in_(meeting_ids))
    )
    return [LedgerFact(*row) for row in rows]


def due_notices(
    session: Session, board_ids: Sequence[int], now: datetime, reachable: frozenset[int]
) -> dict[int, list[Due]]:
    """Each board's owners' notices waiting in the ledger (their outbox) that may be tried at
    ``now``, read in one statement for every board.

    One that no channel could reach waits until one can, as a nudge does. ``reachable`` holds
    member ids, which name one seat on one board, so one set serves every board.
    """
    rows = session.execute(
        select(
            LedgerEntry.board_id,
            LedgerEntry.recipient_id,
            LedgerEntry.slot,
            LedgerEntry.state,
            LedgerEntry.due_at,
            Meeting.id,
            Meeting.date,
            Meeting.time,
            Meeting.status,
        )
        .join(Meeting, Meeting.id == LedgerEntry.meeting_id)
        .where(
            LedgerEntry.board_id.in_(list(board_ids)),
            LedgerEntry.kind == NOTICE,
            claimable(now),
        )
        .order_by(LedgerEntry.id)
    )
    notices: dict[int, list[Due]] = {}
    for board_id, recipient_id, slot, state, due_at, meeting_id, day, at, status in rows:
        if state == DeliveryState.UNREACHABLE and recipient_id not in reachable:
            continue
        notices.setdefault(board_id, []).append(
            Due(
                kind=NOTICE,
                slot=slot,
                days_before=None,
                at=due_at,
                recipient_id=recipient_id,
                meeting=MeetingFact(meeting_id, day, at, status),
                action_ids=(),
            )
        )
    return notices
