"""Asking for a sign-in link: by email at /login (rate-limited), and with `web` in chat."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from bot.runtime import Runtime
from db.models import Member, SignInLink
from handlers import web_access
from tests.conftest import make_runtime, say
from tests.doubles import MailHandler
from tests.slack_harness import SlackHarness
from tests.web_harness import WebDesk, assert_accessible, loopback_smtp, screenshot

DP_EMAIL = "damian.pettit@probation.example.gov.uk"
LINK = re.compile(r"https?://\S+/signin\?token=\S+")


@pytest.fixture
def mail() -> Iterator[tuple[int, MailHandler]]:
    with loopback_smtp() as server:
        yield server


def give_email(runtime: Runtime, initials: str, email: str, *, active: bool = True) -> None:
    with runtime.sessions() as session, session.begin():
        member = session.scalars(select(Member).where(Member.initials == initials)).one()
        member.email, member.active = email, active


@pytest.fixture
def desk(sqlite_board: Runtime, web_desk_on: Any, mail: tuple[int, MailHandler]) -> WebDesk:
    give_email(sqlite_board, "DP", DP_EMAIL)
    give_email(sqlite_board, "JS", "js@council.example.gov.uk", active=False)
    port, _ = mail
    return web_desk_on(
        sqlite_board, smtp_url=f"smtp://127.0.0.1:{port}", mail_from="crb@opcc.example.org"
    ).public_here()


def ask(desk: WebDesk, email: str, visitor: Any = None) -> Any:
    visitor = visitor or desk.visitor()
    form = visitor.get("/login")
    return visitor.post("/login", {"email": email, "csrf_token": visitor.csrf_from(form)})


def links_made(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(SignInLink)) or 0


def wait_for_mail(handler: MailHandler, count: int, timeout: float = 10) -> list[Any]:
    deadline = time.monotonic() + timeout
    while len(handler.messages) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return handler.messages


def the_answer(response: Any, email: str) -> str:
    """The page's main text with the address typed taken out: what must not differ."""
    main = response.text.split("<main", 1)[1].split("</main>", 1)[0]
    return main.replace(email, "ADDRESS")


def test_a_member_gets_a_link_by_email_that_signs_them_in(
    desk: WebDesk, mail: tuple[int, MailHandler]
) -> None:
    _, handler = mail
    answer = ask(desk, "Damian.Pettit@probation.example.gov.uk")  # any case
    assert answer.status_code == 200 and "Check your email" in answer.text
    (message,) = wait_for_mail(handler, 1)
    assert message["To"] == f"Damian Pettit <{DP_EMAIL}>"
    plain = next(part for part in message.walk() if part.get_content_type() == "text/plain")
    (url,) = LINK.findall(plain.get_payload(decode=True).decode())
    assert url.startswith(desk.base_url + "/signin?token=")
    visitor = desk.visitor()
    page = visitor.get(url)
    assert "Damian Pettit" in page.text
    token = url.split("token=", 1)[1]
    signed = visitor.post("/signin", {"token": token, "csrf_token": visitor.csrf_from(page)})
    assert signed.status_code == 303
    assert "Signed in as Damian Pettit" in visitor.get("/").text


def test_login_answers_the_same_whoever_the_address_belongs_to(
    desk: WebDesk, mail: tuple[int, MailHandler]
) -> None:
    _, handler = mail
    answers = {
        email: ask(desk, email)
        for email in (DP_EMAIL, "nobody@example.org", "js@council.example.gov.uk")
    }
    assert {response.status_code for response in answers.values()} == {200}
    assert len({the_answer(response, email) for email, response in answers.items()}) == 1
    time.sleep(0.3)
    assert [m["To"] for m in wait_for_mail(handler, 1)] == [f"Damian Pettit <{DP_EMAIL}>"]
    assert links_made(desk.runtime) == 1  # none for a stranger or an inactive member


