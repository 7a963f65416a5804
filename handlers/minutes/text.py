"""The plain-text (.txt) layout of the board's minutes, read into :class:`Minutes`.

The layout, as the secretariat's export writes it:

- a header of lines: the protective marking ("PROTECT – MANAGEMENT"), "<board> Minutes",
  "Date: 25th November 2020", "Venue: Zoom", "Chairman: name, capacity", "Notes: name, capacity";
- an attendance table, tab-separated "Name<TAB>Capacity", whose rows switch from attendees to
  apologies at the "Attendees:" and "Apologies:" markers written before a row's name;
- the item table, tab-separated "No.<TAB>Item<TAB>Action". A row starting "04/25/11/20<TAB>" is
  item 04; a row starting with a tab (an empty first cell) continues the item above. The Item cell
  is an HTML fragment (see :mod:`handlers.minutes.html_fragments`); the Action cell lists owners'
  initials, one entry per "Action:" sentence of the same row, in order ("DP/RT" is one joint entry).

Decisions worth knowing:

- Actions pair per row: the k-th "Action:" sentence of a row gets the k-th owner entry of that
  row's Action cell. Leftovers on either side are kept or dropped with a warning, never guessed.
- An update on a previous action reads "a. text – detail – status": the status is the first part
  after the text that is a known status word ("Complete", "Ongoing", "Complete, agenda item 5"...).
  Commentary written after the status ("Complete - The Safeguarding Boards' work ...") is kept
  apart from the status, as the update's ``note``.
- Anything read with doubt (a date that does not parse, an unknown status, an owner that is not
  initials) is reported in ``Minutes.warnings`` as a sentence for the person importing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time

from dateutil import parser as dateparser

from handlers.errors import MinutesError
from handlers.minutes.html_fragments import Paragraph, normalise_space, paragraphs
from handlers.minutes.model import (
    CERTAIN,
    LIKELY,
    ActionUpdate,
    Attendance,
    Fact,
    MinutedAction,
    Minutes,
    NextMeeting,
    Person,
)
from handlers.plain import plain_document

Warn = Callable[[str], None]

# --- header -------------------------------------------------------------------------------------

_FIELDS: dict[str, re.Pattern[str]] = {
    "date": re.compile(r"^\s*Date(?:\s+of\s+(?:the\s+)?meeting)?\s*:\s*(?P<value>.*)$", re.I),
    "time": re.compile(r"^\s*Time\s*:\s*(?P<value>.*)$", re.I),
    "venue": re.compile(r"^\s*(?:Venue|Location|Place)\s*:\s*(?P<value>.*)$", re.I),
    "chair": re.compile(
        r"^\s*(?:Chair(?:man|person|woman)?|Chaired\s+by)\s*:\s*(?P<value>.*)$", re.I
    ),
    "notes": re.compile(
        r"^\s*(?:Notes?(?:\s+taken\s+by|\s+taker)?|Minutes?\s+taken\s+by|Minute\s+taker)"
        r"\s*:\s*(?P<value>.*)$",
        re.I,
    ),
}
_BOARD_NAME = (
    re.compile(r"^\s*(?P<name>[^\t:]{3,120}?)\s+Minutes\s*$", re.I),
    re.compile(r"^\s*Minutes\s+of\s+(?:the\s+)?(?P<name>[^\t:]{3,120}?)(?:\s+meeting)?\s*$", re.I),
)
# Government Protective Marking Scheme labels, in capitals as the scheme writes them; matching
# them case-sensitively keeps prose ("Official figures show...") from being taken for a marking.
_MARKING = re.compile(
    r"^\s*(?:NOT PROTECTIVELY MARKED|PROTECT|RESTRICTED|OFFICIAL|CONFIDENTIAL|TOP SECRET|SECRET"
    r"|UNCLASSIFIED)\b[^\t]{0,60}$"
)
_ATTENDANCE_MARKER = re.compile(
    r"^\s*(?P<marker>Attendees|Attendance|Present|In\s+attendance"
    r"|Apologies(?:\s+(?:received|for\s+absence))?)\s*:\s*(?P<rest>.*)$",
    re.I,
)

# --- item table ---------------------------------------------------------------------------------

_TABLE_HEADER = re.compile(r"^\s*No\.?\s*\t\s*Item\.?\s*(?:\t|$)", re.I)
# "04/25/11/20": item 04 of the meeting of 25/11/20.
_STAMPED_NUMBER = re.compile(
    r"^\s*(?P<no>[0-9]{1,2})/(?P<d>[0-9]{1,2})/(?P<m>[0-9]{1,2})/(?P<y>[0-9]{4}|[0-9]{2})\s*$"
)
_BARE_NUMBER = re.compile(r"^\s*(?P<no>[0-9]{1,2})\.?\s*$")
# "Closed Session" (or "Private/Confidential Session") between items: the items after it were
# discussed in private, until an "Open Session" line.
_SESSION = re.compile(r"^\s*(?P<kind>open|closed|private|confidential)\s+session\b", re.I)
_PAGE_FURNITURE = re.compile(
    r"^\s*page\s+[0-9]+(?:\s+of\s+[0-9]+)?\s*$",
    re.I,
)

# --- actions ------------------------------------------------------------------------------------

_ACTION_MARK = re.compile(r"(?<![\w-])actions?\s*:", re.I)
# Between joint owners: "DP/RT", "DP / RT", "DP, RT", "DP & RT", "DP and RT", "DP-RT".
_JOINT_SEPARATOR = re.compile(r"\s*(?:[/,&+;]|\s[-–—]\s|\band\b)\s*|(?<=[A-Za-z])[-–](?=[A-Za-z])")
_INITIALS = re.compile(r"[A-Z]{1,4}|[a-z]{1,4}")
_NOT_INITIALS = frozenset({"ALL", "TBC", "TBA", "NONE", "NA"})

# --- previous meeting's actions -----------------------------------------------------------------

_PREVIOUS_OPENING = re.compile(r"^\s*(?:minutes|actions|matters\s+arising)\b", re.I)
_PREVIOUS_DATE = re.compile(
    r"\bmeeting\s+(?:held\s+)?on\s+(?:the\s+)?(?P<date>[^.]*[0-9][^.]*)", re.I
)
_UPDATES_MARKER = re.compile(r"^\s*(?:action\s+updates?|updates?\s+on\s+actions)\b", re.I)
_FIRST_LABEL = re.compile(r"^\s*(?P<label>a|1)[.)]\s+")
_STATUS_SEPARATOR = re.compile(r"(\s+[–—-]\s+)")
_DONE_WORDS = frozenset({"complete", "completed", "closed", "done", "finished"})
# What may qualify a status: the agenda item that covers it, a RAG rating, or the date it was
# completed ("Complete, agenda item 5", "Ongoing (amber)", "Complete, 1 December 2020").
_STATUS_QUALIFIER = (
    r"(?:(?:see\s+)?agenda\s+item\s*[0-9]+[a-z]?|red|amber|green"
    r"|(?:on\s+)?[0-9]{1,2}(?:st|nd|rd|th)?\s+[A-Za-z]{3,9}\.?\s+[0-9]{4}"
    r"|(?:on\s+)?[0-9]{1,2}/[0-9]{1,2}/[0-9]{2,4})"
)
_STATUS = re.compile(
    r"^(?P<word>completed?|closed|done|finished|ongoing|on-going|open|in\s+progress|outstanding)"
    rf"(?:\s*[,;]\s*{_STATUS_QUALIFIER}|\s*\({_STATUS_QUALIFIER}\))*"
    r"\s*\.?$",
    re.I,
)
_TRAILING_STATUS = re.compile(
    r"\s(?P<status>completed?|closed|done|ongoing|open|in\s+progress)\.?$", re.I
)

# --- dates and times ----------------------------------------------------------------------------

_ORDINAL = re.compile(r"(?<=[0-9])\s*(?:st|nd|rd|th)\b", re.I)
_DATE_LEAD = re.compile(r"^\s*(?:on\s+)?(?:the\s+)?", re.I)
# Two defaults that differ in every field: a field the text leaves out shows up as a difference.
_DEFAULTS = (datetime(2001, 1, 1, 0, 0), datetime(2002, 2, 2, 1, 1))
_TIME_BODY = r"[0-9]{1,2}(?:[:.][0-9]{2})?\s*(?:[ap]\.?m\b\.?)?"
_TIME = re.compile(
    r"(?:\bat\s+)?\b(?P<h>[0-9]{1,2})(?:[:.](?P<m>[0-9]{2}))?\s*(?P<ampm>[ap])\.?m\b\.?"
    r"|(?:\bat\s+)?\b(?P<h24>[0-9]{1,2}):(?P<m24>[0-9]{2})\b",
    re.I,
)
_TIME_RANGE_END = re.compile(r"\s*(?:-|–|—|to|until)\s*" + _TIME_BODY, re.I)
_TENTATIVE = re.compile(
    r"\(?\b(?:TBC|TBA|to\s+be\s+confirmed|provisional(?:ly)?|tentative)\b\)?\.?", re.I
)
_NEXT_MEETING = re.compile(
    r"^\s*(?:date\s+of\s+(?:the\s+)?)?next\s+meeting\b\s*(?:date\b)?\s*[.:\-–—]?\s*(?P<rest>.*)$",
    re.I,
)


@dataclass
class Row:
    body: list[Paragraph]
    owners: list[Paragraph]


@dataclass
class Item:
    number: str
    rows: list[Row] = field(default_factory=list)
    closed_session: bool = False

    @property
    def paragraphs(self) -> list[Paragraph]:
        return [p for row in self.rows for p in row.body]


@dataclass
class ItemTable:
    items: list[Item] = field(default_factory=list)
    stamps: list[date] = field(default_factory=list)  # dates written in the item numbers
    loose: list[Paragraph] = field(default_factory=list)  # lines outside any row
    after_header: bool = False  # the "No. | Item. | Action" row was read: bare numbers count
    closed_session: bool = False  # a "Closed Session" line came last: what follows is private


@dataclass
class Header:
    fields: dict[str, str] = field(default_factory=dict)
    board_name: str | None = None
    protective_marking: str | None = None
    people: list[Person] = field(default_factory=list)


def parse_text(text: str) -> Minutes:
    """Read minutes in the plain-text layout. Raises MinutesError if it is not minutes at all."""
    cleaned = _clean(text)
    lines = cleaned.split("\n")
    warnings: list[str] = []
    warn = warnings.append
    start = _table_start(lines)
    if start == len(lines):  # no "No. | Item. | Action" table: another board's layout
        from handlers.minutes.anylayout import read_any_layout
        from handlers.minutes.lines import text_lines

        return read_any_layout(text_lines(cleaned))
    header = read_header(lines[:start], warn)
    table = _read_table(lines[start:], header.protective_marking, warn)
    return assemble(header, table, warnings)


def assemble(header: Header, table: ItemTable, warnings: list[str]) -> Minutes:
    """The minutes from a read header and item table, whatever the document's format.

    ``warnings`` holds the doubts met while reading; those met here are added after them.
    Raises MinutesError if there is neither a meeting date nor a single item: not minutes.
    """
    warn = warnings.append
    meeting_date = _meeting_date(header.fields.get("date"), table.stamps, warn)
    if meeting_date is None and not table.items:
        raise MinutesError(
            "This doesn't look like minutes: I found neither the meeting's date (a “Date:” line) "
            "nor the table of items (rows numbered like “04/25/11/20”)."
        )
    # Read in document order, so the warnings come in the order a reader meets their causes.
    meeting_time = _meeting_time(header.fields.get("time"), warn)
    chair = _named_person(header.fields.get("chair"), header.people, "chair", warn)
    notes_taker = _named_person(header.fields.get("notes"), header.people, "notes", warn)
    previous_date, updates = _previous_meeting(table.items, warn)
    actions = _all_actions(table.items, warn)
    next_meeting = read_next_meeting(_all_paragraphs(table.items) + table.loose, warn)
    _check_next_is_later(meeting_date, next_meeting, warn)
    return Minutes(
        meeting_date=meeting_date,
        board_name=header.board_name,
        meeting_time=meeting_time,
        venue=header.fields.get("venue") or None,
        chair=chair,
        notes_taker=notes_taker,
        people=tuple(header.people),
        actions=tuple(actions),
        previous_meeting_date=previous_date,
        previous_updates=tuple(updates),
        next_meeting=next_meeting,
        protective_marking=header.protective_marking,
        warnings=tuple(dict.fromkeys(warnings)),  # the same doubt once, in order
        facts=house_facts(header, meeting_date, actions, next_meeting),
    )


def house_facts(
    header: Header,
    held: date | None,
    actions: Sequence[MinutedAction],
    upcoming: NextMeeting | None,
) -> tuple[Fact, ...]:
    """How the house layout's facts were read: its fixed places make them certain, except an
    action without an owner in the Action column."""
    facts = []
    if held is not None:
        written = header.fields.get("date")
        facts.append(
            Fact(
                "meeting date",
                held.isoformat(),
                f"Date: {written}" if written else "the item numbers",
                CERTAIN if written else LIKELY,
            )
        )
    facts += [
        Fact(
            "attendee",
            f"{p.name}, {p.attendance.value}",
            f"{p.name}\t{p.capacity or ''}".strip(),
            CERTAIN,
        )
        for p in header.people
    ]
    facts += [
        Fact(
            "action",
            f"{a.item} {'/'.join(a.owners) or '(no owner)'}: {a.text}",
            f"Action: {a.text}",
            CERTAIN if a.owners else LIKELY,
        )
        for a in actions
    ]
    if upcoming is not None:
        facts.append(
            Fact("next meeting", upcoming.date.isoformat(), "Date of Next Meeting", CERTAIN)
        )
    return tuple(facts)


# --- the text as a whole ------------------------------------------------------------------------


def _clean(text: str) -> str:
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise MinutesError("The minutes are empty: there is no text in them to read.")
    if _looks_binary(text):
        raise MinutesError(
            "This isn't readable text: it looks like binary data (a Word or PDF file saved as "
            ".txt?). Save the minutes as plain text and try again."
        )
    return plain_document(text)  # no control or bidi characters reach the board


def _looks_binary(text: str) -> bool:
    sample = text[:65536]
    if "\x00" in sample:
        return True
    odd = sum(
        1
        for ch in sample
        if ch == "\ufffd" or (ch not in "\t\n\f\v" and unicodedata.category(ch) == "Cc")
    )
    return odd > len(sample) // 100


def has_house_table(text: str) -> bool:
    """The text holds the house item table, typed with tabs: "No.<TAB>Item<TAB>Action" or rows
    numbered like "04/25/11/20<TAB>"."""
    lines = text.split("\n")
    return _table_start(lines) < len(lines)


def _table_start(lines: Sequence[str]) -> int:
    for index, line in enumerate(lines):
        cells = line.split("\t")
        if _TABLE_HEADER.match(line) or (len(cells) > 1 and _STAMPED_NUMBER.match(cells[0])):
            return index
    return len(lines)


# --- header and attendance ----------------------------------------------------------------------


def read_header(lines: Sequence[str], warn: Warn) -> Header:
    header = Header()
    attendance: Attendance | None = None
    for line in lines:
        if not line.strip() or _read_field(line, header):
            continue
        marker = _ATTENDANCE_MARKER.match(line)
        if marker:
            attendance = _attendance_of(marker["marker"])
            line = marker["rest"]
            if not line.strip():
                continue
        elif "\t" not in line:
            _read_title(line, header)
            continue
        if attendance is None:
            if _is_attendance_heading(line):
                continue
            warn(
                "The attendance table has no “Attendees:” marker, so the names before the first "
                "marker were taken as present."
            )
            attendance = Attendance.PRESENT
        _add_person(line, attendance, header.people, warn)
    return header


def _read_field(line: str, header: Header) -> bool:
    for name, pattern in _FIELDS.items():
        match = pattern.match(line)
        if match:
            # The first "Date:" is the meeting's; later ones are usually someone's deadline.
            header.fields.setdefault(name, normalise_space(match["value"]))
            return True
    return False


def _read_title(line: str, header: Header) -> None:
    if header.protective_marking is None and _MARKING.match(line):
        header.protective_marking = line.strip()
        return
    if header.board_name is None:
        for pattern in _BOARD_NAME:
            match = pattern.match(line)
            if match:
                header.board_name = normalise_space(match["name"])
                return


def _attendance_of(marker: str) -> Attendance:
    return Attendance.APOLOGIES if marker.lower().startswith("apolog") else Attendance.PRESENT


def _is_attendance_heading(line: str) -> bool:
    return line.split("\t")[0].strip().lower() in {"name", "names", "attendee", "attendees"}


def _add_person(line: str, attendance: Attendance, people: list[Person], warn: Warn) -> None:
    if _is_attendance_heading(line):
        return
    cells = [normalise_space(cell) for cell in line.split("\t")]
    name = cells[0]
    if not name:
        return
    capacity = ", ".join(cell for cell in cells[1:] if cell) or None
    if any(_same_name(p.name, name) for p in people):
        warn(f"{name} is listed twice in the attendance table; only the first entry was kept.")
        return
    people.append(Person(name, capacity, attendance))


def _same_name(a: str, b: str) -> bool:
    return normalise_space(a).casefold() == normalise_space(b).casefold()


def _named_person(
    value: str | None, people: Sequence[Person], role: str, warn: Warn
) -> Person | None:
    """The chair or notes taker, with the capacity their own line gives them."""
    if not value:
        return None
    name, capacity = _split_name_capacity(value)
    if not name:
        warn(f"Could not read a name in the {role} line “{value}”.")
        return None
    listed = next((p for p in people if _same_name(p.name, name)), None)
    if listed is None:
        return Person(name, capacity, Attendance.NOT_LISTED)
    return Person(listed.name, capacity or listed.capacity, listed.attendance)


def _split_name_capacity(value: str) -> tuple[str, str | None]:
    bracketed = re.match(r"^(?P<name>[^(]+?)\s*\((?P<capacity>[^)]*)\)\s*$", value)
    if bracketed:
        return normalise_space(bracketed["name"]), normalise_space(bracketed["capacity"]) or None
    name, *rest = re.split(r"\s*,\s*|\s+[–—-]\s+", value, maxsplit=1)
    return normalise_space(name), normalise_space(rest[0]) if rest else None


# --- item table ---------------------------------------------------------------------------------


def _read_table(lines: Sequence[str], marking: str | None, warn: Warn) -> ItemTable:
    table = ItemTable()
    for line in lines:
        if not line.strip():
            continue
        cells = line.split("\t")
        if is_table_header(cells):
            table.after_header = True
            continue
        if len(cells) > 1:
            number = cells[0]
            extra = [cell for cell in cells[3:] if cell.strip()]
            if extra:
                warn(f"Ignored text beyond the Action column: “{_short(' '.join(extra))}”.")
            body = paragraphs(cells[1])
            owners = paragraphs(cells[2]) if len(cells) > 2 else []
            if add_row(table, number, body, owners, warn):
                continue
        read_loose_line(line, marking, table, warn)
    return table


def is_table_header(cells: Sequence[str]) -> bool:
    """The item table's heading row: "No. | Item. | Action"."""
    return bool(_TABLE_HEADER.match("\t".join(cells[:2])))


