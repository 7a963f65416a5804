"""Every chat command against the sample board, with its refusals, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.render_text import render
from bot.runtime import Runtime
from db import queries
from db.models import Action, ActionStatus, AuditEvent, EventKind
from handlers.reply import Tone, Visibility
from tests.conftest import AFTER_MEETING, say


def statuses(runtime: Runtime) -> dict[str, str]:
    with runtime.sessions() as session:
        board = queries.default_board(session)
        return {
            f"{a.item}-{'/'.join(a.owner_initials)}#{a.position}": a.status
            for a in queries.actions(session, board)
        }


def event_count(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count(AuditEvent.id)))


def action_with(runtime: Runtime, fragment: str) -> Action:
    with runtime.sessions() as session:
        return session.scalars(select(Action).where(Action.text.contains(fragment))).one()


def test_owner_closes_own_action_and_the_audit_trail_records_who_and_when(board: Runtime) -> None:
    reply = say(board, "DP", "done 04-DP circulated on 1 Dec")
    assert reply.tone == Tone.SUCCESS and reply.changed
    assert reply.title == "Done: 04-DP"
    with board.sessions() as session:
        action = session.scalars(select(Action).where(Action.text.contains("draft paper"))).one()
        assert action.status == ActionStatus.DONE
        assert action.done_at == AFTER_MEETING
        assert action.done_by.initials == "DP"
        (event,) = [e for e in queries.audit_trail(session, action) if e.kind == EventKind.DONE]
        assert (event.actor_label, event.actor.initials, event.at) == ("DP", "DP", AFTER_MEETING)
        assert event.note == "circulated on 1 Dec"


def test_ambiguous_ref_lists_candidates_and_changes_nothing(board: Runtime) -> None:
    before, events = statuses(board), event_count(board)
    reply = say(board, "CR", "done 04-CR")
    assert reply.tone == Tone.WARNING and not reply.changed
    assert reply.title == "2 actions match 04-CR. Say which one you mean:"
    assert reply.lines[0].startswith(
        "04-CR.1 — CR to co-ordinate discussion of application of the CLIMB"
    )
    assert reply.lines[1].startswith("04-CR.2 — CR to send the Covid 19 DA funding recipients list")
    assert [b.command for b in reply.buttons] == ["done 04-CR.1", "done 04-CR.2"]
    assert statuses(board) == before and event_count(board) == events


def test_disambiguated_ref_closes_exactly_that_action(board: Runtime) -> None:
    reply = say(board, "CR", "done 04-CR.2")
    assert reply.changed
    assert action_with(board, "Covid 19 DA funding").status == ActionStatus.DONE
    assert action_with(board, "CLIMB").status == ActionStatus.OPEN
    # The plain REF still names both, the closed one too: it does not slide onto 04-CR.1.
    before, events = statuses(board), event_count(board)
    again = say(board, "CR", "done 4 cr")
    assert again.title == "2 actions match 04-CR. Say which one you mean:" and not again.changed
    assert again.lines[0].startswith("04-CR.1 — CR to co-ordinate") and "(open," in again.lines[0]
    assert "(done by CR on 26 Nov 2020" in again.lines[1]
    assert [b.command for b in again.buttons] == ["done 04-CR.1"]  # only the open one
    assert statuses(board) == before and event_count(board) == events


def test_member_cannot_close_someone_elses_action(board: Runtime) -> None:
    before, events = statuses(board), event_count(board)
    reply = say(board, "JS", "done 06-SG")
    assert reply.tone == Tone.ERROR
    assert "belongs to Steven Gabriel (SG)" in reply.title
    assert statuses(board) == before and event_count(board) == events


def test_chair_and_secretariat_can_close_anyones_action(board: Runtime) -> None:
    assert say(board, "AC", "done 06-SG").changed  # the chair
    assert say(board, "RT", "done 06-JS").changed  # the secretariat (notes taker)
    with board.sessions() as session:
        closed = session.scalars(select(Action).where(Action.status == ActionStatus.DONE)).all()
        assert sorted(a.done_by.initials for a in closed) == ["AC", "RT"]


def test_unlinked_person_gets_help_and_nothing_else(board: Runtime) -> None:
    help_reply = say(board, None, "help")
    assert help_reply.tone == Tone.INFO
    assert any("not linked" in line for line in help_reply.lines)
    for text in ("mine", "outstanding", "next", "done 04-DP", "note 04-DP hi", "add 4 CR x"):
        reply = say(board, None, text)
        assert reply.tone == Tone.ERROR, text
        assert "not linked" in reply.title
        assert "Rachael Thorold" in reply.title  # who to ask
        assert "draft paper" not in render(reply)  # and no action text


def test_unknown_ref_suggests_the_closest(board: Runtime) -> None:
    reply = say(board, "DP", "done 04-DQ")
    assert reply.tone == Tone.ERROR
    assert reply.title == "No action matches 04-DQ."
    assert any(line.startswith("Did you mean 04-DP:") for line in reply.lines)


def test_closing_twice_says_it_is_already_done(board: Runtime) -> None:
    say(board, "DP", "done 04-DP")
    events = event_count(board)
    reply = say(board, "DP", "done 04-DP", AFTER_MEETING + timedelta(minutes=5))
    assert reply.tone == Tone.WARNING and not reply.changed
    assert reply.title == "04-DP is already done: DP closed it on 26 Nov 2020."
    assert reply.lines == ("Nothing changed.",)
    assert [v.status for v in reply.actions] == ["done"]  # it shows the action as it is now
    assert event_count(board) == events


def test_reopen(board: Runtime) -> None:
    assert say(board, "DP", "reopen 04-DP").title == "04-DP is open: there is nothing to reopen."
    say(board, "DP", "done 04-DP")
    reply = say(board, "DP", "reopen 04-DP closed too early")
    assert reply.changed and reply.title == "Reopened: 04-DP"
    assert action_with(board, "draft paper").status == ActionStatus.OPEN
    assert say(board, "JS", "reopen 04-DP").tone == Tone.ERROR


def test_note_with_rag_becomes_the_latest_update(board: Runtime) -> None:
    reply = say(board, "SG", "note 06-SG amber bid drafted, awaiting NPS sign-off")
    assert reply.changed and reply.title == "Update recorded on 06-SG"
    (view,) = say(board, "SG", "mine").actions
    assert (view.latest_update, view.rag) == ("bid drafted, awaiting NPS sign-off", "amber")
    assert say(board, "JS", "note 06-SG it's done").tone == Tone.ERROR


def test_mine_shows_joint_actions(board: Runtime) -> None:
    reply = say(board, "DP", "mine")
    assert [v.ref for v in reply.actions] == ["04-DP", "05-DP/RT"]
    assert all([b.label for b in v.buttons] == ["Mark done", "Add update"] for v in reply.actions)
    assert any("24 February 2021" in line for line in reply.lines)


def test_joint_refs_resolve_by_exact_owners_first(board: Runtime) -> None:
    assert say(board, "RT", "done 05-RT").changed
    assert action_with(board, "recidivist IOM data").status == ActionStatus.DONE
    assert say(board, "DP", "done 05-DP").title == "Done: 05-DP/RT"


def test_outstanding_by_owner(board: Runtime) -> None:
    reply = say(board, "DP", "outstanding")
    assert reply.title == "Outstanding actions: 8"
    headings = [s.heading for s in reply.sections]
    assert "Claire Richardson (CR) — 2" in headings
    assert "Damian Pettit (DP) — 2" in headings
    assert "Rachael Thorold (RT) — 2" in headings
    assert reply.visibility == Visibility.EPHEMERAL
    only_rt = say(board, "DP", "outstanding rt")
    assert [v.ref for v in only_rt.actions] == ["05-RT", "05-DP/RT"]
    # DP may change only DP's own actions, so only those carry buttons.
    with_buttons = {v.ref for v in reply.actions if v.buttons}
    assert with_buttons == {"04-DP", "05-DP/RT"}


def test_only_the_chair_posts_to_the_channel(board: Runtime) -> None:
    assert say(board, "DP", "outstanding --post").tone == Tone.ERROR
    assert say(board, "RT", "outstanding --post").tone == Tone.ERROR
    chair_view = say(board, "AC", "outstanding")
    assert [b.command for b in chair_view.buttons] == ["outstanding --post"]
    posted = say(board, "AC", "outstanding --post")
    assert posted.visibility == Visibility.CHANNEL
    assert not posted.buttons and all(not v.buttons for v in posted.actions)


def test_next_meeting(board: Runtime) -> None:
    reply = say(board, "CJ", "next")
    assert reply.lines[0] == (
        "Wednesday 24 February 2021, Allsop Rm, Hindlip Hall/Zoom (to be confirmed)"
    )
    assert reply.lines[1] == "That is in 90 days."
    assert [v.ref for v in reply.actions] == ["04-CJ"]


def test_next_meeting_follows_the_quarterly_cycle_when_none_is_recorded(board: Runtime) -> None:
    later = AFTER_MEETING + timedelta(days=120)  # 26 March 2021: 24 Feb has passed
    reply = say(board, "CJ", "next", later)
    assert reply.lines[0].startswith("Wednesday 26 May 2021 (expected from the quarterly cycle")


def test_add_is_for_the_chair_and_secretariat(board: Runtime) -> None:
    assert (
        "Only the chair or the secretariat" in say(board, "DP", "add 07 DP Bring the update").title
    )
    reply = say(board, "RT", "add 7 DP/RT Bring the probation restructure update")
    assert reply.changed and reply.title == "Added 07-DP/RT"
    assert "Raised at the meeting of 25 November 2020." in reply.lines
    assert say(board, "RT", "add 07 XY Something").title == "No member has the initials XY."


def test_reassign(board: Runtime) -> None:
    assert say(board, "CJ", "reassign 04-CJ CR").tone == Tone.ERROR
    reply = say(board, "AC", "reassign 04-CJ CR")
    assert reply.changed and reply.title == "Reassigned: now 04-CR.3"
    assert say(board, "AC", "reassign 05-DP/RT RT/DP").changed  # same people, new order
    assert say(board, "AC", "reassign 05-RT/DP RT/DP").title.endswith("Nothing changed.")


def test_refusals_never_change_anything(board: Runtime) -> None:
    before, events = statuses(board), event_count(board)
    for initials, text in [
        ("DP", "done 99-DP"),
        ("DP", "done 04-CR"),
        ("ZZ", "done 04-DP"),
        ("DP", "reassign 04-DP CR"),
        ("DP", "nonsense"),
        ("DP", "note 04-DP"),
    ]:
        assert say(board, initials, text).tone in (Tone.ERROR, Tone.WARNING), text
    assert statuses(board) == before and event_count(board) == events


def test_listed_refs_still_resolve_after_a_sibling_is_closed(board: Runtime) -> None:
    say(board, "RT", "add 04 CR A third item-04 action for CR")
    say(board, "CR", "done 04-CR.2")
    shown = [v.ref for v in say(board, "CR", "mine").actions if v.item == "04"]
    assert shown == ["04-CR.1", "04-CR.3"]
    assert say(board, "CR", "done 04-CR.3").title == "Done: 04-CR.3"
    # Its REF does not change as its siblings close: the closed ones still share 04-CR.
    assert [v.ref for v in say(board, "CR", "mine").actions if v.item == "04"] == ["04-CR.1"]
