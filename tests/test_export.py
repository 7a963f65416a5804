"""The "Actions from the previous meeting" paper and the meetings calendar."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import docx
import icalendar
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from typer.testing import CliRunner

from bot.cli import app
from bot.runtime import Runtime
from db import queries
from db.models import ActionStatus, AuditEvent, EventKind, MeetingStatus
from handlers.context import Caller, Ctx
from handlers.diary import add_meeting, cancel_meeting, move_meeting
from handlers.errors import UserError
from handlers.export import build_paper, letter, render, render_markdown
from handlers.identity import Via
from handlers.minutes.read import parse_minutes
from tests.conftest import AFTER_MEETING, SAMPLE, run_import, say
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
from tests.paper_harness import at, next_minutes_docx, work_on_the_actions

BEFORE_FEBRUARY = datetime(2021, 2, 10, 9, 0, tzinfo=UTC)
MARCH = datetime(2021, 3, 10, 9, 0, tzinfo=UTC)


def paper_of(runtime: Runtime, now: datetime, fmt: str = "md") -> str | bytes:
    with runtime.unit(Caller(None, "cli", Via.CLI), now) as ctx:
        return render(ctx, fmt)


def csv_rows(text: str | bytes) -> list[dict[str, str]]:
    assert isinstance(text, str)
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def word(runtime: Runtime, now: datetime) -> docx.document.Document:
    return docx.Document(io.BytesIO(paper_of(runtime, now, "docx")))


def calendar(runtime: Runtime, now: datetime) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(paper_of(runtime, now, "ics"))


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
    rows = csv_rows(paper_of(board, BEFORE_FEBRUARY, "csv"))
    assert [r["letter"] for r in rows] == list("abcdefgh")
    assert rows[1]["ref"] == "04-DP" and rows[1]["owners"] == "Damian Pettit"
    assert rows[1]["latest_update"].startswith("'=HYPERLINK")
    assert rows[5]["owners"] == "Damian Pettit; Rachael Thorold"
    assert rows[5]["owner_initials"] == "DP/RT"
    assert {r["status"] for r in rows} == {"Ongoing"}


def test_docx_is_laid_out_like_the_minutes(board: Runtime) -> None:
    work_on_the_actions(board)
    document = word(board, BEFORE_FEBRUARY)
    section = document.sections[0]
    assert section.header.paragraphs[0].text == MARKING
    assert section.footer.paragraphs[0].text == MARKING
    table = document.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["No.", "Item.", "Action"]
    assert len(table.rows) == 2  # the heading, and item 02
    number, item, owners = table.rows[1].cells
    assert number.text == "02/24/02/21"  # item 02 of the minutes it goes into
    texts = [p.text for p in item.paragraphs]
    assert texts[:2] == ["Actions from the meeting held on 25 November 2020.", "Action Updates."]
    assert [t[:3] for t in texts[2:]] == [f"{c}. " for c in "abcdefgh"]
    assert texts[4].startswith("c. Send the Covid 19 DA funding recipients list")
    assert owners.text == ""  # item 02 raises no actions: the owners are named on each line


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
    csv_out = runner.invoke(app, ["export", "--format", "csv", *when]).stdout
    assert csv_out.startswith("\ufeffletter,")
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
    rows = csv_rows(paper_of(board, MARCH, "csv"))
    assert [r["closed_session"] for r in rows][-3:] == ["no", "yes", "yes"]
    rows = word(board, MARCH).tables[0].rows
    assert len(rows) == 4  # the heading, item 02, "Closed Session" across the table, the rest
    assert {cell.text for cell in rows[2].cells} == {"Closed Session"}
    number, item, _owners = rows[3].cells
    assert number.text == "" and [p.text[:3] for p in item.paragraphs] == ["l. ", "m. "]


# --- issue 15: the paper, the calendar and the CSV, right to the letter --------------------------


def as_operator(runtime: Runtime, now: datetime, change: object) -> None:
    """Run ``change(ctx)`` as the CLI does, and commit it."""
    with runtime.unit(Caller(None, "cli", Via.CLI), now) as ctx:
        change(ctx)  # type: ignore[operator]
        ctx.session.commit()


def february_minutes_with(lines: list[str]) -> bytes:
    """February's Word minutes whose item 02 lists ``lines`` (a., b., ...) as pasted."""
    document = new_minutes()
    add_lines(document, "Date: 24th February 2021")
    add_attendance(document, [("Claire Richardson", "Commissioning Manager, OPCC")])
    items = add_item_table(document)
    add_item_row(
        items,
        "02/24/02/21",
        ["Actions from the meeting held on 25 November 2020.", "Action Updates.", *lines],
    )
    return to_bytes(document)


