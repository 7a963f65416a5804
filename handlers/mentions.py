"""People mentioned in what someone typed: stored by name, the same whichever way it came in.

An adapter hands mentions over in the platform-neutral account form (``slack:U0CR``, as it does
for ``link``); a note or an action keeps the person's name instead (``@Claire Richardson``), so
that Teams, email, the paper and the web show a name and not an account id. A mention of someone
who is not a member of the board stays as it came.
"""

from __future__ import annotations

import re

from db import queries
from handlers.context import Ctx

_ACCOUNT = re.compile(r"\b(slack|teams):([A-Za-z0-9][A-Za-z0-9._-]{1,99})\b")
_FIELDS = {"slack": "slack_id", "teams": "teams_id"}


def name_mentions(ctx: Ctx, text: str | None) -> str | None:
    """``text`` with each member's account mention replaced by ``@`` and their name."""
    if not text or ":" not in text:
        return text

    def named(match: re.Match[str]) -> str:
        identity = {_FIELDS[match[1]]: match[2]}
        member = queries.member_by_identity(ctx.session, ctx.board, **identity)
        return f"@{member.name}" if member is not None else match[0]

    return _ACCOUNT.sub(named, text)
