"""Reply -> Slack Block Kit, with a plain-text fallback.

Every string that could come from a person (action text, notes, names, file names, what they
typed) goes into ``plain_text`` objects, which Slack never reads as formatting or mentions, and is
HTML-escaped (& < >) as Slack asks of all text. The fallback ``text`` is mrkdwn-parsed by Slack, so
it is escaped and its formatting characters are neutralised as well. Slack's size limits (50
blocks in a message, 100 in a view, 3000 characters in a text object) are kept by dropping the
per-action buttons first and then listing fewer actions, always saying what was left out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from bot.render_text import render_lines
from handlers.commands import pinned_value
from handlers.reply import ActionView, Button, Link, Reply, Room, Tone
from handlers.resolve import shorten

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
TEXT_LIMIT = 3000
HEADER_LIMIT = 150
BUTTON_LABEL_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
# Slack refuses a message whose blocks hold more than about 12,000 characters of text in all
# (msg_blocks_too_long), though each section may hold 3000: a long list stops short of it.
MESSAGE_TEXT = 11_000
VIEW_TEXT = 22_000
LISTED_TEXT = 160  # an action's text in a long list, where it is one line of many
# What a message can show of a long list: the use case builds views for no more than this.
MESSAGE_ROOM = Room(characters=MESSAGE_TEXT, text=LISTED_TEXT)
COMMAND_ACTION_PREFIX = "crb_cmd_"  # one listener runs every button's command
ACTION_BLOCK = "crb_action."  # block ids of an action's section (a) and buttons (b)
OUTCOME_BLOCK = "crb_outcome"  # what a click did, shown in the message clicked
REPLY_BUTTONS = "crb_buttons"
NO_BUTTONS = "Too many actions for buttons here: type the command, like “done 04-CR”."
NOTE_MODAL = "crb_note"
RAG_CHOICES = (("red", "🔴 Red"), ("amber", "🟠 Amber"), ("green", "🟢 Green"))

_MARK = {Tone.SUCCESS: "✅ ", Tone.WARNING: "⚠️ ", Tone.ERROR: "❌ ", Tone.INFO: ""}
_FORMATTING = re.compile(r"([*_~`])")

Block = dict[str, Any]


def escape(text: str) -> str:
    """Slack's three control characters as HTML entities: no link, mention or command survives."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def neutralise(text: str) -> str:
    """Text safe in a mrkdwn field: escaped, and no *bold*, _italic_, ~strike~ or `code` opens."""
    # A zero-width space before a formatting character stops it opening or closing a span.
    return _FORMATTING.sub("\u200b\\1", escape(text))


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain(text: str, limit: int = TEXT_LIMIT) -> dict[str, Any]:
    """A plain_text object: shown exactly as written, never formatted or linked."""
    escaped = escape(text)
    while len(escaped) > limit:  # cut the source, so no entity is cut in half
        text = text[: max(1, len(text) - (len(escaped) - limit) - 1)]
        escaped = escape(text) + "…"
    return {"type": "plain_text", "text": escaped or " ", "emoji": False}


def _section(text: str) -> Block:
    return {"type": "section", "text": plain(text)}


def _text_blocks(lines: tuple[str, ...]) -> list[Block]:
    """Lines as few plain-text sections as the 3000-character limit allows."""
    blocks, chunk = [], ""
    for line in lines:
        candidate = f"{chunk}\n{line}" if chunk else line
        if len(escape(candidate)) > TEXT_LIMIT and chunk:
            blocks.append(_section(chunk))
            candidate = line
        chunk = candidate
    if chunk:
        blocks.append(_section(chunk))
    return blocks


def button(button: Button, index: int) -> Block:
    """A button. One on an action carries the action's id and the status shown, not a REF."""
    if button.target is not None:
        verb, pinned = button.target
        value = pinned_value(verb, pinned, ref=button.command.partition(" ")[2])
    else:
        value = truncate(button.command, BUTTON_VALUE_LIMIT)
    element: Block = {
        "type": "button",
        "action_id": f"{COMMAND_ACTION_PREFIX}{index}",
        "text": plain(button.label, BUTTON_LABEL_LIMIT),
        "value": value,
    }
    if button.style in ("primary", "danger"):
        element["style"] = button.style
    return element


