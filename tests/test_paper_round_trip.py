"""The paper pasted into the next minutes and imported, twice: in Word, then as text (issue 15).

Nothing is doubled, no filler is stored, and every status and update reads as it should."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.runtime import Runtime
from db import queries
from db.models import AuditEvent, EventKind
from handlers.context import Caller
from handlers.export import Paper, build_paper, render
from handlers.identity import Via
from handlers.minutes.read import parse_minutes
from handlers.minutes.text import parse_text
from handlers.updates import is_bare_status
from tests.conftest import run_import, say
from tests.docx_fixtures import later_minutes, to_bytes
from tests.paper_harness import at, next_minutes_docx, next_minutes_text, work_on_the_actions

FEBRUARY_PAPER = datetime(2021, 2, 10, 9, 0, tzinfo=UTC)
MAY_PAPER = datetime(2021, 5, 20, 9, 0, tzinfo=UTC)
JUNE_PAPER = datetime(2021, 6, 10, 9, 0, tzinfo=UTC)


def paper(board: Runtime, now: datetime) -> Paper:
    with board.unit(Caller(None, "cli", Via.CLI), now) as ctx:
        return build_paper(ctx)


def word_paper(board: Runtime, now: datetime) -> bytes:
    with board.unit(Caller(None, "cli", Via.CLI), now) as ctx:
        document = render(ctx, "docx")
    assert isinstance(document, bytes)
    return document


def states(found: Paper) -> dict[str, str]:
    return {line.unique_ref: line.state for line in found.lines}


def notes(board: Runtime) -> list[AuditEvent]:
    with board.sessions() as session:
        board_id = queries.default_board(session).id
        return list(
            session.query(AuditEvent)
            .filter_by(board_id=board_id, kind=EventKind.NOTE)
            .order_by(AuditEvent.id)
        )


def test_the_paper_survives_the_round_trip_through_word_then_text(board: Runtime) -> None:
    work_on_the_actions(board)
    say(board, "JS", "done 06-JS contact details sent", at(5, 12))
    say(board, "JS", "reopen 06-JS not actually sent", at(6, 12))

    # February: the paper's row pasted into the Word minutes; at the meeting the secretariat
    # records that the PCP report was shared, and what RT said about the IOM data.
    february = next_minutes_docx(
        word_paper(board, FEBRUARY_PAPER),
        "24th February 2021",
        "26th May 2021",
        edits={
            "d.": "d. The PCP panel report is to be shared with the Board – Chris Jensen – "
            "Complete - Shared on 20 February",
            "e.": "e. Recidivist IOM data will be brought to the next meeting – Rachael Thorold "
            "– Ongoing - Data requested from NPS",
        },
    )
    report = run_import(board, parse_minutes("feb.docx", february), at(25, 2, 2021))
    assert [w for w in report.warnings if "matched no action" in w or "Could not" in w] == []
    after_february = {  # 04-CR.2, closed before February, is still one of the two 04-CR actions
        "04-CR.1": "Ongoing, amber - Date agreed with IP for January (updated 3 December 2020)",
        "04-DP": "Ongoing, red - Waiting on comments from two CSPs (updated 12 January 2021)",
        "04-CJ": "Complete, 24 February 2021 - Shared on 20 February",
        "05-RT": "Ongoing - Data requested from NPS (updated 24 February 2021)",
        "05-DP/RT": "Ongoing, green - Statistics circulated with the draft minutes (updated 1 "
        "February 2021)",
        "06-JS": "Ongoing - Not actually sent (updated 6 December 2020)",
    }
    assert states(paper(board, at(10, 3, 2021))) == after_february

    # Between the meetings DP writes an update; May's minutes are the plain-text layout, and
    # the meeting closes 04-CR.1.
    say(board, "DP", "note 04-DP comments received from one CSP", at(10, 3, 2021))
    may = next_minutes_text(
        word_paper(board, MAY_PAPER),
        "26th May 2021",
        "25th August 2021",
        edits={
            "a.": "a. Co-ordinate discussion of application of the CLIMB project with IP – Claire "
            "Richardson – Complete",
        },
    )
    report = run_import(board, parse_text(may), at(27, 5, 2021))
    assert [w for w in report.warnings if "matched no action" in w or "Could not" in w] == []
    after_may = {
        "04-CR.1": "Complete, 26 May 2021",
        "04-DP": "Ongoing - Comments received from one CSP (updated 10 March 2021)",
        "05-RT": after_february["05-RT"],
        "05-DP/RT": after_february["05-DP/RT"],
        "06-JS": after_february["06-JS"],
    }
    assert states(paper(board, JUNE_PAPER)) == after_may

    stored = notes(board)
    assert not [n.note for n in stored if "no update" in (n.note or "").lower()]
    assert not [n.note for n in stored if "(updated" in (n.note or "")]
    words = [(n.action_id, " ".join(n.note.casefold().split())) for n in stored if n.note]
    said = [each for each in words if not is_bare_status(each[1])]
    assert len(said) == len(set(said)), "an update was stored twice"


def test_closed_session_lines_are_read_back_from_their_own_rows(board: Runtime) -> None:
    run_import(board, parse_minutes("feb.docx", to_bytes(later_minutes())), at(25, 2, 2021))
    march = word_paper(board, at(10, 3, 2021))
    closed = [line for line in paper(board, at(10, 3, 2021)).lines if line.closed_session]
    assert [line.letter for line in closed] == ["l", "m"]
    may = next_minutes_docx(
        march,
        "26th May 2021",
        "25th August 2021",
        edits={"l.": f"l. {closed[0].text} – {closed[0].owners} – Complete - Shared in April"},
    )
    report = run_import(board, parse_minutes("may.docx", may), at(27, 5, 2021))
    assert not [w for w in report.warnings if "matched no action" in w or "Could not" in w]
    after = {line.text: line.state for line in paper(board, JUNE_PAPER).lines}
    assert after[closed[0].text] == "Complete, 26 May 2021 - Shared in April"
    assert after[closed[1].text] == "Ongoing - no update received"
