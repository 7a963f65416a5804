"""The "Actions from the previous meeting" paper, and the meetings as a calendar.

:func:`build_paper` is platform-neutral: it decides which actions the paper covers and how each
line reads. The renderers turn it into Markdown, CSV, or a Word document laid out like the
minutes; :func:`meetings_calendar` gives the meetings as an iCalendar feed.

The paper is for the next meeting. It covers the last meeting held: every action that was open
when that meeting started (raised before it and not closed before its start), and every action
raised at it, lettered a., b., c. in minutes order, as the board's own item 02 is:
"a. Refresh terms of reference for the CRB – agenda item 3 – Complete".
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import docx
import icalendar
from docx.shared import Pt
from sqlalchemy import select

from db import queries
from db.models import (
    Action,
    ActionStatus,
    AuditEvent,
    Board,
    EventKind,
    Meeting,
    MeetingStatus,
)
from handlers.context import Ctx
from handlers.errors import UserError
from handlers.marking import board_marking
from handlers.meetings import NextMeeting, next_meeting
from handlers.minutes.importer import without_owner_opening
from handlers.refs import format_ref
from planning.calendar import local_date, meeting_start, zone

COMPLETE, ONGOING = "Complete", "Ongoing"
# An update that only restates a status adds nothing after the status itself.
_BARE_STATUS = re.compile(
    r"^\s*(?:complete|completed|ongoing|on-going|open|in progress)\.?\s*$", re.I
)
MEETING_LENGTH = timedelta(hours=2)  # the calendar's guess when the minutes give no end time
FORMATS = ("md", "csv", "docx", "ics")


@dataclass(frozen=True)
class PaperLine:
    """One action as the paper reads it."""

    letter: str  # "a", "b", ... "z", "aa"
    ref: str  # "04-CR"
    item: str
    raised: date  # the meeting that raised it
    text: str  # restated without its owner's initials: "Co-ordinate discussion of ..."
    owner_names: tuple[str, ...]
    owner_initials: tuple[str, ...]
    status: str  # "Complete" | "Ongoing"
    completed: date | None
    update: str | None  # the latest update, when it says more than the status
    rag: str | None
    updated: date | None
    closed_session: bool = False

    @property
    def owners(self) -> str:
        if not self.owner_names:
            return "owner to be confirmed"
        if len(self.owner_names) == 1:
            return self.owner_names[0]
        return ", ".join(self.owner_names[:-1]) + " and " + self.owner_names[-1]

    @property
    def state(self) -> str:
        """ "Complete, 1 December 2020" or "Ongoing, amber - waiting on the data (10 Feb ...)"."""
        if self.status == COMPLETE:
            said = f"{COMPLETE}, {long_day(self.completed)}" if self.completed else COMPLETE
            return f"{said} - {self.update}" if self.update else said
        said = f"{ONGOING}, {self.rag}" if self.rag else ONGOING
        if not self.update:
            return f"{said} - no update received"
        when = f" (updated {long_day(self.updated)})" if self.updated else ""
        return f"{said} - {self.update}{when}"

    def sentence(self) -> str:
        """The line as the secretariat writes it, without its letter."""
        return f"{self.text} – {self.owners} – {self.state}"


@dataclass(frozen=True)
class Paper:
    board_name: str
    meeting: date  # the last meeting held: the paper reports on its actions
    next_meeting: NextMeeting | None
    protective_marking: str | None
    lines: tuple[PaperLine, ...]

    @property
    def title(self) -> str:
        return f"Actions from the meeting held on {long_day(self.meeting)}"

    @property
    def summary(self) -> str:
        done = sum(1 for line in self.lines if line.status == COMPLETE)
        ongoing = len(self.lines) - done
        return (
            f"{len(self.lines)} action{'s' if len(self.lines) != 1 else ''}: {done} complete, "
            f"{ongoing} ongoing."
        )

    @property
    def for_meeting(self) -> str | None:
        return f"For the meeting on {self.next_meeting.describe()}." if self.next_meeting else None


def long_day(day: date | None) -> str:
    return f"{day.day} {day:%B %Y}" if day else ""


def letter(index: int) -> str:
    """0 -> "a", 25 -> "z", 26 -> "aa": the board's lettering, past z if need be."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


# --- which actions, and how each reads ----------------------------------------------------------


def last_meeting(ctx: Ctx) -> Meeting:
    """The most recent meeting, not cancelled, that had started by now."""
    today = local_date(ctx.now, ctx.board.timezone)
    started = [
        m
        for m in queries.meetings(ctx.session, ctx.board)
        if m.date <= today
        and m.status != MeetingStatus.CANCELLED
        and _start(ctx.board, m) <= ctx.now
    ]
    if not started:
        raise UserError(
            "No meeting has been held yet, so there is no paper to write. "
            "Import the minutes first: crb import minutes.docx"
        )
    return started[-1]


def _start(board: Board, meeting: Meeting) -> datetime:
    return meeting_start(meeting.date, meeting.time or board.meeting_time, board.timezone)


