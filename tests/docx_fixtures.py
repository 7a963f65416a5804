"""Word minutes built with python-docx, in the secretariat's layout.

- the protective marking in the page header and footer;
- the date, venue, chair and notes taker as paragraphs above the tables;
- a two-column attendance table (Name | Capacity) with "Attendees:" and "Apologies:" markers;
- a three-column item table (No. | Item. | Action): the Item cell holds paragraphs with "Action:"
  sentences, the Action cell the owners' initials, one per action, one per paragraph or line.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import docx
from docx.document import Document
from docx.table import Table, _Row

from bot.demo import sample_text
from handlers.minutes.html_fragments import paragraphs

MARKING = "PROTECT – MANAGEMENT"


@dataclass(frozen=True)
class U:
    """An underlined sub-heading paragraph."""

    text: str


@dataclass(frozen=True)
class Bullet:
    """A paragraph in the List Bullet style."""

    text: str


Body = str | U | Bullet


def new_minutes(marking: str | None = MARKING) -> Document:
    document = docx.Document()
    if marking:
        section = document.sections[0]
        section.header.paragraphs[0].text = marking
        section.footer.paragraphs[0].text = marking
    return document


def add_lines(document: Document, *lines: str) -> None:
    for line in lines:
        document.add_paragraph(line)


def add_attendance(
    document: Document,
    attendees: Sequence[tuple[str, str]],
    apologies: Sequence[tuple[str, str]] = (),
) -> Table:
    """Name | Capacity, the markers written before the first name of each group."""
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Name", "Capacity"
    for marker, people in (("Attendees:", attendees), ("Apologies:", apologies)):
        for k, (name, capacity) in enumerate(people):
            cells = table.add_row().cells
            cells[0].text = f"{marker} {name}" if k == 0 else name
            cells[1].text = capacity
    return table


def add_item_table(document: Document) -> Table:
    table = document.add_table(rows=1, cols=3)
    for cell, heading in zip(table.rows[0].cells, ("No.", "Item.", "Action"), strict=True):
        cell.text = heading
    return table


def add_item_row(
    table: Table,
    number: str,
    body: Sequence[Body],
    owners: Sequence[str] = (),
    *,
    owners_on_lines: bool = False,
) -> _Row:
    """One row. ``owners_on_lines`` writes the initials as lines of one paragraph (Shift+Enter)."""
    row = table.add_row()
    number_cell, item_cell, action_cell = row.cells
    number_cell.text = number
    write_paragraphs(item_cell, body)
    if owners_on_lines and owners:
        paragraph = action_cell.paragraphs[0]
        for k, owner in enumerate(owners):
            if k:
                paragraph.add_run().add_break()
            paragraph.add_run(owner)
    else:
        write_paragraphs(action_cell, owners)
    return row


def write_paragraphs(cell: object, body: Sequence[Body]) -> None:
    """Fill a cell, its first (empty) paragraph first."""
    first = True
    for part in body:
        paragraph = cell.paragraphs[0] if first else cell.add_paragraph()  # type: ignore[attr-defined]
        first = False
        if isinstance(part, U):
            paragraph.add_run(part.text).underline = True
        elif isinstance(part, Bullet):
            paragraph.style = "List Bullet"
            paragraph.add_run(part.text)
        else:
            paragraph.add_run(part)


def to_bytes(document: Document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- the sample minutes, re-laid as a Word document ---------------------------------------------


def sample_as_docx() -> bytes:
    """The bundled sample minutes (plain text) laid out again as the secretariat's Word file.

    The marking moves to the page header and footer; each row of the text's item table becomes a
    table row, and a continued row (empty number) has its No. cell merged with the row above.
    """
    lines = sample_text().split("\n")
    document = new_minutes()
    attendance_at = next(k for k, line in enumerate(lines) if line.startswith("Name\t"))
    items_at = next(k for k, line in enumerate(lines) if line.startswith("No.\t"))
    for line in lines[:attendance_at]:
        if line.strip() and line.strip() != MARKING:
            document.add_paragraph(line.strip())
    attendance = document.add_table(rows=0, cols=2)
    for line in lines[attendance_at:items_at]:
        if "\t" in line:
            name, capacity = line.split("\t", 1)
            cells = attendance.add_row().cells
            cells[0].text, cells[1].text = name, capacity
        elif line.strip():
            document.add_paragraph(line.strip())  # "Open Session (...)" between the tables
    items = add_item_table(document)
    for line in lines[items_at + 1 :]:
        if "\t" not in line:
            continue  # blank lines, and the marking where the text broke a page
        number, item, *action = line.split("\t")
        row = add_item_row(
            items,
            number,
            [_body(p) for p in paragraphs(item)],
            [p.text for p in paragraphs(action[0] if action else "")],
        )
        if not number.strip():
            above = items.rows[len(items.rows) - 2].cells[0]
            above.merge(row.cells[0])
    return to_bytes(document)


def _body(paragraph: object) -> Body:
    text = paragraph.text  # type: ignore[attr-defined]
    if paragraph.heading:  # type: ignore[attr-defined]
        return U(text)
    return Bullet(text) if paragraph.bullet else text  # type: ignore[attr-defined]


def sample_as_html() -> str:
    """The sample minutes as a web page: the same tables, the cells' fragments as they are."""
    lines = sample_text().split("\n")
    attendance_at = next(k for k, line in enumerate(lines) if line.startswith("Name\t"))
    items_at = next(k for k, line in enumerate(lines) if line.startswith("No.\t"))
    html = ["<html><body>", f"<header><p>{MARKING}</p></header>"]
    html += [f"<p>{line.strip()}</p>" for line in lines[:attendance_at] if line.strip()]
    html.append("<table>")
    for line in lines[attendance_at:items_at]:
        if "\t" in line:
            html.append("<tr>" + "".join(f"<td>{c}</td>" for c in line.split("\t")) + "</tr>")
    html.append("</table><p>Open Session</p><table>")
    html.append("<tr><th>No.</th><th>Item.</th><th>Action</th></tr>")
    for line in lines[items_at + 1 :]:
        if "\t" in line:
            cells = [*line.split("\t"), "", ""][:3]
            html.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    html += ["</table>", f"<footer>{MARKING}</footer>", "</body></html>"]
    return "\n".join(html)


