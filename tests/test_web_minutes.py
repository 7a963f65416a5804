"""The Minutes pages: upload, the preview with its fixes, and the import, in Chromium and over
plain HTTP, on the sample board (SQLite)."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from db.models import Action, AuditEvent, Member, PendingImport, PendingImportStatus, Role
from tests.conftest import import_sample, make_runtime
from tests.docx_fixtures import later_minutes, to_bytes
from tests.web_harness import Visitor, WebDesk, assert_accessible, screenshot, sign_in

FIXTURES = Path(__file__).parent / "fixtures" / "minutes"
FEBRUARY = datetime(2021, 2, 25, 10, 0, tzinfo=UTC)  # the morning after the February meeting
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# The February minutes with an action for initials nobody on the board has.
UNKNOWN_OWNER = [("05/24/02/21", ["Action: ZW to review the CCTV contract."], ["ZW"])]


def february_docx() -> bytes:
    return to_bytes(later_minutes(extra_rows=UNKNOWN_OWNER))


def counts(desk: WebDesk) -> tuple[int, ...]:
    with desk.runtime.sessions() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(table))
            for table in (Action, Member, AuditEvent, PendingImport)
        )


def owners_of(desk: WebDesk, fragment: str) -> list[str]:
    with desk.runtime.sessions() as session:
        actions = session.scalars(select(Action).where(Action.text.contains(fragment))).all()
        return ["/".join(a.owner_initials) for a in actions]


def previewed_lines(page: Any) -> list[str]:
    """The preview's lines, as the form's hidden fields send them back."""
    found = re.findall(r'name="line" value="([^"]*)"', page.text)
    return [html.unescape(line) for line in found]


def uploaded(visitor: Visitor, data: bytes, name: str = "February.docx") -> Any:
    page = visitor.get("/minutes")
    return visitor.post(
        "/minutes",
        {"csrf_token": visitor.csrf_from(page)},
        files={"minutes-file": (name, data, DOCX)},
    )


# ---------------------------------------------------------------- in the browser


def test_the_secretariat_imports_word_minutes_fixing_an_unknown_owner(
    crb: Any, sqlite_url: str, web_desk_on: Any, clock: Any, browser_page: Any, monkeypatch: Any
) -> None:
    """Signs in with `crb web link`, uploads Word minutes, settles ZW and the action with no
    owner in the preview, imports, and the board holds exactly that."""
    runtime = make_runtime(sqlite_url)
    import_sample(runtime)
    clock.now = FEBRUARY
    desk: WebDesk = web_desk_on(runtime)
    monkeypatch.setenv("CRB_PUBLIC_URL", desk.base_url)
    link = json.loads(
        crb("web", "link", "--as", "RT", "--json", "--at", FEBRUARY.isoformat()).stdout
    )
    page = browser_page
    page.goto(link["url"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Minutes").click()
    assert_accessible(page)
    screenshot(page, "minutes-upload")

    page.get_by_label("Minutes file").set_input_files(
        {"name": "February.docx", "mimeType": DOCX, "buffer": february_docx()}
    )
    page.get_by_role("button", name="Preview").click()
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Check the minutes of 24 February 2021 before importing them"
    )
    assert "the initials ZW match no member" in page.inner_text("main")
    assert_accessible(page)

    page.get_by_label("ZW is").select_option(label="A new member (give their name below)")
    page.get_by_label("Name of the new member ZW").fill("Zoe Walker")
    page.get_by_label("No owner: give it to").select_option(label="Priya Shah (PS)")
    page.get_by_label("Make Tracey Onslow (TO) the board's chair").check()
    page.get_by_label("Leave out action 3").check()  # "The statistics…" is not really one
    page.get_by_role("button", name="Update the preview").click()
    main = page.inner_text("main")
    assert "member ZW Zoe Walker (member)" in main and "05-ZW" in main and "05-PS" in main
    assert "match no member" not in main and "dropped" not in main
    assert "03-DP/RT Left out" in main
    assert_accessible(page)
    screenshot(page, "minutes-preview")
    page.set_viewport_size({"width": 375, "height": 740})  # on a phone, the rows stack
    assert page.evaluate("document.body.scrollWidth") <= 375
    screenshot(page, "minutes-preview-phone")
    page.set_viewport_size({"width": 1024, "height": 768})

    page.get_by_role("button", name="Import these minutes").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Minutes imported"
    assert_accessible(page)
    screenshot(page, "minutes-imported")
    assert owners_of(desk, "CCTV contract") == ["ZW"]
    assert owners_of(desk, "larger room") == ["PS"]
    assert owners_of(desk, "statistics are to be circulated") == []  # left out
    with runtime.sessions() as session:
        roles = {m.initials: m.role for m in session.scalars(select(Member))}
        assert (roles["TO"], roles["AC"], roles["ZW"]) == (Role.CHAIR, Role.MEMBER, Role.MEMBER)
        (upload,) = session.scalars(select(PendingImport)).all()
        assert (upload.status, upload.decided_by) == (PendingImportStatus.APPLIED, "RT")
    page.get_by_role("link", name="See the actions raised at this meeting").click()
    assert "05-ZW" in page.inner_text("main")


def tab_to(page: Any, element_id: str, limit: int = 80) -> None:
    """Press Tab until the element has the focus, as someone without a mouse would."""
    for _ in range(limit):
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} can't be reached with the Tab key")


def tab_to_button(page: Any, name: str, limit: int = 120) -> None:
    for _ in range(limit):
        focused = page.evaluate(
            "document.activeElement && document.activeElement.tagName === 'BUTTON' "
            "&& document.activeElement.innerText.trim()"
        )
        if focused == name:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"the {name} button can't be reached with the Tab key")


def test_upload_preview_and_import_work_by_keyboard_alone(
    web_desk: WebDesk, clock: Any, browser_page: Any
) -> None:
    clock.now = FEBRUARY
    page = browser_page
    sign_in(page, web_desk, "RT")
    page.goto(web_desk.url("/minutes"))
    tab_to(page, "minutes-file")
    # The file itself is picked in the system's own dialog (Space opens it), not in our page.
    page.locator(":focus").set_input_files(
        {"name": "February.docx", "mimeType": DOCX, "buffer": february_docx()}
    )
    tab_to_button(page, "Preview")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/minutes/\d+$"))

    tab_to(page, "who-ZW")
    page.keyboard.type("Claire")  # a closed select picks the option typed
    tab_to_button(page, "Update the preview")
    page.keyboard.press("Enter")
    # The old page is already "loaded": waiting for a load state could return before the form's
    # answer arrived, and read the old preview. Wait for the warning to go, or time out.
    page.locator("main").get_by_text("match no member").wait_for(state="detached")
    assert "match no member" not in page.inner_text("main")
    tab_to_button(page, "Import these minutes")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Minutes imported").wait_for()
    assert owners_of(web_desk, "CCTV contract") == ["CR"]


# ---------------------------------------------------------------- over plain HTTP


def test_the_preview_is_a_get_that_changes_nothing(web_desk: WebDesk, clock: Any) -> None:
    clock.now = FEBRUARY
    visitor = web_desk.visitor()
    visitor.sign_in("RT")
    answer = uploaded(visitor, february_docx())
    assert answer.status_code == 303
    preview_path = answer.headers["Location"]
    before = counts(web_desk)
    for _ in range(2):
        page = visitor.get(preview_path)
        assert page.status_code == 200 and "Import these minutes" in page.text
        assert page.headers["Cache-Control"] == "no-store"
    assert counts(web_desk) == before


def test_minutes_imported_from_two_tabs_are_imported_once(web_desk: WebDesk, clock: Any) -> None:
    clock.now = FEBRUARY
    visitor = web_desk.visitor()
    visitor.sign_in("RT")
    preview_path = uploaded(visitor, february_docx()).headers["Location"]
    page = visitor.get(preview_path)
    lines = previewed_lines(page)
    other = web_desk.visitor()  # meanwhile, the same minutes imported in another tab
    other.sign_in("RT")
    other_page = other.get(preview_path)
    other.post(
        preview_path,
        {
            "csrf_token": other.csrf_from(other_page),
            "intent": "import",
            "line": previewed_lines(other_page),
        },
    )
    before = counts(web_desk)
    answer = visitor.post(
        preview_path, {"csrf_token": visitor.csrf_from(page), "intent": "import", "line": lines}
    )
    assert answer.status_code == 409
    assert "was already imported by RT" in answer.text
    assert counts(web_desk) == before


def test_changed_fixes_are_shown_again_before_anything_is_imported(
    web_desk: WebDesk, clock: Any
) -> None:
    clock.now = FEBRUARY
    visitor = web_desk.visitor()
    visitor.sign_in("RT")
    preview_path = uploaded(visitor, february_docx()).headers["Location"]
    page = visitor.get(preview_path)
    lines = previewed_lines(page)
    before = counts(web_desk)
    answer = visitor.post(  # ZW answered, but the preview shown did not have the answer
        preview_path,
        {"csrf_token": visitor.csrf_from(page), "intent": "import", "line": lines, "who-ZW": "CR"},
    )
    assert answer.status_code == 409
    assert "The board has changed since your preview, so nothing was imported" in answer.text
    assert "05-CR" in answer.text  # the preview as it is now
    assert counts(web_desk) == before


def test_a_new_member_needs_a_name(web_desk: WebDesk, clock: Any) -> None:
    clock.now = FEBRUARY
    visitor = web_desk.visitor()
    visitor.sign_in("RT")
    preview_path = uploaded(visitor, february_docx()).headers["Location"]
    page = visitor.get(preview_path)
    answer = visitor.post(
        preview_path, {"csrf_token": visitor.csrf_from(page), "intent": "import", "who-ZW": "+new"}
    )
    assert answer.status_code == 400
    assert 'href="#name-ZW"' in answer.text and "Give the name of the member ZW stands for" in (
        answer.text
    )


def test_pdf_minutes_are_previewed_now_that_their_reader_exists(web_desk: WebDesk) -> None:
    visitor = web_desk.visitor()
    visitor.sign_in("RT")
    assert 'accept=".docx,.html,.htm,.txt,.pdf"' in visitor.get("/minutes").text
    data = (FIXTURES / "13-prose.pdf").read_bytes()
    page = visitor.get("/minutes")
    answer = visitor.post(
        "/minutes",
        {"csrf_token": visitor.csrf_from(page)},
        files={"minutes-file": ("minutes.pdf", data, "application/pdf")},
    )
    assert answer.status_code == 303
    preview = visitor.get(answer.headers["Location"])
    assert preview.status_code == 200 and "Import these minutes" in preview.text


def test_minutes_that_cannot_be_read_are_refused_beside_the_file_input(
    web_desk: WebDesk,
) -> None:
    visitor = web_desk.visitor()
    visitor.sign_in("RT")
    before = counts(web_desk)
    answer = uploaded(visitor, b"this is not a Word file")
    assert answer.status_code == 400 and 'href="#minutes-file"' in answer.text
    page = visitor.get("/minutes")
    nothing = visitor.post("/minutes", {"csrf_token": visitor.csrf_from(page)})
    assert nothing.status_code == 400 and "Select the minutes file" in nothing.text
    assert counts(web_desk) == before


def test_minutes_over_the_size_limit_get_a_page_that_says_so(web_desk: WebDesk) -> None:
    """A Word file over 20 MB got aiohttp's bare "413 Request Entity Too Large"."""
    visitor = web_desk.visitor()
    visitor.sign_in("RT")
    before = counts(web_desk)
    answer = uploaded(visitor, b"0" * (21 * 2**20))
    assert answer.status_code == 413
    assert "The file is too big" in answer.text and "up to 20 MB" in answer.text
    assert "nothing was uploaded or changed" in answer.text
    assert counts(web_desk) == before