class _Buttons:
    """Numbers every button and action block of one message, so each id is unique in it."""

    def __init__(self) -> None:
        self.count = 0
        self.places = 0

    def block(self, buttons: tuple[Button, ...], block_id: str = REPLY_BUTTONS) -> Block:
        elements = []
        for each in buttons[:25]:  # an actions block holds at most 25 elements
            elements.append(button(each, self.count))
            self.count += 1
        return {"type": "actions", "block_id": block_id, "elements": elements}

    def place(self) -> int:
        """A number for one appearance of an action (a joint action appears once per owner)."""
        self.places += 1
        return self.places


def action_text(view: ActionView) -> str:
    pairs = zip(view.owners, view.owner_names, strict=False)
    owners = ", ".join(f"{name} ({initials})" for initials, name in pairs)
    facts = [owners or "no owner", f"raised {view.meeting}"]
    if view.status == "done":
        when = f" {view.done_at:%Y-%m-%d}" if view.done_at else ""
        facts.append(f"DONE{when}" + (f" by {view.done_by}" if view.done_by else ""))
    lines = [f"{view.ref} — {view.text}", " · ".join(facts)]
    if view.latest_update:
        rag = f"[{view.rag.upper()}] " if view.rag else ""
        lines.append(f"Latest update: {rag}{view.latest_update}")
    return "\n".join(lines)


def _action_blocks(view: ActionView, buttons: _Buttons) -> list[Block]:
    """An action's section and its buttons, with block ids that name the action: a click on one
    of them finds them again, to show the action as it is now (``updated_message``)."""
    place = buttons.place()
    blocks = [{**_section(action_text(view)), "block_id": _block_id("a", view, place)}]
    if view.buttons:
        blocks.append(buttons.block(view.buttons, _block_id("b", view, place)))
    return blocks


def _block_id(kind: str, view: ActionView, place: int) -> str:
    return f"{ACTION_BLOCK}{kind}.{view.action_id or 0}.{place}"


def _action_of(block_id: str) -> tuple[str, int] | None:
    """("a" or "b", action id) for an action's section or buttons block."""
    if not block_id.startswith(ACTION_BLOCK):
        return None
    kind, _, rest = block_id.removeprefix(ACTION_BLOCK).partition(".")
    action_id = rest.partition(".")[0]
    return (kind, int(action_id)) if action_id.isdigit() and int(action_id) else None


def _rich_blocks(reply: Reply, limit: int | None = None) -> list[Block]:
    """Every action a section of its own, under its section's header, with its buttons.

    With ``limit``, the rendering stops once it has more blocks than that (it cannot fit then:
    blocks are only ever added), so a list of 400 actions is not rendered whole to be thrown away.
    """
    buttons = _Buttons()
    blocks = [_section(_MARK[reply.tone] + reply.title), *_text_blocks(reply.lines)]
    for section in reply.sections:
        if section.heading:
            blocks.append({"type": "header", "text": plain(section.heading, HEADER_LIMIT)})
        blocks += _text_blocks(section.lines)
        for view in section.actions:
            blocks += _action_blocks(view, buttons)
            if limit is not None and len(blocks) > limit:
                return blocks
    if reply.buttons:
        blocks.append(buttons.block(reply.buttons))
    return blocks


def _distinct(views: Iterable[ActionView]) -> set[object]:
    """Actions counted once each, however many owners' lists they appear in."""
    return {
        view.action_id if view.action_id is not None else (view.ref, view.text) for view in views
    }


def _listed_line(view: ActionView) -> str:
    """One action in a long list: its REF, its text and its status, on a line or two."""
    line = f"• {view.ref} — {shorten(view.text, LISTED_TEXT)}"
    if view.rag:
        line += f" [{view.rag.upper()}]"
    if view.status == "done":
        line += " (done)"
    return line


