"""Minutes in any layout a board writes, read from their lines into :class:`Minutes`.

The house layout (a "No. | Item. | Action" table) keeps its own reader; everything else comes
here, as lines (see :mod:`handlers.minutes.lines`), whatever the file's format:

1. the lines are cut into header, attendance, items and closing (:mod:`.segments`);
2. actions are found by their markers ("Action:", "Action –", "ACTION:", "Actions:" and a list,
   an Action column, an action log table) and their owners by the rules of :mod:`.owners`;
3. every fact is recorded with the words it came from and a confidence, and everything guessed
   becomes a :class:`Doubt` (and a warning) the secretariat can fix.

A document with no meeting date is refused, saying where a date was looked for.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, time
from difflib import SequenceMatcher

from handlers.errors import MinutesError
from handlers.members import derive_initials
from handlers.minutes.attendance import Entry, read_entry, split_entries
from handlers.minutes.lines import Line
from handlers.minutes.model import (
    CERTAIN,
    GUESSED,
    LIKELY,
    ActionUpdate,
    Attendance,
    Doubt,
    Fact,
    MinutedAction,
    Minutes,
    NextMeeting,
    Person,
)
from handlers.minutes.owners import owner_list, read_owners
from handlers.minutes.segments import Item, LogRow, Segments, entry_text, item_number, segment
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
_MARK = re.compile(
    r"(?:^|(?<=[.!?)\]”’\"]))\s*(?P<word>ACTIONS?|Actions?)(?:\s+(?:points?|agreed|required|by))?"
    r"(?:\s*\d{1,2})?(?:\s*\((?P<who>[A-Z]{2,4}(?:\s*[/,&]\s*[A-Z]{2,4})*)\))?"
    r"\s*(?::|[–—-](?=\s|$))\s*"
)
_UPDATE = re.compile(
    r"\bUpdate\b\s*(?:\(?\s*(?:on\s+)?\d{1,2}[./]\d{1,2}(?:[./]\d{2,4})?\s*\)?)?\s*[:–—-]\s*"
    r"(?P<status>\S.*)$",
    re.I,
)
_DONE = re.compile(r"^\W*(?:complete[d]?|closed|done|finished|discharged)\b", re.I)
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
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_NUMBERED_ENTRY = re.compile(r"^\s*\d{1,2}[.)]\s+")


@dataclass
class Record:
    """The facts read and the doubts met, in the order a reader meets them."""

    facts: list[Fact] = field(default_factory=list)
    doubts: list[Doubt] = field(default_factory=list)

    def fact(self, about: str, value: str, evidence: str, confidence: float = CERTAIN) -> None:
        self.facts.append(Fact(about, value, _short(evidence, 200), confidence))

    def doubt(self, kind: str, about: str, message: str, evidence: str = "") -> None:
        self.doubts.append(Doubt(kind, about, message, _short(evidence, 200), GUESSED))


@dataclass
class Found:
    item: str
    text: str
    owners: tuple[str, ...]
    evidence: str
    rule: str  # how the owners were found, or "none"


def read_any_layout(lines: Sequence[Line], furniture: Sequence[str] = ()) -> Minutes:
    """The minutes in ``lines``. Raises MinutesError when they carry no meeting date."""
    record = Record()
    parts = segment(lines)
    meeting_date, meeting_time = _meeting_date(parts, record)
    fields = _fields(parts.header)
    people, chair, notes_taker = _people(parts, fields, record)
    index = _name_index(people)
    actions, updates = _actions(parts, index, record)
    _check_owners(actions, people, record)
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
            f"Took the meeting's date, {_day(day)}, from the item numbers because the minutes "
            "have no date line."
        )
        record.fact("meeting date", day.isoformat(), _evidence(heading), LIKELY)
        record.doubt("meeting date", "meeting date", message, _evidence(heading))
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
                    f"Could not read a name in the attendance entry “{_short(text)}”; it was "
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
                f"{entry.person.name} ({_initials(entry.person)}, {how}), {attendance.value}",
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


def _initials(person: Person) -> str:
    return person.initials or derive_initials(person.name)


def _name_index(people: Sequence[Person]) -> dict[str, str]:
    """Full names (casefolded) to initials; also first name + surname, for "Rachel Jones" when
    the list says "Rachel Anne Jones"."""
    index: dict[str, str] = {}
    for person in people:
        initials = _initials(person)
        words = person.name.split()
        index[person.name.casefold()] = initials
        index.setdefault(f"{words[0]} {words[-1]}".casefold(), initials)
    return index


# --- actions ------------------------------------------------------------------------------------


def _actions(
    parts: Segments, index: dict[str, str], record: Record
) -> tuple[list[Found], list[ActionUpdate]]:
    found: list[Found] = []
    updates: list[ActionUpdate] = []
    if not parts.numbered and parts.items:
        listed = ", ".join(f"{i.number} “{_short(i.title, 40)}”" for i in parts.items[:12])
        record.doubt(
            "item numbers",
            "item numbers",
            f"The items have no numbers, so they were numbered in order: {listed}.",
        )
    for item in parts.items:
        assert item.number is not None
        if item.heading is not None:
            record.fact(
                "item number",
                f"{item.number} {item.title}".strip(),
                _evidence(item.heading),
                CERTAIN if parts.numbered else GUESSED,
            )
        found.extend(_item_actions(item, index, updates, record))
    found.extend(_outside_items(parts, index, updates, record))
    if parts.log:
        found = _with_log(found, parts.log, index, record)
    for action in found:
        record.fact(
            "action",
            f"{action.item} {'/'.join(action.owners) or '(no owner)'}: {action.text}",
            action.evidence,
            CERTAIN if action.rule in ("action column", "action log") else LIKELY,
        )
    return found, updates


def _outside_items(
    parts: Segments, index: dict[str, str], updates: list[ActionUpdate], record: Record
) -> list[Found]:
    """Actions marked before the first item or after the last: kept, never lost, under the
    last item (after it) or item 00 (before any), with a warning to check the item."""
    found = []
    for lines, number in ((parts.header, "00"), (parts.closing, None)):
        number = number or (parts.items[-1].number if parts.items else "00")
        reader = _ItemReader(number or "00", index, updates, record)
        for action in reader.paragraphs([line for line in lines if not line.in_table]):
            record.doubt(
                "item numbers",
                f"action {action.item} ({_short(action.text, 40)})",
                f"“{_short(action.text)}” is marked as an action outside any numbered item; it "
                f"was put under item {action.item}: check the item.",
                action.evidence,
            )
            found.append(action)
    return found


def _item_actions(
    item: Item, index: dict[str, str], updates: list[ActionUpdate], record: Record
) -> list[Found]:
    assert item.number is not None
    reader = _ItemReader(item.number, index, updates, record)
    for line in item.lines:
        if line.in_table:
            reader.row(line, item)
    reader.paragraphs([line for line in item.lines if not line.in_table])
    return reader.found


@dataclass
class _ItemReader:
    number: str
    index: dict[str, str]
    updates: list[ActionUpdate]
    record: Record
    found: list[Found] = field(default_factory=list)

    def paragraphs(self, lines: Sequence[Line]) -> list[Found]:
        """The actions marked in a run of paragraphs; returns those found here."""
        start = len(self.found)
        previous: Line | None = None
        k = 0
        while k < len(lines):
            line = lines[k]
            k += 1
            if self._update(line.text):
                previous = None
                continue
            marks = list(_MARK.finditer(line.text))
            if not marks:
                previous = line
                continue
            before = line.text[: marks[0].start()].strip()
            ends = [m.start() for m in marks[1:]] + [len(line.text)]
            for mark, end in zip(marks, ends, strict=True):
                content = line.text[mark.end() : end].strip()
                if not content:
                    listed, used = _list_after(lines, k)
                    k += used
                    for entry in listed:
                        self._add(entry.text, entry.text)
                elif (owners := owner_list(content)) is not None:
                    self._trailing(owners, before, previous, line.text, start)
                elif mark["who"]:  # "Action (CD): recruit volunteers ..."
                    owned = owner_list(mark["who"]) or ()
                    self.found.append(Found(self.number, content, owned, line.text, "marker"))
                else:
                    self._add(content, line.text)
            previous = None
        return self.found[start:]

    def row(self, line: Line, item: Item) -> None:
        """A row of an item table: "Action:" sentences in its text, owners or whole actions in
        its Action column."""
        skip = {0, item.action_column, item.owner_column}
        body = [
            Line(p) for k, cell in enumerate(line.cells) if k not in skip for p in cell if p.strip()
        ]
        column = _cell(line, item.action_column)
        owners_column = _cell(line, item.owner_column)
        marked = self.paragraphs(body)
        entries = [owner_list(p) for p in column]
        if column and all(e is not None for e in entries):
            self._pair(marked, [e for e in entries if e], line.text)
            return
        for paragraph in column:  # the Action column holds the actions themselves
            before = len(self.found)
            if not self.paragraphs([Line(paragraph)]):  # no marker: the paragraph is the action
                self._add(paragraph, line.text)
            if owners_column and len(self.found) > before:
                joined = " ".join(owners_column)
                listed = owner_list(joined) or _names_to_initials(joined, self.index)
                if listed:
                    self.found[-1].owners, self.found[-1].rule = listed, "action column"

    def _pair(self, marked: list[Found], entries: list[tuple[str, ...]], evidence: str) -> None:
        for k, action in enumerate(marked):
            if k < len(entries):
                action.owners, action.rule = entries[k], "action column"
        for extra in entries[len(marked) :]:
            self.record.doubt(
                "owner without action",
                f"item {self.number}",
                f"Item {self.number}: the Action column lists {'/'.join(extra)} with no "
                "“Action:” sentence to pair with; ignored.",
                evidence,
            )

    def _add(self, text: str, evidence: str) -> None:
        text = text.strip()
        if not text:
            return
        owners = read_owners(text, self.index)
        self.found.append(
            Found(
                self.number,
                text,
                owners.initials if owners else (),
                evidence,
                owners.rule if owners else "none",
            )
        )

    def _trailing(
        self,
        owners: tuple[str, ...],
        before: str,
        previous: Line | None,
        evidence: str,
        start: int,
    ) -> None:
        """ "Action: RJ/DB/AC" after the action's sentence, in the same or the last paragraph."""
        if before:
            self._add_owned(_last_sentence(before), owners, evidence)
        elif self.found[start:] and not self.found[-1].owners:
            self.found[-1].owners, self.found[-1].rule = owners, "trailing owner list"
        elif previous is not None and not _MARK.search(previous.text):
            self._add_owned(_last_sentence(previous.text), owners, f"{previous.text} {evidence}")
        else:
            self.record.doubt(
                "owner without action",
                f"item {self.number}",
                f"Item {self.number}: “{_short(evidence)}” names owners but no action before "
                "it; ignored.",
                evidence,
            )

    def _add_owned(self, text: str, owners: tuple[str, ...], evidence: str) -> None:
        self.found.append(Found(self.number, text, owners, evidence, "trailing owner list"))

    def _update(self, text: str) -> bool:
        """ "RHL is to clarify ... Update 18.01.22 – Complete": an update on an earlier action,
        never a new one."""
        match = _UPDATE.search(text)
        if match is None:
            return False
        said = _MARK.sub("", text[: match.start()], count=1).strip(" .–—-")
        owners = read_owners(said, self.index)
        status = re.split(r"\s+[–—-]\s+|(?<=[a-z])\.\s", match["status"], maxsplit=1)[0]
        status = status.strip(" .")
        label = str(len(self.updates) + 1)
        self.updates.append(
            ActionUpdate(
                label,
                said,
                status,
                bool(_DONE.match(status)),
                "/".join(owners.initials) if owners else None,
            )
        )
        self.record.fact("update", f"{said}: {status}", text, LIKELY)
        return True


