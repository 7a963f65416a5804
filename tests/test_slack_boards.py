"""Chat across boards through the real Slack app (issue 16): one bot, one database, two boards.

The sample board (CRB) and the Governance Board (GOV, ``tests.second_board``); DP sits on both
with the same email, and CRB's chair (AC) is a plain member of GOV. Signed requests go to the
real Bolt app; its answers are read from the loopback Slack stand-in.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.runtime import Runtime
from db import queries
from db.models import ActionStatus, AuditEvent, EventKind
from handlers.commands import pinned_value
from handlers.refs import ActionId
from tests.conftest import AFTER_MEETING
from tests.second_board import add_governance_board, bind_channel, gov_action
from tests.slack_fixtures import CHAIR, CR, DP, action, block_text
from tests.slack_harness import SlackHarness, button_commands
from tests.slack_standin import SlackStandIn

GC = "U0GC"


@pytest.fixture
def two_boards(linked: Runtime) -> Runtime:
    add_governance_board(linked, AC={"slack_id": CHAIR}, GC={"slack_id": GC})
    return linked


@pytest.fixture
def bot(two_boards: Runtime, slack: SlackStandIn) -> Iterator[SlackHarness]:
    with SlackHarness(two_boards, slack, AFTER_MEETING) as harness:
        yield harness


def slash_in(bot: SlackHarness, user_id: str, text: str, channel: str) -> dict[str, Any]:
    """``/crb text`` typed in ``channel``; the answer Slack was sent."""
    fields = bot.command_fields(user_id, text) | {"channel_id": channel}
    assert bot.send_form(fields).status == 200
    (answer,) = bot.slack.answers_at(fields["response_url"])
    return answer.params


def test_mine_lists_every_board_dp_sits_on_grouped_by_board(bot: SlackHarness) -> None:
    reply = bot.slash(DP, "mine").reply
    headers = [b["text"]["text"] for b in reply["blocks"] if b["type"] == "header"]
    assert headers == ["West Mercia Crime Reduction Board (CRB)", "Governance Board (GOV)"]
    text = block_text(reply["blocks"])
    assert "Your boards (2): 4 open actions" in text
    assert "CRB:04-DP — DP will circulate a previous draft paper" in text
    assert "CRB:05-DP/RT" in text
    assert "GOV:04-DP — DP to draft the governance framework" in text
    assert "GOV:09-DP — DP to review the risk register" in text
    assert "GC to agree" not in text  # GOV's other actions are not DP's
    assert text.index("CRB:04-DP") < text.index("Governance Board (GOV)") < text.index("GOV:04")
    assert "done GOV:09-DP" in button_commands(reply["blocks"])


def test_next_lists_each_board_under_its_own_heading(bot: SlackHarness) -> None:
    text = block_text(bot.slash(DP, "next").reply["blocks"])
    assert "West Mercia Crime Reduction Board (CRB)" in text and "Governance Board (GOV)" in text
    crb, gov = text.split("Governance Board (GOV)")
    assert "Wednesday 24 February 2021, Allsop Rm" in crb and "CRB:04-DP" in crb
    assert "expected from the quarterly cycle" in gov and "GOV:09-DP" in gov


def test_done_on_a_ref_only_the_second_board_has_closes_it_there(
    bot: SlackHarness, two_boards: Runtime
) -> None:
    reply = bot.slash(DP, "done 09-DP").reply
    assert "Done: 09-DP" in block_text(reply["blocks"])
    closed = gov_action(two_boards, "risk register")
    assert closed.status == ActionStatus.DONE
    with two_boards.sessions() as session:
        (event,) = session.query(AuditEvent).filter_by(kind=EventKind.DONE).all()
        assert event.board_id == closed.board_id and event.channel == "slack"


def test_a_ref_on_both_boards_is_refused_with_both_listed_and_nothing_changed(
    bot: SlackHarness, two_boards: Runtime, slack: SlackStandIn
) -> None:
    reply = bot.slash(DP, "done 04-DP").reply
    text = block_text(reply["blocks"])
    assert "2 actions match 04-DP" in text
    assert "CRB:04-DP — DP will circulate a previous draft paper" in text
    assert "GOV:04-DP — DP to draft the governance framework" in text
    assert "Nothing changed." in text
    assert button_commands(reply["blocks"]) == ["done CRB:04-DP", "done GOV:04-DP"]
    assert action(two_boards, "draft paper").status == ActionStatus.OPEN
    assert gov_action(two_boards, "governance framework").status == ActionStatus.OPEN
    # The button names the action by its id: it closes GOV's, not the other.
    bot.press(DP, reply["blocks"], "done GOV:04-DP", ephemeral=True)
    assert "Done: 04-DP" in block_text(slack.wait_for("response_url", count=2)[1].blocks)
    assert gov_action(two_boards, "governance framework").status == ActionStatus.DONE
    assert action(two_boards, "draft paper").status == ActionStatus.OPEN


@pytest.mark.parametrize("typed", ["GOV:04-DP", "gov:4-dp", "gov : 04 dp"])
def test_a_board_qualified_ref_names_its_board(
    bot: SlackHarness, two_boards: Runtime, typed: str
) -> None:
    assert "Done: 04-DP" in block_text(bot.slash(DP, f"done {typed}").reply["blocks"])
    assert gov_action(two_boards, "governance framework").status == ActionStatus.DONE
    assert action(two_boards, "draft paper").status == ActionStatus.OPEN


def test_a_mistyped_command_is_refused_before_any_board_is_asked_for(bot: SlackHarness) -> None:
    text = block_text(bot.slash(DP, "frobnicate").reply["blocks"])
    assert "I don't know the command “frobnicate”" in text and "Which board" not in text


def test_a_ref_naming_an_unknown_board_is_refused(bot: SlackHarness) -> None:
    text = block_text(bot.slash(DP, "done XYZ:04-DP").reply["blocks"])
    assert "There is no board 'XYZ'" in text
    assert "CRB (West Mercia Crime Reduction Board), GOV (Governance Board)" in text


def test_outstanding_asks_which_board_with_a_button_for_each(
    bot: SlackHarness, slack: SlackStandIn
) -> None:
    reply = bot.slash(DP, "outstanding").reply
    text = block_text(reply["blocks"])
    assert (
        "Which board? You sit on 2: CRB (West Mercia Crime Reduction Board), GOV (Governance Board)"
        in text
    )
    assert button_commands(reply["blocks"]) == ["outstanding CRB", "outstanding GOV"]
    bot.press(DP, reply["blocks"], "outstanding GOV", ephemeral=True)
    shown = block_text(slack.wait_for("response_url", count=2)[1].blocks)
    assert "Outstanding actions: 3" in shown
    assert "Grace Chambers (GC) — 1" in shown and "Damian Pettit (DP) — 2" in shown
    assert "circulate a previous draft paper" not in shown  # nothing of CRB's


def test_outstanding_in_a_channel_bound_to_a_board_means_that_board(
    bot: SlackHarness, two_boards: Runtime
) -> None:
    bind_channel(two_boards, "GOV", slack_channel="C0GOV")
    text = block_text(slash_in(bot, DP, "outstanding", "C0GOV")["blocks"])
    assert "Outstanding actions: 3" in text and "Grace Chambers (GC)" in text
    text = block_text(slash_in(bot, DP, "outstanding DP", "C0GOV")["blocks"])
    assert "Outstanding actions: 2" in text and "risk register" in text


def test_outstanding_names_a_board_then_a_member(bot: SlackHarness) -> None:
    text = block_text(bot.slash(DP, "outstanding crb CR").reply["blocks"])
    assert "Claire Richardson (CR) — 2" in text
    assert "Outstanding actions: 8" in block_text(bot.slash(DP, "outstanding CRB").reply["blocks"])


def test_a_person_on_one_board_is_answered_as_before(bot: SlackHarness) -> None:
    text = block_text(bot.slash(CR, "outstanding").reply["blocks"])
    assert "Outstanding actions: 8" in text
    mine = bot.slash(CR, "mine").reply
    assert "Your open actions (2)" in block_text(mine["blocks"])
    assert not [b for b in mine["blocks"] if b["type"] == "header"]


def test_the_chair_of_one_board_is_a_plain_member_of_the_other(
    bot: SlackHarness, two_boards: Runtime
) -> None:
    text = block_text(bot.slash(CHAIR, "reassign 09-DP AC").reply["blocks"])
    assert "Only the chair or the secretariat can" in text
    with two_boards.sessions() as session:
        gov = queries.board_by_short(session, "GOV")
        owners = [a.owner_initials for a in queries.listed_actions(session, gov, item="09")]
    assert owners == [("DP",)]
    refused = block_text(bot.slash(CHAIR, "outstanding GOV --post").reply["blocks"])
    assert "Only the chair can post" in refused
    # On their own board the same person is the chair.
    moved = block_text(bot.slash(CHAIR, "reassign 06-JS CR").reply["blocks"])
    assert "Reassigned: now 06-CR" in moved


def test_gov_chair_on_one_board_runs_everything_there(bot: SlackHarness) -> None:
    text = block_text(bot.slash(GC, "add 10 DP Circulate the audit plan").reply["blocks"])
    assert "Added 10-DP" in text


def test_other_commands_ask_which_board_or_take_its_code_first(bot: SlackHarness) -> None:
    reply = bot.slash(DP, "help").reply
    assert button_commands(reply["blocks"]) == ["CRB help", "GOV help"]
    text = block_text(bot.slash(DP, "GOV help").reply["blocks"])
    assert "the Governance Board's action tracker" in text
    refused = block_text(bot.slash(DP, "gov add 10 DP text").reply["blocks"])
    assert "Only the chair or the secretariat can add actions" in refused


def test_a_button_runs_on_its_actions_board_and_only_for_someone_sitting_there(
    bot: SlackHarness, two_boards: Runtime, slack: SlackStandIn
) -> None:
    risk = gov_action(two_boards, "risk register")
    bot.click(CR, pinned_value("done", ActionId(risk.id, "open"), "09-DP"))
    (call,) = slack.wait_for("response_url")
    assert "That action is on Governance Board (GOV), where you have no seat" in block_text(
        call.blocks
    )
    assert gov_action(two_boards, "risk register").status == ActionStatus.OPEN
    bot.click(DP, pinned_value("done", ActionId(risk.id, "open"), "09-DP"))
    assert "Done: 09-DP" in block_text(slack.wait_for("response_url", count=2)[1].blocks)
    assert gov_action(two_boards, "risk register").status == ActionStatus.DONE


# ---------------------------------------------------------------- the Home tab, snoozes, uploads


def test_the_home_tab_of_a_person_on_two_boards_shows_each_board(
    bot: SlackHarness, slack: SlackStandIn
) -> None:
    assert bot.event({"type": "app_home_opened", "user": DP, "tab": "home"}).status == 200
    (published,) = slack.wait_for("views.publish")
    text = block_text(published.view["blocks"])
    assert "West Mercia Crime Reduction Board (CRB)" in text and "Governance Board (GOV)" in text
    assert "CRB:04-DP — DP will circulate" in text and "GOV:09-DP — DP to review" in text
    assert "Something went wrong" not in text


def test_a_snooze_asked_of_a_person_on_two_boards_names_the_board(bot: SlackHarness) -> None:
    reply = bot.slash(DP, "GOV snooze").reply
    assert button_commands(reply["blocks"]) == ["GOV snooze 1d", "GOV snooze 3d", "GOV snooze next"]
    one_board = bot.slash(CR, "snooze").reply  # CR sits on one board: the buttons as ever
    assert button_commands(one_board["blocks"]) == ["snooze 1d", "snooze 3d", "snooze next"]


def test_minutes_sent_by_an_officer_of_two_boards_are_refused_until_a_board_is_chosen(
    bot: SlackHarness, slack: SlackStandIn, two_boards: Runtime
) -> None:
    from bot.demo import sample_text
    from tests.test_slack import file_share

    later = sample_text().replace("Date: 25th November 2020", "Date: 2nd December 2020")
    file = slack.add_file("minutes.txt", later.encode())
    bot.event(file_share(CHAIR, file))  # AC chairs CRB and is a plain member of GOV: CRB's
    (preview,) = slack.wait_for("chat.postMessage")
    assert "Preview: the minutes of 2 December 2020" in block_text(preview.blocks)
    assert all(value.startswith("CRB import ") for value in button_commands(preview.blocks))

    with two_boards.sessions() as session:
        gov = queries.board_by_short(session, "GOV")
        queries.member_by_initials(session, gov, "AC").role = "chair"
        session.commit()
    bot.event(file_share(CHAIR, file))
    refused = slack.wait_for("chat.postMessage", count=2)[1]
    text = block_text(refused.blocks)
    assert "You can import minutes to 2 boards (CRB, GOV)" in text and "Nothing was" in text
    assert len(slack.calls_to("files.download")) == 1  # the second was not even fetched

    bot.event(file_share(DP, file))  # DP sits on both, and may import to neither
    member = slack.wait_for("chat.postMessage", count=3)[2]
    assert "Only the chair or the secretariat can import minutes" in block_text(member.blocks)