def add_row(
    table: ItemTable,
    number_cell: str,
    body: list[Paragraph],
    owners: list[Paragraph],
    warn: Warn,
) -> bool:
    """Add one row of the item table. False when the row is not an item's (a loose line).

    A row numbered like "04/25/11/20" (or "4" after the heading row) starts item 04; a row with an
    empty number cell continues the item above.
    """
    number = _item_number(number_cell, table.after_header)
    if number is not None:
        _start_item(table, number, warn)
        _note_stamp(number_cell, table)
    elif number_cell.strip():
        return False
    elif not table.items:
        if body or owners:
            text = " ".join(p.text for p in [*body, *owners])
            warn(f"Ignored a table row that comes before any numbered item: “{_short(text)}”.")
        return True
    table.items[-1].rows.append(Row(body, owners))
    return True


def is_item_number(cell: str) -> bool:
    """A cell numbered like an item of these minutes: "04/25/11/20"."""
    return bool(_STAMPED_NUMBER.match(cell))


def protective_marking(line: str) -> str | None:
    """The protective marking a page header or footer carries ("PROTECT – MANAGEMENT"), or None."""
    return normalise_space(line) if _MARKING.match(line) else None


def bare_attendance_marker(text: str) -> bool:
    """ "Attendees:" or "Apologies:" with nothing after it."""
    match = _ATTENDANCE_MARKER.match(text)
    return bool(match) and not match["rest"].strip()


