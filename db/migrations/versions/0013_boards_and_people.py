"""boards and people: each board gets a short code and may be bound to a chat channel; a person's
accounts (email, Slack, Teams) move from each seat to one ``people`` row

Revision ID: 0013
Revises: 0012

A database made by an earlier release holds one board: it gets a short code made from its name
("Crime Reduction Board" -> CRB), reported in ``crb db upgrade``'s output. Each member becomes a
person; members of different boards who share an account become one person (a seat per board).
"""

from __future__ import annotations

import logging
import re

import sqlalchemy as sa
from alembic import context, op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

_boards = sa.table("boards", sa.column("id", sa.Integer), sa.column("name", sa.String))
_members = sa.table(
    "members",
    sa.column("id", sa.Integer),
    sa.column("board_id", sa.Integer),
    sa.column("email", sa.String),
    sa.column("slack_id", sa.String),
    sa.column("teams_id", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("person_id", sa.Integer),
)


def _short(name: str, taken: set[str]) -> str:
    """Frozen here: the code an upgraded board gets must not change with later releases."""
    base = "".join(word[0] for word in re.findall(r"[A-Za-z0-9]+", name)).upper()[:12] or "BOARD"
    short, number = base, 1
    while short in taken:
        number += 1
        short = f"{base}{number}"
    return short


def _report(message: str) -> None:
    log.info(message)
    context.config.attributes.setdefault("reports", []).append(message)


def _give_boards_short_codes(connection: sa.Connection) -> None:
    taken: set[str] = set()
    for board_id, name in connection.execute(sa.select(_boards.c.id, _boards.c.name)):
        short = _short(name, taken)
        taken.add(short)
        connection.execute(
            sa.text("UPDATE boards SET short = :short WHERE id = :id"),
            {"short": short, "id": board_id},
        )
        _report(f"The board “{name}” has the short code {short}: use --board {short} to name it.")


def _people_of(rows: list[sa.Row]) -> dict[int, int]:
    """member id -> the member id that stands for their person. Seats sharing an account are one
    person, unless two of them are on the same board (then nobody is merged: they are two)."""
    person = {row.id: row.id for row in rows}

    def root(member_id: int) -> int:
        while person[member_id] != member_id:
            member_id = person[member_id]
        return member_id

    first_with: dict[tuple[str, str], int] = {}
    for row in rows:
        for field in ("email", "slack_id", "teams_id"):
            value = getattr(row, field)
            if not value:
                continue
            key = (field, value.lower() if field == "email" else value)
            if key in first_with:
                person[root(row.id)] = root(first_with[key])
            else:
                first_with[key] = row.id
    groups: dict[int, list[sa.Row]] = {}
    for row in rows:
        groups.setdefault(root(row.id), []).append(row)
    result = {}
    for lead, seats in groups.items():
        boards = [seat.board_id for seat in seats]
        one_seat_a_board = len(boards) == len(set(boards))
        for seat in seats:
            result[seat.id] = lead if one_seat_a_board else seat.id
    return result


def _make_people(connection: sa.Connection) -> None:
    rows = list(connection.execute(sa.select(_members).order_by(_members.c.id)))
    people = _people_of(rows)
    by_id = {row.id: row for row in rows}
    for lead in sorted(set(people.values())):
        seats = [by_id[member_id] for member_id, person in people.items() if person == lead]
        account = {
            field: next((getattr(s, field) for s in seats if getattr(s, field)), None)
            for field in ("email", "slack_id", "teams_id")
        }
        connection.execute(
            sa.text(
                "INSERT INTO people (id, email, slack_id, teams_id, created_at) "
                "VALUES (:id, :email, :slack_id, :teams_id, :created_at)"
            ),
            {"id": lead, "created_at": by_id[lead].created_at, **account},
        )
    for member_id, lead in people.items():
        connection.execute(
            _members.update().where(_members.c.id == member_id).values(person_id=lead)
        )
    if connection.dialect.name == "postgresql":
        connection.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence('people', 'id'), "
                "COALESCE((SELECT MAX(id) FROM people), 1), "
                "(SELECT MAX(id) FROM people) IS NOT NULL)"
            )
        )


def upgrade() -> None:
    connection = op.get_bind()
    with op.batch_alter_table("boards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("short", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("slack_channel", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("teams_channel", sa.String(length=400), nullable=True))
    _give_boards_short_codes(connection)
    with op.batch_alter_table("boards", schema=None) as batch_op:
        batch_op.alter_column("short", existing_type=sa.String(length=16), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_boards_short"), ["short"])

    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("slack_id", sa.String(length=32), nullable=True),
        sa.Column("teams_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint("slack_id", name=op.f("uq_people_slack_id")),
        sa.UniqueConstraint("teams_id", name=op.f("uq_people_teams_id")),
    )
    op.create_index(op.f("ix_people_email"), "people", ["email"], unique=False)
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
    _make_people(connection)
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.alter_column("person_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_members_person_id_people"), "people", ["person_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_members_person_id"), ["person_id"], unique=False)
        batch_op.drop_constraint("uq_members_board_id_slack_id", type_="unique")
        batch_op.drop_constraint("uq_members_board_id_teams_id", type_="unique")
        batch_op.drop_column("email")
        batch_op.drop_column("slack_id")
        batch_op.drop_column("teams_id")


def downgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column("slack_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("teams_id", sa.String(length=64), nullable=True))
    op.execute(
        "UPDATE members SET "
        "email = (SELECT email FROM people WHERE people.id = members.person_id), "
        "slack_id = (SELECT slack_id FROM people WHERE people.id = members.person_id), "
        "teams_id = (SELECT teams_id FROM people WHERE people.id = members.person_id)"
    )
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_members_person_id"))
        batch_op.drop_constraint(batch_op.f("fk_members_person_id_people"), type_="foreignkey")
        batch_op.drop_column("person_id")
        batch_op.create_unique_constraint("uq_members_board_id_slack_id", ["board_id", "slack_id"])
        batch_op.create_unique_constraint("uq_members_board_id_teams_id", ["board_id", "teams_id"])
    op.drop_index(op.f("ix_people_email"), table_name="people")
    op.drop_table("people")
    with op.batch_alter_table("boards", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_boards_short"), type_="unique")
        batch_op.drop_column("teams_channel")
        batch_op.drop_column("slack_channel")
        batch_op.drop_column("short")
