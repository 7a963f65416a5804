"""Issue 16 (web desk) in a real browser: a person on two boards signs in, chooses a board on
Your boards, works on it, and switches from the header. axe on each page; screenshots for the
README."""

from __future__ import annotations

from typing import Any

from tests.web_fixtures import GOV_MARKING, Governance
from tests.web_harness import WebDesk, assert_accessible, screenshot


def test_a_person_on_two_boards_chooses_and_switches_board(
    web_desk: WebDesk, governance: Governance, browser_page: Any
) -> None:
    page = browser_page
    page.goto(web_desk.sign_in_link("DP", board="CRB", via="email"))  # /login's kind of link
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(web_desk.url("/boards"))
    assert page.get_by_role("group", name="Which board do you want to use?").is_visible()
    assert_accessible(page)
    screenshot(page, "boards-chooser")

    page.get_by_role("button", name="Continue").click()  # nothing chosen: the error summary
    assert page.get_by_role("link", name="Choose the board you want to use").is_visible()
    assert_accessible(page)
    page.get_by_label("Governance Board (GOV)").check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(web_desk.url("/"))
    banner = page.locator(".govuk-notification-banner").inner_text()
    assert "You are now using the Governance Board." in banner
    body = page.inner_text("body")
    assert GOV_MARKING in body and "Refresh the governance risk register" in body
    assert "circulate a previous draft paper" not in body  # DP's action on the other board
    assert_accessible(page)
    screenshot(page, "boards-switched")

    page.get_by_role("link", name="Switch board").click()  # from the header, on any page
    page.wait_for_url(web_desk.url("/boards"))
    assert "You are using it now." in page.locator("#board-2-item-hint").inner_text()
    page.get_by_label("(CRB)").check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(web_desk.url("/"))
    body = page.inner_text("body")
    assert "circulate a previous draft paper" in body and GOV_MARKING not in body