def paper_actions(ctx: Ctx, meeting: Meeting) -> list[Action]:
    """Open when ``meeting`` started, or raised at it: in minutes order, oldest meeting first."""
    start = _start(ctx.board, meeting)
    return [
        action
        for action in queries.actions(ctx.session, ctx.board)
        if action.meeting.date == meeting.date
        or (
            action.meeting.date < meeting.date
            and (action.status == ActionStatus.OPEN or (action.done_at or start) >= start)
        )
    ]


def build_paper(ctx: Ctx) -> Paper:
    meeting = last_meeting(ctx)
    # Closed-session actions come last, under their own heading, so that part can be kept back
    # when the paper is published; the letters run on in the order the paper shows them.
    actions = sorted(paper_actions(ctx, meeting), key=lambda action: action.closed_session)
    updates = latest_said(ctx, [a.id for a in actions])
    lines = tuple(
        _line(ctx.board, n, action, updates.get(action.id)) for n, action in enumerate(actions)
    )
    return Paper(
        board_name=ctx.board.name,
        meeting=meeting.date,
        next_meeting=next_meeting(ctx.session, ctx.board, ctx.now),
        protective_marking=board_marking(ctx.session, ctx.board),
        lines=lines,
    )


def latest_said(ctx: Ctx, action_ids: Sequence[int]) -> dict[int, AuditEvent]:
    """Each action's latest update that says something: one that only restates a status, as
    an imported "Ongoing" does, doesn't hide the owner's own words before it."""
    if not action_ids:
        return {}
    events = ctx.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.action_id.in_(action_ids),
            AuditEvent.kind.in_([EventKind.NOTE, EventKind.DONE]),
            AuditEvent.note.is_not(None),
        )
        .order_by(AuditEvent.id)
    )
    said: dict[int, AuditEvent] = {}
    for event in events:
        if event.action_id is not None and not _BARE_STATUS.match(event.note or ""):
            said[event.action_id] = event
    return said


def _line(board: Board, index: int, action: Action, update: AuditEvent | None) -> PaperLine:
    done = action.status == ActionStatus.DONE
    if done and update is not None and action.done_at and update.at < action.done_at:
        update = None  # written while it was open: the completion has overtaken it
    # One line each: a note typed over several lines in chat is joined up.
    said = " ".join(update.note.split()) if update and update.note else None
    return PaperLine(
        letter=letter(index),
        ref=format_ref(action.item, action.owner_initials),
        item=action.item,
        raised=action.meeting.date,
        text=restate(action.text, action.owner_initials),
        owner_names=tuple(o.name for o in action.owners),
        owner_initials=tuple(action.owner_initials),
        status=COMPLETE if done else ONGOING,
        completed=local_date(action.done_at, board.timezone) if done and action.done_at else None,
        update=_sentence_case(said.strip().rstrip(".")) if said else None,
        rag=str(update.rag) if update and update.rag and not done else None,
        updated=local_date(update.at, board.timezone) if update and said else None,
        closed_session=action.closed_session,
    )


def restate(text: str, owners: Sequence[str]) -> str:
    """ "CR to co-ordinate discussion ..." -> "Co-ordinate discussion ...": the owner is named
    on the line already, so the initials that open the sentence go, and so does its full stop."""
    return _sentence_case(without_owner_opening(text, owners).strip().rstrip("."))


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- renderers ----------------------------------------------------------------------------------


def render_markdown(paper: Paper) -> str:
    out: list[str] = []
    if paper.protective_marking:
        out += [f"**{paper.protective_marking}**", ""]
    out += [f"# {paper.board_name}", "", f"## {paper.title}", ""]
    if paper.for_meeting:
        out += [paper.for_meeting, ""]
    if not paper.lines:
        out += ["No actions were open at that meeting or raised at it.", ""]
    for line in paper.lines:
        if _starts_closed_session(paper.lines, line):
            out += ["", f"### {CLOSED_SESSION}", ""]
        out.append(f"{line.letter}. {_md_escape(line.sentence())}  ")
    if paper.lines:
        out += ["", f"_{paper.summary}_"]
    if paper.protective_marking:
        out += ["", f"**{paper.protective_marking}**"]
    return "\n".join(out) + "\n"


CLOSED_SESSION = "Closed session"


def _starts_closed_session(lines: Sequence[PaperLine], line: PaperLine) -> bool:
    return line.closed_session and next(x for x in lines if x.closed_session) is line


def _md_escape(text: str) -> str:
    # Text typed by members must not turn into Markdown formatting or links.
    return re.sub(r"([\\`*_{}\[\]<>#|])", r"\\\1", text)


CSV_COLUMNS = (
    "letter",
    "ref",
    "item",
    "raised",
    "action",
    "owners",
    "owner_initials",
    "status",
    "completed",
    "rag",
    "latest_update",
    "updated",
    "closed_session",
)