def _item_number(cell: str, after_header: bool) -> str | None:
    match = _STAMPED_NUMBER.match(cell) or (_BARE_NUMBER.match(cell) if after_header else None)
    return f"{int(match['no']):02d}" if match else None


def _start_item(table: ItemTable, number: str, warn: Warn) -> None:
    if table.items and table.items[-1].number == number:
        return  # the same number again on the next row: a continuation written out in full
    if any(item.number == number for item in table.items):
        warn(f"Item {number} appears twice in the table; its rows were read as separate items.")
    table.items.append(Item(number, closed_session=table.closed_session))


def _note_stamp(cell: str, table: ItemTable) -> None:
    match = _STAMPED_NUMBER.match(cell)
    if not match:
        return
    year = int(match["y"])
    try:
        stamp = date(year + 2000 if year < 100 else year, int(match["m"]), int(match["d"]))
    except ValueError:
        return
    table.stamps.append(stamp)


def read_loose_line(line: str, marking: str | None, table: ItemTable, warn: Warn) -> None:
    text = normalise_space(line)
    # Page headers and footers repeat through the table wherever the document broke a page.
    session = _SESSION.match(text)
    if session:
        table.closed_session = session["kind"].lower() != "open"
        return
    if text == marking or _MARKING.match(line) or _PAGE_FURNITURE.match(text):
        return
    if _NEXT_MEETING.match(text):
        table.loose.append(Paragraph(text))
        return
    warn(f"Ignored a line in the table of items that belongs to no item: “{_short(text)}”.")


