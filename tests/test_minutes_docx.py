"""Word minutes: every field read, the tricky layouts, and the same board as the plain text."""

from __future__ import annotations

import contextlib
import random
from datetime import date, time, timedelta
from pathlib import Path

import pytest

from bot.demo import sample_text
from bot.runtime import Runtime
from db import queries
from db.models import ActionStatus, MeetingStatus
from handlers.errors import MinutesError
from handlers.minutes.model import ActionUpdate, Attendance, MinutedAction, NextMeeting, Person
from handlers.minutes.read import parse_minutes, read_minutes
from handlers.minutes.text import parse_text
from tests.conftest import AFTER_MEETING, make_runtime, run_import, say
from tests.databases import fresh_sqlite
from tests.docx_fixtures import (
    MARKING,
    add_attendance,
    add_item_row,
    add_item_table,
    add_lines,
    inline_control_paragraph,
    later_minutes,
    new_minutes,
    sample_as_docx,
    sample_as_html,
    to_bytes,
    tracked_paragraph,
    wrap_in_content_control,
)

FEBRUARY = AFTER_MEETING + timedelta(days=90)


def read(document: object) -> object:
    return parse_minutes("minutes.docx", to_bytes(document))


def test_the_sample_relaid_as_word_reads_exactly_as_the_text() -> None:
    assert parse_minutes("minutes.docx", sample_as_docx()) == parse_text(sample_text())


def test_the_header_fields_of_a_later_meeting() -> None:
    minutes = read(later_minutes())
    assert minutes.meeting_date == date(2021, 2, 24)
    assert minutes.board_name == "West Mercia Crime Reduction Board"
    assert minutes.venue == "Allsop Room, Hindlip Hall"
    assert minutes.meeting_time is None
    assert minutes.protective_marking == MARKING  # from the page header, not the body
    assert minutes.chair == Person("Tracey Onslow", "DPCC, West Mercia OPCC", Attendance.PRESENT)


def test_a_notes_taker_who_is_not_an_attendee() -> None:
    minutes = read(later_minutes())
    assert minutes.notes_taker == Person(
        "Priya Shah", "OPCC Business Support", Attendance.NOT_LISTED
    )
    assert "Priya Shah" not in [p.name for p in minutes.people]


def test_attendance_with_its_markers() -> None:
    minutes = read(later_minutes())
    assert minutes.people == (
        Person("Tracey Onslow", "DPCC, West Mercia OPCC"),
        Person("Claire Richardson", "Commissioning Manager, OPCC"),
        Person("Damian Pettit", "DS C&V & Safeguarding, West Mercia Police"),
        Person("Rachael Thorold", "OPCC"),
        Person("Nadia Okafor", "Head of Community Safety, Telford & Wrekin Council"),
        Person("Chris Jensen", "CJS Business Manager, West Mercia OPCC", Attendance.APOLOGIES),
    )


def test_actions_across_a_merged_number_cell_with_line_breaks_and_lower_case_initials() -> None:
    minutes = read(later_minutes())
    assert minutes.actions == (
        MinutedAction("03", "cr to circulate the SOC profile schedule.", ("CR",)),
        MinutedAction("03", "DP will bring the SWOT findings to the next meeting.", ("DP",)),
        MinutedAction("03", "The statistics are to be circulated with the minutes.", ("DP", "RT")),
        # After the "Closed Session" row. The sentence doesn't name its owner: only the Action
        # cell does.
        MinutedAction("04", "the PCP panel report is to be shared with the Board.", ("CJ",), True),
        MinutedAction("05", "book a larger room for the May meeting.", (), True),
    )


def test_an_action_without_an_owner_is_warned_about_and_nothing_else_is() -> None:
    minutes = read(later_minutes())
    assert minutes.warnings == (
        "Item 05: the action “book a larger room for the May meeting.” has no owner in the Action "
        "column, so it was recorded without one.",
    )


def test_the_previous_meetings_updates_with_their_statuses() -> None:
    minutes = read(later_minutes())
    assert minutes.previous_meeting_date == date(2020, 11, 25)
    assert minutes.previous_updates == (
        ActionUpdate(
            "a", "Co-ordinate discussion of the CLIMB project with IP", "Complete", True, "CR"
        ),
        ActionUpdate(
            "b", "Circulate a previous draft paper for comment", "Ongoing", False, "Damian Pettit"
        ),
        ActionUpdate(
            "c",
            "Recidivist IOM data to be brought to the meeting",
            "Complete, agenda item 5",
            True,
            "RT",
        ),
        ActionUpdate("d", "Arrange the Christmas party", "Complete", True, None),
    )


