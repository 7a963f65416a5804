"""The actions marked in minutes of any layout, and their owners.

Markers: "Action:", "Action –", "Action -", "ACTION:", "Action point 1:", "Action (CD):", and
"Actions:" followed by a list; an Action column beside the item (the owners' initials, paired in
order with the marked sentences, or the actions themselves); an action log table. Owners come
from the column, or from the action's words by the rules of :mod:`.owners`; "Action: RJ/DB" or
"Action by: EF" after a sentence makes that sentence the action. An "Update <date> – <status>"
sentence is an update on an earlier action, never a new one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from handlers.members import derive_initials
from handlers.minutes.attendance import initials_of
from handlers.minutes.lines import Line
from handlers.minutes.model import CERTAIN, GUESSED, LIKELY, ActionUpdate, Person
from handlers.minutes.owners import owner_list, read_owners
from handlers.minutes.record import Record, evidence_of, shorten
from handlers.minutes.segments import Item, LogRow, Segments, item_number

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
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_NUMBERED_ENTRY = re.compile(r"^\s*\d{1,2}[.)]\s+")


@dataclass
class Found:
    item: str
    text: str
    owners: tuple[str, ...]
    evidence: str
    rule: str  # how the owners were found, or "none"


def find_actions(
    parts: Segments, index: dict[str, str], record: Record
) -> tuple[list[Found], list[ActionUpdate]]:
    found: list[Found] = []
    updates: list[ActionUpdate] = []
    if not parts.numbered and parts.items:
        listed = ", ".join(f"{i.number} “{shorten(i.title, 40)}”" for i in parts.items[:12])
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
                evidence_of(item.heading),
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
                f"action {action.item} ({shorten(action.text, 40)})",
                f"“{shorten(action.text)}” is marked as an action outside any numbered item; it "
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
                f"Item {self.number}: “{shorten(evidence)}” names owners but no action before "
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
                f"The action log row “{shorten(row.row.text)}” has no item number I can read; it "
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
                f"action {action.item} ({shorten(action.text, 40)})",
                f"Item {action.item}: “{shorten(action.text)}” is marked as an action in the text "
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


def check_owners(actions: Sequence[Found], people: Sequence[Person], record: Record) -> None:
    known = {initials_of(p) for p in people}
    for n, action in enumerate(actions, start=1):
        about = f"action {action.item}.{n} ({shorten(action.text, 40)})"
        if not action.owners:
            record.doubt(
                "owner missing",
                about,
                f"Item {action.item}: no owner is named for “{shorten(action.text)}”; it was "
                "recorded without one.",
                action.evidence,
            )
        for owner in action.owners:
            if people and owner not in known:
                record.doubt(
                    "owner unknown",
                    about,
                    f"Item {action.item}: the owner {owner} of “{shorten(action.text)}” is not on "
                    "the attendance list; kept as an unknown owner.",
                    action.evidence,
                )
