"""The "Actions from the previous meeting" paper, and the export of it or of the meetings.

:func:`build_paper` is platform-neutral: it decides which actions the paper covers and how each
line reads, as things stood at ``ctx.now`` (``crb export --at`` replays the audit trail). The
renderers turn it into Markdown, CSV, or a Word document laid out like the minutes
(:mod:`handlers.paper_docx`); :mod:`handlers.calendar_feed` gives the meetings as iCalendar.

The paper is for the next meeting. It covers the last meeting held: every action that was open
when that meeting started (raised before it and not closed before its start), and every action
raised at it, lettered a., b., c. in minutes order, as the board's own item 02 is:
"a. Refresh terms of reference for the CRB – agenda item 3 – Complete". Every paper carries the
board's protective marking (:mod:`handlers.marking`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from db import queries
from db.models import Action, ActionStatus, Meeting, MeetingStatus, Role
from handlers.context import Ctx
from handlers.errors import UserError
from handlers.marking import board_marking
from handlers.meetings import NextMeeting, next_meeting
from handlers.minutes.importer import without_owner_opening
from handlers.refs import format_ref
from handlers.updates import (
    NO_UPDATE,
    STATUS_KINDS,
    WORD_KINDS,
    Clock,
    Latest,
    StatusThen,
    events_of,
    latest_update,
    long_day,
    started,
    status_then,
    updated_suffix,
    words_of,
)
from handlers.views import display_refs
from planning.calendar import local_date

COMPLETE, ONGOING = "Complete", "Ongoing"
FORMATS = ("md", "csv", "docx", "ics")
PAPER_ITEM = "02"  # the next minutes' item that reports on the last meeting's actions


@dataclass(frozen=True)
class PaperLine:
    """One action as the paper reads it."""

    letter: str  # "a", "b", ... "z", "aa"
    ref: str  # "04-CR"
    unique_ref: str  # "04-CR.2": names this action alone, as chat shows it
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
        """ "Complete, 1 December 2020" or "Ongoing, amber - waiting on the data (updated ...)".

        The import reads this back (handlers/updates.py): "no update received" and the
        "(updated …)" suffix are the paper's own words, never stored as an update."""
        if self.status == COMPLETE:
            said = f"{COMPLETE}, {long_day(self.completed)}" if self.completed else COMPLETE
            return f"{said} - {self.update}" if self.update else said
        said = f"{ONGOING}, {self.rag}" if self.rag else ONGOING
        if not self.update:
            return f"{said} - {NO_UPDATE}"
        when = updated_suffix(self.updated) if self.updated else ""
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
    written_at: datetime | None = None  # the injected now: the Word file's creation time
    author: str | None = None  # the secretariat, or the board: the Word file's author

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

    @property
    def item_number(self) -> str:
        """Item 02 as the next minutes number it: "02/24/02/21", or "02" with no date known."""
        if self.next_meeting is None:
            return PAPER_ITEM
        return f"{PAPER_ITEM}/{self.next_meeting.date:%d/%m/%y}"

    @property
    def open_lines(self) -> tuple[PaperLine, ...]:
        return tuple(line for line in self.lines if not line.closed_session)

    @property
    def closed_lines(self) -> tuple[PaperLine, ...]:
        return tuple(line for line in self.lines if line.closed_session)


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
    held = [
        m
        for m in queries.meetings(ctx.session, ctx.board)
        if m.date <= today
        and m.status != MeetingStatus.CANCELLED
        and started(ctx.board, m) <= ctx.now
    ]
    if not held:
        raise UserError(
            "No meeting has been held yet, so there is no paper to write. "
            "Import the minutes first: crb import minutes.docx"
        )
    return held[-1]


def statuses_then(ctx: Ctx, actions: Sequence[Action], clock: Clock) -> dict[int, StatusThen]:
    """Each action's status as it stood at ``ctx.now``, replayed from the audit trail when
    something changed it since (``crb export --at`` a past time)."""
    events = events_of(ctx.session, [a.id for a in actions], STATUS_KINDS)
    states = {}
    for action in actions:
        then = status_then(events.get(action.id, []), clock, ctx.now)
        states[action.id] = then or StatusThen(action.status == ActionStatus.DONE, action.done_at)
    return states


def paper_actions(
    ctx: Ctx, meeting: Meeting, clock: Clock
) -> tuple[list[Action], dict[int, StatusThen]]:
    """Open when ``meeting`` started, or raised at it: in minutes order, oldest meeting first."""
    start = started(ctx.board, meeting)
    candidates = [
        a for a in queries.actions(ctx.session, ctx.board) if a.meeting.date <= meeting.date
    ]
    states = statuses_then(ctx, candidates, clock)
    chosen = [
        action
        for action in candidates
        if action.meeting.date == meeting.date
        or not states[action.id].done
        or (states[action.id].done_at or start) >= start
    ]
    return chosen, states


