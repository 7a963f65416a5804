"""Issue 17 (desk): an owner is told when an action is added for them or reassigned to them,
exactly once, through their own channel, by the next tick; and an action imported with unknown
initials (03-?) can be given an owner."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from pathlib import Path

from bot.demo import sample_text
from bot.runtime import Runtime
from handlers import roster
from handlers.minutes.text import parse_text
from scheduler.dispatch import tick
from tests.conftest import AFTER_MEETING, SAMPLE, acting, run_import, say
from tests.doubles import RecordingChannel

NOON = AFTER_MEETING + timedelta(hours=3)


def run_tick(runtime: Runtime, channels: list, now: datetime):
    return asyncio.run(tick(runtime.sessions, channels, now))


def linked(runtime: Runtime, *initials: str) -> None:
    with acting(runtime, None) as ctx:
        for each in initials:
            roster.link(ctx, each, "slack_id", f"U0{each}")


def test_a_reassigned_owner_is_told_once_by_the_next_tick(board: Runtime) -> None:
    """Issue 17: owners weren't told when an action was reassigned to them."""
    linked(board, "CR", "JS")
    assert say(board, "AC", "reassign 06-JS CR", NOON).changed
    chat = RecordingChannel()
    first = run_tick(board, [chat], NOON + timedelta(minutes=1))
    assert [(o.kind, o.to, o.platform) for o in first.sent] == [("notice", "CR", "slack")]
    ((initials, message),) = chat.deliveries
    assert initials == "CR"
    assert message.title == (
        "Andy Champness has given you an action on the West Mercia Crime Reduction Board: 06-CR"
    )
    assert [b.label for b in message.actions[0].buttons] == ["Mark done", "Add update"]
    assert run_tick(board, [chat], NOON + timedelta(minutes=2)).sent == []  # once only
    assert len(chat.deliveries) == 1


def test_an_added_owner_is_told_but_not_the_one_who_added_it(board: Runtime) -> None:
    """Issue 17: owners weren't told when an action was added for them."""
    linked(board, "CR", "RT")
    assert say(board, "RT", "add 07 CR/RT send the data", NOON).changed
    chat = RecordingChannel()
    sent = run_tick(board, [chat], NOON + timedelta(minutes=1)).sent
    assert [(o.kind, o.to) for o in sent] == [("notice", "CR")]
    assert chat.deliveries[0][1].title == (
        "Rachael Thorold has added an action for you on the West Mercia Crime Reduction Board: "
        "07-CR/RT"
    )


def test_a_notice_with_nothing_left_to_say_is_dropped(board: Runtime) -> None:
    linked(board, "CR")
    say(board, "AC", "reassign 06-JS CR", NOON)
    assert say(board, "CR", "done 06-CR", NOON).changed
    chat = RecordingChannel()
    assert run_tick(board, [chat], NOON + timedelta(minutes=1)).sent == []
    assert chat.deliveries == []


def test_an_unreachable_owner_is_told_once_a_channel_reaches_them(board: Runtime) -> None:
    say(board, "AC", "reassign 06-JS SG", NOON)
    nobody = run_tick(board, [], NOON + timedelta(minutes=1))
    assert [(o.kind, o.platform) for o in nobody.sent] == [("notice", "none")]
    assert run_tick(board, [], NOON + timedelta(minutes=2)).sent == []  # listed once
    linked(board, "SG")
    chat = RecordingChannel()
    later = run_tick(board, [chat], NOON + timedelta(minutes=3))
    assert [(o.kind, o.to, o.platform) for o in later.sent] == [("notice", "SG", "slack")]


def test_a_refused_change_queues_nothing(board: Runtime) -> None:
    linked(board, "SG")
    assert not say(board, "CR", "reassign 06-JS SG", NOON).changed  # CR may not
    assert run_tick(board, [RecordingChannel()], NOON + timedelta(minutes=1)).sent == []


def unknown_owner_minutes() -> str:
    return sample_text().replace("<p>SG</p> <p>JS</p>", "<p>SG</p> <p>ZQ</p>")


def test_an_action_with_unknown_initials_can_be_given_an_owner(runtime: Runtime) -> None:
    """Issue 17: an action imported with unknown initials showed as 06-? and nothing could give
    it an owner."""
    report = run_import(runtime, parse_text(unknown_owner_minutes()))
    assert any("ZQ" in warning for warning in report.warnings)
    reply = say(runtime, "RT", "reassign 06-? JS", NOON)
    assert reply.changed, reply.title
    assert reply.title == "Reassigned: now 06-JS"
    assert "06-? is" not in say(runtime, "JS", "mine", NOON).title


def test_crb_action_reassign(crb, tmp_path: Path) -> None:
    minutes = tmp_path / "minutes.txt"
    minutes.write_text(unknown_owner_minutes(), encoding="utf-8")
    crb("import", str(minutes))
    shown = crb("action", "reassign", "06-?", "JS").stdout
    assert "Reassigned: now 06-JS" in shown
    owners = {
        a["text"][:6]: a["owners"] for a in json.loads(crb("actions", "--json").stdout)["actions"]
    }
    assert owners["JS is "] == ["JS"]
    assert "No action matches 06-?" in crb("action", "reassign", "06-?", "JS", code=1).stderr
    assert "not a REF" in crb("action", "reassign", "nonsense", "JS", code=1).stderr


def test_the_cli_operator_reassigns_and_the_owner_is_told(crb) -> None:
    crb("import", str(SAMPLE))
    crb("member", "link", "SG", "--email", "sg@example.org")
    crb("action", "reassign", "06-JS", "SG")
    ticked = json.loads(crb("tick", "--json").stdout)
    notices = [(o["kind"], o["to"]) for o in ticked["sent"] if o["kind"] == "notice"]
    assert notices == [("notice", "SG")]
