"""The secretariat's Word (.docx) minutes, read into :class:`Minutes` with python-docx.

The document's body becomes text lines and table grids (see :mod:`handlers.minutes.layout`),
which are read with the same rules as every other format. Word's own structure is handled here:

- the protective marking lives in the page header and footer, not the body;
- a merged cell appears in python-docx once per grid column it spans, and a vertically merged
  cell again in every row it spans: each cell is read once, by its underlying ``<w:tc>``, and
  the rows below it see it as continued;
- a line break inside a paragraph (Shift+Enter) separates lines as a new paragraph would, so an
  Action cell may list its initials either way;
- a list paragraph (a bullet style or numbering) is a bullet; a paragraph wholly underlined or
  bold, or in a heading style, is a sub-heading.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any
from weakref import WeakKeyDictionary

import docx
from docx.document import Document
from docx.enum.text import WD_UNDERLINE
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph as WordParagraph
from docx.text.run import Run
from lxml import etree

from handlers.errors import MinutesError
from handlers.minutes.html_fragments import Paragraph, text_paragraphs
from handlers.minutes.layout import Block, Cell, TableBlock, TextBlock, minutes_from_blocks
from handlers.minutes.model import Minutes

# What a damaged package raises while python-docx unzips and parses it. NotImplementedError is
# zipfile's answer to a compression method it doesn't know. python-docx trusts each part to be
# the XML it names: a part of the wrong shape (a bare <Types/>) fails deep inside it as an
# AttributeError or TypeError.
_DAMAGED = (
    AttributeError,
    TypeError,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    PackageNotFoundError,
    KeyError,
    ValueError,
    NotImplementedError,
    etree.XMLSyntaxError,
)


def parse_docx(data: bytes) -> Minutes:
    """Read minutes from the bytes of a .docx file. Raises MinutesError if it can't be opened."""
    document = _open(data)
    warnings: list[str] = []
    blocks = list(_blocks(document))
    return minutes_from_blocks(blocks, list(_page_furniture(document)), warnings)


def _open(data: bytes) -> Document:
    if not data.startswith(b"PK"):
        raise MinutesError(
            "This isn't a Word .docx file (it isn't a zip package). If it is an old .doc, open it "
            "in Word and save it as .docx."
        )
    try:
        return docx.Document(io.BytesIO(data))
    except _DAMAGED:
        raise MinutesError(
            "This .docx file is damaged or isn't a Word document: open it in Word, save it "
            "again and retry."
        ) from None


def _page_furniture(document: Document) -> Iterator[str]:
    """Every line of every page header and footer, where the protective marking is."""
    for section in document.sections:
        parts = (
            section.header,
            section.first_page_header,
            section.even_page_header,
            section.footer,
            section.first_page_footer,
            section.even_page_footer,
        )
        for part in parts:
            if part.is_linked_to_previous:
                continue
            for paragraph in part.paragraphs:
                yield from paragraph.text.split("\n")
            for table in part.tables:
                for row in table.rows:
                    for cell in row.cells:
                        yield from cell.text.split("\n")


def _body_content(parent: BaseOxmlElement, container: object) -> Iterator[WordParagraph | Table]:
    """Paragraphs and tables in order, including those inside block content controls (a
    template's date picker or title box), which python-docx's own iteration skips."""
    for child in parent.iterchildren():
        if child.tag == qn("w:p"):
            yield WordParagraph(child, container)  # type: ignore[arg-type]
        elif child.tag == qn("w:tbl"):
            yield Table(child, container)  # type: ignore[arg-type]
        elif child.tag == qn("w:sdt"):
            for content in child.iterchildren(qn("w:sdtContent")):
                yield from _body_content(content, container)


def _blocks(document: Document) -> Iterator[Block]:
    lines: list[tuple[str, bool, bool]] = []
    for content in _body_content(document.element.body, document._body):
        if isinstance(content, Table):
            if lines:
                yield _text_block(lines)
                lines = []
            yield _table(content)
        else:
            in_list = _is_list(content)
            lines.extend((text, emphasised, in_list) for text, emphasised in _lines(content))
    if lines:
        yield _text_block(lines)


def _text_block(lines: list[tuple[str, bool, bool]]) -> TextBlock:
    texts, headings, bullets = zip(*lines, strict=True)
    return TextBlock(tuple(texts), tuple(headings), tuple(bullets))


