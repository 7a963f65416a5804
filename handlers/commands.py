"""Chat text -> a Command. Pure: no database, no platform."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import get_close_matches

from db.models import Rag
from handlers.errors import UserError
from handlers.plain import plain_line
from handlers.refs import Ref, normalise_item, split_ref

MAX_TEXT = 2000
_INITIALS = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,9}(?:[/+&][A-Za-z][A-Za-z0-9]{0,9})*$")
_ITEM = re.compile(r"^\d{1,3}$", re.ASCII)
_RAG_WORDS = {"red": Rag.RED, "amber": Rag.AMBER, "green": Rag.GREEN}
_RAG_WORDS |= {f"[{word}]": rag for word, rag in list(_RAG_WORDS.items())}
_RAG_WORDS |= {f"{word}:": rag for word, rag in list(_RAG_WORDS.items()) if "[" not in word}


@dataclass(frozen=True)
class Help:
    topic: str | None = None


@dataclass(frozen=True)
class Done:
    ref: Ref
    note: str | None = None


@dataclass(frozen=True)
class Reopen:
    ref: Ref
    reason: str | None = None


@dataclass(frozen=True)
class Note:
    ref: Ref
    text: str
    rag: Rag | None = None


@dataclass(frozen=True)
class Mine:
    pass


@dataclass(frozen=True)
class Outstanding:
    owner: str | None = None
    post: bool = False


@dataclass(frozen=True)
class Next:
    pass


@dataclass(frozen=True)
class Add:
    item: str
    owners: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class Reassign:
    ref: Ref
    owners: tuple[str, ...]


Command = Help | Done | Reopen | Note | Mine | Outstanding | Next | Add | Reassign

USAGE = {
    "help": "help — what I can do",
    "done": "done REF [note] — mark an action done, e.g. done 04-CR",
    "reopen": "reopen REF [reason] — reopen an action marked done by mistake",
    "note": "note REF [red|amber|green] TEXT — record an update on an action",
    "mine": "mine — your open actions",
    "outstanding": "outstanding [INITIALS] [--post] — open actions by owner",
    "next": "next — the next meeting and what is due for it",
    "add": "add ITEM INITIALS TEXT — add an action (chair and secretariat)",
    "reassign": "reassign REF INITIALS — give an action to someone else (chair and secretariat)",
}
ALIASES = {
    "close": "done",
    "complete": "done",
    "update": "note",
    "my": "mine",
    "list": "outstanding",
}


def clean_text(text: str) -> str:
    """Control characters out, white space folded: what we store and show is one plain line."""
    return plain_line(text)


def parse_command(text: str, prefix: str = "crb") -> Command:
    """Parse one chat message. Raises ``UserError`` with the usage line when it is malformed."""
    words = clean_text(text).split(" ", 1)
    verb = words[0].lower().lstrip("/") if words[0] else "help"
    rest = words[1] if len(words) > 1 else ""
    if verb == prefix.lower():
        return parse_command(rest, prefix)
    verb = ALIASES.get(verb, verb)
    parser = _PARSERS.get(verb)
    if parser is None:
        raise UserError(_unknown_verb_message(verb), hints=(USAGE["help"],))
    if len(rest) > MAX_TEXT:
        raise UserError(f"That is too long: keep it under {MAX_TEXT} characters.")
    return parser(rest)


def _unknown_verb_message(verb: str) -> str:
    shown = verb if len(verb) <= 30 else verb[:30] + "…"
    close = get_close_matches(verb, list(USAGE), n=1, cutoff=0.6)
    if close:
        return f"I don't know the command “{shown}”. Did you mean “{close[0]}”?"
    return f"I don't know the command “{shown}”. Try “help”."


def _need_ref(rest: str, verb: str) -> tuple[Ref, str]:
    ref, tail = split_ref(rest)
    if ref is None:
        what = f"“{rest[:40]}” is not a REF." if rest else "It needs a REF."
        raise UserError(
            f"{what} A REF is the agenda item and the owner's initials, like 04-CR.",
            hints=(USAGE[verb],),
        )
    return ref, tail


def _parse_help(rest: str) -> Help:
    return Help(rest.lower() or None)


def _parse_done(rest: str) -> Done:
    ref, note = _need_ref(rest, "done")
    return Done(ref, note or None)


def _parse_reopen(rest: str) -> Reopen:
    ref, reason = _need_ref(rest, "reopen")
    return Reopen(ref, reason or None)


def _parse_note(rest: str) -> Note:
    ref, tail = _need_ref(rest, "note")
    first, _, remainder = tail.partition(" ")
    rag = _RAG_WORDS.get(first.lower())
    text = remainder.strip() if rag else tail
    if not text:
        raise UserError("The update is empty: say what has happened.", hints=(USAGE["note"],))
    return Note(ref, text, rag)


def _parse_no_args(command: Command, verb: str):
    def parse(rest: str) -> Command:
        if rest:
            raise UserError(f"“{verb}” takes nothing after it.", hints=(USAGE[verb],))
        return command

    return parse


def _parse_outstanding(rest: str) -> Outstanding:
    words = rest.split()
    post = any(word.lower() in ("--post", "post") for word in words)
    others = [word for word in words if word.lower() not in ("--post", "post")]
    if len(others) > 1 or (others and not _INITIALS.match(others[0])):
        raise UserError("Give at most one member's initials.", hints=(USAGE["outstanding"],))
    return Outstanding(others[0].upper() if others else None, post)


def parse_owners(text: str) -> tuple[str, ...]:
    if not _INITIALS.match(text):
        raise UserError(f"“{text[:20]}” is not a member's initials (like CR, or DP/RT).")
    return tuple(part.upper() for part in re.split(r"[/+&]", text))


def _parse_add(rest: str) -> Add:
    parts = rest.split(" ", 2)
    if len(parts) < 3 or not _ITEM.match(parts[0]):
        raise UserError("Say the item, the owner and the action.", hints=(USAGE["add"],))
    return Add(normalise_item(parts[0]), parse_owners(parts[1]), parts[2].strip())


def _parse_reassign(rest: str) -> Reassign:
    ref, tail = _need_ref(rest, "reassign")
    if not tail or " " in tail:
        raise UserError("Say whose action it becomes.", hints=(USAGE["reassign"],))
    return Reassign(ref, parse_owners(tail))


_PARSERS = {
    "help": _parse_help,
    "done": _parse_done,
    "reopen": _parse_reopen,
    "note": _parse_note,
    "mine": _parse_no_args(Mine(), "mine"),
    "outstanding": _parse_outstanding,
    "next": _parse_no_args(Next(), "next"),
    "add": _parse_add,
    "reassign": _parse_reassign,
}
