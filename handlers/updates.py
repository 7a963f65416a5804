"""An action's updates as the paper states them, and as the next minutes report them back.

The paper writes each line "text – owner – status - update (updated 3 December 2020)", or
"Ongoing - no update received"; the secretariat pastes those lines into the next minutes' item 02,
and the import reads them back. This module is both directions of that one grammar, so a line
survives the round trip: the filler is never stored as an update, the "(updated …)" suffix is
taken off, and words the board already has are not recorded a second time.

It also says when each update and change of status counts from. An update or a completion the
minutes report counts from the start of the meeting that reported it, whenever the minutes were
imported; anything done in chat or on the web counts from when it was done. ``crb export --at``
replays the audit trail by those times.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import AuditEvent, Board, EventKind, Meeting, Rag
from planning.calendar import meeting_start

NO_UPDATE = "no update received"
# What a line says when there is nothing to say: never an update.
_FILLER = re.compile(
    r"^(?:no\s+(?:further\s+|new\s+)?updates?(?:\s+(?:received|given|provided|yet|available))?"
    r"|none(?:\s+received)?|nothing\s+(?:further|new|to\s+report)|n/?a|nil|tbc|[-–—.]+)$",
    re.I,
)
# "(updated 3 December 2020)", written after an update by the paper; also a doubled one. Only
# a date: "(updated version)" is a member's own words.
_UPDATED_SUFFIX = re.compile(
    r"(?:\s*\(\s*updated\s+(?:on\s+)?[0-9]{1,2}(?:st|nd|rd|th)?\s+[A-Za-z]{3,9}\.?\s+[0-9]{4}\s*\))+"
    r"\s*\.?\s*$",
    re.I,
)
# An update that only restates a status, with at most a RAG rating or a date, adds no words.
_BARE_STATUS = re.compile(
    r"^\s*(?:complete|completed|ongoing|on-going|open|in progress)"
    r"(?:\s*[,;(]\s*(?:red|amber|green)\)?)?\.?\s*$",
    re.I,
)
STATUS_KINDS = (EventKind.DONE, EventKind.REOPENED, EventKind.STATUS_FROM_MINUTES)
WORD_KINDS = (EventKind.NOTE, EventKind.DONE, EventKind.REOPENED)
CLOSING_KINDS = (EventKind.DONE, EventKind.STATUS_FROM_MINUTES)


def long_day(day: date | None) -> str:
    """ "3 December 2020", as the board writes dates."""
    return f"{day.day} {day:%B %Y}" if day else ""


def updated_suffix(day: date) -> str:
    return f" (updated {long_day(day)})"


def words_of(text: str | None) -> str | None:
    """The update's own words: "(updated …)" suffixes and fillers taken off; None if nothing
    is left."""
    if not text:
        return None
    words = _UPDATED_SUFFIX.sub("", " ".join(text.split())).strip()
    if not words or _FILLER.match(words.rstrip(".").strip()):
        return None
    return words


def is_bare_status(text: str | None) -> bool:
    return bool(text) and bool(_BARE_STATUS.match(text or ""))


def same_words(a: str | None, b: str | None) -> bool:
    """The same update, written as the paper writes it or as someone typed it."""
    return a is not None and b is not None and _comparable(a) == _comparable(b)


def _comparable(text: str) -> str:
    return " ".join(text.casefold().split()).rstrip(".").strip()


class Clock:
    """When each event counts from: its meeting's start for what the minutes reported, else
    when it was recorded."""

    def __init__(self, session: Session, board: Board) -> None:
        self.session, self.board = session, board
        self._starts: dict[int, datetime] = {}

    def of(self, event: AuditEvent) -> datetime:
        if event.meeting_id is not None and event.kind in (
            EventKind.NOTE,
            EventKind.STATUS_FROM_MINUTES,
        ):
            return self._start(event.meeting_id)
        return event.at

    def _start(self, meeting_id: int) -> datetime:
        if meeting_id not in self._starts:
            meeting = self.session.get(Meeting, meeting_id)
            assert meeting is not None
            self._starts[meeting_id] = started(self.board, meeting)
        return self._starts[meeting_id]


def started(board: Board, meeting: Meeting) -> datetime:
    """When the meeting began: its own time, else the board's usual time, else its midnight."""
    return meeting_start(meeting.date, meeting.time or board.meeting_time, board.timezone)


@dataclass(frozen=True)
class Latest:
    """An action's latest update as it stood: its words, when they count from, and its RAG."""

    event: AuditEvent
    at: datetime
    rag: Rag | None


@dataclass(frozen=True)
class StatusThen:
    done: bool
    done_at: datetime | None


def events_of(
    session: Session, action_ids: Sequence[int], kinds: Iterable[EventKind]
) -> dict[int, list[AuditEvent]]:
    """Each action's events of ``kinds``, oldest first."""
    found: dict[int, list[AuditEvent]] = defaultdict(list)
    if not action_ids:
        return found
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action_id.in_(action_ids), AuditEvent.kind.in_(list(kinds)))
        .order_by(AuditEvent.id)
    )
    for event in events:
        assert event.action_id is not None
        found[event.action_id].append(event)
    return found


def latest_update(
    events: Sequence[AuditEvent], clock: Clock, until: datetime, *, still_open: bool
) -> Latest | None:
    """The latest update with words among ``events`` (an action's, oldest first) that counted by
    ``until``, with the newest RAG given since. A bare "Ongoing, amber" from the minutes gives a
    rating but no words. For an open action, what was said on closing it has been overtaken by
    its reopening; the reason for reopening it is an update like any other."""
    latest: Latest | None = None
    rag: Rag | None = None
    for event in events:
        at = clock.of(event)
        if at > until or (still_open and event.kind == EventKind.DONE):
            continue
        if words_of(event.note) and not is_bare_status(event.note):
            latest, rag = Latest(event, at, None), event.rag
        elif event.rag is not None and event.kind == EventKind.NOTE:
            rag = event.rag
    return Latest(latest.event, latest.at, rag) if latest else None


def status_then(events: Sequence[AuditEvent], clock: Clock, until: datetime) -> StatusThen | None:
    """Whether the action was done by ``until``, from its status events; None when nothing
    after ``until`` changed it, so its status now is its status then."""
    timed = sorted(((clock.of(e), e.id, e) for e in events), key=lambda t: (t[0], t[1]))
    if not any(at > until for at, _id, _e in timed):
        return None
    before = [(at, e) for at, _id, e in timed if at <= until]
    if not before or before[-1][1].kind == EventKind.REOPENED:
        return StatusThen(False, None)
    return StatusThen(True, before[-1][0])