def paste_the_paper_into_february(board: Runtime, edits: dict[str, str] | None = None) -> None:
    """The paper's lines, as the Markdown paper reads them, pasted into February's minutes (with
    the secretariat's ``edits`` by letter) and imported the day after the meeting."""
    with board.unit(Caller(None, "cli", Via.CLI), BEFORE_FEBRUARY) as ctx:
        lines = [f"{line.letter}. {line.sentence()}" for line in build_paper(ctx).lines]
    lines = [(edits or {}).get(line[:2], line) for line in lines]
    report = run_import(
        board, parse_minutes("feb.docx", february_minutes_with(lines)), at(25, 2, 2021)
    )
    assert not [w for w in report.warnings if "matched no action" in w]


def stored_notes(board: Runtime) -> list[str]:
    with board.sessions() as session:
        events = session.query(AuditEvent).filter_by(kind=EventKind.NOTE)
        return [event.note or "" for event in events]


def test_defect_1_the_marking_stays_when_the_latest_meeting_was_added_by_hand(
    board: Runtime,
) -> None:
    as_operator(board, at(1, 12), lambda ctx: add_meeting(ctx, date(2020, 12, 9), time(10, 0)))
    markdown = paper_of(board, at(10, 12)).splitlines()
    assert "## Actions from the meeting held on 9 December 2020" in markdown
    assert markdown[0] == markdown[-1] == f"**{MARKING}**"
    section = word(board, at(10, 12)).sections[0]
    for part in (section.header, section.footer):  # centred and bold, top and foot of each page
        marking = part.paragraphs[0]
        assert marking.text == MARKING and marking.alignment == WD_ALIGN_PARAGRAPH.CENTER
        assert all(run.bold for run in marking.runs)
    events = calendar(board, at(10, 12)).walk("VEVENT")
    assert len(events) == 3 and {str(e["class"]) for e in events} == {"PRIVATE"}
    assert all(str(e["description"]).startswith(MARKING) for e in events)


def test_defect_2a_the_filler_is_never_stored_as_an_update(board: Runtime) -> None:
    work_on_the_actions(board)
    paste_the_paper_into_february(board)
    assert [note for note in stored_notes(board) if "no update" in note.lower()] == []
    lines = {line.ref: line for line in build_paper_at(board, MARCH).lines}
    assert lines["04-CJ"].state == "Ongoing - no update received"


def test_defect_2b_the_updated_suffix_is_not_doubled(board: Runtime) -> None:
    work_on_the_actions(board)
    paste_the_paper_into_february(board)
    assert [note for note in stored_notes(board) if "(updated" in note] == []
    for line in build_paper_at(board, MARCH).lines:
        assert line.state.count("(updated") <= 1, line.state
    lines = {line.ref: line.state for line in build_paper_at(board, MARCH).lines}
    assert lines["04-DP"] == (
        "Ongoing, red - Waiting on comments from two CSPs (updated 12 January 2021)"
    )


def test_defect_2c_imported_updates_are_dated_by_the_meeting_that_reported_them(
    board: Runtime,
) -> None:
    work_on_the_actions(board)
    new_words = (
        "e. Recidivist IOM data will be brought to the next meeting – Rachael Thorold – "
        "Ongoing - Data requested from NPS"
    )
    paste_the_paper_into_february(board, {"e.": new_words})  # imported on 25 February
    lines = {line.ref: line for line in build_paper_at(board, MARCH).lines}
    assert lines["05-RT"].updated == date(2021, 2, 24)
    assert lines["05-RT"].state == "Ongoing - Data requested from NPS (updated 24 February 2021)"


