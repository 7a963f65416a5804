"""Reply -> the two parts of an email: plain text and accessible HTML, with their links.

Both parts come from Jinja2 templates in ``bot/templates/email``. The HTML one is autoescaped and
the text one takes every string through ``plain_line``, so text typed by a member can become
neither markup nor a forged line. What the links are is decided in ``handlers.email_links``;
here they are only placed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from handlers.email_links import EmailLinks
from handlers.plain import plain_line
from handlers.reply import ActionView, Reply
from planning.calendar import zone

BLANK_LINES = re.compile(r"\n{3,}")
TEMPLATES = Path(__file__).parent / "templates" / "email"
WHY_EMAIL = "You receive this by email because no Slack or Teams account is linked to you."
RAG_STYLES = {  # text on a colour, each pair at least 4.5:1; the word says it, not the colour
    "red": "background-color:#d4351c;color:#ffffff;",
    "amber": "background-color:#ffdd00;color:#0b0c0c;",
    "green": "background-color:#00703c;color:#ffffff;",
}

_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=False,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class Rendered:
    text: str
    html: str


def render_email(
    reply: Reply,
    links: EmailLinks,
    *,
    subject: str,
    replies_go_to: tuple[str, ...],
) -> Rendered:
    """Both parts of ``reply``'s email. ``replies_go_to``: who reads a reply, by name."""
    context = _context(reply, links, subject, replies_go_to)
    text = _environment.get_template("message.txt").render(context)
    return Rendered(
        text=BLANK_LINES.sub("\n\n", text),  # one blank line between blocks, however built
        html=_environment.get_template("message.html").render(context),
    )


def _context(
    reply: Reply, links: EmailLinks, subject: str, replies_go_to: tuple[str, ...]
) -> dict[str, Any]:
    about = reply.about
    return {
        "subject": plain_line(subject),
        "marking": plain_line(about.marking) if about and about.marking else None,
        "board_name": plain_line(about.board_name) if about else "",
        "title": plain_line(reply.title),
        "lines": [plain_line(line) for line in reply.lines],
        "sections": [
            {
                "heading": plain_line(section.heading) if section.heading else None,
                "lines": [plain_line(line) for line in section.lines],
                "actions": [_action(view, links) for view in section.actions],
            }
            for section in reply.sections
        ],
        "snooze": links.snooze,
        "mine": links.mine,
        "board": links.board,
        "footer": footer(links.expires_at, about.timezone if about else "UTC", replies_go_to),
    }


def _action(view: ActionView, links: EmailLinks) -> dict[str, Any]:
    return {
        "ref": plain_line(view.ref),
        "text": plain_line(view.text),
        # A joint action names its owners; one's own actions need no name.
        "owner_names": ", ".join(map(plain_line, view.owner_names))
        if len(view.owner_names) > 1
        else "",
        "latest_update": plain_line(view.latest_update) if view.latest_update else None,
        "rag": view.rag if view.rag in RAG_STYLES else None,
        "rag_style": RAG_STYLES.get(view.rag or "", ""),
        "links": links.actions.get(view.action_id) if view.action_id is not None else None,
    }


def footer(expires_at: datetime | None, timezone: str, replies_go_to: tuple[str, ...]) -> list[str]:
    lines = [WHY_EMAIL]
    if expires_at is not None:
        last_day = (expires_at.astimezone(zone(timezone)) - timedelta(seconds=1)).date()
        lines.append(
            "Each button opens a page where you confirm before anything changes. The buttons "
            f"work only for you, until the end of {last_day:%A %-d %B %Y}: please do not "
            "forward this email."
        )
    if replies_go_to:
        lines.append(f"Replies to this email go to {_names(replies_go_to)}.")
    else:
        lines.append(
            "Replies to this email are not read. Use the buttons above, or contact the "
            "board's secretariat."
        )
    return lines


def _names(names: tuple[str, ...]) -> str:
    cleaned = [plain_line(name) for name in names]
    return cleaned[0] if len(cleaned) == 1 else f"{', '.join(cleaned[:-1])} and {cleaned[-1]}"
