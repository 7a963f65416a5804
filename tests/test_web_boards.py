"""Issue 16 (web desk): several boards on one desk, over plain HTTP.

A person signs in as themselves, chooses a board when they sit on several ("Your boards"), and
switches from the header; every page shows the chosen board only; a board they have no seat on
is refused; a form left open for one board is not applied to another.
"""

from __future__ import annotations

import re
import time
from datetime import date
from typing import Any

import pytest

from bot.runtime import Runtime
from db import queries
from handlers.email_links import LinkMaker, Purpose, expiry
from tests.web_fixtures import GOV_MARKING, Governance
from tests.web_harness import Visitor, WebDesk, loopback_smtp

# Text only the sample board's pages show (its members, actions and marking).
CRB_ONLY = ("Tracey Onslow", "CLIMB project", "circulate a previous draft paper")


def crb_name(desk: WebDesk) -> str:
    """The sample board's name (its minutes' title names it)."""
    with desk.runtime.sessions() as session:
        return queries.board_by_short(session, "CRB").name


def switch(visitor: Visitor, short: str):
    token = visitor.csrf_from(visitor.get("/boards"))
    return visitor.post("/boards", {"board": short, "csrf_token": token})


def test_a_person_on_two_boards_signs_in_then_chooses_a_board(
    web_desk: WebDesk, governance: Governance
) -> None:
    visitor = web_desk.visitor()
    signed_in = visitor.sign_in("DP", board="CRB", via="email")  # as /login's email makes it
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == "/boards"
    chooser = visitor.get("/boards")
    assert chooser.status_code == 200
    assert "Which board do you want to use?" in chooser.text
    assert 'value="CRB"' in chooser.text and 'value="GOV"' in chooser.text
    assert "You are DP, chair." in chooser.text  # their seat on GOV

    switched = switch(visitor, "GOV")
    assert switched.status_code == 303 and switched.headers["Location"] == "/"
    board = visitor.get("/")
    assert "You are now using the Governance Board." in board.text
    assert GOV_MARKING in board.text and "Switch board" in board.text
    assert "on the Governance Board (GOV)" in board.text

    back = switch(visitor, "crb")  # a code in any case
    assert back.status_code == 303
    assert f"You are now using the {crb_name(web_desk)}." in visitor.get("/").text


def test_login_by_email_signs_in_the_person_who_then_chooses(
    sqlite_board: Runtime, governance: Governance, web_desk_on: Any
) -> None:
    """/login with several boards: one email for the person (it names their boards), and the
    link lands on Your boards."""
    with loopback_smtp() as (port, handler):
        desk = web_desk_on(
            sqlite_board, smtp_url=f"smtp://127.0.0.1:{port}", mail_from="crb@example.org"
        ).public_here()
        visitor = desk.visitor()
        login = visitor.get("/login")
        assert login.status_code == 200 and '<h1 class="govuk-heading-l">Sign in</h1>' in login.text
        sent = visitor.post(
            "/login", {"email": governance.dp_email.upper(), "csrf_token": visitor.csrf_from(login)}
        )
        assert sent.status_code == 200 and "Check your email" in sent.text
        deadline = time.monotonic() + 10
        while not handler.messages and time.monotonic() < deadline:
            time.sleep(0.05)
        (message,) = handler.messages
    assert message["Subject"].endswith("Your sign-in link to your boards' web desk")
    plain = next(part for part in message.walk() if part.get_content_type() == "text/plain")
    body = " ".join(plain.get_payload(decode=True).decode().split())  # unwrapped
    assert f"You sit on the {crb_name(desk)} and the Governance Board" in body
    link = re.search(r"https?://\S+/signin\?token=\S+", body).group(0)
    page = visitor.get(link)
    assert "Sign in to your boards" in page.text
    token = link.split("token=", 1)[1]
    pressed = visitor.post("/signin", {"token": token, "csrf_token": visitor.csrf_from(page)})
    assert pressed.headers["Location"] == "/boards"


def test_a_link_made_for_one_board_opens_that_board(
    web_desk: WebDesk, governance: Governance
) -> None:
    visitor = web_desk.visitor()
    signed_in = visitor.sign_in("DP", board="GOV")  # `crb web link --as DP --board GOV`
    assert signed_in.headers["Location"] == "/"
    assert "Governance Board" in visitor.get("/").text
    assert visitor.get("/boards/GOV").headers["Location"] == "/"  # already there
    asked = visitor.get("/boards/CRB")  # a link into the other board asks first
    assert asked.status_code == 200 and 'value="CRB" checked' in asked.text
    assert "Governance Board" in visitor.get("/").text  # the GET changed nothing


def test_someone_with_no_seat_on_a_board_is_refused_it(
    web_desk: WebDesk, governance: Governance
) -> None:
    visitor = web_desk.visitor()
    visitor.sign_in("RT", board="CRB")
    board = visitor.get("/")
    assert "Switch board" not in board.text and "Governance" not in board.text
    refused = visitor.get("/boards/GOV")
    assert refused.status_code == 403
    assert "You are not a member of the Governance Board (GOV)" in refused.text
    assert switch(visitor, "GOV").status_code == 403
    assert visitor.get("/boards/NOPE").status_code == 404
    after = visitor.get("/")
    assert crb_name(web_desk) in after.text and GOV_MARKING not in after.text


