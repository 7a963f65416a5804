"""What a use-case answers: plain text and structure, never markup.

Each adapter renders a ``Reply`` in its own way (Block Kit, Adaptive Card, console text) and
escapes every string it takes from here, so text typed by a user can never become formatting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import cached_property

from handlers.refs import ActionId


class Tone(StrEnum):
    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"


class Visibility(StrEnum):
    EPHEMERAL = "ephemeral"  # only the person who asked sees it
    CHANNEL = "channel"  # posted where everyone in the conversation can read it


@dataclass(frozen=True)
class Button:
    """A one-click command, such as "Mark done" running ``done 04-CR.2``.

    ``target``: a button on one action names it by its stable id and the status it was shown
    in, with the verb to run (``("done", ActionId(12, "open"))``). Platforms whose buttons can
    carry it send that back, never the text; ``command`` is the same request as typed.
    """

    label: str
    command: str
    style: str | None = None  # "primary" | "danger" | None
    target: tuple[str, ActionId] | None = None


@dataclass(frozen=True)
class ActionView:
    ref: str  # the shortest REF that names this action alone (handlers.resolve)
    item: str
    meeting: str  # ISO date of the meeting that raised it
    owners: tuple[str, ...]
    owner_names: tuple[str, ...]
    text: str
    status: str
    done_at: datetime | None = None
    done_by: str | None = None
    latest_update: str | None = None
    rag: str | None = None
    buttons: tuple[Button, ...] = ()
    # The stable id a link or a form carries, never the REF (not part of what is shown).
    action_id: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class About:
    """The board and meeting a reminder is about: an email's subject, marking and links."""

    board_name: str
    marking: str | None  # the board's protective marking, e.g. "OFFICIAL-SENSITIVE"
    timezone: str
    meeting_id: int
    meeting_date: date
    kind: str  # "nudge" | "digest"
    board_path: str = "/"  # the board's page on the web desk (``handlers.boards.board_page_path``)


@dataclass(frozen=True)
class Link:
    """A page to open, such as the board on the web desk: a link, never a command."""

    label: str
    url: str


@dataclass(frozen=True)
class Section:
    heading: str | None
    lines: tuple[str, ...] = ()
    actions: tuple[ActionView, ...] = ()


@dataclass(frozen=True)
class Room:
    """How much of a long list a screen shows: ``characters`` of action lines, each action's text
    cut to ``text`` characters (a Slack message: 11,000 and 160). A list that needs more is cut
    and ends with "N more". A use case builds views (REFs, buttons) only for the actions that
    could be shown (``handlers.views.fitting``) and counts the rest as ``Reply.unlisted``."""

    characters: int
    text: int


@dataclass(frozen=True)
class Reply:
    title: str
    lines: tuple[str, ...] = ()
    sections: tuple[Section, ...] = ()
    buttons: tuple[Button, ...] = ()
    tone: Tone = Tone.INFO
    visibility: Visibility = Visibility.EPHEMERAL
    changed: bool = False  # the request changed the board
    about: About | None = None  # set on a nudge or a digest
    link: Link | None = None  # where the whole picture is, on the web desk
    unlisted: int = 0  # actions left out of ``sections`` because the caller's ``Room`` was full

    @cached_property  # a renderer fitting 400 actions into 50 blocks asks a dozen times
    def actions(self) -> tuple[ActionView, ...]:
        return tuple(view for section in self.sections for view in section.actions)

    @classmethod
    def error(cls, message: str, *lines: str) -> Reply:
        return cls(title=message, lines=tuple(lines), tone=Tone.ERROR)
