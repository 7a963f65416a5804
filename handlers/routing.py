"""Chat across boards: which board (or boards) a chat request runs on.

A person may sit on several boards, with a seat (initials, role) on each. The rules, in order
(README, "Several boards"):

1. A board named in the request is that board: a leading short code (``GOV add 04 CR text``),
   a board-qualified REF (``GOV:04-DP``, any case) or ``outstanding GOV``. A word after
   ``outstanding`` that is a board's short code is the board, never a member's initials.
2. A button names an action by its id: it runs on that action's board, where the caller must
   have a seat.
3. ``mine`` and ``next`` cover every board the caller sits on, grouped by board.
4. A REF resolves across the caller's boards: it runs on the one board where it names actions;
   where it names actions on several, they are listed with board-qualified REFs and nothing
   changes.
5. Anything else (``outstanding``, ``help``, ``add``, ``web``…) runs on the board bound to the
   channel it was typed in, else the caller's only board; a caller on several boards is asked
   which, with a button for each.

A caller on one board (and every request in a database of one board) goes the way it always
has: ``route`` answers ``None`` and ``handlers.run.board_for`` picks the board.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from db import queries
from db.models import Action, Board
from handlers.boards import board_choices, choose_board
from handlers.commands import ALIASES, USAGE, Command, Mine, Next, Outstanding, parse_command
from handlers.dispatch import ambiguous_reply
from handlers.errors import UserError
from handlers.identity import Account, Via, seat_boards
from handlers.refs import ActionId, Ref
from handlers.reply import ActionView, Button, Reply, Section, Tone
from handlers.resolve import AmbiguousRef, RefIndex

_SHORT = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,15}$", re.ASCII)  # what could be a board's code
# The board column that binds a chat channel, by the channel a request came through.
_CHANNEL_FIELDS = {Via.SLACK: "slack_channel", Via.TEAMS: "teams_channel"}


@dataclass(frozen=True)
class Route:
    """Where a request runs: on one board, on each of several (grouped), or nowhere because
    ``reply`` already answers it (an ambiguity across boards, or a question: which board?)."""

    boards: tuple[Board, ...] = ()
    command: Command | str = ""
    reply: Reply | None = None


def route(
    session: Session, account: Account, command: Command | str, channel: str | None
) -> Route | None:
    """Where ``account``'s ``command`` runs: the account's only board when it has one; ``None``
    when it has none (then the only board answers). Raises ``UserError`` for an unknown board."""
    prefix = _prefix(session)
    named, command = _leading_board(session, command, prefix)
    if named is not None:
        return Route((named,), command)
    try:
        parsed = parse_command(command, prefix) if isinstance(command, str) else command
    except UserError as error:  # malformed: refused on no board, as on any
        return Route(reply=Reply.error(error.message, *error.hints))
    if (explicit := _named_in(session, parsed)) is not None:
        return explicit
    seats = seat_boards(session, account)
    target = getattr(parsed, "ref", None)
    if isinstance(target, ActionId):
        return _by_action_id(session, target, seats, parsed)
    if isinstance(target, Ref):  # a REF is looked for on every board the caller sits on
        return _across(session, target, seats, parsed) if len(seats) > 1 else _only(seats, command)
    if isinstance(parsed, Mine | Next):  # about the person, wherever they ask
        return Route(seats, parsed) if len(seats) > 1 else _only(seats, command)
    bound = _bound_board(session, account, channel)
    if bound is not None:
        return Route((bound,), command)
    if len(seats) > 1:
        return Route(
            reply=which_board(seats, parsed if isinstance(parsed, Outstanding) else command)
        )
    return _only(seats, command)


def _only(seats: tuple[Board, ...], command: Command | str) -> Route | None:
    """The one board the account sits on; None when it sits on none."""
    return Route(seats, command) if seats else None


def _prefix(session: Session) -> str:
    board = queries.default_board(session)
    return board.command_prefix if board else "crb"


def _leading_board(
    session: Session, command: Command | str, prefix: str
) -> tuple[Board | None, Command | str]:
    """``GOV add 04 CR text`` -> (GOV, "add 04 CR text"); a verb is never read as a board."""
    if not isinstance(command, str):
        return None, command
    words = command.split()
    if words and words[0].lower().lstrip("/") == prefix.lower():
        words = words[1:]
    if len(words) < 2 or not _SHORT.match(words[0]) or words[0].lower() in USAGE | ALIASES:
        return None, command
    board = queries.board_by_short(session, words[0])
    return (board, " ".join(words[1:])) if board is not None else (None, command)


def _named_in(session: Session, parsed: Command) -> Route | None:
    """A board the command itself names: a qualified REF, or ``outstanding GOV``."""
    target = getattr(parsed, "ref", None)
    if isinstance(target, Ref) and target.board:
        return Route((choose_board(session, target.board),), parsed)
    if isinstance(parsed, Outstanding):
        if parsed.board:
            return Route((choose_board(session, parsed.board),), parsed)
        board = queries.board_by_short(session, parsed.owner) if parsed.owner else None
        if board is not None:
            return Route((board,), replace(parsed, owner=None, board=board.short))
    return None


def _bound_board(session: Session, account: Account, channel: str | None) -> Board | None:
    field = _CHANNEL_FIELDS.get(account.via)
    if not channel or field is None:
        return None
    return queries.board_by_channel(session, field, channel)


def _by_action_id(
    session: Session, target: ActionId, seats: Sequence[Board], parsed: Command
) -> Route | None:
    """A button runs on its action's board, and only for someone with a seat there."""
    action = session.get(Action, target.id)
    if action is None:
        return None  # refused on the caller's board as "there is no action #N"
    board = session.get_one(Board, action.board_id)
    if seats and board not in seats:
        refusal = Reply.error(
            f"That action is on {board.name} ({board.short}), where you have no seat. "
            "Nothing changed."
        )
        return Route(reply=refusal)
    return Route((board,), parsed)


