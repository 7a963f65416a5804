"""The board's data: SQLAlchemy 2.x typed models.

Instants are stored in UTC (``UtcDateTime``). A meeting's date and time are the board's local
calendar values, because that is how the minutes and the members speak of them; the board's time
zone turns them into instants.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

DEFAULT_RECURRENCE = "FREQ=YEARLY;BYMONTH=2,5,8,11;BYDAY=-1WE"  # last Wed of Feb, May, Aug, Nov


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC instant on every backend (SQLite keeps no offset of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: pass an aware instant")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Role(StrEnum):
    MEMBER = "member"
    CHAIR = "chair"
    SECRETARIAT = "secretariat"


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"
    TENTATIVE = "tentative"
    HELD = "held"
    CANCELLED = "cancelled"


class ActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


class Rag(StrEnum):
    RED = "red"
    AMBER = "amber"
    GREEN = "green"


class EventKind(StrEnum):
    CREATED = "created"
    DONE = "done"
    REOPENED = "reopened"
    NOTE = "note"
    REASSIGNED = "reassigned"
    TEXT_EDITED = "text_edited"
    IMPORTED = "imported"
    STATUS_FROM_MINUTES = "status_from_minutes"
    MEMBER_ADDED = "member_added"
    MEMBER_CHANGED = "member_changed"
    MEMBER_LINKED = "member_linked"
    MEETING_ADDED = "meeting_added"
    MEETING_CHANGED = "meeting_changed"
    BOARD_CHANGED = "board_changed"
    SNOOZED = "snoozed"  # a member put off their nudges before a meeting
    CALENDAR_FEED = "calendar_feed"  # a member's private calendar address made or revoked


class Board(Base):
    __tablename__ = "boards"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The code people type to name the board ("CRB", "GOV"): letters and digits, unique.
    short: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    command_prefix: Mapped[str] = mapped_column(String(20), default="crb")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/London")
    recurrence: Mapped[str] = mapped_column(String(200), default=DEFAULT_RECURRENCE)
    meeting_time: Mapped[time | None] = mapped_column(Time(), default=None)
    reminder_days: Mapped[str] = mapped_column(String(50), default="14,7,1")
    digest_days: Mapped[str] = mapped_column(String(50), default="7,1")
    reminder_time: Mapped[time] = mapped_column(Time(), default=time(9, 0))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The protective marking every paper, event, email and page carries (handlers/marking.py).
    # Set by hand, an import leaves it alone; otherwise each import's marking replaces it.
    # Server defaults only: a backup from before these columns restores without naming them.
    marking: Mapped[str | None] = mapped_column(String(100), default=None)
    marking_by_hand: Mapped[bool] = mapped_column(server_default=false())
    # The chat channel bound to this board: a command typed there means this board.
    slack_channel: Mapped[str | None] = mapped_column(String(32), default=None)
    teams_channel: Mapped[str | None] = mapped_column(String(400), default=None)

    members: Mapped[list[Member]] = relationship(back_populates="board")
    meetings: Mapped[list[Meeting]] = relationship(back_populates="board")

    def reminder_day_list(self) -> list[int]:
        return parse_day_list(self.reminder_days)

    def digest_day_list(self) -> list[int]:
        return parse_day_list(self.digest_days)


def derive_short(name: str, taken: Collection[str] = ()) -> str:
    """A board's short code from its name: "Crime Reduction Board" -> "CRB". When that is
    ``taken`` (compared case-insensitively), a number is added: "CRB2"."""
    words = re.findall(r"[A-Za-z0-9]+", name)
    base = "".join(word[0] for word in words).upper()[:12] or "BOARD"
    used = {code.upper() for code in taken}
    short, number = base, 1
    while short in used:
        number += 1
        short = f"{base}{number}"
    return short


def parse_day_list(text: str) -> list[int]:
    """ "14,7,1" -> [14, 7, 1]: most days before the meeting first."""
    days = {int(part) for part in text.replace(" ", "").split(",") if part}
    return sorted(days, reverse=True)


class Person(Base):
    """Someone who sits on one or more boards: their one identity, whatever the board.

    Linking an account or an email links the person, so on every board they sit on at once.
    Each seat (initials, role, name as the board knows them) is a ``Member``.
    """

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320), default=None, index=True)
    slack_id: Mapped[str | None] = mapped_column(String(32), default=None, unique=True)
    teams_id: Mapped[str | None] = mapped_column(String(64), default=None, unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    members: Mapped[list[Member]] = relationship(back_populates="person")


class Member(Base):
    """A person's seat on one board: their initials and role there."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("board_id", "initials"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    initials: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200))
    capacity: Mapped[str | None] = mapped_column(String(300), default=None)
    role: Mapped[Role] = mapped_column(String(20), default=Role.MEMBER)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Email links issued to this member before this instant are refused (revoked from the desk).
    links_revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)

    board: Mapped[Board] = relationship(back_populates="members")
    person: Mapped[Person] = relationship(
        back_populates="members", lazy="joined", innerjoin="unnested"
    )

    def __init__(
        self,
        *,
        person: Person | None = None,
        email: str | None = None,
        slack_id: str | None = None,
        teams_id: str | None = None,
        **columns: Any,
    ) -> None:
        """A seat for ``person``, or for a new person with these accounts."""
        super().__init__(**columns)
        self.person = person or Person(
            email=email, slack_id=slack_id, teams_id=teams_id, created_at=columns.get("created_at")
        )

    # The person's accounts, read and written through the seat (every board sees the change).
    @property
    def email(self) -> str | None:
        return self.person.email

    @email.setter
    def email(self, value: str | None) -> None:
        self.person.email = value

    @property
    def slack_id(self) -> str | None:
        return self.person.slack_id

    @slack_id.setter
    def slack_id(self, value: str | None) -> None:
        self.person.slack_id = value

    @property
    def teams_id(self) -> str | None:
        return self.person.teams_id

    @teams_id.setter
    def teams_id(self, value: str | None) -> None:
        self.person.teams_id = value

    @property
    def is_officer(self) -> bool:
        """The chair and the secretariat may act on anyone's actions."""
        return self.role in (Role.CHAIR, Role.SECRETARIAT)