def test_a_malformed_address_is_a_form_error_and_sends_nothing(
    desk: WebDesk, mail: tuple[int, MailHandler], browser_page: Any
) -> None:
    page = browser_page
    page.goto(desk.url("/login"))
    assert_accessible(page)
    screenshot(page, "login")
    page.get_by_label("Email address").fill("not an address")
    page.get_by_role("button", name="Email me a sign-in link").click()
    summary = page.locator(".govuk-error-summary")
    assert "Enter an email address in the correct format" in summary.inner_text()
    assert page.title().startswith("Error: ")
    assert_accessible(page)
    page.get_by_role("link", name="Enter an email address in the correct format").click()
    assert page.evaluate("document.activeElement.id") == "email"
    page.get_by_label("Email address").fill(DP_EMAIL)
    page.get_by_label("Email address").press("Enter")  # the keyboard alone
    assert page.get_by_role("heading", name="Check your email").is_visible()
    assert len(wait_for_mail(mail[1], 1)) == 1


def test_links_by_email_are_rate_limited_per_address_without_telling(
    desk: WebDesk, mail: tuple[int, MailHandler]
) -> None:
    _, handler = mail
    answers = [ask(desk, DP_EMAIL) for _ in range(web_access.LINKS_PER_ADDRESS + 2)]
    assert len({the_answer(a, DP_EMAIL) for a in answers}) == 1
    assert len(wait_for_mail(handler, web_access.LINKS_PER_ADDRESS)) == web_access.LINKS_PER_ADDRESS
    time.sleep(0.3)
    assert len(handler.messages) == web_access.LINKS_PER_ADDRESS
    desk.clock.advance(web_access.RATE_WINDOW)
    ask(desk, DP_EMAIL)
    assert len(wait_for_mail(handler, web_access.LINKS_PER_ADDRESS + 1)) == (
        web_access.LINKS_PER_ADDRESS + 1
    )


def test_a_client_asking_too_often_is_refused_on_every_instance(
    desk: WebDesk, sqlite_board: Runtime, web_desk_on: Any
) -> None:
    second = make_runtime(sqlite_board.config.database_url)  # another instance on the database
    other = web_desk_on(second, smtp_url=desk.runtime.config.smtp_url, mail_from="crb@x.org")
    for n in range(web_access.REQUESTS_PER_CLIENT):
        instance = desk if n % 2 else other
        assert ask(instance, f"person{n}@example.org").status_code == 200
    for instance in (desk, other):
        refused = ask(instance, "one.more@example.org")
        assert refused.status_code == 429 and "too many requests" in refused.text.lower()


def test_web_in_chat_sends_the_caller_a_private_link(bot: SlackHarness) -> None:
    reply = bot.slash("U0DP", "web").reply
    assert reply["response_type"] == "ephemeral"
    (url,) = LINK.findall(reply["text"])
    # The Slack harness serves the whole application, the desk included: open the link there.
    signin = bot.server.base_url + "/signin?" + url.split("?", 1)[1]
    shown = requests.get(signin, timeout=10, allow_redirects=False)
    assert shown.status_code == 200
    assert "Damian Pettit" in shown.text


def test_web_in_the_console_and_teams_text_gives_a_link(board: Runtime) -> None:
    reply = say(board, "DP", "web")
    assert reply.changed and "/signin?token=" in reply.lines[0]
    stranger = say(board, None, "web")
    assert "not linked" in stranger.title


def test_hostile_input_at_login_gets_a_form_error_never_a_failure(
    desk: WebDesk, mail: tuple[int, MailHandler]
) -> None:
    from tests.nasty import NASTY

    visitor = desk.visitor()
    csrf = visitor.csrf_from(visitor.get("/login"))
    for name, text in NASTY:
        typed = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        answer = visitor.post("/login", {"email": typed, "csrf_token": csrf})
        assert answer.status_code in (200, 400, 429), name
    time.sleep(0.2)
    assert mail[1].messages == []
    assert links_made(desk.runtime) == 0
