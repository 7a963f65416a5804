"""Reading the plain-text minutes: the real sample, field by field, and its damaged variants."""

from __future__ import annotations

import contextlib
from datetime import date, time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.errors import MinutesError
from handlers.minutes.html_fragments import Paragraph, paragraphs
from handlers.minutes.model import (
    ActionUpdate,
    Attendance,
    MinutedAction,
    Minutes,
    NextMeeting,
    Person,
)
from handlers.minutes.text import parse_text, read_date, take_time

SAMPLES = Path(__file__).parent.parent / "bot" / "samples"
SAMPLE = (SAMPLES / "crb-minutes-2020-11-25.txt").read_text(encoding="utf-8")

A, P = Attendance.APOLOGIES, Attendance.PRESENT

PEOPLE = (
    Person("Andy Champness", "Chair, CEO West Mercia OPCC", P),
    Person("Julian Moss", "DCC West Mercia Police", P),
    Person("Chris Jensen", "CJS Business Manager, West Mercia OPCC", P),
    Person("Tracey Onslow", "DPCC, West Mercia OPCC", P),
    Person("Claire Richardson", "Commissioning Manager, OPCC", P),
    Person("Deb Rood", "Commissioning Officer, OPCC", P),
    Person("Bev Houghton", "NWCSP Manager", P),
    Person("Tim Rice", "Snr PH Practitioner, WCC", P),
    Person("Dal Veysey", "Director of Justice, CRC", P),
    Person("Keith Barham", "Head of Service, WMYJS", P),
    Person("Jackie Stevenson", "Head of NPS, West Mercia", P),
    Person("Ivan Powell", "Independent Chair CSP Shropshire", P),
    Person("Warwick Neale", "Worcestershire City Council", P),
    Person("Julia Watson", "ASI, West Mercia Police", P),
    Person("Dean Jones", "DCI C&V Investigations, WMP", P),
    Person("Damian Pettit", "DS C&V & Safeguarding, West Mercia Police", P),
    Person("Steven Gabriel", "Wychavon and MHDC", P),
    Person("Jim Baker", "Supt, WMP", P),
    Person("Lloyd Griffiths", "WCC", A),
    Person("Mo Lansdale", "Supt, Shropshire, West Mercia Police", A),
    Person("Stephen Berry", "Herefordshire County Council", A),
    Person("Sue Hanley", "NWCSP", A),
    Person("Adrian Turton", "Herefordshire CSP", A),
    Person("Mark Loader", "Supt C&V Investigations, WMP", A),
)

ACTIONS = (
    MinutedAction(
        "04", "CR to co-ordinate discussion of application of the CLIMB project with IP.", ("CR",)
    ),
    MinutedAction(
        "04",
        "DP will circulate a previous draft paper for comment. A proposal for who will undertake "
        "the review is to be provided to the next meeting.",
        ("DP",),
    ),
    MinutedAction(
        "04", "CR to send the Covid 19 DA funding recipients list with the Board.", ("CR",)
    ),
    MinutedAction("04", "the PCP panel report is to be shared with the Board.", ("CJ",)),
    MinutedAction("05", "recidivist IOM data will be brought to the next meeting", ("RT",)),
    MinutedAction(
        "05",
        "The statistics supporting the report are to be circulated with the minutes.",
        ("DP", "RT"),
    ),
    MinutedAction("06", "SG to coordinate support for developing the application", ("SG",)),
    MinutedAction("06", "JS is to send SG contact details for Dave Cookson.", ("JS",)),
)

UPDATES = (
    ActionUpdate("a", "Refresh terms of reference for the CRB", "Complete", True, "agenda item 3"),
    ActionUpdate(
        "b", "Update group on production cycle of SOC information", "Complete", True, "Sean Paley"
    ),
    ActionUpdate(
        "c",
        "Finalise high level review of IOM and report back to the CRB",
        "Complete",
        True,
        "agenda item 5",
    ),
    ActionUpdate(
        "d",
        "Carry out review of Reducing Reoffending Governance arrangements",
        "Complete",
        True,
        "agenda item 5",
    ),
    ActionUpdate(
        "e",
        "Review how JSNAs should inform the work of the CRB",
        "Complete",
        True,
        "Andy Champness",
        "The Safeguarding Boards’ work is looking at the governance of prevention. JSNAs will "
        "inform this. CSPs data analysis provision is being reviewed - how analytical products "
        "and profiles can be better used and streamlined.",
    ),
)


