"""Reply -> an Adaptive Card (1.5) for Microsoft Teams.

Every string that comes from a ``Reply`` may hold text a user typed (an action, an update, a
name). It is shown in a ``RichTextBlock`` of ``TextRun``s, which render no Markdown at all, so a
"**bold**" update, a "[link](…)" or a "- list" shows as typed on every client, with no backslash
escapes (which Teams mobile shows literally). Only the ``{{DATE()}}``/``{{TIME()}}`` functions are
broken up, by a word joiner between the braces.

Buttons become ``Action.Execute`` (Universal Actions) with an ``Action.Submit`` fallback for
clients without them; both carry ``{"verb": "crb", "command": "done 04-CR"}``.

A card stays under ``MAX_CARD_BYTES`` (Teams refuses a message over 100 KB, Microsoft advises
80 KB): a long list is cut, ending with "N more — see the full list" and a link to it.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any

from handlers.reply import ActionView, Button, Reply, Section, Tone

CARD_VERB = "crb"  # the Action.Execute verb and the Action.Submit filter of every card button
CARD_VERSION = "1.5"  # Microsoft: Universal Actions need 1.5
NOTE_FIELD = "update"
RAG_FIELD = "rag"
ACTION_FIELD = "action"  # a button's action id
SHOWN_FIELD = "shown"  # the status the card showed that action in
MAX_CARD_BYTES = 80_000
_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
_WORD_JOINER = "\u2060"
_TONE_COLOUR = {
    Tone.SUCCESS: "Good",
    Tone.WARNING: "Warning",
    Tone.ERROR: "Attention",
    Tone.INFO: "Default",
}
_MARK = {Tone.SUCCESS: "✓ ", Tone.WARNING: "! ", Tone.ERROR: "✗ ", Tone.INFO: ""}
_BUTTON_STYLE = {"primary": "positive", "danger": "destructive"}
# Side by side, buttons share the width: at 360 px more than two, or two long labels, are cut.
_SIDE_BY_SIDE = 2
_SIDE_BY_SIDE_CHARACTERS = 24
_TEXT_RUN_STYLE = ("weight", "size", "color", "isSubtle")


def escape(text: str) -> str:
    """Text for a TextRun: no Markdown applies there; only template functions are broken up."""
    return text.replace("{{", "{" + _WORD_JOINER + "{").replace("}}", "}" + _WORD_JOINER + "}")


def text_block(text: str, **style: Any) -> dict[str, Any]:
    """Text shown exactly as given: a RichTextBlock with one TextRun."""
    run = {"type": "TextRun", "text": escape(text)}
    run.update({name: value for name, value in style.items() if name in _TEXT_RUN_STYLE})
    block = {"type": "RichTextBlock", "inlines": [run]}
    block.update({name: value for name, value in style.items() if name not in _TEXT_RUN_STYLE})
    return block


def card_action(
    label: str,
    command: str,
    style: str | None = None,
    action_id: int | None = None,
    shown: str | None = None,
) -> dict[str, Any]:
    """A button that runs ``command`` as the person who presses it; a button on one action
    also carries the action's stable id (``ACTION_FIELD``), which the bot runs it by, and the
    status the card showed it in (``SHOWN_FIELD``)."""
    data: dict[str, Any] = {"verb": CARD_VERB, "command": command}
    if action_id is not None:
        data[ACTION_FIELD] = action_id
    if shown is not None:
        data[SHOWN_FIELD] = shown
    action: dict[str, Any] = {
        "type": "Action.Execute",
        "title": label,  # button titles are plain text: no Markdown to neutralise
        "verb": CARD_VERB,
        "data": data,
        "fallback": {"type": "Action.Submit", "title": label, "data": data},
    }
    if style in _BUTTON_STYLE:
        action["style"] = _BUTTON_STYLE[style]
    return action


def _actions(buttons: tuple[Button, ...], action_id: int | None = None) -> list[dict[str, Any]]:
    return [_button(button, action_id) for button in buttons]


def _button(button: Button, action_id: int | None) -> dict[str, Any]:
    if button.target is not None:
        _verb, target = button.target
        return card_action(button.label, button.command, button.style, target.id, target.shown)
    return card_action(button.label, button.command, button.style, action_id)


def _button_rows(buttons: tuple[Button, ...], action_id: int | None = None) -> list[dict[str, Any]]:
    """Buttons side by side when they fit at 360 px, else one full-width button a row."""
    if not buttons:
        return []
    fits = len(buttons) <= _SIDE_BY_SIDE and (
        sum(len(button.label) for button in buttons) <= _SIDE_BY_SIDE_CHARACTERS
    )
    if fits:
        return [{"type": "ActionSet", "actions": _actions(buttons, action_id)}]
    return [
        {"type": "ActionSet", "actions": _actions((button,), action_id), "spacing": "Small"}
        for button in buttons
    ]


def _action_container(view: ActionView, repeat: int = 0) -> dict[str, Any]:
    """An action's row; ``repeat``: how many times it is already in the card (a joint action
    listed under each owner), so that every row's id stays unique."""
    owners = ", ".join(view.owner_names) or "no owner"
    facts = f"{owners} · raised {view.meeting}"
    if view.status == "done":
        by = f" by {view.done_by}" if view.done_by else ""
        when = f" {view.done_at:%Y-%m-%d}" if view.done_at else ""
        facts += f" · done{when}{by}"
    items: list[dict[str, Any]] = [
        text_block(f"{view.ref}  {view.text}", weight="Bolder"),
        text_block(facts, isSubtle=True, spacing="None", size="Small"),
    ]
    if view.latest_update:
        rag = f"[{view.rag.upper()}] " if view.rag else ""
        items.append(text_block(f"Latest update: {rag}{view.latest_update}", spacing="Small"))
    items += _button_rows(view.buttons, view.action_id)
    return {
        "type": "Container",
        "id": row_id(view) + (f"-{repeat + 1}" if repeat else ""),
        "separator": True,
        "spacing": "Medium",
        "items": items,
    }