def _previous_meeting(items: Iterable[Item], warn: Warn) -> tuple[date | None, list[ActionUpdate]]:
    for item in items:
        found = read_previous_meeting(item.paragraphs, warn)
        if found is not None:
            return found
    return None, []


def _all_paragraphs(items: Iterable[Item]) -> list[Paragraph]:
    return [p for item in items for p in item.paragraphs]


# --- actions ------------------------------------------------------------------------------------


def _all_actions(items: Iterable[Item], warn: Warn) -> list[MinutedAction]:
    return [
        replace(action, closed_session=item.closed_session)
        for item in items
        for row in item.rows
        for action in actions_in_row(item.number, row.body, row.owners, warn)
    ]


def actions_in_row(
    item: str, body: Sequence[Paragraph], owners: Sequence[Paragraph], warn: Warn
) -> list[MinutedAction]:
    """Pair a row's "Action:" sentences with the owner entries of its Action cell, in order."""
    sentences = [s for p in body for s in action_sentences(p.text)]
    for _ in range(sentences.count("")):
        warn(f"Item {item}: an “Action:” with no text after it was ignored.")
    sentences = [s for s in sentences if s]
    entries = [entry for p in owners for entry in owner_entries(p.text, item, warn)]
    actions = []
    for k, sentence in enumerate(sentences):
        if k >= len(entries):
            warn(
                f"Item {item}: the action “{_short(sentence)}” has no owner in the Action column, "
                "so it was recorded without one."
            )
        actions.append(MinutedAction(item, sentence, entries[k] if k < len(entries) else ()))
    if len(entries) > len(sentences):
        extra = ", ".join("/".join(e) or "?" for e in entries[len(sentences) :])
        warn(
            f"Item {item}: the Action column lists more owners than there are “Action:” "
            f"sentences ({len(entries)} against {len(sentences)}); ignored the extra: {extra}."
        )
    return actions


