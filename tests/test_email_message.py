"""The email as a mail client reads it (issue 15, "The email", items 8 to 11).

Each message goes through the real SMTP adapter to a loopback aiosmtpd server and is parsed
back with the standard library's ``email`` package, as a relay and a mail client would.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.email import EmailChannel
from bot.runtime import Runtime
from handlers.errors import UserError
from tests.conftest import FEB_10, OWNERS, import_sample, link, make_runtime
from tests.email_harness import (
    SENDER,
    links_in,
    mail_tick,
    recipients,
    rename,
    text_part,
    with_links,
)

AWKWARD = {
    "CR": "Richardson, Claire",
    "DP": 'Damian "Dee" Pettit',
    "JS": "Zoë Ångström-Stevenson",
}
MAY_12 = datetime(2021, 5, 12, 8, 0, 30, tzinfo=UTC)  # 14 days before 26 May, 09:00 BST


def test_names_with_commas_quotes_and_accents_stay_one_exact_recipient(board: Runtime) -> None:
    """Item 8: "Smith, Jane" is one recipient, never "Smith" and an address."""
    rename(board, AWKWARD)
    link(board, *OWNERS, field="email")
    mail = mail_tick(board, FEB_10)
    named = {name: address for name, address in recipients(mail.messages)}
    for initials, name in AWKWARD.items():
        assert named[name] == f"{initials.lower()}@example.org"
    assert all(len(message["To"].addresses) == 1 for message in mail.messages)
    # What the relay was asked to deliver to: each message, its one address, nothing else.
    assert sorted(mail.envelopes) == sorted([[f"{i.lower()}@example.org"] for i in OWNERS])


def test_message_ids_are_unique_across_installations(board: Runtime, tmp_path: Path) -> None:
    """Item 9: two installations (or a restored backup) never reuse a Message-ID."""
    link(board, *OWNERS, field="email")
    first = mail_tick(board, FEB_10)
    other = make_runtime(f"sqlite:///{tmp_path / 'another-installation.db'}")
    import_sample(other)
    link(other, *OWNERS, field="email")
    second = mail_tick(other, FEB_10)
    other.engine.dispose()
    ids = [str(m["Message-ID"]) for m in first.messages + second.messages]
    assert len(ids) == 12 and len(set(ids)) == 12
    for each in ids:
        assert each.endswith("@opcc.example.org>")
        assert not re.fullmatch(r"<crb-\d+@.*>", each)  # not a row number


def test_headers_stop_auto_replies_and_carry_a_real_offset(board: Runtime) -> None:
    """Item 10: Auto-Submitted, a Date with the board's real offset, in winter and summer."""
    link(board, *OWNERS, field="email")
    winter = mail_tick(board, FEB_10).to("cr@example.org")
    assert winter["Auto-Submitted"] == "auto-generated"
    assert winter["X-Auto-Response-Suppress"] == "All"
    assert str(winter["Date"]) == "Wed, 10 Feb 2021 09:00:30 +0000"
    summer = mail_tick(board, MAY_12).to("cr@example.org")
    assert str(summer["Date"]) == "Wed, 12 May 2021 09:00:30 +0100"
    assert summer["Date"].datetime.utcoffset() == timedelta(hours=1)


def test_the_sender_may_have_a_display_name(board: Runtime) -> None:
    """Item 10: "West Mercia CRB <crb@…>" in CRB_MAIL_FROM is taken, not refused."""
    link(board, "CR", field="email")
    message = mail_tick(board, FEB_10, sender="West Mercia CRB <crb@opcc.example.org>").to(
        "cr@example.org"
    )
    (sender,) = message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("West Mercia CRB", SENDER)
    for wrong in ("", "two@a.org, three@b.org", "Name only", "crb@"):
        with pytest.raises(UserError, match="CRB_MAIL_FROM"):
            EmailChannel("smtp://127.0.0.1:25", wrong)


def test_the_subject_and_first_line_carry_the_marking_and_the_board(board: Runtime) -> None:
    """Item 10: the protective marking leads the subject and the text; the board is named."""
    link(board, "CR", field="email")
    message = mail_tick(board, FEB_10).to("cr@example.org")
    assert message["Subject"] == (
        "[PROTECT – MANAGEMENT] West Mercia Crime Reduction Board: "
        "Reminder: 2 open actions for the board meeting in 14 days"
    )
    lines = text_part(message).splitlines()
    assert lines[0] == "PROTECT – MANAGEMENT"
    assert "West Mercia Crime Reduction Board" in lines[:4]
    (sender,) = message["From"].addresses
    assert sender.display_name == "West Mercia Crime Reduction Board"  # none given: the board's


def test_replies_go_to_the_officers_by_name_or_the_email_says_they_are_not_read(
    board: Runtime,
) -> None:
    link(board, "CR", field="email")
    nobody = mail_tick(board, FEB_10).to("cr@example.org")
    assert nobody["Reply-To"] is None  # never the no-reply sender
    assert "Replies to this email are not read" in " ".join(text_part(nobody).split())
    rename(board, {"AC": "Champness, Andy"})
    link(board, "AC", "RT", field="email")
    officers = mail_tick(board, FEB_10 + timedelta(days=7)).to("cr@example.org")
    assert sorted((a.display_name, a.addr_spec) for a in officers["Reply-To"].addresses) == [
        ("Champness, Andy", "ac@example.org"),
        ("Rachael Thorold", "rt@example.org"),
    ]
    assert "Replies to this email go to Champness, Andy and Rachael Thorold." in " ".join(
        text_part(officers).split()
    )


def test_every_nudge_is_text_and_html_with_links_to_press(board: Runtime) -> None:
    """Item 11: multipart/alternative, and something to press for each action."""
    link(board, "DP", field="email")
    message = mail_tick(board, FEB_10, links=with_links()).to("dp@example.org")
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    assert '<html lang="en-GB"' in message.get_body(("html",)).get_content()
    words = [text for text, _ in links_in(message)]
    assert words == [
        "Mark 04-DP done",
        "Add an update",
        "Mark 05-DP/RT done",
        "Add an update",
        "Snooze 1 day",
        "Snooze 3 days",
        "Snooze until the next reminder",
        "See all my actions",
    ]
    assert all(
        href.startswith("https://crb.opcc.example.org/e?token=") for _, href in links_in(message)
    )
    text = text_part(message)
    assert all(href in text for _, href in links_in(message))  # the text part has them too


def test_a_digest_links_each_action_and_the_board_but_offers_no_snooze(board: Runtime) -> None:
    link(board, "RT", field="email")
    digest = next(
        m
        for m in mail_tick(board, FEB_10 + timedelta(days=7), links=with_links()).messages
        if "Board digest" in m["Subject"]
    )
    words = [text for text, _ in links_in(digest)]
    # Eight open actions; the joint 05-DP/RT is listed under each of its two owners.
    assert words.count("Add an update") == 9 and "Mark 06-JS done" in words
    assert not [w for w in words if w.startswith("Snooze")]
    assert words[-2:] == ["See all my actions", "Open the board on the web desk"]
    assert dict((t, h) for t, h in links_in(digest))["Open the board on the web desk"] == (
        "https://crb.opcc.example.org/"
    )