def test_the_next_meeting_in_an_item_cell_merged_across_the_action_column() -> None:
    minutes = read(later_minutes())
    assert minutes.next_meeting == NextMeeting(date(2021, 5, 26), time(10, 0), "Hindlip Hall")


def test_an_unreadable_date_is_warned_about_and_the_item_numbers_are_used() -> None:
    minutes = read(later_minutes(date_line="Date: the Wednesday after half term"))
    assert minutes.meeting_date == date(2021, 2, 24)
    assert (
        minutes.warnings[0] == "Could not read the meeting's date “the Wednesday after half term”."
    )
    assert "Took the meeting's date, 24 February 2021, from the item numbers" in minutes.warnings[1]


def test_the_marker_in_a_cell_of_its_own_and_several_people_in_one_cell() -> None:
    document = new_minutes(marking=None)
    add_lines(document, "Date: 24/02/2021")
    table = document.add_table(rows=2, cols=3)
    table.rows[0].cells[0].text = "Attendees:"
    table.rows[0].cells[1].text = "Tracey Onslow\nJulian Moss"
    table.rows[0].cells[2].text = "DPCC\nDCC West Mercia Police"
    table.rows[1].cells[0].text = "Apologies:"
    table.rows[1].cells[1].text = "Lloyd Griffiths"
    table.rows[1].cells[2].text = "WCC"
    items = add_item_table(document)
    add_item_row(items, "01/24/02/21", ["Action: JM to share the profile."], ["jm"])
    minutes = read(document)
    assert minutes.people == (
        Person("Tracey Onslow", "DPCC"),
        Person("Julian Moss", "DCC West Mercia Police"),
        Person("Lloyd Griffiths", "WCC", Attendance.APOLOGIES),
    )
    assert minutes.protective_marking is None
    assert minutes.actions == (MinutedAction("01", "JM to share the profile.", ("JM",)),)


def test_more_initials_on_lines_than_actions_warns() -> None:
    document = new_minutes()
    add_lines(document, "Date: 24th February 2021")
    items = add_item_table(document)
    add_item_row(items, "01/24/02/21", ["Action: CR to write."], ["CR", "DP"], owners_on_lines=True)
    minutes = read(document)
    assert minutes.actions == (MinutedAction("01", "CR to write.", ("CR",)),)
    assert any("more owners than there are “Action:” sentences" in w for w in minutes.warnings)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "isn't a Word .docx file"),
        (b"\xd0\xcf\x11\xe0 an old binary .doc", "isn't a Word .docx file"),
        (b"PK\x03\x04 not really a zip", "damaged"),
    ],
)
def test_what_is_not_a_word_document_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(MinutesError, match=message):
        parse_minutes("minutes.docx", data)


def test_a_word_document_that_is_not_minutes_is_refused() -> None:
    document = new_minutes()
    add_lines(document, "Shopping list", "Milk, eggs")
    with pytest.raises(MinutesError, match="doesn't look like minutes"):
        read(document)


def test_an_old_doc_file_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "minutes.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(MinutesError, match=r"save it as \.docx"):
        read_minutes(path)


# --- the board ----------------------------------------------------------------------------------


def canonical_board(runtime: Runtime) -> dict[str, object]:
    """Everything an import makes, without ids and timestamps."""
    with runtime.sessions() as session:
        board = queries.default_board(session)
        members = [
            (m.initials, m.name, m.capacity, str(m.role)) for m in queries.members(session, board)
        ]
        meetings = [
            (
                m.date,
                m.time,
                m.venue,
                str(m.status),
                m.protective_marking,
                m.chair_name,
                m.notes_taker_name,
            )
            for m in queries.meetings(session, board)
        ]
        actions = [
            (a.meeting.date, a.item, a.position, a.text, tuple(a.owner_initials), str(a.status))
            for a in queries.actions(session, board)
        ]
        return {"board": board.name, "members": members, "meetings": meetings, "actions": actions}


def board_from(
    sqlite_template_path: Path, directory: Path, filename: str, data: bytes
) -> dict[str, object]:
    directory.mkdir()
    runtime = make_runtime(fresh_sqlite(sqlite_template_path, directory))
    try:
        run_import(runtime, parse_minutes(filename, data))
        return canonical_board(runtime)
    finally:
        runtime.engine.dispose()


