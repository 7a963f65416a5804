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
from handlers.reply import ActionView, Button, Reply, Section, Tone

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
TEXT_LIMIT = 3000
HEADER_LIMIT = 150
BUTTON_LABEL_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
COMMAND_ACTION_PREFIX = "crb_cmd_"  # one listener runs every button's command
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
    element: Block = {
        "type": "button",
        "action_id": f"{COMMAND_ACTION_PREFIX}{index}",
        "text": plain(button.label, BUTTON_LABEL_LIMIT),
        "value": truncate(button.command, BUTTON_VALUE_LIMIT),
    }
    if button.style in ("primary", "danger"):
        element["style"] = button.style
    return element


class _Buttons:
    """Numbers every button of one message, so each action_id is unique in it."""

    def __init__(self) -> None:
        self.count = 0

    def block(self, buttons: tuple[Button, ...]) -> Block:
        elements = []
        for each in buttons[:25]:  # an actions block holds at most 25 elements
            elements.append(button(each, self.count))
            self.count += 1
        return {"type": "actions", "elements": elements}


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


def _action_blocks(view: ActionView, buttons: _Buttons | None) -> list[Block]:
    blocks = [_section(action_text(view))]
    if buttons is not None and view.buttons:
        blocks.append(buttons.block(view.buttons))
    return blocks


def _section_blocks(
    section: Section, buttons: _Buttons | None, shown: int
) -> tuple[list[Block], int]:
    """A section's blocks with at most ``shown`` actions; returns the blocks and actions used."""
    blocks: list[Block] = []
    if section.heading:
        blocks.append({"type": "header", "text": plain(section.heading, HEADER_LIMIT)})
    blocks += _text_blocks(section.lines)
    views = section.actions[:shown]
    for view in views:
        blocks += _action_blocks(view, buttons)
    return blocks, len(views)


def _blocks(reply: Reply, *, action_buttons: bool, max_actions: int) -> list[Block]:
    buttons = _Buttons()
    blocks = [_section(_MARK[reply.tone] + reply.title)]
    blocks += _text_blocks(reply.lines)
    left, total = max_actions, len(reply.actions)
    for section in reply.sections:
        more, used = _section_blocks(section, buttons if action_buttons else None, left)
        blocks += more
        left -= used
    notes = []
    if not action_buttons and any(view.buttons for view in reply.actions):
        notes.append("Too many actions for buttons here: type the command, like “done 04-CR”.")
    if total > max_actions:
        notes.append(f"…and {total - max_actions} more not shown. Ask for one owner's list.")
    if notes:
        blocks.append({"type": "context", "elements": [plain(n) for n in notes]})
    if reply.buttons:
        blocks.append(buttons.block(reply.buttons))
    return blocks


def blocks_for(reply: Reply, budget: int = MESSAGE_BLOCKS) -> list[Block]:
    """The richest rendering that fits in ``budget`` blocks."""
    total = len(reply.actions)
    for action_buttons in (True, False):
        if total >= budget:  # each action takes a block of its own: all of them cannot fit
            break
        rendered = _blocks(reply, action_buttons=action_buttons, max_actions=total)
        if len(rendered) <= budget:
            return rendered
    # The most actions that fit without buttons. Blocks grow with the actions shown, so a binary
    # search finds it in a few renderings; counting down from a long list one by one re-rendered
    # it hundreds of times (half a second for `outstanding` on a board of 400 open actions).
    fits, low, high = None, 0, min(total - 1, budget)  # each action takes a block of its own
    while low <= high:
        middle = (low + high) // 2
        rendered = _blocks(reply, action_buttons=False, max_actions=middle)
        if len(rendered) <= budget:
            fits, low = rendered, middle + 1
        else:
            high = middle - 1
    if fits is not None:
        return fits
    return _blocks(reply, action_buttons=False, max_actions=0)[:budget]


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


def message(reply: Reply) -> dict[str, Any]:
    """Keyword arguments for chat.postMessage, ack() or respond()."""
    return {"text": fallback_text(reply), "blocks": blocks_for(reply)}


def home_view(reply: Reply, banner: Reply | None = None) -> dict[str, Any]:
    """The App Home tab. ``banner`` is the answer to a button just clicked on it."""
    blocks: list[Block] = []
    if banner is not None:
        blocks.append(_section(_MARK[banner.tone] + banner.title))
        blocks += _text_blocks(banner.lines[:3])
        blocks.append({"type": "divider"})
    blocks += blocks_for(reply, VIEW_BLOCKS - len(blocks))
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
