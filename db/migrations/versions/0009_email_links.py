"""email links: a member's one-click links from email can be revoked from the web desk

``members.links_revoked_at``: every email link issued to the member before this instant is
refused. Rotating the signing key revokes everyone's links at once; this revokes one person's
(a forwarded email, a lost phone). Nothing is dropped: the column is new and empty.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN, never a batch copy: on SQLite a copy drops the old table, and the drop
    # would cascade to every action owner.
    op.add_column("members", sa.Column("links_revoked_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("members", "links_revoked_at")
