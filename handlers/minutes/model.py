"""The one minutes model shared by every reader (.txt, .html, .docx) and the importer."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import date, time
from enum import StrEnum


class Attendance(StrEnum):
    PRESENT = "present"
    APOLOGIES = "apologies"
    NOT_LISTED = "not_listed"  # e.g. a notes taker who is not in the attendance table


@dataclass(frozen=True)
class Person:
    """Someone named in the minutes, with the capacity the minutes give them."""

    name: str
    capacity: str | None = None
    attendance: Attendance = Attendance.PRESENT
    # The initials the minutes write beside the name ("Rachel Jones (RJ)"): authoritative.
    # None when none are written, and the import derives them as it always has. Kept out of
    # equality and repr, so the house layout (which never writes them) reads as it always did.
    initials: str | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class MinutedAction:
    """One "Action:" sentence, paired in order with its owners from the Action column."""

    item: str  # agenda item number, two digits: "04"
    text: str  # the sentence after "Action:", whitespace normalised, no markup
    owners: tuple[str, ...]  # upper-case initials in order: ("DP", "RT"); () if none paired
    closed_session: bool = False  # minuted after a "Closed Session" line: never posted


@dataclass(frozen=True)
class ActionUpdate:
    """One line of the "Minutes/Actions from the meeting held on ..." item."""

    label: str  # "a", "b", ...
    text: str  # "Refresh terms of reference for the CRB"
    status: str  # as written: "Complete", "Ongoing", "Complete, agenda item 5"
    done: bool  # the status says the action is complete
    detail: str | None = None  # the middle part: "agenda item 3", "Sean Paley"
    note: str | None = None  # commentary after the status: "The Safeguarding Boards' work ..."


CERTAIN, LIKELY, GUESSED = 1.0, 0.8, 0.5  # confidences: as written, by a rule, a guess


@dataclass(frozen=True)
class Fact:
    """One fact the reader took from the minutes, with the words it came from."""

    about: str  # "meeting date", "next meeting", "attendee", "action", "item number"
    value: str  # what was read: "2022-01-18", "03 RJ/DB: circulate the plan"
    evidence: str  # the words in the document it was read from
    confidence: float  # CERTAIN, LIKELY or GUESSED


@dataclass(frozen=True)
class Doubt:
    """Something the reader guessed or could not read: a warning the secretariat can fix.

    ``kind`` says what sort of fix it needs (see README, "Additions to the contract"); ``about``
    names the fact it concerns, as in :class:`Fact`; ``message`` is the warning's text.
    """

    kind: str  # "meeting date", "item numbers", "owner missing", "owner unknown", ...
    about: str  # "meeting date", "action 03.1 (circulate the plan)", "attendee Rachel Jones"
    message: str
    evidence: str = ""
    confidence: float = GUESSED


@dataclass(frozen=True)
class NextMeeting:
    date: date
    time: time | None = None
    venue: str | None = None
    tentative: bool = False  # the minutes say "TBC"


@dataclass(frozen=True)
class Minutes:
    meeting_date: date | None
    board_name: str | None = None
    meeting_time: time | None = None
    venue: str | None = None
    chair: Person | None = None
    notes_taker: Person | None = None
    people: tuple[Person, ...] = ()  # attendees and apologies, in document order
    actions: tuple[MinutedAction, ...] = ()
    previous_meeting_date: date | None = None
    previous_updates: tuple[ActionUpdate, ...] = ()
    next_meeting: NextMeeting | None = None
    protective_marking: str | None = None
    warnings: tuple[str, ...] = field(default=())
    # How each fact was read (the words it came from, and how sure the reader is), and the
    # reader's doubts as structured records; every doubt's message is also in ``warnings``.
    facts: tuple[Fact, ...] = field(default=(), compare=False, repr=False)
    doubts: tuple[Doubt, ...] = field(default=(), compare=False, repr=False)

    def fingerprint(self) -> str:
        """A SHA-256 of what was read, whatever the format: the same minutes as .txt and as
        .docx (or a Word file saved again unchanged) give the same fingerprint."""
        content = repr(replace(self, warnings=()))
        written = [p.initials for p in self.people]
        if any(written):  # only layouts that write initials: the house layout's digest is kept
            content += repr(written)
        return hashlib.sha256(content.encode()).hexdigest()
