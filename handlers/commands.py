"""Chat text -> a Command. Pure: no database, no platform."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from difflib import get_close_matches

from db.models import Rag, SnoozeChoice
from handlers.errors import UserError
from handlers.plain import plain_line
from handlers.refs import ActionId, Ref, Target, normalise_item, split_ref

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
    ref: Target
    note: str | None = None


@dataclass(frozen=True)
class Reopen:
    ref: Target
    reason: str | None = None


@dataclass(frozen=True)
class Note:
    ref: Target
    text: str
    rag: Rag | None = None


@dataclass(frozen=True)
class Mine:
    pass


@dataclass(frozen=True)
class Outstanding:
    owner: str | None = None
    post: bool = False
    board: str | None = None  # a board's short code, when one was typed before the initials


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
    ref: Target
    owners: tuple[str, ...]


@dataclass(frozen=True)
class EditText:
    """Correct what an action says (the web desk; chair and secretariat)."""

    ref: Target
    text: str


@dataclass(frozen=True)
class Snooze:
    choice: SnoozeChoice | None = None  # None: ask how long


@dataclass(frozen=True)
class Link:
    """Link a member to a chat account or email. The adapter turns a mention into ``slack:U…``."""

    initials: str
    field: str  # "slack_id" | "teams_id" | "email": a column of Member
    value: str


@dataclass(frozen=True)
class Web:
    """A one-time sign-in link to the web desk, sent to the caller alone."""


@dataclass(frozen=True)
class ImportUpload:
    """Apply (or cancel) minutes sent to the bot in chat, after their preview."""

    upload_id: int
    cancel: bool = False


Command = (
    Help
    | Done
    | Reopen
    | Note
    | Mine
    | Outstanding
    | Next
    | Add
    | Reassign
    | EditText
    | Snooze
    | Link
    | ImportUpload
    | Web
)

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
    "snooze": "snooze 1d|3d|next — put off your latest reminder: 1 day, 3 days, or the next one",
    "link": "link INITIALS @person — link a member to their chat account (chair and secretariat)",
    "import": "import N [cancel] — import minutes you sent me, after the preview (secretariat)",
    "web": "web — a one-time link that signs you in to the web desk (only you see it)",
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
    others = [word.upper() for word in words if word.lower() not in ("--post", "post")]
    if len(others) > 2 or not all(_INITIALS.match(word) for word in others):
        raise UserError(
            "Give at most a board's code and one member's initials.",
            hints=(USAGE["outstanding"],),
        )
    if len(others) == 2:  # "outstanding GOV DP": the board, then the member
        return Outstanding(others[1], post, board=others[0])
    # One word is a member's initials, or a board's code: ``handlers.across`` tells them apart.
    return Outstanding(others[0] if others else None, post)


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


_SNOOZE_WORDS = {
    "1d": SnoozeChoice.ONE_DAY,
    "1day": SnoozeChoice.ONE_DAY,
    "day": SnoozeChoice.ONE_DAY,
    "tomorrow": SnoozeChoice.ONE_DAY,
    "3d": SnoozeChoice.THREE_DAYS,
    "3day": SnoozeChoice.THREE_DAYS,
    "next": SnoozeChoice.NEXT,
    "nextreminder": SnoozeChoice.NEXT,
    "nextreminderday": SnoozeChoice.NEXT,
}


def _parse_snooze(rest: str) -> Snooze:
    """ "snooze 1d", "snooze for 3 days", "snooze until the next reminder", or just "snooze"."""
    words = [w for w in rest.lower().split() if w not in ("for", "until", "till", "the", "a")]
    if not words:
        return Snooze()
    key = "".join(words).replace("one", "1").replace("three", "3").removesuffix("s")
    choice = _SNOOZE_WORDS.get(key)
    if choice is None:
        raise UserError(
            "Snooze for 1 day, 3 days, or until the next reminder.", hints=(USAGE["snooze"],)
        )
    return Snooze(choice)


# What an adapter puts in the text for a chat account ("slack:U0123ABC"), or a typed email.
_ACCOUNT = re.compile(r"^(slack|teams):([A-Za-z0-9][A-Za-z0-9._:-]{0,99})$")
_ACCOUNT_FIELDS = {"slack": "slack_id", "teams": "teams_id"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _parse_link(rest: str) -> Link:
    parts = rest.split()
    if len(parts) != 2 or not _INITIALS.match(parts[0]):
        raise UserError("Say whose account it is and who they are.", hints=(USAGE["link"],))
    initials, who = parts[0].upper(), parts[1]
    if account := _ACCOUNT.match(who):
        return Link(initials, _ACCOUNT_FIELDS[account[1]], account[2])
    if _EMAIL.match(who):
        return Link(initials, "email", who)
    raise UserError(
        f"I can't tell who “{who[:40]}” is. Mention them with @ and pick them from the list, "
        "so that I get their account, or give their email address.",
        hints=(USAGE["link"],),
    )


def _parse_import(rest: str) -> ImportUpload:
    words = rest.lower().split()
    if not words or not words[0].isdigit() or len(words) > 2 or words[1:] not in ([], ["cancel"]):
        raise UserError(
            "Send me the minutes as a file first; I answer with a preview and an Import button.",
            hints=(USAGE["import"],),
        )
    return ImportUpload(int(words[0]), cancel=words[1:] == ["cancel"])


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
    "snooze": _parse_snooze,
    "link": _parse_link,
    "import": _parse_import,
    "web": _parse_no_args(Web(), "web"),
}


def note_without_text(text: str, prefix: str = "crb") -> str | None:
    """The REF of a "note REF" that says no update yet, as typed; None for anything else.

    A platform with forms (a Teams card) answers it with a form for the update instead of the
    "the update is empty" refusal.
    """
    words = clean_text(text).split()
    if words and words[0].lower() == prefix.lower():
        words = words[1:]
    if not words or ALIASES.get(words[0].lower(), words[0].lower()) != "note":
        return None
    typed = " ".join(words[1:])
    ref, tail = split_ref(typed)
    return typed if ref is not None and not tail else None


# ---------------------------------------------------------------- buttons that name an action

_PINNABLE = {"done": Done, "reopen": Reopen}


def pinned_value(verb: str, pinned: ActionId, ref: str = "") -> str:
    """A button's value for ``verb`` on one action: its stable id and the status shown.

    ``ref`` is what the message showed, for a form's heading only: it is never resolved.
    """
    value = {"verb": verb, "action": pinned.id, "shown": pinned.shown, "ref": ref[:40]}
    return json.dumps(value, separators=(",", ":"))


def parse_pinned_value(value: str) -> tuple[str, ActionId] | None:
    """The verb and the action of a ``pinned_value``; None for a value that is not one."""
    try:
        data = json.loads(value)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("verb") not in ("done", "reopen", "note"):
        return None
    action, shown = data.get("action"), data.get("shown")
    if not isinstance(action, int) or isinstance(action, bool) or action < 1:
        return None
    if shown not in ("open", "done", None):
        return None
    return data["verb"], ActionId(action, shown)


def pinned_command(verb: str, pinned: ActionId) -> Command:
    """The command a pinned "Mark done" or "Reopen" button runs (a note button opens a form)."""
    if verb not in _PINNABLE:
        raise UserError(f"A “{verb}” button needs a form, not a click.")
    return _PINNABLE[verb](pinned)
