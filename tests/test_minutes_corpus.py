"""Minutes in the layouts other boards write (issue 19): the scored corpus, refusals that say
where the reader looked, doubts the secretariat can fix, and the import of what was read."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.runtime import Runtime
from db import queries
from db.models import ActionStatus
from handlers import uploads
from handlers.errors import MinutesError
from handlers.identity import Account, Via
from handlers.minutes.importer import ImportReport
from handlers.minutes.model import Attendance
from handlers.minutes.read import parse_minutes, read_minutes
from handlers.minutes.text import parse_text
from tests.conftest import run_import
from tests.minutes_corpus import CORPUS, score_all, total

NOW = datetime(2022, 6, 1, 9, 0, tzinfo=UTC)


def test_the_corpus_is_read_perfectly(capsys: pytest.CaptureFixture[str]) -> None:
    scores = score_all()
    with capsys.disabled():
        print()
        for each in scores:
            print(each.line())
        print(total(scores))
    assert len(scores) >= 15
    assert {Path(s.document).suffix for s in scores} >= {".txt", ".docx", ".html", ".pdf"}
    for each in scores:
        assert each.actions_missed == [] and each.actions_wrong == [], each.document
        assert each.actions_invented == [], each.document
        assert each.attendees_wrong == [] and each.attendees_invented == [], each.document
        assert (each.date_right, each.next_right) == (True, True), each.document
        assert each.updates_found == each.updates_expected, each.document
        assert each.perfect


# --- the defects ------------------------------------------------------------------------

TYPED = """Crime Reduction Board
Date: 3rd March 2022

Present: TJ Tracey Onslow, Andy Champness, Claire Richardson, Damian Pettit, Chris Jensen

1. Welcome
Everyone was welcomed.

