"""Issue 17 (desk): the Meetings pages over plain HTTP (no JavaScript): the diary, the board's
settings, CSRF and permission."""

from __future__ import annotations

import html
from datetime import date, time

from bot.runtime import Runtime
from db import queries
from db.models import MeetingStatus
from tests.web_harness import WebDesk


def meeting(runtime: Runtime, day: date):
    with runtime.sessions() as session:
        found = queries.meeting_on(session, queries.default_board(session), day)
        if found is not None:
            session.expunge(found)
        return found


def board_setting(runtime: Runtime, name: str):
    with runtime.sessions() as session:
        return getattr(queries.default_board(session), name)


FEB_24 = date(2021, 2, 24)


def test_the_diary_and_the_settings_are_listed(web_desk: WebDesk) -> None:
    visitor = web_desk.visitor()
    visitor.sign_in("RT")
    shown = visitor.get("/meetings")
    assert shown.status_code == 200
    assert "Wed 24 Feb 2021" in shown.text and "To be confirmed" in shown.text
    assert "Held, minutes imported" in shown.text
    assert "The last Wednesday of February, May, August and November" in shown.text
    assert "14,7,1 days before, at 09:00" in shown.text


def test_add_change_move_cancel_and_restore_without_javascript(web_desk: WebDesk) -> None:
    visitor = web_desk.visitor()
    visitor.sign_in("RT")
    token = visitor.csrf_from(visitor.get("/meetings/new"))
    added = visitor.post(
        "/meetings/new",
        {
            "date-day": "26",
            "date-month": "5",
            "date-year": "2021",
            "time": "10:00",
            "venue": "Hindlip Hall",
            "csrf_token": token,
        },
    )
    assert added.status_code == 303
    assert "Added the meeting on Wednesday 26 May 2021." in visitor.get("/meetings").text
    visitor.post(
        "/meetings/2021-05-26/edit", {"time": "14:30", "venue": "Zoom", "csrf_token": token}
    )
    may = meeting(web_desk.runtime, date(2021, 5, 26))
    assert (may.time, may.venue) == (time(14, 30), "Zoom")
    moved = visitor.post(
        "/meetings/2021-05-26/move",
        {"date-day": "2", "date-month": "6", "date-year": "2021", "time": "", "csrf_token": token},
    )
    assert moved.status_code == 303
    assert meeting(web_desk.runtime, date(2021, 6, 2)) is not None
    visitor.post("/meetings/2021-06-02/cancel", {"csrf_token": token})
    assert meeting(web_desk.runtime, date(2021, 6, 2)).status == MeetingStatus.CANCELLED
    visitor.post("/meetings/2021-06-02/restore", {"csrf_token": token})
    assert meeting(web_desk.runtime, date(2021, 6, 2)).status == MeetingStatus.SCHEDULED


def test_a_bad_date_is_shown_against_its_field(web_desk: WebDesk) -> None:
    visitor = web_desk.visitor()
    visitor.sign_in("RT")
    token = visitor.csrf_from(visitor.get("/meetings/new"))
    bad = visitor.post(
        "/meetings/new",
        {"date-day": "31", "date-month": "2", "date-year": "2021", "csrf_token": token},
    )
    assert bad.status_code == 400 and 'href="#date-day"' in bad.text
    assert "The date must be a real date" in bad.text
    past = visitor.post(
        "/meetings/2021-02-24/move",
        {"date-day": "1", "date-month": "11", "date-year": "2020", "csrf_token": token},
    )
    assert past.status_code == 400 and "is in the past" in past.text


def test_the_settings_change_and_a_bad_one_changes_nothing(web_desk: WebDesk) -> None:
    visitor = web_desk.visitor()
    visitor.sign_in("AC")
    token = visitor.csrf_from(visitor.get("/meetings/settings"))
    form = {
        "months": ["3", "6", "9", "12"],
        "ordinal": "1",
        "weekday": "1",
        "rule": "",
        "meeting_time": "10:00",
        "reminder_days": "10,3",
        "digest_days": "3",
        "reminder_time": "08:30",
        "csrf_token": token,
    }
    saved = visitor.post("/meetings/settings", form)
    assert saved.status_code == 303
    assert board_setting(web_desk.runtime, "recurrence") == "FREQ=YEARLY;BYMONTH=3,6,9,12;BYDAY=1TU"
    assert board_setting(web_desk.runtime, "reminder_days") == "10,3"
    assert board_setting(web_desk.runtime, "meeting_time") == time(10, 0)
    bad = visitor.post("/meetings/settings", {**form, "reminder_days": "soon", "months": []})
    assert bad.status_code == 400
    assert 'href="#reminder_days"' in bad.text or 'href="#months"' in bad.text
    assert board_setting(web_desk.runtime, "reminder_days") == "10,3"


def test_a_plain_member_cannot_change_meetings(web_desk: WebDesk) -> None:
    visitor = web_desk.visitor()
    visitor.sign_in("CR")
    assert visitor.get("/meetings").status_code == 403
    token = visitor.csrf_from(visitor.get("/"))
    assert visitor.post("/meetings/2021-02-24/cancel", {"csrf_token": token}).status_code == 403
    assert meeting(web_desk.runtime, FEB_24).status == MeetingStatus.TENTATIVE


def test_a_forged_post_and_a_get_change_nothing(web_desk: WebDesk) -> None:
    visitor = web_desk.visitor()
    visitor.sign_in("RT")
    assert visitor.post("/meetings/2021-02-24/cancel", {"csrf_token": "x"}).status_code == 403
    visitor.get("/meetings/2021-02-24/cancel")
    assert meeting(web_desk.runtime, FEB_24).status == MeetingStatus.TENTATIVE


def test_the_marking_is_set_on_the_settings_page(web_desk: WebDesk) -> None:
    visitor = web_desk.visitor()
    visitor.sign_in("RT")
    shown = visitor.get("/meetings/settings")
    assert "Now: PROTECT – MANAGEMENT, from the latest minutes." in shown.text
    form = {
        "months": ["2", "5", "8", "11"],
        "ordinal": "-1",
        "weekday": "2",
        "rule": "",
        "meeting_time": "",
        "reminder_days": "14,7,1",
        "digest_days": "7,1",
        "reminder_time": "09:00",
        "marking": "OFFICIAL-SENSITIVE",
        "csrf_token": visitor.csrf_from(shown),
    }
    assert visitor.post("/meetings/settings", form).status_code == 303
    page = visitor.get("/meetings")
    shown = html.unescape(page.text)
    assert "Changed protective marking: PROTECT – MANAGEMENT -> OFFICIAL-SENSITIVE." in shown
    assert page.text.count("OFFICIAL-SENSITIVE</strong>") == 2  # top and bottom of every page
    assert (
        board_setting(web_desk.runtime, "recurrence") == "FREQ=YEARLY;BYMONTH=2,5,8,11;BYDAY=-1WE"
    )
