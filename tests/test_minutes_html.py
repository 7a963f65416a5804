"""Minutes saved as a web page: the same layout as Word, read through the same rules."""

from __future__ import annotations

from datetime import date

import pytest

from bot.demo import sample_text
from handlers.errors import MinutesError
from handlers.minutes.model import Attendance, MinutedAction, Person
from handlers.minutes.read import parse_minutes
from handlers.minutes.text import parse_text
from tests.docx_fixtures import sample_as_html

MERGED = """<html><body><footer>PROTECT – MANAGEMENT</footer>
<h1>West Mercia Crime Reduction Board Minutes</h1>
<p>Date: 24th February 2021</p><p>Venue: Zoom</p>
<p>Chairman: Tracey Onslow, DPCC</p><p>Notes: Priya Shah, OPCC</p>
<table>
<tr><th>Name</th><th>Capacity</th></tr>
<tr><td>Attendees: Claire Richardson</td><td>Commissioning Manager</td></tr>
<tr><td>Apologies: Chris Jensen</td><td>CJS Business Manager</td></tr>
</table>
<table>
<tr><th>No.</th><th>Item.</th><th>Action</th></tr>
<tr><td rowspan="2">03/24/02/21</td><td><p>Action: cr to write.</p></td><td>cr</td></tr>
<tr><td><p>Action: CJ to read.</p><p>Action: both to agree.</p></td><td>CJ<br>CR/cj</td></tr>
<tr><td colspan="3">Closed Session</td></tr>
<tr><td>04/24/02/21</td><td colspan="2"><u>Date of Next Meeting.</u> 26th May 2021, Zoom</td></tr>
</table></body></html>"""


def test_the_sample_as_a_web_page_reads_exactly_as_the_text() -> None:
    assert parse_minutes("minutes.html", sample_as_html().encode()) == parse_text(sample_text())


def test_rowspan_colspan_and_line_breaks() -> None:
    minutes = parse_minutes("minutes.htm", MERGED.encode())
    assert minutes.meeting_date == date(2021, 2, 24)
    assert minutes.protective_marking == "PROTECT – MANAGEMENT"
    assert minutes.board_name == "West Mercia Crime Reduction Board"
    assert minutes.notes_taker == Person("Priya Shah", "OPCC", Attendance.NOT_LISTED)
    assert minutes.people == (
        Person("Claire Richardson", "Commissioning Manager"),
        Person("Chris Jensen", "CJS Business Manager", Attendance.APOLOGIES),
    )
    assert minutes.actions == (
        MinutedAction("03", "cr to write.", ("CR",)),
        MinutedAction("03", "CJ to read.", ("CJ",)),
        MinutedAction("03", "both to agree.", ("CR", "CJ")),
    )
    assert minutes.next_meeting is not None and minutes.next_meeting.date == date(2021, 5, 26)
    assert minutes.warnings == ()


@pytest.mark.parametrize("page", ["", "   ", "<html><body><p>Hello</p></body></html>"])
def test_a_page_that_is_not_minutes_is_refused(page: str) -> None:
    with pytest.raises(MinutesError):
        parse_minutes("minutes.html", page.encode())