def action_sentences(text: str) -> list[str]:
    """The text after each "Action:" in a paragraph, up to the next "Action:" or its end."""
    marks = list(_ACTION_MARK.finditer(text))
    ends = [m.start() for m in marks[1:]] + [len(text)] if marks else []
    return [normalise_space(text[m.end() : end]) for m, end in zip(marks, ends, strict=True)]


def owner_entries(text: str, item: str, warn: Warn) -> list[tuple[str, ...]]:
    """The owner entries in one paragraph of an Action cell.

    "DP/RT" (or "DP / RT", "DP, RT", "DP & RT") is one entry with joint owners. Initials separated
    only by spaces are separate entries: the column lists one entry per line, and a flattened
    cell loses the line breaks but keeps the spaces.
    """
    text = text.strip()
    if not text:
        return []
    groups = [text] if _JOINT_SEPARATOR.search(text) else text.split()
    entries = []
    for group in groups:
        tokens = [t for chunk in _JOINT_SEPARATOR.split(group) if chunk for t in chunk.split()]
        owners = []
        for token in tokens:
            initials = _initials(token)
            if initials is None:
                warn(
                    f"Item {item}: “{_short(token)}” in the Action column is not someone's "
                    "initials, so it was not made an owner."
                )
            else:
                owners.append(initials)
        entries.append(tuple(owners))
    return entries