def test_text_word_and_html_minutes_give_identical_boards(
    sqlite_template_path: Path, tmp_path: Path
) -> None:
    from_text = board_from(
        sqlite_template_path, tmp_path / "txt", "minutes.txt", sample_text().encode()
    )
    from_word = board_from(
        sqlite_template_path, tmp_path / "docx", "minutes.docx", sample_as_docx()
    )
    from_html = board_from(
        sqlite_template_path, tmp_path / "html", "minutes.html", sample_as_html().encode()
    )
    assert len(from_text["actions"]) == 8 and len(from_text["members"]) == 25
    assert from_word == from_text
    assert from_html == from_text


def test_a_later_meetings_word_minutes_apply_its_action_updates(runtime: Runtime) -> None:
    run_import(runtime, parse_text(sample_text()))
    report = run_import(runtime, read(later_minutes()), FEBRUARY)
    with runtime.sessions() as session:
        board = queries.default_board(session)
        by_text = {a.text[:24]: a for a in queries.actions(session, board)}
        climb = by_text["CR to co-ordinate discus"]
        assert climb.status == ActionStatus.DONE
        assert climb.done_at is not None and climb.done_at.date() == date(2021, 2, 24)
        paper = by_text["DP will circulate a prev"]
        assert paper.status == ActionStatus.OPEN
        (listed,) = queries.listed_actions(session, board, ids=[paper.id])
        assert listed.latest_update == "Ongoing"
        recidivist = by_text["recidivist IOM data will"]
        assert recidivist.status == ActionStatus.DONE
        statistics = by_text["The statistics supportin"]
        assert statistics.status == ActionStatus.OPEN  # no update names it
        members = {m.initials: m for m in queries.members(session, board)}
        # Named only in the attendance table, or only as notes taker: members all the same.
        assert members["NO"].name == "Nadia Okafor"
        assert members["NO"].capacity == "Head of Community Safety, Telford & Wrekin Council"
        assert members["PS"].name == "Priya Shah"
        closed = [a.item for a in queries.actions(session, board) if a.closed_session]
        assert closed == ["04", "05"]  # February's, minuted after "Closed Session"
        february = queries.meeting_on(session, board, date(2021, 2, 24))
        assert february.status == MeetingStatus.HELD
        assert february.protective_marking == MARKING
    assert any("“Arrange the Christmas party” matched no action" in w for w in report.warnings)
    assert [c for c in report.changed if "(update" in c] == [
        "action 04-CR of 2020-11-25: open → Complete (update a.)",
        "action 04-DP of 2020-11-25: update “Ongoing” (update b.)",
        "action 05-RT of 2020-11-25: open → Complete, agenda item 5 (update c.)",
    ]
    again = run_import(runtime, read(later_minutes()), FEBRUARY + timedelta(days=1))
    assert again.created == [] and again.changed == []


def test_unknown_and_shared_initials_are_warned_about_never_guessed(runtime: Runtime) -> None:
    run_import(runtime, parse_text(sample_text()))
    document = later_minutes(
        extra_rows=[
            ("07/24/02/21", ["Action: ZZ to audit the budget."], ["ZZ"]),
            ("08/24/02/21", ["Action: ML to brief the SOCJAGs."], ["ML"]),
        ]
    )
    report = run_import(runtime, read(document), FEBRUARY)
    assert "Action 07-ZZ: the initials ZZ match no member." in report.warnings
    assert "Action 08-ML: two members have the initials ML; owner left unset." in report.warnings
    with runtime.sessions() as session:
        board = queries.default_board(session)
        unowned = {a.item: a.owner_initials for a in queries.actions(session, board, item="07")}
        assert unowned == {"07": []}


def test_an_update_is_matched_by_its_owner_when_the_texts_are_alike(runtime: Runtime) -> None:
    run_import(runtime, parse_text(sample_text()))
    document = new_minutes()
    add_lines(document, "Date: 24th February 2021")
    add_attendance(document, [("Claire Richardson", "Commissioning Manager, OPCC")])
    items = add_item_table(document)
    add_item_row(
        items,
        "01/24/02/21",
        [
            "Minutes/Actions from the meeting held on the 25th November 2020.",
            "a. Circulate the statistics with the minutes – RT – Complete",
        ],
    )
    run_import(runtime, read(document), FEBRUARY)
    with runtime.sessions() as session:
        board = queries.default_board(session)
        closed = [a for a in queries.actions(session, board) if a.status == ActionStatus.DONE]
        assert [(a.item, a.owner_initials) for a in closed] == [("05", ["DP", "RT"])]