def _across(session: Session, ref: Ref, seats: Sequence[Board], parsed: Command) -> Route:
    """The one board where ``ref`` names actions; where several do, every candidate listed
    with its board-qualified REF (``GOV:04-DP``), and nothing changed."""
    found = []
    for board in seats:
        same_item = queries.listed_actions(session, board, item=ref.item)
        index = RefIndex(same_item)
        named = {action.id for action in index.candidates(ref)}
        if named:
            found.append((board, index, [a for a in same_item if a.id in named]))
    if len(found) < 2:
        # One board: it runs there (and any ambiguity on it is refused there). None: it is
        # refused on the first board, with that board's nearest actions as suggestions.
        return Route((found[0][0] if found else seats[0],), parsed)
    candidates = [action for _board, _index, listed in found for action in listed]
    refs = {
        action.id: f"{board.short}:{index.name(action)}"
        for board, index, listed in found
        for action in listed
    }
    return Route(reply=ambiguous_reply(AmbiguousRef(ref, candidates, refs), parsed))


def which_board(boards: Sequence[Board], command: Command | str) -> Reply:
    """Which board? A button for each, running the same request on that board."""
    title = f"Which board? You sit on {len(boards)}: {board_choices(boards)}."
    short = boards[-1].short
    hint = f"Or put the board's code first, like “{short} add …”, or before a REF: “{short}:04-DP”."
    commands = [_on_board(board, command) for board in boards]
    if not all(commands):  # a request with no words to repeat (a form's)
        return Reply.error(title)
    buttons = tuple(Button(b.name, text) for b, text in zip(boards, commands, strict=True))
    return Reply(title, lines=(hint,), buttons=buttons, tone=Tone.WARNING)


def _on_board(board: Board, command: Command | str) -> str:
    """The request as typed on ``board``: ``outstanding GOV DP``, ``GOV add 04 CR text``."""
    if isinstance(command, Outstanding):
        words = ["outstanding", board.short, command.owner or "", "--post" if command.post else ""]
        return " ".join(word for word in words if word)
    return f"{board.short} {command}" if isinstance(command, str) else ""


def grouped(parts: Sequence[tuple[Board, Reply]]) -> Reply:
    """One reply from each board's (``mine``, ``next``): a heading naming each board, its own
    reply under it, and each REF qualified with its board (``GOV:04-DP``) so that it names
    its action alone across them all."""
    sections: list[Section] = []
    for board, reply in parts:
        sections.append(Section(f"{board.name} ({board.short})", (reply.title, *reply.lines)))
        sections += [
            replace(section, actions=tuple(_qualified(v, board.short) for v in section.actions))
            for section in reply.sections
        ]
    count = len({view.action_id for _board, reply in parts for view in reply.actions})
    calm = all(reply.tone == Tone.SUCCESS for _board, reply in parts)
    return Reply(
        title=f"Your boards ({len(parts)}): {count} open action{'s' if count != 1 else ''}",
        sections=tuple(sections),
        tone=Tone.SUCCESS if calm else Tone.INFO,
    )


def _qualified(view: ActionView, short: str) -> ActionView:
    ref = f"{short}:{view.ref}"
    buttons = tuple(
        replace(button, command=f"{button.command.split(' ', 1)[0]} {ref}")
        for button in view.buttons
    )
    return replace(view, ref=ref, buttons=buttons)
