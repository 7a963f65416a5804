"""Queries that more than one use-case needs."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from db.models import (
    Action,
    ActionOwner,
    ActionStatus,
    AuditEvent,
    Board,
    EventKind,
    Meeting,
    MeetingStatus,
    Member,
    Role,
)

DEFAULT_BOARD_NAME = "Crime Reduction Board"


def default_board(session: Session) -> Board | None:
    return session.scalars(select(Board).order_by(Board.id).limit(1)).first()


def ensure_board(session: Session, now: datetime, **settings: object) -> Board:
    """The first board, created with ``settings`` if there is none yet."""
    board = default_board(session)
    if board is None:
        board = Board(name=DEFAULT_BOARD_NAME, created_at=now)
        for key, value in settings.items():
            if value is not None:
                setattr(board, key, value)
        session.add(board)
        session.flush()
    return board


def members(session: Session, board: Board) -> Sequence[Member]:
    return session.scalars(
        select(Member).where(Member.board_id == board.id).order_by(Member.initials)
    ).all()


def member_by_initials(session: Session, board: Board, initials: str) -> Member | None:
    return session.scalars(
        select(Member).where(
            Member.board_id == board.id, func.upper(Member.initials) == initials.upper()
        )
    ).first()


def member_by_identity(session: Session, board: Board, **identity: str) -> Member | None:
    """The member with this slack_id, teams_id or email (matched case-insensitively)."""
    ((field, value),) = identity.items()
    column = getattr(Member, field)
    condition = func.lower(column) == value.lower() if field == "email" else column == value
    return session.scalars(select(Member).where(Member.board_id == board.id, condition)).first()


def officers(session: Session, board: Board) -> Sequence[Member]:
    return session.scalars(
        select(Member)
        .where(
            Member.board_id == board.id,
            Member.role.in_([Role.CHAIR, Role.SECRETARIAT]),
            Member.active.is_(True),
        )
        .order_by(Member.role, Member.name)
    ).all()


def actions(
    session: Session,
    board: Board,
    *,
    status: ActionStatus | None = None,
    owner: Member | None = None,
    item: str | None = None,
) -> Sequence[Action]:
    """The board's actions, oldest meeting first, in minutes order."""
    query = _in_minutes_order(board)
    if status is not None:
        query = query.where(Action.status == status)
    if item is not None:
        query = query.where(Action.item == item)
    if owner is not None:
        query = query.where(
            Action.id.in_(select(ActionOwner.action_id).where(ActionOwner.member_id == owner.id))
        )
    return session.scalars(query).all()


def open_actions_by_owner(
    session: Session, board: Board, member_ids: Collection[int]
) -> dict[int, list[Action]]:
    """Each of these members' open actions, as ``actions`` lists them: one query for them all.

    A joint action is in each of its owners' lists; a member with none is left out.
    """
    wanted = set(member_ids)
    query = _in_minutes_order(board).where(
        Action.status == ActionStatus.OPEN,
        Action.id.in_(select(ActionOwner.action_id).where(ActionOwner.member_id.in_(wanted))),
    )
    owned: dict[int, list[Action]] = {}
    for action in session.scalars(query):
        for link in action.owner_links:
            if link.member_id in wanted:
                owned.setdefault(link.member_id, []).append(action)
    return owned


def _in_minutes_order(board: Board) -> Select[tuple[Action]]:
    return (
        select(Action)
        .join(Action.meeting)
        .where(Action.board_id == board.id)
        .options(selectinload(Action.meeting), selectinload(Action.done_by))
        .order_by(Meeting.date, Action.position)
    )


def open_rivals(
    session: Session, board: Board, items: Collection[str], owner_ids: Collection[int]
) -> Sequence[Action]:
    """The board's open actions under ``items`` owned by any of ``owner_ids``, or by nobody.

    A REF is the item and the owners' initials, so only these can share one with actions under
    those items owned by those members: naming a few actions needs a few rows, not the board.
    """
    shares_an_owner = Action.id.in_(
        select(ActionOwner.action_id).where(ActionOwner.member_id.in_(list(owner_ids)))
    )
    unowned = ~Action.owner_links.any()
    return session.scalars(
        select(Action)
        .where(
            Action.board_id == board.id,
            Action.status == ActionStatus.OPEN,
            Action.item.in_(list(items)),
            or_(shares_an_owner, unowned),
        )
        .options(selectinload(Action.meeting), selectinload(Action.done_by))
    ).all()


def open_action_owners(session: Session, board: Board) -> list[tuple[int, tuple[int, ...]]]:
    """Each open action's id with its owners' ids, in owner order: what planning needs, no more.

    Reminder planning reads every open action each minute; whole ORM objects for 100,000 actions
    cost seconds, these rows a fraction of one. They are read through the Core connection: the
    ORM's per-row processing of 100,000 plain tuples alone took half the tick's time.
    """
    rows = session.connection().execute(
        select(Action.id, ActionOwner.member_id)
        .outerjoin(ActionOwner, ActionOwner.action_id == Action.id)
        .where(Action.board_id == board.id, Action.status == ActionStatus.OPEN)
        .order_by(Action.id, ActionOwner.position)
    )
    owners: dict[int, list[int]] = {}
    for action_id, member_id in rows:
        listed = owners.setdefault(action_id, [])
        if member_id is not None:
            listed.append(member_id)
    return [(action_id, tuple(ids)) for action_id, ids in owners.items()]


def meetings(session: Session, board: Board) -> Sequence[Meeting]:
    return session.scalars(
        select(Meeting).where(Meeting.board_id == board.id).order_by(Meeting.date)
    ).all()


def meeting_on(session: Session, board: Board, day: date) -> Meeting | None:
    return session.scalars(
        select(Meeting).where(Meeting.board_id == board.id, Meeting.date == day)
    ).first()


def latest_meeting_before(session: Session, board: Board, today: date) -> Meeting | None:
    return session.scalars(
        select(Meeting)
        .where(
            Meeting.board_id == board.id,
            Meeting.date <= today,
            Meeting.status != MeetingStatus.CANCELLED,
        )
        .order_by(Meeting.date.desc())
        .limit(1)
    ).first()


def latest_updates(session: Session, action_ids: Iterable[int]) -> dict[int, AuditEvent]:
    """Each action's most recent update: a note, or the note given when it was closed."""
    ids = list(action_ids)
    if not ids:
        return {}
    newest = (
        select(AuditEvent.action_id, func.max(AuditEvent.id).label("id"))
        .where(
            AuditEvent.action_id.in_(ids),
            AuditEvent.kind.in_([EventKind.NOTE, EventKind.DONE]),
            AuditEvent.note.is_not(None),
        )
        .group_by(AuditEvent.action_id)
        .subquery()
    )
    rows = session.scalars(select(AuditEvent).join(newest, AuditEvent.id == newest.c.id))
    return {event.action_id: event for event in rows if event.action_id is not None}


def audit_trail(session: Session, action: Action) -> Sequence[AuditEvent]:
    return session.scalars(
        select(AuditEvent).where(AuditEvent.action_id == action.id).order_by(AuditEvent.id)
    ).all()