def _table(table: Table) -> TableBlock:
    # Keyed by id, holding the element itself: lxml hands back the same proxy object for an
    # element only while one is alive, so the ids stay meaningful.
    seen: dict[int, object] = {}
    rows = []
    for row in table.rows:
        cells: list[Cell] = []
        column = row.grid_cols_before
        previous = None
        for cell in row.cells:
            if cell._tc is previous:  # the same cell again: it spans this grid column too
                column += 1
                continue
            previous = cell._tc
            key = id(cell._tc)
            cells.append(Cell(column, () if key in seen else _cell_paragraphs(cell), key in seen))
            seen[key] = cell._tc
            column += 1
        rows.append(tuple(cells))
    return TableBlock(tuple(rows))


def _cell_paragraphs(cell: _Cell) -> tuple[Paragraph, ...]:
    result: list[Paragraph] = []
    for content in _body_content(cell._tc, cell):
        if isinstance(content, Table):
            # A table inside a cell: read its text in order, as paragraphs of this cell.
            for row in content.rows:
                for inner in dict.fromkeys(c._tc for c in row.cells):
                    result.extend(_cell_paragraphs(_Cell(inner, content)))
            continue
        in_list = _is_list(content)
        for text, emphasised in _lines(content):
            result.extend(text_paragraphs(text, in_list=in_list, emphasised=emphasised))
    return tuple(result)


def _lines(paragraph: WordParagraph) -> list[tuple[str, bool]]:
    """The paragraph's lines (split at line breaks), each with whether it is all emphasised."""
    heading = _style_name(paragraph).startswith(("heading", "title"))
    lines: list[tuple[list[str], bool]] = [([], True)]
    for run in _runs(paragraph):
        emphasised = heading or _emphasised(run, paragraph)
        for k, piece in enumerate(run.text.split("\n")):
            if k > 0:
                lines.append(([], True))
            pieces, all_emphasised = lines[-1]
            pieces.append(piece)
            if piece.strip():
                lines[-1] = (pieces, all_emphasised and emphasised)
    return [("".join(pieces), emph) for pieces, emph in lines if "".join(pieces).strip()]


# The runs of a paragraph as Word shows them: its own, and those inside hyperlinks, inline
# content controls, smart tags and tracked insertions (python-docx skips the last three).
# Tracked deletions hold w:delText, not w:t, so they never add text.
_RUN_PATHS = (
    "./w:r | ./w:hyperlink/w:r | ./w:sdt/w:sdtContent/w:r | ./w:smartTag/w:r | ./w:ins/w:r"
    " | ./w:sdt/w:sdtContent/w:hyperlink/w:r | ./w:ins/w:hyperlink/w:r"
)


def _runs(paragraph: WordParagraph) -> Iterator[Run]:
    for r in paragraph._p.xpath(_RUN_PATHS):
        yield Run(r, paragraph)


def _emphasised(run: Run, paragraph: WordParagraph) -> bool:
    """Underlined or bold, directly or by the paragraph's style."""
    style = _paragraph_style(paragraph)
    style_font = style.font if style is not None else None
    underline = run.underline
    if underline is None and style_font is not None:
        underline = style_font.underline
    bold = run.bold
    if bold is None and style_font is not None:
        bold = style_font.bold
    return bool(bold) or underline not in (None, False, WD_UNDERLINE.NONE)


def _is_list(paragraph: WordParagraph) -> bool:
    p_pr = paragraph._p.pPr
    numbered = p_pr is not None and p_pr.numPr is not None
    return numbered or _style_name(paragraph).startswith("list")


def _style_name(paragraph: WordParagraph) -> str:
    style = _paragraph_style(paragraph)
    return (style.name or "").lower() if style is not None else ""


# Each document's paragraph styles by style id. python-docx's ``Paragraph.style`` searches the
# styles part's XML on every call, and it was asked three times per paragraph: 80% of the time
# of reading a 40-page file.
_styles: WeakKeyDictionary[object, dict[str | None, Any]] = WeakKeyDictionary()


def _paragraph_style(paragraph: WordParagraph) -> Any:
    known = _styles.setdefault(paragraph.part, {})
    style_id = paragraph._p.style
    if style_id not in known:
        known[style_id] = paragraph.style
    return known[style_id]