2. Reducing reoffending
The paper was noted.
Action: CR to circulate the refreshed IOM cohort criteria to members.
"""


def test_minutes_typed_naturally_give_each_member_and_the_action() -> None:
    minutes = parse_text(TYPED)
    assert [p.name for p in minutes.people] == [
        "TJ Tracey Onslow",
        "Andy Champness",
        "Claire Richardson",
        "Damian Pettit",
        "Chris Jensen",
    ]
    assert [(a.item, a.owners, a.text) for a in minutes.actions] == [
        ("02", ("CR",), "CR to circulate the refreshed IOM cohort criteria to members.")
    ]


def test_other_boards_layouts_are_read_not_refused() -> None:
    for name in ("04-word-paragraphs.docx", "09-website-headings.html", "13-prose.pdf"):
        minutes = read_minutes(CORPUS / name)
        assert minutes.meeting_date is not None and len(minutes.actions) >= 2, name


# --- refusals that say where the reader looked --------------------------------------------------


def test_minutes_with_no_date_are_refused_saying_where_a_date_was_looked_for() -> None:
    undated = TYPED.replace("Date: 3rd March 2022\n", "")
    with pytest.raises(MinutesError) as refused:
        parse_text(undated)
    message = refused.value.message
    assert "no meeting date" in message
    for place in ("“Date:” line", "date and time", "title or first heading", "item numbers"):
        assert place in message


def test_when_no_actions_are_found_the_warning_says_which_markers_were_looked_for() -> None:
    minutes = parse_text(TYPED.replace("Action: CR", "CR"))
    assert minutes.actions == ()
    (doubt,) = [d for d in minutes.doubts if d.kind == "no actions"]
    for marker in ("“Action:”", "“Action –”", "“ACTION:”", "“Actions:”", "Action column", "log"):
        assert marker in doubt.message
    assert doubt.message in minutes.warnings


def test_a_scanned_pdf_is_refused_with_a_message_saying_so() -> None:
    with pytest.raises(MinutesError, match="no text: it looks like a scan"):
        read_minutes(CORPUS / "scanned.pdf")


@pytest.mark.parametrize("data", [b"", b"not a pdf", b"%PDF-1.7 then nothing"])
def test_what_is_not_a_readable_pdf_is_refused(data: bytes) -> None:
    with pytest.raises(MinutesError):
        parse_minutes("minutes.pdf", data)


# --- doubts: what was guessed, as warnings the secretariat can fix ------------------------------


def test_an_owner_missing_from_the_attendance_list_is_kept_and_warned_about() -> None:
    minutes = read_minutes(CORPUS / "15-agenda-items.txt")
    (unknown,) = [d for d in minutes.doubts if d.kind == "owner unknown"]
    assert any(a.owners == ("XY",) for a in minutes.actions)
    assert "XY" in unknown.message and "XY to provide" in unknown.evidence
    assert unknown.about.startswith("action 04.") and 0 < unknown.confidence < 1


def test_items_without_numbers_are_numbered_in_order_and_the_preview_says_so() -> None:
    minutes = read_minutes(CORPUS / "16-word-unnumbered.docx")
    (numbers,) = [d for d in minutes.doubts if d.kind == "item numbers"]
    assert "01 “Welcome”, 02 “Third party reporting centres”, 03 “Awareness week”" in (
        numbers.message
    )


def test_every_fact_has_its_evidence_and_a_confidence() -> None:
    minutes = read_minutes(CORPUS / "02-email-pasted.txt")
    about = {f.about for f in minutes.facts}
    assert {"meeting date", "attendee", "action", "item number", "next meeting"} <= about
    assert all(f.evidence and 0 < f.confidence <= 1 for f in minutes.facts)
    (held,) = [f for f in minutes.facts if f.about == "meeting date"]
    assert held.evidence == "Tuesday 18 January 2022, 13:30-15:30"


def test_updates_on_earlier_actions_are_never_new_actions() -> None:
    minutes = read_minutes(CORPUS / "15-agenda-items.txt")
    assert not any("clarify" in a.text or "dashboard" in a.text for a in minutes.actions)
    assert [(u.text, u.done) for u in minutes.previous_updates] == [
        ("RHL is to clarify the funding position for the witness care pilot", True),
        ("PG to share the file quality dashboard with members", False),
    ]
    assert minutes.previous_meeting_date == date(2022, 2, 10)


def test_the_notes_taker_and_chair_from_the_attendance_list() -> None:
    minutes = read_minutes(CORPUS / "02-email-pasted.txt")
    assert minutes.notes_taker is not None and minutes.notes_taker.name == "Priya Shah"
    assert minutes.chair is not None and minutes.chair.name == "Tracey Onslow"
    assert minutes.people[-1].attendance == Attendance.APOLOGIES


# --- the import ---------------------------------------------------------------------------------


def _import(runtime: Runtime, path: Path, now: datetime = NOW) -> ImportReport:
    return run_import(runtime, read_minutes(path), now)


def test_initials_written_in_the_attendance_list_are_the_members_initials(
    runtime: Runtime,
) -> None:
    _import(runtime, CORPUS / "15-agenda-items.txt")
    with runtime.sessions() as session:
        board = queries.default_board(session)
        initials = {m.name: m.initials for m in queries.members(session, board)}
    assert initials["Rebecca Harris-Lowe"] == "RHL"  # derived would be "RH"


def test_an_update_that_names_no_meeting_applies_to_the_meeting_before(
    runtime: Runtime, tmp_path: Path
) -> None:
    earlier = tmp_path / "earlier.txt"
    earlier.write_text(
        "Local Criminal Justice Board\nDate: 12 October 2021\n\nPresent:\n"
        "Rebecca Harris-Lowe (RHL) Head of Criminal Justice\n\n1. Witness care\n"
        "Action: RHL is to clarify the funding of the IOM post.\n\n2. Close\nNone.\n",
        encoding="utf-8",
    )
    _import(runtime, earlier, datetime(2021, 10, 13, tzinfo=UTC))
    report = _import(runtime, CORPUS / "08-word-ref-paragraphs.docx")
    with runtime.sessions() as session:
        board = queries.default_board(session)
        meeting = queries.meeting_on(session, board, date(2021, 10, 12))
        assert meeting is not None
        (action,) = meeting.actions
        assert action.status == ActionStatus.DONE
    assert any("open → Complete" in change for change in report.changed)


def test_crb_import_reads_a_pdf_and_its_json_carries_the_doubts(crb) -> None:
    answer = json.loads(
        crb("import", str(CORPUS / "14-two-pages.pdf"), "--dry-run", "--json").stdout
    )
    assert answer["meeting"]["date"] == "2021-11-25"
    assert len(answer["actions"]) == 3
    assert [d["message"] for d in answer["doubts"]] == answer["warnings"]
    assert all({"kind", "about", "evidence", "confidence"} <= d.keys() for d in answer["doubts"])
    assert any(f["about"] == "action" for f in answer["facts"])


def test_an_action_outside_any_item_is_kept_and_its_item_questioned() -> None:
    minutes = parse_text(
        "Crime Reduction Board\nDate: 3rd March 2022\n\nPresent: Claire Richardson (CR)\n\n"
        "Action: CR to book the room for the away day.\n"
    )
    assert [(a.item, a.owners) for a in minutes.actions] == [("00", ("CR",))]
    assert any(d.kind == "item numbers" and "outside any" in d.message for d in minutes.doubts)


STRUCTURE = st.sampled_from(
    [
        "Present:",
        "Apologies:",
        "Rachel Jones (RJ) – ACC",
        "ACC Rachel Jones (RJ)",
        "Priya Shah (minutes)",
        "3. Funding",
        "Item 4 Close",
        "Ref 03/18/01/2022 Data",
        "Action: RJ to write.",
        "Actions:",
        "- DV/KB to nominate leads.",
        "Action: RJ/DB",
        "RHL is to clarify. Update 18.01.22 – Complete",
        "Decision: agreed.",
        "Date: 18 January 2022",
        "Tuesday 18 January 2022, 13:30-15:30",
        "Date of next meeting",
        "12 April 2022",
        "",
        "(",
        "Action –",
        "The paper was noted.",
    ]
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(STRUCTURE, max_size=30))
def test_any_arrangement_of_the_layouts_pieces_is_minutes_or_a_minutes_error(
    pieces: list[str],
) -> None:
    try:
        minutes = parse_text("\n".join(pieces))
    except MinutesError as refused:
        assert refused.message
        return
    assert all(o.isupper() and 2 <= len(o) <= 4 for a in minutes.actions for o in a.owners)
    assert set(minutes.warnings) == {d.message for d in minutes.doubts}


def test_the_upload_preview_carries_each_warning_as_a_doubt(board: Runtime) -> None:
    data = (CORPUS / "10-website-table.html").read_bytes()
    with board.unit(Account.initials("AC", Via.CONSOLE, "test:AC"), NOW) as ctx:
        preview = uploads.dry_run(ctx, "minutes.html", data)
    assert [d.message for d in preview.doubts] == list(preview.warnings)
    (unknown,) = [d for d in preview.doubts if d.kind == "owner unknown" and "not on" in d.message]
    assert "AFS" in unknown.message and unknown.about.startswith("action 02.")


def test_an_email_wrapped_at_72_characters_keeps_each_action_whole() -> None:
    wrapped = (
        "Crime Reduction Board\nDate: 3rd March 2022\n\nPresent: Claire Richardson (CR)\n\n"
        "1. Funding\nThe paper was noted.\n"
        "Action: CR to circulate the needs assessment to all partners and to the\n"
        "district councils by 31 January.\n\n2. Close\nNone.\n"
    )
    (action,) = parse_text(wrapped).actions
    assert action.text == (
        "CR to circulate the needs assessment to all partners and to the district councils by "
        "31 January."
    )


def test_the_house_layouts_warnings_get_kinds_too(runtime: Runtime) -> None:
    sample = (CORPUS / "01-house-table.txt").read_text(encoding="utf-8")
    undated = sample.replace("24 th February 2021, Allsop Rm, Hindlip Hall/Zoom, TBC", "soon")
    report = run_import(runtime, parse_text(undated), NOW)
    assert [d.message for d in report.doubts] == report.warnings
    assert "next meeting" in {d.kind for d in report.doubts}


def test_the_house_layout_records_how_its_facts_were_read_too() -> None:
    minutes = read_minutes(CORPUS / "01-house-table.txt")
    (held,) = [f for f in minutes.facts if f.about == "meeting date"]
    assert (held.value, held.evidence) == ("2020-11-25", "Date: 25th November 2020")
    assert len([f for f in minutes.facts if f.about == "action"]) == 8
    assert len([f for f in minutes.facts if f.about == "attendee"]) == 24
