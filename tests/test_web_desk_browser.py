"""Issue 17 (desk) in a real browser: a chair handover; a meeting moved, cancelled and restored;
a member deactivated on the web and then refused in Slack; the paper downloaded and opened with
python-docx. axe on every page; screenshots for the README."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import docx

from db import queries
from db.models import MeetingStatus, Role
from tests.conftest import link_members, say
from tests.slack_harness import SlackHarness
from tests.slack_standin import SlackStandIn
from tests.web_harness import WebDesk, assert_accessible, screenshot, sign_in


def role_of(desk: WebDesk, initials: str) -> Role:
    with desk.runtime.sessions() as session:
        return queries.member_by_initials(session, queries.default_board(session), initials).role


def status_of(desk: WebDesk, day: date) -> MeetingStatus | None:
    with desk.runtime.sessions() as session:
        meeting = queries.meeting_on(session, queries.default_board(session), day)
        return meeting.status if meeting else None


def test_the_secretariat_hands_the_chair_over(web_desk: WebDesk, browser_page: Any) -> None:
    page = browser_page
    sign_in(page, web_desk, "RT")
    page.get_by_role("link", name="Members").click()
    assert page.get_by_role("heading", name="Members", level=1).is_visible()
    assert_accessible(page)
    screenshot(page, "members")
    page.get_by_role("link", name="Tracey Onslow (TO)").click()
    assert_accessible(page)
    screenshot(page, "member")
    page.get_by_role("link", name="Change role").click()
    assert_accessible(page)
    page.get_by_label("Chair").check()
    page.get_by_role("button", name="Continue").click()
    assert page.get_by_role("heading", name="Check the chair's handover").is_visible()
    assert "Andy Champness (AC), who becomes a member" in page.inner_text("main")
    assert_accessible(page)
    screenshot(page, "chair-handover")
    assert role_of(web_desk, "TO") == Role.MEMBER  # nothing yet: the answers are checked first
    page.get_by_role("button", name="Hand the chair over").click()
    banner = page.locator(".govuk-notification-banner").inner_text()
    assert "Tracey Onslow (TO) is now the chair. Andy Champness (AC) is now a member." in banner
    assert (role_of(web_desk, "TO"), role_of(web_desk, "AC")) == (Role.CHAIR, Role.MEMBER)
    assert_accessible(page)


def test_a_meeting_is_moved_cancelled_and_restored(web_desk: WebDesk, browser_page: Any) -> None:
    page = browser_page
    sign_in(page, web_desk, "RT")
    page.goto(web_desk.url("/meetings"))
    assert_accessible(page)
    screenshot(page, "meetings")
    page.get_by_role("link", name="Move the meeting of 24 February 2021").click()
    assert_accessible(page)
    page.get_by_label("Day").fill("3")
    page.get_by_label("Month").fill("3")
    page.get_by_label("Year").fill("2021")
    page.get_by_label("Start time (optional)").fill("10:00")
    page.get_by_role("button", name="Move meeting").click()
    assert "Moved the meeting of Wednesday 24 February 2021 to Wednesday 3 March 2021." in (
        page.locator(".govuk-notification-banner").inner_text()
    )
    assert status_of(web_desk, date(2021, 2, 24)) is None
    page.get_by_role("link", name="Cancel the meeting of 3 March 2021").click()
    assert_accessible(page)
    page.get_by_role("button", name="Cancel the meeting").click()
    assert status_of(web_desk, date(2021, 3, 3)) == MeetingStatus.CANCELLED
    assert "Cancelled" in page.locator("table").inner_text()
    page.get_by_role("button", name="Restore the meeting of 3 March 2021").click()
    assert (
        status_of(web_desk, date(2021, 3, 3)) == MeetingStatus.TENTATIVE
        or status_of(web_desk, date(2021, 3, 3)) == MeetingStatus.SCHEDULED
    )
    assert "Restored the meeting of Wednesday 3 March 2021." in (
        page.locator(".govuk-notification-banner").inner_text()
    )
    assert_accessible(page)
    page.get_by_role("link", name="Change the board's settings").first.click()
    assert_accessible(page)
    screenshot(page, "board-settings")

    page.set_viewport_size({"width": 375, "height": 740})  # a phone
    page.goto(web_desk.url("/meetings"))
    assert page.get_by_role("heading", name="Meetings").is_visible()
    assert_accessible(page)
    screenshot(page, "meetings-phone")


def test_a_member_deactivated_on_the_web_is_refused_in_slack(
    web_desk: WebDesk, browser_page: Any
) -> None:
    link_members(web_desk.runtime, {"DP": "U0DP"})
    with SlackStandIn() as slack, SlackHarness(web_desk.runtime, slack, web_desk.clock()) as bot:
        before = bot.slash("U0DP", "mine").reply["text"]
        assert "not linked" not in before
        page = browser_page
        sign_in(page, web_desk, "RT")
        page.goto(web_desk.url("/members/DP"))
        page.get_by_role("button", name="Deactivate Damian Pettit").click()  # a link as a button
        assert "still owns 2 open action(s)" in page.inner_text("main")
        assert_accessible(page)
        screenshot(page, "member-deactivate")
        page.get_by_role("button", name="Deactivate Damian Pettit").click()
        assert (
            "Deactivated Damian Pettit (DP)"
            in page.locator(".govuk-notification-banner").inner_text()
        )
        after = bot.slash("U0DP", "mine").reply["text"]
    assert "not linked to a member" in after  # refused through the real Slack path
    assert "not linked to a member" in say(web_desk.runtime, "DP", "mine", web_desk.clock()).title


def test_the_paper_is_downloaded_and_opens_in_word(
    web_desk: WebDesk, browser_page: Any, tmp_path: Path
) -> None:
    page = browser_page
    sign_in(page, web_desk, "CR")
    page.get_by_role("link", name="Paper").click()
    assert page.get_by_role(
        "heading", name="Actions from the meeting held on 25 November 2020"
    ).is_visible()
    assert_accessible(page)
    screenshot(page, "paper")
    link = page.get_by_role("link", name="Word copy of the paper (.docx)")
    assert link.get_attribute("download") is not None  # the browser saves it, not shows it
    # Fetched as the browser fetches it, with its session (page.expect_download would need
    # Playwright's loop outside a browser call, which the harness keeps free for other tests).
    fetched = page.request.get(web_desk.url(link.get_attribute("href")))
    assert fetched.ok
    disposition = fetched.headers["content-disposition"]
    assert disposition == 'attachment; filename="actions-2020-11-25.docx"'
    saved = tmp_path / "actions-2020-11-25.docx"
    saved.write_bytes(fetched.body())
    opened = docx.Document(str(saved))
    text = "\n".join(p.text for p in opened.paragraphs)
    assert "Actions from the meeting held on 25 November 2020" in text
    cells = [cell.text for table in opened.tables for row in table.rows for cell in row.cells]
    assert any("CLIMB" in cell for cell in cells)
    page.get_by_role("button", name="Make my calendar address").click()
    assert "/calendar/" in page.get_by_label("Your calendar address").input_value()
    assert_accessible(page)


def test_the_audit_page_in_a_browser(web_desk: WebDesk, browser_page: Any) -> None:
    page = browser_page
    sign_in(page, web_desk, "RT")
    page.goto(web_desk.url("/audit"))
    assert_accessible(page)
    page.get_by_label("Kind of change").select_option("member_added")
    page.get_by_role("button", name="Filter").click()
    assert "kind=member_added" in page.url
    assert "Member added" in page.locator("table").inner_text()
    assert_accessible(page)
    screenshot(page, "audit")


def test_every_desk_form_is_accessible_with_and_without_errors(
    web_desk: WebDesk, browser_page: Any
) -> None:
    page = browser_page
    sign_in(page, web_desk, "RT")
    for path, button in (
        ("/members/new", "Add member"),
        ("/members/CR/edit", None),
        ("/members/CR/link", "Link"),
        ("/members/CR/role", None),
        ("/meetings/new", "Add meeting"),
        ("/meetings/2021-02-24/edit", None),
        ("/meetings/settings", None),
    ):
        page.goto(web_desk.url(path))
        assert_accessible(page)
        if button:  # sent empty: the error summary, linked to each field at fault
            page.get_by_role("button", name=button).click()
            summary = page.locator(".govuk-error-summary")
            assert summary.is_visible(), path
            assert page.title().startswith("Error: ")
            assert_accessible(page)
    page.goto(web_desk.url("/members/new"))
    page.get_by_role("button", name="Add member").click()
    page.locator(".govuk-error-summary a").first.click()  # the summary takes you to the field
    assert page.evaluate("document.activeElement.id") == "name"
    screenshot(page, "member-new-errors")
