"""The minutes' page layout, shared by the readers of structured documents (.docx, .html).

A Word or HTML document is first turned into :class:`Block`s, in document order: runs of text
lines, and tables as grids of :class:`Cell`. This module then reads them as the secretariat lays
the minutes out:

- the lines above the tables: date, venue, chair, notes taker, the board's name;
- the attendance table (Name | Capacity), whose rows switch between attendees and apologies at
  the "Attendees:" and "Apologies:" markers;
- the item table (No. | Item. | Action), read with the same rules as the plain-text layout;
- the protective marking, from the page header or footer.

A document with no item table at all is read as plain text, line by line, if the minutes were
typed with tabs instead of a table; otherwise it is in another board's layout, and read by
:mod:`handlers.minutes.anylayout`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from handlers.minutes.anylayout import read_any_layout
from handlers.minutes.html_fragments import Paragraph, normalise_space
from handlers.minutes.lines import Line, paragraph_lines, row_line
from handlers.minutes.model import Minutes
from handlers.minutes.text import (
    ItemTable,
    Warn,
    add_row,
    assemble,
    bare_attendance_marker,
    has_house_table,
    is_item_number,
    is_table_header,
    parse_text,
    protective_marking,
    read_header,
    read_loose_line,
)

ITEM_COLUMN, ACTION_COLUMN = 1, 2


@dataclass(frozen=True)
class Cell:
    """One cell of a table, at the grid column where it starts."""

    column: int
    paragraphs: tuple[Paragraph, ...] = ()
    # The second or later row of a vertically merged cell: its text was read in the row above.
    continued: bool = False

    @property
    def text(self) -> str:
        return " ".join(p.text for p in self.paragraphs)


@dataclass(frozen=True)
class TextBlock:
    """Lines of text outside any table, raw (tabs kept, for "Name<TAB>Capacity" lines)."""

    lines: tuple[str, ...]
    # Per line, when the format says: a heading (heading style, bold, underlined, <h2>) and a
    # list item. Only the reader of other layouts uses them.
    headings: tuple[bool, ...] = ()
    bullets: tuple[bool, ...] = ()


@dataclass(frozen=True)
class TableBlock:
    rows: tuple[tuple[Cell, ...], ...]


Block = TextBlock | TableBlock


def minutes_from_blocks(
    blocks: Sequence[Block], page_furniture: Iterable[str], warnings: list[str]
) -> Minutes:
    """Read the blocks of a document; ``page_furniture`` is its page headers' and footers' text."""
    warn = warnings.append
    marking = next((m for m in map(protective_marking, page_furniture) if m), None)
    if not any(isinstance(b, TableBlock) and _is_item_table(b) for b in blocks):
        text = "\n".join([marking or "", *_all_lines(blocks)])
        if has_house_table(text):  # the house layout typed with tabs instead of a table
            return parse_text(text)
        return read_any_layout(lines_of(blocks), list(page_furniture))
    header_lines: list[str] = [marking] if marking else []
    table = ItemTable()
    for block in blocks:
        if isinstance(block, TableBlock) and _is_item_table(block):
            _read_item_table(block, table, marking, warn)
        elif table.items:
            # After the items began: only the next meeting's date belongs here, or furniture.
            for line in _lines(block):
                read_loose_line(line, marking, table, warn)
        elif isinstance(block, TableBlock):
            header_lines.extend(line for row in block.rows for line in attendance_lines(row))
        else:
            header_lines.extend(block.lines)
    header = read_header(header_lines, warn)
    return assemble(header, table, warnings)


def lines_of(blocks: Sequence[Block]) -> list[Line]:
    """The blocks as the lines the reader of other layouts reads (see :mod:`.lines`)."""
    result: list[Line] = []
    tables = 0
    for block in blocks:
        if isinstance(block, TableBlock):
            for row in block.rows:
                cells = [() if c.continued else tuple(p.text for p in c.paragraphs) for c in row]
                result.append(row_line(cells, tables))
            tables += 1
            continue
        for k, text in enumerate(block.lines):
            heading = k < len(block.headings) and block.headings[k]
            bullet = k < len(block.bullets) and block.bullets[k]
            result.extend(paragraph_lines([(text, heading, bullet)]))
    return result


def _all_lines(blocks: Sequence[Block]) -> list[str]:
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, TextBlock):
            lines.extend(block.lines)
        else:
            lines.extend("\t".join(cell.text for cell in row) for row in block.rows)
    return lines


def _lines(block: Block) -> list[str]:
    if isinstance(block, TextBlock):
        return [line for line in block.lines if line.strip()]
    return [p.text for row in block.rows for cell in row for p in cell.paragraphs]


def _is_item_table(block: TableBlock) -> bool:
    for row in block.rows:
        first = _cell_at(row, 0)
        second = _cell_at(row, ITEM_COLUMN)
        if first is None or first.continued:
            continue
        if is_item_number(first.text) or is_table_header(
            [first.text, second.text if second else ""]
        ):
            return True
    return False


def _cell_at(row: Sequence[Cell], column: int) -> Cell | None:
    return next((cell for cell in row if cell.column == column), None)


def _read_item_table(block: TableBlock, table: ItemTable, marking: str | None, warn: Warn) -> None:
    for row in block.rows:
        number = _cell_at(row, 0)
        number_text = "" if number is None or number.continued else number.text
        if is_table_header([number_text, _text_at(row, ITEM_COLUMN)]):
            table.after_header = True
            continue
        body = _paragraphs_at(row, ITEM_COLUMN)
        owners = _paragraphs_at(row, ACTION_COLUMN)
        extra = [c.text for c in row if c.column > ACTION_COLUMN and not c.continued and c.text]
        if extra:
            warn(f"Ignored text beyond the Action column: “{_short(' '.join(extra))}”.")
        if not add_row(table, number_text, body, owners, warn):
            # Text in the number column that is not a number: a heading row across the table,
            # such as "Open Session (...)", or the page furniture of a split table.
            for paragraph in number.paragraphs if number else ():
                read_loose_line(paragraph.text, marking, table, warn)


def _text_at(row: Sequence[Cell], column: int) -> str:
    cell = _cell_at(row, column)
    return cell.text if cell is not None and not cell.continued else ""


def _paragraphs_at(row: Sequence[Cell], column: int) -> list[Paragraph]:
    cell = _cell_at(row, column)
    return list(cell.paragraphs) if cell is not None and not cell.continued else []


def attendance_lines(row: Sequence[Cell]) -> list[str]:
    """An attendance row as "Name<TAB>Capacity" lines, the plain-text layout's own.

    Handles a marker in a cell of its own ("Apologies: | Lloyd Griffiths | WCC") and a row that
    lists several people, one paragraph each, in its Name and Capacity cells.
    """
    cells = [[p.text for p in cell.paragraphs] for cell in row if not cell.continued]
    cells = [texts for texts in cells if texts]
    if not cells:
        return []
    marker = ""
    if len(cells[0]) >= 1 and bare_attendance_marker(cells[0][0]):
        marker = cells[0][0]
        cells[0] = cells[0][1:]
        if not cells[0]:
            cells = cells[1:]
    if not cells:
        return [marker]
    names, capacities = cells[0], [c for texts in cells[1:] for c in texts]
    if len(names) > 1 and len(capacities) in (0, len(names)):
        pairs = [(name, capacities[k] if capacities else "") for k, name in enumerate(names)]
    else:
        pairs = [(" ".join(names), ", ".join(capacities))]
    lines = [f"{name}\t{capacity}" for name, capacity in pairs]
    if marker:
        lines[0] = f"{marker} {lines[0]}"
    return lines


def _short(text: str, limit: int = 80) -> str:
    text = normalise_space(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
