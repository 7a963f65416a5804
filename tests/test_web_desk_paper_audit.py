"""Issue 17 (desk): the Paper page (preview, downloads, private calendar address) and the Audit
page (filters, CSV) over plain HTTP; CSRF and permission."""

from __future__ import annotations

import csv
import io
import logging
import re

import docx
import icalendar

from tests.conftest import say
from tests.web_harness import WebDesk


def test_the_paper_preview_and_its_downloads(web_desk: WebDesk) -> None:
    visitor = web_desk.visitor()
    visitor.sign_in("CR")  # any member reads the paper
    shown = visitor.get("/paper")
    assert shown.status_code == 200
    assert "Actions from the meeting held on 25 November 2020" in shown.text
    assert (
        "Co-ordinate discussion of application of the CLIMB project with IP – Claire" in shown.text
    )
    assert "no-store" in shown.headers["Cache-Control"]
    word = visitor.get("/paper/actions.docx")
    assert word.status_code == 200
    assert 'filename="actions-2020-11-25.docx"' in word.headers["Content-Disposition"]
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(word.content)).paragraphs)
    assert "Actions from the meeting held on 25 November 2020" in text
    table = list(csv.reader(io.StringIO(visitor.get("/paper/actions.csv").text)))
    assert len(table) == 9  # a heading and the eight actions
    assert visitor.get("/paper/actions.md").text.startswith("**PROTECT")
    assert visitor.get("/paper/actions.exe").status_code == 404


def test_the_paper_needs_a_member(web_desk: WebDesk) -> None:
    stranger = web_desk.visitor()
    for path in ("/paper", "/paper/actions.docx", "/audit", "/audit.csv"):
        answer = stranger.get(path)
        assert answer.status_code == 303 and answer.headers["Location"].startswith("/login")


def test_a_private_calendar_address_made_used_and_stopped(web_desk: WebDesk, caplog) -> None:
    web_desk.public_here()
    visitor = web_desk.visitor()
    visitor.sign_in("CR")
    token = visitor.csrf_from(visitor.get("/paper"))
    assert visitor.post("/paper/calendar", {"csrf_token": token}).status_code == 303
    page = visitor.get("/paper")
    address = re.search(r'id="calendar-address"[^>]*value="([^"]+)"', page.text).group(1)
    assert address.startswith(web_desk.base_url + "/calendar/") and address.endswith(".ics")
    calendar_app = web_desk.visitor()  # no cookies, as Outlook or Google
    with caplog.at_level(logging.INFO):
        feed = calendar_app.get(address)
    assert feed.status_code == 200 and feed.headers["Content-Type"].startswith("text/calendar")
    assert icalendar.Calendar.from_ical(feed.content).walk("VEVENT")
    secret = address.rsplit("/", 1)[1].removesuffix(".ics")
    logged = [getattr(record, "path", "") for record in caplog.records]
    assert "/calendar/[redacted].ics" in logged  # the access log never has the address
    assert not any(secret in path for path in logged)
    visitor.post("/paper/calendar/revoke", {"csrf_token": token})
    assert calendar_app.get(address).status_code == 404
    assert calendar_app.get("/calendar/guessed.ics").status_code == 404


def test_a_forged_calendar_post_changes_nothing(web_desk: WebDesk) -> None:
    visitor = web_desk.visitor()
    visitor.sign_in("CR")
    assert visitor.post("/paper/calendar", {"csrf_token": "forged"}).status_code == 403
    assert "Make my calendar address" in visitor.get("/paper").text


def test_the_audit_page_filters_and_downloads(web_desk: WebDesk) -> None:
    say(web_desk.runtime, "DP", "note 04-DP amber drafting", web_desk.clock())
    visitor = web_desk.visitor()
    visitor.sign_in("RT")
    everything = visitor.get("/audit")
    assert everything.status_code == 200 and "Damian Pettit (DP)" in everything.text
    by_dp = visitor.get("/audit", params={"who": "DP", "kind": "note"})
    assert "[AMBER] drafting" in by_dp.text and "1 change." in by_dp.text
    bad = visitor.get("/audit", params={"from": "yesterday"})
    assert bad.status_code == 400 and 'href="#from"' in bad.text
    download = visitor.get("/audit.csv", params={"who": "DP"})
    rows = list(csv.reader(io.StringIO(download.text)))
    assert rows[0] == ["When", "Who", "How", "Kind", "What"] and len(rows) == 2
    assert rows[1][2] == "console"


def test_the_audit_page_pages_through_every_change_keeping_its_filter(web_desk: WebDesk) -> None:
    """The page showed the newest 200 and no way to the older ones but the CSV."""
    for n in range(205):
        say(web_desk.runtime, "DP", f"note 04-DP update {n}", web_desk.clock())
    visitor = web_desk.visitor()
    visitor.sign_in("RT")
    first = visitor.get("/audit", params={"kind": "note"})
    assert "Changes 1 to 200 of 205, newest first (page 1 of 2)." in first.text
    assert "update 204" in first.text and "update 4<" not in first.text
    older = re.search(r'href="([^"]+)" rel="next"', first.text)
    assert older is not None and 'rel="prev"' not in first.text
    second = visitor.get(older.group(1).replace("&amp;", "&"))
    assert "Changes 201 to 205 of 205, newest first (page 2 of 2)." in second.text
    assert "update 4<" in second.text and "update 0<" in second.text  # the filter went along
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text
    beyond = visitor.get("/audit", params={"kind": "note", "page": "9"})
    assert beyond.status_code == 200 and "No changes on page 9: there are 205." in beyond.text


def test_a_plain_member_cannot_read_the_audit_trail(web_desk: WebDesk) -> None:
    visitor = web_desk.visitor()
    visitor.sign_in("CR")
    assert visitor.get("/audit").status_code == 403
    assert visitor.get("/audit.csv").status_code == 403
