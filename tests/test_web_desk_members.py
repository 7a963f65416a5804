"""Issue 17 (desk): the Members pages over plain HTTP (no JavaScript): reading, changing, CSRF
and permission."""

from __future__ import annotations

from bot.runtime import Runtime
from db import queries
from db.models import Role
from tests.web_harness import WebDesk


def member(runtime: Runtime, initials: str):
    with runtime.sessions() as session:
        found = queries.member_by_initials(session, queries.default_board(session), initials)
        session.expunge(found)
        return found


def test_the_members_page_lists_everyone_and_how_they_are_reached(web_desk: WebDesk) -> None:
    visitor = web_desk.visitor()
    visitor.sign_in("RT")
    page = visitor.get("/members")
    assert page.status_code == 200
    assert "Tracey Onslow (TO)" in page.text and "nobody (not linked)" in page.text
    detail = visitor.get("/members/TO")
    assert detail.status_code == 200 and "Not linked to Slack, Teams or an email" not in detail.text
    assert "Cannot be reached: not linked to Slack, Teams or an email address." in detail.text


def test_a_handover_without_javascript(web_desk: WebDesk) -> None:
    visitor = web_desk.visitor()
    visitor.sign_in("RT")
    form = visitor.get("/members/TO/role")
    token = visitor.csrf_from(form)
    check = visitor.post("/members/TO/role", {"role": "chair", "csrf_token": token})
    assert check.status_code == 200 and "Check the chair" in check.text
    assert "Andy Champness (AC), who becomes a member" in check.text
    assert member(web_desk.runtime, "TO").role == Role.MEMBER  # nothing yet
    applied = visitor.post(
        "/members/TO/role", {"role": "chair", "confirmed": "yes", "csrf_token": token}
    )
    assert applied.status_code == 303 and applied.headers["Location"] == "/members/TO"
    landed = visitor.get("/members/TO")
    assert (
        "Tracey Onslow (TO) is now the chair. Andy Champness (AC) is now a member." in landed.text
    )
    assert "is now the chair" not in visitor.get("/members/TO").text  # the banner shows once
    assert (member(web_desk.runtime, "TO").role, member(web_desk.runtime, "AC").role) == (
        Role.CHAIR,
        Role.MEMBER,
    )


def test_a_plain_member_cannot_see_or_change_members(web_desk: WebDesk) -> None:
    visitor = web_desk.visitor()
    visitor.sign_in("CR")
    assert visitor.get("/members").status_code == 403
    token = visitor.csrf_from(visitor.get("/"))
    refused = visitor.post("/members/CR/role", {"role": "chair", "csrf_token": token})
    assert refused.status_code == 403
    refused = visitor.post("/members/DP/deactivate", {"csrf_token": token})
    assert refused.status_code == 403
    assert member(web_desk.runtime, "CR").role == Role.MEMBER
    assert member(web_desk.runtime, "DP").active


def test_a_forged_post_changes_nothing(web_desk: WebDesk) -> None:
    visitor = web_desk.visitor()
    visitor.sign_in("RT")
    forged = visitor.post("/members/DP/deactivate", {"csrf_token": "forged"})
    assert forged.status_code == 403
    missing = visitor.post("/members/new", {"name": "Eve Intruder"})
    assert missing.status_code == 403
    assert member(web_desk.runtime, "DP").active
    with web_desk.runtime.sessions() as session:
        board = queries.default_board(session)
        assert queries.member_by_initials(session, board, "EI") is None


def test_bad_input_is_shown_against_its_field_and_changes_nothing(web_desk: WebDesk) -> None:
    visitor = web_desk.visitor()
    visitor.sign_in("RT")
    token = visitor.csrf_from(visitor.get("/members/new"))
    bad = visitor.post(
        "/members/new", {"name": "", "initials": "1X", "email": "nope", "csrf_token": token}
    )
    assert bad.status_code == 400
    assert "There is a problem" in bad.text
    assert 'href="#name"' in bad.text and 'href="#initials"' in bad.text
    assert 'href="#email"' in bad.text
    taken = visitor.post(
        "/members/new", {"name": "Claire Rees", "initials": "CR", "csrf_token": token}
    )
    assert taken.status_code == 400 and "CR is already a member" in taken.text


def test_add_edit_link_unlink_deactivate_and_reactivate(web_desk: WebDesk) -> None:
    visitor = web_desk.visitor()
    visitor.sign_in("RT")
    token = visitor.csrf_from(visitor.get("/members/new"))
    added = visitor.post(
        "/members/new",
        {
            "name": "Zoe Zed",
            "initials": "",
            "capacity": "Analyst",
            "role": "member",
            "csrf_token": token,
        },
    )
    assert added.status_code == 303 and added.headers["Location"] == "/members/ZZ"
    edited = visitor.post(
        "/members/ZZ/edit",
        {
            "name": "Zoe Zedd",
            "initials": "ZZD",
            "capacity": "",
            "email": "zoe@example.org",
            "csrf_token": token,
        },
    )
    assert edited.headers["Location"] == "/members/ZZD"
    zoe = member(web_desk.runtime, "ZZD")
    assert (zoe.name, zoe.capacity, zoe.email) == ("Zoe Zedd", None, "zoe@example.org")
    visitor.post("/members/ZZD/link", {"field": "slack_id", "value": "U0ZOE", "csrf_token": token})
    assert member(web_desk.runtime, "ZZD").slack_id == "U0ZOE"
    visitor.post("/members/ZZD/unlink", {"field": "email", "csrf_token": token})
    assert member(web_desk.runtime, "ZZD").email is None
    visitor.post("/members/ZZD/deactivate", {"csrf_token": token})
    assert not member(web_desk.runtime, "ZZD").active
    visitor.post("/members/ZZD/reactivate", {"csrf_token": token})
    assert member(web_desk.runtime, "ZZD").active


def test_a_get_changes_nothing(web_desk: WebDesk) -> None:
    visitor = web_desk.visitor()
    visitor.sign_in("RT")
    for path in ("/members/DP/deactivate", "/members/TO/role", "/members/DP/unlink"):
        visitor.get(path)
    assert member(web_desk.runtime, "DP").active
    assert member(web_desk.runtime, "TO").role == Role.MEMBER


def test_the_secretariat_withdraws_a_members_email_links(web_desk: WebDesk) -> None:
    """Issue 18: one person's email links can be revoked from the web desk."""
    visitor = web_desk.visitor()
    visitor.sign_in("RT")
    token = visitor.csrf_from(visitor.get("/members/DP"))
    visitor.post(
        "/members/DP/link", {"field": "email", "value": "dp@example.org", "csrf_token": token}
    )
    page = visitor.get("/members/DP")
    assert (
        "Withdraw email links" in page.text
        and member(web_desk.runtime, "DP").links_revoked_at is None
    )
    withdrawn = visitor.post("/members/DP/revoke-links", {"csrf_token": token})
    assert withdrawn.status_code == 303
    assert member(web_desk.runtime, "DP").links_revoked_at is not None
    assert "until now is withdrawn" in visitor.get(withdrawn.headers["Location"]).text

    plain = web_desk.visitor()
    plain.sign_in("CR")
    refused = plain.post(
        "/members/JS/revoke-links", {"csrf_token": plain.csrf_from(plain.get("/"))}
    )
    assert refused.status_code == 403 and member(web_desk.runtime, "JS").links_revoked_at is None