def test_a_form_left_open_for_one_board_is_refused_after_switching(
    web_desk: WebDesk, governance: Governance
) -> None:
    visitor = web_desk.visitor()
    visitor.sign_in("DP", board="GOV")
    form = visitor.get("/members/GV/deactivate")
    assert 'name="crb_board" value="GOV"' in form.text
    stale = {"csrf_token": visitor.csrf_from(form), "crb_board": "GOV"}
    assert switch(visitor, "CRB").status_code == 303  # "in another tab"
    refused = visitor.post("/members/GV/deactivate", stale)
    assert refused.status_code == 409
    assert "This form was for board GOV" in refused.text
    with web_desk.runtime.sessions() as session:
        gov = queries.board_by_short(session, "GOV")
        assert queries.member_by_initials(session, gov, "GV").active  # nothing changed


def test_adding_someone_who_sits_on_another_board_says_they_are_one_person(
    web_desk: WebDesk, governance: Governance
) -> None:
    visitor = web_desk.visitor()
    visitor.sign_in("RT", board="CRB")
    token = visitor.csrf_from(visitor.get("/members/new"))
    added = visitor.post(
        "/members/new",
        {
            "name": "Gina Vale",
            "initials": "GV",
            "email": "Gina.Vale@example.org",
            "role": "member",
            "csrf_token": token,
        },
    )
    assert added.status_code == 303 and added.headers["Location"] == "/members/GV"
    page = visitor.get("/members/GV")
    assert "govuk-notification-banner__title" in page.text and "Important" in page.text
    assert "the same person who sits on the Governance Board (GOV) as GV" in page.text
    assert "the same person" not in visitor.get("/members/GV").text  # shown once
    with web_desk.runtime.sessions() as session:
        seats = queries.seats_by_identity(session, email="gina.vale@example.org")
        assert [seat.board.short for seat in seats] == ["CRB", "GOV"]


def test_a_person_who_sits_on_one_board_lands_on_its_page(
    web_desk: WebDesk, governance: Governance
) -> None:
    visitor = web_desk.visitor()
    signed_in = visitor.sign_in("GV", board="GOV", via="email")
    assert signed_in.headers["Location"] == "/"  # no chooser for one board


# Every page a signed-in member reads: the board, actions, members, meetings, paper, audit.
PAGES = (
    "/",
    "/actions",
    "/actions?owner=DP",
    "/actions?status=all",
    "/members",
    "/members/DP",
    "/meetings",
    "/paper",
    "/paper/actions.md",
    "/paper/actions.csv",
    "/audit",
    "/audit.csv",
)


@pytest.mark.parametrize(
    ("initials", "board", "other_board"),
    [("DP", "GOV", "CRB"), ("DP", "CRB", "GOV"), ("RT", "CRB", "GOV")],
)
def test_pages_signed_in_to_one_board_show_nothing_of_the_other(
    web_desk: WebDesk, governance: Governance, initials: str, board: str, other_board: str
) -> None:
    """Both boards have a DP: DP signed in to either, and RT (CRB only), see their board only."""
    visitor = web_desk.visitor()
    visitor.sign_in(initials, board=board)
    with web_desk.runtime.sessions() as session:
        crb_marking = queries.board_by_short(session, "CRB").marking or "OFFICIAL"
    others = {
        "GOV": (*governance.only_here, "Governance Board"),
        "CRB": (*CRB_ONLY, crb_name(web_desk), crb_marking),
    }[other_board]
    own = {"GOV": governance.only_here[0], "CRB": "Tracey Onslow"}[board]
    read = 0
    for path in PAGES:
        page = visitor.get(path)
        if page.status_code == 403:  # an officer's page, for a plain member: shows nothing
            continue
        assert page.status_code == 200, path
        read += 1
        leaked = [text for text in others if text in page.text]
        assert not leaked, f"{path} on {board} shows {other_board}'s {leaked}"
    assert read >= 7  # a plain member: the board, actions, paper and audit
    assert own in visitor.get("/audit" if board == "GOV" else "/actions").text
    if board == "CRB":  # the other board's action, by its id, is not on this board
        assert visitor.get(f"/actions/{governance.action_id}").status_code == 404


def test_an_email_link_about_one_board_shows_that_board_whatever_the_session(
    web_desk: WebDesk, governance: Governance
) -> None:
    """DP, signed in to CRB, opens a GOV nudge's link: the page wears GOV's name and marking."""
    runtime, now = web_desk.runtime, web_desk.clock()
    with runtime.sessions() as session:
        gov = queries.board_by_short(session, "GOV")
        dp = queries.member_by_initials(session, gov, "DP")
        meeting = queries.meeting_on(session, gov, date(2020, 12, 9))
        maker = LinkMaker(
            runtime.signing_keys(now),
            web_desk.base_url,
            dp.id,
            meeting.id,
            now,
            expiry(gov.timezone, meeting.date),
            from_nudge=True,
        )
    link = maker.link(Purpose.DONE, action_id=governance.action_id)
    visitor = web_desk.visitor()
    visitor.sign_in("DP", board="CRB")
    page = visitor.get(link)
    assert page.status_code == 200 and "Refresh the governance risk register" in page.text
    assert GOV_MARKING in page.text and "Governance Board" in page.text
    assert crb_name(web_desk) not in page.text
