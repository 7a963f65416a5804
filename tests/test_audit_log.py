"""Issue 17 (desk): the audit trail as the secretariat reads it (who, when, how, what; filters;
CSV), and members' private calendar addresses."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import icalendar
import pytest

from bot.runtime import Runtime
from db.models import Role
from handlers import feeds, roster
from handlers.audit_log import AuditFilter, audit_csv, audit_rows
from handlers.errors import Forbidden, UserError
from tests.conftest import AFTER_MEETING, acting, say

LATER = AFTER_MEETING + timedelta(days=2)


def test_every_change_says_who_when_how_and_what(board: Runtime) -> None:
    assert say(board, "DP", "note 04-DP amber drafting", LATER).changed
    with acting(board, "RT", LATER) as ctx:
        roster.change_role(ctx, "TO", Role.CHAIR)
    with acting(board, "RT", LATER) as ctx:
        rows, total = audit_rows(ctx, AuditFilter())
    newest = rows[:3]
    assert [(r.who, r.how, r.kind) for r in newest] == [
        ("Rachael Thorold (RT)", "console", "member changed"),
        ("Rachael Thorold (RT)", "console", "member changed"),
        ("Damian Pettit (DP)", "console", "update"),
    ]
    assert newest[0].what == "Tracey Onslow (TO) — role: member -> chair"
    assert "chair to: TO" in newest[1].what and "Andy Champness (AC)" in newest[1].what
    assert newest[2].what.startswith("04-DP “DP will circulate")
    assert newest[2].what.endswith("— [AMBER] drafting")
    assert f"{newest[2].at:%H:%M %Z}" == "09:30 GMT"
    imported = [r for r in rows if r.who == "import:sample"]
    assert imported and all(r.how == "import" for r in imported)
    assert total == len(rows)


def test_filters_by_who_kind_and_date(board: Runtime) -> None:
    say(board, "DP", "done 04-DP", LATER)
    assert say(board, "CR", "note 04-CR.1 green agreed", LATER + timedelta(days=3)).changed
    with acting(board, "AC", LATER) as ctx:
        by_dp, _ = audit_rows(ctx, AuditFilter(who="dp"))
        notes, _ = audit_rows(ctx, AuditFilter(kind="note"))
        later = LATER.date() + timedelta(days=1)
        since, _ = audit_rows(ctx, AuditFilter(since=later))
        until, _ = audit_rows(ctx, AuditFilter(until=LATER.date()))
    assert [r.kind for r in by_dp] == ["action done"]
    assert [r.who for r in notes] == ["Claire Richardson (CR)"]
    assert [r.who for r in since] == ["Claire Richardson (CR)"]
    assert "Claire Richardson (CR)" not in {r.who for r in until}
    with pytest.raises(UserError, match="not a kind of change"):
        AuditFilter(kind="drop table")
    with pytest.raises(UserError, match="swap them"):
        AuditFilter(since=date(2021, 2, 1), until=date(2021, 1, 1))


def test_the_csv_has_every_row_and_runs_no_formula(board: Runtime) -> None:
    say(board, "DP", 'note 04-DP =HYPERLINK("http://evil")', LATER)
    with acting(board, "RT", LATER) as ctx:
        rows, total = audit_rows(ctx, AuditFilter(), limit=None)
    table = list(csv.reader(io.StringIO(audit_csv(rows))))
    assert table[0] == ["When", "Who", "How", "Kind", "What"]
    assert len(table) == total + 1
    assert table[1][4].startswith("04-DP") and "=HYPERLINK" in table[1][4]
    assert not any(cell.startswith("=") for row in table for cell in row)


def test_only_officers_read_the_trail(board: Runtime) -> None:
    with pytest.raises(Forbidden), acting(board, "CR", LATER) as ctx:
        audit_rows(ctx, AuditFilter())


def test_a_calendar_address_is_private_and_revocable(board: Runtime) -> None:
    with acting(board, "CR", LATER) as ctx:
        token = feeds.new_feed(ctx).token
    with board.sessions() as session:
        served = feeds.calendar_for(session, token, LATER)
    events = icalendar.Calendar.from_ical(served).walk("VEVENT")
    assert {str(e["summary"]) for e in events} >= {"West Mercia Crime Reduction Board meeting"}
    assert b"CLIMB" not in served  # meetings only: no action text
    with acting(board, "CR", LATER) as ctx:
        replacement = feeds.new_feed(ctx).token
    with board.sessions() as session:
        assert feeds.calendar_for(session, token, LATER) is None  # the old address is dead
        assert feeds.calendar_for(session, replacement, LATER) is not None
    with acting(board, "CR", LATER) as ctx:
        assert feeds.revoke_feed(ctx)
        assert feeds.current_feed(ctx) is None
        assert not feeds.revoke_feed(ctx)
    with board.sessions() as session:
        assert feeds.calendar_for(session, replacement, LATER) is None
        assert feeds.calendar_for(session, "", LATER) is None


def test_a_deactivated_members_calendar_stops(board: Runtime) -> None:
    with acting(board, "CR", LATER) as ctx:
        token = feeds.new_feed(ctx).token
    with acting(board, "RT", LATER) as ctx:
        roster.deactivate(ctx, "CR")
    with board.sessions() as session:
        assert feeds.calendar_for(session, token, LATER) is None
