"""The desk's middleware: who is signed in, CSRF on every POST, and the security headers.

It looks after the desk's own routes only (``WEB_RESOURCES``); Slack, Teams and /healthz pass
through untouched.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from aiohttp import web
from sqlalchemy.orm import Session

from bot.web.core import (
    BOARD_FIELD,
    CSRF_COOKIE,
    CSRF_SEED,
    DESK,
    SESSION_COOKIE,
    WEB_RESOURCES,
    Desk,
    Handler,
    Seat,
    SignedIn,
    board_marking,
    csrf_valid,
    desk,
    now,
    problem,
    runtime_of,
)
from db import queries
from db.models import Member
from handlers import web_access
from handlers.errors import UserError
from handlers.minutes.read import MAX_BYTES

log = logging.getLogger("crb.web")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",  # a sign-in or email link never leaks through Referer
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
SEVERAL_BOARDS = "Board web desk"  # the service's name before signing in, with several boards
STATIC_CACHE = "public, max-age=86400"
CSRF_REFUSED = (
    "This form could not be checked, so nothing was changed. It may have been open too long or "
    "come from another site. Go back, reload the page and try again."
)


def is_desk_route(request: web.Request) -> bool:
    route = request.match_info.route
    return route.resource is not None and route.resource in request.app[WEB_RESOURCES]


def secure_cookies(request: web.Request) -> bool:
    """Cookies are Secure when the desk is served over https."""
    public = runtime_of(request).config.public_url
    return (public or "").startswith("https://") or request.secure


def set_session_cookie(request: web.Request, response: web.StreamResponse, value: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        value,
        httponly=True,
        samesite="Lax",
        secure=secure_cookies(request),
        path="/",
        max_age=int(web_access.SESSION_LIFETIME.total_seconds()),
    )


def clear_session_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(SESSION_COOKIE, path="/")


def _load_desk(request: web.Request) -> Desk:
    """Keys (once), the session's seat, and its board's name and marking: one database trip.

    The session's seat decides the board every page shows. Before signing in, the only board's
    name shows; with several boards, none does."""
    runtime = runtime_of(request)
    at = now(request)
    keys = runtime.signing_keys(at)
    with runtime.sessions() as session:
        cookie = request.cookies.get(SESSION_COOKIE)
        found = web_access.live_session(session, cookie, keys, at) if cookie else None
        member = session.get(Member, found.member_id) if found else None
        if found is not None and web_access.touch_session(session, found, at):
            session.commit()
        if member is None:
            return _nobodys_desk(session)
        board = member.board
        return Desk(
            board.name,
            board_marking(session, board),
            SignedIn.of(member),
            board.short,
            tuple(Seat.of(seat) for seat in web_access.active_seats(member)),
        )


def board_desk(request: web.Request, short: str) -> Desk:
    """The desk of board ``short`` with nobody signed in: an email link's page shows the board
    the link is about, whichever board the browser is signed in to."""
    with runtime_of(request).sessions() as session:
        board = queries.board_by_short(session, short)
        assert board is not None  # the link's own board
        return Desk(board.name, board_marking(session, board), None, board.short)


def _nobodys_desk(session: Session) -> Desk:
    boards = queries.boards(session)
    if not boards:
        raise RuntimeError("No board: the database has not been prepared.")
    if len(boards) > 1:
        return Desk(SEVERAL_BOARDS, None, None)
    return Desk(boards[0].name, board_marking(session, boards[0]), None, boards[0].short)


def _same_origin(request: web.Request) -> bool:
    """A second CSRF guard beside the token: refuse a POST a browser says came from another site.

    Browsers send ``Sec-Fetch-Site``; they send ``Origin: null`` under ``no-referrer`` (our own
    policy), so only a named origin is compared.
    """
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        return False
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return True
    host = urlsplit(origin).netloc
    public = runtime_of(request).config.public_url
    return host == request.host or (public is not None and host == urlsplit(public).netloc)


async def _csrf_ok(request: web.Request) -> bool:
    if not _same_origin(request):
        return False
    return csrf_valid(request, await request.post())


async def _form_for_another_board(request: web.Request) -> str | None:
    """The board a signed-in form was for, when it is not the session's board any more."""
    shown = desk(request)
    given = (await request.post()).get(BOARD_FIELD)
    if shown.member is None or not isinstance(given, str) or not given:
        return None
    return None if given == shown.board_short else given[:20]


def _another_board(request: web.Request, other: str) -> str:
    return (
        f"This form was for board {other}, but you have since switched to the "
        f"{desk(request).board_name} (in another tab or window, perhaps). To make the change on "
        f"{other}, switch back to it from Your boards, then try again."
    )


def _secure(request: web.Request, response: web.StreamResponse, *, static: bool) -> None:
    response.headers.update(SECURITY_HEADERS)
    # Every page may show action text (RESTRICTED): no browser or proxy keeps a copy.
    response.headers["Cache-Control"] = STATIC_CACHE if static else "no-store"
    seed = request.get(CSRF_SEED)
    if seed and not static:
        response.set_cookie(
            CSRF_COOKIE, seed, httponly=True, samesite="Lax", secure=secure_cookies(request)
        )


TOO_BIG = (
    f"A form can send up to {MAX_BYTES // 2**20} MB, and this one was larger, so nothing was "
    "uploaded or changed. Minutes are rarely that big: save them without pictures, or as a PDF "
    "or a text file, and try again."
)


@web.middleware
async def desk_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not is_desk_route(request):
        return await handler(request)
    static = request.path.startswith("/static/")
    try:
        if static:
            response = await handler(request)
        else:
            response = await _page(request, handler)
    except web.HTTPException as http:
        _secure(request, http, static=static)
        raise
    _secure(request, response, static=static)
    return response


async def _page(request: web.Request, handler: Handler) -> web.StreamResponse:
    runtime = runtime_of(request)
    request[DESK] = await runtime.run_in_thread(_load_desk, request)
    if request.method not in ("GET", "HEAD"):
        try:
            form_ok = await _csrf_ok(request)  # reads the body: where a body too big is found
        except web.HTTPRequestEntityTooLarge:
            return problem(request, "The file is too big", TOO_BIG, status=413)
        if not form_ok:
            log.info("a form without a good CSRF token was refused", extra={"path": request.path})
            return problem(request, "Nothing was changed", CSRF_REFUSED, status=403)
        other = await _form_for_another_board(request)
        if other is not None:
            return problem(
                request, "Nothing was changed", _another_board(request, other), status=409
            )
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except UserError as error:
        return problem(request, "There is a problem", error.message, status=400)
    except Exception:
        log.exception("a web page failed", extra={"path": request.path})
        return problem(
            request,
            "Sorry, there is a problem with the service",
            "Nothing was changed. Try again later; if it keeps happening, tell the secretariat.",
            status=500,
        )