def _cell(line: Line, column: int | None) -> list[str]:
    if column is None or column >= len(line.cells):
        return []
    return [p for p in line.cells[column] if p.strip()]


def _list_after(lines: Sequence[Line], start: int) -> tuple[list[Line], int]:
    """The list after "Actions:": its bullets (or numbered lines); without bullets, the lines
    up to the next blank line or heading that read as actions with owners."""
    taken: list[Line] = []
    for line in lines[start:]:
        numbered = _NUMBERED_ENTRY.match(line.text)
        if line.heading or _MARK.match(line.text):
            break
        if line.bullet or numbered:
            taken.append(Line(_NUMBERED_ENTRY.sub("", line.text)) if numbered else line)
            continue
        if taken and any(t.bullet for t in taken):
            break
        if line.blank_before and taken:
            break
        if read_owners(line.text, {}) is None:
            break
        taken.append(line)
    return taken, len(taken)


def _last_sentence(text: str) -> str:
    sentences = [s for s in _SENTENCE_END.split(text.strip()) if s.strip()]
    return sentences[-1].strip() if sentences else text.strip()


def _names_to_initials(text: str, index: dict[str, str]) -> tuple[str, ...]:
    names = [n.strip() for n in re.split(r"\s*(?:,|/|&|\band\b)\s*", text) if n.strip()]
    result = []
    for name in names:
        initials = index.get(name.casefold())
        if initials is None and len(name.split()) >= 2:
            initials = derive_initials(name)
        if initials:
            result.append(initials)
    return tuple(result)


