"""A command or a click does exactly what it says, once, on the action it names (issue 13).

Each test drives the real Bolt app with signed requests against the loopback Slack stand-in, and
checks what Slack was told and what the database holds. Each fails on the code before the issue
(d86e4cf): the defect it proves is named in its docstring.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot import render_slack, render_text
from bot.runtime import Runtime
from bot.server import make_app
from bot.slack import SlackBot, SlackChannel, make_client
from db import migrate, queries
from db.models import (
    Action,
    ActionStatus,
    AuditEvent,
    EventKind,
    PendingImport,
    SlackDmChannel,
)
from handlers.context import Caller, Ctx, Links
from handlers.diary import add_meeting
from handlers.identity import Account, Via
from handlers.refs import parse_ref
from handlers.reminders import digest_reply
from handlers.reply import Reply
from handlers.resolve import display_refs, resolve
from handlers.run import run_command
from tests.conftest import AFTER_MEETING, import_sample, link_members, make_runtime, say
from tests.crowd import long_board
from tests.loopback import LoopbackServer
from tests.slack_fixtures import LINKED, block_text
from tests.slack_harness import SlackHarness, button_commands, slack_config
from tests.slack_standin import SlackStandIn

DP, CR, JS, CHAIR, RT = "U0DP", "U0CR", "U0JS", "U0AC", "U0RT"


def action(runtime: Runtime, fragment: str) -> Action:
    with runtime.sessions() as session:
        found = session.scalars(select(Action).where(Action.text.contains(fragment))).one()
        _ = found.done_by
        return found


def count(runtime: Runtime, kind: EventKind) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.kind == kind))


def notes(runtime: Runtime) -> list[str]:
    with runtime.sessions() as session:
        kept = select(AuditEvent.note).where(AuditEvent.kind == EventKind.NOTE)
        return list(session.scalars(kept.order_by(AuditEvent.id)))


def answer(slack: SlackStandIn, number: int) -> dict[str, Any]:
    """The ``number``-th answer posted to any response_url (1: the first)."""
    return slack.wait_for("response_url", count=number)[number - 1].params


def blocks_of(params: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = params.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else blocks


# ---------------------------------------------------------------- 1. a retyped command


def test_done_05_rt_typed_twice_says_it_is_done_and_never_closes_05_dp_rt(
    bot: SlackHarness, linked: Runtime
) -> None:
    """Defect 1: the second `done 05-RT` closed the joint 05-DP/RT."""
    assert "Done: 05-RT" in block_text(bot.slash(RT, "done 05-RT").reply["blocks"])
    again = block_text(bot.slash(RT, "done 05-RT").reply["blocks"])
    assert "05-RT is already done: RT closed it on 26 Nov 2020." in again
    assert "Nothing changed." in again
    assert action(linked, "statistics supporting").status == ActionStatus.OPEN
    assert count(linked, EventKind.DONE) == 1


def test_done_04_cr_after_04_cr_2_lists_both_with_their_states_and_changes_nothing(
    bot: SlackHarness, linked: Runtime
) -> None:
    """Defect 1: `done 04-CR` after `done 04-CR.2` silently closed 04-CR.1."""
    bot.slash(CR, "done 04-CR.2")
    reply = bot.slash(CR, "done 04-CR").reply
    text = block_text(reply["blocks"])
    assert "2 actions match 04-CR. Say which one you mean:" in text
    assert "04-CR.1 — CR to co-ordinate discussion" in text and "(open, raised 25 Nov 2020)" in text
    assert "04-CR.2 — CR to send the Covid 19 DA funding" in text
    assert "(done by CR on 26 Nov 2020, raised 25 Nov 2020)" in text
    assert button_commands(reply["blocks"]) == ["done 04-CR.1"]
    assert action(linked, "CLIMB").status == ActionStatus.OPEN
    assert count(linked, EventKind.DONE) == 1


# ---------------------------------------------------------------- 2. old buttons


@pytest.fixture
def clock() -> list[datetime]:
    """The bot's time, which a test moves on: ``clock[0]``."""
    return [AFTER_MEETING]


@pytest.fixture
def moving_bot(
    linked: Runtime, slack: SlackStandIn, clock: list[datetime]
) -> Iterator[SlackHarness]:
    with SlackHarness(linked, slack, AFTER_MEETING, clock=lambda: clock[0]) as harness:
        yield harness


