"""The paper as a Word document laid out as the board's minutes are, so it pastes into them.

The table is the minutes' own "No. | Item. | Action" table with one row: item 02 of the next
minutes ("02/24/02/21"), whose Item cell holds the underlined "Actions from the meeting held on
…", "Action Updates." and the lettered list, one line a paragraph. The secretariat copies that row
into the next minutes, and the import reads it back as it reads any minutes (handlers/updates.py).
Closed-session lines follow under a "Closed Session" row across the table, in a continuation row
of the same item, so both rows can be left out when the paper is published.

The page is A4 in British English (Word's spelling checker agrees with the board), the heading
row repeats on every page, and the file says who wrote it and when. No action's line breaks
across a page: the short rows are kept whole, and item 02's row, which may be longer than a
page, breaks only between its lines (each is kept together, the sub-headings with what follows).
Keeping that row whole would leave the first page empty and still break it on the next. (Word
keeps a line together inside a cell; LibreOffice may still break one when the list runs longer
than a page.)
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import UTC

import docx
from docx.document import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table, _Cell, _Row
from docx.text.paragraph import Paragraph

from handlers.export import Paper, PaperLine

LANGUAGE = "en-GB"
FONT = "Arial"
PAGE_WIDTH, PAGE_HEIGHT, MARGIN = Mm(210), Mm(297), Mm(20)
# No. fits "02/24/02/21"; Action fits joint initials ("DP/RT"); the Item column takes the rest.
COLUMNS = (Mm(27), Mm(123), Mm(20))
HEADINGS = ("No.", "Item.", "Action")
HANGING = Mm(5)
UPDATES_HEADING = "Action Updates."
CLOSED_SESSION = "Closed Session"
EMPTY = "No actions were open at that meeting or raised at it."


def render_docx(paper: Paper) -> bytes:
    document = docx.Document()
    _page(document)
    _british(document)
    _properties(document, paper)
    _marking(document, paper.protective_marking)
    _front_matter(document, paper)
    table = _item_table(document)
    _item_rows(table, paper)
    if paper.lines:
        document.add_paragraph(paper.summary).paragraph_format.space_before = Pt(6)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- the page -----------------------------------------------------------------------------------


def _page(document: Document) -> None:
    for section in document.sections:
        section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
        section.left_margin = section.right_margin = MARGIN
        section.top_margin = section.bottom_margin = MARGIN
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(11)
    normal.paragraph_format.space_after = Pt(6)
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), FONT)  # python-docx sets ascii and hAnsi only


def _british(document: Document) -> None:
    """British English everywhere Word looks: the default run language, the theme's fonts'
    language, and every style python-docx's template marks as American."""
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    assert defaults is not None
    r_pr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
    assert r_pr is not None
    language = r_pr.find(qn("w:lang"))
    if language is None:
        language = OxmlElement("w:lang")
        r_pr.append(language)
    for element in styles.iter(qn("w:lang")):
        for attribute in ("w:val", "w:eastAsia"):
            element.set(qn(attribute), LANGUAGE)
    theme = document.settings.element.find(qn("w:themeFontLang"))
    if theme is not None:
        theme.set(qn("w:val"), LANGUAGE)
    _drop_template_leftovers(document)


