"""The action log's use-cases for the web desk: listing, history, and changes by id, on SQLite
and PostgreSQL. Changes go through the same code as chat; a form names the action by id and by
the version it showed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.runtime import Runtime
from db.models import Action, ActionStatus, AuditEvent, EventKind, Rag
from handlers.action_log import action_log, action_record
from handlers.commands import Done, EditText, Note, Reassign, Reopen
from handlers.errors import NotFound, NotLinked
from handlers.refs import ActionId
from handlers.reply import Tone
from tests.action_harness import action_id, read_as, run_as
from tests.conftest import AFTER_MEETING, say

LATER = AFTER_MEETING + timedelta(hours=1)


def events(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count(AuditEvent.id)))


def the_action(runtime: Runtime, id_: int) -> Action:
    with runtime.sessions() as session:
        action = session.get_one(Action, id_)
        _ = action.owner_initials  # loaded before the session closes
        return action


def version_of(runtime: Runtime, id_: int) -> str:
    return read_as(runtime, "RT", lambda ctx: action_record(ctx, id_).version)


# ---------------------------------------------------------------- the listing


def test_the_log_lists_open_actions_by_default_and_filters_by_owner_and_meeting(
    board: Runtime,
) -> None:
    log = read_as(board, "DP", action_log)
    assert log.filter.status == "open" and len(log.actions) == 8 and not log.errors
    mine = read_as(board, "DP", lambda ctx: action_log(ctx, owner="dp"))
    assert [view.ref for _id, view in mine.actions] == ["04-DP", "05-DP/RT"]
    assert mine.filter.owner == "DP"
    held = read_as(board, "DP", lambda ctx: action_log(ctx, status="all", meeting="2020-11-25"))
    assert len(held.actions) == 8 and held.filter.meeting.isoformat() == "2020-11-25"
    assert [c.value for c in held.meetings] == ["2021-02-24", "2020-11-25"]  # newest first


def test_the_log_filters_done_actions_and_actions_with_no_owner(board: Runtime) -> None:
    say(board, "DP", "done 04-DP")
    done = read_as(board, "CR", lambda ctx: action_log(ctx, status="done"))
    assert [view.ref for _id, view in done.actions] == ["04-DP"]
    assert read_as(board, "CR", lambda ctx: action_log(ctx, owner="?")).actions == ()


def test_a_filter_that_names_nothing_known_is_reported_and_left_out(board: Runtime) -> None:
    log = read_as(
        board, "CR", lambda ctx: action_log(ctx, status="late", owner="ZZ", meeting="25/11/2020")
    )
    assert log.errors == {
        "status": "Choose open, done or all",
        "owner": "No member has the initials ZZ",
        "meeting": "Give the meeting's date as YYYY-MM-DD",
    }
    assert len(log.actions) == 8  # the open actions, unfiltered


def test_someone_who_is_not_a_member_sees_no_action_text(board: Runtime) -> None:
    with pytest.raises(NotLinked):
        read_as(board, None, action_log)
    with pytest.raises(NotLinked):
        read_as(board, None, lambda ctx: action_record(ctx, action_id(board, "draft paper")))


# ---------------------------------------------------------------- one action and its history


def test_an_action_shows_its_history_and_updates_with_who_and_how(board: Runtime) -> None:
    paper = action_id(board, "draft paper")
    say(board, "DP", "note 04-DP amber waiting for comments", AFTER_MEETING)
    say(board, "DP", "done 04-DP circulated", LATER)
    record = read_as(board, "CR", lambda ctx: action_record(ctx, paper))
    assert [h.what for h in record.history] == [
        "Imported from the minutes of 25 November 2020",
        "Update",
        "Marked done",
    ]
    assert record.history[0].how == "import" and record.history[1].who == "Damian Pettit (DP)"
    assert [(u.note, u.rag) for u in record.updates] == [
        ("circulated", None),
        ("waiting for comments", Rag.AMBER),
    ]
    assert record.view.status == ActionStatus.DONE and record.meeting.isoformat() == "2020-11-25"
    assert (record.may_change, record.may_manage) == (False, False)  # CR: not hers
    assert read_as(board, "DP", lambda ctx: action_record(ctx, paper)).may_change


def test_an_action_of_another_board_or_none_is_not_found(board: Runtime) -> None:
    with pytest.raises(NotFound):
        read_as(board, "CR", lambda ctx: action_record(ctx, 99999))


# ---------------------------------------------------------------- changes by id


def test_done_reopen_and_update_by_id_go_through_the_same_code_as_chat(board: Runtime) -> None:
    paper = action_id(board, "draft paper")
    reply = run_as(board, "DP", Done(ActionId(paper, seen=version_of(board, paper)), "sent"))
    assert reply.changed and reply.title == "Done: 04-DP"
    assert the_action(board, paper).status == ActionStatus.DONE
    reply = run_as(board, "DP", Reopen(ActionId(paper, seen=version_of(board, paper)), "oops"))
    assert reply.changed and the_action(board, paper).status == ActionStatus.OPEN
    seen = version_of(board, paper)
    reply = run_as(board, "DP", Note(ActionId(paper, seen=seen), "half way", Rag.GREEN))
    assert reply.changed and reply.title == "Update recorded on 04-DP"
    record = read_as(board, "DP", lambda ctx: action_record(ctx, paper))
    assert (record.view.latest_update, record.view.rag) == ("half way", "green")


def test_a_stale_form_changes_nothing_and_says_why(board: Runtime) -> None:
    """The page showed the action; someone updated it since; the form's "done" changes nothing."""
    paper = action_id(board, "draft paper")
    shown = version_of(board, paper)
    say(board, "DP", "note 04-DP sent to the printers")
    before = events(board)
    reply = run_as(board, "RT", Done(ActionId(paper, seen=shown)), LATER)
    assert reply.tone == Tone.ERROR and not reply.changed
    assert reply.title.startswith("04-DP has changed since you opened it, so nothing was changed")
    assert the_action(board, paper).status == ActionStatus.OPEN and events(board) == before


