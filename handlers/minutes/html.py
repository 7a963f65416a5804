"""Minutes saved as a web page (.html), read into :class:`Minutes` with BeautifulSoup.

The layout is the Word one in HTML: paragraphs above the tables (date, venue, chair, notes
taker), a two-column attendance table (Name | Capacity) with the "Attendees:" and "Apologies:"
markers, and a three-column item table (No. | Item. | Action) whose cells hold paragraphs and
lists. The protective marking may be a paragraph at the top, or in a ``<header>`` or
``<footer>``. ``colspan`` and ``rowspan`` are honoured, so merged cells are read once.
"""

from __future__ import annotations

import re
import warnings as python_warnings
from collections.abc import Iterator

from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning
from bs4.element import Tag

from handlers.errors import MinutesError
from handlers.minutes.html_fragments import INVISIBLE_TAGS, Paragraph, paragraphs
from handlers.minutes.layout import Block, Cell, TableBlock, TextBlock, minutes_from_blocks
from handlers.minutes.model import Minutes

_PLACEHOLDER = re.compile(r"^⟦crb-table-(?P<n>[0-9]+)⟧$")
_MAX_SPAN = 1000


def parse_html(text: str) -> Minutes:
    """Read minutes from the text of an HTML page. Raises MinutesError if they aren't minutes."""
    if not text.strip():
        raise MinutesError("The minutes are empty: there is no text in them to read.")
    with python_warnings.catch_warnings():
        python_warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(text, "html.parser")
    for invisible in soup.find_all(list(INVISIBLE_TAGS)):
        invisible.decompose()
    _drop_site_furniture(soup)
    root = soup.body or soup
    furniture = list(_footers(root))
    # A page of the board's website: the minutes are its <main> (or only <article>).
    articles = root.find_all("article")
    root = root.find("main") or (articles[0] if len(articles) == 1 else root)
    tables = _top_level_tables(root)
    grids = [_grid(table) for table in tables]
    for n, table in enumerate(tables):
        placeholder = soup.new_tag("p")
        placeholder.string = f"⟦crb-table-{n}⟧"
        table.replace_with(placeholder)
    blocks = list(_blocks(root, grids))
    return minutes_from_blocks(blocks, furniture, [])


_SITE_FURNITURE = re.compile(r"breadcrumb|cookie|skip|menu|navbar|site-header|share|social", re.I)


def _drop_site_furniture(soup: BeautifulSoup) -> None:
    """A website's navigation, menus, cookie banners and forms: never part of the minutes."""
    for tag in soup.find_all(["nav", "aside", "form", "button", "noscript", "iframe", "svg"]):
        tag.decompose()
    for tag in soup.find_all(attrs={"role": ["navigation", "banner", "search", "complementary"]}):
        tag.decompose()
    for tag in soup.find_all(True):
        if tag.decomposed:
            continue
        names = " ".join([*tag.get("class", []), str(tag.get("id", ""))])
        if names.strip() and _SITE_FURNITURE.search(names) and tag.name not in ("body", "main"):
            tag.decompose()


def _footers(root: Tag) -> Iterator[str]:
    """The text of page footers, taken out of the body: the marking is all they add."""
    for footer in root.find_all("footer"):
        yield from (p.text for p in paragraphs(footer.decode_contents()))
        footer.decompose()


def _top_level_tables(root: Tag) -> list[Tag]:
    return [t for t in root.find_all("table") if t.find_parent("table") is None]


def _blocks(root: Tag, grids: list[TableBlock]) -> Iterator[Block]:
    lines: list[Paragraph] = []
    for paragraph in paragraphs(root.decode_contents()):
        placeholder = _PLACEHOLDER.match(paragraph.text)
        if placeholder is None:
            lines.append(paragraph)
            continue
        if lines:
            yield _text_block(lines)
            lines = []
        yield grids[int(placeholder["n"])]
    if lines:
        yield _text_block(lines)


def _text_block(lines: list[Paragraph]) -> TextBlock:
    return TextBlock(
        tuple(p.text for p in lines),
        tuple(p.heading for p in lines),
        tuple(p.bullet for p in lines),
    )


def _grid(table: Tag) -> TableBlock:
    """The table's rows as cells at their grid columns; cells under a rowspan are continued."""
    covering: dict[int, int] = {}  # grid column -> rows below still covered by a rowspan
    rows = []
    for tr in _rows(table):
        covered = {column for column, left in covering.items() if left > 0}
        cells: list[Cell] = []
        column = 0
        for td in tr.find_all(["td", "th"], recursive=False):
            while column in covered:
                cells.append(Cell(column, continued=True))
                column += 1
            span, down = _span(td, "colspan"), _span(td, "rowspan")
            cells.append(Cell(column, tuple(paragraphs(td.decode_contents()))))
            for spanned in range(column, column + span):
                covering[spanned] = max(covering.get(spanned, 0), down)
            column += span
        cells.extend(Cell(c, continued=True) for c in sorted(covered) if c >= column)
        covering = {c: left - 1 for c, left in covering.items() if left > 1}
        rows.append(tuple(cells))
    return TableBlock(tuple(rows))


def _rows(table: Tag) -> list[Tag]:
    return [tr for tr in table.find_all("tr") if tr.find_parent("table") is table]


def _span(cell: Tag, attribute: str) -> int:
    value = cell.get(attribute)
    try:
        span = int(str(value).strip()) if value is not None else 1
    except ValueError:
        return 1
    if span == 0 and attribute == "rowspan":
        return _MAX_SPAN  # rowspan="0": to the end of the table
    return min(max(span, 1), _MAX_SPAN)