def test_defect_3_a_reopen_reason_is_the_latest_update(board: Runtime) -> None:
    say(board, "JS", "done 06-JS contact details sent", at(1, 12))
    say(board, "JS", "reopen 06-JS not actually sent", at(2, 12))
    lines = {line.ref: line.state for line in build_paper_at(board, BEFORE_FEBRUARY).lines}
    assert lines["06-JS"] == "Ongoing - Not actually sent (updated 2 December 2020)"
    say(board, "JS", "done 06-JS sent again, received", at(3, 12))
    say(board, "JS", "reopen 06-JS", at(4, 12))  # no reason: the old completion note is gone
    lines = {line.ref: line.state for line in build_paper_at(board, BEFORE_FEBRUARY).lines}
    assert lines["06-JS"] == "Ongoing - Not actually sent (updated 2 December 2020)"


def test_defect_4_export_at_a_past_time_shows_the_paper_as_it_stood(board: Runtime) -> None:
    work_on_the_actions(board)  # 04-CR.2 closed on 1 December, 06-SG on 20 January
    markdown = paper_of(board, at(30, 11))
    assert "Complete" not in markdown and "_8 actions: 0 complete, 8 ongoing._" in markdown
    then = {line.unique_ref: line.state for line in build_paper_at(board, at(15, 12)).lines}
    assert then["04-CR.2"] == "Complete, 1 December 2020 - Sent to the Board on 1 December"
    assert then["06-SG"] == "Ongoing - no update received"
    assert then["04-DP"] == "Ongoing - no update received"  # DP's note came in January
    assert then["04-CR.1"] == (
        "Ongoing, amber - Date agreed with IP for January (updated 3 December 2020)"
    )
    say(board, "CR", "reopen 04-CR.2 the list was incomplete", at(1, 2, 2021))
    then = {line.unique_ref: line.state for line in build_paper_at(board, at(15, 12)).lines}
    assert then["04-CR.2"].startswith("Complete, 1 December 2020")  # reopened only later
    now = {line.unique_ref: line.state for line in build_paper_at(board, BEFORE_FEBRUARY).lines}
    assert now["04-CR.2"] == "Ongoing - The list was incomplete (updated 1 February 2021)"


def build_paper_at(board: Runtime, now: datetime):
    with board.unit(Caller(None, "cli", Via.CLI), now) as ctx:
        return build_paper(ctx)


def test_defect_5a_the_word_papers_row_pasted_into_the_minutes_is_read_back(
    board: Runtime,
) -> None:
    work_on_the_actions(board)
    minutes = next_minutes_docx(
        paper_of(board, BEFORE_FEBRUARY, "docx"),
        "24th February 2021",
        "26th May 2021",
        edits={"d.": "d. The PCP panel report is to be shared with the Board – CJ – Complete"},
    )
    report = run_import(board, parse_minutes("feb.docx", minutes), at(25, 2, 2021))
    assert report.meeting is not None and report.meeting.date == date(2021, 2, 24)
    assert not [w for w in report.warnings if "matched no action" in w or "rows" in w]
    with board.sessions() as session:
        done = {
            a.text[:12]
            for a in queries.actions(session, queries.default_board(session))
            if a.status == ActionStatus.DONE
        }
    assert done == {"CR to send t", "SG to coordi", "the PCP pane"}


def test_defect_5b_the_word_paper_is_a4_with_sensible_columns(board: Runtime) -> None:
    document = word(board, BEFORE_FEBRUARY)
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    widths = [column.width for column in document.tables[0].columns]
    text_width = section.page_width - section.left_margin - section.right_margin
    assert sum(widths) <= text_width
    number, item, owners = widths
    assert item > 0.6 * text_width and number < item and owners < item
    assert [round(c.width.mm) for c in document.tables[0].rows[1].cells] == [
        round(w.mm) for w in widths
    ]


def test_defect_5c_the_heading_row_repeats_and_no_line_splits(board: Runtime) -> None:
    run_import(board, parse_minutes("feb.docx", to_bytes(later_minutes())), at(25, 2, 2021))
    rows = word(board, MARCH).tables[0].rows
    assert len(rows) == 4  # the heading, item 02, "Closed Session", item 02 continued

    def has(row: object, tag: str) -> bool:
        properties = row._tr.trPr  # type: ignore[attr-defined]
        return properties is not None and properties.find(qn(tag)) is not None

    assert [has(row, "w:tblHeader") for row in rows] == [True, False, False, False]
    assert [has(row, "w:cantSplit") for row in rows] == [True, False, True, False]
    # Item 02's rows may run past a page, so they break, but only between lines: each line is
    # kept together, and the sub-headings stay with what follows them.
    for row in (rows[1], rows[3]):
        for paragraph in row.cells[1].paragraphs:
            layout = paragraph.paragraph_format
            if paragraph.text[1:3] == ". ":
                assert layout.keep_together, paragraph.text
            else:
                assert layout.keep_with_next, paragraph.text


