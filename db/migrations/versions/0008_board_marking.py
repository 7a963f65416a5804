"""the board's protective marking, and a version for each meeting's calendar event

``boards.marking`` is the marking every paper, calendar event, email and web page carries.
``boards.marking_by_hand`` says it was set with `crb board set --marking` (or on the web desk):
an import then leaves it alone; otherwise each import with a marking updates it. Existing boards
take the marking of their latest meeting whose minutes were imported (only an import
sets a meeting's marking; minutes_imported_at is empty for boards older than that column).

``meetings.sequence`` and ``meetings.updated_at`` are the calendar event's SEQUENCE and
LAST-MODIFIED: every change to a meeting bumps the one and sets the other. Existing meetings
start from the number of changes their audit trail records, and their latest change (or their
creation).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, never a batch copy: on SQLite a copy drops the old boards table, and
    # that cascades to every meeting, member and action of the board.
    op.add_column("boards", sa.Column("marking", sa.String(length=100), nullable=True))
    op.add_column(
        "boards",
        sa.Column("marking_by_hand", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "meetings", sa.Column("sequence", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column("meetings", sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        """
        UPDATE boards SET marking = (
            SELECT m.protective_marking FROM meetings m
            WHERE m.board_id = boards.id AND m.protective_marking IS NOT NULL
            ORDER BY m.date DESC LIMIT 1
        )
        """
    )
    op.execute(
        """
        UPDATE meetings SET sequence = (
            SELECT COUNT(*) FROM audit_events e
            WHERE e.meeting_id = meetings.id AND e.kind = 'meeting_changed'
        )
        """
    )
    op.execute(
        """
        UPDATE meetings SET updated_at = COALESCE(
            (SELECT MAX(e.at) FROM audit_events e
             WHERE e.meeting_id = meetings.id
               AND e.kind IN ('meeting_added', 'meeting_changed')),
            created_at
        )
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
        batch_op.drop_column("sequence")
    with op.batch_alter_table("boards", schema=None) as batch_op:
        batch_op.drop_column("marking_by_hand")
        batch_op.drop_column("marking")