def _initials(token: str) -> str | None:
    bare = token.strip(" .()[]'\"‘’“”").replace(".", "")
    if not _INITIALS.fullmatch(bare) or bare.upper() in _NOT_INITIALS:
        return None
    return bare.upper()


# --- the previous meeting's actions -------------------------------------------------------------


def read_previous_meeting(
    paras: Sequence[Paragraph], warn: Warn
) -> tuple[date | None, list[ActionUpdate]] | None:
    """The previous meeting's date and the updates on its actions, from one item's paragraphs.

    The item is the one saying "Minutes/Actions from the meeting held on ..."; None if this item
    is not it. The updates are its lettered list ("a. text – detail – status b. ...").
    """
    for index, paragraph in enumerate(paras):
        if not _PREVIOUS_OPENING.match(paragraph.text):
            continue
        match = _PREVIOUS_DATE.search(paragraph.text)
        if not match:
            continue
        previous = read_date(match["date"])
        if previous is None:
            warn(f"Could not read the previous meeting's date “{match['date'].strip()}”.")
        return previous, _updates(paras[index + 1 :], warn)
    return None


def _updates(following: Sequence[Paragraph], warn: Warn) -> list[ActionUpdate]:
    marker = next((i for i, p in enumerate(following) if _UPDATES_MARKER.match(p.text)), None)
    rest = following[marker + 1 :] if marker is not None else following
    first = next((i for i, p in enumerate(rest) if _FIRST_LABEL.match(p.text)), None)
    if first is None:
        if marker is not None:
            warn("Found “Action Updates” but no lettered list (a., b., ...) of updates after it.")
        return []
    run = []
    for paragraph in rest[first:]:
        if paragraph.heading:  # the next sub-heading ends the list of updates
            break
        run.append(paragraph.text)
    return [_read_update(label, body, warn) for label, body in _split_labelled(" ".join(run))]