def build_paper(ctx: Ctx) -> Paper:
    meeting = last_meeting(ctx)
    clock = Clock(ctx.session, ctx.board)
    found, states = paper_actions(ctx, meeting, clock)
    # Closed-session actions come last, under their own heading, so that part can be kept back
    # when the paper is published; the letters run on in the order the paper shows them.
    actions = sorted(found, key=lambda action: action.closed_session)
    words = events_of(ctx.session, [a.id for a in actions], WORD_KINDS)
    refs = display_refs(ctx.session, ctx.board, actions)

    def line(index: int, action: Action) -> PaperLine:
        state = states[action.id]
        update = latest_update(words[action.id], clock, ctx.now, still_open=not state.done)
        return _line(ctx, index, action, refs[action.id], state, update)

    return Paper(
        board_name=ctx.board.name,
        meeting=meeting.date,
        next_meeting=next_meeting(ctx.session, ctx.board, ctx.now),
        protective_marking=board_marking(ctx.session, ctx.board),
        lines=tuple(line(n, action) for n, action in enumerate(actions)),
        written_at=ctx.now,
        author=_author(ctx),
    )


def _author(ctx: Ctx) -> str:
    """Who the Word file says wrote it: the secretariat by name, else the board."""
    names = [m.name for m in queries.officers(ctx.session, ctx.board) if m.role == Role.SECRETARIAT]
    return ", ".join(names) or f"{ctx.board.name} secretariat"


def _line(
    ctx: Ctx,
    index: int,
    action: Action,
    unique_ref: str,
    state: StatusThen,
    update: Latest | None,
) -> PaperLine:
    tz = ctx.board.timezone
    if state.done and update is not None and state.done_at and update.at < state.done_at:
        update = None  # written while it was open: the completion has overtaken it
    # One line each: a note typed over several lines in chat is joined up.
    said = words_of(update.event.note) if update else None
    return PaperLine(
        letter=letter(index),
        ref=format_ref(action.item, action.owner_initials),
        unique_ref=unique_ref,
        item=action.item,
        raised=action.meeting.date,
        text=restate(action.text, action.owner_initials),
        owner_names=tuple(o.name for o in action.owners),
        owner_initials=tuple(action.owner_initials),
        status=COMPLETE if state.done else ONGOING,
        completed=local_date(state.done_at, tz) if state.done and state.done_at else None,
        update=_sentence_case(said.rstrip(".")) if said else None,
        rag=str(update.rag) if update and update.rag and not state.done else None,
        updated=local_date(update.at, tz) if update and said else None,
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
    "unique_ref",
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
    """One row per line. It opens right in a spreadsheet by default: a byte-order mark says
    UTF-8 (names and curly quotes), and the item is written as text, so "04" stays 04."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for line in paper.lines:
        writer.writerow(
            (
                line.letter,
                *map(_csv_safe, (line.ref, line.unique_ref)),
                as_text(line.item),
                *map(_csv_safe, _rest_of_row(line)),
            )
        )
    return buffer.getvalue()


BOM = "\ufeff"


def as_text(item: str) -> str:
    """An item number a spreadsheet keeps as written: ="04" is the text 04, where 04 alone would
    become the number 4. Only digits are ever written this way, so no member's text can run."""
    return f'="{item}"' if item.isdigit() else _csv_safe(item)


def _rest_of_row(line: PaperLine) -> tuple[str, ...]:
    return (
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


def _csv_safe(cell: str) -> str:
    # A cell starting "=", "+", "-" or "@" is a formula to a spreadsheet: never run member text.
    return f"'{cell}" if cell[:1] in ("=", "+", "-", "@") else cell


def render_paper(paper: Paper, fmt: str) -> str | bytes:
    if fmt == "md":
        return render_markdown(paper)
    if fmt == "csv":
        return render_csv(paper)
    if fmt == "docx":
        from handlers.paper_docx import render_docx  # python-docx loads only when asked for

        return render_docx(paper)
    raise UserError(f"I can't write the paper as {fmt}: choose md, csv or docx.")


def render(ctx: Ctx, fmt: str) -> str | bytes:
    """The export in ``fmt``: the paper as md, csv or docx, or the meetings as ics."""
    if fmt not in FORMATS:
        raise UserError(f"I can't export {fmt}: choose one of {', '.join(FORMATS)}.")
    if fmt == "ics":
        from handlers.calendar_feed import meetings_calendar

        return meetings_calendar(ctx)
    return render_paper(build_paper(ctx), fmt)
