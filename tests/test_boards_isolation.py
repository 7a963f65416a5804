"""Isolation (issue 16): nothing of one board appears in another board's read paths.

Two boards whose members share initials: the sample board's DP and CR, and the Governance
Board's DP and CR, who are other people. Each board's listings, home, overview, nudges, digests,
paper (Markdown, CSV, Word), calendar (export and private feed) and audit log are read, and none
holds a word that belongs to the other board alone.
"""

from __future__ import annotations

import asyncio
import io
import zipfile
from contextlib import AbstractAsyncContextManager, nullcontext
from datetime import UTC, datetime

import pytest

from bot.render_text import render
from bot.runtime import Runtime
from db import queries
from db.models import Action, Member
from handlers import export
from handlers.action_log import action_record
from handlers.audit_log import AuditFilter, audit_csv, audit_rows
from handlers.calendar_feed import meetings_calendar
from handlers.errors import NotFound
from handlers.feeds import calendar_for, new_feed
from handlers.home import home
from handlers.identity import Account
from handlers.overview import board_overview
from handlers.reply import Reply
from handlers.run import run_command, unit
from scheduler.channels import FIRST_SEND, Delivery
from scheduler.dispatch import tick
from tests.boards import GOV, GOV_ACTIONS, add_governance_board
from tests.conftest import link_members

CRB = "CRB"
# Words that belong to one board alone: its people, its actions, its name.
ONLY = {
    CRB: (
        "West Mercia",
        "Claire Richardson",
        "Damian Pettit",
        "Andy Champness",
        "CLIMB",
        "previous draft paper",
        "Rachael Thorold",
    ),
    GOV: ("Governance", "Cara Reid", "Diane Parker", "Alex Brook", *GOV_ACTIONS.values()),
}
OTHER = {CRB: GOV, GOV: CRB}
CHAIR = {CRB: "AC", GOV: "AB"}
READ_AT = datetime(2021, 2, 12, 10, 0, tzinfo=UTC)
# The digests and nudges before each board's next meeting: the 7-day ones.
TICKS = (datetime(2021, 2, 17, 9, 0, 30, tzinfo=UTC), datetime(2021, 3, 3, 9, 0, 30, tzinfo=UTC))


def slack_id(board: str, initials: str) -> str:
    return f"U{board}{initials}"


@pytest.fixture
def two_boards(board: Runtime) -> Runtime:
    link_members(board, {i: slack_id(CRB, i) for i in ("DP", "CR", "AC", "RT")})
    add_governance_board(board, dp=("Diane Parker", {}), cr=("Cara Reid", {}))
    with unit(board.sessions, Account.slack("nobody"), READ_AT, board=GOV) as ctx:
        for member in queries.members(ctx.session, ctx.board):
            member.slack_id = slack_id(GOV, member.initials)
        ctx.session.commit()
    return board


def assert_only_its_own(short: str, text: str, where: str) -> None:
    leaked = [word for word in ONLY[OTHER[short]] if word in text]
    assert leaked == [], f"{where} on {short} shows {OTHER[short]}'s {leaked}"


class SeatRecorder:
    """A chat channel that records each message with the board of the seat it went to."""

    platform = "slack"

    def __init__(self) -> None:
        self.sent: list[tuple[int, Reply]] = []

    def can_reach(self, member: Member) -> bool:
        return bool(member.slack_id)

    def connected(self) -> AbstractAsyncContextManager[object]:
        return nullcontext()

    async def send(self, member: Member, message: Reply, delivery: Delivery = FIRST_SEND) -> None:
        self.sent.append((member.board_id, message))


def two_boards_id(runtime: Runtime, short: str) -> int:
    with runtime.sessions() as session:
        found = queries.board_by_short(session, short)
        assert found is not None
        return found.id


def docx_text(document: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(document)) as archive:
        return archive.read("word/document.xml").decode()


@pytest.mark.parametrize("short", [CRB, GOV])
def test_a_boards_read_paths_show_nothing_of_the_other_board(
    two_boards: Runtime, short: str
) -> None:
    sessions = two_boards.sessions
    seen: dict[str, str] = {}
    for initials in ("DP", "CR", CHAIR[short]):
        who = Account.slack(slack_id(short, initials))
        for command in ("mine", "next", "outstanding", "outstanding DP"):
            reply = run_command(sessions, who, command, READ_AT, board=short)
            seen[f"{initials}: {command}"] = render(reply)
        with unit(sessions, who, READ_AT, board=short) as ctx:
            seen[f"{initials}: home"] = render(home(ctx))
            seen[f"{initials}: calendar feed"] = (
                calendar_for(ctx.session, new_feed(ctx).token, READ_AT) or b""
            ).decode()
    with unit(sessions, Account.slack(slack_id(short, CHAIR[short])), READ_AT, board=short) as ctx:
        seen["overview"] = repr(board_overview(ctx, lambda member: True))
        seen["paper (md)"] = str(export.render(ctx, "md"))
        seen["paper (csv)"] = str(export.render(ctx, "csv"))
        seen["paper (docx)"] = docx_text(bytes(export.render(ctx, "docx")))
        seen["calendar export"] = meetings_calendar(ctx).decode()
        rows, total = audit_rows(ctx, AuditFilter(), limit=None)
        assert total == len(rows) > 0
        seen["audit log"] = audit_csv(rows)
        others = ctx.session.query(Action).filter(Action.board_id != ctx.board.id).all()
        assert others
        for action in others:
            with pytest.raises(NotFound):
                action_record(ctx, action.id)
    chat = SeatRecorder()
    for at in TICKS:
        asyncio.run(tick(sessions, [chat], at))
    board_id = two_boards_id(two_boards, short)
    mine = [reply for seat_board, reply in chat.sent if seat_board == board_id]
    assert {reply.about.kind for reply in mine if reply.about} == {"nudge", "digest"}
    for reply in (reply for reply in mine if reply.about):  # a notice has no "about"
        # Its links and buttons open its own board, whichever board the reader was on.
        assert reply.about.board_path == f"/boards/{short}"
        if reply.about.kind == "digest":
            assert [b.command for b in reply.buttons] == [f"outstanding {short}"]
    for n, reply in enumerate(mine):
        seen[f"message {n}: {reply.title}"] = render(reply)
    for where, text in seen.items():
        assert_only_its_own(short, text, where)
    # And each read path did show its own board: there was something to leak into.
    shown = ("DP: mine", "CR: outstanding", "DP: calendar feed", "overview", "audit log")
    for where in (*shown, "paper (md)", "paper (csv)", "paper (docx)", "calendar export"):
        assert any(word in seen[where] for word in ONLY[short]), where
