"""The web desk's foundation: signing in with one-time links, sessions, CSRF and the headers."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from bot.logs import configure
from bot.runtime import Runtime
from db.models import Action, AuditEvent, Member, SignInLink, WebSession
from handlers import web_access
from tests.web_harness import WebDesk, assert_accessible, screenshot

SECURITY_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def counts(runtime: Runtime) -> dict[str, int]:
    """What a refused or read-only request must leave as it was."""
    with runtime.sessions() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (AuditEvent, SignInLink, WebSession)
        } | {
            "used_links": session.scalar(
                select(func.count()).where(SignInLink.used_at.is_not(None))
            )
            or 0
        }


def token_of(link: str) -> str:
    return link.split("token=", 1)[1]


# ---------------------------------------------------------------- in the browser


def test_the_secretariat_signs_in_with_crb_web_link_and_sees_the_board(
    crb: Any, sqlite_url: str, web_desk_on: Any, browser_page: Any, monkeypatch: Any
) -> None:
    from tests.conftest import import_sample, make_runtime

    runtime = make_runtime(sqlite_url)
    import_sample(runtime)
    desk: WebDesk = web_desk_on(runtime)
    monkeypatch.setenv("CRB_PUBLIC_URL", desk.base_url)
    at = desk.clock().isoformat()
    link = json.loads(crb("web", "link", "--as", "RT", "--json", "--at", at).stdout)["url"]
    assert link.startswith(desk.base_url + "/signin?token=")

    page = browser_page
    page.goto(link)
    assert page.get_by_role("heading", level=1).inner_text().startswith("Sign in to the")
    assert_accessible(page)
    screenshot(page, "sign-in")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(desk.url("/"))
    assert page.get_by_role("heading", name="The board").is_visible()
    assert "Signed in as" in page.inner_text("body")
    tables = page.locator("table caption").all_inner_texts()
    assert any("(DP)" in caption for caption in tables)
    assert page.locator(".crb-marking").count() == 2  # top and bottom
    assert_accessible(page)
    screenshot(page, "board")

    page.set_viewport_size({"width": 375, "height": 740})  # a phone
    page.reload()
    assert page.get_by_role("heading", name="The board").is_visible()
    assert_accessible(page)
    screenshot(page, "board-phone")

    page.goto(link)  # the link again: used
    assert "already been used" in page.inner_text("main")
    assert_accessible(page)


def test_signing_out_ends_the_session_everywhere(web_desk: WebDesk, browser_page: Any) -> None:
    from tests.web_harness import sign_in

    page = browser_page
    sign_in(page, web_desk, "DP")
    cookies = page.context.cookies()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(web_desk.url("/signed-out"))
    assert_accessible(page)
    # The old cookie, replayed by another client, no longer signs anyone in.
    thief = web_desk.visitor()
    for cookie in cookies:
        thief.http.cookies.set(cookie["name"], cookie["value"])
    assert thief.get("/").headers["Location"].startswith("/login")


def test_everything_works_without_javascript(web_desk: WebDesk, chromium: Any) -> None:
    from tests.web_harness import sign_in

    context = chromium.new_context(java_script_enabled=False, locale="en-GB")
    try:
        page = context.new_page()
        sign_in(page, web_desk, "RT")
        # Between browser calls the test's thread has no running loop: a tick could run here.
        assert asyncio.run(asyncio.sleep(0, "free")) == "free"
        assert page.get_by_role("heading", name="Reminders planned").is_visible()
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(web_desk.url("/signed-out"))
        page.goto(web_desk.url("/"))
        assert page.url.startswith(web_desk.url("/login"))
    finally:
        context.close()


# ---------------------------------------------------------------- links


def test_links_and_sessions_on_either_database(board: Runtime, web_desk_on: Any) -> None:
    """The sign-in rules on SQLite and PostgreSQL: a link works once; sign-out ends the session."""
    desk = web_desk_on(board)
    link = desk.sign_in_link("DP")
    visitor = desk.visitor()
    page = visitor.get(link)
    form = {"token": token_of(link), "csrf_token": visitor.csrf_from(page)}
    assert visitor.post("/signin", form).status_code == 303
    assert "Signed in as Damian Pettit" in visitor.get("/").text
    assert visitor.post("/signin", form).status_code == 410
    assert visitor.post("/signout", {"csrf_token": form["csrf_token"]}).status_code == 303
    assert visitor.get("/").status_code == 303


def test_the_link_page_changes_nothing_until_the_button_is_pressed(web_desk: WebDesk) -> None:
    link = web_desk.sign_in_link("DP")
    before = counts(web_desk.runtime)
    scanner = web_desk.visitor()
    for _ in range(3):  # a mail scanner fetches it, more than once
        page = scanner.get(link)
        assert page.status_code == 200
        assert "Sign in" in page.text and "Damian Pettit" in page.text
    assert counts(web_desk.runtime) == before
    person = web_desk.visitor()
    signed = person.post(
        "/signin", {"token": token_of(link), "csrf_token": person.csrf_from(person.get(link))}
    )
    assert signed.status_code == 303 and signed.headers["Location"] == "/"
    assert person.get("/").status_code == 200


def test_signing_in_as_someone_else_ends_the_browsers_first_session(web_desk: WebDesk) -> None:
    visitor = web_desk.visitor()
    visitor.sign_in("DP")
    first = visitor.http.cookies["crb_session"]
    visitor.sign_in("CR")
    assert "Signed in as Claire Richardson" in visitor.get("/").text
    replayed = web_desk.visitor()
    replayed.http.cookies.set("crb_session", first)
    assert replayed.get("/").status_code == 303


def test_a_used_link_is_refused(web_desk: WebDesk) -> None:
    link = web_desk.sign_in_link("DP")
    first = web_desk.visitor()
    form = first.get(link)
    assert (
        first.post(
            "/signin", {"token": token_of(link), "csrf_token": first.csrf_from(form)}
        ).status_code
        == 303
    )
    second = web_desk.visitor()
    again = second.get(link)
    assert again.status_code == 410 and "already been used" in again.text
    csrf = second.csrf_from(second.get(web_desk.sign_in_link("CR")))
    before = counts(web_desk.runtime)
    pressed = second.post("/signin", {"token": token_of(link), "csrf_token": csrf})
    assert pressed.status_code == 410 and "already been used" in pressed.text
    assert "crb_session" not in second.http.cookies
    assert counts(web_desk.runtime) == before


def test_an_expired_link_is_refused(web_desk: WebDesk) -> None:
    link = web_desk.sign_in_link("DP")
    visitor = web_desk.visitor()
    csrf = visitor.csrf_from(visitor.get(link))
    web_desk.clock.advance(web_access.LINK_LIFETIME + timedelta(seconds=1))
    shown = visitor.get(link)
    assert shown.status_code == 410 and "expired" in shown.text
    before = counts(web_desk.runtime)
    pressed = visitor.post("/signin", {"token": token_of(link), "csrf_token": csrf})
    assert pressed.status_code == 410 and "expired" in pressed.text
    assert counts(web_desk.runtime) == before


def test_an_altered_link_is_refused(web_desk: WebDesk) -> None:
    link = web_desk.sign_in_link("DP")
    token = token_of(link)
    altered = token[:-1] + ("A" if token[-1] != "A" else "B")
    visitor = web_desk.visitor()
    assert visitor.get(f"/signin?token={altered}").status_code == 410


def test_a_token_or_csrf_field_in_any_characters_is_refused_politely(web_desk: WebDesk) -> None:
    visitor = web_desk.visitor()
    link = web_desk.sign_in_link("DP")
    page = visitor.get(link)
    mac = token_of(link).split(".")[1]
    strange = token_of(link).split(".")[0] + "." + "é" * len(mac)
    assert visitor.get("/signin", params={"token": strange}).status_code == 410
    refused = visitor.post("/signin", {"token": token_of(link), "csrf_token": "é" * 64})
    assert refused.status_code == 403
    assert (
        visitor.post(
            "/signin", {"token": strange, "csrf_token": visitor.csrf_from(page)}
        ).status_code
        == 410
    )
    visitor.http.cookies.set("crb_session", strange)
    assert visitor.get("/").status_code == 303
    visitor.http.cookies.set("crb_csrf", "é" * 40)  # a mangled CSRF cookie is replaced
    assert visitor.get("/login").status_code == 200


def test_an_inactive_member_is_refused_a_link_and_a_session(web_desk: WebDesk) -> None:
    link = web_desk.sign_in_link("DP")
    signed_in = web_desk.visitor()
    signed_in.sign_in("DP")
    assert signed_in.get("/").status_code == 200
    with web_desk.runtime.sessions() as session, session.begin():
        session.scalars(select(Member).where(Member.initials == "DP")).one().active = False
    # The open session ends, the unused link no longer works, and no new link is made.
    assert signed_in.get("/").status_code == 303
    visitor = web_desk.visitor()
    refused = visitor.get(link)
    assert refused.status_code == 403 and "Only active members" in refused.text
    with pytest.raises(web_access.SignInRefused):
        web_desk.sign_in_link("DP")


def test_no_link_is_made_for_someone_who_is_not_a_member(crb: Any) -> None:
    result = crb("web", "link", "--as", "ZZ", code=1)
    assert "No member has the initials ZZ" in result.stderr
    result = crb("web", "link", "--as", "ZZ", "--board", "other", code=1)
    assert "no board" in result.stderr


# ---------------------------------------------------------------- sessions


def test_a_session_ends_after_the_idle_timeout(web_desk: WebDesk) -> None:
    visitor = web_desk.visitor()
    visitor.sign_in("CR")
    web_desk.clock.advance(web_access.IDLE_TIMEOUT - timedelta(minutes=1))
    assert visitor.get("/").status_code == 200  # still in use: kept alive
    web_desk.clock.advance(web_access.IDLE_TIMEOUT - timedelta(minutes=1))
    assert visitor.get("/").status_code == 200
    web_desk.clock.advance(web_access.IDLE_TIMEOUT + timedelta(seconds=1))
    gone = visitor.get("/")
    assert gone.status_code == 303 and gone.headers["Location"].startswith("/login")


def test_a_session_ends_at_its_lifetime_however_busy(web_desk: WebDesk) -> None:
    visitor = web_desk.visitor()
    visitor.sign_in("CR")
    step = web_access.IDLE_TIMEOUT - timedelta(minutes=1)
    elapsed = timedelta()
    while elapsed + step < web_access.SESSION_LIFETIME:
        elapsed += step
        web_desk.clock.advance(step)
        assert visitor.get("/").status_code == 200
    web_desk.clock.advance(web_access.SESSION_LIFETIME - elapsed)
    assert visitor.get("/").status_code == 303


def test_the_session_cookie_is_httponly_lax_and_secure_behind_https(
    sqlite_board: Runtime, web_desk_on: Any
) -> None:
    desk = web_desk_on(sqlite_board, public_url="https://crb.example.gov.uk")
    visitor = desk.visitor()
    link = desk.sign_in_link("DP")
    page = visitor.get(link)
    assert "Secure" in page.headers["Set-Cookie"]  # the CSRF cookie too
    answer = visitor.post(
        "/signin",
        {"token": token_of(link), "csrf_token": visitor.csrf_from(page)},
        headers={"Origin": "https://crb.example.gov.uk"},
        cookies={"crb_csrf": page.cookies["crb_csrf"]},  # over plain http in the test
    )
    cookie = answer.headers["Set-Cookie"]
    assert "crb_session=" in cookie
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_the_database_keeps_only_hashes_of_links_and_sessions(web_desk: WebDesk) -> None:
    link = web_desk.sign_in_link("DP")
    visitor = web_desk.visitor()
    visitor.sign_in("DP")
    session_cookie = visitor.http.cookies["crb_session"]
    with web_desk.runtime.engine.connect() as connection:
        stored = " ".join(
            str(row)
            for table in ("web_sign_in_links", "web_sessions")
            for row in connection.exec_driver_sql(f"SELECT * FROM {table}")
        )
    for secret in (token_of(link), session_cookie):
        raw = secret.split(".")[0]
        assert raw not in stored and secret not in stored


# ---------------------------------------------------------------- CSRF, GET and headers


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(web_desk: WebDesk) -> None:
    visitor = web_desk.visitor()
    visitor.sign_in("DP")
    link = web_desk.sign_in_link("CR")
    before = counts(web_desk.runtime)
    for form in ({"token": token_of(link)}, {"token": token_of(link), "csrf_token": "0" * 64}):
        refused = visitor.post("/signin", form)
        assert refused.status_code == 403
        assert "Nothing was changed" in refused.text
    signed_out = visitor.post("/signout", {})
    assert signed_out.status_code == 403
    assert visitor.get("/").status_code == 200  # still signed in
    assert counts(web_desk.runtime) == before


def test_a_form_posted_from_another_site_is_refused(web_desk: WebDesk) -> None:
    visitor = web_desk.visitor()
    visitor.sign_in("DP")
    csrf = visitor.csrf_from(visitor.get("/"))
    refused = visitor.post(
        "/signout", {"csrf_token": csrf}, headers={"Origin": "https://evil.example"}
    )
    assert refused.status_code == 403
    assert visitor.get("/").status_code == 200


def test_a_get_changes_nothing(web_desk: WebDesk) -> None:
    visitor = web_desk.visitor()
    visitor.sign_in("SG")
    link = web_desk.sign_in_link("CR")
    before = counts(web_desk.runtime)
    for path in ("/", "/login", "/signed-out", "/signout", "/signin", link):
        assert visitor.get(path).status_code in (200, 303, 405, 410)
    assert counts(web_desk.runtime) == before


def test_every_page_has_the_security_headers(web_desk: WebDesk) -> None:
    visitor = web_desk.visitor()
    visitor.sign_in("DP")
    for path in ("/", "/login", "/signin?token=nope", "/static/crb.css"):
        answer = visitor.get(path)
        for name, value in SECURITY_HEADERS.items():
            assert answer.headers[name] == value, (path, name)
        policy = answer.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy
    for path in ("/", "/login"):
        assert visitor.get(path).headers["Cache-Control"] == "no-store"
    board = visitor.get("/")
    assert "Establish a CRB" in board.text or "table" in board.text


def test_a_visitor_who_is_not_signed_in_sees_no_action_text(web_desk: WebDesk) -> None:
    stranger = web_desk.visitor()
    answer = stranger.get("/")
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/login")
    with web_desk.runtime.sessions() as session:
        texts = session.scalars(select(Action.text)).all()
    for path in ("/", "/login", "/signed-out", "/signin?token=nope"):
        page = stranger.get(path)
        assert not any(text in page.text for text in texts), path


def test_slack_and_healthz_are_left_alone(web_desk: WebDesk) -> None:
    health = web_desk.visitor().get("/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert "Content-Security-Policy" not in health.headers


def test_sign_in_links_and_sessions_are_never_logged(
    web_desk: WebDesk, caplog: pytest.LogCaptureFixture
) -> None:
    stream = io.StringIO()
    handler = configure(logging.INFO, stream=stream)
    try:
        link = web_desk.sign_in_link("DP")
        visitor = web_desk.visitor()
        page = visitor.get(link)
        visitor.post("/signin", {"token": token_of(link), "csrf_token": visitor.csrf_from(page)})
        session_id = visitor.http.cookies["crb_session"]
        visitor.get("/")
        visitor.get(link)  # used now: refused, and the refusal is not logged with the token
        visitor.post("/signout", {"csrf_token": visitor.csrf_from(visitor.get("/"))})
    finally:
        logging.getLogger().removeHandler(handler)
    written = stream.getvalue() + caplog.text
    assert '"path": "/signin"' in stream.getvalue()  # the requests were logged
    for secret in (token_of(link), token_of(link).split(".")[0], session_id):
        assert secret not in written


def test_the_log_redacts_a_token_whatever_logged_it() -> None:
    stream = io.StringIO()
    handler = configure(logging.INFO, stream=stream)
    try:
        logging.getLogger("crb.test").info(
            "fetched https://x/signin?token=ab12.cd34 with Cookie crb_session=ef56.78; code=q1"
        )
    finally:
        logging.getLogger().removeHandler(handler)
    line = stream.getvalue()
    for secret in ("ab12", "cd34", "ef56", "q1"):
        assert secret not in line
    assert "token=[redacted]" in line


# ---------------------------------------------------------------- configuration


def test_the_web_settings_are_checked_and_their_secrets_never_shown() -> None:
    from bot import config as config_module
    from handlers.errors import UserError

    key, old = "k" * 40, "o" * 40
    config = config_module.load(
        {
            "CRB_PUBLIC_URL": "https://crb.example.gov.uk/",
            "CRB_SECRET_KEY": f"{key}, {old}",
            "CRB_OIDC_CLIENT_SECRET": "the-oidc-client-secret",
        }
    )
    assert config.public_url == "https://crb.example.gov.uk"
    assert config.link_base == "https://crb.example.gov.uk"
    assert config.secret_keys == (key, old)
    for secret in (key, old, "the-oidc-client-secret"):
        assert secret not in repr(config)
        assert secret in config.secrets()
    assert config_module.load({}).link_base == "http://localhost:3000"
    for bad in ({"CRB_PUBLIC_URL": "crb.example.gov.uk"}, {"CRB_SECRET_KEY": "short"}):
        with pytest.raises(UserError):
            config_module.load(bad)


def test_serving_without_a_public_url_says_where_links_will_point(
    sqlite_board: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.server import make_app

    make_app(sqlite_board)
    assert "CRB_PUBLIC_URL is not set" in caplog.text


def test_links_and_sessions_survive_a_restart_and_die_with_the_key(
    sqlite_board: Runtime, web_desk_on: Any
) -> None:
    from tests.conftest import make_runtime

    first = web_desk_on(sqlite_board)
    visitor = first.visitor()
    visitor.sign_in("DP")
    link = "/signin?token=" + token_of(first.sign_in_link("CR"))  # to open on any instance
    # Another instance on the same database, with the generated key: both still work.
    second = web_desk_on(make_runtime(sqlite_board.config.database_url))
    visitor.desk = second
    assert visitor.get("/").status_code == 200
    assert second.visitor().get(link).status_code == 200
    # An instance given its own key no longer accepts what the generated key signed.
    keyed = web_desk_on(make_runtime(sqlite_board.config.database_url), secret_key="n" * 40)
    visitor.desk = keyed
    assert visitor.get("/").status_code == 303
    assert keyed.visitor().get(link).status_code == 410


def test_without_chromium_browser_tests_skip_saying_why_or_fail_in_ci(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.web_harness import require_chromium

    missing = tmp_path / "chromium"
    monkeypatch.delenv("CRB_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y chromium"):
        require_chromium(missing)
    monkeypatch.setenv("CRB_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="CRB_REQUIRE_BROWSER=1"):
        require_chromium(missing)


def test_a_notice_after_a_post_shows_once_escaped(sqlite_board: Runtime, web_desk_on: Any) -> None:
    from aiohttp import web

    from bot.web.core import see_other

    routes = web.RouteTableDef()

    @routes.post("/try-a-notice")
    async def act(request: web.Request) -> web.StreamResponse:
        raise see_other(request, "/", notice="04-DP is done <script>")

    visitor = web_desk_on(sqlite_board, extra_routes=routes).visitor()
    visitor.sign_in("DP")
    csrf = visitor.csrf_from(visitor.get("/"))
    assert visitor.post("/try-a-notice", {"csrf_token": csrf}).status_code == 303
    shown = visitor.get("/").text
    assert "govuk-notification-banner--success" in shown
    assert "04-DP is done &lt;script&gt;" in shown
    assert "govuk-notification-banner" not in visitor.get("/").text


def test_officer_only_pages_are_for_the_chair_and_the_secretariat(
    sqlite_board: Runtime, web_desk_on: Any
) -> None:
    from aiohttp import web

    from bot.web.core import current_member, officer_only

    routes = web.RouteTableDef()

    @routes.get("/officers-page")
    @officer_only
    async def page(request: web.Request) -> web.StreamResponse:
        member = current_member(request)
        assert member is not None
        return web.Response(text=f"for {member.initials}")

    desk = web_desk_on(sqlite_board, extra_routes=routes)
    stranger = desk.visitor().get("/officers-page?x=1")
    assert stranger.status_code == 303
    location = urlsplit(stranger.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query) == {"next": ["/officers-page?x=1"]}
    for initials, status in (("DP", 403), ("RT", 200), ("AC", 200)):
        visitor = desk.visitor()
        visitor.sign_in(initials)
        answer = visitor.get("/officers-page")
        assert answer.status_code == status, initials
        if status == 403:
            assert "Only the chair and the secretariat" in answer.text


def test_hostile_input_to_the_sign_in_pages_is_refused_politely(web_desk: WebDesk) -> None:
    from tests.nasty import NASTY

    visitor = web_desk.visitor()
    csrf = visitor.csrf_from(visitor.get(web_desk.sign_in_link("DP")))
    before = counts(web_desk.runtime)
    for name, text in NASTY:
        typed = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        # A query longer than aiohttp takes (8 KB) is its 400; anything else, our refusal.
        shown = visitor.get("/signin", params={"token": typed}).status_code
        assert shown == 410 or (shown == 400 and len(typed) > 4000), name
        pressed = visitor.post("/signin", {"token": typed, "csrf_token": csrf})
        assert pressed.status_code == 410, name
        login = visitor.get("/login", params={"next": typed}).status_code
        assert login == 200 or (login == 400 and len(typed) > 4000), name
    assert counts(web_desk.runtime) == before
