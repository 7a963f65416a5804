"""HTML-ish fragments (a table cell's ``<p>``, ``<ul>``, ``<u>``...) as plain paragraphs.

The board's minutes keep each table cell as a loose fragment of HTML: paragraphs are ``<p>``,
lists are ``<ul>`` elements that are never closed and whose items are not ``<li>`` but
``" - "`` bullets written inline, and sub-headings are underlined. Every reader (.txt, .html,
.docx) turns a cell into the same list of :class:`Paragraph` so the rules that find actions,
updates and the next meeting are written once.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning
from bs4.element import NavigableString, PageElement, PreformattedString, Tag

# Tags that start and end a paragraph. Anything else (u, b, span, a...) runs inline.
_HEADINGS = {f"h{level}" for level in range(1, 7)}
_TABLE_PARTS = {"table", "thead", "tbody", "tfoot", "tr", "td", "th"}
_SECTIONS = {"section", "article", "header", "footer", "main", "nav", "aside", "address"}
_TEXT_BLOCKS = {"p", "div", "li", "ul", "ol", "dl", "dt", "dd", "pre", "hr", "blockquote"}
BLOCK_TAGS = frozenset(
    _TEXT_BLOCKS | _HEADINGS | _TABLE_PARTS | _SECTIONS | {"figure", "figcaption"}
)
LIST_TAGS = frozenset({"ul", "ol"})
LINE_BREAK_TAGS = frozenset({"br"})
EMPHASIS_TAGS = frozenset({"u", "b", "strong"})
INVISIBLE_TAGS = frozenset({"script", "style", "head", "title", "template"})

# A bullet starts the text, or follows the end of a sentence: "done. - Next point". A dash after
# a plain word ("Complete - The Boards' work") is punctuation inside the sentence, not a bullet.
_LEADING_BULLET = re.compile(r"^\s*[-–•·*▪‣◦]\s+")
_INLINE_BULLET = re.compile(r"(?<=[.!?;:)])\s+[-–•·*▪‣◦]\s+")
_MARKUP_HINT = re.compile(r"<[A-Za-z/!?]|&[#A-Za-z]")


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of a cell, as plain text with its whitespace normalised."""

    text: str
    bullet: bool = False  # a list item, or a line written as "- ..."
    heading: bool = False  # wholly underlined or bold: a sub-heading such as "Action Updates."


def normalise_space(text: str) -> str:
    """Collapse every run of whitespace (non-breaking spaces included) to one space."""
    return " ".join(text.split())


def paragraphs(fragment: str) -> list[Paragraph]:
    """The paragraphs of an HTML-ish fragment, in document order, empty ones dropped.

    Inline bullets inside a list (``<ul> - one. - two``) become one paragraph each, with the
    bullet marker removed and ``bullet=True``.
    """
    if not _MARKUP_HINT.search(fragment):
        # Plain text: skip the parser, which would only warn that it looks like a file name.
        return _finish(fragment, in_list=False, list_item=False, emphasised=False)
    result: list[Paragraph] = []
    for raw, block, emphasised in _raw_paragraphs(_soup(fragment)):
        name = block.name if isinstance(block, Tag) else None
        heading = emphasised or name in _HEADINGS
        result.extend(
            _finish(raw, in_list=name in LIST_TAGS, list_item=name == "li", emphasised=heading)
        )
    return result


def text_paragraphs(
    text: str, *, in_list: bool = False, emphasised: bool = False
) -> list[Paragraph]:
    """The paragraphs of one plain-text paragraph (a Word paragraph, say), marked as a list
    item or a sub-heading by its formatting. Inline " - " bullets split it, as in a fragment."""
    return _finish(text, in_list=in_list, list_item=False, emphasised=emphasised)


def _soup(fragment: str) -> BeautifulSoup:
    with warnings.catch_warnings():
        # Cells are short, and some look like URLs or XML; bs4 warns about both, needlessly.
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        return BeautifulSoup(fragment, "html.parser")


def _raw_paragraphs(soup: BeautifulSoup) -> Iterator[tuple[str, PageElement | None, bool]]:
    """(text, enclosing block, every piece emphasised) for each run of text between blocks.

    Walks ``descendants`` rather than recursing, because unclosed ``<ul>``s nest without limit.
    A paragraph ends at a block tag, a ``<br>``, or when the text's enclosing block changes
    (text after ``</p>`` inside a ``<ul>`` is a new paragraph).
    """
    pieces: list[str] = []
    all_emphasised = True
    current_block: PageElement | None = None
    for node in soup.descendants:
        if isinstance(node, Tag):
            if node.name in BLOCK_TAGS or node.name in LINE_BREAK_TAGS:
                yield from _flush(pieces, current_block, all_emphasised)
                pieces, all_emphasised = [], True
            continue
        if not _is_visible_text(node):
            continue
        block, emphasised = _context(node)
        if block is not current_block:
            yield from _flush(pieces, current_block, all_emphasised)
            pieces, all_emphasised, current_block = [], True, block
        pieces.append(str(node))
        if str(node).strip():
            all_emphasised = all_emphasised and emphasised
    yield from _flush(pieces, current_block, all_emphasised)


def _flush(
    pieces: list[str], block: PageElement | None, emphasised: bool
) -> Iterator[tuple[str, PageElement | None, bool]]:
    text = "".join(pieces)
    if text.strip():
        yield text, block, emphasised


def _is_visible_text(node: PageElement) -> bool:
    if not isinstance(node, NavigableString) or isinstance(node, PreformattedString):
        return False  # comments, doctypes, CDATA, processing instructions
    return not any(p.name in INVISIBLE_TAGS for p in node.parents if isinstance(p, Tag))


def _context(node: NavigableString) -> tuple[PageElement | None, bool]:
    """The nearest enclosing block (or the document) and whether an emphasis tag is between."""
    emphasised = False
    for parent in node.parents:
        if parent.name in BLOCK_TAGS or isinstance(parent, BeautifulSoup):
            return parent, emphasised
        emphasised = emphasised or parent.name in EMPHASIS_TAGS
    return None, emphasised


def _finish(raw: str, *, in_list: bool, list_item: bool, emphasised: bool) -> list[Paragraph]:
    text = normalise_space(raw)
    if not text:
        return []
    # Only list-like text is split at inline bullets: elsewhere ". - " is left as written.
    list_like = in_list or _LEADING_BULLET.match(text)
    parts = _INLINE_BULLET.split(text) if list_like else [text]
    result = []
    for part in parts:
        bullet = bool(_LEADING_BULLET.match(part))
        body = _LEADING_BULLET.sub("", part, count=1).strip() if bullet else part.strip()
        if body:
            result.append(
                Paragraph(body, bullet=bullet or in_list or list_item, heading=emphasised)
            )
    return result
