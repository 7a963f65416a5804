"""Reminder planning at scale: the pure planner, and a whole tick's planning from the database."""

from __future__ import annotations

import random
import time as clock
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import sessionmaker

from bench.report import Result
from db.models import DEFAULT_RECURRENCE, Board
from planning import plan
from scheduler import dispatch

UPCOMING = date(2021, 2, 24)
DUE = datetime(2021, 2, 10, 9, 0, 30, tzinfo=UTC)  # the 14-day nudge for UPCOMING


def board() -> Board:
    return Board(
        id=1,
        name="Bench",
        timezone="Europe/London",
        recurrence=DEFAULT_RECURRENCE,
        meeting_time=None,
        reminder_days="14,7,1",
        digest_days="7,1",
        reminder_time=time(9, 0),
    )


def world(actions: int, *, meetings: int = 1000, people: int = 2000, seed: int = 3) -> plan.World:
    rng = random.Random(seed)
    diary = [
        plan.MeetingFact(n + 1, UPCOMING - timedelta(days=91 * (meetings - 1 - n)), time(10))
        for n in range(meetings)
    ]
    persons = tuple(plan.Person(n + 1, f"P{n}", officer=n < 2) for n in range(people))
    owned = tuple(
        plan.OpenAction(n + 1, tuple(rng.sample(range(1, people + 1), 2 if n % 10 == 0 else 1)))
        for n in range(actions)
    )
    return plan.World(
        board=board(),
        meetings=tuple(diary),
        people=persons,
        open_actions=owned,
        reachable=frozenset(p.id for p in persons),
    )


def pure(sizes: list[int]) -> list[Result]:
    plan.plan(world(10, meetings=4, people=4), DUE)  # warm the calendar's caches and holidays
    results = []
    for size in sizes:
        facts = world(size)
        started = clock.perf_counter()
        due = plan.plan(facts, DUE)
        elapsed = clock.perf_counter() - started
        goal = "< 1000 ms" if size == 100_000 else "linear"
        ok = elapsed < 1.0 if size == 100_000 else None
        results.append(
            Result("planning", f"plan(), {size:,} open actions", elapsed * 1000, "ms", goal, ok)
        )
        assert due, "the bench world must have messages due"
    return results


def from_database(sessions: sessionmaker, label: str, *, runs: int = 3) -> Result:
    """One tick's planning on every board in turn: load each world from the database, plan it.

    The median of ``runs`` ticks: the ticker runs every minute, so its database is warm, and the
    median keeps one tick slowed by other work on the machine from deciding the figure.
    """
    timings = []
    for _ in range(runs):
        started = clock.perf_counter()
        planned = [
            item for board in dispatch.prepare(sessions, [], None, DUE) for item in board.planned
        ]
        timings.append(clock.perf_counter() - started)
        assert planned, "the bench database must have messages due"
    elapsed = sorted(timings)[len(timings) // 2]
    return Result(
        "planning",
        f"tick planning from the database (median of {runs}), {label}",
        elapsed * 1000,
        "ms",
        "< 1000 ms",
        elapsed < 1.0,
    )