def test_a_plain_member_cannot_upload_or_import(web_desk: WebDesk, clock: Any) -> None:
    clock.now = FEBRUARY
    secretariat = web_desk.visitor()
    secretariat.sign_in("RT")
    preview_path = uploaded(secretariat, february_docx()).headers["Location"]
    member = web_desk.visitor()
    member.sign_in("CR")
    assert member.get("/minutes").status_code == 403
    assert member.get(preview_path).status_code == 403
    token = member.csrf_from(member.get("/actions"))
    before = counts(web_desk)
    refused = member.post(preview_path, {"csrf_token": token, "intent": "import"})
    assert refused.status_code == 403 and counts(web_desk) == before


def test_an_upload_or_import_without_the_csrf_token_is_refused(
    web_desk: WebDesk, clock: Any
) -> None:
    clock.now = FEBRUARY
    visitor = web_desk.visitor()
    visitor.sign_in("RT")
    before = counts(web_desk)
    forged = visitor.post(
        "/minutes", {}, files={"minutes-file": ("February.docx", february_docx(), DOCX)}
    )
    assert forged.status_code == 403 and counts(web_desk) == before
    preview_path = uploaded(visitor, february_docx()).headers["Location"]
    page = visitor.get(preview_path)
    lines = previewed_lines(page)
    before = counts(web_desk)
    assert visitor.post(preview_path, {"intent": "import", "line": lines}).status_code == 403
    assert counts(web_desk) == before