def test_an_old_mark_done_button_never_closes_the_next_meetings_action_with_the_same_ref(
    moving_bot: SlackHarness, slack: SlackStandIn, linked: Runtime, clock: list[datetime]
) -> None:
    """Defect 2: a button carried "done 04-DP" and closed whichever action was 04-DP by then."""
    bot = moving_bot
    mine = bot.slash(DP, "mine").reply["blocks"]  # the message with the old button
    bot.slash(DP, "done 04-DP")
    clock[0] = datetime(2021, 2, 25, 10, 0, tzinfo=UTC)  # the day after the next meeting
    added = bot.slash(RT, "add 4 DP Report on the review's first findings").reply
    assert "Added 04-DP" in block_text(added["blocks"])
    bot.press(DP, mine, "done 04-DP", ephemeral=True)
    shown = block_text(answer(slack, 4)["blocks"])
    assert "04-DP@2020-11-25 is already done: DP closed it on 26 Nov 2020." in shown
    assert action(linked, "first findings").status == ActionStatus.OPEN
    assert count(linked, EventKind.DONE) == 1


def test_a_click_updates_the_message_clicked_in_place_and_leaves_no_stale_button(
    bot: SlackHarness, slack: SlackStandIn, linked: Runtime
) -> None:
    """Defect 2: the answer was a new message (replace_original false, no chat.update), so the
    clicked message kept its "Mark done" for ever."""
    bot.dm(DP, "mine")
    (posted,) = slack.wait_for("chat.postMessage")
    bot.press(DP, posted.blocks, "done 04-DP")
    updated = answer(slack, 1)
    assert updated["replace_original"] is True
    blocks = blocks_of(updated)
    assert button_commands(blocks) == ["reopen 04-DP", "done 05-DP/RT", "note 05-DP/RT"]
    text = block_text(blocks)
    assert "Your open actions (2)" in text  # the rest of the message is as it was
    assert "DONE 2020-11-26 by DP" in text and "✅ Done: 04-DP" in text
    assert action(linked, "draft paper").status == ActionStatus.DONE


def test_a_click_on_an_action_changed_since_shows_it_now_and_changes_nothing(
    bot: SlackHarness, slack: SlackStandIn, linked: Runtime
) -> None:
    """Defect 2: a click acted on whatever the REF named, whatever had happened since."""
    bot.dm(DP, "mine")
    (posted,) = slack.wait_for("chat.postMessage")
    bot.slash(RT, "done 04-DP")  # the secretariat closes it first
    bot.press(DP, posted.blocks, "done 04-DP")
    updated = answer(slack, 2)
    assert updated["replace_original"] is True
    text = block_text(blocks_of(updated))
    assert "04-DP is already done: RT closed it on 26 Nov 2020." in text
    assert "DONE 2020-11-26 by RT" in text
    assert "done 04-DP" not in button_commands(blocks_of(updated))
    closed = action(linked, "draft paper")
    assert closed.done_by.initials == "RT" and count(linked, EventKind.DONE) == 1


# ---------------------------------------------------------------- 3. text in, text out


def test_what_is_typed_is_stored_as_typed_and_shown_escaped_once(
    bot: SlackHarness, slack: SlackStandIn, linked: Runtime
) -> None:
    """Defect 3: `A&E wait > 4h` was stored as Slack sent it and shown as `A&amp;E wait &gt; 4h`;
    a mentioned colleague was stored as `slack:U0CR`."""
    typed = "note 04-DP amber A&amp;E wait &gt; 4h, ask <@U0CR> &lt;urgent&gt;"  # as Slack sends it
    shown = bot.slash(DP, typed).reply
    assert notes(linked) == ["A&E wait > 4h, ask @Claire Richardson <urgent>"]
    section = next(
        b for b in shown["blocks"] if "Latest update" in b.get("text", {}).get("text", "")
    )
    assert (
        "[AMBER] A&amp;E wait &gt; 4h, ask @Claire Richardson &lt;urgent&gt;"
        in (section["text"]["text"])
    )


def test_a_dm_and_the_update_form_store_the_same_characters_as_the_slash_command(
    bot: SlackHarness, slack: SlackStandIn, linked: Runtime
) -> None:
    """Defect 3: the form stored the raw text and the command the escaped text."""
    bot.dm(DP, "note 05-DP/RT Stats &amp; charts &gt; the brief")
    slack.wait_for("chat.postMessage")
    bot.press(DP, bot.slash(DP, "mine").reply["blocks"], "note 04-DP", ephemeral=True)
    (opened,) = slack.wait_for("views.open")
    bot.submit_note(DP, opened.view, "Stats & charts > the brief")  # a form's text comes raw
    slack.wait_for("response_url", count=2)
    assert notes(linked) == ["Stats & charts > the brief", "Stats & charts > the brief"]


