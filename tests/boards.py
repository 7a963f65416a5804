"""A second board beside the sample one: the Governance Board (GOV), for the several-boards tests.

Its members share initials with the sample board's (DP, CR): whether they are the same people is
each test's choice. It met on 9 December 2020 and meets next on 10 March 2021, two weeks after
the sample board's next meeting (24 February 2021).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.runtime import Runtime
from db.models import Board, Meeting, MeetingStatus, Role
from handlers import actions
from handlers.commands import Add
from handlers.members import add_member
from handlers.run import unit
from tests.conftest import AFTER_MEETING, OPERATOR

GOV = "GOV"
GOV_NAME = "Governance Board"
GOV_HELD = date(2020, 12, 9)
GOV_NEXT = date(2021, 3, 10)
SET_UP = datetime(2020, 12, 10, 10, 0, tzinfo=UTC)  # the morning after GOV's meeting
# GOV's actions: their items are the sample board's, so REFs such as 04-DP exist on both boards.
GOV_ACTIONS = {
    "04-DP": "Draft the Governance Board's risk register",
    "06-CR": "Collect the partners' assurance returns",
    "07-AB": "Agree the audit committee's terms",
}


def add_governance_board(
    runtime: Runtime,
    *,
    dp: tuple[str, dict[str, str]] = ("Damian Pettit", {}),
    cr: tuple[str, dict[str, str]] = ("Cara Reid", {}),
) -> None:
    """GOV with a chair (AB), DP and CR, each ``(name, {identity: value})``, and an action each.

    An email or chat id that a sample board member has makes that seat theirs (``add_member``
    joins them).
    """
    with runtime.sessions() as session, session.begin():
        session.add(
            Board(
                short=GOV,
                name=GOV_NAME,
                # The second Wednesday of each quarter's last month: 10 March 2021.
                recurrence="FREQ=YEARLY;BYMONTH=3,6,9,12;BYDAY=2WE",
                created_at=AFTER_MEETING,
            )
        )
    with unit(runtime.sessions, OPERATOR, SET_UP, board=GOV) as ctx:
        add_member(ctx, "AB", "Alex Brook", role=Role.CHAIR)
        add_member(ctx, "DP", dp[0], **dp[1])
        add_member(ctx, "CR", cr[0], **cr[1])
        for day, status in ((GOV_HELD, MeetingStatus.HELD), (GOV_NEXT, MeetingStatus.SCHEDULED)):
            ctx.session.add(
                Meeting(board_id=ctx.board.id, date=day, status=status, created_at=SET_UP)
            )
        ctx.session.flush()
        for ref, text in GOV_ACTIONS.items():
            item, owner = ref.split("-")
            actions.add(ctx, Add(item, (owner,), text))
        ctx.session.commit()
