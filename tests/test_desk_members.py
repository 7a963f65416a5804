"""Issue 17 (desk): the secretariat's members, through the use-cases and the CLI.

Handing the chair over, editing, deactivating and reactivating, unlinking, roles, and how each
member is reached; the chair and the secretariat only.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.demo import sample_text
from bot.runtime import Runtime
from db import queries
from db.models import Role, TeamsConversation
from handlers import roster
from handlers.errors import Forbidden, NotLinked, UserError
from handlers.identity import Account
from handlers.minutes.importer import import_minutes
from handlers.minutes.text import parse_text
from handlers.reach import reach_for_all
from planning.plan import plan
from scheduler.dispatch import load_world
from tests.conftest import AFTER_MEETING, SAMPLE, acting, say

FEB_10 = datetime(2021, 2, 10, 9, 0, 30, tzinfo=UTC)  # the 14-day nudges
FEB_17 = datetime(2021, 2, 17, 9, 0, 30, tzinfo=UTC)  # the 7-day nudges and digests


@pytest.fixture
def imported(crb):
    crb("import", str(SAMPLE))
    return crb


def members_json(crb) -> dict[str, dict]:
    return {m["initials"]: m for m in json.loads(crb("members", "--json").stdout)["members"]}


def test_the_readme_chair_command_for_an_existing_member_says_what_to_type(imported) -> None:
    """Issue 17: `crb member add TO … --role chair` failed because TO exists, with no way on."""
    refused = imported(
        "member", "add", "TO", "--name", "Tracey Onslow", "--role", "chair", code=1
    ).stderr
    assert "TO is already a member: Tracey Onslow" in refused
    assert "crb member role TO chair" in refused


def test_crb_member_role_hands_the_chair_over(imported) -> None:
    """Issue 17: chairing could not be handed over; the old chair kept the digests."""
    shown = imported("member", "role", "TO", "chair").stdout
    assert "Tracey Onslow (TO) is now the chair." in shown
    assert "Andy Champness (AC) is now a member." in shown
    members = members_json(imported)
    assert (members["TO"]["role"], members["AC"]["role"]) == ("chair", "member")


def test_the_digest_follows_the_chair(board: Runtime) -> None:
    with acting(board, "RT") as ctx:
        roster.change_role(ctx, "TO", Role.CHAIR)
    with board.sessions() as session:
        world = load_world(session, queries.default_board(session), FEB_17, [])
        digests = {d.recipient_id for d in plan(world, FEB_17) if d.kind == "digest"}
        initials = {m.id: m.initials for m in queries.members(session, world.board)}
    assert {initials[i] for i in digests} == {"TO", "RT"}


def test_adding_a_new_member_as_chair_hands_the_chair_over(imported) -> None:
    shown = imported("member", "add", "ZZ", "--name", "Zoe Zed", "--role", "chair").stdout
    assert "Added Zoe Zed (ZZ) as the chair." in shown and "(AC) is now a member" in shown
    chairs = [i for i, m in members_json(imported).items() if m["role"] == "chair"]
    assert chairs == ["ZZ"]


def test_the_chair_steps_down_only_by_handing_over(board: Runtime) -> None:
    with (
        pytest.raises(UserError, match="hand the chair to someone else"),
        acting(board, "RT") as ctx,
    ):
        roster.change_role(ctx, "AC", Role.MEMBER)
    with (
        pytest.raises(UserError, match="hand the chair to someone else first"),
        acting(board, "RT") as ctx,
    ):
        roster.deactivate(ctx, "AC")


def test_a_plain_member_or_a_stranger_cannot_change_members(board: Runtime) -> None:
    with (
        pytest.raises(Forbidden, match="Only the chair or the secretariat"),
        acting(board, "CR") as ctx,
    ):
        roster.change_role(ctx, "CR", Role.CHAIR)
    with (
        pytest.raises(NotLinked),
        board.unit(Account.slack("U0STRANGER"), AFTER_MEETING) as ctx,
    ):
        roster.deactivate(ctx, "DP")
    with board.sessions() as session:
        assert queries.member_by_initials(session, queries.default_board(session), "DP").active


def test_edit_name_initials_capacity_and_email(imported) -> None:
    """Issue 17: members could not be edited, and an email could not be unlinked."""
    imported("member", "link", "CR", "--email", "claire@example.org")
    shown = imported(
        "member", "edit", "CR", "--name", "Claire Rich", "--initials", "CLR", "--capacity", ""
    ).stdout
    assert "Changed Claire Rich (CLR): name, initials, capacity." in shown
    assert "REFs now use CLR" in shown
    member = members_json(imported)["CLR"]
    assert (member["name"], member["capacity"], member["email"]) == (
        "Claire Rich",
        None,
        "claire@example.org",
    )
    refs = {a["ref"] for a in json.loads(imported("actions", "--json").stdout)["actions"]}
    assert "04-CLR" in refs and "04-CR" not in refs
    imported("member", "edit", "CLR", "--email", "")
    assert members_json(imported)["CLR"]["email"] is None
    taken = imported("member", "edit", "CLR", "--initials", "DP", code=1).stderr
    assert "DP are already Damian Pettit's initials" in taken


def test_unlink_slack_teams_and_email(board: Runtime) -> None:
    with acting(board, None) as ctx:
        roster.link(ctx, "DP", "slack_id", "U0DAMIAN")
        roster.link(ctx, "DP", "teams_id", "aad-dp")
        roster.link(ctx, "DP", "email", "dp@example.org")
        dp = queries.member_by_initials(ctx.session, ctx.board, "DP")
        ctx.session.add(
            TeamsConversation(
                member_id=dp.id,
                conversation_id="a:1",
                reference={},
                claims={},
                updated_at=AFTER_MEETING,
            )
        )
    with acting(board, "RT") as ctx:
        unlinked = roster.unlink(ctx, "DP", "teams_id")
        assert unlinked.summary == "Unlinked Damian Pettit (DP)'s Teams account."
        assert roster.unlink(ctx, "DP", "slack_id").changed
        assert not roster.unlink(ctx, "DP", "slack_id").changed
    with board.sessions() as session:
        dp = queries.member_by_initials(session, queries.default_board(session), "DP")
        assert (dp.slack_id, dp.teams_id, dp.email) == (None, None, "dp@example.org")
        assert session.get(TeamsConversation, dp.id) is None  # Teams can no longer reach them


def test_deactivated_members_keep_their_history_and_get_no_nudges(board: Runtime) -> None:
    with acting(board, "RT") as ctx:
        change = roster.deactivate(ctx, "SG")
    assert change.summary == "Deactivated Steven Gabriel (SG). Their history is kept."
    assert change.notes == ("They still own 1 open action(s): 06-SG. Reassign them.",)
    with board.sessions() as session:
        world = load_world(session, queries.default_board(session), FEB_10, [])
        sg = queries.member_by_initials(session, world.board, "SG")
        assert sg.id not in {d.recipient_id for d in plan(world, FEB_10)}
    refused = say(board, "AC", "reassign 04-DP SG")
    assert "deactivated" in refused.title and not refused.changed
    with acting(board, "RT") as ctx:
        assert roster.reactivate(ctx, "SG").summary == "Reactivated Steven Gabriel (SG)."


def test_nobody_deactivates_themselves_or_the_last_officer(board: Runtime) -> None:
    with pytest.raises(UserError, match="can't deactivate yourself"), acting(board, "RT") as ctx:
        roster.deactivate(ctx, "RT")
    with acting(board, "AC") as ctx:
        assert roster.deactivate(ctx, "RT").changed  # the chair is still an officer


def test_the_last_officer_stays(runtime: Runtime) -> None:
    with acting(runtime, None) as ctx:
        roster.new_member(ctx, "RT", "Rachael Thorold", role=Role.SECRETARIAT)
    with pytest.raises(UserError, match="last officer"), acting(runtime, None) as ctx:
        roster.deactivate(ctx, "RT")


def test_how_each_member_is_reached(board: Runtime) -> None:
    with acting(board, None) as ctx:
        roster.link(ctx, "CR", "slack_id", "U0CLAIRE")
        roster.link(ctx, "CR", "email", "claire@example.org")
        roster.link(ctx, "DP", "email", "dp@example.org")
        roster.link(ctx, "JS", "teams_id", "aad-js")
        roster.deactivate(ctx, "CJ")
    with board.sessions() as session:
        found = queries.members(session, queries.default_board(session))
        by = {m.initials: m.id for m in found}
        reach = reach_for_all(session, found, {"email"})
        everywhere = reach_for_all(session, found, {"slack", "teams", "email"})
    assert (reach[by["CR"]].channel, reach[by["CR"]].explanation) == (
        "email",
        "Email, to claire@example.org.",
    )
    assert everywhere[by["CR"]].short == "Slack"
    assert reach[by["JS"]].channel is None
    assert "has not opened a chat with the bot" in reach[by["JS"]].explanation
    assert everywhere[by["SG"]].short == "nobody (not linked)"
    assert everywhere[by["CJ"]].short == "nobody (deactivated)"
    assert "slack is not configured here (SLACK_BOT_TOKEN)" in reach_for_all_one(board, "CR", set())


def reach_for_all_one(runtime: Runtime, initials: str, configured: set[str]) -> str:
    with runtime.sessions() as session:
        member = queries.member_by_initials(session, queries.default_board(session), initials)
        return reach_for_all(session, [member], configured)[member.id].explanation


def test_crb_members_shows_how_a_nudge_goes(imported) -> None:
    imported("member", "link", "CR", "--email", "claire@example.org")
    imported("member", "deactivate", "SG")
    members = members_json(imported)
    assert members["SG"]["active"] is False
    assert members["CR"]["reached_by"] is None  # no SMTP_URL here
    assert "email is not configured" in members["CR"]["reach"]
    imported("member", "reactivate", "SG")
    assert members_json(imported)["SG"]["active"] is True


def minutes_with_a_new_chair() -> str:
    later = sample_text().replace("Date: 25th November 2020", "Date: 24th February 2021")
    later = later.replace("/25/11/20", "/24/02/21")
    return later.replace(
        "Chairman: Andy Champness, CEO West Mercia OPCC", "Chairman: Tracey Onslow, DPCC"
    )


def test_minutes_naming_a_new_chair_propose_the_handover(imported, tmp_path: Path) -> None:
    """Issue 17: minutes saying "Chairman: Tracey Onslow" recorded only her name; the old chair
    kept the digests, and nothing said so."""
    minutes = tmp_path / "february.txt"
    minutes.write_text(minutes_with_a_new_chair(), encoding="utf-8")
    dry = imported("import", str(minutes), "--dry-run")
    warning = (
        "The minutes name Tracey Onslow as chair, but the board's chair is Andy Champness (AC), "
        "who still gets the chair's digests. To hand the chair over: crb member role TO chair"
    )
    assert warning in " ".join(dry.stderr.split())
    imported("import", str(minutes))
    assert members_json(imported)["AC"]["role"] == "chair"  # proposed, never done silently
    imported("member", "role", "TO", "chair")
    again = imported("import", str(SAMPLE), "--dry-run")  # older minutes: the chair of their day
    assert "hand the chair over" not in again.stderr


def test_the_import_report_carries_the_proposal(board: Runtime) -> None:
    with acting(board, "RT", datetime(2021, 2, 25, tzinfo=UTC)) as ctx:
        report = import_minutes(ctx, parse_text(minutes_with_a_new_chair()))
        ctx.session.rollback()
    assert [(p.to_initials, p.from_initials) for p in report.proposals] == [("TO", "AC")]