def test_done_twice_from_the_same_form_changes_nothing_the_second_time(board: Runtime) -> None:
    paper = action_id(board, "draft paper")
    form = Done(ActionId(paper, seen=version_of(board, paper)))
    assert run_as(board, "DP", form).changed
    before = events(board)
    again = run_as(board, "DP", form, LATER)
    assert not again.changed and events(board) == before


def test_a_member_cannot_change_another_members_action_by_id(board: Runtime) -> None:
    paper = action_id(board, "draft paper")  # DP's
    seen = version_of(board, paper)
    before = events(board)
    for command in (
        Done(ActionId(paper, seen=seen)),
        Note(ActionId(paper, seen=seen), "not mine"),
        Reassign(ActionId(paper, seen=seen), ("CR",)),
        EditText(ActionId(paper, seen=seen), "Something else"),
    ):
        reply = run_as(board, "CR", command)
        assert reply.tone == Tone.ERROR and not reply.changed, command
    # Even the owner may not reassign or reword it: that is the chair's and secretariat's.
    assert run_as(board, "DP", Reassign(ActionId(paper, seen=seen), ("CR",))).tone == Tone.ERROR
    assert run_as(board, "DP", EditText(ActionId(paper, seen=seen), "Mine now")).tone == Tone.ERROR
    assert events(board) == before and the_action(board, paper).owner_initials == ["DP"]


def test_the_secretariat_edits_an_actions_text_and_the_history_keeps_the_old(
    board: Runtime,
) -> None:
    paper = action_id(board, "draft paper")
    reply = run_as(
        board,
        "RT",
        EditText(ActionId(paper, seen=version_of(board, paper)), "  DP to circulate v2  "),
    )
    assert reply.changed and reply.title == "Edited 04-DP"
    assert the_action(board, paper).text == "DP to circulate v2"
    history = read_as(board, "RT", lambda ctx: action_record(ctx, paper)).history
    assert history[-1].what.startswith("Text changed from “DP will circulate a previous draft")
    same = run_as(board, "RT", EditText(ActionId(paper), "DP to circulate v2"))
    assert not same.changed and (same.title, same.lines) == (
        "04-DP already says that.",
        ("Nothing changed.",),
    )
    empty = run_as(board, "RT", EditText(ActionId(paper), "   "))
    assert empty.tone == Tone.ERROR and the_action(board, paper).text == "DP to circulate v2"


def test_the_secretariat_reassigns_by_id(board: Runtime) -> None:
    paper = action_id(board, "draft paper")
    reply = run_as(board, "RT", Reassign(ActionId(paper, seen=version_of(board, paper)), ("CR",)))
    assert reply.changed and reply.title == "Reassigned: now 04-CR.2"
    assert the_action(board, paper).owner_initials == ["CR"]
    event = read_as(board, "RT", lambda ctx: action_record(ctx, paper)).history[-1]
    assert event.what == "Reassigned from DP to CR"


def test_an_action_with_no_owner_is_given_one_whatever_its_status(board: Runtime) -> None:
    """Defect (issue 17): an action imported with unknown initials shows as 03-?, and no command
    could give it an owner (a REF needs initials, and ``reassign`` only took a REF)."""
    with board.sessions() as session:
        action = session.get_one(Action, action_id(board, "PCP panel report"))
        action.owner_links.clear()  # as an import leaves initials that match no member
        action.status = ActionStatus.DONE
        session.commit()
        unowned = action.id
    assert [
        view.ref
        for _i, view in read_as(
            board, "RT", lambda c: action_log(c, owner="?", status="all")
        ).actions
    ] == ["04-?"]
    reply = run_as(
        board, "RT", Reassign(ActionId(unowned, seen=version_of(board, unowned)), ("CJ",))
    )
    assert reply.changed and reply.title == "Reassigned: now 04-CJ"
    assert the_action(board, unowned).owner_initials == ["CJ"]
    event = read_as(board, "RT", lambda ctx: action_record(ctx, unowned)).history[-1]
    assert event.what == "Given to CJ"


def test_the_audit_trail_names_the_text_edit(board: Runtime) -> None:
    paper = action_id(board, "draft paper")
    run_as(board, "AC", EditText(ActionId(paper), "New words"))
    with board.sessions() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.kind == EventKind.TEXT_EDITED)
        ).one()
        assert (event.actor_label, event.details["to"]) == ("AC", "New words")
