"""One click from the email (issue 18), end to end: a tick sends DP's nudge through real SMTP on
loopback, the test reads it with the ``email`` package, a scanner fetches every link, and DP
presses the buttons in Chromium on the real web app."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.runtime import Runtime
from db.models import Action, AuditEvent, EventKind
from handlers.email_links import Purpose
from tests.conftest import FEB_10, link
from tests.email_harness import html_part, links_in
from tests.link_harness import (
    counts,
    desk_keys,
    link_to,
    mail_with_desk_links,
    member_id,
    token,
    token_in,
)
from tests.web_harness import MovableClock, WebDesk, assert_accessible, screenshot

FEB_11 = FEB_10 + timedelta(days=1)


@pytest.fixture
def desk(
    sqlite_board: Runtime, web_desk_on: Callable[..., WebDesk], clock: MovableClock
) -> WebDesk:
    """The web app on the sample board, its clock at the 14-day nudge; DP is outside chat."""
    link(sqlite_board, "DP", field="email")
    clock.now = FEB_10
    return web_desk_on(sqlite_board)


def action_04_dp(runtime: Runtime) -> Action:
    with runtime.sessions() as session:
        owned = session.scalars(select(Action).where(Action.item == "04")).all()
        action = next(a for a in owned if a.owner_initials == ["DP"])
        session.expunge(action)
        return action


def last_event(runtime: Runtime) -> AuditEvent:
    with runtime.sessions() as session:
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event is not None
        session.expunge(event)
        return event


def test_one_click_from_the_email(desk: WebDesk, clock: MovableClock, browser_page: Any) -> None:
    runtime = desk.runtime
    # 1. A tick sends DP's nudge by email.
    nudge = mail_with_desk_links(runtime, desk, FEB_10)
    (message,) = nudge.messages
    assert [str(a) for a in message["To"].addresses] == ["Damian Pettit <dp@example.org>"]

    # 2. The links, as the email package finds them.
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

    # 3. A mail scanner fetches every link: each page opens, and nothing changes.
    clock.now = FEB_10 + timedelta(minutes=1)
    before = counts(runtime)
    scanner = desk.visitor()
    for _, href in links_in(message):
        fetched = scanner.get(href)
        assert fetched.status_code == 200, fetched.text
        assert fetched.headers["Cache-Control"] == "no-store"
        assert scanner.http.head(href, timeout=10).status_code == 200
    assert counts(runtime) == before

    # 4. DP opens "Mark done" in a browser and presses the button.
    clock.now = FEB_10 + timedelta(hours=1, minutes=5)
    page = browser_page
    page.goto(link_to(message, "Mark 04-DP done"))
    assert page.get_by_role("heading", level=1).inner_text() == "Mark 04-DP done?"
    assert_accessible(page)
    page.get_by_role("button", name="Mark done").click()
    page.get_by_text("Done: 04-DP").wait_for()
    screenshot(page, "email-link-done")
    done = action_04_dp(runtime)
    assert done.status == "done" and done.done_by_id == member_id(runtime, "DP")
    event = last_event(runtime)
    assert (event.kind, event.actor_id, event.action_id) == (
        EventKind.DONE,
        member_id(runtime, "DP"),
        done.id,
    )
    assert event.channel == "email link"
    # The page offers the rest of the email: the other action, snoozing, the whole list.
    assert page.get_by_role("link", name="Add an update to 05-DP/RT").count() == 1
    assert page.get_by_role("link", name="Snooze 1 day").count() == 1

    # 5. The same link again: already done, and by whom.
    page.goto(link_to(message, "Mark 04-DP done"))
    assert page.get_by_role("heading", level=1).inner_text() == "04-DP is already done"
    assert "marked done by Damian Pettit on Wednesday 10 February 2021 at 10:05" in (page.content())
    assert page.get_by_role("button", name="Mark done").count() == 0

    # 6. "Add an update" to 05-DP/RT: amber and a line.
    page.goto(link_to(message, "Add an update", nth=1))
    page.get_by_role("button", name="Add update").click()  # nothing chosen, nothing written
    assert page.get_by_text("Choose red, amber or green.").count() >= 1
    assert_accessible(page)
    page.get_by_label("Amber").check()
    page.get_by_label("Your update").fill("Statistics are with the analyst; due Friday.")
    page.get_by_role("button", name="Add update").click()
    page.get_by_text("Update recorded on 05-DP/RT").wait_for()
    event = last_event(runtime)
    assert (event.kind, event.rag, event.note, event.actor_id) == (
        EventKind.NOTE,
        "amber",
        "Statistics are with the analyst; due Friday.",
        member_id(runtime, "DP"),
    )

    # 7. Snooze for one day: the next nudge comes a day later.
    page.goto(link_to(message, "Snooze 1 day"))
    assert "Thursday 11 February at 09:00" in page.content() or "Thu 11 Feb at 09:00" in (
        page.content()
    )
    page.get_by_role("button", name="Snooze").click()
    page.get_by_text("I'll remind you again on Thu 11 Feb at 09:00.").wait_for()
    assert mail_with_desk_links(runtime, desk, FEB_11 - timedelta(minutes=1)).messages == []
    again = mail_with_desk_links(runtime, desk, FEB_11)
    assert [o.slot.startswith("snooze-") for o in again.result.sent] == [True]
    (follow_up,) = again.messages
    assert "Mark 05-DP/RT done" in [text for text, _ in links_in(follow_up)]
    assert "Mark 04-DP done" not in [text for text, _ in links_in(follow_up)]  # done already


def test_the_html_email_passes_axe_and_is_pictured(desk: WebDesk, browser_page: Any) -> None:
    (message,) = mail_with_desk_links(desk.runtime, desk, FEB_10).messages
    browser_page.set_viewport_size({"width": 720, "height": 900})
    browser_page.set_content(html_part(message))
    assert_accessible(browser_page)
    screenshot(browser_page, "email-nudge")
    browser_page.set_viewport_size({"width": 390, "height": 844})
    assert_accessible(browser_page)
    screenshot(browser_page, "email-nudge-phone")


# ---------------------------------------------------------------- refusals, changing nothing


def test_a_link_for_another_persons_action_is_refused(desk: WebDesk) -> None:
    runtime = desk.runtime
    keys = desk_keys(runtime, FEB_10)
    own = token(runtime, "DP", Purpose.DONE, action=("DP", "04"), issued=FEB_10, keys=keys)
    theirs = token(runtime, "DP", Purpose.DONE, action=("CR", "04"), issued=FEB_10, keys=keys)
    visitor = desk.visitor()
    csrf = visitor.csrf_from(visitor.get(f"/e?token={own}"))
    before = counts(runtime)
    opened = visitor.get(f"/e?token={theirs}")
    assert opened.status_code == 403 and "not yours" in opened.text
    pressed = visitor.post("/e", {"token": theirs, "csrf_token": csrf})
    assert pressed.status_code == 403 and "Nothing was changed" in pressed.text
    assert counts(runtime) == before


def test_an_expired_link_is_refused(desk: WebDesk, clock: MovableClock) -> None:
    (message,) = mail_with_desk_links(desk.runtime, desk, FEB_10).messages
    href = link_to(message, "Mark 04-DP done")
    visitor = desk.visitor()
    form = visitor.get(href)
    clock.now = FEB_10 + timedelta(days=15)  # the day after the meeting of 24 February
    before = counts(desk.runtime)
    assert visitor.get(href).status_code == 403
    pressed = visitor.post("/e", {"token": token_in(href), "csrf_token": visitor.csrf_from(form)})
    assert pressed.status_code == 403 and "expired" in pressed.text
    assert counts(desk.runtime) == before


def test_a_link_altered_by_one_character_is_refused(desk: WebDesk) -> None:
    (message,) = mail_with_desk_links(desk.runtime, desk, FEB_10).messages
    good = token_in(link_to(message, "Mark 04-DP done"))
    visitor = desk.visitor()
    csrf = visitor.csrf_from(visitor.get(f"/e?token={good}"))
    before = counts(desk.runtime)
    for place in (0, len(good) // 2, len(good) - 1):
        swap = "A" if good[place] != "A" else "B"
        altered = good[:place] + swap + good[place + 1 :]
        assert visitor.get(f"/e?token={altered}").status_code == 403
        pressed = visitor.post("/e", {"token": altered, "csrf_token": csrf})
        assert pressed.status_code == 403 and "not valid" in pressed.text
    assert counts(desk.runtime) == before


def test_a_press_without_the_csrf_token_is_refused(desk: WebDesk) -> None:
    (message,) = mail_with_desk_links(desk.runtime, desk, FEB_10).messages
    href = link_to(message, "Mark 04-DP done")
    visitor = desk.visitor()
    assert visitor.get(href).status_code == 200  # the CSRF cookie is set
    before = counts(desk.runtime)
    for forged in ({"token": token_in(href)}, {"token": token_in(href), "csrf_token": "x" * 64}):
        pressed = visitor.post("/e", forged)
        assert pressed.status_code == 403 and "Nothing was changed" in pressed.text
    assert counts(desk.runtime) == before
    assert action_04_dp(desk.runtime).status == "open"
