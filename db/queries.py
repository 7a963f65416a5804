"""Queries that more than one use-case needs."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from functools import cache
from typing import Any, NamedTuple, Protocol

from sqlalchemy import ColumnElement, CursorResult, Select, bindparam, func, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from db.models import (
    Action,
    ActionOwner,
    ActionStatus,
    AuditEvent,
    Board,
    DeliveryState,
    EventKind,
    LedgerEntry,
    Meeting,
    MeetingStatus,
    Member,
    Person,
    Role,
    SlackDmChannel,
    TeamsConversation,
    derive_short,
)

DEFAULT_BOARD_NAME = "Crime Reduction Board"


# Every request reads the board and its caller: these two statements are built once, at import,
# as the listings below are (see ``plain_rows``).
_DEFAULT_BOARD = select(Board).order_by(Board.id).limit(1)
_IDENTITY_MATCHES = {
    "slack_id": Person.slack_id == bindparam("value"),
    "teams_id": Person.teams_id == bindparam("value"),
    "email": func.lower(Person.email) == bindparam("value"),
}
_MEMBER_BY_IDENTITY = {
    field: select(Member).join(Member.person).where(Member.board_id == bindparam("board"), matches)
    for field, matches in _IDENTITY_MATCHES.items()
}
_PERSON_BY_IDENTITY = {
    field: select(Person).where(matches).order_by(Person.id).limit(1)
    for field, matches in _IDENTITY_MATCHES.items()
}
_SEATS_BY_IDENTITY = {
    field: select(Member)
    .join(Member.person)
    .join(Member.board)
    .where(matches, Member.active.is_(True))
    .order_by(Board.short)
    for field, matches in _IDENTITY_MATCHES.items()
}


def default_board(session: Session) -> Board | None:
    return session.scalars(_DEFAULT_BOARD).first()


def boards(session: Session) -> Sequence[Board]:
    """Every board, by short code."""
    return session.scalars(select(Board).order_by(Board.short)).all()


def board_count(session: Session) -> int:
    """How many boards there are: asked for every reminder, so a count, not the rows."""
    return session.scalar(select(func.count()).select_from(Board)) or 0


def board_by_short(session: Session, short: str) -> Board | None:
    """The board whose short code is ``short`` (any case)."""
    return session.scalars(
        select(Board).where(func.upper(Board.short) == short.strip().upper())
    ).first()


def board_by_channel(session: Session, field: str, channel: str) -> Board | None:
    """The board bound to this chat channel (``field``: "slack_channel" or "teams_channel")."""
    return session.scalars(select(Board).where(getattr(Board, field) == channel)).first()


def short_codes(session: Session) -> list[str]:
    return list(session.scalars(select(Board.short)))


def ensure_board(session: Session, now: datetime, **settings: object) -> Board:
    """The first board, created with ``settings`` if there is none yet."""
    board = default_board(session)
    if board is None:
        board = Board(name=DEFAULT_BOARD_NAME, created_at=now)
        for key, value in settings.items():
            if value is not None:
                setattr(board, key, value)
        board.short = board.short or derive_short(board.name)
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
    typed = value.lower() if field == "email" else value
    parameters = {"board": board.id, "value": typed}
    return session.scalars(_MEMBER_BY_IDENTITY[field], parameters).first()


def person_by_identity(session: Session, **identity: str) -> Person | None:
    """The person with this slack_id, teams_id or email (matched case-insensitively)."""
    ((field, value),) = identity.items()
    typed = value.lower() if field == "email" else value
    return session.scalars(_PERSON_BY_IDENTITY[field], {"value": typed}).first()


def seats_by_identity(session: Session, **identity: str) -> Sequence[Member]:
    """The active seats, on every board, of the person with this account (by board code)."""
    ((field, value),) = identity.items()
    typed = value.lower() if field == "email" else value
    return session.scalars(_SEATS_BY_IDENTITY[field], {"value": typed}).unique().all()


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
) -> dict[int, list[ListedAction]]:
    """Each of these members' open actions, as ``listed_actions`` lists them, for them all at once.

    A joint action is in each of its owners' lists; a member with none is left out.
    """
    wanted = set(member_ids)
    owned_ids = select(ActionOwner.action_id).where(ActionOwner.member_id.in_(wanted))
    listed = listed_actions(
        session, board, status=ActionStatus.OPEN, ids=session.scalars(owned_ids).all()
    )
    owned: dict[int, list[ListedAction]] = {}
    for action in listed:
        for owner in action.owners:
            if owner.id in wanted:
                owned.setdefault(owner.id, []).append(action)
    return owned


def _in_minutes_order(board: Board) -> Select[tuple[Action]]:
    return (
        select(Action)
        .join(Action.meeting)
        .where(Action.board_id == board.id)
        .options(selectinload(Action.meeting), selectinload(Action.done_by))
        .order_by(Meeting.date, Action.position)
    )


class OwnerFacts(Protocol):
    """What lists show of an owner: a ``Member``, or an ``Owner`` read as a plain row."""

    @property
    def id(self) -> int: ...
    @property
    def initials(self) -> str: ...
    @property
    def name(self) -> str: ...


class ActionFacts(Protocol):
    """What REFs, owners' groups and permissions read of an action: an ORM ``Action`` or a
    ``ListedAction``."""

    @property
    def id(self) -> int: ...
    @property
    def meeting_id(self) -> int: ...
    @property
    def meeting_date(self) -> date: ...
    @property
    def position(self) -> int: ...
    @property
    def item(self) -> str: ...
    @property
    def owners(self) -> Sequence[OwnerFacts]: ...
    @property
    def owner_initials(self) -> Sequence[str]: ...
    @property
    def status(self) -> ActionStatus: ...


class Owner(NamedTuple):
    id: int
    initials: str
    name: str


class ListedAction(NamedTuple):
    """An action as lists show it, read as plain rows rather than ORM objects.

    A board's list runs to hundreds of actions: as ORM objects with their meetings and owners
    they took ~30 ms to load, as rows a few. Changing an action still loads its ORM ``Action``.
    Named tuples rather than frozen dataclasses, which cost twice as much to make.
    """

    id: int
    meeting_id: int
    meeting_date: date
    position: int
    item: str
    text: str
    status: ActionStatus
    closed_session: bool
    done_at: datetime | None
    done_by_initials: str | None
    latest_update: str | None  # the newest note, or the note it was closed with
    rag: str | None  # that note's red/amber/green, if it gave one
    owners: tuple[Owner, ...]
    owner_initials: tuple[str, ...]  # kept: naming REFs reads them several times an action


_DONE_BY = aliased(Member)
_LATEST = aliased(AuditEvent)
# Each action's most recent update: a note, or the note given when it was closed. A correlated
# subquery, so that a list of 400 actions need not send their 400 ids back in a second query
# (on PostgreSQL that costs more than the list itself: every id is its own parameter).
_LATEST_UPDATE_ID = (
    select(func.max(AuditEvent.id))
    .where(
        AuditEvent.action_id == Action.id,
        AuditEvent.kind.in_([EventKind.NOTE, EventKind.DONE]),
        AuditEvent.note.is_not(None),
    )
    .correlate(Action)
    .scalar_subquery()
)
# One row per action and owner: ``_listed`` folds them into one ``ListedAction`` per action.
_LISTING = (
    select(
        Action.id,
        Action.meeting_id,
        Meeting.date,
        Action.position,
        Action.item,
        Action.text,
        Action.status,
        Action.closed_session,
        Action.done_at,
        _DONE_BY.initials,
        _LATEST.note,
        _LATEST.rag,
        Member.id,
        Member.initials,
        Member.name,
    )
    .join(Meeting, Meeting.id == Action.meeting_id)
    .outerjoin(_DONE_BY, _DONE_BY.id == Action.done_by_id)
    .outerjoin(_LATEST, _LATEST.id == _LATEST_UPDATE_ID)
    .outerjoin(ActionOwner, ActionOwner.action_id == Action.id)
    .outerjoin(Member, Member.id == ActionOwner.member_id)
    .where(Action.board_id == bindparam("board"))
    .order_by(Meeting.date, Action.position, ActionOwner.position)
)
# Unowned, as a count of the action's owners: inside an OR, PostgreSQL (with statistics) ran
# NOT EXISTS as a hashed scan of every board's action owners (~10 ms), where the count is an
# index lookup for each of the few actions under the items.
_OWNER_COUNT = (
    select(func.count())
    .where(ActionOwner.action_id == Action.id)
    .correlate(Action)
    .scalar_subquery()
)
_LISTING_FILTERS: dict[str, ColumnElement[bool]] = {
    "status": Action.status == bindparam("status"),
    "item": Action.item == bindparam("item"),
    "meeting": Action.meeting_id == bindparam("meeting"),
    "ids": Action.id.in_(bindparam("ids", expanding=True)),
    "owner": Action.id.in_(
        select(ActionOwner.action_id).where(ActionOwner.member_id == bindparam("owner"))
    ),
    "unowned": _OWNER_COUNT == 0,
}
# The actions that could share a REF with some others: under their items, owned by one of their
# owners (or by nobody), and either open or raised at a meeting no older than theirs. A closed
# action from an earlier meeting never competes for a REF (see ``handlers.resolve``).
_SHARING_A_REF = (
    Action.item.in_(bindparam("items", expanding=True)),
    or_(
        Action.id.in_(
            select(ActionOwner.action_id).where(
                ActionOwner.member_id.in_(bindparam("owners", expanding=True))
            )
        ),
        _OWNER_COUNT == 0,  # unowned
    ),
)
_RIVALS = _LISTING.where(
    or_(Action.status == ActionStatus.OPEN, Meeting.date >= bindparam("since")), *_SHARING_A_REF
)
_CLOSED_RIVALS = _LISTING.where(
    Action.status != ActionStatus.OPEN, Meeting.date >= bindparam("since"), *_SHARING_A_REF
)


@cache
def _listing(filters: frozenset[str]) -> Select[Any]:
    """The listing with ``filters``, built once: see ``plain_rows`` on why."""
    return _LISTING.where(*(_LISTING_FILTERS[name] for name in sorted(filters)))


def listed_actions(
    session: Session,
    board: Board,
    *,
    status: ActionStatus | None = None,
    owner: Member | None = None,
    item: str | None = None,
    ids: Collection[int] | None = None,
    meeting: Meeting | None = None,
    unowned: bool = False,
) -> list[ListedAction]:
    """``actions``, as plain rows: the board's actions, oldest meeting first, in minutes order.

    ``meeting``: only the actions raised at it; ``unowned``: only those with no owner."""
    given = {
        "status": status,
        "owner": owner.id if owner else None,
        "item": item,
        "ids": list(ids) if ids is not None else None,
        "meeting": meeting.id if meeting else None,
    }
    filters = {name: value for name, value in given.items() if value is not None}
    listing = _listing(frozenset([*filters, "unowned"] if unowned else filters))
    return _listed(session, listing, board=board.id, **filters)


def rivals(
    session: Session,
    board: Board,
    items: Collection[str],
    owner_ids: Collection[int],
    since: date,
    *,
    closed_only: bool = False,
) -> list[ListedAction]:
    """The board's actions that could share a REF with actions under ``items`` owned by
    ``owner_ids`` and raised on or after ``since``: a few rows, not the board's history.
    ``closed_only``: only the closed ones, for a caller that has read every open action."""
    parameters = {"board": board.id, "items": list(items), "owners": list(owner_ids)}
    return _listed(session, _CLOSED_RIVALS if closed_only else _RIVALS, **parameters, since=since)


def _listed(session: Session, listing: Select[Any], **parameters: object) -> list[ListedAction]:
    facts: dict[int, list[Any]] = {}
    owners: dict[int, list[Owner]] = {}
    for *action, owner_id, initials, name in plain_rows(session, listing, parameters):
        if action[0] not in facts:
            facts[action[0]], owners[action[0]] = action, []
        if owner_id is not None:
            owners[action[0]].append(Owner(owner_id, initials, name))
    return [
        ListedAction(*action, tuple(owned), tuple(owner.initials for owner in owned))
        for action, owned in zip(facts.values(), owners.values(), strict=True)
    ]


def plain_rows(
    session: Session, statement: Select[Any], parameters: dict[str, Any] | None = None
) -> CursorResult[Any]:
    """``statement``'s rows through the Core connection, after the session's pending changes.

    The ORM's per-row processing costs more than the query itself for a few hundred plain
    tuples; flushing first keeps what an ORM query would see (its autoflush). The statements
    run on every command are built once, at import, with bound parameters: building one anew
    and matching it to its cached compilation (result columns included) cost more than running
    it (an item's actions on SQLite: ~1.3 ms against ~0.4 ms).
    """
    session.flush()
    return session.connection().execute(statement, parameters)


def open_action_owners(session: Session, board: Board) -> dict[int, list[int]]:
    """Each open action's id, to its owners' ids: what planning needs, no more."""
    return open_action_owners_by_board(session, [board.id]).get(board.id, {})


def open_action_owners_by_board(
    session: Session, board_ids: Collection[int]
) -> dict[int, dict[int, list[int]]]:
    """For each board, each open action's id to its owners' ids, read in one statement.

    Reminder planning reads every open action each minute; whole ORM objects for 100,000 actions
    cost seconds, these rows a fraction of one. They are read through the Core connection: the
    ORM's per-row processing of 100,000 plain tuples alone took half the tick's time. They are
    fetched all at once (iterating the result fetches them one by one, at twice the cost), in
    the order the (board_id, status) index gives them: sorting by owner position as well made
    SQLite sort 110,000 rows, and planning groups them by owner anyway.
    """
    result = session.connection().execute(
        select(Action.board_id, Action.id, ActionOwner.member_id)
        .outerjoin(ActionOwner, ActionOwner.action_id == Action.id)
        .where(Action.board_id.in_(list(board_ids)), Action.status == ActionStatus.OPEN)
        .order_by(Action.board_id, Action.id)
    )
    boards: dict[int, dict[int, list[int]]] = {}
    for board_id, action_id, member_id in result.all():
        listed = boards.setdefault(board_id, {}).setdefault(action_id, [])
        if member_id is not None:
            listed.append(member_id)
    return boards


def meetings_by_board(session: Session, board_ids: Collection[int]) -> dict[int, list[Meeting]]:
    """Each board's meetings by date, read in one statement."""
    found: dict[int, list[Meeting]] = {board_id: [] for board_id in board_ids}
    for meeting in session.scalars(
        select(Meeting).where(Meeting.board_id.in_(list(board_ids))).order_by(Meeting.date)
    ):
        found[meeting.board_id].append(meeting)
    return found


def members_by_board(session: Session, board_ids: Collection[int]) -> dict[int, list[Member]]:
    """Each board's members (seats) by initials, read in one statement."""
    found: dict[int, list[Member]] = {board_id: [] for board_id in board_ids}
    for member in session.scalars(
        select(Member).where(Member.board_id.in_(list(board_ids))).order_by(Member.initials)
    ):
        found[member.board_id].append(member)
    return found


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


def audit_trail(session: Session, action: Action) -> Sequence[AuditEvent]:
    return session.scalars(
        select(AuditEvent).where(AuditEvent.action_id == action.id).order_by(AuditEvent.id)
    ).all()


def audit_events(
    session: Session, board: Board, *, action: Action | None = None, last: int | None = None
) -> list[AuditEvent]:
    """The board's audit events (or one action's), oldest first; ``last``: only the latest N."""
    query = select(AuditEvent).where(AuditEvent.board_id == board.id)
    if action is not None:
        query = query.where(AuditEvent.action_id == action.id)
    newest_first = session.scalars(query.order_by(AuditEvent.id.desc()).limit(last)).all()
    return list(reversed(newest_first))


# ---------------------------------------------------------------- the reminders ledger, read


def latest_digest_sent(
    session: Session, board_id: int, recipient_id: int, before: datetime
) -> datetime | None:
    """When this recipient's previous digest went out: "what changed" counts from there."""
    return session.scalar(
        select(LedgerEntry.sent_at)
        .where(
            LedgerEntry.board_id == board_id,
            LedgerEntry.recipient_id == recipient_id,
            LedgerEntry.kind == "digest",
            LedgerEntry.state == DeliveryState.SENT,
            LedgerEntry.sent_at < before,
        )
        .order_by(LedgerEntry.sent_at.desc())
        .limit(1)
    )


def undelivered_nudges(session: Session, meeting: Meeting) -> dict[int, LedgerEntry]:
    """Each recipient's latest nudge for ``meeting`` that could not be delivered."""
    rows = session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.meeting_id == meeting.id, LedgerEntry.kind == "nudge")
        .order_by(LedgerEntry.due_at, LedgerEntry.id)
    )
    latest = {row.recipient_id: row for row in rows}
    bad = (DeliveryState.FAILED, DeliveryState.UNREACHABLE, DeliveryState.RETRY)
    return {rid: row for rid, row in latest.items() if row.state in bad}


