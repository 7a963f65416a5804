"""The "Sign in with Microsoft" pages: off to the provider, and back with a code.

The way back is a GET (the provider redirects the browser). It starts a session, and nothing
else: it works only in the browser that started the sign-in (the signed ``state`` cookie), once.
"""

from __future__ import annotations

import asyncio
import hmac
import logging

from aiohttp import web

from bot.web.core import (
    WEB_OIDC,
    desk,
    local_path,
    now,
    problem,
    public_base,
    render,
    runtime_of,
    signing_keys,
)
from bot.web.oidc import CALLBACK_PATH, FLOW_LIFETIME, Flow, OidcClient, SignInFailed
from bot.web.security import secure_cookies, set_session_cookie
from bot.web.signin import landing
from handlers import web_access
from handlers.web_access import SignInRefused

routes = web.RouteTableDef()
log = logging.getLogger("crb.web")
FLOW_COOKIE = "crb_oidc"


def _client(request: web.Request) -> OidcClient | None:
    config = runtime_of(request).config
    if not config.oidc_enabled:
        return None
    known = request.app[WEB_OIDC]
    if not known:
        known.append(OidcClient(config))
    return known[0]


def _not_configured(request: web.Request) -> web.Response:
    return problem(
        request,
        "Signing in with Microsoft is not set up here",
        "Ask for a one-time sign-in link instead.",
        status=404,
    )


@routes.get("/auth/microsoft")
async def start(request: web.Request) -> web.StreamResponse:
    client = _client(request)
    if client is None:
        return _not_configured(request)
    flow = Flow.start(local_path(request.query.get("next", "/")), now(request))
    redirect_uri = public_base(request) + CALLBACK_PATH
    try:
        url = await asyncio.to_thread(client.authorization_url, redirect_uri, flow)
    except SignInFailed as failure:
        log.warning("Microsoft sign-in could not start: %s", failure)
        return _unavailable(request)
    response = web.HTTPSeeOther(url)
    response.set_cookie(
        FLOW_COOKIE,
        flow.to_cookie(signing_keys(request)),
        httponly=True,
        samesite="Lax",  # sent on the provider's top-level redirect back to us
        secure=secure_cookies(request),
        path="/auth/microsoft",
        max_age=int(FLOW_LIFETIME.total_seconds()),
    )
    raise response


@routes.get(CALLBACK_PATH)
async def finish(request: web.Request) -> web.StreamResponse:
    client = _client(request)
    if client is None:
        return _not_configured(request)
    at, keys = now(request), signing_keys(request)
    flow = Flow.from_cookie(request.cookies.get(FLOW_COOKIE), keys, at)
    state, code = request.query.get("state", ""), request.query.get("code", "")
    if flow is None or not state or not secrets_equal(state, flow.state):
        return _refused(
            request,
            "This sign-in did not start here, or took too long. Start again from the sign-in page.",
        )
    if request.query.get("error") or not code:
        return _refused(request, "Microsoft did not sign you in. You can try again.")
    redirect_uri = public_base(request) + CALLBACK_PATH
    try:
        identity = await asyncio.to_thread(client.sign_in, redirect_uri, code, flow, at)
    except SignInFailed as failure:
        log.warning("a Microsoft sign-in was refused: %s", failure)
        return _refused(request, "We could not confirm who you are with Microsoft. Try again.")
    runtime = runtime_of(request)

    def start_session() -> tuple[str, str, str]:
        with runtime.sessions() as session, session.begin():
            member = web_access.member_for_identity(
                session,
                object_id=identity.object_id,
                email=identity.email,
                verified=identity.email_verified,
            )
            cookie = web_access.start_session(session, member, keys, at, via="microsoft")
            # A sign-in from the start page chooses the board; one from a page goes back to it.
            where = landing(member, person_level=True) if flow.next_path == "/" else flow.next_path
            return member.initials, cookie, where

    try:
        initials, cookie, where = await runtime.run_in_thread(start_session)
    except SignInRefused as refusal:
        return _refused(request, refusal.message, status=403)
    log.info("signed in with Microsoft", extra={"member": initials})
    response = web.HTTPSeeOther(where)
    set_session_cookie(request, response, cookie)
    response.del_cookie(FLOW_COOKIE, path="/auth/microsoft")
    raise response


def secrets_equal(given: str, expected: str) -> bool:
    return given.isascii() and hmac.compare_digest(given, expected)


def _refused(request: web.Request, message: str, *, status: int = 400) -> web.Response:
    shown = desk(request)
    board = f" to the {shown.board_name}" if shown.board_short else ""
    return render(
        request,
        "signin_refused.html",
        {"title": f"You are not signed in{board}", "message": message},
        status=status,
    )


def _unavailable(request: web.Request) -> web.Response:
    return problem(
        request,
        "Signing in with Microsoft is not available right now",
        "Try again in a few minutes, or ask for a one-time sign-in link instead.",
        status=502,
    )
