"""the web desk: signing keys, one-time sign-in links, browser sessions and rate limits

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _instant(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _belongs(table: str) -> list[sa.SchemaItem]:
    return [
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["board_id"],
            ["boards.id"],
            name=op.f(f"fk_{table}_board_id_boards"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f(f"fk_{table}_member_id_members"),
            ondelete="CASCADE",
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "web_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        _instant("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_keys")),
    )
    op.create_table(
        "web_sign_in_links",
        sa.Column("id", sa.Integer(), nullable=False),
        *_belongs("web_sign_in_links"),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("issued_via", sa.String(length=20), nullable=False),
        _instant("created_at"),
        _instant("expires_at"),
        _instant("used_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sign_in_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_sign_in_links_token_hash")),
    )
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        *_belongs("web_sessions"),
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("signed_in_via", sa.String(length=20), nullable=False),
        _instant("created_at"),
        _instant("last_seen_at"),
        _instant("expires_at"),
        _instant("ended_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("id_hash", name=op.f("uq_web_sessions_id_hash")),
    )
    op.create_index(op.f("ix_web_sessions_member_id"), "web_sessions", ["member_id"])
    op.create_table(
        "web_rate_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        _instant("at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_rate_events")),
    )
    op.create_index("ix_web_rate_events_key_at", "web_rate_events", ["key", "at"])
    op.create_index(op.f("ix_web_rate_events_at"), "web_rate_events", ["at"])


def downgrade() -> None:
    op.drop_table("web_rate_events")
    op.drop_table("web_sessions")
    op.drop_table("web_sign_in_links")
    op.drop_table("web_keys")