# --- a later meeting's minutes, with the tricky parts -------------------------------------------

LATER_ATTENDEES = [
    ("Tracey Onslow", "DPCC, West Mercia OPCC"),
    ("Claire Richardson", "Commissioning Manager, OPCC"),
    ("Damian Pettit", "DS C&V & Safeguarding, West Mercia Police"),
    ("Rachael Thorold", "OPCC"),
    ("Nadia Okafor", "Head of Community Safety, Telford & Wrekin Council"),
]
LATER_APOLOGIES = [("Chris Jensen", "CJS Business Manager, West Mercia OPCC")]


def later_minutes(
    *, date_line: str = "Date: 24th February 2021", extra_rows: Sequence[tuple] = ()
) -> Document:
    """The February 2021 minutes, with merged cells, line breaks, lower-case initials, a notes
    taker who is not an attendee, and an action naming its owner only in the Action cell."""
    document = new_minutes()
    add_lines(
        document,
        "West Mercia Crime Reduction Board Minutes",
        date_line,
        "Venue: Allsop Room, Hindlip Hall",
        "Chairman: Tracey Onslow, DPCC, West Mercia OPCC",
        "Notes: Priya Shah, OPCC Business Support",
    )
    add_attendance(document, LATER_ATTENDEES, LATER_APOLOGIES)
    document.add_paragraph("Open Session (items likely to be made available for public view)")
    table = add_item_table(document)
    add_item_row(table, "01/24/02/21", [U("Introductions & Apologies."), "See above."])
    add_item_row(
        table,
        "02/24/02/21",
        [
            U("Minutes/Actions from the meeting held on the 25th November 2020."),
            "Accuracy. The minutes were recorded as an accurate record.",
            U("Action Updates."),
            "a. Co-ordinate discussion of the CLIMB project with IP – CR – Complete",
            "b. Circulate a previous draft paper for comment – Damian Pettit – Ongoing",
            "c. Recidivist IOM data to be brought to the meeting – RT – Complete, agenda item 5",
            "d. Arrange the Christmas party – Complete",
        ],
    )
    first = add_item_row(
        table,
        "03/24/02/21",
        [U("Serious Organised Crime."), "Action: cr to circulate the SOC profile schedule."],
        ["cr"],
    )
    second = add_item_row(
        table,
        "",
        [
            Bullet("The SWOT analysis was discussed."),
            "Action: DP will bring the SWOT findings to the next meeting.",
            "Action: The statistics are to be circulated with the minutes.",
        ],
        ["DP", "DP/RT"],
        owners_on_lines=True,
    )
    first.cells[0].merge(second.cells[0])  # the No. cell spans both rows
    closed = table.add_row()
    closed.cells[0].merge(closed.cells[2]).text = "Closed Session"
    add_item_row(
        table,
        "04/24/02/21",
        [U("Criminal Justice."), "Action: the PCP panel report is to be shared with the Board."],
        ["CJ"],
    )
    add_item_row(table, "05/24/02/21", ["Action: book a larger room for the May meeting."])
    for row in extra_rows:
        add_item_row(table, *row)
    last = add_item_row(
        table, "06/24/02/21", [U("Date of Next Meeting."), "26th May 2021, 10am, Hindlip Hall"]
    )
    last.cells[1].merge(last.cells[2])  # the Item cell spans the Action column
    return document


# --- Word's own wrappers: content controls and tracked changes ----------------------------------

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def wrap_in_content_control(paragraph: object) -> None:
    """Move a body paragraph inside a block content control (a template's field)."""
    from docx.oxml import parse_xml

    p = paragraph._p  # type: ignore[attr-defined]
    sdt = parse_xml(f"<w:sdt {W}><w:sdtPr/><w:sdtContent/></w:sdt>")
    p.addprevious(sdt)
    sdt[1].append(p)


def tracked_paragraph(kept: str, inserted: str, deleted: str) -> object:
    """A <w:p> with text kept, a tracked insertion and a tracked deletion."""
    from docx.oxml import parse_xml

    return parse_xml(
        f'<w:p {W}><w:r><w:t xml:space="preserve">{kept}</w:t></w:r>'
        f'<w:ins w:id="1" w:author="RT" w:date="2021-02-25T10:00:00Z"><w:r>'
        f'<w:t xml:space="preserve">{inserted}</w:t></w:r></w:ins>'
        f'<w:del w:id="2" w:author="RT" w:date="2021-02-25T10:00:00Z"><w:r>'
        f'<w:delText xml:space="preserve">{deleted}</w:delText></w:r></w:del></w:p>'
    )


def inline_control_paragraph(text: str) -> object:
    """A <w:p> whose only text is inside an inline content control."""
    from docx.oxml import parse_xml

    return parse_xml(
        f"<w:p {W}><w:sdt><w:sdtPr/><w:sdtContent><w:r><w:t>{text}</w:t></w:r>"
        "</w:sdtContent></w:sdt></w:p>"
    )