class _Packer:
    """Fills sections of up to 3000 characters with actions' lines, within a message's budget of
    blocks and of text, in the reply's order; a heading goes in only with an action under it."""

    def __init__(self, blocks: int, text: int) -> None:
        self.blocks_left, self.text_left = blocks, text
        self.chunks: list[list[str]] = []
        self.shown: list[ActionView] = []
        self.full = False

    def add(self, heading: str | None, lines: tuple[str, ...], view: ActionView) -> None:
        entry = [*([heading] if heading else []), *lines, _listed_line(view)]
        size = len(escape("\n".join(entry))) + 1
        if self.full or size > self.text_left:
            self.full = True
            return
        chunk = self.chunks[-1] if self.chunks else None
        if chunk is None or len(escape("\n".join([*chunk, *entry]))) > TEXT_LIMIT:
            if self.blocks_left < 1:
                self.full = True
                return
            self.blocks_left -= 1
            chunk = []
            self.chunks.append(chunk)
        chunk += entry
        self.text_left -= size
        self.shown.append(view)

    def flush(self) -> list[Block]:
        blocks = [_section("\n".join(chunk)) for chunk in self.chunks]
        self.chunks = []
        return blocks


def _fixed_blocks(reply: Reply) -> list[Block]:
    """What a long list keeps whole: the title, the lines, and the sections without actions."""
    blocks = [_section(_MARK[reply.tone] + reply.title), *_text_blocks(reply.lines)]
    for section in reply.sections:
        if not section.actions:
            if section.heading:
                blocks.append({"type": "header", "text": plain(section.heading, HEADER_LIMIT)})
            blocks += _text_blocks(section.lines)
    return blocks


def _packed_blocks(
    reply: Reply, budget: int, text_budget: int, full_list: str | None
) -> list[Block]:
    """A list too long for a section per action: several actions to a section, as many as the
    message holds, ending with an exact count of the actions left out and where to see them."""
    reserved = _fixed_blocks(reply)
    spare = budget - len(reserved) - 1 - bool(reply.buttons)  # the note, the reply's buttons
    packer = _Packer(spare, text_budget - _text_size(reserved))
    blocks = [_section(_MARK[reply.tone] + reply.title), *_text_blocks(reply.lines)]
    for section in reply.sections:
        if not section.actions:
            blocks += packer.flush()
            if section.heading:
                blocks.append({"type": "header", "text": plain(section.heading, HEADER_LIMIT)})
            blocks += _text_blocks(section.lines)
            continue
        heading, lines = section.heading, section.lines
        for view in section.actions:
            before = len(packer.shown)
            packer.add(heading, lines, view)
            if len(packer.shown) > before:
                heading, lines = None, ()
    blocks += packer.flush()
    notes: list[Block] = []
    hidden = len(_distinct(reply.actions)) - len(_distinct(packer.shown)) + reply.unlisted
    if any(view.buttons for view in packer.shown):
        notes.append(
            plain("Too many actions for buttons here: type the command, like “done 04-CR”.")
        )
    if hidden:
        notes.append(_more_note(hidden, full_list))
    if notes:
        blocks.append({"type": "context", "elements": notes})
    if reply.buttons:
        blocks.append(_Buttons().block(reply.buttons))
    return blocks


def _more_note(hidden: int, full_list: str | None) -> Block:
    more = f"{hidden} more — see the full list"
    if full_list is None:
        return plain(f"{more}: “outstanding INITIALS” shows one owner's.")
    return {"type": "mrkdwn", "text": f"{hidden} more — <{escape(full_list)}|see the full list>"}


def _text_size(blocks: Iterable[Block]) -> int:
    """The characters of text in ``blocks``, as Slack counts them against a message's limit."""
    size = 0
    for block in blocks:
        for part in (block.get("text"), *block.get("elements", ())):
            if isinstance(part, dict):
                text = part.get("text")
                size += len(text["text"] if isinstance(text, dict) else text or "")
    return size


def blocks_for(
    reply: Reply,
    budget: int = MESSAGE_BLOCKS,
    *,
    text_budget: int = MESSAGE_TEXT,
    full_list: str | None = None,
) -> list[Block]:
    """The richest rendering that fits in ``budget`` blocks and ``text_budget`` characters:
    a section and buttons for every action, or else as many actions as fit, several to a section.
    """
    link = _link_block(reply.link) if reply.link else None
    if link is not None:
        budget, text_budget = budget - 1, text_budget - _text_size([link])
    rich = [] if reply.unlisted else _rich_blocks(reply, limit=budget)
    if reply.unlisted or len(rich) > budget or _text_size(rich) > text_budget:
        rich = _packed_blocks(reply, budget, text_budget, full_list)
    return [*rich, link] if link is not None else rich