def _drop_template_leftovers(document: Document) -> None:
    """python-docx's template carries Word 2010's copy of the styles (still American English)
    and a thumbnail of a page that is not this one: neither belongs in the paper."""
    part = document.part
    for r_id, rel in list(part.rels.items()):
        if rel.reltype.endswith("/stylesWithEffects"):
            part.drop_rel(r_id)
    package = part.package
    for r_id, rel in list(package.rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            del package.rels[r_id]


def _properties(document: Document, paper: Paper) -> None:
    core = document.core_properties
    core.title = f"{paper.board_name}: {paper.title}"
    core.subject = paper.for_meeting or paper.title
    core.author = core.last_modified_by = paper.author or paper.board_name
    core.comments = ""
    core.keywords = "; ".join(filter(None, ("actions", paper.protective_marking)))
    core.category = paper.protective_marking or ""
    core.language = LANGUAGE
    core.revision = 1
    if paper.written_at is not None:
        written = paper.written_at.astimezone(UTC).replace(microsecond=0, tzinfo=None)
        core.created = core.modified = written
    _application(document)


_APP_NAME = re.compile(rb"<Application>[^<]*</Application>")


def _application(document: Document) -> None:
    """docProps/app.xml names the program that wrote the file: this one, not Word for Mac."""
    for part in document.part.package.iter_parts():
        if str(part.partname) == "/docProps/app.xml":
            part._blob = _APP_NAME.sub(b"<Application>crb-bot</Application>", part.blob)


def _marking(document: Document, marking: str | None) -> None:
    """The marking centred and bold at the top and foot of every page; the foot also numbers
    the pages ("Page 2 of 3"), which the minutes reader passes over as page furniture."""
    section = document.sections[0]
    if marking:
        for part in (section.header, section.footer):
            _centred(part.paragraphs[0]).add_run(marking).bold = True
    footer = section.footer
    numbers = _centred(footer.add_paragraph() if marking else footer.paragraphs[0])
    numbers.add_run("Page ")
    _field(numbers, "PAGE", "1")
    numbers.add_run(" of ")
    _field(numbers, "NUMPAGES", "1")


def _centred(paragraph: Paragraph) -> Paragraph:
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return paragraph


def _field(paragraph: Paragraph, instruction: str, shown: str) -> None:
    """A Word field (PAGE, NUMPAGES): Word and LibreOffice work out its value as they lay out."""
    for kind, text in (("begin", None), ("instr", instruction), ("separate", None)):
        run = paragraph.add_run()._r
        if kind == "instr":
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = f" {text} "
        else:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        run.append(element)
    paragraph.add_run(shown)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    paragraph.add_run()._r.append(end)


def _front_matter(document: Document, paper: Paper) -> None:
    document.add_paragraph().add_run(paper.board_name).bold = True
    document.add_paragraph().add_run(paper.title).bold = True
    if paper.for_meeting:
        document.add_paragraph(paper.for_meeting)


# --- the table ----------------------------------------------------------------------------------


def _item_table(document: Document) -> Table:
    table = document.add_table(rows=1, cols=len(COLUMNS))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False  # a fixed layout: Word keeps the widths below, not the text's
    for column, width in zip(table.columns, COLUMNS, strict=True):
        column.width = width
    heading = table.rows[0]
    for cell, text in zip(heading.cells, HEADINGS, strict=True):
        cell.paragraphs[0].add_run(text).bold = True
    _row_properties(heading, repeat=True)
    return table


def _row_properties(row: _Row, *, repeat: bool = False, whole: bool = True) -> None:
    """``whole``: the row keeps together on one page; ``repeat``: it heads every page."""
    tr_pr = row._tr.get_or_add_trPr()
    if whole:
        tr_pr.append(OxmlElement("w:cantSplit"))
    if repeat:
        tr_pr.append(OxmlElement("w:tblHeader"))
    for cell, width in zip(row.cells, COLUMNS, strict=True):
        cell.width = width


def _item_rows(table: Table, paper: Paper) -> None:
    row = _add_row(table, whole=False)
    number, item, _action = row.cells
    number.paragraphs[0].add_run(paper.item_number)
    title = item.paragraphs[0]
    title.add_run(f"{paper.title}.").underline = True
    title.paragraph_format.keep_with_next = True
    if not paper.lines:
        item.add_paragraph(EMPTY)
        return
    item.add_paragraph(UPDATES_HEADING).paragraph_format.keep_with_next = True
    _lettered(item, paper.open_lines)
    if paper.closed_lines:
        across = _add_row(table)
        merged = across.cells[0].merge(across.cells[-1])
        merged.paragraphs[0].add_run(CLOSED_SESSION).bold = True
        more = _add_row(table, whole=False).cells[1]
        _lettered(more, paper.closed_lines, first_paragraph=True)


def _add_row(table: Table, *, whole: bool = True) -> _Row:
    row = table.add_row()
    _row_properties(row, whole=whole)
    return row


def _lettered(cell: _Cell, lines: Sequence[PaperLine], *, first_paragraph: bool = False) -> None:
    """One paragraph per line, "a. text – owner – status": the minutes' own lettered list.
    ``first_paragraph``: the line goes in the cell's empty first paragraph, not a new one."""
    for n, line in enumerate(lines):
        paragraph = cell.paragraphs[0] if first_paragraph and n == 0 else cell.add_paragraph()
        # A hanging indent keeps the letters clear of the wrapped lines, as a list's would.
        layout = paragraph.paragraph_format
        layout.left_indent, layout.first_line_indent = HANGING, -HANGING
        layout.keep_together = True  # a line never breaks across a page
        paragraph.add_run(f"{line.letter}. {line.sentence()}")
