"""performance: an index on actions(board_id, item) for resolving and naming REFs

Every REF a member types is resolved among the board's actions under one item, and every REF
shown is made unique among the open actions under the same items; both filter on
(board_id, item), which the (board_id, status) index answers only by scanning the whole board.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.create_index("ix_actions_board_item", ["board_id", "item"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.drop_index("ix_actions_board_item")