def edited(old: str, new: str, text: str = SAMPLE) -> str:
    """The sample with one exact, unique passage replaced: fails loudly if the sample moved."""
    assert text.count(old) == 1, f"expected exactly one {old!r} in the sample"
    return text.replace(old, new)


@pytest.fixture(scope="module")
def minutes() -> Minutes:
    return parse_text(SAMPLE)


# --- the sample, field by field -----------------------------------------------------------------


def test_the_meeting_itself(minutes: Minutes) -> None:
    assert minutes.meeting_date == date(2020, 11, 25)
    assert minutes.meeting_time is None
    assert minutes.venue == "Zoom"
    assert minutes.board_name == "West Mercia Crime Reduction Board"
    assert minutes.protective_marking == "PROTECT – MANAGEMENT"


def test_the_chair_and_notes_taker(minutes: Minutes) -> None:
    assert minutes.chair == Person("Andy Champness", "CEO West Mercia OPCC", P)
    assert minutes.notes_taker == Person("Rachael Thorold", "OPCC", Attendance.NOT_LISTED)


def test_attendees_then_apologies_in_document_order(minutes: Minutes) -> None:
    assert minutes.people == PEOPLE
    assert [p.attendance for p in minutes.people].count(P) == 18


def test_the_eight_actions_in_document_order(minutes: Minutes) -> None:
    assert minutes.actions == ACTIONS


def test_the_previous_meetings_actions(minutes: Minutes) -> None:
    assert minutes.previous_meeting_date == date(2020, 6, 24)
    assert minutes.previous_updates == UPDATES


def test_the_next_meeting(minutes: Minutes) -> None:
    assert minutes.next_meeting == NextMeeting(
        date(2021, 2, 24), None, "Allsop Rm, Hindlip Hall/Zoom", True
    )


def test_the_sample_is_clean(minutes: Minutes) -> None:
    assert minutes.warnings == ()


def test_crlf_line_endings_change_nothing(minutes: Minutes) -> None:
    assert parse_text(SAMPLE.replace("\n", "\r\n")) == minutes
    assert parse_text("\ufeff" + SAMPLE) == minutes


# --- the Action column --------------------------------------------------------------------------


def test_an_action_with_an_empty_action_cell_has_no_owner_and_a_warning() -> None:
    got = parse_text(edited("\t<p>RT</p>\n", "\t\n"))
    recidivist = got.actions[4]
    assert recidivist == MinutedAction(
        "05", "recidivist IOM data will be brought to the next meeting", ()
    )
    assert len(got.warnings) == 1
    assert "Item 05" in got.warnings[0] and "no owner" in got.warnings[0]
    assert got.actions[:4] == ACTIONS[:4] and got.actions[5:] == ACTIONS[5:]


def test_lower_case_initials_are_upper_cased() -> None:
    got = parse_text(edited("<p>CR</p> <p>DP</p>", "<p>cr</p> <p>dp</p>"))
    assert got.actions == ACTIONS
    assert got.warnings == ()


@pytest.mark.parametrize("joint", ["DP / RT", "DP, RT", "DP & RT", "DP and RT", "dp/rt"])
def test_joint_owners(joint: str) -> None:
    got = parse_text(edited("\tDP/RT\n", f"\t{joint}\n"))
    assert got.actions[5].owners == ("DP", "RT")
    assert got.warnings == ()


def test_more_owners_than_actions_warns_and_ignores_the_extra() -> None:
    got = parse_text(edited("<p>SG</p> <p>JS</p>", "<p>SG</p> <p>JS</p> <p>TO</p>"))
    assert got.actions == ACTIONS
    assert len(got.warnings) == 1
    assert "Item 06" in got.warnings[0] and "TO" in got.warnings[0]