def row_id(view: ActionView) -> str:
    """The id of an action's row in a card: a button pressed on it finds its row again. Not the
    REF, which can change as other actions close: what the action is (meeting, item, owners,
    text)."""
    what = "\n".join((view.meeting, view.item, *view.owners, view.text))
    return f"action-{hashlib.sha256(what.encode()).hexdigest()[:16]}"


def card_rows(card: dict[str, Any]) -> list[str]:
    """The ids of the action rows in a card, in order."""
    return [
        item["id"] for item in card.get("body", []) if str(item.get("id", "")).startswith("action-")
    ]


def with_notice(card: dict[str, Any], reply: Reply) -> dict[str, Any]:
    """The card with the reply's title on top: what the person who pressed is told."""
    notice = text_block(
        _MARK[reply.tone] + reply.title, weight="Bolder", color=_TONE_COLOUR[reply.tone]
    )
    return {**card, "body": [notice, *card.get("body", [])]}


def replace_row(card: dict[str, Any], view: ActionView) -> dict[str, Any] | None:
    """The card with ``view``'s row drawn anew (its status and buttons as they are now), every
    other row as it was; None when the card has no row for that action."""
    wanted = row_id(view)
    new_body, repeat = [], 0
    for item in card.get("body", []):
        row = str(item.get("id", ""))
        if row == wanted or row.startswith(wanted + "-"):
            item, repeat = _action_container(view, repeat), repeat + 1
        new_body.append(item)
    return {**card, "body": new_body} if repeat else None


def _card(body: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "AdaptiveCard",
        "$schema": _SCHEMA,
        "version": CARD_VERSION,
        "body": body,
        "msteams": {"width": "Full"},
    }


def card_bytes(card: dict[str, Any]) -> int:
    """The card's size as sent: UTF-8 JSON."""
    return len(json.dumps(card, ensure_ascii=False, separators=(",", ":")).encode())


def reply_card(
    reply: Reply, *, full_list_url: str | None = None, limit: int = MAX_CARD_BYTES
) -> dict[str, Any]:
    """The Adaptive Card for a reply, cut to ``limit`` bytes: as many of its actions as fit,
    then "N more — see the full list" (a link to ``full_list_url`` when there is one)."""
    total = len(reply.actions)
    card = _reply_card(reply, total, full_list_url)
    if card_bytes(card) <= limit:
        return card
    shown_low, shown_high = 0, total - 1  # the most actions that fit: found by halving
    while shown_low < shown_high:
        middle = (shown_low + shown_high + 1) // 2
        if card_bytes(_reply_card(reply, middle, full_list_url)) <= limit:
            shown_low = middle
        else:
            shown_high = middle - 1
    return _reply_card(reply, shown_low, full_list_url)


def _reply_card(reply: Reply, shown: int, full_list_url: str | None) -> dict[str, Any]:
    body = [
        text_block(
            _MARK[reply.tone] + reply.title,
            weight="Bolder",
            size="Medium",
            color=_TONE_COLOUR[reply.tone],
        )
    ]
    body += [text_block(line, spacing="Small") for line in reply.lines]
    room, seen = shown, Counter[str]()
    for section in reply.sections:
        body += _section(section, room, seen)
        room = max(room - len(section.actions), 0)
    hidden = len(reply.actions) - shown
    if hidden:
        body.append(text_block(f"{hidden} more — see the full list", weight="Bolder"))
        if not full_list_url:
            body.append(text_block("Type “crb outstanding” for every open action.", size="Small"))
        else:
            body.append(
                {
                    "type": "ActionSet",
                    "actions": [
                        {"type": "Action.OpenUrl", "title": "Full list", "url": full_list_url}
                    ],
                }
            )
    if reply.link:
        opens = {"type": "Action.OpenUrl", "title": reply.link.label, "url": reply.link.url}
        body.append({"type": "ActionSet", "actions": [opens]})
    return _card(body + _button_rows(reply.buttons))


def _section(section: Section, room: int, seen: Counter[str]) -> list[dict[str, Any]]:
    if not room and section.actions:
        return []  # every action in it is cut: its heading would head nothing
    body: list[dict[str, Any]] = []
    if section.heading:
        body.append(text_block(section.heading, weight="Bolder", spacing="Large"))
    body += [text_block(line, spacing="Small") for line in section.lines]
    for view in section.actions[:room]:
        body.append(_action_container(view, seen[row_id(view)]))
        seen[row_id(view)] += 1
    return body


def note_form_card(ref: str, command: str, action_id: int | None = None) -> dict[str, Any]:
    """The form behind "Add update": the update's text and an optional RAG rating."""
    body = [
        text_block(f"Add an update to {ref}", weight="Bolder", size="Medium"),
        {
            "type": "Input.Text",
            "id": NOTE_FIELD,
            "label": "What has happened?",
            "isMultiline": True,
            "isRequired": True,
            "maxLength": 2000,
            "errorMessage": "Say what has happened.",
        },
        {
            "type": "Input.ChoiceSet",
            "id": RAG_FIELD,
            "label": "RAG rating",
            "style": "compact",
            # No rating is no choice: every choice needs a value, and an empty one is invalid.
            "placeholder": "No rating",
            "isRequired": False,
            "choices": [
                {"title": "Red", "value": "red"},
                {"title": "Amber", "value": "amber"},
                {"title": "Green", "value": "green"},
            ],
        },
    ]
    save = card_action("Save update", command, "primary", action_id)
    return _card([*body, {"type": "ActionSet", "actions": [save]}])