def _split_labelled(text: str) -> list[tuple[str, str]]:
    """Split "a. one b. two c. three" at labels that follow in sequence.

    Only the next label in sequence ends an entry, so a stray "b." inside a sentence is safe
    unless it is exactly the next label.
    """
    first = _FIRST_LABEL.match(text)
    if not first:
        return []
    labels = _label_sequence(first["label"])
    found: list[tuple[str, int, int]] = [(next(labels), first.start("label"), first.end())]
    for label in labels:
        match = re.compile(rf"(?<!\S){re.escape(label)}[.)]\s+").search(text, found[-1][2])
        if not match:
            break
        found.append((label, match.start(), match.end()))
    ends = [start for _, start, _ in found[1:]] + [len(text)]
    return [
        (label, text[body_start:end].strip())
        for (label, _, body_start), end in zip(found, ends, strict=True)
    ]


def _label_sequence(first: str) -> Iterable[str]:
    if first.isdigit():
        return iter([str(n) for n in range(1, 100)])
    return iter("abcdefghijklmnopqrstuvwxyz")


def _read_update(label: str, body: str, warn: Warn) -> ActionUpdate:
    pieces = _STATUS_SEPARATOR.split(body)
    parts = [p.strip() for p in pieces[0::2]]
    known = ((i, _STATUS.match(part)) for i, part in enumerate(parts) if i > 0)
    at, status_match = next(((i, m) for i, m in known if m), (None, None))
    if at is None or status_match is None:
        return _read_update_without_known_status(label, body, pieces, warn)
    status = parts[at].rstrip(".").strip()
    done = status_match["word"].lower() in _DONE_WORDS
    text, detail = _text_and_detail(pieces, at)
    # What follows the status is commentary: "Complete - The Safeguarding Boards' work ...".
    commentary = normalise_space("".join(pieces[2 * at + 2 :])) or None
    return ActionUpdate(label, text, status, done, detail, commentary)


def _text_and_detail(pieces: list[str], status_at: int) -> tuple[str, str | None]:
    """Everything before the status: the text, then (if there is one) the detail just before
    the status. The text may itself contain dashes, the detail (a name, an item) does not."""
    if status_at == 1:
        return normalise_space(pieces[0]), None
    text = normalise_space("".join(pieces[: 2 * (status_at - 1) - 1]))
    return text, normalise_space(pieces[2 * (status_at - 1)]) or None


def _read_update_without_known_status(
    label: str, body: str, pieces: list[str], warn: Warn
) -> ActionUpdate:
    parts = pieces[0::2]
    if len(parts) > 1:
        status = normalise_space(parts[-1]).rstrip(".")
        text, detail = _text_and_detail(pieces, len(parts) - 1)
        warn(
            f"Could not tell whether the previous meeting's action {label} (“{_short(text)}”) is "
            f"complete from its status “{_short(status)}”, so it was taken as not done."
        )
        return ActionUpdate(label, text, status, False, detail)
    trailing = _TRAILING_STATUS.search(body)
    if trailing:
        status = trailing["status"]
        text = normalise_space(body[: trailing.start()])
        return ActionUpdate(label, text, status, status.lower() in _DONE_WORDS, None)
    text = normalise_space(body)
    warn(
        f"The previous meeting's action {label} (“{_short(text)}”) has no status, so it was taken "
        "as not done."
    )
    return ActionUpdate(label, text, "", False, None)