def test_more_actions_than_owners_keeps_the_action_without_an_owner() -> None:
    extra = "<p>Action: TO to write to the Home Office.</p>\t<p>SG</p> <p>JS</p>"
    got = parse_text(edited("\t<p>SG</p> <p>JS</p>", extra))
    assert got.actions[-1] == MinutedAction("06", "TO to write to the Home Office.", ())
    assert got.actions[:-1] == ACTIONS
    assert len(got.warnings) == 1 and "Home Office" in got.warnings[0]


def test_an_owner_that_is_not_initials_is_refused_with_a_warning() -> None:
    got = parse_text(edited("<p>SG</p> <p>JS</p>", "<p>SG</p> <p>Everyone</p>"))
    assert got.actions[-1].owners == ()
    assert len(got.warnings) == 1 and "Everyone" in got.warnings[0]


def test_initials_on_one_line_separated_by_spaces_are_one_per_action() -> None:
    got = parse_text(edited("<p>SG</p> <p>JS</p>", "SG JS"))
    assert got.actions == ACTIONS
    assert got.warnings == ()


# --- the previous meeting's actions -------------------------------------------------------------


def test_statuses_that_say_not_done() -> None:
    text = edited("Sean Paley – Complete", "Sean Paley – Ongoing")
    text = edited(
        "review of IOM and report back to the CRB – agenda item 5 – Complete",
        ("review of IOM and report back to the CRB – agenda item 5 – In progress"),
        text,
    )
    got = parse_text(text)
    assert got.previous_updates[1] == ActionUpdate(
        "b", "Update group on production cycle of SOC information", "Ongoing", False, "Sean Paley"
    )
    assert (got.previous_updates[2].status, got.previous_updates[2].done) == ("In progress", False)
    assert got.warnings == ()


def test_a_status_with_an_agenda_item_is_kept_as_written() -> None:
    got = parse_text(edited("Sean Paley – Complete", "Sean Paley – Completed, agenda item 5"))
    assert got.previous_updates[1].status == "Completed, agenda item 5"
    assert got.previous_updates[1].done is True


def test_an_unknown_status_is_not_done_and_warned_about() -> None:
    got = parse_text(edited("Sean Paley – Complete", "Sean Paley – Deferred"))
    assert got.previous_updates[1] == ActionUpdate(
        "b", "Update group on production cycle of SOC information", "Deferred", False, "Sean Paley"
    )
    assert len(got.warnings) == 1 and "Deferred" in got.warnings[0]


# --- dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize("written", ["sometime in the spring", "February", "24 th February"])
def test_an_unreadable_next_meeting_date_warns_and_records_none(written: str) -> None:
    got = parse_text(edited("24 th February 2021", written))
    assert got.next_meeting is None
    assert len(got.warnings) == 1 and "next meeting" in got.warnings[0]


def test_a_next_meeting_to_be_confirmed_warns_and_records_none() -> None:
    got = parse_text(edited("24 th February 2021, Allsop Rm, Hindlip Hall/Zoom, TBC", "TBC"))
    assert got.next_meeting is None
    assert got.warnings == (
        "The next meeting's date is still to be confirmed, so no next meeting was recorded.",
    )


def test_a_next_meeting_with_a_time_and_no_tbc() -> None:
    written = "24 th February 2021, Allsop Rm, Hindlip Hall/Zoom, TBC"
    got = parse_text(edited(written, "24/02/2021, 10.30am, Zoom"))
    assert got.next_meeting == NextMeeting(date(2021, 2, 24), time(10, 30), "Zoom", False)


def test_an_unreadable_meeting_date_falls_back_to_the_item_numbers_with_warnings() -> None:
    got = parse_text(edited("Date: 25th November 2020", "Date: the Wednesday before last"))
    assert got.meeting_date == date(2020, 11, 25)
    assert len(got.warnings) == 2
    assert "the Wednesday before last" in got.warnings[0]
    assert "item numbers" in got.warnings[1]


def test_a_meeting_date_that_disagrees_with_the_item_numbers_is_warned_about() -> None:
    got = parse_text(edited("Date: 25th November 2020", "Date: 26th November 2020"))
    assert got.meeting_date == date(2020, 11, 26)
    assert len(got.warnings) == 1 and "25 November 2020" in got.warnings[0]


