"""teams_cards: each card the bot posted on Teams, by message, so that a button pressed on it
updates that action's row and the message itself for everyone.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "teams_cards",
        sa.Column("conversation_id", sa.String(length=400), nullable=False),
        sa.Column("activity_id", sa.String(length=400), nullable=False),
        sa.Column("card", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("conversation_id", "activity_id"),
    )


def downgrade() -> None:
    op.drop_table("teams_cards")
