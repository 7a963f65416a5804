"""Reminders end to end on SQLite and PostgreSQL: plan, claim, send, record; once and only once."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.runtime import Runtime
from db import queries
from db.models import (
    DeliveryState,
    EventKind,
    LedgerEntry,
    Meeting,
    MeetingStatus,
    SnoozeChoice,
)
from handlers.audit import record
from handlers.commands import Snooze, parse_command
from handlers.diary import cancel_meeting, move_meeting
from handlers.errors import UserError
from handlers.reply import Reply
from scheduler import ledger
from scheduler.channels import DeliveryError
from scheduler.dispatch import TickResult, prepare, tick
from tests.conftest import AFTER_MEETING, FEB_10, OPERATOR, OWNERS, link, make_runtime, say
from tests.doubles import RecordingChannel

FEB_17 = datetime(2021, 2, 17, 9, 0, 30, tzinfo=UTC)  # 7 days before: nudges and digests


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def run(runtime: Runtime, channels: list, now: datetime) -> TickResult:
    return asyncio.run(tick(runtime.sessions, channels, now))


def sent_to(result: TickResult, kind: str = "nudge") -> list[str]:
    return sorted(o.to for o in result.sent if o.kind == kind)


def message_for(channel: RecordingChannel, initials: str) -> Reply:
    return next(reply for who, reply in reversed(channel.deliveries) if who == initials)


@pytest.fixture
def linked(board: Runtime) -> Runtime:
    """The sample board with the six owners, the chair and the secretariat on chat."""
    link(board, *OWNERS, "AC")
    return board


def test_fourteen_days_before_each_owner_gets_one_nudge_once(linked: Runtime) -> None:
    chat = RecordingChannel()
    assert run(linked, [chat], utc(2021, 2, 10, 8, 59)).sent == []
    result = run(linked, [chat], FEB_10)
    assert sent_to(result) == list(OWNERS)
    assert {o.platform for o in result.sent} == {"slack"}
    assert chat.recipients() == list(OWNERS)
    assert run(linked, [chat], FEB_10).sent == []  # the same tick again sends nothing
    restarted = make_runtime(linked.config.database_url, FEB_10)  # a new process, same database
    assert run(restarted, [chat], FEB_10).sent == []
    restarted.engine.dispose()
    assert run(linked, [chat], FEB_10 + timedelta(hours=3)).sent == []
    assert chat.recipients() == list(OWNERS)

    nudge = message_for(chat, "CR")
    assert [view.ref for view in nudge.actions] == ["04-CR.1", "04-CR.2"]
    assert [b.label for b in nudge.actions[0].buttons] == ["Mark done", "Add update"]
    assert all(b.command.startswith("snooze ") for b in nudge.buttons)
    assert "Wednesday 24 February 2021" in nudge.lines[0]
    # The joint action DP/RT is in both owners' nudges.
    assert "05-DP/RT" in [v.ref for v in message_for(chat, "DP").actions]
    assert "05-DP/RT" in [v.ref for v in message_for(chat, "RT").actions]
    entry = next(o for o in result.sent if o.to == "CR")
    assert entry.record() == {
        "board": "CRB",
        "kind": "nudge",
        "to": "CR",
        "platform": "slack",
        "actions": ["04-CR.1", "04-CR.2"],
        "slot": "nudge-14",
        "meeting": "2021-02-24",
    }


def test_a_meeting_on_the_monday_after_easter(linked: Runtime) -> None:
    with linked.unit(OPERATOR, AFTER_MEETING) as ctx:
        meeting = Meeting(
            board_id=ctx.board.id,
            date=date(2021, 4, 12),
            status=MeetingStatus.SCHEDULED,
            created_at=ctx.now,
        )
        ctx.session.add(meeting)
        ctx.session.flush()
        record(ctx, EventKind.MEETING_ADDED, meeting=meeting)
        ctx.session.commit()
    chat = RecordingChannel()
    assert sent_to(run(linked, [chat], utc(2021, 3, 29, 8, 0, 30))) == list(OWNERS)
    # 7 days before is Easter Monday: moved past Good Friday to Thursday 1 April, 09:00 BST.
    assert run(linked, [chat], utc(2021, 4, 1, 7, 59, 30)).sent == []
    thursday = run(linked, [chat], utc(2021, 4, 1, 8, 0, 30))
    assert sent_to(thursday) == list(OWNERS)
    assert {o.slot for o in thursday.sent} == {"nudge-7", "digest-7"}
    assert sent_to(thursday, "digest") == ["AC", "RT"]
    assert run(linked, [chat], utc(2021, 4, 5, 8, 0, 30)).sent == []  # Easter Monday: nothing
    # 1 day before is Sunday: moved to Friday 9 April.
    assert run(linked, [chat], utc(2021, 4, 9, 7, 59, 30)).sent == []
    friday = run(linked, [chat], utc(2021, 4, 9, 8, 0, 30))
    assert {o.slot for o in friday.sent} == {"nudge-1", "digest-1"}
    assert run(linked, [chat], utc(2021, 4, 11, 8, 0, 30)).sent == []


def test_a_tick_sends_a_few_messages_at_once_never_more(linked: Runtime) -> None:
    chat = RecordingChannel()
    result = asyncio.run(tick(linked.sessions, [chat], FEB_10, workers=3))
    assert sent_to(result) == list(OWNERS) and chat.recipients() == list(OWNERS)
    assert chat.most_at_once == 3


def test_after_downtime_each_owner_gets_the_latest_missed_nudge_once(linked: Runtime) -> None:
    chat = RecordingChannel()
    # Down from before the 14-day slot until after the 7-day one.
    result = run(linked, [chat], utc(2021, 2, 19, 14, 30))
    assert {o.slot for o in result.sent} == {"nudge-7", "digest-7"}
    assert chat.recipients() == sorted([*OWNERS, "AC", "RT"])
    assert run(linked, [chat], utc(2021, 2, 19, 14, 31)).sent == []


def test_a_claim_left_by_a_dead_process_is_retried_after_its_lease(linked: Runtime) -> None:
    with linked.sessions() as session:
        board_id = queries.default_board(session).id
    (board,) = prepare(linked.sessions, [], [board_id], FEB_10)
    planned = board.planned
    cr = next(p for p in planned if p.due.recipient_id == _member_id(linked, "CR"))
    assert ledger.claim(linked.sessions, board_id, [(cr.due, cr.meeting_id)], FEB_10) != [None]
    # ... and the process died before sending. The others go; CR's claim is still leased.
    chat = RecordingChannel()
    assert sent_to(run(linked, [chat], FEB_10 + timedelta(minutes=1))) == [
        o for o in OWNERS if o != "CR"
    ]
    assert run(linked, [chat], FEB_10 + timedelta(minutes=4)).sent == []
    retried = run(linked, [chat], FEB_10 + ledger.LEASE)
    assert sent_to(retried) == ["CR"]
    assert run(linked, [chat], FEB_10 + timedelta(minutes=30)).sent == []
    assert chat.recipients().count("CR") == 1


def test_a_failed_send_is_retried_with_backoff_and_never_duplicated(linked: Runtime) -> None:
    chat = RecordingChannel()
    chat.fail("CR", DeliveryError("ratelimited", retry_after=120), DeliveryError("server error"))
    first = run(linked, [chat], FEB_10)
    assert [o.to for o in first.failed] == ["CR"]
    assert first.failed[0].retry_at == FEB_10 + timedelta(seconds=120)  # the platform's wish
    assert run(linked, [chat], FEB_10 + timedelta(minutes=1)).failed == []  # not yet
    second = run(linked, [chat], FEB_10 + timedelta(minutes=2))
    assert second.failed[0].retry_at == FEB_10 + timedelta(minutes=4)  # backoff: 2 minutes
    assert run(linked, [chat], FEB_10 + timedelta(minutes=3)).sent == []
    third = run(linked, [chat], FEB_10 + timedelta(minutes=4))
    assert sent_to(third) == ["CR"]
    assert chat.recipients().count("CR") == 1
    assert run(linked, [chat], FEB_10 + timedelta(hours=2)).sent == []


def test_unreachable_owners_are_listed_once_and_reached_once_linked(board: Runtime) -> None:
    nowhere = run(board, [], FEB_10)
    assert sent_to(nowhere) == list(OWNERS)
    assert {o.platform for o in nowhere.sent} == {"none"}
    assert run(board, [], FEB_10 + timedelta(minutes=1)).sent == []
    link(board, "CR")
    chat = RecordingChannel()
    later = run(board, [chat], FEB_10 + timedelta(hours=2))
    assert [(o.to, o.platform) for o in later.sent] == [("CR", "slack")]
    assert run(board, [chat], FEB_10 + timedelta(hours=3)).sent == []


def test_the_digest_shows_outstanding_changes_silence_and_the_unreachable(board: Runtime) -> None:
    link(board, "CR", "DP", "RT", "AC", "CJ", "JS")  # SG stays unlinked
    chat = RecordingChannel()
    run(board, [chat], FEB_10)
    chat.fail("JS", DeliveryError("user_not_found", permanent=True))  # JS's 7-day nudge fails
    feb_12 = utc(2021, 2, 12, 11)
    assert say(board, "CR", "done 04-CR.2 sent on Friday", feb_12).changed
    assert say(board, "DP", "note 04-DP amber draft paper with the analysts", feb_12).changed
    result = run(board, [chat], FEB_17)
    assert sent_to(result, "digest") == ["AC", "RT"]
    digest = message_for(chat, "AC")
    headings = [s.heading for s in digest.sections]
    assert "Claire Richardson (CR) — 1" in headings
    changes = next(s for s in digest.sections if s.heading.startswith("What changed"))
    assert changes.heading == "What changed since the meeting on 25 November 2020"
    assert any("04-CR.2 marked done by CR: sent on Friday" in line for line in changes.lines)
    assert any("04-DP updated by DP: [AMBER] draft paper" in line for line in changes.lines)
    silent = next(s for s in digest.sections if s.heading.startswith("No update"))
    assert [line[-3:-1] for line in silent.lines] == ["CJ", "JS", "RT", "SG"]
    unreached = next(s for s in digest.sections if s.heading == "Could not be reached")
    assert any(line.startswith("Steven Gabriel (SG): no Slack") for line in unreached.lines)
    assert any("(JS): delivery failed" in line for line in unreached.lines)
    assert digest.link is not None and digest.link.label == "Open the board on the web desk"
    assert digest.link.url == f"{board.config.link_base}/"  # the web desk's board page

    assert say(board, "RT", "note 05-RT green data received", utc(2021, 2, 19, 10)).changed
    run(board, [chat], utc(2021, 2, 23, 9, 0, 30))
    second = message_for(chat, "AC")
    changes = next(s for s in second.sections if s.heading.startswith("What changed"))
    assert changes.heading == "What changed since your last digest (Wed 17 Feb)"
    assert len(changes.lines) == 1 and "05-RT updated by RT" in changes.lines[0]


def test_a_moved_meeting_keeps_what_was_sent_and_a_cancelled_one_gets_nothing(
    linked: Runtime,
) -> None:
    chat = RecordingChannel()
    run(linked, [chat], FEB_10)
    with linked.unit(OPERATOR, utc(2021, 2, 12, 12)) as ctx:
        move_meeting(ctx, date(2021, 2, 24), date(2021, 3, 3))
        ctx.session.commit()
    # The new 14-day slot (17 Feb) was already sent for this meeting: not again.
    assert run(linked, [chat], FEB_17).sent == []
    moved = run(linked, [chat], utc(2021, 2, 24, 9, 0, 30))  # the new 7-day slot
    assert {(o.slot, o.meeting) for o in moved.sent} == {
        ("nudge-7", "2021-03-03"),
        ("digest-7", "2021-03-03"),
    }
    with linked.unit(OPERATOR, utc(2021, 2, 25, 12)) as ctx:
        cancel_meeting(ctx, date(2021, 3, 3))
        ctx.session.commit()
    assert run(linked, [chat], utc(2021, 3, 2, 9, 0, 30)).sent == []


def test_a_projected_meeting_is_recorded_when_its_reminders_fall_due(linked: Runtime) -> None:
    with linked.unit(OPERATOR, utc(2021, 2, 1)) as ctx:
        cancel_meeting(ctx, date(2021, 2, 24))
        ctx.session.commit()
    chat = RecordingChannel()
    assert run(linked, [chat], FEB_10).sent == []
    result = run(linked, [chat], utc(2021, 5, 12, 8, 0, 30))  # 14 days before 26 May, BST
    assert sent_to(result) == list(OWNERS)
    assert {o.meeting for o in result.sent} == {"2021-05-26"}
    with linked.sessions() as session:
        board = queries.default_board(session)
        projected = queries.meeting_on(session, board, date(2021, 5, 26))
        assert projected is not None and projected.status == MeetingStatus.TENTATIVE
    assert run(linked, [chat], utc(2021, 5, 12, 8, 1)).sent == []


def test_snooze_brings_the_nudge_back_without_moving_the_cycle(linked: Runtime) -> None:
    chat = RecordingChannel()
    refused = say(linked, "CR", "snooze 1d", utc(2021, 2, 9, 12))
    assert refused.tone == "error" and "no reminder to snooze" in refused.title
    run(linked, [chat], FEB_10)
    asked = say(linked, "CR", "snooze", utc(2021, 2, 10, 9, 5))
    assert [b.command for b in asked.buttons] == ["snooze 1d", "snooze 3d", "snooze next"]
    snoozed = say(linked, "CR", "snooze 1d", utc(2021, 2, 10, 9, 5))
    assert snoozed.changed and snoozed.lines == ("I'll remind you again on Thu 11 Feb at 09:00.",)
    follow_up = run(linked, [chat], utc(2021, 2, 11, 9, 0, 30))
    assert [(o.to, o.slot[:7]) for o in follow_up.sent] == [("CR", "snooze-")]
    assert "remind you again today" in " ".join(message_for(chat, "CR").lines)
    assert run(linked, [chat], utc(2021, 2, 11, 9, 30)).sent == []
    # Three days from Tuesday 16 Feb would pass the 7-day nudge: the cycle's nudge comes first.
    late = say(linked, "CR", "snooze 3d", utc(2021, 2, 16, 9))
    assert late.lines == ("Your next reminder comes as planned, on Wed 17 Feb at 09:00.",)
    assert sent_to(run(linked, [chat], FEB_17)) == list(OWNERS)
    assert run(linked, [chat], utc(2021, 2, 19, 9, 0, 30)).sent == []


@pytest.mark.parametrize("instant", [FEB_10, FEB_17])
def test_concurrent_tickers_send_each_message_exactly_once(
    linked: Runtime, database_url: str, instant: datetime
) -> None:
    tickers = 3 if database_url.startswith("sqlite") else 2
    chat = RecordingChannel()
    runtimes = [make_runtime(database_url) for _ in range(tickers)]
    start = threading.Barrier(tickers)
    results: list[TickResult] = []
    errors: list[BaseException] = []

    def ticker(runtime: Runtime) -> None:
        try:
            start.wait()
            results.append(run(runtime, [chat], instant))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=ticker, args=(rt,)) for rt in runtimes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for runtime in runtimes:
        runtime.engine.dispose()
    assert errors == []
    expected = [*OWNERS, "AC", "RT"] if instant == FEB_17 else list(OWNERS)
    assert chat.recipients() == sorted(expected)
    assert sorted(o.to for r in results for o in r.sent) == sorted(expected)
    with linked.sessions() as session:
        states = session.scalars(select(LedgerEntry.state)).all()
    assert set(states) == {DeliveryState.SENT}


def _member_id(runtime: Runtime, initials: str) -> int:
    with runtime.sessions() as session:
        member = queries.member_by_initials(session, queries.default_board(session), initials)
        assert member is not None
        return member.id


@pytest.mark.parametrize(
    ("text", "choice"),
    [
        ("snooze 1d", SnoozeChoice.ONE_DAY),
        ("snooze for 1 day", SnoozeChoice.ONE_DAY),
        ("snooze tomorrow", SnoozeChoice.ONE_DAY),
        ("snooze 3 days", SnoozeChoice.THREE_DAYS),
        ("crb snooze three days", SnoozeChoice.THREE_DAYS),
        ("snooze until the next reminder", SnoozeChoice.NEXT),
        ("snooze", None),
    ],
)
def test_snooze_reads_the_ways_people_say_it(text: str, choice: SnoozeChoice | None) -> None:
    assert parse_command(text) == Snooze(choice)


def test_snooze_refuses_what_it_does_not_offer() -> None:
    with pytest.raises(UserError, match="1 day, 3 days, or until the next reminder"):
        parse_command("snooze 2 weeks")