def test_a_meeting_time() -> None:
    got = parse_text(edited("Venue: Zoom", "Venue: Zoom\n\nTime: 14:00 - 16:00"))
    assert got.meeting_time == time(14, 0)
    assert got.warnings == ()


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("25th November 2020", date(2020, 11, 25)),
        ("24 th February 2021", date(2021, 2, 24)),
        ("the 24th June 2020", date(2020, 6, 24)),
        ("04/02/2021", date(2021, 2, 4)),
        ("Wednesday 24 February 2021", date(2021, 2, 24)),
        ("24 February", None),
        ("February 2021", None),
        ("Zoom", None),
        ("", None),
    ],
)
def test_read_date(written: str, expected: date | None) -> None:
    assert read_date(written) == expected


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("10am", time(10, 0)),
        ("at 2.30 p.m.", time(14, 30)),
        ("14:00-16:00", time(14, 0)),
        ("24.02.2021", None),
        ("13pm", None),
    ],
)
def test_take_time(written: str, expected: time | None) -> None:
    assert take_time(written)[0] == expected


# --- not minutes at all -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t\r\n",
        "PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00",
        "Dear all,\nPlease find attached the agenda for next week.\nThanks",
        (SAMPLES / "crb-terms-of-reference.txt").read_text(encoding="utf-8"),
    ],
    ids=["empty", "blank", "binary", "a letter", "terms of reference"],
)
def test_what_is_not_minutes_is_refused(text: str) -> None:
    with pytest.raises(MinutesError) as raised:
        parse_text(text)
    assert raised.value.message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_any_text_is_minutes_or_a_minutes_error(text: str) -> None:
    with contextlib.suppress(MinutesError):
        assert isinstance(parse_text(text), Minutes)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(0, len(SAMPLE)),
    st.integers(0, 400),
    st.text(alphabet=st.sampled_from("\t\n <>/p-–:.,ACDPRTa0124ul"), max_size=40),
)
def test_a_damaged_sample_is_minutes_or_a_minutes_error(at: int, cut: int, patch: str) -> None:
    try:
        got = parse_text(SAMPLE[:at] + patch + SAMPLE[at + cut :])
    except MinutesError:
        return
    assert all(isinstance(w, str) and w for w in got.warnings)
    assert all(o.isupper() for action in got.actions for o in action.owners)


# --- HTML-ish cell fragments --------------------------------------------------------------------


def test_fragments_split_inline_bullets_only_after_a_sentence() -> None:
    cell = '<p><u>Heading.</u></p> <ul style="x"> - One. - Two - still two. <p>After</p>'
    assert paragraphs(cell) == [
        Paragraph("Heading.", heading=True),
        Paragraph("One.", bullet=True),
        Paragraph("Two - still two.", bullet=True),
        Paragraph("After"),
    ]


def test_fragments_of_plain_text_and_entities() -> None:
    assert paragraphs("- The PCC Victim Strategy &amp; more.") == [
        Paragraph("The PCC Victim Strategy & more.", bullet=True)
    ]
    assert paragraphs("DP/RT") == [Paragraph("DP/RT")]
    assert paragraphs("<ul><li>a</li><li>b<br>c</li></ul>") == [
        Paragraph("a", bullet=True),
        Paragraph("b", bullet=True),
        Paragraph("c", bullet=True),
    ]
    assert paragraphs("   ") == []


def test_deeply_nested_unclosed_lists_do_not_recurse() -> None:
    assert paragraphs("<ul> - x." * 3000)[-1] == Paragraph("x.", bullet=True)


def test_items_after_a_closed_session_line_are_closed_session_until_an_open_one() -> None:
    text = edited("06/25/11/20\t", "Closed Session\n06/25/11/20\t")
    text = edited("07/25/11/20\t", "Open Session\n07/25/11/20\t", text)
    closed = [(a.item, a.closed_session) for a in parse_text(text).actions]
    assert closed == [("04", False)] * 4 + [("05", False)] * 2 + [("06", True)] * 2
    assert parse_text(text).warnings == ()