def test_defect_5d_the_word_paper_is_in_british_english(board: Runtime) -> None:
    data = paper_of(board, BEFORE_FEBRUARY, "docx")
    document = docx.Document(io.BytesIO(data))
    defaults = document.styles.element.find(qn("w:docDefaults"))
    language = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:lang')}")
    assert language.get(qn("w:val")) == "en-GB"
    assert document.core_properties.language == "en-GB"
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        american = [name for name in package.namelist() if b"en-US" in package.read(name)]
    assert american == []


def test_defect_5e_the_word_papers_properties_say_who_and_when(board: Runtime) -> None:
    properties = word(board, BEFORE_FEBRUARY).core_properties
    assert properties.author == "Rachael Thorold"  # the secretariat: the sample's notes taker
    assert properties.last_modified_by == "Rachael Thorold"
    assert properties.created == properties.modified == BEFORE_FEBRUARY  # the injected now
    assert properties.title == (
        "West Mercia Crime Reduction Board: Actions from the meeting held on 25 November 2020"
    )
    assert "python-docx" not in f"{properties.comments} {properties.author}"


def events_by_uid(board: Runtime, now: datetime) -> dict[str, icalendar.Event]:
    return {str(event["uid"]): event for event in calendar(board, now).walk("VEVENT")}


def move_february(ctx: Ctx) -> None:
    move_meeting(ctx, date(2021, 2, 24), date(2021, 3, 3), time(10, 0))


def test_defect_6_a_moved_meetings_uid_stays(board: Runtime) -> None:
    before = events_by_uid(board, at(1, 12))
    as_operator(board, at(1, 12), move_february)
    after = events_by_uid(board, at(2, 12))
    assert list(after) == list(before)
    assert not [uid for uid in after if "2021-02-24" in uid or "20210224" in uid]
    moved = [
        uid for uid in after if after[uid].decoded("dtstart") != before[uid].decoded("dtstart")
    ]
    assert len(moved) == 1 and after[moved[0]].decoded("dtstart").date() == date(2021, 3, 3)


def test_defect_7_sequence_last_modified_and_cancelled_titles(board: Runtime) -> None:
    (uid,) = [
        uid
        for uid, event in events_by_uid(board, at(1, 12)).items()
        if event.decoded("dtstart") == date(2021, 2, 24)
    ]
    first = events_by_uid(board, at(1, 12))[uid]
    assert first["sequence"] == 0
    assert first.decoded("last-modified") == AFTER_MEETING  # recorded by the import
    as_operator(board, at(1, 12), move_february)
    moved = events_by_uid(board, at(2, 12))[uid]
    assert moved["sequence"] == 1 and moved.decoded("last-modified") == at(1, 12)
    as_operator(board, at(2, 12), lambda ctx: cancel_meeting(ctx, date(2021, 3, 3)))
    cancelled = events_by_uid(board, at(3, 12))[uid]  # kept in the feed, marked cancelled
    assert cancelled["sequence"] == 2 and cancelled.decoded("last-modified") == at(2, 12)
    assert cancelled["status"] == "CANCELLED"
    assert str(cancelled["summary"]) == "Cancelled: West Mercia Crime Reduction Board meeting"
    assert "cancelled" in str(cancelled["description"])


def test_defect_12_the_csv_opens_right_in_a_spreadsheet(board: Runtime) -> None:
    work_on_the_actions(board)
    text = paper_of(board, BEFORE_FEBRUARY, "csv")
    assert isinstance(text, str) and text.encode("utf-8").startswith(b"\xef\xbb\xbf")
    rows = csv_rows(text)
    assert {r["item"] for r in rows} == {'="04"', '="05"', '="06"'}  # text: 04 stays 04
    assert [r["ref"] for r in rows][:3] == ["04-CR", "04-DP", "04-CR"]
    assert [r["unique_ref"] for r in rows][:3] == ["04-CR.1", "04-DP", "04-CR.2"]
    assert len({r["unique_ref"] for r in rows}) == len(rows)
