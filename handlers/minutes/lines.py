"""Any minutes document as one list of :class:`Line`s, whatever its format.

The readers of layouts other than the house one (see :mod:`handlers.minutes.anylayout`) work on
lines, so a Word file, a web page, a PDF and text pasted from an email are read by the same
rules. A line keeps what its format said about it: a heading (a Word heading style, bold or
underlined text, an HTML ``<h2>``), a list item, the blank line before it (plain text and PDF),
and for a table row its cells, each cell's paragraphs kept apart.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from handlers.minutes.html_fragments import normalise_space

_BULLET = re.compile(r"^\s*(?:[-–•·*▪‣◦]|o(?=\s)|\(?[a-z]\)|\(?[ivx]{1,4}\))\s+")
# An email's own header, when the minutes were pasted into one: "From: ...", "Sent: ...".
_EMAIL_FIELD = re.compile(r"^\s*(?:From|Sent|To|Cc|Bcc|Subject|Date|Importance)\s*:", re.I)
_EMAIL_START = re.compile(r"^\s*From\s*:", re.I)
_WRAPPED_AT = 60  # characters: a shorter line ended where its writer ended it


@dataclass(frozen=True)
class Line:
    """One paragraph of the document, or one row of a table."""

    text: str  # whitespace normalised; a row's cells joined with " | "
    heading: bool = False
    bullet: bool = False
    blank_before: bool = False  # plain text and PDF: an empty line came before it
    cells: tuple[tuple[str, ...], ...] = ()  # a table row: each cell's paragraphs
    table: int = -1  # the table a row belongs to, counted from 0; -1 outside tables

    @property
    def in_table(self) -> bool:
        return self.table >= 0


def row_line(cells: Sequence[Sequence[str]], table: int) -> Line:
    kept = tuple(tuple(p for p in (normalise_space(t) for t in cell) if p) for cell in cells)
    text = " | ".join(" ".join(cell) for cell in kept)
    return Line(text, cells=kept, table=table)


def text_lines(text: str) -> list[Line]:
    """Plain text (or a PDF's text) as lines: blank lines remembered, bullets marked, an email's
    own header ("From:", "Sent:", "To:", "Subject:") left out."""
    raw = _without_email_header(text.split("\n"))
    result: list[Line] = []
    blank = True
    for line in raw:
        if not line.strip():
            blank = True
            continue
        bullet = bool(_BULLET.match(line))
        body = _BULLET.sub("", line, count=1) if bullet else line
        if _continues(result, line, blank):
            previous = result[-1]
            result[-1] = Line(
                normalise_space(f"{previous.text} {line}"),
                bullet=previous.bullet,
                blank_before=previous.blank_before,
            )
            continue
        cells = tuple((normalise_space(c),) for c in body.split("\t") if c.strip())
        result.append(
            Line(
                normalise_space(body),
                bullet=bullet,
                blank_before=blank,
                cells=cells if len(cells) > 1 else (),
            )
        )
        blank = False
    return result


def _continues(result: list[Line], line: str, blank: bool) -> bool:
    """An email's hard wrap: a long line, then straight on, a line starting in lower case."""
    if blank or not result or result[-1].cells or "\t" in line:
        return False
    stripped = line.lstrip()
    return (
        len(result[-1].text) >= _WRAPPED_AT and stripped[:1].islower() and not _BULLET.match(line)
    )


def _without_email_header(lines: list[str]) -> list[str]:
    """Drop the header block of a forwarded or pasted email, from "From:" to the first blank."""
    start = next((k for k, line in enumerate(lines[:15]) if _EMAIL_START.match(line)), None)
    if start is None:
        return lines
    end = start
    while end < len(lines) and lines[end].strip() and _EMAIL_FIELD.match(lines[end]):
        end += 1
    return lines[:start] + lines[end:]


def paragraph_lines(texts: Iterable[tuple[str, bool, bool]]) -> list[Line]:
    """(text, heading, bullet) paragraphs of a Word file or web page as lines."""
    return [
        Line(normalise_space(text), heading=heading, bullet=bullet)
        for text, heading, bullet in texts
        if text.strip()
    ]