def latest_note(session: Session, action: Action, actor: Member | None) -> AuditEvent | None:
    """The newest update ``actor`` recorded on ``action``: the same one again changes nothing."""
    if actor is None:
        return None
    return session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.action_id == action.id,
            AuditEvent.kind == EventKind.NOTE,
            AuditEvent.actor_id == actor.id,
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).first()


def teams_conversation(session: Session, member_id: int) -> TeamsConversation | None:
    """Where the bot reaches this seat's holder on Teams: the seat's own conversation, else the
    1:1 chat the same person opened from another seat (one person, one bot: they need not talk
    to it once for each board they sit on)."""
    own = session.get(TeamsConversation, member_id)
    if own is not None:
        return own
    return session.scalars(_teams_chat_of_person(member_id).limit(1)).first()


def with_teams_conversation(session: Session, member_ids: Collection[int]) -> set[int]:
    """Which of these seats ``teams_conversation`` finds a conversation for."""
    seat, other = aliased(Member), aliased(Member)
    shared = (
        select(seat.id)
        .join(other, other.person_id == seat.person_id)
        .join(TeamsConversation, TeamsConversation.member_id == other.id)
        .where(seat.id.in_(member_ids))
        .where(or_(other.id == seat.id, TeamsConversation.personal))
    )
    return set(session.scalars(shared))