def test_the_dry_run_lists_what_is_created_changed_and_left_alone(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from bot.cli import app

    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    (tmp_path / "nov.txt").write_text(sample_text(), encoding="utf-8")
    (tmp_path / "feb.docx").write_bytes(to_bytes(later_minutes()))
    runner = CliRunner()
    assert runner.invoke(app, ["import", str(tmp_path / "nov.txt")]).exit_code == 0
    result = runner.invoke(app, ["import", str(tmp_path / "feb.docx"), "--dry-run"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert "  + member NO Nadia Okafor (member)" in lines
    assert "  + action 03-DP/RT: The statistics are to be circulated with the minutes." in lines
    assert (
        "  ~ meeting 2021-02-24: venue Allsop Rm, Hindlip Hall/Zoom → Allsop Room, Hindlip Hall; "
        "protective marking (none) → PROTECT – MANAGEMENT; chair name (none) → Tracey Onslow; "
        "notes taker name (none) → Priya Shah; status tentative → held"
    ) in lines
    assert "  ~ action 04-CR of 2020-11-25: open → Complete (update a.)" in lines
    assert "5 would be left alone:" in lines and "  = member CR" in lines
    assert lines[-1] == "Dry run: nothing was changed."
    assert "Update d. “Arrange the Christmas party” matched no action" in result.stderr.replace(
        "\n", " "
    )
    again = runner.invoke(app, ["import", str(tmp_path / "feb.docx"), "--dry-run"])
    assert again.stdout == result.stdout  # the dry run changed nothing


def test_a_damaged_word_file_is_minutes_or_a_minutes_error() -> None:
    """Bytes overwritten or cut anywhere: never a crash, always a message or minutes."""
    original = sample_as_docx()
    chance = random.Random(5)
    for _ in range(60):
        data = bytearray(original)
        at = chance.randrange(len(data))
        for k in range(at, min(len(data), at + chance.randint(1, 40))):
            data[k] = chance.randrange(256)
        if chance.random() < 0.3:
            data = data[: chance.randrange(len(data))]
        with contextlib.suppress(MinutesError):
            parse_minutes("minutes.docx", bytes(data))


def test_content_controls_and_tracked_changes_read_as_word_shows_them() -> None:
    document = new_minutes()
    wrap_in_content_control(document.add_paragraph("Date: 24th February 2021"))
    items = add_item_table(document)
    row = add_item_row(items, "01/24/02/21", [])
    item_cell, action_cell = row.cells[1], row.cells[2]
    item_cell._tc.remove(item_cell.paragraphs[0]._p)
    item_cell._tc.append(tracked_paragraph("Action: CR to send ", "the final ", "the draft "))
    action_cell._tc.remove(action_cell.paragraphs[0]._p)
    action_cell._tc.append(inline_control_paragraph("CR"))
    minutes = read(document)
    assert minutes.meeting_date == date(2021, 2, 24)
    assert minutes.actions == (MinutedAction("01", "CR to send the final", ("CR",)),)


def test_reimporting_after_an_owners_newer_update_changes_nothing(runtime: Runtime) -> None:
    run_import(runtime, parse_text(sample_text()))
    run_import(runtime, read(later_minutes()), FEBRUARY)
    say(runtime, "DP", "note 04-DP red still waiting on two CSPs", FEBRUARY + timedelta(days=1))
    again = run_import(runtime, read(later_minutes()), FEBRUARY + timedelta(days=2))
    assert again.created == [] and again.changed == []
    with runtime.sessions() as session:
        board = queries.default_board(session)
        paper = next(a for a in queries.actions(session, board) if a.text.startswith("DP will c"))
        (listed,) = queries.listed_actions(session, board, ids=[paper.id])
        assert (listed.latest_update, listed.rag) == ("still waiting on two CSPs", "red")


def test_reimporting_does_not_close_again_what_its_owner_reopened(runtime: Runtime) -> None:
    run_import(runtime, parse_text(sample_text()))
    run_import(runtime, read(later_minutes()), FEBRUARY)
    say(runtime, "CR", "reopen 04-CR.1 IP has not replied yet", FEBRUARY + timedelta(days=1))
    again = run_import(runtime, read(later_minutes()), FEBRUARY + timedelta(days=2))
    assert again.created == [] and again.changed == []
    with runtime.sessions() as session:
        board = queries.default_board(session)
        climb = next(a for a in queries.actions(session, board) if "CLIMB" in a.text)
        assert climb.status == ActionStatus.OPEN
