"""Reminders per board (issue 16): one database, the sample board and the Governance Board.

DP sits on both with one email. Ticking daily through the quarter, each board's nudges reach DP
on that board's own dates, each naming its board and holding only its board's actions, and each
goes once, through the real SMTP adapter to a loopback aiosmtpd server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage

from bot.email import EmailChannel
from bot.runtime import Runtime
from scheduler.dispatch import Outcome, tick
from tests.boards import GOV_ACTIONS, GOV_NAME, add_governance_board
from tests.conftest import link_members
from tests.doubles import smtp_server
from tests.email_harness import SENDER, parsed

CRB_NAME = "West Mercia Crime Reduction Board"
DP_EMAIL = "damian.pettit@example.org"
# Daily at 09:00:30 UTC (09:00 in London, the reminder time) from 1 February to 31 March 2021.
QUARTER = [datetime(2021, 2, 1, 9, 0, 30, tzinfo=UTC) + timedelta(days=n) for n in range(59)]


def tick_through(
    runtime: Runtime, instants: Sequence[datetime]
) -> tuple[list[tuple[date, Outcome]], list[EmailMessage]]:
    """Each instant's tick (again when it sent something: the second finds nothing left); what
    was sent, and the mail."""
    sent: list[tuple[date, Outcome]] = []
    with smtp_server() as (port, mail):
        channel = EmailChannel(f"smtp://127.0.0.1:{port}", SENDER)
        for at in instants:
            result = asyncio.run(tick(runtime.sessions, [channel], at))
            assert result.failed == []
            sent += [(at.date(), outcome) for outcome in result.sent]
            if result.sent:
                assert asyncio.run(tick(runtime.sessions, [channel], at)).sent == []
    return sent, [parsed(raw) for raw in mail.raw]


def test_dp_on_two_boards_gets_each_boards_nudges_on_its_own_dates_once(board: Runtime) -> None:
    link_members(board, {"DP": DP_EMAIL}, "email")
    add_governance_board(board, dp=("Damian Pettit", {"email": DP_EMAIL}))
    sent, mail = tick_through(board, QUARTER)
    to_dp = [(day, o) for day, o in sent if o.to == "DP" and o.platform == "email"]
    nudges = [(o.board, o.slot, o.meeting, day) for day, o in to_dp if o.kind == "nudge"]
    assert nudges == [
        ("CRB", "nudge-14", "2021-02-24", date(2021, 2, 10)),
        ("CRB", "nudge-7", "2021-02-24", date(2021, 2, 17)),
        ("CRB", "nudge-1", "2021-02-24", date(2021, 2, 23)),
        ("GOV", "nudge-14", "2021-03-10", date(2021, 2, 24)),
        ("GOV", "nudge-7", "2021-03-10", date(2021, 3, 3)),
        ("GOV", "nudge-1", "2021-03-10", date(2021, 3, 9)),
    ]
    # One email for each message the ledger recorded as sent: none twice.
    dp_mail = [m for m in mail if m["To"].addresses[0].addr_spec == DP_EMAIL]
    assert len(dp_mail) == len(to_dp)
    # GOV's action added for DP in December: told once, by the first tick, naming GOV.
    assert [(o.board, o.kind, o.actions) for _, o in to_dp if o.kind == "notice"] == [
        ("GOV", "notice", ("04-DP",))
    ]
    assert [m["Subject"].strip() for m in dp_mail if "added an action" in m["Subject"]] == [
        f"the secretariat has added an action for you on the {GOV_NAME}: 04-DP"
    ]
    reminders = [m for m in dp_mail if "Reminder:" in m["Subject"]]
    assert [CRB_NAME in m["Subject"] for m in reminders] == [True] * 3 + [False] * 3
    assert [GOV_NAME in m["Subject"] for m in reminders] == [False] * 3 + [True] * 3
    for message in reminders:
        text = message.get_body(("plain",)).get_content()
        gov = GOV_NAME in message["Subject"]
        assert f"The next meeting of the {GOV_NAME if gov else CRB_NAME}:" in text
        # Never the other board's actions: GOV's DP action is in GOV's nudges alone.
        assert (GOV_ACTIONS["04-DP"] in text) is gov
        assert ("previous draft paper" in text) is not gov
