"""The REF grammar: what people type to name an action.

``04-CR`` names the item-04 actions that CR owns. It is matched case-insensitively and tolerates
``4-cr``, ``04 CR`` and ``04-DP/RT``. Where that still names several actions, a suffix tells
them apart: ``04-CR.2`` is CR's second item-04 action of a meeting, and ``@2020-11-25`` picks the
meeting, as in ``04-CR.2@2020-11-25``. With several boards, a board's short code and a colon
name the board: ``GOV:04-DP`` (also ``gov:4-dp``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_REF = re.compile(
    r"""^\s*
    (?:(?P<board>[A-Za-z][A-Za-z0-9]{0,15})\s*:\s*)?
    (?P<item>\d{1,3})
    \s*[-–—_:\s]\s*
    (?P<owners>\?|[A-Za-z][A-Za-z0-9]{0,9}(?:\s*[/+&]\s*[A-Za-z][A-Za-z0-9]{0,9})*)
    (?:\s*[.\#]\s*(?P<ordinal>\d{1,3}))?
    (?:\s*@\s*(?P<meeting>\d{4}-\d{2}-\d{2}))?
    \s*$""",
    re.VERBOSE,
)
_OWNER_SPLIT = re.compile(r"\s*[/+&]\s*")


@dataclass(frozen=True)
class Ref:
    item: str  # two digits at least: "04"
    owners: tuple[str, ...]  # upper case, in the order typed; () for "?", an action with none
    ordinal: int | None = None
    meeting: date | None = None
    board: str | None = None  # upper case: the board's short code, when one was typed

    def __str__(self) -> str:
        plain = format_ref(self.item, self.owners, self.ordinal, self.meeting)
        return f"{self.board}:{plain}" if self.board else plain


@dataclass(frozen=True)
class ActionId:
    """An action named by its stable id: what buttons, forms and email links carry, so that
    nothing needs to be parsed again (a REF can come to name another action as others close).

    ``shown`` is the status the message showed it in ("open" or "done"): a click on an action
    that has changed since finds it in another status, shows that, and changes nothing.
    ``seen`` is the action's version (``handlers.actions.version``) as a web page showed it: a
    form sent after any change to the action (an update too) changes nothing, and the page shows
    the action as it is now.
    """

    id: int
    shown: str | None = None
    seen: str | None = None

    def __str__(self) -> str:
        return f"action #{self.id}"


Target = Ref | ActionId  # what a command names: a REF typed by a person, or a button's stable id


def normalise_item(item: str) -> str:
    return item.strip().lstrip("0").zfill(2) if item.strip() else item


def format_ref(
    item: str,
    owners: tuple[str, ...] | list[str],
    ordinal: int | None = None,
    meeting: date | None = None,
) -> str:
    text = f"{normalise_item(item)}-{'/'.join(owners) or '?'}"
    if ordinal is not None:
        text += f".{ordinal}"
    if meeting is not None:
        text += f"@{meeting.isoformat()}"
    return text


def parse_ref(text: str) -> Ref | None:
    """The REF in ``text``, or None when it is not one. Never raises."""
    if len(text) > 80:
        return None
    match = _REF.match(text)
    if match is None:
        return None
    meeting = None
    if match["meeting"]:
        try:
            meeting = date.fromisoformat(match["meeting"])
        except ValueError:
            return None
    typed = match["owners"].strip()
    # "03-?" is how an action with no owner is shown (its initials matched nobody): no owners.
    owners = () if typed == "?" else tuple(part.upper() for part in _OWNER_SPLIT.split(typed))
    ordinal = int(match["ordinal"]) if match["ordinal"] else None
    if ordinal == 0:
        return None
    board = match["board"].upper() if match["board"] else None
    return Ref(normalise_item(match["item"]), owners, ordinal, meeting, board)


def split_ref(text: str) -> tuple[Ref | None, str]:
    """The REF at the start of ``text`` and the rest, trying the longest REF first.

    ``04 CR finished and circulated`` -> (04-CR, "finished and circulated"): "04 CR" is a REF
    although it contains a space, so the split cannot simply be on the first word.
    """
    words = text.split()
    for count in range(min(len(words), 6), 0, -1):
        ref = parse_ref(" ".join(words[:count]))
        if ref is not None:
            return ref, " ".join(words[count:])
    return None, text.strip()
