"""Text from people and documents, made safe to store and to show as one plain line.

Whatever a person types, or a document holds, comes out as the same words and nothing more: no
terminal escapes (C0 and C1 control characters), no reordering tricks (bidirectional overrides and
isolates, the "Trojan Source" characters), no forged lines (every kind of line break folds to a
space), and no lone surrogates (which no database or JSON encoder accepts). Joiners and marks that
real writing needs (ZWJ in emoji, ZWNJ, combining accents) are kept.

Markup is not this module's business: each renderer escapes its own (mrkdwn, HTML, Adaptive
Cards), because the same text is harmless in one and live in another.
"""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 and C1 controls become spaces (a tab or a bell between words still separates them).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
# Bidirectional embeddings, overrides and isolates, and the byte-order mark: removed outright.
_INVISIBLE = re.compile("[\u202a-\u202e\u2066-\u2069\ufeff]")


def plain_line(text: str) -> str:
    """``text`` as one line: controls out, white space folded, lone surrogates replaced."""
    text = _SURROGATE.sub("\ufffd", text)
    text = _INVISIBLE.sub("", _CONTROL.sub(" ", text))
    return " ".join(text.split())


def plain_or_none(text: str | None) -> str | None:
    """``plain_line`` for optional fields: empty after cleaning means absent."""
    if text is None:
        return None
    return plain_line(text) or None


# A document keeps its tabs and line breaks (its structure); every other control goes.
_DOCUMENT_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def plain_document(text: str) -> str:
    """A whole document cleaned as ``plain_line`` cleans a line, keeping tabs and newlines."""
    text = _SURROGATE.sub("\ufffd", text).replace("\r\n", "\n").replace("\r", "\n")
    return _INVISIBLE.sub("", _DOCUMENT_CONTROL.sub(" ", text))