def _teams_chat_of_person(member_id: int) -> Select[tuple[TeamsConversation]]:
    seat, other = aliased(Member), aliased(Member)
    return (
        select(TeamsConversation)
        .join(other, other.id == TeamsConversation.member_id)
        .join(seat, seat.person_id == other.person_id)
        .where(seat.id == member_id, TeamsConversation.personal)
        .order_by(TeamsConversation.member_id)
    )


def slack_dm_channel(session: Session, slack_id: str) -> str | None:
    """The DM channel the bot has with this Slack user, if it has opened one before."""
    return session.scalar(
        select(SlackDmChannel.channel_id).where(SlackDmChannel.slack_id == slack_id)
    )


def slack_dm_channels(session: Session) -> dict[str, str]:
    """Every kept DM channel, by Slack user id."""
    rows = session.execute(select(SlackDmChannel.slack_id, SlackDmChannel.channel_id))
    return {slack_id: channel for slack_id, channel in rows}


def remember_slack_dm_channel(session: Session, slack_id: str, channel: str, now: datetime) -> None:
    """Keep (or replace) the DM channel of a Slack user; the caller commits."""
    known = session.get(SlackDmChannel, slack_id)
    if known is None:
        session.add(SlackDmChannel(slack_id=slack_id, channel_id=channel, updated_at=now))
    elif known.channel_id != channel:
        known.channel_id, known.updated_at = channel, now
