"""`mine` for a person who sits on three boards, in a database of many boards (issue 20 × 16).

The use-case layer in-process (``handlers.run.run_command``, as every adapter calls it): the
routing across the person's seats, each board's `mine` read as their seat there, and the grouped
reply. No HTTP: the Slack round trip is the latency section's; this is what the boards add.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import insert, select

from bench.latency import quantile
from bench.report import Result
from db.models import Action, ActionOwner, Member, Person
from db.session import make_engine, make_session_factory
from handlers.identity import Account
from handlers.run import run_command

NOW = datetime(2021, 2, 10, 9, 0, tzinfo=UTC)
BOARDS = 3


def seat_on_three_boards(database_url: str) -> str:
    """The first board's third member also sits on boards 2 and 3, sharing one action on each
    (as the same person: one Slack id); their Slack id."""
    engine = make_engine(database_url)
    with engine.begin() as connection:
        member = connection.execute(
            select(Member.id, Member.person_id, Member.initials)
            .where(Member.board_id == 1)
            .order_by(Member.id)
            .offset(2)
            .limit(1)
        ).one()
        for board_id in range(2, BOARDS + 1):
            seat = connection.execute(
                insert(Member).returning(Member.id),
                {
                    "board_id": board_id,
                    "person_id": member.person_id,
                    "initials": f"X{member.initials}"[:10],
                    "name": "Bench person",
                    "role": "member",
                    "active": True,
                    "created_at": NOW,
                },
            ).scalar_one()
            action_id = connection.execute(
                select(Action.id).where(Action.board_id == board_id).limit(1)
            ).scalar_one()
            connection.execute(
                insert(ActionOwner), {"action_id": action_id, "member_id": seat, "position": 9}
            )
        slack_id = connection.execute(
            select(Person.slack_id).where(Person.id == member.person_id)
        ).scalar_one()
    engine.dispose()
    return slack_id


def measure(database_url: str, label: str, *, runs: int) -> list[Result]:
    """The p50 of ``runs`` `mine` commands (after three to warm up) from that person."""
    slack_id = seat_on_three_boards(database_url)
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    timings = []
    for n in range(runs + 3):
        started = time.perf_counter()
        reply = run_command(sessions, Account.slack(slack_id), "mine", NOW)
        elapsed = time.perf_counter() - started
        if not reply.title.startswith(f"Your boards ({BOARDS})"):
            raise RuntimeError(f"`mine` did not list {BOARDS} boards: {reply.title}")
        if n >= 3:
            timings.append(elapsed * 1000)
    engine.dispose()
    return [
        Result(
            "boards",
            f"`mine` for a person on {BOARDS} boards (use-case layer, p50 of {runs}), {label}",
            quantile(timings, 0.5),
            "ms",
        )
    ]
