"""A second board beside the sample one, for the tests of chat across boards.

The Governance Board (GOV) held a meeting a week before the sample board's. DP sits on it too,
joined by the email their sample-board seat has; so does the sample board's chair (AC), as a
plain member. GOV's 04-DP has the same REF as the sample board's 04-DP; its 09-DP is GOV's only.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.runtime import Runtime
from db import queries
from db.models import Action, Board, Meeting, MeetingStatus, Role
from handlers.commands import Add
from handlers.dispatch import perform
from handlers.members import add_member, link_member
from handlers.run import unit
from tests.conftest import AFTER_MEETING, OPERATOR

DP_EMAIL = "damian.pettit@example.gov.uk"
GOV_ACTIONS = (
    ("04", ("DP",), "DP to draft the governance framework"),
    ("09", ("DP",), "DP to review the risk register"),
    ("03", ("GC",), "GC to agree the board's terms of reference"),
)


def add_governance_board(runtime: Runtime, **accounts: dict[str, str]) -> None:
    """GOV with GC (its chair), DP (by email) and AC (a plain member here), each with the chat
    ``accounts`` given by initials (``AC={"slack_id": "U0AC"}``), and its three actions."""
    with unit(runtime.sessions, OPERATOR, AFTER_MEETING) as ctx:
        dp = queries.member_by_initials(ctx.session, ctx.board, "DP")
        link_member(ctx, dp, email=DP_EMAIL)
        ctx.session.add(Board(short="GOV", name="Governance Board", created_at=AFTER_MEETING))
        ctx.session.commit()
    with unit(runtime.sessions, OPERATOR, AFTER_MEETING, board="GOV") as ctx:
        held = Meeting(
            board_id=ctx.board.id,
            date=date(2020, 11, 18),
            status=MeetingStatus.HELD,
            created_at=AFTER_MEETING,
        )
        ctx.session.add(held)
        add_member(ctx, "GC", "Grace Chambers", role=Role.CHAIR, **accounts.get("GC", {}))
        add_member(ctx, "DP", "Damian Pettit", email=DP_EMAIL)
        add_member(ctx, "AC", "Andy Cole", **accounts.get("AC", {}))
        for item, owners, text in GOV_ACTIONS:
            perform(ctx, Add(item, owners, text))
        ctx.session.commit()


def gov_action(runtime: Runtime, fragment: str) -> Action:
    """The GOV action whose text has ``fragment``."""
    with runtime.sessions() as session:
        gov = queries.board_by_short(session, "GOV")
        return session.scalars(
            select(Action).where(Action.board_id == gov.id, Action.text.contains(fragment))
        ).one()


def bind_channel(runtime: Runtime, short: str, **channel: str) -> None:
    """Bind a chat channel to a board (``slack_channel="C0GOV"``)."""
    with runtime.sessions() as session:
        board = queries.board_by_short(session, short)
        for field, value in channel.items():
            setattr(board, field, value)
        session.commit()