def _link_block(link: Link) -> Block:
    text = f"<{escape(link.url)}|{escape(link.label)}>"
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def updated_message(
    blocks: list[Block] | None,
    reply: Reply,
    clicked: str | None = None,
    *,
    full_list: str | None = None,
) -> dict[str, Any]:
    """The message a person clicked, shown again after the click: each action the reply shows
    in its state now, with the buttons for that state, and what the click did beneath it.

    Slack sends a message's blocks with the click, except an ephemeral message's: that one is
    replaced by the reply itself.
    """
    if not blocks:
        return message(reply, full_list=full_list)
    fresh = {view.action_id: view for view in reply.actions if view.action_id is not None}
    outcome = _outcome(reply)
    buttons, shown, placed = _Buttons(), [], False
    buttons.count = 100  # numbered apart from the buttons left in the message
    for block in blocks:
        block_id = str(block.get("block_id", ""))
        owner = _action_of(block_id)
        if block_id == OUTCOME_BLOCK:
            continue
        if owner is not None and owner[1] in fresh:
            if owner[0] == "a":
                shown += _action_blocks(fresh[owner[1]], buttons)
                if not placed:
                    shown.append(outcome)
                    placed = True
            continue
        if block_id == clicked and owner is None and reply.tone != Tone.ERROR:
            shown.append(outcome)  # the reply's own buttons (snooze, import): done with
            placed = True
            continue
        shown.append(block)
    if not placed:
        shown.append(outcome)
    return {"text": fallback_text(reply), "blocks": shown[:MESSAGE_BLOCKS]}


def _outcome(reply: Reply) -> Block:
    text = " ".join([_MARK[reply.tone] + reply.title, *reply.lines[:2]])
    return {"type": "context", "block_id": OUTCOME_BLOCK, "elements": [plain(text, 2000)]}


def fallback_text(reply: Reply) -> str:
    """The notification and screen-reader text: the console rendering, made safe for mrkdwn."""
    return truncate(neutralise(_opening(render_lines(reply), TEXT_LIMIT)), TEXT_LIMIT)


def _opening(lines: Iterable[str], limit: int) -> str:
    """The lines joined, up to the first that takes the text past ``limit`` characters.

    What follows would be cut off anyway: ``neutralise`` never shortens text and changes each
    character on its own, so the cut falls in the same place. A list of 400 actions is not
    rendered whole for its first 3,000 characters.
    """
    kept, length = [], -1
    for line in lines:
        kept.append(line)
        length += len(line) + 1
        if length > limit:
            break
    return "\n".join(kept)


def message(reply: Reply, *, full_list: str | None = None) -> dict[str, Any]:
    """Keyword arguments for chat.postMessage, ack() or respond()."""
    return {"text": fallback_text(reply), "blocks": blocks_for(reply, full_list=full_list)}


def home_view(
    reply: Reply, banner: Reply | None = None, *, full_list: str | None = None
) -> dict[str, Any]:
    """The App Home tab. ``banner`` is the answer to a button just clicked on it."""
    blocks: list[Block] = []
    if banner is not None:
        blocks.append(_section(_MARK[banner.tone] + banner.title))
        blocks += _text_blocks(banner.lines[:3])
        blocks.append({"type": "divider"})
    budget, text = VIEW_BLOCKS - len(blocks), VIEW_TEXT - _text_size(blocks)
    blocks += blocks_for(reply, budget, text_budget=text, full_list=full_list)
    return {"type": "home", "blocks": blocks}


def note_modal(ref: str, origin: dict[str, Any]) -> dict[str, Any]:
    """The "Add update" modal: a note and an optional red/amber/green status."""
    return {
        "type": "modal",
        "callback_id": NOTE_MODAL,
        "title": plain("Add update", 24),
        "submit": plain("Save", 24),
        "close": plain("Cancel", 24),
        "private_metadata": json.dumps({"ref": ref, **origin})[:3000],
        "blocks": [
            _section(f"Update on {ref}"),
            {
                "type": "input",
                "block_id": "note",
                "label": plain("What has happened?"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": "text",
                    "multiline": True,
                    "max_length": 2000,
                },
            },
            {
                "type": "input",
                "block_id": "rag",
                "optional": True,
                "label": plain("Status"),
                "element": {
                    "type": "radio_buttons",
                    "action_id": "rag",
                    "options": [
                        {"text": plain(label), "value": value} for value, label in RAG_CHOICES
                    ],
                },
            },
        ],
    }
