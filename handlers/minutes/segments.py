"""A document's lines cut into its header, attendance, items and closing.

- **Items** start at a numbered heading: "3.", "3)", "Item 3", "Agenda item 3", "Ref
  03/18/01/2022", "04/25/11/20 Title", or a table row whose first cell is such a number. Bare
  numbers ("3.", "3)") must follow in sequence, so a numbered list inside an item is not taken
  for items. A document with no numbered items is cut at its headings instead (Word heading
  styles, bold or underlined lines, HTML headings; in plain text, short title lines after a
  blank line), and its items are numbered in order.
- **Attendance** is a Name | Capacity table, or the lines under "Present:", "In attendance:",
  "Apologies:" (and the like), wherever they are, while they read as people.
- **The closing** starts at the next meeting's heading, or "Meeting closed"; an action log
  table (Item | Action | Owner) may sit there or anywhere else.
- **The header** is everything before the first attendance line or item.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from handlers.minutes.attendance import MARKER, attendance_of, read_entry, split_entries
from handlers.minutes.lines import Line
from handlers.minutes.model import Attendance

_STAMP = r"(?P<no>\d{1,2})/(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4}|\d{2})\b"
_TAIL = r"[\s.:)–—-]*(?P<title>.*)$"
_STRONG_HEADINGS = (
    re.compile(rf"^\s*Ref(?:erence)?\.?\s*:?\s*{_STAMP}{_TAIL}", re.I),
    re.compile(rf"^\s*{_STAMP}{_TAIL}"),
    re.compile(rf"^\s*(?:Agenda\s+)?Item\s+(?:No\.?\s*)?(?P<no>\d{{1,2}})[a-z]?\b{_TAIL}", re.I),
)
_NUMBERED = re.compile(r"^\s*(?P<no>\d{1,2})\s*[.)]\s+(?P<title>\S.*)$")
_NUMBERED_HEADING = re.compile(r"^\s*(?P<no>\d{1,2})\.?\s+(?P<title>[A-Z].*)$")
_CLOSING = re.compile(
    r"^\s*(?:(?:date|time)s?\s+(?:and\s+\w+\s+)?of\s+(?:the\s+)?next\s+meeting|next\s+meeting\b"
    r"|(?:the\s+)?meeting\s+(?:closed|ended|finished)|close\s+of\s+(?:the\s+)?meeting)",
    re.I,
)
_TITLE_LINE = re.compile(r"^[A-Z0-9][^.;:,!?]*$")
_MAX_TITLE_WORDS = 14

_HEADER_WORDS = {
    "name": re.compile(r"^(?:full\s+)?names?$|^attendees?$|^members?$|^present$", re.I),
    "item": re.compile(
        r"^(?:no\.?|item\s*(?:no\.?)?|agenda\s+item|ref(?:erence)?\.?|minute(?:\s+no\.?)?|#)$",
        re.I,
    ),
    "action": re.compile(
        r"^(?:agreed\s+)?actions?(?:\s+(?:required|agreed|points?))?$|^description$", re.I
    ),
    "owner": re.compile(
        r"^(?:owners?|leads?|responsible|by\s+whom|action\s+by|who|action\s+owner)$", re.I
    ),
    "body": re.compile(
        r"^(?:minutes?|notes?|discussion|item|details?|summary|subject|business|title)\.?$",
        re.I,
    ),
}


@dataclass
class Item:
    number: str | None  # two digits, "03"; None until an unnumbered document is numbered
    title: str
    heading: Line | None  # the heading or row it started at: the evidence for its number
    lines: list[Line] = field(default_factory=list)
    stamp: date | None = None  # the meeting date written in "04/25/11/20" or "Ref 03/18/01/2022"
    action_column: int | None = None  # an item table's Action column, by cell index
    owner_column: int | None = None


@dataclass(frozen=True)
class LogRow:
    """One row of an action log table."""

    item: str
    action: str
    owners: str
    row: Line


@dataclass
class Segments:
    header: list[Line] = field(default_factory=list)
    attendance: list[tuple[Line, Attendance]] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    closing: list[Line] = field(default_factory=list)
    log: list[LogRow] = field(default_factory=list)
    numbered: bool = True


@dataclass(frozen=True)
class TableKind:
    kind: str  # "attendance", "items", "log", "other"
    columns: dict[str, int]  # "item", "action", "owner", "name", "body" -> cell index
    has_header: bool


def segment(lines: Sequence[Line]) -> Segments:
    kinds = _table_kinds(lines)
    numbered = _segment(lines, kinds, numbered=True)
    if len(numbered.items) >= 2 or any(k.kind == "items" for k in kinds.values()):
        return numbered
    unnumbered = _segment(lines, kinds, numbered=False)
    unnumbered.numbered = False
    for n, item in enumerate(unnumbered.items, start=1):
        item.number = f"{n:02d}"
    return unnumbered if len(unnumbered.items) > len(numbered.items) else numbered


# --- tables -------------------------------------------------------------------------------------


def _table_kinds(lines: Sequence[Line]) -> dict[int, TableKind]:
    firsts: dict[int, Line] = {}
    for line in lines:
        if line.in_table:
            firsts.setdefault(line.table, line)
    return {table: _kind(first) for table, first in firsts.items()}


def _kind(first: Line) -> TableKind:
    headers = [" ".join(cell).strip(" :") for cell in first.cells]
    columns: dict[str, int] = {}
    for index, text in enumerate(headers):
        for name, pattern in _HEADER_WORDS.items():
            if pattern.match(text) and name not in columns and index not in columns.values():
                columns[name] = index
    if "item" in columns and columns["item"] != 0 and "body" not in columns:
        columns["body"] = columns.pop("item")  # "Item" heads the discussion, not the number
    if "name" in columns:
        return TableKind("attendance", columns, True)
    if "action" in columns and "owner" in columns and "body" not in columns:
        return TableKind("log", columns, True)
    if "item" in columns and ("body" in columns or "action" in columns):
        return TableKind("items", columns, True)
    if headers and item_number(headers[0]) is not None and len(headers) >= 2:
        action = len(headers) - 1 if len(headers) >= 3 else None
        return TableKind("items", {"item": 0, **({"action": action} if action else {})}, False)
    return TableKind("other", {}, False)


def item_number(cell: str) -> tuple[str, date | None] | None:
    """A table cell that numbers an item: "3", "3.", "03/18/01/2022", "Item 3", "Ref 3/..."."""
    text = cell.strip()
    bare = re.fullmatch(r"(?P<no>\d{1,2})\.?(?:\d{1,2})?", text)
    if bare:
        return f"{int(bare['no']):02d}", None
    for pattern in _STRONG_HEADINGS:
        match = pattern.match(text)
        if match and not match["title"]:
            return f"{int(match['no']):02d}", _stamp(match)
    return None


def _stamp(match: re.Match[str]) -> date | None:
    if "d" not in match.groupdict() or match["d"] is None:
        return None
    year = int(match["y"])
    try:
        return date(year + 2000 if year < 100 else year, int(match["m"]), int(match["d"]))
    except ValueError:
        return None


# --- the scan -----------------------------------------------------------------------------------


@dataclass
class _State:
    found: Segments
    attendance: Attendance | None = None  # reading an attendance block of this kind
    seen_attendance: bool = False
    closing: bool = False
    last_number: int | None = None


def _segment(lines: Sequence[Line], kinds: dict[int, TableKind], *, numbered: bool) -> Segments:
    state = _State(Segments())
    previous: Line | None = None
    seen_tables: set[int] = set()
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else None
        if line.in_table and kinds[line.table].kind != "other":
            first = line.table not in seen_tables
            seen_tables.add(line.table)
            _table_row(line, kinds[line.table], first, state)
        else:
            _text_line(line, previous, following, numbered, state)
        previous = line
    return state.found


def _table_row(line: Line, kind: TableKind, first: bool, state: _State) -> None:
    found = state.found
    if first and kind.has_header:
        return
    if kind.kind == "attendance":
        state.seen_attendance = True
        _attendance_row(line, kind, state)
    elif kind.kind == "log":
        found.log.append(
            LogRow(
                _column(line, kind, "item"),
                _column(line, kind, "action"),
                _column(line, kind, "owner"),
                line,
            )
        )
    else:
        first_cell = " ".join(line.cells[0]) if line.cells else ""
        number = item_number(first_cell)
        if number is not None:
            state.closing = False
            found.items.append(
                Item(
                    number[0],
                    "",
                    line,
                    [line],
                    number[1],
                    kind.columns.get("action"),
                    kind.columns.get("owner"),
                )
            )
        elif found.items and found.items[-1].heading is not None:
            found.items[-1].lines.append(line)


def _column(line: Line, kind: TableKind, name: str) -> str:
    at = kind.columns.get(name)
    return " ".join(line.cells[at]) if at is not None and at < len(line.cells) else ""


def _attendance_row(line: Line, kind: TableKind, state: _State) -> None:
    texts = [" ".join(cell) for cell in line.cells]
    if not texts or not texts[0]:
        return
    marker = MARKER.match(texts[0])
    if marker:
        state.attendance = attendance_of(marker["marker"])
        texts[0] = marker["rest"] or ""
        if not texts[0].strip():
            return
    name_at = kind.columns.get("name", 0)
    if name_at >= len(texts):
        return
    rest = [t for k, t in enumerate(texts) if k != name_at and t]
    entry = "\t".join([texts[name_at], ", ".join(rest)]) if rest else texts[name_at]
    state.found.attendance.append((_as_entry_line(entry, line), state.attendance or _PRESENT))


_PRESENT = Attendance.PRESENT


def _as_entry_line(text: str, line: Line) -> Line:
    return Line(text, cells=line.cells, table=line.table)


def _text_line(
    line: Line, previous: Line | None, following: Line | None, numbered: bool, state: _State
) -> None:
    found = state.found
    marker = MARKER.match(line.text)
    if marker and (marker["rest"] is not None or line.heading or _is_people(following)):
        state.attendance = attendance_of(marker["marker"])
        state.seen_attendance = True
        rest = (marker["rest"] or "").strip()
        if rest:
            found.attendance.append((Line(rest, bullet=line.bullet), state.attendance))
        return
    if state.attendance is not None:
        if not line.heading and is_person_line(line):
            found.attendance.append((line, state.attendance))
            return
        state.attendance = None
    if _CLOSING.match(line.text) and not _numbered_heading(line, state, numbered):
        state.closing = True
    if not state.closing:
        heading = _heading(line, previous, numbered, state)
        if heading is not None:
            found.items.append(heading)
            return
    if state.closing:
        found.closing.append(line)
    elif found.items:
        found.items[-1].lines.append(line)
    else:
        found.header.append(line)


def _numbered_heading(line: Line, state: _State, numbered: bool) -> bool:
    return numbered and _heading(line, None, numbered, state, dry=True) is not None


def _heading(
    line: Line, previous: Line | None, numbered: bool, state: _State, *, dry: bool = False
) -> Item | None:
    if numbered:
        return _numbered(line, state, dry)
    if _is_unnumbered_heading(line, previous, state):
        return Item(None, line.text, line)
    return None


def _numbered(line: Line, state: _State, dry: bool) -> Item | None:
    text = line.text
    for pattern in _STRONG_HEADINGS:
        match = pattern.match(text)
        if match and (not match["title"] or match["title"][0].isupper() or line.heading):
            return _numbered_item(match, line, state, dry)
    match = _NUMBERED.match(text) or (_NUMBERED_HEADING.match(text) if line.heading else None)
    if match is None or len(match["title"].split()) > _MAX_TITLE_WORDS:
        return None
    number, last = int(match["no"]), state.last_number
    in_sequence = number <= 3 if last is None else last < number <= last + 2
    if not in_sequence or not match["title"][0].isupper():
        return None
    return _numbered_item(match, line, state, dry)


def _numbered_item(match: re.Match[str], line: Line, state: _State, dry: bool) -> Item:
    number = int(match["no"])
    if not dry:
        state.last_number = number
    return Item(f"{number:02d}", match["title"].strip(), line, stamp=_stamp(match))


def _is_unnumbered_heading(line: Line, previous: Line | None, state: _State) -> bool:
    if not (state.seen_attendance or state.found.items):
        return False
    if line.in_table or len(line.text.split()) > _MAX_TITLE_WORDS:
        return False
    if line.heading:  # a bold list item too: Word's numbered headings lose their numbers
        return True
    if line.bullet:
        return False
    title_like = bool(_TITLE_LINE.match(line.text)) and len(line.text.split()) <= 8
    return title_like and line.blank_before and (previous is None or not previous.heading)


def entry_text(line: Line) -> str:
    """A line as attendance entries: a tab-separated line keeps its "Name<TAB>Role" shape."""
    if line.cells and not line.in_table:
        return "\t".join(" ".join(cell) for cell in line.cells)
    return line.text


def is_person_line(line: Line) -> bool:
    """A line of an attendance block: every entry in it names someone."""
    if len(line.text) > 300 or (not line.bullet and line.text.endswith(".")):
        return False
    entries = split_entries(entry_text(line))
    return bool(entries) and all(read_entry(e, Attendance.PRESENT) for e in entries)


def _is_people(line: Line | None) -> bool:
    return line is not None and (line.bullet or is_person_line(line))
