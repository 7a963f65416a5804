"""Two `crb serve` processes, one PostgreSQL database, a whole quarter of reminders.

Both processes run their own ticker on a simulated clock (`--simulate-from`, test only) from the
morning after the November meeting to the day after the February one, ticking every six
simulated hours, against the real PostgreSQL and the Slack stand-in. Their clocks are paced
against the same wall-clock start, so both reach each reminder slot at the same real moment and
compete for the same ledger rows (SELECT … FOR UPDATE SKIP LOCKED).

The expected messages come from the pure planner, ticked through the same instants in memory as
a single process would be (the oracle). The test proves that together the two processes send
exactly that set: every message once, none missing, none twice, and that both did some of it.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Config
from bot.runtime import Runtime
from bot.server import refuse_simulation
from db import queries
from db.models import DeliveryState, LedgerEntry, Meeting, MeetingStatus, Member
from db.session import make_engine
from handlers.errors import UserError
from planning import plan
from scheduler.dispatch import load_world
from scheduler.simulated import SimulatedClock
from tests.conftest import link_members, make_runtime
from tests.crowd import crowd_board, dm_of, serve_env, serving, simulate
from tests.databases import empty_tables
from tests.doubles import RecordingChannel
from tests.slack_standin import SlackStandIn

QUARTER_START = datetime(2020, 11, 26, 0, 0, tzinfo=UTC)
QUARTER_END = datetime(2021, 2, 25, 0, 0, tzinfo=UTC)  # the day after the 24 Feb meeting
STEP = timedelta(hours=6)
SPEED = (QUARTER_END - QUARTER_START).total_seconds() / 15  # simulated seconds per real second
# The lease, in simulated time, must outlast how far one process's clock can run ahead while
# the other still has a message in flight: at this speed, 7 days (the longest lease allowed) is
# about 1.2 s of real time, far more than one send even on a loaded machine. (In production:
# clock skew plus one send, against 5 minutes.) A lease shorter than a stall lets the process
# ahead take over a live claim and send it twice: with a 3-day lease and a 5-second quarter this
# test failed once on a machine running two test suites at once.
LEASE_SECONDS = 7 * 24 * 3600
OWNERS = 36

Message = tuple[str, str, date, str]  # recipient's initials, kind, meeting date, slot


def test_two_serve_processes_send_a_quarters_reminders_exactly_once(postgres_url: str) -> None:
    runtime = fresh_postgres(postgres_url)
    links = crowd_board(runtime, OWNERS) | {"AC": "U0AC"}  # the chair: the digests too
    link_members(runtime, {"AC": "U0AC"})
    expected = planned_for_the_quarter(runtime)
    assert len(expected) > 2 * OWNERS  # several nudge rounds and the digests, not a trivial set

    with SlackStandIn() as slack:
        slack.hang("chat.postMessage", seconds=0.005, times=len(expected) * 2)
        env = serve_env(postgres_url, slack, CRB_CLAIM_LEASE_SECONDS=str(LEASE_SECONDS))
        args = simulate(QUARTER_START, QUARTER_END, step=int(STEP.total_seconds()))
        # Both clocks read QUARTER_START at the same real moment, a few seconds from now (time
        # for both to start), and run the quarter in about fifteen seconds.
        args += ["--simulate-speed", str(SPEED), "--simulate-wall-start", str(time.time() + 4)]
        with serving(env, *args) as first, serving(env, *args) as second:
            first.wait_for("simulated clock finished")
            second.wait_for("simulated clock finished")
            by_process = [first.sent(), second.sent()]

    with runtime.sessions() as session:
        recorded = ledger(session)
    runtime.engine.dispose()
    assert Counter(state for state, _ in recorded) == {DeliveryState.SENT: len(expected)}
    assert {message for _, message in recorded} == expected

    to_each = Counter(initials for initials, *_ in expected)
    for initials, slack_id in links.items():
        assert len(slack.posted[dm_of(slack_id)]) == to_each[initials], initials
    officers = {initials for initials, kind, *_ in expected if kind == plan.DIGEST}
    assert officers and len(slack.calls_to("chat.postMessage")) == len(expected)

    assert all(by_process), f"one process sent everything: {[len(p) for p in by_process]}"
    assert sorted(by_process[0] + by_process[1]) == sorted(m[0] for m in expected)


def fresh_postgres(url: str) -> Runtime:
    """The test session's PostgreSQL database, emptied, with a new board."""
    engine = make_engine(url)
    empty_tables(engine)
    engine.dispose()
    return make_runtime(url, QUARTER_START)


def planned_for_the_quarter(runtime: Runtime) -> set[Message]:
    """What one ticker would send through the quarter: the planner, ticked in memory."""
    clock = SimulatedClock(QUARTER_START, QUARTER_END, STEP)
    expected: set[Message] = set()
    with runtime.sessions() as session:
        board = queries.default_board(session)
        assert board is not None
        world = load_world(session, board, QUARTER_START, [RecordingChannel()])
        initials = {person.id: person.initials for person in world.people}
        meetings, sent = list(world.meetings), []
        for now in clock.instants():
            current = replace(world, meetings=tuple(meetings), ledger=tuple(sent))
            for due in plan.plan(current, now):
                meeting = due.meeting
                if meeting.id is None:  # projected: dispatch records it when its first is due
                    meeting = replace(meeting, id=-len(meetings), status=MeetingStatus.TENTATIVE)
                    meetings.append(meeting)
                sent.append(
                    plan.LedgerFact(due.recipient_id, meeting.id, due.slot, DeliveryState.SENT)
                )
                expected.add((initials[due.recipient_id], due.kind, meeting.date, due.slot))
    return expected


def ledger(session: Session) -> list[tuple[str, Message]]:
    rows = session.execute(
        select(LedgerEntry.state, Member.initials, LedgerEntry.kind, Meeting.date, LedgerEntry.slot)
        .join(Member, LedgerEntry.recipient_id == Member.id)
        .join(Meeting, LedgerEntry.meeting_id == Meeting.id)
    )
    return [(state, (who, kind, day, slot)) for state, who, kind, day, slot in rows]


def test_the_simulated_clock_is_refused_where_it_could_reach_real_people() -> None:
    local = Config(slack_bot_token="xoxb-test", slack_api_url="http://127.0.0.1:9/api/")
    refuse_simulation(local, scheduler=True)  # every target a stand-in: allowed
    real_slack = replace(local, slack_api_url="https://slack.com/api/")
    teams = replace(local, teams_client_id="00000000-0000-0000-0000-000000000001")
    mail = replace(local, smtp_url="smtp://mail.example.org:587")
    for config in (real_slack, teams, mail):
        with pytest.raises(UserError, match="for tests only"):
            refuse_simulation(config, scheduler=True)
    with pytest.raises(UserError, match="--no-scheduler"):
        refuse_simulation(local, scheduler=False)
