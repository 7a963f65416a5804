"""A tick's fan-out reads what it needs from the database once, not once a message (issue 20).

Runs against the real SlackChannel and the loopback Slack stand-in, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event

from bot.runtime import Runtime
from bot.slack import SlackChannel, make_client
from db import queries
from handlers.reply import Reply
from tests.slack_fixtures import CR, DP, JS
from tests.slack_harness import slack_config
from tests.slack_standin import SlackStandIn

PEOPLE = {"DP": DP, "CR": CR, "JS": JS}
KEPT_AT = datetime(2021, 1, 1, tzinfo=UTC)


def test_a_ticks_messages_read_the_kept_dm_channels_in_one_query(
    linked: Runtime, slack: SlackStandIn
) -> None:
    """Defect: each message of a tick read its person's DM channel in a session of its own
    (2,000 queries and thread hand-offs for 2,000 nudges)."""
    config = slack_config(slack, linked.config.database_url)
    with linked.sessions() as session, session.begin():
        board = queries.default_board(session)
        members = [queries.member_by_initials(session, board, i) for i in PEOPLE]
        for slack_id in PEOPLE.values():  # kept by an earlier quarter
            queries.remember_slack_dm_channel(session, slack_id, "D" + slack_id[1:], KEPT_AT)
    reads: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "slack_dm_channels" in statement and statement.lstrip().upper().startswith("SELECT"):
            reads.append(statement)

    event.listen(linked.engine, "before_cursor_execute", count)
    try:
        channel = SlackChannel(make_client(config, max_retries=0), sessions=linked.sessions)

        async def tick() -> None:
            async with channel.connected():
                for member in members:
                    await channel.send(member, Reply("Reminder: 1 open action"))

        asyncio.run(tick())
    finally:
        event.remove(linked.engine, "before_cursor_execute", count)
    posted = slack.wait_for("chat.postMessage", count=3)
    assert sorted(call.params["channel"] for call in posted) == ["D0CR", "D0DP", "D0JS"]
    assert not slack.calls_to("conversations.open")
    assert len(reads) == 1