def test_the_migration_repairs_text_saved_escaped_and_says_how_many_rows(
    sqlite_url: str,
) -> None:
    """Defect 3: rows already saved escaped stay garbled without a repair."""
    runtime = make_runtime(sqlite_url)
    import_sample(runtime)
    link_members(runtime, LINKED)
    with runtime.sessions() as session, session.begin():
        board = queries.default_board(session)
        first = session.scalars(select(Action).order_by(Action.id)).first()
        session.add_all(
            AuditEvent(
                board_id=board.id,
                at=AFTER_MEETING,
                kind=EventKind.NOTE,
                actor_label="DP",
                action_id=first.id,
                note=note,
            )
            for note in ("A&amp;E wait &gt; 4h", "ask slack:U0CR", "no escaping & here")
        )
    from alembic import command

    # Saved before the repair: back to the revision before it (0010), and up again.
    command.downgrade(migrate.alembic_config(runtime.engine), "0009")
    reports = migrate.upgrade(runtime.engine)
    assert reports[0] == "Repaired text stored with Slack's escaping: 2 update(s), 0 action(s)."
    assert notes(runtime)[-3:] == ["A&E wait > 4h", "ask @Claire Richardson", "no escaping & here"]
    runtime.engine.dispose()


# ---------------------------------------------------------------- 4. long lists


@pytest.fixture
def long_list(runtime: Runtime, slack: SlackStandIn) -> Iterator[SlackHarness]:
    long_board(runtime, actions=400, owners=40, chair=CHAIR)
    with SlackHarness(runtime, slack, AFTER_MEETING) as harness:
        yield harness


def listed(blocks: list[dict[str, Any]]) -> list[str]:
    """The actions a long list shows, one line each."""
    return [line for line in block_text(blocks).splitlines() if line.startswith("• ")]


def within_slacks_limits(blocks: list[dict[str, Any]], most: int = 50, text: int = 12_000) -> None:
    """At most ``most`` blocks, 3000 characters in each text, ``text`` in all (a message's
    blocks with more are refused: msg_blocks_too_long)."""
    assert len(blocks) <= most
    texts = [b["text"]["text"] for b in blocks if isinstance(b.get("text"), dict)]
    assert all(len(each) <= 3000 for each in texts)
    assert sum(map(len, texts)) <= text


def test_outstanding_on_a_400_action_board_shows_dozens_of_actions_and_an_exact_count(
    long_list: SlackHarness,
) -> None:
    """Defect 4: 400 actions among 40 owners showed 6 actions under 40 headers."""
    blocks = long_list.slash(CHAIR, "outstanding").reply["blocks"]
    within_slacks_limits(blocks)
    shown = listed(blocks)
    assert len(shown) >= 30
    refs = {line.split(" — ")[0] for line in shown}
    note = block_text([b for b in blocks if b["type"] == "context"])
    assert f"{400 - len(refs)} more — <http://localhost:3000/actions|see the full list>" in note
    headers = [b["text"]["text"] for b in blocks if b["type"] == "header"]
    assert headers == []  # owners' names are lines above their actions, only for those shown
    assert "Long-list Owner 01 (L01) — " in block_text(blocks)


@pytest.mark.parametrize("owner", ["", " L03"])
def test_outstanding_builds_views_only_for_what_a_message_can_show_and_says_the_same(
    runtime: Runtime, owner: str
) -> None:
    """Issue 20: `outstanding` built a REF and buttons for each of 400 actions, and the message
    showed about 70 of them. Given a Slack message's room, it builds views only for those that
    could fit, counts the rest, and the message is the very same."""
    long_board(runtime, actions=400, owners=4, chair=CHAIR)
    sessions, chair = runtime.sessions, Account.slack(CHAIR)
    text = f"outstanding{owner}"
    whole = run_command(sessions, chair, text, AFTER_MEETING)
    cut = run_command(sessions, chair, text, AFTER_MEETING, room=render_slack.MESSAGE_ROOM)

    full_list = "https://crb.example.gov.uk/actions"
    assert render_slack.message(cut, full_list=full_list) == render_slack.message(
        whole, full_list=full_list
    )
    listed, every = ({view.action_id for view in reply.actions} for reply in (cut, whole))
    assert cut.unlisted > 0 and len(listed) + cut.unlisted == len(every)
    assert len(listed) < len(every) / 2 if not owner else len(listed) < len(every)
    assert cut.title == whole.title and cut.lines == whole.lines and cut.buttons == whole.buttons
    assert "more" in render_text.render(cut).splitlines()[-2]


