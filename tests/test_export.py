"""The "Actions from the previous meeting" paper and the meetings calendar."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import docx
import icalendar
import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.runtime import Runtime
from db import queries
from db.models import ActionStatus, MeetingStatus
from handlers.context import Caller
from handlers.errors import UserError
from handlers.export import build_paper, letter, render, render_markdown
from handlers.identity import Via
from handlers.minutes.read import parse_minutes
from tests.conftest import run_import, say
from tests.docx_fixtures import (
    MARKING,
    add_attendance,
    add_item_row,
    add_item_table,
    add_lines,
    later_minutes,
    new_minutes,
    to_bytes,
)

BEFORE_FEBRUARY = datetime(2021, 2, 10, 9, 0, tzinfo=UTC)
MARCH = datetime(2021, 3, 10, 9, 0, tzinfo=UTC)
SAMPLE = Path(__file__).parent.parent / "bot" / "samples" / "crb-minutes-2020-11-25.txt"


def at(day: int, month: int, year: int = 2020) -> datetime:
    return datetime(year, month, day, 10, 0, tzinfo=UTC)


def work_on_the_actions(board: Runtime) -> None:
    """What the owners did between November and February."""
    say(board, "CR", "done 04-CR.2 sent to the Board on 1 December", at(1, 12))
    say(board, "CR", "note 04-CR.1 amber date agreed with IP for January", at(3, 12))
    say(board, "DP", "note 04-DP red waiting on comments from two CSPs", at(12, 1, 2021))
    say(board, "SG", "done 06-SG", at(20, 1, 2021))
    say(
        board, "RT", "note 05-DP green statistics circulated with the draft minutes", at(1, 2, 2021)
    )


def paper_of(runtime: Runtime, now: datetime, fmt: str = "md") -> str | bytes:
    with runtime.unit(Caller(None, "cli", Via.CLI), now) as ctx:
        return render(ctx, fmt)


def test_the_paper_reads_as_the_secretariat_writes_it(board: Runtime) -> None:
    work_on_the_actions(board)
    paper = paper_of(board, BEFORE_FEBRUARY)
    assert paper.splitlines() == [
        "**PROTECT – MANAGEMENT**",
        "",
        "# West Mercia Crime Reduction Board",
        "",
        "## Actions from the meeting held on 25 November 2020",
        "",
        "For the meeting on Wednesday 24 February 2021, Allsop Rm, Hindlip Hall/Zoom "
        "(to be confirmed).",
        "",
        "a. Co-ordinate discussion of application of the CLIMB project with IP – Claire "
        "Richardson – Ongoing, amber - Date agreed with IP for January (updated 3 December "
        "2020)  ",
        "b. Circulate a previous draft paper for comment. A proposal for who will undertake the "
        "review is to be provided to the next meeting – Damian Pettit – Ongoing, red - Waiting on "
        "comments from two CSPs (updated 12 January 2021)  ",
        "c. Send the Covid 19 DA funding recipients list with the Board – Claire Richardson – "
        "Complete, 1 December 2020 - Sent to the Board on 1 December  ",
        "d. The PCP panel report is to be shared with the Board – Chris Jensen – Ongoing - no "
        "update received  ",
        "e. Recidivist IOM data will be brought to the next meeting – Rachael Thorold – Ongoing "
        "- no update received  ",
        "f. The statistics supporting the report are to be circulated with the minutes – Damian "
        "Pettit and Rachael Thorold – Ongoing, green - Statistics circulated with the draft "
        "minutes (updated 1 February 2021)  ",
        "g. Coordinate support for developing the application – Steven Gabriel – Complete, 20 "
        "January 2021  ",
        "h. Send SG contact details for Dave Cookson – Jackie Stevenson – Ongoing - no update "
        "received  ",
        "",
        "_8 actions: 2 complete, 6 ongoing._",
        "",
        "**PROTECT – MANAGEMENT**",
    ]


def test_the_paper_covers_what_was_open_at_the_last_meeting_and_what_it_raised(
    board: Runtime,
) -> None:
    work_on_the_actions(board)
    run_import(board, parse_minutes("feb.docx", to_bytes(later_minutes())), at(25, 2, 2021))
    with board.unit(Caller(None, "cli", Via.CLI), MARCH) as ctx:
        paper = build_paper(ctx)
    assert paper.meeting == date(2021, 2, 24)
    by_ref = [(line.letter, line.ref, line.raised.month, line.status) for line in paper.lines]
    assert by_ref == [
        # November's: closed in December and January, so not open when February began: gone.
        ("a", "04-CR", 11, "Complete"),  # closed by February's minutes, "Complete"
        ("b", "04-DP", 11, "Ongoing"),
        ("c", "04-CJ", 11, "Ongoing"),
        ("d", "05-RT", 11, "Complete"),  # "Complete, agenda item 5"
        ("e", "05-DP/RT", 11, "Ongoing"),
        ("f", "06-JS", 11, "Ongoing"),
        # February's own.
        ("g", "03-CR", 2, "Ongoing"),
        ("h", "03-DP", 2, "Ongoing"),
        ("i", "03-DP/RT", 2, "Ongoing"),
        ("j", "04-CJ", 2, "Ongoing"),
        ("k", "05-?", 2, "Ongoing"),
    ]
    assert paper.lines[0].completed == date(2021, 2, 24)
    # CR's amber note of December was overtaken by the completion: it is not shown.
    assert paper.lines[0].state == "Complete, 24 February 2021"
    assert paper.lines[-1].owners == "owner to be confirmed"
    # The minutes said only "Ongoing" for DP's paper: DP's own red update still stands.
    assert (paper.lines[1].update, paper.lines[1].rag) == (
        "Waiting on comments from two CSPs",
        "red",
    )


def test_the_papers_lines_pasted_into_the_next_minutes_apply_cleanly(board: Runtime) -> None:
    work_on_the_actions(board)
    with board.unit(Caller(None, "cli", Via.CLI), BEFORE_FEBRUARY) as ctx:
        paper = build_paper(ctx)
    document = new_minutes()
    add_lines(document, "Date: 24th February 2021")
    add_attendance(document, [("Claire Richardson", "Commissioning Manager, OPCC")])
    items = add_item_table(document)
    add_item_row(
        items,
        "02/24/02/21",
        [
            "Minutes/Actions from the meeting held on the 25th November 2020.",
            "Action Updates.",
            *(f"{line.letter}. {line.sentence()}" for line in paper.lines),
        ],
    )
    report = run_import(board, parse_minutes("feb.docx", to_bytes(document)), at(25, 2, 2021))
    assert [w for w in report.warnings if "matched no action" in w or "Could not" in w] == []
    with board.sessions() as session:
        statuses = [a.status for a in queries.actions(session, queries.default_board(session))]
    assert statuses.count(ActionStatus.DONE) == 2  # the two the paper calls complete


def test_csv_has_one_row_per_line_and_never_a_formula(board: Runtime) -> None:
    say(board, "DP", 'note 04-DP =HYPERLINK("http://example.org") see link', at(1, 12))
    rows = list(csv.DictReader(io.StringIO(paper_of(board, BEFORE_FEBRUARY, "csv"))))
    assert [r["letter"] for r in rows] == list("abcdefgh")
    assert rows[1]["ref"] == "04-DP" and rows[1]["owners"] == "Damian Pettit"
    assert rows[1]["latest_update"].startswith("'=HYPERLINK")
    assert rows[5]["owners"] == "Damian Pettit; Rachael Thorold"
    assert rows[5]["owner_initials"] == "DP/RT"
    assert {r["status"] for r in rows} == {"Ongoing"}


def test_docx_is_laid_out_like_the_minutes(board: Runtime) -> None:
    work_on_the_actions(board)
    document = docx.Document(io.BytesIO(paper_of(board, BEFORE_FEBRUARY, "docx")))
    section = document.sections[0]
    assert section.header.paragraphs[0].text == MARKING
    assert section.footer.paragraphs[0].text == MARKING
    table = document.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["No.", "Item.", "Action"]
    assert table.rows[1].cells[1].text == "Actions from the meeting held on 25 November 2020."
    assert [row.cells[0].text for row in table.rows[2:]] == [f"{c}." for c in "abcdefgh"]
    assert table.rows[4].cells[1].text.startswith("Send the Covid 19 DA funding recipients list")
    assert table.rows[7].cells[2].text == "DP/RT"


def test_the_calendar_marks_tentative_and_cancelled_meetings_with_stable_uids(
    board: Runtime,
) -> None:
    with board.unit(Caller(None, "cli", Via.CLI), BEFORE_FEBRUARY) as ctx:
        may = queries.meeting_on(ctx.session, ctx.board, date(2021, 2, 24))
        may.time = datetime(2021, 1, 1, 10, 0).time()
        from db.models import Meeting

        ctx.session.add(
            Meeting(
                board_id=ctx.board.id,
                date=date(2021, 5, 26),
                status=MeetingStatus.CANCELLED,
                created_at=ctx.now,
            )
        )
        ctx.session.commit()
    first = icalendar.Calendar.from_ical(paper_of(board, BEFORE_FEBRUARY, "ics"))
    again = icalendar.Calendar.from_ical(
        paper_of(board, BEFORE_FEBRUARY + timedelta(days=1), "ics")
    )
    events = {str(e["uid"]): e for e in first.walk("VEVENT")}
    assert list(events) == [str(e["uid"]) for e in again.walk("VEVENT")]
    november, february, may = events.values()
    assert november["status"] == "CONFIRMED" and str(november["location"]) == "Zoom"
    assert november.decoded("dtstart") == date(2020, 11, 25)  # no time known: all day
    assert february["status"] == "TENTATIVE"
    start = february.decoded("dtstart")
    assert (start.hour, str(start.tzinfo)) == (10, "Europe/London")
    assert february.decoded("dtend") - start == timedelta(hours=2)
    assert may["status"] == "CANCELLED"
    assert [tz["tzid"] for tz in first.walk("VTIMEZONE")] == ["Europe/London"]
    assert "CLIMB" not in paper_of(board, BEFORE_FEBRUARY, "ics").decode()  # no action text


def test_no_paper_before_any_meeting_is_held(runtime: Runtime) -> None:
    with pytest.raises(UserError, match="No meeting has been held yet"):
        paper_of(runtime, BEFORE_FEBRUARY)


def test_an_empty_paper_says_so(board: Runtime) -> None:
    with board.unit(Caller(None, "cli", Via.CLI), BEFORE_FEBRUARY) as ctx:
        paper = build_paper(ctx)
    empty = type(paper)(paper.board_name, paper.meeting, None, None, ())
    assert "No actions were open at that meeting or raised at it." in render_markdown(empty)


def test_member_text_cannot_become_markdown(board: Runtime) -> None:
    say(board, "CR", "note 04-CR.1 see [this](http://evil.example) *now*", at(1, 12))
    paper = paper_of(board, BEFORE_FEBRUARY)
    assert r"\[this\](http://evil.example) \*now\*" in paper


@pytest.mark.parametrize(("index", "expected"), [(0, "a"), (25, "z"), (26, "aa"), (27, "ab")])
def test_letters(index: int, expected: str) -> None:
    assert letter(index) == expected


def test_the_cli_writes_each_format(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(app, ["import", str(SAMPLE)]).exit_code == 0
    when = ["--at", "2021-02-10T09:00"]
    markdown = runner.invoke(app, ["export", *when])
    assert markdown.exit_code == 0
    assert "## Actions from the meeting held on 25 November 2020" in markdown.stdout
    assert runner.invoke(app, ["export", "--format", "csv", *when]).stdout.startswith("letter,")
    written = runner.invoke(app, ["export", "--format", "docx", "-o", "paper.docx", *when])
    assert written.exit_code == 0 and (tmp_path / "paper.docx").read_bytes()[:2] == b"PK"
    ics = runner.invoke(app, ["export", "--format", "ics", "-o", "board.ics", *when])
    assert ics.exit_code == 0
    assert (tmp_path / "board.ics").read_bytes().startswith(b"BEGIN:VCALENDAR")
    assert runner.invoke(app, ["export", "--format", "pdf"]).exit_code == 2


def test_closed_session_actions_come_last_under_their_own_heading(board: Runtime) -> None:
    run_import(board, parse_minutes("feb.docx", to_bytes(later_minutes())), at(25, 2, 2021))
    markdown = paper_of(board, MARCH).splitlines()
    heading = markdown.index("### Closed session")
    after = [line[:2] for line in markdown[heading + 1 :] if line[:1].isalpha()]
    assert after == ["l.", "m."]  # after November's eight and February's three open ones
    assert markdown[heading + 2].startswith("l. The PCP panel report is to be shared")
    rows = list(csv.DictReader(io.StringIO(paper_of(board, MARCH, "csv"))))
    assert [r["closed_session"] for r in rows][-3:] == ["no", "yes", "yes"]
    document = docx.Document(io.BytesIO(paper_of(board, MARCH, "docx")))
    texts = [row.cells[1].text for row in document.tables[0].rows]
    assert texts.index("Closed session.") == len(texts) - 3
