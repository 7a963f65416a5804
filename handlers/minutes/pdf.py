"""Minutes saved as a text-based PDF, read with PDFium (pypdfium2) into the lines of any layout.

A PDF knows nothing of paragraphs: it places lines of characters on pages. The lines are put
back together as a reader sees them:

- a line that ran to the right margin and is followed closely by another continues into it
  (the paragraph was wrapped), unless the next line starts a list item, a heading or a marker;
- a wider gap than the line spacing is a blank line; a line set wholly in bold is a heading;
- lines repeated at the top or bottom of every page (the protective marking, "Page 2 of 5") are
  page furniture, not minutes.

A scanned PDF (pictures of pages, with no text) is refused with a message saying so.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from handlers.errors import MinutesError
from handlers.minutes.anylayout import read_any_layout
from handlers.minutes.lines import text_lines
from handlers.minutes.model import Minutes

_PAGE_NUMBER = re.compile(r"^\s*(?:page\s+)?\d+(?:\s+of\s+\d+)?\s*$", re.I)
_STARTS_STRUCTURE = re.compile(
    r"^\s*(?:[-–•·*▪]\s|\d{1,2}[.)]\s|\(?[a-z]\)\s|(?:Agenda\s+)?Item\s+\d|Ref\b|ACTIONS?\b"
    r"|Actions?\s*[:–-]|Decision|Apologies|Present|Date\b|Next\s+meeting)",
    re.I,
)
_FULL_LINE = 0.85  # of the widest line on the page: a line this long was wrapped
_BOLD = 600  # font weight


def parse_pdf(data: bytes) -> Minutes:
    """Read minutes from the bytes of a PDF. Raises MinutesError if it has no text to read."""
    # Both refusals keep the words of the old refusal of every .pdf ("I can't read .pdf
    # files"), which the chat adapters' tests and users' habits know.
    if not data.startswith(b"%PDF"):
        raise MinutesError(
            "I can't read .pdf files that aren't PDFs: this one doesn't start with “%PDF” (is it "
            "another kind of file renamed?)."
        )
    pages = _pages(data)
    if not any(line["text"].strip() for page in pages for line in page):
        raise MinutesError(
            f"This PDF has {len(pages)} page{'s' if len(pages) != 1 else ''} but no text: it "
            "looks like a scan (pictures of the pages). Send the minutes as Word, or as a PDF "
            "saved from Word, or run the scan through text recognition (OCR) first."
        )
    furniture = _furniture(pages)
    text = "\n".join(_page_text(page, furniture) for page in pages)
    return read_any_layout(text_lines(text), sorted(furniture))


def _pages(data: bytes) -> list[list[dict[str, Any]]]:
    """Each page's lines of text, top to bottom, with their box and whether they are bold.

    PDFium (pypdfium2, which pdfplumber itself installs) finds the text: pdfplumber's own
    character-by-character layout took ~0.5 s a page here, PDFium ~7 ms.
    """
    import pypdfium2 as pdfium  # imported when a PDF is read: `crb serve` need not pay for it

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        raise MinutesError(
            "I can't read .pdf files that are damaged or locked, and this one won't open (is it "
            "password-protected?): save it again from Word and retry."
        ) from error
    try:
        pages = []
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            pages.append(_page_lines(textpage, page.get_height()))
            textpage.close()
            page.close()
        return pages
    finally:
        document.close()


def _page_lines(textpage: Any, height: float) -> list[dict[str, Any]]:
    """The page's text rectangles, grouped into lines by their height on the page."""
    import pypdfium2.raw as pdfium_c

    lines: list[dict[str, Any]] = []
    for k in range(textpage.count_rects()):
        left, bottom, right, top = textpage.get_rect(k)
        text = textpage.get_text_bounded(left, bottom, right, top).strip()
        if not text:
            continue
        at = textpage.get_index(left + 1, (bottom + top) / 2, 2, 2)
        bold = at >= 0 and pdfium_c.FPDFText_GetFontWeight(textpage.raw, at) >= _BOLD
        box = {
            "text": text,
            "x0": left,
            "x1": right,
            "top": height - top,
            "bottom": height - bottom,
        }
        same = lines and abs(lines[-1]["top"] - box["top"]) < (box["bottom"] - box["top"]) / 2
        if same:
            last = lines[-1]
            last.update(text=f"{last['text']} {text}", x1=max(last["x1"], right))
            last["bold"] = last["bold"] and bold
        else:
            lines.append({**box, "bold": bold})
    return lines


def _furniture(pages: list[list[dict[str, Any]]]) -> set[str]:
    """Lines at the top or bottom of pages that repeat on most pages, and page numbers."""
    edges: Counter[str] = Counter()
    for page in pages:
        texts = [line["text"].strip() for line in page]
        edges.update(set(texts[:2] + texts[-2:]))
    repeated = {text for text, count in edges.items() if len(pages) > 1 and count >= len(pages)}
    numbers = {
        line["text"].strip() for page in pages for line in page if _PAGE_NUMBER.match(line["text"])
    }
    return repeated | numbers


def _page_text(page: list[dict[str, Any]], furniture: set[str]) -> str:
    lines = [line for line in page if line["text"].strip() not in furniture]
    if not lines:
        return ""
    right = max(line["x1"] for line in lines)
    left = min(line["x0"] for line in lines)
    heights = sorted(line["bottom"] - line["top"] for line in lines)
    spacing = heights[len(heights) // 2] * 1.6
    out: list[str] = []
    previous: dict[str, Any] | None = None
    for line in lines:
        text = line["text"].strip()
        bold = line["bold"]
        if previous is not None:
            gap = line["top"] - previous["bottom"]
            full = previous["x1"] - left >= _FULL_LINE * (right - left)
            wrapped = full and gap < spacing and not bold and not _STARTS_STRUCTURE.match(text)
            if wrapped:
                out[-1] = f"{out[-1]} {text}"
                previous = line
                continue
            if gap >= spacing * 0.75 or bold:
                out.append("")
        out.append(text)
        previous = line
    return "\n".join(out) + "\n"
