"""text: repair text stored with Slack's escaping, and keep each person's Slack DM channel

Until this revision, what people typed in Slack was stored as Slack sent it: ``&``, ``<`` and
``>`` as ``&amp;``, ``&lt;`` and ``&gt;``, and a mentioned colleague as ``slack:U…``. Updates
and actions are repaired: the entities become the characters again, and a mention of a linked
member becomes ``@`` and their name, as the bot now stores them. The count of rows changed is
logged, and ``crb db upgrade`` prints it.

It also adds ``slack_dm_channels``: the DM channel id of each person the bot has written to.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import logging
import re

import sqlalchemy as sa
from alembic import context, op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

log = logging.getLogger("crb.migrate")
_ESCAPED = ("&amp;", "&lt;", "&gt;")
_MENTION = re.compile(r"\bslack:([UW][A-Z0-9]{2,})\b")


def repaired(text: str, names: dict[str, str]) -> str:
    """``text`` as the bot stores it now: Slack's entities undone, linked members named."""
    text = _MENTION.sub(lambda m: f"@{names[m[1]]}" if m[1] in names else m[0], text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _repair(connection: sa.Connection, table: str, column: str, names: dict[str, str]) -> int:
    rows = sa.table(table, sa.column("id", sa.Integer), sa.column(column, sa.Text))
    suspect = sa.or_(
        *(rows.c[column].contains(entity) for entity in _ESCAPED),
        rows.c[column].contains("slack:"),
    )
    changed = 0
    for row_id, text in connection.execute(sa.select(rows.c.id, rows.c[column]).where(suspect)):
        fixed = repaired(text, names)
        if fixed != text:
            connection.execute(rows.update().where(rows.c.id == row_id).values({column: fixed}))
            changed += 1
    return changed


def upgrade() -> None:
    op.create_table(
        "slack_dm_channels",
        sa.Column("slack_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("slack_id", name=op.f("pk_slack_dm_channels")),
    )
    connection = op.get_bind()
    members = sa.table("members", sa.column("slack_id", sa.String), sa.column("name", sa.String))
    linked = sa.select(members.c.slack_id, members.c.name).where(members.c.slack_id.is_not(None))
    names = {slack_id: name for slack_id, name in connection.execute(linked)}
    notes = _repair(connection, "audit_events", "note", names)
    actions = _repair(connection, "actions", "text", names)
    message = f"Repaired text stored with Slack's escaping: {notes} update(s), {actions} action(s)."
    log.info(message)
    context.config.attributes.setdefault("reports", []).append(message)


def downgrade() -> None:
    op.drop_table("slack_dm_channels")