def _with_log(
    body: list[Found], log: Sequence[LogRow], index: dict[str, str], record: Record
) -> list[Found]:
    """The action log is the list of actions: actions marked in the text are the same actions
    told twice, unless the log lacks them (then they are kept, and warned about)."""
    logged: list[Found] = []
    for row in log:
        if not row.action.strip():
            continue
        number = item_number(row.item) or _digits(row.item)
        if number is None:
            record.doubt(
                "item numbers",
                f"action {row.action[:40]}",
                f"The action log row “{_short(row.row.text)}” has no item number I can read; it "
                "was put under item 00.",
                row.row.text,
            )
        owners = owner_list(row.owners) or _names_to_initials(row.owners, index)
        if not owners and (read := read_owners(row.action, index)):
            owners = read.initials
        logged.append(
            Found(
                number[0] if number else "00",
                row.action.strip(),
                owners,
                row.row.text,
                "action log",
            )
        )
    for action in body:
        if not any(_same_action(action, entry) for entry in logged):
            record.doubt(
                "action not in log",
                f"action {action.item} ({_short(action.text, 40)})",
                f"Item {action.item}: “{_short(action.text)}” is marked as an action in the text "
                "but is not in the action log; it was imported too.",
                action.evidence,
            )
            logged.append(action)
    return logged


