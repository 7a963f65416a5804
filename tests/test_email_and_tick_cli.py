"""Email through a loopback SMTP server (aiosmtpd), and `crb tick` and the diary from the CLI."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest

from bot.config import Config
from bot.delivery import build_channels
from bot.email import EmailChannel, parse_smtp_url
from bot.runtime import Runtime
from handlers.errors import UserError
from scheduler.dispatch import tick
from tests.conftest import FEB_10, OWNERS, SAMPLE, link
from tests.doubles import smtp_server


def free_port() -> int:
    """A port nobody listens on: bound by the system, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_owner_outside_chat_is_nudged_by_email(board: Runtime) -> None:
    link(board, *OWNERS, field="email")
    with smtp_server() as (port, mail):
        channel = EmailChannel(f"smtp://127.0.0.1:{port}", "crb@opcc.example.org")
        result = asyncio.run(tick(board.sessions, [channel], FEB_10))
    assert sorted(o.to for o in result.sent) == list(OWNERS)
    assert {o.platform for o in result.sent} == {"email"}
    assert len(mail.messages) == 6
    cr = next(m for m in mail.messages if "cr@example.org" in m["To"])
    assert cr["To"] == "Claire Richardson <cr@example.org>"
    assert cr["From"] == "West Mercia Crime Reduction Board <crb@opcc.example.org>"
    assert cr["Subject"].endswith("Reminder: 2 open actions for the board meeting in 14 days")
    assert cr["Message-ID"].endswith("@opcc.example.org>")
    body = next(p for p in cr.walk() if p.get_content_type() == "text/plain")
    text = body.get_payload(decode=True).decode()
    assert "04-CR.1" in text and "04-CR.2" in text
    assert "no Slack or Teams account is linked" in text


def test_a_refused_address_fails_for_good_and_a_dead_server_is_retried(board: Runtime) -> None:
    link(board, "CR", "DP", field="email")
    with smtp_server() as (port, mail):
        mail.refuse.add("cr@example.org")
        channel = EmailChannel(f"smtp://127.0.0.1:{port}", "crb@opcc.example.org")
        result = asyncio.run(tick(board.sessions, [channel], FEB_10))
    assert [o.to for o in result.sent if o.platform == "email"] == ["DP"]
    refused = next(o for o in result.failed if o.to == "CR")
    assert refused.retry_at is None and "refused" in (refused.error or "")

    link(board, "JS", field="email")
    dead = EmailChannel(f"smtp://127.0.0.1:{free_port()}", "crb@opcc.example.org")
    later = asyncio.run(tick(board.sessions, [dead], FEB_10.replace(minute=30)))
    js = next(o for o in later.failed if o.to == "JS")
    assert js.retry_at is not None and "unavailable" in (js.error or "")


def test_email_settings_are_checked() -> None:
    assert parse_smtp_url("smtp://mail.example.org").port == 25
    assert parse_smtp_url("smtps://u:p%40ss@mail.example.org").password == "p@ss"
    assert parse_smtp_url("smtp://mail:587?starttls=true").tls == "starttls"
    with pytest.raises(UserError, match="smtp://host:port"):
        parse_smtp_url("http://mail.example.org")
    with pytest.raises(UserError, match="CRB_MAIL_FROM"):
        build_channels(Config(smtp_url="smtp://127.0.0.1:25"))
    assert [
        c.platform for c in build_channels(Config(smtp_url="smtp://h", mail_from="a@b.org"))
    ] == ["email"]


def test_crb_tick_sends_each_owner_one_nudge_once(crb, monkeypatch: pytest.MonkeyPatch) -> None:
    crb("import", str(SAMPLE))
    for initials in OWNERS:
        crb("member", "link", initials, "--email", f"{initials.lower()}@example.org")
    with smtp_server() as (port, mail):
        monkeypatch.setenv("SMTP_URL", f"smtp://127.0.0.1:{port}")
        monkeypatch.setenv("CRB_MAIL_FROM", "crb@opcc.example.org")
        early = json.loads(crb("tick", "--at", "2021-02-10T08:59:00Z", "--json").stdout)
        assert early == {"at": "2021-02-10T08:59:00+00:00", "sent": [], "failed": []}
        due = json.loads(crb("tick", "--at", "2021-02-10T09:00:30Z", "--json").stdout)
        again = json.loads(crb("tick", "--at", "2021-02-10T09:00:30Z", "--json").stdout)
    assert sorted(line["to"] for line in due["sent"]) == list(OWNERS)
    assert all(line["kind"] == "nudge" and line["platform"] == "email" for line in due["sent"])
    assert next(line for line in due["sent"] if line["to"] == "DP")["actions"] == [
        "04-DP",
        "05-DP/RT",
    ]
    assert again["sent"] == []
    assert len(mail.messages) == 6
    # The buttons are signed with the key the web desk keeps in the database, and point at it.
    dp = next(m for m in mail.messages if "dp@example.org" in m["To"])
    html = next(p for p in dp.walk() if p.get_content_type() == "text/html")
    assert "http://localhost:3000/e?token=" in html.get_payload(decode=True).decode()


def test_crb_tick_without_channels_says_nothing_was_sent_and_what_waits(crb) -> None:
    """Issue 17: with no channel configured, `crb tick` said "6 sent" when nothing was sent."""
    crb("import", str(SAMPLE))
    shown = " ".join(crb("tick", "--at", "2021-02-10T09:00:30Z").stdout.split())
    assert "sent" not in shown.replace("Nothing was sent", "")
    assert "Nothing was sent" in shown and "no channel is configured" in shown
    assert "These 6 messages are kept" in shown and "once a channel is configured" in shown
    assert "Nothing due" in crb("tick", "--at", "2021-02-10T09:01:30Z").stdout


def test_crb_tick_names_each_recipients_board_when_there_are_several(crb) -> None:
    crb("import", str(SAMPLE))
    crb("board", "add", "GOV", "--name", "Governance Board")
    crb("member", "add", "DP", "--name", "Damian Pettit", "--board", "GOV", "--role", "chair")
    crb("meeting", "add", "2021-03-10", "--board", "GOV")
    crb("console", "--board", "GOV", "--as", "DP", "-c", "add 04 DP draft the framework")
    shown = " ".join(crb("tick", "--at", "2021-02-24T09:00:30Z").stdout.split())
    assert "This message is kept" in shown  # one message, said as one
    assert "GOV DP" in shown  # a person may hold a seat on each board: which one this is


def test_meetings_move_and_cancel_from_the_cli(crb) -> None:
    crb("import", str(SAMPLE))
    at = ("--at", "2021-02-01T12:00Z")
    moved = crb("meeting", "move", "2021-02-24", "2021-03-03", "--time", "10:00", *at)
    assert "Wednesday 3 March 2021" in moved.stdout
    meetings = json.loads(crb("meetings", "--json").stdout)["meetings"]
    assert {"date": "2021-03-03", "time": "10:00"}.items() <= meetings[-1].items()
    assert "No meeting is recorded" in crb("meeting", "cancel", "2021-02-24", *at, code=1).stderr
    assert "in the past" in crb("meeting", "move", "2021-03-03", "2021-01-06", *at, code=1).stderr
    crb("meeting", "cancel", "2021-03-03", *at)
    assert "already cancelled" in crb("meeting", "cancel", "2021-03-03", *at, code=1).stderr
    assert json.loads(crb("tick", "--at", "2021-02-24T09:00:30Z", "--json").stdout)["sent"] == []