# --- next meeting -------------------------------------------------------------------------------


def read_next_meeting(paras: Sequence[Paragraph], warn: Warn) -> NextMeeting | None:
    """The next meeting from the first "Date of Next Meeting" paragraph, or None."""
    for index, paragraph in enumerate(paras):
        match = _NEXT_MEETING.match(paragraph.text)
        if not match:
            continue
        rest = match["rest"]
        if not rest and index + 1 < len(paras):
            rest = paras[index + 1].text  # the heading on its own, the date underneath
        return _parse_next_meeting(rest, warn)
    return None


def _parse_next_meeting(text: str, warn: Warn) -> NextMeeting | None:
    tentative = bool(_TENTATIVE.search(text))
    body = _TENTATIVE.sub(" ", text)
    when, body = take_time(body)
    parts = [part.strip(" .") for part in body.split(",")]
    parts = [part for part in parts if part]
    # A weekday may come first: "Wednesday, 24th February 2021".
    for k in range(1, min(3, len(parts)) + 1):
        day = read_date(", ".join(parts[:k]))
        if day is not None:
            return NextMeeting(day, when, ", ".join(parts[k:]) or None, tentative)
    if not parts and tentative:
        warn("The next meeting's date is still to be confirmed, so no next meeting was recorded.")
    else:
        warn(
            f"Could not read the next meeting's date in “{_short(normalise_space(text))}”, "
            "so no next meeting was recorded."
        )
    return None


def _check_next_is_later(held: date | None, upcoming: NextMeeting | None, warn: Warn) -> None:
    if held and upcoming and upcoming.date <= held:
        warn(
            f"The next meeting's date ({_day(upcoming.date)}) is not after this meeting's "
            f"({_day(held)}): check the minutes."
        )


# --- dates and times ----------------------------------------------------------------------------


def read_date(text: str) -> date | None:
    """A full calendar date (day, month and year) written day-first, or None.

    Accepts "25th November 2020", "24 th February 2021", "24/06/2020", "Wednesday 24 February
    2021". A date missing its day, month or year is None rather than a guess.
    """
    cleaned = _DATE_LEAD.sub("", _ORDINAL.sub("", text)).strip(" .,")
    if not re.search(r"[0-9]", cleaned) or len(cleaned) > 60:
        return None
    try:
        first, second = (
            dateparser.parse(cleaned, dayfirst=True, default=default) for default in _DEFAULTS
        )
    except (ValueError, OverflowError):
        return None
    return first.date() if first.date() == second.date() else None


def take_time(text: str) -> tuple[time | None, str]:
    """The first time of day in ``text`` ("10am", "10.30 a.m.", "14:00", "10:00 - 12:00" gives
    10:00) and the text without it. Dates like "24.02.2021" are not mistaken for times."""
    match = _TIME.search(text)
    if not match:
        return None, text
    when = _time_of(match)
    if when is None:
        return None, text
    end = match.end()
    range_end = _TIME_RANGE_END.match(text, end)
    if range_end:
        end = range_end.end()
    return when, text[: match.start()] + " " + text[end:]


def _time_of(match: re.Match[str]) -> time | None:
    if match["h24"] is not None:
        hour, minute = int(match["h24"]), int(match["m24"])
    else:
        hour, minute = int(match["h"]), int(match["m"] or 0)
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match["ampm"].lower() == "p" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _meeting_date(text: str | None, stamps: Sequence[date], warn: Warn) -> date | None:
    held = read_date(text) if text else None
    if text and held is None:
        warn(f"Could not read the meeting's date “{_short(text)}”.")
    if held is not None:
        others = sorted({s for s in stamps if s != held})
        if others:
            warn(
                f"Some item numbers carry the date {_day(others[0])}, but the minutes are dated "
                f"{_day(held)}; the minutes' date was used."
            )
        return held
    if stamps:
        reason = "the date line could not be read" if text else "there is no “Date:” line"
        warn(f"Took the meeting's date, {_day(stamps[0])}, from the item numbers because {reason}.")
        return stamps[0]
    return None


def _meeting_time(text: str | None, warn: Warn) -> time | None:
    if not text:
        return None
    when, _ = take_time(text)
    if when is None:
        warn(f"Could not read the meeting's time “{_short(text)}”.")
    return when


# --- wording ------------------------------------------------------------------------------------


def _short(text: str, limit: int = 80) -> str:
    text = normalise_space(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"
