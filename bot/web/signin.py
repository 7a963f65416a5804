"""Signing in and out: the one-time link's page, the button that uses it, and sign-out.

A GET of a sign-in link only shows a "Sign in" button: mail scanners fetch every link in an
email, and that must not use it up. Pressing the button (a POST with its CSRF token) does.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlencode

from aiohttp import web

from bot.email import EmailChannel
from bot.web.core import (
    BOARDS_PATH,
    SESSION_COOKIE,
    WEB_RUNTIME,
    WEB_SENDS,
    Desk,
    current_member,
    desk,
    local_path,
    now,
    problem,
    public_base,
    render,
    runtime_of,
    signing_keys,
)
from bot.web.security import clear_session_cookie, set_session_cookie
from db.models import Member
from handlers import web_access
from handlers.context import Links
from handlers.errors import UserError
from handlers.members import check_email
from handlers.reply import Reply
from handlers.web_access import EmailedLink, RateLimited, SignInRefused

routes = web.RouteTableDef()
log = logging.getLogger("crb.web")

REFUSED_TITLES = {
    "unknown": "This sign-in link does not work",
    "used": "This sign-in link has already been used",
    "expired": "This sign-in link has expired",
    "not_a_member": "You cannot sign in to this board",
}


def _refused(request: web.Request, refusal: SignInRefused) -> web.Response:
    return render(
        request,
        "signin_refused.html",
        {
            "title": REFUSED_TITLES.get(refusal.reason, "You cannot sign in"),
            "message": refusal.message,
        },
        status=403 if refusal.reason == "not_a_member" else 410,
    )


@routes.get("/signin")
async def sign_in_page(request: web.Request) -> web.StreamResponse:
    token = request.query.get("token", "")
    runtime, keys, at = runtime_of(request), signing_keys(request), now(request)

    def check() -> tuple[str, str, bool]:
        with runtime.sessions() as session:
            found = web_access.check_sign_in_link(session, token, keys, at)
            seats = web_access.active_seats(found.member)
            return found.member.name, found.member.board.name, len(seats) > 1

    try:
        name, board_name, several = await runtime.run_in_thread(check)
    except SignInRefused as refusal:
        return _refused(request, refusal)
    title = "Sign in to your boards" if several else f"Sign in to the {board_name}"
    return render(request, "signin.html", {"title": title, "name": name, "token": token})


@routes.post("/signin")
async def sign_in(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    token = str(form.get("token", ""))
    runtime, keys, at = runtime_of(request), signing_keys(request), now(request)

    previous = request.cookies.get(SESSION_COOKIE)

    def redeem() -> tuple[str, str, str]:
        with runtime.sessions() as session, session.begin():
            redeemed = web_access.redeem_sign_in_link(session, token, keys, at)
            web_access.end_session(session, previous, keys, at)  # one person a browser
            member = redeemed.member
            return member.initials, redeemed.cookie, landing(member, redeemed.person_level)

    try:
        initials, cookie, where = await runtime.run_in_thread(redeem)
    except SignInRefused as refusal:
        return _refused(request, refusal)
    log.info("signed in with a one-time link", extra={"member": initials})
    response = web.HTTPSeeOther(where)
    set_session_cookie(request, response, cookie)
    raise response


@routes.post("/signout")
async def sign_out(request: web.Request) -> web.StreamResponse:
    runtime, keys, at = runtime_of(request), signing_keys(request), now(request)
    cookie = request.cookies.get(SESSION_COOKIE)

    def end() -> None:
        with runtime.sessions() as session, session.begin():
            web_access.end_session(session, cookie, keys, at)

    await runtime.run_in_thread(end)
    response = web.HTTPSeeOther("/signed-out")
    clear_session_cookie(response)
    raise response


@routes.get("/signed-out")
async def signed_out(request: web.Request) -> web.StreamResponse:
    if current_member(request) is not None:
        raise web.HTTPSeeOther("/")
    return render(request, "signed_out.html", {"title": "You have signed out"})


@routes.get("/login")
async def login_page(request: web.Request) -> web.StreamResponse:
    if current_member(request) is not None:
        raise web.HTTPSeeOther(local_path(request.query.get("next", "/")))
    return _login(request)


def _login(
    request: web.Request, *, email: str = "", errors: list[tuple[str, str]] | None = None
) -> web.Response:
    config = runtime_of(request).config
    return render(
        request,
        "login.html",
        {
            "title": sign_in_title(desk(request)),
            "by_email": bool(config.smtp_url and config.mail_from),
            "by_microsoft": config.oidc_enabled,
            "microsoft_url": "/auth/microsoft?"
            + urlencode({"next": local_path(request.query.get("next", "/"))}),
            "email": email,
            "errors": errors or [],
        },
        status=400 if errors else 200,
    )


@routes.post("/login")
async def login_by_email(request: web.Request) -> web.StreamResponse:
    """Send a one-time link if the address is an active member's; answer the same either way."""
    config = runtime_of(request).config
    if not (config.smtp_url and config.mail_from):
        return problem(
            request,
            "Sign-in links by email are not available here",
            "Ask for a link in chat (/crb web), or ask the secretariat.",
            status=404,
        )
    form = await request.post()
    address = str(form.get("email", "")).strip()
    if not address:
        return _login(request, errors=[("email", "Enter your email address")])
    try:
        check_email(address)
    except UserError:
        return _login(
            request,
            email=address,
            errors=[
                ("email", "Enter an email address in the correct format, like name@example.com")
            ],
        )
    client = request.remote or "unknown"
    runtime, at = runtime_of(request), now(request)
    keys = tuple(signing_keys(request))
    links = Links(public_base(request), lambda: keys)

    def work() -> tuple[EmailedLink | None, Reply | None]:
        with runtime.sessions() as session:
            link = web_access.email_sign_in_link(session, links, at, address, client)
            session.commit()  # the attempt counts, whoever it was for
            return link, web_access.sign_in_email(link) if link else None

    try:
        link, message = await runtime.run_in_thread(work)
    except RateLimited as limited:
        return problem(request, "Too many requests", limited.message, status=429)
    if link is not None and message is not None:
        send_in_background(request.app, link, message)
    return render(request, "login_sent.html", {"title": "Check your email", "email": address})


def landing(member: Member, person_level: bool) -> str:
    """Where a sign-in lands: "Your boards" when the person signed in as themselves (not for one
    board) and sits on several; else the board page of the seat they signed in to."""
    several = len(web_access.active_seats(member)) > 1
    return BOARDS_PATH if person_level and several else "/"


def sign_in_title(shown: Desk) -> str:
    """ "Sign in to the Crime Reduction Board"; plain "Sign in" when the board is not known yet."""
    return f"Sign in to the {shown.board_name}" if shown.board_short else "Sign in"


def send_in_background(app: web.Application, link: EmailedLink, message: Reply) -> None:
    """Email the link after answering: the answer takes as long for a stranger as for a member.

    ``crb serve`` finishes sends still in flight when it shuts down."""
    runtime = app[WEB_RUNTIME]
    config = runtime.config
    assert config.smtp_url and config.mail_from
    channel = EmailChannel(config.smtp_url, config.mail_from)
    recipient = Member(initials=link.initials, name=link.name, email=link.email)

    async def send() -> None:
        try:
            await channel.send(recipient, message)
            log.info("emailed a sign-in link", extra={"member": link.initials})
        except Exception:
            log.exception("could not email a sign-in link", extra={"member": link.initials})

    task = asyncio.get_running_loop().create_task(send())
    pending = app[WEB_SENDS]
    pending.add(task)
    task.add_done_callback(pending.discard)
