"""Reply -> plain text, for the console, the CLI and every platform's fallback text."""

from __future__ import annotations

from handlers.reply import ActionView, Reply, Tone

_MARK = {Tone.SUCCESS: "✓ ", Tone.WARNING: "! ", Tone.ERROR: "✗ ", Tone.INFO: ""}


def action_line(view: ActionView) -> str:
    owners = "/".join(view.owners) or "no owner"
    line = f"{view.ref}  {view.text}  [{owners}, raised {view.meeting}]"
    if view.status == "done":
        by = f" by {view.done_by}" if view.done_by else ""
        when = f" {view.done_at:%Y-%m-%d}" if view.done_at else ""
        line += f"  DONE{when}{by}"
    return line


def update_line(view: ActionView) -> str | None:
    if not view.latest_update:
        return None
    rag = f"[{view.rag.upper()}] " if view.rag else ""
    return f"      latest update: {rag}{view.latest_update}"


def render(reply: Reply) -> str:
    lines = [_MARK[reply.tone] + reply.title]
    lines += [f"  {line}" for line in reply.lines]
    for section in reply.sections:
        if section.heading:
            lines.append(f"\n{section.heading}")
        lines += [f"  {line}" for line in section.lines]
        for view in section.actions:
            lines.append(f"  • {action_line(view)}")
            if (update := update_line(view)) is not None:
                lines.append(update)
    if reply.buttons:
        lines.append("  " + "   ".join(f"[{b.label}: {b.command}]" for b in reply.buttons))
    return "\n".join(lines)
