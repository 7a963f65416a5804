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
    SESSION_COOKIE,
    WEB_RUNTIME,
    WEB_SENDS,
    current_member,
    desk,
    local_path,
    now,
    problem,
    render,
    runtime_of,
    signing_keys,
    with_unit,
)
from bot.web.security import clear_session_cookie, set_session_cookie
from db import queries
from db.models import Member
from handlers import web_access
from handlers.context import Ctx
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

    def check() -> str:
        with runtime.sessions() as session:
            board = queries.default_board(session)
            return web_access.check_sign_in_link(session, board, token, keys, at).member.name

    try:
        name = await runtime.run_in_thread(check)
    except SignInRefused as refusal:
        return _refused(request, refusal)
    return render(
        request,
        "signin.html",
        {"title": f"Sign in to the {desk(request).board_name}", "name": name, "token": token},
    )


@routes.post("/signin")
async def sign_in(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    token = str(form.get("token", ""))
    runtime, keys, at = runtime_of(request), signing_keys(request), now(request)

    previous = request.cookies.get(SESSION_COOKIE)

    def redeem() -> tuple[str, str]:
        with runtime.sessions() as session, session.begin():
            board = queries.default_board(session)
            member, cookie = web_access.redeem_sign_in_link(session, board, token, keys, at)
            web_access.end_session(session, board, previous, keys, at)  # one person a browser
            return member.initials, cookie

    try:
        initials, cookie = await runtime.run_in_thread(redeem)
    except SignInRefused as refusal:
        return _refused(request, refusal)
    log.info("signed in with a one-time link", extra={"member": initials})
    response = web.HTTPSeeOther("/")
    set_session_cookie(request, response, cookie)
    raise response


@routes.post("/signout")
async def sign_out(request: web.Request) -> web.StreamResponse:
    runtime, keys, at = runtime_of(request), signing_keys(request), now(request)
    cookie = request.cookies.get(SESSION_COOKIE)

    def end() -> None:
        with runtime.sessions() as session, session.begin():
            board = queries.default_board(session)
            web_access.end_session(session, board, cookie, keys, at)

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
            "title": f"Sign in to the {desk(request).board_name}",
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

    def work(ctx: Ctx) -> tuple[str, EmailedLink | None, Reply | None]:
        link = web_access.email_sign_in_link(ctx, address, client)
        ctx.session.commit()  # the attempt counts, whoever it was for
        return ctx.board.name, link, web_access.sign_in_email(ctx.board, link) if link else None

    try:
        _board, link, message = await with_unit(request, work)
    except RateLimited as limited:
        return problem(request, "Too many requests", limited.message, status=429)
    if link is not None and message is not None:
        send_in_background(request.app, link, message)
    return render(request, "login_sent.html", {"title": "Check your email", "email": address})


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