def test_the_digest_of_a_400_action_board_shows_dozens_of_actions_and_what_changed(
    runtime: Runtime, slack: SlackStandIn
) -> None:
    """Defect 4: the digest of 400 actions among 40 owners showed none."""
    long_board(runtime, actions=400, owners=40, chair=CHAIR)
    with runtime.unit(Caller(None, "test", Via.CLI), AFTER_MEETING) as ctx:
        chair = queries.member_by_initials(ctx.session, ctx.board, "L01")
        meeting = queries.meetings(ctx.session, ctx.board)[0]
        officer = Caller(chair, "scheduler", Via.SYSTEM)
        desk = Links("https://crb.example.gov.uk", lambda: ("a key",))
        digest = digest_reply(
            Ctx(ctx.session, ctx.board, officer, ctx.now, desk),
            meeting,
            since=AFTER_MEETING - timedelta(days=1),
            since_label="yesterday",
            last_meeting=None,
            reachable=lambda _m: True,
        )
        client = make_client(slack_config(slack, runtime.config.database_url), max_retries=0)
        channel = SlackChannel(client, full_list="https://crb.example.gov.uk/actions")
        asyncio.run(channel.send(chair, digest))
    (posted,) = slack.wait_for("chat.postMessage")
    within_slacks_limits(posted.blocks)
    shown = {line.split(" — ")[0] for line in listed(posted.blocks)}
    assert len(shown) >= 30
    text = block_text(posted.blocks)
    assert f"{400 - len(shown)} more — <https://crb.example.gov.uk/actions|see" in text
    assert "What changed since yesterday" in text
    # Issue 18: the digest links to the board on the web desk, as its last block.
    link = posted.blocks[-1]["elements"][0]["text"]
    assert link == "<https://crb.example.gov.uk/|Open the board on the web desk>"


def test_the_chairs_home_with_120_owners_shows_actions_not_just_headers(
    runtime: Runtime, slack: SlackStandIn
) -> None:
    """Defect 4: with 120 owners the Home tab was all headers: no actions, no note."""
    long_board(runtime, actions=240, owners=120, chair=CHAIR)
    with SlackHarness(runtime, slack, AFTER_MEETING) as bot:
        bot.event({"type": "app_home_opened", "user": CHAIR, "tab": "home"})
        (published,) = slack.wait_for("views.publish")
    blocks = published.view["blocks"]
    within_slacks_limits(blocks, most=100, text=22_000)
    shown = {line.split(" — ")[0] for line in listed(blocks)}
    assert len(shown) >= 30
    assert f"{240 - len(shown)} more — " in block_text(blocks)


# ---------------------------------------------------------------- 5. the acknowledgement


def test_an_event_is_acknowledged_at_once_while_the_database_workers_are_busy(
    bot: SlackHarness, slack: SlackStandIn, linked: Runtime
) -> None:
    """Defect 5: de-duplication wrote to the database before the ack: 4 s with both workers
    busy, and Slack retries anything slower than 3 s."""
    for _ in range(2):
        linked.workers.submit(time.sleep, 2.0)
    acked = bot.dm(DP, "mine")
    assert (acked.status, acked.body) == (200, "") and acked.seconds < 1.0
    (posted,) = slack.wait_for("chat.postMessage", timeout=10)
    assert "Your open actions (2)" in block_text(posted.blocks)


# ---------------------------------------------------------------- 6. the smaller gaps


def test_a_form_answer_the_response_url_refuses_comes_another_way(
    bot: SlackHarness, slack: SlackStandIn, linked: Runtime
) -> None:
    """Defect 6: the webhook's failure status was not checked, so the answer vanished."""
    bot.press(DP, bot.slash(DP, "mine").reply["blocks"], "note 04-DP", ephemeral=True)
    (opened,) = slack.wait_for("views.open")
    slack.fail("response_url", status=404)
    bot.submit_note(DP, opened.view, "Draft circulated")
    (ephemeral,) = slack.wait_for("chat.postEphemeral")
    assert ephemeral.params["user"] == DP
    assert "Update recorded on 04-DP" in block_text(ephemeral.blocks)


SIGN_IN_PAGE = b"<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in</body></html>"


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


