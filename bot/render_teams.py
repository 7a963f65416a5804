"""Reply -> an Adaptive Card for Microsoft Teams.

Every string that comes from a ``Reply`` may hold text a user typed (an action, an update, a
name), and a TextBlock renders a subset of Markdown, so each one goes through ``escape``: a
"**bold**" update, a "[link](…)" or a "- list" shows as the characters that were typed.
Buttons become ``Action.Execute`` (Universal Actions) with an ``Action.Submit`` fallback for
clients without them; both carry ``{"verb": "crb", "command": "done 04-CR"}``.
"""

from __future__ import annotations

import re
from typing import Any

from handlers.reply import ActionView, Button, Reply, Tone

CARD_VERB = "crb"  # the Action.Execute verb and the Action.Submit filter of every card button
CARD_VERSION = "1.4"
NOTE_FIELD = "update"
RAG_FIELD = "rag"
_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"

_MARKDOWN = re.compile(r"([\\`*_~\[\](){}<>#|!])")
_LINE_START = re.compile(r"^(\s*)([-+=]|\d+[.)])(?=\s|$)", re.MULTILINE)
_TONE_COLOUR = {
    Tone.SUCCESS: "Good",
    Tone.WARNING: "Warning",
    Tone.ERROR: "Attention",
    Tone.INFO: "Default",
}
_MARK = {Tone.SUCCESS: "✓ ", Tone.WARNING: "! ", Tone.ERROR: "✗ ", Tone.INFO: ""}
_BUTTON_STYLE = {"primary": "positive", "danger": "destructive"}


def escape(text: str) -> str:
    """Neutralise Markdown and the DATE()/TIME() functions: the text shows as typed."""
    escaped = _MARKDOWN.sub(r"\\\1", text)
    # A line that starts like a list item ("- ", "1. ") would become one: escape its marker.
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)


def text_block(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": escape(text), "wrap": True, **style}


def card_action(label: str, command: str, style: str | None = None) -> dict[str, Any]:
    """A button that runs ``command`` as the person who presses it."""
    data = {"verb": CARD_VERB, "command": command}
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


def _actions(buttons: tuple[Button, ...]) -> list[dict[str, Any]]:
    return [card_action(button.label, button.command, button.style) for button in buttons]


def _action_container(view: ActionView) -> dict[str, Any]:
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
    if view.buttons:
        items.append({"type": "ActionSet", "actions": _actions(view.buttons)})
    return {"type": "Container", "separator": True, "spacing": "Medium", "items": items}


def _card(body: list[dict[str, Any]], actions: list[dict[str, Any]]) -> dict[str, Any]:
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": _SCHEMA,
        "version": CARD_VERSION,
        "body": body,
        "msteams": {"width": "Full"},
    }
    if actions:
        card["actions"] = actions
    return card


def reply_card(reply: Reply) -> dict[str, Any]:
    """The Adaptive Card for a reply."""
    body = [
        text_block(
            _MARK[reply.tone] + reply.title,
            weight="Bolder",
            size="Medium",
            color=_TONE_COLOUR[reply.tone],
        )
    ]
    body += [text_block(line, spacing="Small") for line in reply.lines]
    for section in reply.sections:
        if section.heading:
            body.append(text_block(section.heading, weight="Bolder", spacing="Large"))
        body += [text_block(line, spacing="Small") for line in section.lines]
        body += [_action_container(view) for view in section.actions]
    return _card(body, _actions(reply.buttons))


def note_form_card(ref: str, command: str) -> dict[str, Any]:
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
            "value": "",
            "choices": [
                {"title": "No rating", "value": ""},
                {"title": "Red", "value": "red"},
                {"title": "Amber", "value": "amber"},
                {"title": "Green", "value": "green"},
            ],
        },
    ]
    return _card(body, [card_action("Save update", command, "primary")])
