"""Reply -> plain text, for the console, the CLI and every platform's fallback text.

Every string taken from the reply passes through ``plain_line``: whatever it holds, it comes out
on its own line with no control characters, so stored text can never forge a line or send a
terminal escape.
"""

from __future__ import annotations

from collections.abc import Iterator

from handlers.plain import plain_line as _p
from handlers.reply import ActionView, Reply, Tone

_MARK = {Tone.SUCCESS: "✓ ", Tone.WARNING: "! ", Tone.ERROR: "✗ ", Tone.INFO: ""}


def action_line(view: ActionView) -> str:
    owners = _p("/".join(view.owners)) or "no owner"
    line = f"{_p(view.ref)}  {_p(view.text)}  [{owners}, raised {_p(view.meeting)}]"
    if view.status == "done":
        by = f" by {_p(view.done_by)}" if view.done_by else ""
        when = f" {view.done_at:%Y-%m-%d}" if view.done_at else ""
        line += f"  DONE{when}{by}"
    return line


def update_line(view: ActionView) -> str | None:
    if not view.latest_update:
        return None
    rag = f"[{_p(view.rag).upper()}] " if view.rag else ""
    return f"      latest update: {rag}{_p(view.latest_update)}"


def render(reply: Reply) -> str:
    return "\n".join(render_lines(reply))


def render_lines(reply: Reply) -> Iterator[str]:
    """``render``'s lines one by one, for a reader that needs only the first few."""
    yield _MARK[reply.tone] + _p(reply.title)
    yield from (f"  {_p(line)}" for line in reply.lines)
    for section in reply.sections:
        if section.heading:
            yield f"\n{_p(section.heading)}"
        yield from (f"  {_p(line)}" for line in section.lines)
        for view in section.actions:
            yield f"  • {action_line(view)}"
            if (update := update_line(view)) is not None:
                yield update
    if reply.unlisted:
        yield f"  … and {reply.unlisted} more"
    if reply.buttons:
        yield "  " + "   ".join(f"[{_p(b.label)}: {_p(b.command)}]" for b in reply.buttons)
    if reply.link:
        yield f"  {_p(reply.link.label)}: {_p(reply.link.url)}"