def _digits(text: str) -> tuple[str, None] | None:
    match = re.search(r"\d{1,2}", text)
    return (f"{int(match[0]):02d}", None) if match else None


def _same_action(a: Found, b: Found) -> bool:
    if a.item != b.item:
        return False
    x, y = a.text.casefold(), b.text.casefold()
    return x in y or y in x or SequenceMatcher(None, x, y).ratio() >= 0.6


def _check_owners(actions: Sequence[Found], people: Sequence[Person], record: Record) -> None:
    known = {_initials(p) for p in people}
    for n, action in enumerate(actions, start=1):
        about = f"action {action.item}.{n} ({_short(action.text, 40)})"
        if not action.owners:
            record.doubt(
                "owner missing",
                about,
                f"Item {action.item}: no owner is named for “{_short(action.text)}”; it was "
                "recorded without one.",
                action.evidence,
            )
        for owner in action.owners:
            if people and owner not in known:
                record.doubt(
                    "owner unknown",
                    about,
                    f"Item {action.item}: the owner {owner} of “{_short(action.text)}” is not on "
                    "the attendance list; kept as an unknown owner.",
                    action.evidence,
                )


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
                f"The next meeting's date ({_day(upcoming.date)}) is not after this meeting's "
                f"({_day(held)}): check the minutes.",
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


def _evidence(line: Line | None) -> str:
    return line.text if line is not None else ""


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"