def test_a_web_page_served_for_a_file_is_refused_before_it_is_parsed(
    bot: SlackHarness, slack: SlackStandIn, linked: Runtime
) -> None:
    """Defect 6: Slack's sign-in page (200, text/html) would be parsed as the minutes."""
    file = slack.add_file("minutes-2021-02-24.txt", SIGN_IN_PAGE, content_type="text/html")
    bot.event(file_share(RT, file))
    (reply,) = slack.wait_for("chat.postMessage")
    assert "Slack sent a web page instead of the file" in block_text(reply.blocks)
    with linked.sessions() as session:
        assert session.scalar(select(func.count(PendingImport.id))) == 0


def test_a_file_stub_without_addresses_is_looked_up_with_files_info(
    bot: SlackHarness, slack: SlackStandIn
) -> None:
    """Defect 6: a file entry with no URLs got "Slack gave no address" (files.info unused)."""
    from bot.demo import sample_text

    file = slack.add_file("minutes.txt", sample_text().encode())
    stub = {"id": file["id"], "name": "minutes.txt", "mode": "hidden_by_limit"}
    bot.event(file_share(RT, stub))
    (reply,) = slack.wait_for("chat.postMessage")
    assert slack.calls_to("files.info")[0].params["file"] == file["id"]
    assert "gave no address" not in block_text(reply.blocks)
    assert "importing minutes.txt would change nothing" in block_text(reply.blocks)  # it read it


def test_dm_channels_are_opened_once_and_kept_in_the_database_for_every_instance(
    linked: Runtime, slack: SlackStandIn
) -> None:
    """Defect 6: conversations.open (Tier 3) was called for every message."""
    config = slack_config(slack, linked.config.database_url)
    with linked.sessions() as session:
        dp = queries.member_by_initials(session, queries.default_board(session), "DP")
    for _instance in range(2):  # two processes of the bot share the database
        channel = SlackChannel(make_client(config, max_retries=0), sessions=linked.sessions)
        for _message in range(2):
            asyncio.run(channel.send(dp, Reply("Reminder: 2 open actions")))
    assert len(slack.wait_for("chat.postMessage", count=4)) == 4
    assert len(slack.calls_to("conversations.open")) == 1
    with linked.sessions() as session:
        assert session.get(SlackDmChannel, DP).channel_id == "D0DP"


