"""Minutes in any layout a board writes, read from their lines into :class:`Minutes`.

The house layout (a "No. | Item. | Action" table) keeps its own reader; everything else comes
here, as lines (see :mod:`handlers.minutes.lines`), whatever the file's format:

1. the lines are cut into header, attendance, items and closing (:mod:`.segments`);
2. actions are found by their markers ("Action:", "Action –", "ACTION:", "Actions:" and a list,
   an Action column, an action log table: :mod:`.marked`) and their owners by the rules of
   :mod:`.owners`; attendance entries are read by :mod:`.attendance`;
3. every fact is recorded with the words it came from and a confidence, and everything guessed
   becomes a :class:`Doubt` (and a warning) the secretariat can fix.

A document with no meeting date is refused, saying where a date was looked for.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, time

from handlers.errors import MinutesError
from handlers.members import derive_initials
from handlers.minutes.attendance import Entry, initials_of, read_entry, split_entries
from handlers.minutes.lines import Line
from handlers.minutes.marked import check_owners, find_actions
from handlers.minutes.model import (
    CERTAIN,
    LIKELY,
    Attendance,
    MinutedAction,
    Minutes,
    NextMeeting,
    Person,
)
from handlers.minutes.record import Record, day_name, evidence_of, shorten
from handlers.minutes.segments import Item, Segments, entry_text, segment
from handlers.minutes.text import protective_marking, read_date, take_time

NOT_FOUND_DATE = (
    "This doesn't look like minutes: I found no meeting date. I looked for a “Date:” line, a "
    "line giving the date and time (“Tuesday 18 January 2022, 13:30-15:30”), a date in the "
    "title or first heading, and item numbers carrying the date (“04/25/11/20”, “Ref "
    "03/18/01/2022”)."
)
NO_ACTIONS = (
    "I found no actions in these minutes. I looked for lines starting “Action:”, “Action –”, "
    "“ACTION:” or “Actions:” followed by a list, an Action column beside the items, and an "
    "action log table (Item | Action | Owner). If they use another marker, add “Action:” "
    "before each action and import again."
)

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_WEEKDAY = r"(?:(?:Mon|Tues?|Wed(?:nes)?|Thu(?:rs)?|Fri|Sat(?:ur)?|Sun)(?:day)?\.?,?\s+)"
_DATE = re.compile(
    rf"\b{_WEEKDAY}?(?:the\s+)?\d{{1,2}}\s*(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\.?,?\s+\d{{4}}\b"
    rf"|\b{_WEEKDAY}?\d{{1,2}}[./]\d{{1,2}}[./](?:\d{{4}}|\d{{2}})\b",
    re.I,
)
# A line that carries the date of something other than the meeting.
_OTHER_DATES = re.compile(
    r"\b(?:published|updated|posted|printed|issued|circulated|sent|approved|agreed|version"
    r"|draft|next\s+meeting|previous\s+meeting|last\s+meeting|deadline|due)\b",
    re.I,
)
_DATE_FIELD = re.compile(r"^\s*Date(?:\s+of\s+(?:the\s+)?meeting)?\s*[:–—-]\s*(?P<value>.+)$", re.I)
_FIELD = re.compile(
    r"^\s*(?P<name>Time|Venue|Location|Place|Chair(?:man|person|woman)?|Chaired\s+by"
    r"|Minutes?(?:\s+taken\s+by)?|Minute\s+taker|Notes?(?:\s+taken\s+by)?)\s*:\s*(?P<value>.+)$",
    re.I,
)
_TITLE = re.compile(
    r"^(?:(?:draft|approved|confirmed)\s+)?(?:minutes|notes)\s+of\s+(?:the\s+)?(?P<name>.+?)"
    r"(?:\s+(?:meeting|held)\b.*)?$",
    re.I,
)
_PREVIOUS = re.compile(
    r"\b(?:minutes|actions?|notes)\b.{0,40}\b(?:meeting\s+)?(?:held\s+)?on\s+(?:the\s+)?"
    r"(?P<date>.{6,40})",
    re.I,
)
_NEXT = re.compile(
    r"\bnext\s+meeting\b(?:\s+date)?(?:\s+(?:will\s+(?:be|take\s+place)|is|has\s+been))?"
    r"(?:\s+(?:held|scheduled|planned|arranged|booked|set))?(?:\s+(?:on|for))?\s*[:.–—-]?\s*"
    r"(?P<rest>.*)$",
    re.I,
)
_TENTATIVE = re.compile(r"\b(?:TBC|TBA|to\s+be\s+confirmed|provisional(?:ly)?)\b", re.I)


def read_any_layout(lines: Sequence[Line], furniture: Sequence[str] = ()) -> Minutes:
    """The minutes in ``lines``. Raises MinutesError when they carry no meeting date."""
    record = Record()
    parts = segment(lines)
    meeting_date, meeting_time = _meeting_date(parts, record)
    fields = _fields(parts.header)
    people, chair, notes_taker = _people(parts, fields, record)
    index = _name_index(people)
    actions, updates = find_actions(parts, index, record)
    check_owners(actions, people, record)
    next_meeting = _next_meeting(parts, meeting_date, record)
    if not actions:
        record.doubt("no actions", "actions", NO_ACTIONS)
    marking = next(
        (
            m
            for m in map(protective_marking, [*furniture, *(line.text for line in parts.header)])
            if m
        ),
        None,
    )
    return Minutes(
        meeting_date=meeting_date,
        board_name=_board_name(parts.header),
        meeting_time=meeting_time or _time(fields.get("time")),
        venue=fields.get("venue") or fields.get("location") or fields.get("place"),
        chair=chair,
        notes_taker=notes_taker,
        people=tuple(people),
        actions=tuple(MinutedAction(a.item, a.text, a.owners) for a in actions),
        previous_meeting_date=_previous_date(parts) if updates else None,
        previous_updates=tuple(updates),
        next_meeting=next_meeting,
        protective_marking=marking,
        warnings=tuple(dict.fromkeys(d.message for d in record.doubts)),
        facts=tuple(record.facts),
        doubts=tuple(record.doubts),
    )


# --- dates --------------------------------------------------------------------------------------


def find_date(text: str) -> tuple[date, str] | None:
    """The first full date written in ``text``, and the words it was written as."""
    for match in _DATE.finditer(text):
        found = read_date(re.sub(_WEEKDAY, "", match.group(0), count=1, flags=re.I))
        if found is not None:
            return found, match.group(0)
    return None


def _meeting_date(parts: Segments, record: Record) -> tuple[date, time | None]:
    header = parts.header
    for line in header:
        match = _DATE_FIELD.match(line.text)
        if match and (found := find_date(take_time(match["value"])[1] + " ")):
            record.fact("meeting date", found[0].isoformat(), line.text)
            return found[0], take_time(match["value"])[0]
    for line in header:
        found = find_date(line.text)
        if found and not _OTHER_DATES.search(line.text) and _is_date_line(line.text, found[1]):
            record.fact("meeting date", found[0].isoformat(), line.text)
            return found[0], take_time(line.text)[0]
    titles = [line for line in header[:4] if not line.in_table] + [
        line for line in header if line.heading
    ]
    for line in titles:
        found = find_date(line.text)
        if found and not _OTHER_DATES.search(line.text):
            record.fact("meeting date", found[0].isoformat(), line.text, LIKELY)
            return found[0], None
    stamped = next(((item.stamp, item.heading) for item in parts.items if item.stamp), None)
    if stamped is not None:
        day, heading = stamped
        message = (
            f"Took the meeting's date, {day_name(day)}, from the item numbers because the minutes "
            "have no date line."
        )
        record.fact("meeting date", day.isoformat(), evidence_of(heading), LIKELY)
        record.doubt("meeting date", "meeting date", message, evidence_of(heading))
        return day, None
    raise MinutesError(NOT_FOUND_DATE)


def _is_date_line(text: str, written: str) -> bool:
    """ "Tuesday 18 January 2022, 13:30-15:30" or "18/01/2022 at 10am, Hindlip Hall": the date
    is what the line is about, not a date mentioned in a sentence."""
    rest = take_time(text.replace(written, " "))[1]
    return len(re.findall(r"[A-Za-z]+", rest)) <= 6 and not rest.strip().endswith(".")


def _time(text: str | None) -> time | None:
    return take_time(text)[0] if text else None


def _fields(header: Sequence[Line]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in header:
        match = _FIELD.match(line.text)
        if match:
            name = match["name"].lower().split()[0]
            name = {"chairman": "chair", "chairperson": "chair", "chaired": "chair"}.get(name, name)
            name = "notes" if name.startswith(("minute", "note")) else name
            fields.setdefault(name, match["value"].strip())
    return fields


def _board_name(header: Sequence[Line]) -> str | None:
    for line in header[:5]:
        match = _TITLE.match(line.text)
        if match and not match["name"].lower().startswith("meeting"):
            name = _DATE.sub("", match["name"]).strip(" ,–—-")
            return name or None
    return None


# --- people -------------------------------------------------------------------------------------


def _people(
    parts: Segments, fields: dict[str, str], record: Record
) -> tuple[list[Person], Person | None, Person | None]:
    people: list[Person] = []
    chair = notes_taker = None
    for line, attendance in parts.attendance:
        for text in split_entries(entry_text(line)):
            entry = read_entry(text, attendance)
            if entry is None:
                record.doubt(
                    "attendee",
                    "attendance",
                    f"Could not read a name in the attendance entry “{shorten(text)}”; it was "
                    "left out.",
                    text,
                )
                continue
            if any(p.name.casefold() == entry.person.name.casefold() for p in people):
                continue
            _check_initials(entry, text, record)
            people.append(entry.person)
            how = "as written" if entry.person.initials else "derived"
            record.fact(
                "attendee",
                f"{entry.person.name} ({initials_of(entry.person)}, {how}), {attendance.value}",
                text,
                CERTAIN if entry.person.initials else LIKELY,
            )
            chair = chair or (entry.person if entry.chair else None)
            notes_taker = notes_taker or (entry.person if entry.notes_taker else None)
    chair = chair or _officer(fields.get("chair"), people)
    notes_taker = notes_taker or _officer(fields.get("notes"), people)
    return people, chair, notes_taker


def _check_initials(entry: Entry, text: str, record: Record) -> None:
    person = entry.person
    if person.initials and person.initials != derive_initials(person.name):
        words = person.name.replace("-", " ").split()
        if "".join(w[0] for w in words).upper() != person.initials:
            record.doubt(
                "initials",
                f"attendee {person.name}",
                f"{person.name}'s initials are written {person.initials}, which don't match "
                "the name: the written initials were used.",
                text,
            )


def _officer(value: str | None, people: Sequence[Person]) -> Person | None:
    if not value:
        return None
    entry = read_entry(value, Attendance.NOT_LISTED)
    if entry is None:
        return None
    listed = next((p for p in people if p.name.casefold() == entry.person.name.casefold()), None)
    return listed or entry.person


def _name_index(people: Sequence[Person]) -> dict[str, str]:
    """Full names (casefolded) to initials; also first name + surname, for "Rachel Jones" when
    the list says "Rachel Anne Jones"."""
    index: dict[str, str] = {}
    for person in people:
        initials = initials_of(person)
        words = person.name.split()
        index[person.name.casefold()] = initials
        index.setdefault(f"{words[0]} {words[-1]}".casefold(), initials)
    return index


# --- actions ------------------------------------------------------------------------------------


# --- previous and next meetings -----------------------------------------------------------------


def _previous_date(parts: Segments) -> date | None:
    for item in parts.items:
        for text in [item.title, *(line.text for line in item.lines[:3])]:
            match = _PREVIOUS.search(text)
            if match and (found := find_date(match["date"])):
                return found[0]
    return None


def _next_meeting(parts: Segments, held: date, record: Record) -> NextMeeting | None:
    lines = [line for item in parts.items for line in _with_title(item)] + parts.closing
    for k, line in enumerate(lines):
        match = _NEXT.search(line.text)
        if match is None:
            continue
        rest = match["rest"]
        if not find_date(rest) and k + 1 < len(lines):
            rest = lines[k + 1].text  # the heading on its own, the date underneath
        found = find_date(rest)
        if found is None:
            continue
        when, _ = take_time(rest)
        after = rest[rest.index(found[1]) + len(found[1]) :]
        venue = _venue(take_time(after)[1])
        upcoming = NextMeeting(found[0], when, venue, bool(_TENTATIVE.search(rest)))
        record.fact("next meeting", found[0].isoformat(), f"{line.text} {rest}".strip())
        if upcoming.date <= held:
            record.doubt(
                "next meeting",
                "next meeting",
                f"The next meeting's date ({day_name(upcoming.date)}) is not after this meeting's "
                f"({day_name(held)}): check the minutes.",
                rest,
            )
        return upcoming
    record.doubt("next meeting", "next meeting", "These minutes give no date for the next meeting.")
    return None


def _with_title(item: Item) -> list[Line]:
    """The item's heading and lines, a table row as the paragraphs of its cells."""
    title = (
        [Line(item.title)] if item.title and not (item.heading and item.heading.in_table) else []
    )
    lines = [
        expanded
        for line in item.lines
        for expanded in (
            [Line(p) for cell in line.cells for p in cell] if line.in_table else [line]
        )
    ]
    return title + lines


def _venue(text: str) -> str | None:
    text = _TENTATIVE.sub(" ", text)
    text = re.sub(r"^[\s,.;:–—-]*(?:(?:at|in|via|on)\s+)?(?:the\s+)?", "", text, flags=re.I)
    text = " ".join(text.split()).strip(" ,.;:()–—-")
    return text or None


# --- wording ------------------------------------------------------------------------------------