def render_csv(paper: Paper) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for line in paper.lines:
        writer.writerow(
            _csv_safe(cell)
            for cell in (
                line.letter,
                line.ref,
                line.item,
                line.raised.isoformat(),
                line.text,
                "; ".join(line.owner_names),
                "/".join(line.owner_initials),
                line.status,
                line.completed.isoformat() if line.completed else "",
                line.rag or "",
                line.update or "",
                line.updated.isoformat() if line.updated else "",
                "yes" if line.closed_session else "no",
            )
        )
    return buffer.getvalue()


def _csv_safe(cell: str) -> str:
    # A cell starting "=", "+", "-" or "@" is a formula to a spreadsheet: never run member text.
    return f"'{cell}" if cell[:1] in ("=", "+", "-", "@") else cell


def render_docx(paper: Paper) -> bytes:
    """A Word document laid out like the minutes: marked header and footer, a No. | Item. |
    Action table, underlined sub-heading."""
    document = docx.Document()
    style = document.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(11)
    if paper.protective_marking:
        section = document.sections[0]
        section.header.paragraphs[0].text = paper.protective_marking
        section.footer.paragraphs[0].text = paper.protective_marking
    document.add_paragraph().add_run(paper.board_name).bold = True
    if paper.for_meeting:
        document.add_paragraph(paper.for_meeting)
    table = document.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    for cell, heading in zip(table.rows[0].cells, ("No.", "Item.", "Action"), strict=True):
        cell.paragraphs[0].add_run(heading).bold = True
    row = table.add_row().cells
    row[1].paragraphs[0].add_run(f"{paper.title}.").underline = True
    if not paper.lines:
        row[1].add_paragraph("No actions were open at that meeting or raised at it.")
    for line in paper.lines:
        if _starts_closed_session(paper.lines, line):
            table.add_row().cells[1].paragraphs[0].add_run(f"{CLOSED_SESSION}.").underline = True
        cells = table.add_row().cells
        cells[0].text = f"{line.letter}."
        cells[1].text = line.sentence()
        cells[2].text = "/".join(line.owner_initials)
    if paper.lines:
        document.add_paragraph(paper.summary)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def render_paper(paper: Paper, fmt: str) -> str | bytes:
    if fmt == "md":
        return render_markdown(paper)
    if fmt == "csv":
        return render_csv(paper)
    if fmt == "docx":
        return render_docx(paper)
    raise UserError(f"I can't write the paper as {fmt}: choose md, csv or docx.")


# --- the meetings as a calendar -----------------------------------------------------------------

_ICS_STATUS = {
    MeetingStatus.CANCELLED: "CANCELLED",
    MeetingStatus.TENTATIVE: "TENTATIVE",
    MeetingStatus.SCHEDULED: "CONFIRMED",
    MeetingStatus.HELD: "CONFIRMED",
}


def meetings_calendar(ctx: Ctx) -> bytes:
    """Every recorded meeting as an iCalendar feed, in the board's time zone.

    Each meeting keeps the same UID across exports (its board and date), so a calendar that
    subscribes updates the event instead of adding another. A meeting with no known start time is
    an all-day event. No action text goes in: the feed may be shared more widely than the board.
    """
    tz = zone(ctx.board.timezone)
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//crb-bot//Board meetings//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"{ctx.board.name} meetings")
    calendar.add("x-wr-timezone", ctx.board.timezone)
    for meeting in queries.meetings(ctx.session, ctx.board):
        calendar.add_component(_event(ctx, meeting, tz))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _event(ctx: Ctx, meeting: Meeting, tz: object) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", f"meeting-{meeting.date.isoformat()}-board-{ctx.board.id}@crb-bot")
    event.add("dtstamp", ctx.now.astimezone(UTC))
    summary = f"{ctx.board.name} meeting"
    if meeting.status == MeetingStatus.TENTATIVE:
        summary += " (to be confirmed)"
    event.add("summary", summary)
    start_time: time | None = meeting.time or ctx.board.meeting_time
    if start_time is None:
        event.add("dtstart", meeting.date)
        event.add("dtend", meeting.date + timedelta(days=1))
    else:
        start = datetime.combine(meeting.date, start_time, tzinfo=tz)  # type: ignore[arg-type]
        event.add("dtstart", start)
        event.add("dtend", start + MEETING_LENGTH)
    if meeting.venue:
        event.add("location", meeting.venue)
    event.add("status", _ICS_STATUS.get(MeetingStatus(meeting.status), "CONFIRMED"))
    if board_marking(ctx.session, ctx.board):
        event.add("class", "PRIVATE")
    return event


def render(ctx: Ctx, fmt: str) -> str | bytes:
    """The export in ``fmt``: the paper as md, csv or docx, or the meetings as ics."""
    if fmt not in FORMATS:
        raise UserError(f"I can't export {fmt}: choose one of {', '.join(FORMATS)}.")
    if fmt == "ics":
        return meetings_calendar(ctx)
    return render_paper(build_paper(ctx), fmt)