class Meeting(Base):
    __tablename__ = "meetings"
    __table_args__ = (UniqueConstraint("board_id", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    date: Mapped[date] = mapped_column(Date())
    time: Mapped[time | None] = mapped_column(Time(), default=None)
    venue: Mapped[str | None] = mapped_column(String(300), default=None)
    status: Mapped[MeetingStatus] = mapped_column(String(20), default=MeetingStatus.SCHEDULED)
    protective_marking: Mapped[str | None] = mapped_column(String(100), default=None)
    chair_name: Mapped[str | None] = mapped_column(String(200), default=None)
    notes_taker_name: Mapped[str | None] = mapped_column(String(200), default=None)
    minutes_digest: Mapped[str | None] = mapped_column(String(64), default=None)
    minutes_imported_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The calendar event's SEQUENCE and LAST-MODIFIED: every change bumps one and sets the other.
    sequence: Mapped[int] = mapped_column(Integer, server_default="0")
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)

    board: Mapped[Board] = relationship(back_populates="meetings")
    actions: Mapped[list[Action]] = relationship(
        back_populates="meeting", order_by="Action.position"
    )


class Action(Base):
    __tablename__ = "actions"
    __table_args__ = (
        UniqueConstraint("meeting_id", "position"),
        Index("ix_actions_board_status", "board_id", "status"),
        Index("ix_actions_board_item", "board_id", "item"),  # resolving and naming REFs
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    item: Mapped[str] = mapped_column(String(10))
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text())
    status: Mapped[ActionStatus] = mapped_column(String(10), default=ActionStatus.OPEN)
    # Raised in the closed session of a meeting: never shown in a channel post.
    closed_session: Mapped[bool] = mapped_column(default=False)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    done_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    meeting: Mapped[Meeting] = relationship(back_populates="actions")
    owner_links: Mapped[list[ActionOwner]] = relationship(
        back_populates="action",
        order_by="ActionOwner.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )
    done_by: Mapped[Member | None] = relationship(foreign_keys=[done_by_id])

    @property
    def owners(self) -> list[Member]:
        return [link.member for link in self.owner_links]

    @property
    def meeting_date(self) -> date:
        return self.meeting.date

    @property
    def owner_initials(self) -> list[str]:
        return [member.initials for member in self.owners]


class ActionOwner(Base):
    """An action's owners, in the order the minutes name them ("DP/RT")."""

    __tablename__ = "action_owners"

    action_id: Mapped[int] = mapped_column(
        ForeignKey("actions.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)

    action: Mapped[Action] = relationship(back_populates="owner_links")
    member: Mapped[Member] = relationship(lazy="joined")


class AuditEvent(Base):
    """The audit trail: who did what, when, and to which action, member or meeting."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_board_at", "board_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    kind: Mapped[EventKind] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), default=None
    )
    actor_label: Mapped[str] = mapped_column(String(100))
    # "slack", "teams", "console", "cli", "web", "email link", "import", "system"; None before 0006
    channel: Mapped[str | None] = mapped_column(String(20), default=None)
    action_id: Mapped[int | None] = mapped_column(
        ForeignKey("actions.id", ondelete="CASCADE"), default=None, index=True
    )
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), default=None
    )
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), default=None
    )
    note: Mapped[str | None] = mapped_column(Text(), default=None)
    rag: Mapped[Rag | None] = mapped_column(String(10), default=None)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON(), default=None)

    actor: Mapped[Member | None] = relationship(foreign_keys=[actor_id])


class CalendarFeed(Base):
    """A member's private calendar address: ``/calendar/{token}.ics`` serves the board's meetings
    to whoever holds it (a calendar app cannot sign in). Revoking it stops it for good."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)

    member: Mapped[Member] = relationship()


class TeamsConversation(Base):
    """Where the bot can reach a member on Teams without being spoken to first.

    ``reference`` is the Agents SDK's ConversationReference (JSON, camelCase as on the wire),
    stored when the member first talks to the bot or installs it. ``claims`` are the identity
    claims continue-conversation needs to get a token for that conversation's service URL: empty
    for an anonymous test harness, never the bearer token itself.
    """

    __tablename__ = "teams_conversations"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    conversation_id: Mapped[str] = mapped_column(String(400))
    personal: Mapped[bool] = mapped_column(default=True)  # a 1:1 chat, not a channel
    reference: Mapped[dict[str, Any]] = mapped_column(JSON())
    claims: Mapped[dict[str, Any]] = mapped_column(JSON())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    member: Mapped[Member] = relationship()


# ---------------------------------------------------------------- reminders (issue 4)


class TeamsCard(Base):
    """A card the bot posted on Teams, by its message: a button pressed on it later updates
    that one action's row and the message itself, for everyone who sees it (Universal Actions
    give the bot the message's id, not its card)."""

    __tablename__ = "teams_cards"

    conversation_id: Mapped[str] = mapped_column(String(400), primary_key=True)
    activity_id: Mapped[str] = mapped_column(String(400), primary_key=True)
    card: Mapped[dict[str, Any]] = mapped_column(JSON())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DeliveryState(StrEnum):
    """Where one ledgered message stands. Only PENDING, RETRY, UNREACHABLE and an expired SENDING
    lease can be claimed; SENT, FAILED and SKIPPED are final."""

    PENDING = "pending"  # the row exists; nobody has claimed it yet
    SENDING = "sending"  # a ticker holds the claim until lease_until
    SENT = "sent"
    RETRY = "retry"  # the send failed; it is tried again from next_attempt_at
    UNREACHABLE = "unreachable"  # no channel could reach the recipient; tried again once one can
    FAILED = "failed"  # the platform refused it for good (an unknown user, a bad address)
    SKIPPED = "skipped"  # by the time it was claimed there was nothing left to say


NOTICE = "notice"  # a ledger row telling an owner of an action added or given to them


class LedgerEntry(Base):
    """One reminder message: a nudge or digest to one recipient, for one meeting, in one slot.

    The unique key (recipient, meeting, slot) is what makes every message go out once, across
    restarts and across several `crb serve` processes on one database.
    """

    __tablename__ = "reminder_ledger"
    __table_args__ = (
        UniqueConstraint("recipient_id", "meeting_id", "slot"),
        Index("ix_reminder_ledger_board_kind_sent", "board_id", "kind", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    slot: Mapped[str] = mapped_column(String(40))  # "nudge-14", "digest-7", "snooze-12"
    kind: Mapped[str] = mapped_column(String(10))  # "nudge" | "digest" | "notice"
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    state: Mapped[DeliveryState] = mapped_column(String(12), default=DeliveryState.PENDING)
    platform: Mapped[str | None] = mapped_column(String(10), default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claim_token: Mapped[str | None] = mapped_column(String(36), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    last_error: Mapped[str | None] = mapped_column(Text(), default=None)
    action_refs: Mapped[list[str] | None] = mapped_column(JSON(), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    recipient: Mapped[Member] = relationship(foreign_keys=[recipient_id])


class SnoozeChoice(StrEnum):
    ONE_DAY = "1d"
    THREE_DAYS = "3d"
    NEXT = "next"  # until the next reminder day


class Snooze(Base):
    """An owner put off a nudge. The latest snooze for (member, meeting) is the one that counts."""

    __tablename__ = "snoozes"
    __table_args__ = (Index("ix_snoozes_member_meeting", "member_id", "meeting_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    choice: Mapped[SnoozeChoice] = mapped_column(String(10))
    until: Mapped[datetime] = mapped_column(UtcDateTime())  # when the follow-up nudge is due
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ProcessedEvent(Base):
    """A chat platform's event already handled: a retry or a duplicate delivery is ignored."""

    __tablename__ = "processed_events"
    __table_args__ = (UniqueConstraint("platform", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class PendingImportStatus(StrEnum):
    PENDING = "pending"
    APPLIED = "applied"
    CANCELLED = "cancelled"


class PendingImport(Base):
    """Minutes sent to the bot in chat, previewed and waiting for the secretariat's "Import"."""

    __tablename__ = "pending_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), default=None
    )
    filename: Mapped[str] = mapped_column(String(300))
    data: Mapped[bytes] = mapped_column(LargeBinary())
    digest: Mapped[str] = mapped_column(String(64))
    status: Mapped[PendingImportStatus] = mapped_column(
        String(20), default=PendingImportStatus.PENDING
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    decided_by: Mapped[str | None] = mapped_column(String(100), default=None)


# ---------------------------------------------------------------- the web desk (issue 17)


class WebKey(Base):
    """A key that signs web sessions and links, generated when ``CRB_SECRET_KEY`` is not set.

    Kept in the database so that every instance on it signs and checks with the same key. The
    oldest row is the key; a row is never removed (that would sign everyone out).
    """

    __tablename__ = "web_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    secret: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SignInLink(Base):
    """A one-time sign-in link: only the SHA-256 of its token is kept."""

    __tablename__ = "web_sign_in_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_via: Mapped[str] = mapped_column(String(20))  # "cli", "chat", "email"
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)


class WebSession(Base):
    """A signed-in browser. Only the SHA-256 of the session id is kept."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    signed_in_via: Mapped[str] = mapped_column(String(20))  # "link", "email", "microsoft"
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())  # the absolute lifetime
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)


class RateEvent(Base):
    """One attempt counted against a rate limit (``/login``): shared by every instance."""

    __tablename__ = "web_rate_events"
    __table_args__ = (Index("ix_web_rate_events_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100))  # "email:<sha256>", "client:<sha256>"
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class SlackDmChannel(Base):
    """The DM channel Slack opened with a person: asked once (conversations.open is Tier 3),
    then read from here by every instance of the bot."""

    __tablename__ = "slack_dm_channels"

    slack_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
