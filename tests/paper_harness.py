"""The next minutes built around the paper, as the secretariat builds them: the paper's item 02
row pasted into the minutes' table (Word), or written out in the plain-text layout (.txt)."""

from __future__ import annotations

import copy
import html
import io
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import docx
from docx.table import Table, _Cell

from bot.runtime import Runtime
from tests.conftest import say
from tests.docx_fixtures import (
    MARKING,
    U,
    add_attendance,
    add_item_row,
    add_item_table,
    add_lines,
    new_minutes,
    to_bytes,
)

ATTENDEES = (
    ("Tracey Onslow", "DPCC, West Mercia OPCC"),
    ("Claire Richardson", "Commissioning Manager, OPCC"),
    ("Damian Pettit", "DS C&V & Safeguarding, West Mercia Police"),
)


def header_lines(day: str) -> list[str]:
    return [
        "West Mercia Crime Reduction Board Minutes",
        f"Date: {day}",
        "Venue: Allsop Room, Hindlip Hall",
        "Chairman: Tracey Onslow, DPCC, West Mercia OPCC",
        "Notes: Rachael Thorold, OPCC",
    ]


def paper_rows(paper_docx: bytes) -> Table:
    """The paper's table: its heading row, then item 02's rows."""
    return docx.Document(io.BytesIO(paper_docx)).tables[0]


def edit_lines(table: Table, edits: Mapping[str, str]) -> None:
    """What the secretariat types over at the meeting: each paragraph that starts with a key
    (its letter, "e.") becomes the value."""
    for row in table.rows:
        for cell in dict.fromkeys(row.cells):
            for paragraph in cell.paragraphs:
                for start, replacement in edits.items():
                    if paragraph.text.startswith(start):
                        runs = paragraph.runs
                        runs[0].text = replacement
                        for run in runs[1:]:
                            run.text = ""


def next_minutes_docx(
    paper_docx: bytes, day: str, next_day: str, edits: Mapping[str, str] | None = None
) -> bytes:
    """Word minutes whose item 02 is the paper's row, copied and pasted."""
    document = new_minutes()
    add_lines(document, *header_lines(day))
    add_attendance(document, ATTENDEES)
    table = add_item_table(document)
    add_item_row(table, "01", [U("Introductions & Apologies."), "See above."])
    pasted = paper_rows(paper_docx)
    edit_lines(pasted, edits or {})
    for row in pasted.rows[1:]:
        table._tbl.append(copy.deepcopy(row._tr))
    add_item_row(table, "03", [U("Date of Next Meeting."), f"{next_day}, 10am, Hindlip Hall"])
    return to_bytes(document)


def next_minutes_text(
    paper_docx: bytes, day: str, next_day: str, edits: Mapping[str, str] | None = None
) -> str:
    """The same minutes in the plain-text layout: item 02's cell as its HTML fragment."""
    lines = [MARKING, *header_lines(day), "Name\tCapacity"]
    lines += [f"{'Attendees: ' if k == 0 else ''}{n}\t{c}" for k, (n, c) in enumerate(ATTENDEES)]
    lines += ["No.\tItem.\tAction", "01\t<p><u>Introductions & Apologies.</u></p>\t"]
    pasted = paper_rows(paper_docx)
    edit_lines(pasted, edits or {})
    for row in pasted.rows[1:]:
        cells = list(dict.fromkeys(row.cells))
        if len(cells) == 1:  # a row across the table: "Closed Session"
            lines.append(cells[0].text)
        else:
            lines.append("\t".join([cells[0].text, fragment(cells[1]), cells[2].text]))
    lines.append(f"03\t<p><u>Date of Next Meeting.</u></p> <p>{next_day}, 10am</p>\t")
    return "\n".join(lines) + "\n"


def fragment(cell: _Cell) -> str:
    """A Word cell as the minutes' HTML fragment: <p> paragraphs, underlined ones in <u>."""
    parts: Sequence[str] = [
        f"<p><u>{html.escape(p.text)}</u></p>"
        if p.runs and all(r.underline for r in p.runs if r.text.strip())
        else f"<p>{html.escape(p.text)}</p>"
        for p in cell.paragraphs
        if p.text.strip()
    ]
    return " ".join(parts)


def at(day: int, month: int, year: int = 2020) -> datetime:
    return datetime(year, month, day, 10, 0, tzinfo=UTC)


def work_on_the_actions(board: Runtime) -> None:
    """What the owners did between November and February."""
    say(board, "CR", "done 04-CR.2 sent to the Board on 1 December", at(1, 12))
    say(board, "CR", "note 04-CR.1 amber date agreed with IP for January", at(3, 12))
    say(board, "DP", "note 04-DP red waiting on comments from two CSPs", at(12, 1, 2021))
    say(board, "SG", "done 06-SG", at(20, 1, 2021))
    say(
        board, "RT", "note 05-DP green statistics circulated with the draft minutes", at(1, 2, 2021)
    )
