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

    def fingerprint(self) -> str:
        """A SHA-256 of what was read, whatever the format: the same minutes as .txt and as
        .docx (or a Word file saved again unchanged) give the same fingerprint."""
        content = repr(replace(self, warnings=()))
        return hashlib.sha256(content.encode()).hexdigest()
