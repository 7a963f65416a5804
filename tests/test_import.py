"""Importing the sample minutes into the board, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from bot.demo import sample_text
from bot.runtime import Runtime
from db import queries
from db.models import ActionStatus, AuditEvent, EventKind, MeetingStatus, Role
from handlers.minutes.model import ActionUpdate, MinutedAction, Minutes, NextMeeting, Person
from handlers.minutes.read import parse_minutes
from handlers.minutes.text import parse_text
from handlers.updates import words_of
from tests.conftest import AFTER_MEETING, run_import, say
from tests.docx_fixtures import sample_as_docx

EIGHT = [
    ("04", ["CR"], "CR to co-ordinate discussion of application of the CLIMB project with IP."),
    ("04", ["DP"], "DP will circulate a previous draft paper for comment."),
    ("04", ["CR"], "CR to send the Covid 19 DA funding recipients list with the Board."),
    ("04", ["CJ"], "the PCP panel report is to be shared with the Board."),
    ("05", ["RT"], "recidivist IOM data will be brought to the next meeting"),
    (
        "05",
        ["DP", "RT"],
        "The statistics supporting the report are to be circulated with the minutes.",
    ),
    ("06", ["SG"], "SG to coordinate support for developing the application"),
    ("06", ["JS"], "JS is to send SG contact details for Dave Cookson."),
]


NOVEMBER = date(2020, 11, 25)
WEEK = timedelta(days=7)


def test_the_meeting_remembers_which_minutes_were_imported_and_when(runtime: Runtime) -> None:
    def recorded() -> tuple[str | None, object]:
        with runtime.sessions() as session:
            meeting = queries.meeting_on(session, queries.default_board(session), NOVEMBER)
            return meeting.minutes_digest, meeting.minutes_imported_at

    run_import(runtime, parse_text(sample_text()))
    digest, first = recorded()
    assert digest and len(digest) == 64 and first == AFTER_MEETING
    # The same minutes again, now as Word: the same fingerprint, the first import's time kept.
    run_import(runtime, parse_minutes("minutes.docx", sample_as_docx()), AFTER_MEETING + WEEK)
    assert recorded() == (digest, AFTER_MEETING)
    # Corrected minutes (a later venue) are recorded as the ones imported, with their time.
    corrected = replace(parse_text(sample_text()), venue="Hindlip Hall")
    run_import(runtime, corrected, AFTER_MEETING + 2 * WEEK)
    assert recorded() == (corrected.fingerprint(), AFTER_MEETING + 2 * WEEK) != (digest, first)


def test_the_sample_gives_eight_actions_with_their_owners(runtime: Runtime) -> None:
    report = run_import(runtime, parse_text(sample_text()))
    got = [(a.item, a.owner_initials, a.text) for a in report.actions]
    assert [(i, o) for i, o, _ in got] == [(i, o) for i, o, _ in EIGHT]
    for (_, _, text), (_, _, expected) in zip(got, EIGHT, strict=True):
        assert text.startswith(expected.rstrip("."))
    assert all(a.status == ActionStatus.OPEN for a in report.actions)
    assert report.meeting.date == date(2020, 11, 25)
    assert report.meeting.venue == "Zoom"
    assert report.meeting.status == MeetingStatus.HELD
    assert report.meeting.protective_marking == "PROTECT – MANAGEMENT"


def test_the_sample_makes_members_that_owners_resolve_to(runtime: Runtime) -> None:
    run_import(runtime, parse_text(sample_text()))
    with runtime.sessions() as session:
        board = queries.default_board(session)
        members = {m.initials: m for m in queries.members(session, board)}
        assert board.name == "West Mercia Crime Reduction Board"
    assert len(members) == 25  # 18 attendees, 6 apologies and the notes taker
    assert members["CR"].name == "Claire Richardson"
    assert members["CR"].capacity == "Commissioning Manager, OPCC"
    assert (members["RT"].name, members["RT"].role) == ("Rachael Thorold", Role.SECRETARIAT)
    assert (members["AC"].name, members["AC"].role) == ("Andy Champness", Role.CHAIR)
    for initials, name in [
        ("DP", "Damian Pettit"),
        ("CJ", "Chris Jensen"),
        ("SG", "Steven Gabriel"),
        ("JS", "Jackie Stevenson"),
    ]:
        assert members[initials].name == name
    # Mo Lansdale and Mark Loader are both ML: neither is given the bare initials.
    assert "ML" not in members
    assert (members["MLA"].name, members["MLO"].name) == ("Mo Lansdale", "Mark Loader")


def test_the_sample_warns_about_what_it_could_not_do(runtime: Runtime) -> None:
    report = run_import(runtime, parse_text(sample_text()))
    assert any("share the initials ML" in w for w in report.warnings)
    assert any(
        "5 updates on actions from the meeting of 24 June 2020" in w for w in report.warnings
    )


def test_the_next_meeting_is_recorded(runtime: Runtime) -> None:
    report = run_import(runtime, parse_text(sample_text()))
    upcoming = report.next_meeting
    assert (upcoming.date, upcoming.venue, upcoming.time) == (
        date(2021, 2, 24),
        "Allsop Rm, Hindlip Hall/Zoom",
        None,
    )
    assert upcoming.status == MeetingStatus.TENTATIVE


def test_reimporting_the_same_minutes_changes_nothing(runtime: Runtime) -> None:
    run_import(runtime, parse_text(sample_text()))
    with runtime.sessions() as session:
        events = session.scalar(select(func.count(AuditEvent.id)))
    again = run_import(runtime, parse_text(sample_text()), AFTER_MEETING + timedelta(days=1))
    assert again.created == [] and again.changed == []
    assert len(again.actions) == 8
    with runtime.sessions() as session:
        assert session.scalar(select(func.count(AuditEvent.id))) == events


def test_every_import_change_is_audited(runtime: Runtime) -> None:
    run_import(runtime, parse_text(sample_text()))
    with runtime.sessions() as session:
        everything = session.scalars(select(AuditEvent)).all()
    # The board's own creation (by the system, when the bot first started) came before the import.
    events = [e for e in everything if not (e.details or {}).get("created")]
    kinds = [e.kind for e in events]
    assert kinds.count(EventKind.IMPORTED) == 8
    assert kinds.count(EventKind.MEMBER_ADDED) == 25
    assert kinds.count(EventKind.MEETING_ADDED) == 2
    assert {e.actor_label for e in events} == {"import:test"}
    assert {e.at for e in events} == {AFTER_MEETING}


def test_a_later_meetings_minutes_apply_its_action_updates(runtime: Runtime) -> None:
    run_import(runtime, parse_text(sample_text()))
    later = Minutes(
        meeting_date=date(2021, 2, 24),
        people=(Person("Claire Richardson", "Commissioning Manager, OPCC"),),
        actions=(MinutedAction("03", "CR to report the CLIMB outcome.", ("CR",)),),
        previous_meeting_date=date(2020, 11, 25),
        previous_updates=(
            ActionUpdate(
                "a",
                "Co-ordinate discussion of the CLIMB project with IP",
                "Complete",
                True,
                "Claire Richardson",
            ),
            ActionUpdate(
                "b",
                "Circulate a previous draft paper for comment",
                "Ongoing",
                False,
                "Damian Pettit",
            ),
            ActionUpdate("c", "Arrange the Christmas party", "Complete", True, None),
        ),
        next_meeting=NextMeeting(date(2021, 5, 26)),
    )
    report = run_import(runtime, later, AFTER_MEETING + timedelta(days=90))
    assert any("“Arrange the Christmas party” matched no action" in w for w in report.warnings)
    with runtime.sessions() as session:
        board = queries.default_board(session)
        by_text = {a.text[:20]: a for a in queries.actions(session, board)}
        climb = by_text["CR to co-ordinate di"]
        assert climb.status == ActionStatus.DONE and climb.done_by is None
        paper = by_text["DP will circulate a "]
        assert paper.status == ActionStatus.OPEN
        (listed,) = queries.listed_actions(session, board, ids=[paper.id])
        assert listed.latest_update == "Ongoing"
    assert len(report.actions) == 1


# --- issue 15: the paper read back from the next minutes -----------------------------------------


def updates_minutes(day: date, previous: date, *updates: ActionUpdate) -> Minutes:
    return Minutes(
        meeting_date=day,
        people=(Person("Damian Pettit", "DS C&V & Safeguarding, West Mercia Police"),),
        previous_meeting_date=previous,
        previous_updates=updates,
        next_meeting=NextMeeting(day + 13 * WEEK),
    )


def notes_on(runtime: Runtime, initials_text: str) -> list[tuple[str | None, object]]:
    with runtime.sessions() as session:
        board = queries.default_board(session)
        (action,) = [a for a in queries.actions(session, board) if a.text.startswith(initials_text)]
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action_id == action.id, AuditEvent.kind == EventKind.NOTE)
            .order_by(AuditEvent.id)
        )
        return [(e.note, e.rag) for e in events]


def test_fillers_and_the_papers_suffix_are_never_stored(runtime: Runtime) -> None:
    run_import(runtime, parse_text(sample_text()))
    paper = "Circulate a previous draft paper for comment"
    for n, filler in enumerate(["no update received", "No update.", "None received", "-", "n/a"]):
        day = date(2021, 2, 24) + n * 13 * WEEK
        previous = NOVEMBER if n == 0 else date(2021, 2, 24) + (n - 1) * 13 * WEEK
        update = ActionUpdate("a", paper, "Ongoing", False, "Damian Pettit", filler)
        run_import(runtime, updates_minutes(day, previous, update), AFTER_MEETING + n * 13 * WEEK)
    assert {note for note, _rag in notes_on(runtime, "DP will")} == {"Ongoing"}


def test_the_papers_own_line_read_back_adds_nothing(runtime: Runtime) -> None:
    run_import(runtime, parse_text(sample_text()))
    assert say(runtime, "DP", "note 04-DP waiting on two CSPs", AFTER_MEETING + WEEK).changed
    update = ActionUpdate(
        "a",
        "Circulate a previous draft paper for comment",
        "Ongoing",
        False,
        "Damian Pettit",
        "Waiting on two CSPs (updated 3 December 2020) (updated 24 February 2021)",
    )
    february = updates_minutes(date(2021, 2, 24), NOVEMBER, update)
    report = run_import(runtime, february, AFTER_MEETING + 13 * WEEK)
    assert notes_on(runtime, "DP will") == [("waiting on two CSPs", None)]
    assert not [c for c in report.changed if "update" in c]


def test_a_carried_over_action_is_reported_on_at_every_meeting(runtime: Runtime) -> None:
    run_import(runtime, parse_text(sample_text()))
    february = updates_minutes(date(2021, 2, 24), NOVEMBER)
    run_import(runtime, february, AFTER_MEETING + 13 * WEEK)
    update = ActionUpdate(
        "a", "Circulate a previous draft paper for comment", "Ongoing, red", False, "DP", "Late"
    )
    may = updates_minutes(date(2021, 5, 26), date(2021, 2, 24), update)
    report = run_import(runtime, may, AFTER_MEETING + 26 * WEEK)
    assert not [w for w in report.warnings if "matched no action" in w]
    assert notes_on(runtime, "DP will") == [("Late", "red")]


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("Date agreed (updated 3 December 2020)", "Date agreed"),
        ("Sent (updated 3 December 2020) (updated 24 February 2021).", "Sent"),
        ("Sent the list (updated version)", "Sent the list (updated version)"),
        ("no update received", None),
        ("No further updates.", None),
        ("n/a", None),
        ("–", None),
    ],
)
def test_what_the_paper_writes_around_an_update_is_not_the_update(
    written: str, stored: str | None
) -> None:
    assert words_of(written) == stored


@pytest.mark.parametrize(
    ("closed_on", "warned"), [(date(2021, 2, 1), True), (date(2021, 2, 25), False)]
)
def test_a_line_saying_ongoing_warns_only_if_the_action_was_closed_before_the_meeting(
    runtime: Runtime, closed_on: date, warned: bool
) -> None:
    run_import(runtime, parse_text(sample_text()))
    when = datetime.combine(closed_on, time(12, 0), tzinfo=UTC)
    assert say(runtime, "DP", "done 04-DP", when).changed
    update = ActionUpdate(
        "a", "Circulate a previous draft paper for comment", "Ongoing", False, "Damian Pettit"
    )
    report = run_import(runtime, updates_minutes(date(2021, 2, 24), NOVEMBER, update), when + WEEK)
    assert any("left closed" in w for w in report.warnings) == warned
