"""The Slack adapter, driven over HTTP with signed requests against the loopback Slack stand-in.

Every test here runs the real Bolt app inside the bot's own aiohttp application, on SQLite and
PostgreSQL, and checks both what Slack was told and what the database now holds.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.runtime import Runtime
from db import queries
from db.models import (
    Action,
    ActionStatus,
    AuditEvent,
    EventKind,
    PendingImport,
    PendingImportStatus,
    ProcessedEvent,
    Rag,
    Role,
)
from handlers.context import Caller
from handlers.identity import Via
from handlers.members import add_member, link_member
from tests.conftest import AFTER_MEETING
from tests.slack_fixtures import (
    CHAIR,
    CR,
    DP,
    JS,
    SECRETARIAT,
    STRANGER,
    action,
    block_text,
    events_of,
)
from tests.slack_harness import SlackHarness, button_commands, sign
from tests.slack_standin import BOT_USER_ID, SlackStandIn

# ---------------------------------------------------------------- /crb commands


def test_done_from_the_linked_owner_is_acknowledged_then_answered_and_audited(
    bot: SlackHarness, linked: Runtime
) -> None:
    answer = bot.slash(DP, "done 04-DP")  # the ack is empty: Slack shows nothing for it
    assert answer.ack.seconds < 3 and answer.seconds < 3
    reply = answer.reply
    assert reply["response_type"] == "ephemeral" and reply["replace_original"] is False
    assert "Done: 04-DP" in block_text(reply["blocks"])
    assert "Done: 04-DP" in reply["text"]  # the plain-text fallback
    closed = action(linked, "draft paper")
    assert closed.status == ActionStatus.DONE and closed.done_by.initials == "DP"
    (event,) = events_of(linked, EventKind.DONE)
    assert (event.actor_label, event.at) == ("DP", AFTER_MEETING)


def test_mine_shows_dp_their_own_and_joint_actions_with_buttons(bot: SlackHarness) -> None:
    reply = bot.slash(DP, "mine").reply
    text = block_text(reply["blocks"])
    assert "Your open actions (2)" in text
    assert "05-DP/RT — The statistics supporting the report" in text
    assert "04-DP — DP will circulate a previous draft paper" in text
    assert "Next meeting: Wednesday 24 February 2021" in text
    assert button_commands(reply["blocks"]) == [
        "done 04-DP",
        "note 04-DP",
        "done 05-DP/RT",
        "note 05-DP/RT",
    ]
    action_blocks = [b for b in reply["blocks"] if b["type"] == "actions"]
    assert [e["text"]["text"] for e in action_blocks[0]["elements"]] == ["Mark done", "Add update"]


@pytest.mark.parametrize(
    ("user", "text", "expected"),
    [
        (DP, "help", "done REF [note] — mark an action done"),
        (DP, "next", "Next meeting"),
        (DP, "outstanding", "Outstanding actions: 8"),
        (DP, "outstanding CR", "Claire Richardson (CR) — 2"),
        (DP, "note 04-DP amber waiting on the data", "Update recorded on 04-DP"),
        (CR, "done 04-CR", "2 actions match 04-CR"),
        (SECRETARIAT, "add 07 JS Circulate the new terms of reference", "Added 07-JS"),
        (SECRETARIAT, "reassign 06-JS CR", "Reassigned: now 06-CR"),
        (DP, "frobnicate", "I don't know the command “frobnicate”"),
    ],
)
def test_every_chat_command_runs_through_the_slash_command(
    bot: SlackHarness, user: str, text: str, expected: str
) -> None:
    reply = bot.slash(user, text).reply
    assert expected in block_text(reply["blocks"])
    assert reply["response_type"] == "ephemeral"


def test_reopen_undoes_a_done(bot: SlackHarness, linked: Runtime) -> None:
    bot.slash(DP, "done 04-DP")
    reply = bot.slash(DP, "reopen 04-DP sent too early").reply
    assert "Reopened: 04-DP" in block_text(reply["blocks"])
    assert action(linked, "draft paper").status == ActionStatus.OPEN


def test_a_member_cannot_close_someone_elses_action(bot: SlackHarness, linked: Runtime) -> None:
    reply = bot.slash(JS, "done 06-SG").reply
    assert "You can't close 06-SG: it belongs to Steven Gabriel (SG)" in block_text(reply["blocks"])
    assert reply["blocks"][0]["text"]["text"].startswith("❌")
    assert action(linked, "SG to coordinate").status == ActionStatus.OPEN
    assert events_of(linked, EventKind.DONE) == []


def test_an_unlinked_user_is_told_whom_to_ask_and_sees_no_action_text(
    bot: SlackHarness, slack: SlackStandIn
) -> None:
    slack.add_user(STRANGER, email="someone@elsewhere.example", name="Someone")
    for text in ("mine", "outstanding", "done 04-DP"):
        reply = bot.slash(STRANGER, text).reply
        shown = block_text(reply["blocks"]) + reply["text"]
        assert "You're not linked to a member" in shown
        assert "Andy Champness" in shown and "Rachael Thorold" in shown
        assert "draft paper" not in shown and "04-DP" not in shown.replace("done 04-DP", "")
        assert button_commands(reply["blocks"]) == []
    help_reply = bot.slash(STRANGER, "help").reply
    assert "done REF" not in block_text(help_reply["blocks"])


def test_an_unlinked_user_whose_slack_email_matches_a_member_is_linked_automatically(
    linked: Runtime, slack: SlackStandIn
) -> None:
    with linked.unit(Caller(None, "cli", Via.CLI), AFTER_MEETING) as ctx:
        tim = queries.member_by_initials(ctx.session, ctx.board, "TR")
        link_member(ctx, tim, email="Tim.Rice@police.example")
        ctx.session.commit()
    slack.add_user("U0TR", email="tim.rice@police.example", name="Tim Rice")
    with SlackHarness(linked, slack, AFTER_MEETING) as bot:
        reply = bot.slash("U0TR", "mine").reply
    assert "You have no open actions" in block_text(reply["blocks"])
    with linked.sessions() as session:
        board = queries.default_board(session)
        assert queries.member_by_initials(session, board, "TR").slack_id == "U0TR"
    (linking,) = [
        e for e in events_of(linked, EventKind.MEMBER_LINKED) if e.details["to"] == "U0TR"
    ]
    assert linking.actor_label == "slack:email-match"


def test_startup_links_members_by_email_through_users_lookup_by_email(
    linked: Runtime, slack: SlackStandIn
) -> None:
    with linked.unit(Caller(None, "cli", Via.CLI), AFTER_MEETING) as ctx:
        member = queries.member_by_initials(ctx.session, ctx.board, "KB")
        link_member(ctx, member, email="keith.barham@council.example")
        ctx.session.commit()
    slack.add_user("U0KB", email="keith.barham@council.example")
    with SlackHarness(linked, slack, AFTER_MEETING) as bot:
        (lookup,) = slack.wait_for("users.lookupByEmail")
        assert lookup.params["email"] == "keith.barham@council.example"
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and "Keith" not in block_text(
            bot.slash("U0KB", "outstanding KB").reply["blocks"]
        ):
            time.sleep(0.05)
    with linked.sessions() as session:
        board = queries.default_board(session)
        assert queries.member_by_initials(session, board, "KB").slack_id == "U0KB"


def test_officers_link_a_member_by_mentioning_them(bot: SlackHarness, linked: Runtime) -> None:
    refused = bot.slash(DP, "link TR <@U0TR|tim>").reply
    assert "Only the chair or the secretariat can link members" in block_text(refused["blocks"])
    reply = bot.slash(SECRETARIAT, "link TR <@U0TR|tim>").reply
    assert "Linked Tim Rice (TR) to that Slack account" in block_text(reply["blocks"])
    assert "Your open actions" in block_text(bot.slash("U0TR", "mine").reply["blocks"]) or (
        "You have no open actions" in block_text(bot.slash("U0TR", "mine").reply["blocks"])
    )
    taken = bot.slash(SECRETARIAT, "link TR <@U0DP>").reply
    assert "already linked to DP" in block_text(taken["blocks"])
    unescaped = bot.slash(SECRETARIAT, "link TR @tim").reply
    assert "Mention them with @" in block_text(unescaped["blocks"])


def test_the_acknowledgement_comes_before_any_work(linked: Runtime, slack: SlackStandIn) -> None:
    started, release = threading.Event(), threading.Event()

    def held_clock() -> datetime:  # the work asks the time first: hold it there
        started.set()
        assert release.wait(10)
        return AFTER_MEETING

    with SlackHarness(linked, slack, AFTER_MEETING, clock=held_clock) as bot:
        fields = bot.command_fields(DP, "done 04-DP")
        ack = bot.send_form(fields)
        assert (ack.status, ack.body) == (200, "")  # while the work is held
        assert started.wait(5) and slack.calls_to("response_url") == []
        release.set()
        (answer,) = slack.answers_at(fields["response_url"])
    assert "Done: 04-DP" in block_text(answer.blocks)
    assert action(linked, "draft paper").status == ActionStatus.DONE


def test_only_the_chair_posts_the_outstanding_list_to_the_channel(bot: SlackHarness) -> None:
    refused = bot.slash(DP, "outstanding --post").reply
    assert refused["response_type"] == "ephemeral"
    assert "Only the chair can post" in block_text(refused["blocks"])
    private = bot.slash(CHAIR, "outstanding").reply
    assert private["response_type"] == "ephemeral"
    assert "outstanding --post" in button_commands(private["blocks"])
    posted = bot.slash(CHAIR, "outstanding --post").reply
    assert posted["response_type"] == "in_channel"
    assert "Outstanding actions: 8" in block_text(posted["blocks"])
    assert button_commands(posted["blocks"]) == []  # nothing to click for the whole channel


def test_the_chairs_post_to_channel_button_posts_in_channel(
    bot: SlackHarness, slack: SlackStandIn
) -> None:
    bot.click(CHAIR, "outstanding --post")
    (call,) = slack.wait_for("response_url")
    assert call.params["response_type"] == "in_channel"
    assert "Outstanding actions: 8" in block_text(call.blocks)


# ---------------------------------------------------------------- signatures


def test_a_forged_signature_gets_401_and_changes_nothing(
    bot: SlackHarness, linked: Runtime
) -> None:
    fields = bot.command_fields(DP, "done 04-DP")
    body = "&".join(f"{k}={v}" for k, v in fields.items())
    forged = sign(body, secret="not-the-signing-secret")
    answer = bot.send(body, "application/x-www-form-urlencoded", signature=forged)
    assert answer.status == 401
    assert action(linked, "draft paper").status == ActionStatus.OPEN
    unsigned = bot.send(body, "application/x-www-form-urlencoded", signature={})
    assert unsigned.status == 401


def test_a_stale_request_gets_401_even_when_signed_correctly(
    bot: SlackHarness, linked: Runtime
) -> None:
    fields = bot.command_fields(DP, "done 04-DP")
    body = "&".join(f"{k}={v}" for k, v in fields.items())
    six_minutes_ago = int(time.time()) - 6 * 60
    answer = bot.send(
        body, "application/x-www-form-urlencoded", signature=sign(body, timestamp=six_minutes_ago)
    )
    assert answer.status == 401
    assert action(linked, "draft paper").status == ActionStatus.OPEN
    four_minutes_ago = int(time.time()) - 4 * 60
    fresh = bot.send(
        body, "application/x-www-form-urlencoded", signature=sign(body, timestamp=four_minutes_ago)
    )
    assert fresh.status == 200


def test_a_tampered_body_gets_401(bot: SlackHarness, linked: Runtime) -> None:
    fields = bot.command_fields(JS, "mine")
    body = "&".join(f"{k}={v}" for k, v in fields.items())
    signature = sign(body)
    tampered = body.replace("text=mine", "text=done+06-SG")
    answer = bot.send(tampered, "application/x-www-form-urlencoded", signature=signature)
    assert answer.status == 401
    assert action(linked, "SG to coordinate").status == ActionStatus.OPEN


# ---------------------------------------------------------------- buttons and the modal


def test_mark_done_button_closes_the_action_and_a_second_click_says_so(
    bot: SlackHarness, slack: SlackStandIn, linked: Runtime
) -> None:
    mine = bot.slash(DP, "mine").reply["blocks"]
    assert bot.press(DP, mine, "done 04-DP", ephemeral=True).status == 200
    first = slack.wait_for("response_url", count=2)[1]  # [0] answered /crb mine
    assert "Done: 04-DP" in block_text(first.blocks)
    assert first.params["replace_original"] is True  # the list clicked is shown again
    assert "done 04-DP" not in button_commands(first.blocks)
    assert "reopen 04-DP" in button_commands(first.blocks)
    assert bot.press(DP, mine, "done 04-DP", ephemeral=True).status == 200  # the old button
    second = slack.wait_for("response_url", count=3)[2]
    text = block_text(second.blocks)
    assert "04-DP is already done: DP closed it on 26 Nov 2020." in text
    assert "Nothing changed." in text
    assert len(events_of(linked, EventKind.DONE)) == 1


def test_a_button_click_by_someone_else_is_refused(
    bot: SlackHarness, slack: SlackStandIn, linked: Runtime
) -> None:
    bot.click(JS, "done 04-DP")
    (call,) = slack.wait_for("response_url")
    assert "You can't close 04-DP: it belongs to Damian Pettit (DP)" in block_text(call.blocks)
    assert action(linked, "draft paper").status == ActionStatus.OPEN


def test_add_update_opens_the_modal_and_its_submission_records_the_rag_note(
    bot: SlackHarness, slack: SlackStandIn, linked: Runtime
) -> None:
    bot.press(DP, bot.slash(DP, "mine").reply["blocks"], "note 04-DP", ephemeral=True)
    (opened,) = slack.wait_for("views.open")
    view = opened.view
    assert view["type"] == "modal" and view["callback_id"] == "crb_note"
    assert [b.get("block_id") for b in view["blocks"][1:]] == ["note", "rag"]
    options = view["blocks"][2]["element"]["options"]
    assert [o["value"] for o in options] == ["red", "amber", "green"]
    origin = json.loads(view["private_metadata"])
    assert origin["ref"] == "04-DP" and origin["action"] == action(linked, "draft paper").id
    answer = bot.submit_note(DP, view, "Draft out for comment; <!channel> *review* due", "amber")
    assert answer.status == 200 and answer.body in ("", "{}")  # the modal closes
    confirmation = slack.wait_for("response_url", count=2)[1]
    text = block_text(confirmation.blocks)
    assert "Update recorded on 04-DP" in text
    assert "&lt;!channel&gt; *review*" in text  # shown literally, never a mention
    (note,) = events_of(linked, EventKind.NOTE)
    assert (note.actor_label, note.rag, note.note) == (
        "DP",
        Rag.AMBER,
        "Draft out for comment; <!channel> *review* due",
    )


def test_a_refused_update_shows_on_the_modal_and_records_nothing(
    bot: SlackHarness, slack: SlackStandIn, linked: Runtime
) -> None:
    bot.press(DP, bot.slash(DP, "mine").reply["blocks"], "note 04-DP", ephemeral=True)
    (opened,) = slack.wait_for("views.open")
    answer = bot.submit_note(JS, opened.view, "I should not be able to do this")
    reply = answer.json()
    assert reply["response_action"] == "errors"
    assert "belongs to Damian Pettit" in reply["errors"]["note"]
    assert events_of(linked, EventKind.NOTE) == []


def test_when_the_modal_cannot_open_the_user_is_told_how_to_type_it(
    bot: SlackHarness, slack: SlackStandIn
) -> None:
    slack.fail("views.open", status=200, error="expired_trigger_id")
    bot.press(DP, bot.slash(DP, "mine").reply["blocks"], "note 04-DP", ephemeral=True)
    call = slack.wait_for("response_url", count=2)[1]
    text = block_text(call.blocks)
    assert "I couldn't open the update form (Slack said: expired_trigger_id)" in text
    assert "/crb note 04-DP" in text


def test_every_button_runs_its_command_so_new_buttons_need_no_new_listener(
    bot: SlackHarness, slack: SlackStandIn, linked: Runtime
) -> None:
    bot.click(CR, "done 04-CR.2")
    (call,) = slack.wait_for("response_url")
    assert "Done: 04-CR.2" in block_text(call.blocks)
    assert action(linked, "Covid 19 DA funding").status == ActionStatus.DONE


# ---------------------------------------------------------------- App Home


def test_app_home_shows_a_members_actions_and_the_next_meeting(
    bot: SlackHarness, slack: SlackStandIn
) -> None:
    assert bot.event({"type": "app_home_opened", "user": DP, "tab": "home"}).status == 200
    (published,) = slack.wait_for("views.publish")
    assert published.params["user_id"] == DP
    view = published.view
    assert view["type"] == "home"
    text = block_text(view["blocks"])
    assert "Your open actions" in text and "04-DP — DP will circulate" in text
    assert "Next meeting: Wednesday 24 February 2021" in text
    assert "The board" not in text and "06-SG" not in text
    assert "done 04-DP" in button_commands(view["blocks"])


def test_app_home_for_the_chair_also_shows_the_boards_outstanding_actions_by_owner(
    bot: SlackHarness, slack: SlackStandIn
) -> None:
    bot.event({"type": "app_home_opened", "user": CHAIR, "tab": "home"})
    (published,) = slack.wait_for("views.publish")
    text = block_text(published.view["blocks"])
    assert "The board — Outstanding actions: 8" in text
    assert "Steven Gabriel (SG) — 1" in text and "06-SG — SG to coordinate" in text
    assert len(published.view["blocks"]) <= 100


def test_app_home_for_an_unlinked_user_explains_whom_to_ask(
    bot: SlackHarness, slack: SlackStandIn
) -> None:
    bot.event({"type": "app_home_opened", "user": STRANGER, "tab": "home"})
    (published,) = slack.wait_for("views.publish")
    text = block_text(published.view["blocks"])
    assert "You're not linked to a member" in text and "04-" not in text


def test_a_click_on_the_app_home_republishes_it_with_the_result(
    bot: SlackHarness, slack: SlackStandIn, linked: Runtime
) -> None:
    bot.click(DP, "done 04-DP", on_home=True)
    (published,) = slack.wait_for("views.publish")
    text = block_text(published.view["blocks"])
    assert text.startswith("✅ Done: 04-DP")
    assert "04-DP — DP will circulate" not in text.split("Your open actions")[1]
    assert action(linked, "draft paper").status == ActionStatus.DONE


# ---------------------------------------------------------------- the DM


def test_a_plain_dm_runs_the_command_and_the_bot_answers_in_that_dm(
    bot: SlackHarness, slack: SlackStandIn, linked: Runtime
) -> None:
    assert bot.dm(DP, "done 04-DP").status == 200
    (posted,) = slack.wait_for("chat.postMessage")
    assert posted.params["channel"] == f"D{DP}"
    assert "Done: 04-DP" in block_text(posted.blocks)
    assert action(linked, "draft paper").status == ActionStatus.DONE


def test_a_retried_event_changes_nothing_more_and_is_not_answered_twice(
    bot: SlackHarness, slack: SlackStandIn, linked: Runtime
) -> None:
    bot.dm(DP, "note 04-DP green circulated", event_id="Ev0RETRY01")
    slack.wait_for("chat.postMessage")
    retried = bot.dm(DP, "note 04-DP green circulated", event_id="Ev0RETRY01", retry=1)
    assert (retried.status, retried.body) == (200, "")  # acknowledged at once, as any event
    time.sleep(0.3)
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert len(events_of(linked, EventKind.NOTE)) == 1
    with linked.sessions() as session:
        events = select(func.count(ProcessedEvent.id)).where(ProcessedEvent.platform == "slack")
        assert session.scalar(events) == 1  # ("slack-signature" rows: each request's signature)


def test_the_bots_own_messages_and_edits_are_not_answered(
    bot: SlackHarness, slack: SlackStandIn
) -> None:
    own = {"type": "message", "channel_type": "im", "channel": "DBOT", "user": BOT_USER_ID}
    bot.event({**own, "text": "Done: 04-DP", "bot_id": "BCRB0001"})
    bot.event({**own, "user": DP, "subtype": "message_changed", "text": "done 04-DP"})
    bot.event({**own, "user": DP, "channel_type": "channel", "text": "done 04-DP"})
    bot.dm(DP, "mine")
    (posted,) = slack.wait_for("chat.postMessage")
    time.sleep(0.2)
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert "Your open actions" in block_text(posted.blocks)


# ---------------------------------------------------------------- minutes sent in the DM


def file_share(user_id: str, file: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "message",
        "subtype": "file_share",
        "channel": f"D{user_id}",
        "channel_type": "im",
        "user": user_id,
        "text": "",
        "files": [file],
        "ts": f"{time.time():.6f}",
    }


@pytest.fixture
def empty_board(runtime: Runtime) -> Runtime:
    """A board with only its secretariat, linked on Slack: the minutes are not yet imported."""
    with runtime.unit(Caller(None, "cli", Via.CLI), AFTER_MEETING) as ctx:
        add_member(ctx, "RT", "Rachael Thorold", role=Role.SECRETARIAT, slack_id=SECRETARIAT)
        add_member(ctx, "DP", "Damian Pettit", slack_id=DP)
        ctx.session.commit()
    return runtime


def test_minutes_sent_in_the_dm_are_previewed_then_imported_exactly_once(
    empty_board: Runtime, slack: SlackStandIn
) -> None:
    from bot.demo import sample_text

    file = slack.add_file("crb-minutes-2020-11-25.txt", sample_text().encode())
    with SlackHarness(empty_board, slack, AFTER_MEETING) as bot:
        bot.event(file_share(SECRETARIAT, file))
        (preview,) = slack.wait_for("chat.postMessage")
        (download,) = slack.calls_to("files.download")
        assert download.headers["Authorization"] == f"Bearer {slack.bot_token}"
        text = block_text(preview.blocks)
        assert "Preview: the minutes of 25 November 2020 (crb-minutes-2020-11-25.txt)" in text
        assert "action 04-DP: DP will circulate" in text and "Warnings" in text
        with empty_board.sessions() as session:
            assert session.scalar(select(func.count(Action.id))) == 0  # a dry run only
            (upload,) = session.scalars(select(PendingImport)).all()
        assert button_commands(preview.blocks) == [
            f"import {upload.id}",
            f"import {upload.id} cancel",
        ]

        bot.click(SECRETARIAT, f"import {upload.id}")
        (imported,) = slack.wait_for("response_url")
        assert "Imported the minutes of 25 November 2020" in block_text(imported.blocks)
        bot.click(SECRETARIAT, f"import {upload.id}")
        again = slack.wait_for("response_url", count=2)[1]
        assert "was already imported by RT" in block_text(again.blocks)
    with empty_board.sessions() as session:
        assert session.scalar(select(func.count(Action.id))) == 8
        assert session.get(PendingImport, upload.id).status == PendingImportStatus.APPLIED
        imported_by = session.scalars(
            select(AuditEvent.actor_label).where(AuditEvent.kind == EventKind.IMPORTED)
        ).all()
        assert set(imported_by) == {"RT"}


def test_cancel_drops_an_upload_and_a_member_cannot_import(
    empty_board: Runtime, slack: SlackStandIn
) -> None:
    from bot.demo import sample_text

    file = slack.add_file("minutes.txt", sample_text().encode())
    with SlackHarness(empty_board, slack, AFTER_MEETING) as bot:
        bot.event(file_share(DP, file))
        (refused,) = slack.wait_for("chat.postMessage")
        assert "Only the chair or the secretariat can import minutes" in block_text(refused.blocks)
        assert slack.calls_to("files.download") == []  # not even fetched
        bot.event(file_share(SECRETARIAT, file))
        preview = slack.wait_for("chat.postMessage", count=2)[1]
        cancel = button_commands(preview.blocks)[1]
        bot.click(SECRETARIAT, cancel)
        (cancelled,) = slack.wait_for("response_url")
        assert "Cancelled: minutes.txt was not imported" in block_text(cancelled.blocks)
    with empty_board.sessions() as session:
        assert session.scalar(select(func.count(Action.id))) == 0


def test_an_unreadable_upload_is_explained_and_changes_nothing(
    empty_board: Runtime, slack: SlackStandIn
) -> None:
    file = slack.add_file("minutes.pdf", b"%PDF-1.4 not minutes")
    with SlackHarness(empty_board, slack, AFTER_MEETING) as bot:
        bot.event(file_share(SECRETARIAT, file))
        (reply,) = slack.wait_for("chat.postMessage")
    assert "I can't read .pdf files" in block_text(reply.blocks)
    with empty_board.sessions() as session:
        assert session.scalar(select(func.count(PendingImport.id))) == 0


def test_add_update_from_the_app_home_republishes_the_home_with_the_update(
    bot: SlackHarness, slack: SlackStandIn, linked: Runtime
) -> None:
    bot.event({"type": "app_home_opened", "user": DP, "tab": "home"})
    (home,) = slack.wait_for("views.publish")
    bot.press(DP, home.view["blocks"], "note 05-DP/RT", on_home=True)
    (opened,) = slack.wait_for("views.open")
    assert json.loads(opened.view["private_metadata"]) == {
        "action": action(linked, "statistics supporting").id,
        "ref": "05-DP/RT",
        "home": True,
        "response_url": None,
        "channel": None,
    }
    bot.submit_note(DP, opened.view, "Stats circulated to the Board", "green")
    published = slack.wait_for("views.publish", count=2)[1]
    text = block_text(published.view["blocks"])
    assert text.startswith("✅ Update recorded on 05-DP/RT")
    assert "Latest update: [GREEN] Stats circulated to the Board" in text
    assert slack.calls_to("response_url") == [] and slack.calls_to("chat.postMessage") == []


def test_a_stranger_who_keeps_typing_is_looked_up_on_slack_only_once(
    bot: SlackHarness, slack: SlackStandIn
) -> None:
    for _ in range(3):
        assert "not linked" in block_text(bot.slash(STRANGER, "mine").reply["blocks"])
    assert len(slack.calls_to("users.info")) == 1