def test_a_dropped_socket_mode_connection_is_reconnected_and_healthz_reports_it(
    linked: Runtime, slack: SlackStandIn
) -> None:
    """Defect 6: the Socket Mode connection was never watched after it first connected, and
    /healthz said nothing of it."""
    import urllib.request

    config = slack_config(
        slack, linked.config.database_url, slack_app_token="xapp-1-test", slack_signing_secret=None
    )
    bot = SlackBot(linked, config, clock=lambda: AFTER_MEETING, watch_seconds=0.2)
    with LoopbackServer(make_app(linked, slack=bot)) as server:
        slack.wait_for("socket.connect")

        def health() -> dict[str, Any]:
            with urllib.request.urlopen(f"{server.base_url}/healthz", timeout=5) as response:
                return json.loads(response.read())["slack"]

        first = health()
        deadline = time.monotonic() + 5
        while not first["connected"] and time.monotonic() < deadline:
            time.sleep(0.05)
            first = health()
        assert first["mode"] == "socket" and first["connected"] is True and first["since"]
        slack.drop_sockets()
        slack.wait_for("socket.connect", count=2, timeout=10)
        deadline = time.monotonic() + 5
        while not (now := health())["connected"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert now["connected"] is True
        payload = {
            "command": "/crb",
            "text": "mine",
            "user_id": DP,
            "team_id": "T0CRB0001",
            "channel_id": "C0BOARD01",
            "response_url": slack.response_url(),
            "trigger_id": "t.9",
        }
        slack.socket_send("slash_commands", payload)
        (answered,) = slack.answers_at(payload["response_url"], timeout=10)
    assert "Your open actions (2)" in block_text(answered.blocks)


def test_a_reply_in_a_dm_thread_is_answered_in_that_thread(
    bot: SlackHarness, slack: SlackStandIn
) -> None:
    """Defect 6: a reply in a DM thread was answered at the top level."""
    event = {
        "type": "message",
        "channel": "D0DP",
        "channel_type": "im",
        "user": DP,
        "text": "mine",
        "ts": "1606383100.000200",
        "thread_ts": "1606383000.000100",
    }
    bot.event(event)
    (posted,) = slack.wait_for("chat.postMessage")
    assert posted.params["thread_ts"] == "1606383000.000100"


def test_healthz_reports_http_mode(bot: SlackHarness) -> None:
    import urllib.request

    with urllib.request.urlopen(f"{bot.server.base_url}/healthz", timeout=5) as response:
        slack = json.loads(response.read())["slack"]
    assert slack["mode"] == "http" and slack["connected"] is True and slack["since"]


# ---------------------------------------------------------------- the rules, on the board


def test_a_closed_actions_ref_names_the_next_meetings_action_once_it_exists(
    linked: Runtime,
) -> None:
    """A later meeting's action takes the plain REF; the closed one keeps its @meeting REF."""
    later = datetime(2021, 2, 25, 10, 0, tzinfo=UTC)
    say(linked, "DP", "done 04-DP")
    with linked.unit(Caller(None, "test", Via.CLI), later) as ctx:
        add_meeting(ctx, date(2021, 2, 24))
        ctx.session.commit()
    say(linked, "RT", "add 4 DP Report on the review's first findings", later)
    assert "04-DP" in [v.ref for v in say(linked, "DP", "mine", later).actions]
    assert say(linked, "DP", "done 04-DP", later).title == "Done: 04-DP"
    assert action(linked, "first findings").status == ActionStatus.DONE
    reopened = say(linked, "DP", "reopen 04-DP@2020-11-25", later)
    assert reopened.title == "Reopened: 04-DP@2020-11-25"


@pytest.mark.parametrize(
    ("sent", "typed"),
    [
        ("A&amp;E wait &gt; 4h", "A&E wait > 4h"),
        ("&amp;lt; stays as typed", "&lt; stays as typed"),
        ("ask <@U0CR|claire> and <@W0AB12>", "ask slack:U0CR and slack:W0AB12"),
        ("see <#C0BOARD01|crime-reduction-board>", "see #crime-reduction-board"),
        (
            "see <https://example.org/a?b=1&amp;c=2|the report>",
            "see the report (https://example.org/a?b=1&c=2)",
        ),
        ("typed <http://example.org|example.org>", "typed example.org"),
        ("mail <mailto:cr@example.org|cr@example.org>", "mail cr@example.org"),
        ("see <https://example.org/x>", "see https://example.org/x"),
        ("<!here> and <!subteam^S0ABC|@analysts>", "@here and @analysts"),
    ],
)
def test_slacks_escaping_is_undone_at_the_edge(sent: str, typed: str) -> None:
    from bot.slack import typed_text

    assert typed_text(sent) == typed


def test_when_the_response_url_refuses_the_clicked_message_is_updated_with_chat_update(
    bot: SlackHarness, slack: SlackStandIn, linked: Runtime
) -> None:
    bot.dm(DP, "mine")
    (posted,) = slack.wait_for("chat.postMessage")
    slack.fail("response_url", status=404)
    bot.press(DP, posted.blocks, "done 04-DP")
    (updated,) = slack.wait_for("chat.update")
    assert (updated.params["channel"], updated.params["ts"]) == ("D0DM", "1606383000.000100")
    assert "reopen 04-DP" in button_commands(updated.blocks)
    assert action(linked, "draft paper").status == ActionStatus.DONE


def test_outstanding_s_refs_are_the_refs_each_action_has_anywhere_else(runtime: Runtime) -> None:
    """Issue 20: `outstanding` names its REFs from the open actions it has read and only the
    closed rivals it reads for them; each REF is the one a single action's view shows, and
    names that action alone (crowded items: 400 actions, 40 owners, 12 items; some closed)."""
    long_board(runtime, actions=400, owners=40, chair=CHAIR)
    with runtime.sessions() as session, session.begin():
        board = queries.default_board(session)
        for action in queries.actions(session, board)[::7]:
            action.status = ActionStatus.DONE
    with runtime.sessions() as session:
        board = queries.default_board(session)
        every_open = queries.listed_actions(session, board, status=ActionStatus.OPEN)
        listed = display_refs(session, board, every_open, every_open)
        one_by_one = {a.id: display_refs(session, board, [a])[a.id] for a in every_open}
        assert listed == one_by_one
        assert len(set(listed.values())) == len(every_open)
        assert any("." in ref for ref in listed.values())  # crowded: ordinals were needed
        ctx = Ctx(session, board, Caller(None, "test", Via.CLI), AFTER_MEETING)
        for action in every_open[::10]:
            ref = parse_ref(listed[action.id])
            assert ref is not None and resolve(ctx, ref).id == action.id
