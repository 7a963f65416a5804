"""Signing in and out: the one-time link's page, the button that uses it, and sign-out.

A GET of a sign-in link only shows a "Sign in" button: mail scanners fetch every link in an
email, and that must not use it up. Pressing the button (a POST with its CSRF token) does.
"""

from __future__ import annotations

import logging

from aiohttp import web

from bot.web.core import (
    SESSION_COOKIE,
    current_member,
    desk,
    now,
    render,
    runtime_of,
    signing_keys,
)
from bot.web.security import clear_session_cookie, set_session_cookie
from db import queries
from handlers import web_access
from handlers.web_access import SignInRefused

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

    def redeem() -> tuple[str, str]:
        with runtime.sessions() as session, session.begin():
            board = queries.default_board(session)
            member, cookie = web_access.redeem_sign_in_link(session, board, token, keys, at)
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
        raise web.HTTPSeeOther("/")
    return render(request, "login.html", {"title": f"Sign in to the {desk(request).board_name}"})
