"""The Actions pages: the filtered listing, an action's page and its forms, over real HTTP
(and in Chromium for accessibility and the phone-sized layout)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from db.models import Action, ActionStatus, AuditEvent, EventKind
from tests.action_harness import action_id
from tests.web_harness import WebDesk, assert_accessible, screenshot, sign_in


def events(desk: WebDesk) -> int:
    with desk.runtime.sessions() as session:
        return session.scalar(select(func.count(AuditEvent.id)))


def action_of(desk: WebDesk, id_: int) -> Action:
    with desk.runtime.sessions() as session:
        action = session.get_one(Action, id_)
        _ = action.owner_initials
        return action


def form_version(page_html: str) -> str:
    marker = 'name="version" value="'
    start = page_html.index(marker) + len(marker)
    return page_html[start : page_html.index('"', start)]


def test_the_listing_filters_by_status_owner_and_meeting(web_desk: WebDesk) -> None:
    visitor = web_desk.visitor()
    visitor.sign_in("CR")
    page = visitor.get("/actions?owner=DP&meeting=2020-11-25&status=open")
    assert page.status_code == 200
    assert "2 actions" in page.text and "04-DP" in page.text and "05-DP/RT" in page.text
    assert "04-CJ" not in page.text
    assert page.headers["Cache-Control"] == "no-store"  # the page shows action text
    bad = visitor.get("/actions?owner=ZZ")
    assert bad.status_code == 400 and "No member has the initials ZZ" in bad.text
    assert 'href="#owner"' in bad.text  # the error summary points at the field


def test_an_owner_marks_their_action_done_and_updates_it_from_its_page(web_desk: WebDesk) -> None:
    paper = action_id(web_desk.runtime, "draft paper")
    visitor = web_desk.visitor()
    visitor.sign_in("DP")
    page = visitor.get(f"/actions/{paper}")
    assert page.status_code == 200 and "Mark done" in page.text
    assert "Reassign" not in page.text  # the chair's and the secretariat's
    update = {
        "csrf_token": visitor.csrf_from(page),
        "version": form_version(page.text),
        "rag": "amber",
        "update-text": "Waiting for comments",
    }
    answer = visitor.post(f"/actions/{paper}/update", update)
    assert answer.status_code == 303 and answer.headers["Location"] == f"/actions/{paper}"
    page = visitor.get(answer.headers["Location"])
    assert "Update recorded on 04-DP" in page.text and "Waiting for comments" in page.text
    done = {"csrf_token": visitor.csrf_from(page), "version": form_version(page.text)}
    assert visitor.post(f"/actions/{paper}/done", done).status_code == 303
    assert action_of(web_desk, paper).status == ActionStatus.DONE
    with web_desk.runtime.sessions() as session:
        kinds = [EventKind.NOTE, EventKind.DONE]
        channels = session.scalars(
            select(AuditEvent.channel).where(
                AuditEvent.kind.in_(kinds), AuditEvent.action_id == paper
            )
        ).all()
        assert channels == ["web", "web"]


def test_a_stale_form_changes_nothing_and_shows_the_action_as_it_is_now(
    web_desk: WebDesk,
) -> None:
    paper = action_id(web_desk.runtime, "draft paper")
    secretariat, owner = web_desk.visitor(), web_desk.visitor()
    secretariat.sign_in("RT")
    owner.sign_in("DP")
    shown = secretariat.get(f"/actions/{paper}")  # the secretariat opens the page...
    page = owner.get(f"/actions/{paper}")  # ...and meanwhile the owner closes it
    owner.post(
        f"/actions/{paper}/done",
        {"csrf_token": owner.csrf_from(page), "version": form_version(page.text)},
    )
    before = events(web_desk)
    answer = secretariat.post(
        f"/actions/{paper}/text",
        {
            "csrf_token": secretariat.csrf_from(shown),
            "version": form_version(shown.text),
            "text": "Reworded",
        },
    )
    assert answer.status_code == 409
    assert "has changed since you opened it, so nothing was changed" in answer.text
    assert "Done</strong>" in answer.text  # the page shows it as it is now
    assert events(web_desk) == before
    assert action_of(web_desk, paper).text.startswith("DP will circulate")


def test_a_plain_member_cannot_change_another_members_action(web_desk: WebDesk) -> None:
    paper = action_id(web_desk.runtime, "draft paper")  # DP's
    visitor = web_desk.visitor()
    visitor.sign_in("CR")
    page = visitor.get(f"/actions/{paper}")
    assert page.status_code == 200 and "Mark done" not in page.text  # no form is offered
    token, version = visitor.csrf_from(page), form_version_of(web_desk, paper)
    before = events(web_desk)
    for verb, fields in (
        ("done", {}),
        ("update", {"update-text": "Not mine"}),
        ("reassign", {"owners": "CR"}),
        ("text", {"text": "Mine now"}),
    ):
        answer = visitor.post(
            f"/actions/{paper}/{verb}", {"csrf_token": token, "version": version, **fields}
        )
        assert answer.status_code == 403, verb
    assert events(web_desk) == before
    assert action_of(web_desk, paper).status == ActionStatus.OPEN


def form_version_of(desk: WebDesk, id_: int) -> str:
    """The version an officer's page shows (a plain member's page has no form to read it from)."""
    visitor = desk.visitor()
    visitor.sign_in("RT")
    return form_version(visitor.get(f"/actions/{id_}").text)


def test_the_secretariat_gives_an_owner_to_an_action_without_one(web_desk: WebDesk) -> None:
    with web_desk.runtime.sessions() as session:
        action = session.get_one(Action, action_id(web_desk.runtime, "PCP panel report"))
        action.owner_links.clear()  # as an import leaves initials that match no member
        session.commit()
        unowned = action.id
    visitor = web_desk.visitor()
    visitor.sign_in("RT")
    listing = visitor.get("/actions?owner=%3F")
    assert "04-?" in listing.text and "1 action<" in listing.text
    page = visitor.get(f"/actions/{unowned}")
    assert "Give it an owner" in page.text
    answer = visitor.post(
        f"/actions/{unowned}/reassign",
        {"csrf_token": visitor.csrf_from(page), "version": form_version(page.text), "owners": "cj"},
    )
    assert answer.status_code == 303
    assert action_of(web_desk, unowned).owner_initials == ["CJ"]
    assert "Given to CJ" in visitor.get(f"/actions/{unowned}").text


def test_a_form_with_a_wrong_answer_says_so_beside_the_field(web_desk: WebDesk) -> None:
    paper = action_id(web_desk.runtime, "draft paper")
    visitor = web_desk.visitor()
    visitor.sign_in("RT")
    page = visitor.get(f"/actions/{paper}")
    token, version = visitor.csrf_from(page), form_version(page.text)
    empty = visitor.post(f"/actions/{paper}/update", {"csrf_token": token, "version": version})
    assert empty.status_code == 400 and 'href="#update-text"' in empty.text
    nobody = visitor.post(
        f"/actions/{paper}/reassign", {"csrf_token": token, "version": version, "owners": "ZZ"}
    )
    assert nobody.status_code == 404 and "No member has the initials ZZ" in nobody.text
    assert 'value="ZZ"' in nobody.text  # what was typed is kept


def test_gets_change_nothing(web_desk: WebDesk) -> None:
    paper = action_id(web_desk.runtime, "draft paper")
    visitor = web_desk.visitor()
    visitor.sign_in("RT")
    before = events(web_desk)
    for path in ("/actions", "/actions?status=all", f"/actions/{paper}", f"/actions/{paper}/done"):
        visitor.get(path)
    assert events(web_desk) == before
    assert action_of(web_desk, paper).status == ActionStatus.OPEN


def test_a_post_without_the_csrf_token_is_refused(web_desk: WebDesk) -> None:
    paper = action_id(web_desk.runtime, "draft paper")
    visitor = web_desk.visitor()
    visitor.sign_in("DP")
    page = visitor.get(f"/actions/{paper}")
    answer = visitor.post(f"/actions/{paper}/done", {"version": form_version(page.text)})
    assert answer.status_code == 403
    assert action_of(web_desk, paper).status == ActionStatus.OPEN


def test_the_actions_pages_are_accessible_and_fit_a_phone(
    web_desk: WebDesk, browser_page: Any
) -> None:
    page = browser_page
    sign_in(page, web_desk, "RT")
    page.goto(web_desk.url("/actions"))
    assert_accessible(page)
    screenshot(page, "actions")
    page.get_by_role("link", name="04-DP").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Action 04-DP"
    page.get_by_label("Amber: at risk").check()
    page.get_by_label("Update", exact=True).fill("Waiting for comments")
    page.get_by_role("button", name="Add update").click()
    assert page.get_by_text("Update recorded on 04-DP").is_visible()
    assert_accessible(page)
    screenshot(page, "action")
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(web_desk.url("/actions"))
    assert page.evaluate("document.body.scrollWidth") <= 375  # only the table scrolls sideways
    assert_accessible(page)
    screenshot(page, "actions-phone")
