"""A board of any size, written straight into the database with bulk inserts.

The shape follows the sample: quarterly meetings, actions numbered by agenda item, one or two
owners each (about one in ten joint, like "DP/RT").
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Engine, insert

from db.models import Action, ActionOwner, Board, Meeting, MeetingStatus, Member, Person, Role

CREATED = datetime(2020, 11, 26, 9, 30, tzinfo=UTC)
FIRST_MEETING = date(2018, 2, 28)


@dataclass(frozen=True)
class Scale:
    boards: int
    members: int  # across all boards
    actions: int  # across all boards, all open
    meetings_per_board: int = 4

    @property
    def label(self) -> str:
        return f"{self.boards} boards, {self.members} members, {self.actions} actions"


def _initials(n: int) -> str:
    letters = "ABCDEFGHJKLMNPRSTVW"
    return letters[n % len(letters)] + letters[(n // len(letters)) % len(letters)] + str(n)


def populate(
    engine: Engine, scale: Scale, *, seed: int = 7, chunk: int = 5000, round_robin: bool = False
) -> None:
    """Fill an empty, migrated database with ``scale``; the first board is the bot's.

    ``round_robin`` gives action n to member n (mod the board's members) alone, so that with as
    many actions as members every member owns exactly one: a nudge each.
    """
    rng = random.Random(seed)
    per_board_members = max(3, scale.members // scale.boards)
    per_board_actions = scale.actions // scale.boards
    with engine.begin() as connection:
        connection.execute(
            insert(Board),
            [
                {"id": b + 1, "short": f"B{b + 1}", "name": f"Board {b + 1}", "created_at": CREATED}
                for b in range(scale.boards)
            ],
        )
        people, members, meetings, actions, owners = [], [], [], [], []
        for b in range(scale.boards):
            board_id = b + 1
            first_member = len(members) + 1
            for m in range(per_board_members):
                role = Role.CHAIR if m == 0 else Role.SECRETARIAT if m == 1 else Role.MEMBER
                person_id = len(people) + 1  # a person a seat: nobody sits on two boards here
                people.append(
                    {"id": person_id, "slack_id": f"U{board_id:03d}{m:05d}", "created_at": CREATED}
                )
                members.append(
                    {
                        "id": len(members) + 1,
                        "board_id": board_id,
                        "person_id": person_id,
                        "initials": _initials(m),
                        "name": f"Member {m} of {board_id}",
                        "role": role,
                        "active": True,
                        "created_at": CREATED,
                    }
                )
            first_meeting = len(meetings) + 1
            for q in range(scale.meetings_per_board):
                meetings.append(
                    {
                        "id": len(meetings) + 1,
                        "board_id": board_id,
                        "date": FIRST_MEETING + timedelta(days=91 * q),
                        "time": time(10, 0),
                        "status": MeetingStatus.HELD,
                        "created_at": CREATED,
                    }
                )
            for a in range(per_board_actions):
                action_id = len(actions) + 1
                meeting_id = first_meeting + rng.randrange(scale.meetings_per_board)
                actions.append(
                    {
                        "id": action_id,
                        "board_id": board_id,
                        "meeting_id": meeting_id,
                        "item": f"{rng.randrange(1, 12):02d}",
                        "position": a + 1,
                        "text": f"Action {a} of board {board_id}: bring the figures.",
                        "status": "open",
                        "closed_session": False,
                        "created_at": CREATED,
                    }
                )
                joint = rng.random() < 0.1
                owner_ids = (
                    [a % per_board_members]
                    if round_robin
                    else rng.sample(range(per_board_members), 2 if joint else 1)
                )
                owners += [
                    {"action_id": action_id, "member_id": first_member + o, "position": n}
                    for n, o in enumerate(owner_ids)
                ]
        for model, rows in (
            (Person, people),
            (Member, members),
            (Meeting, meetings),
            (Action, actions),
            (ActionOwner, owners),
        ):
            for start in range(0, len(rows), chunk):
                connection.execute(insert(model), rows[start : start + chunk])
    if engine.dialect.name == "postgresql":
        _reset_sequences(engine)


def _reset_sequences(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in ("boards", "people", "members", "meetings", "actions"):
            connection.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
            )
