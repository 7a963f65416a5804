"""Your boards (``/boards``): the person's boards, and switching between them.

A session is one seat on one board (``handlers.web_access``): every page shows that board only.
A person who sits on several boards lands here after signing in as themselves, and comes back
through "Switch board" in the header. ``/boards/SHORT`` asks before switching (a GET changes
nothing) and is how a link into one board (a digest's, a bookmark) opens it.
"""

from __future__ import annotations

from aiohttp import web

from bot.web.core import (
    BOARDS_PATH,
    SESSION_COOKIE,
    current_member,
    desk,
    now,
    problem,
    render,
    runtime_of,
    see_other,
    signed_in,
    signing_keys,
)
from db.models import Member
from handlers import web_access
from handlers.errors import NotFound
from handlers.web_access import SignInRefused

routes = web.RouteTableDef()


@routes.get(BOARDS_PATH)
@signed_in
async def your_boards(request: web.Request) -> web.StreamResponse:
    return _chooser(request, "")  # nothing chosen for them: GOV.UK radios are not pre-selected


@routes.get(BOARDS_PATH + "/{short}")
@signed_in
async def open_board(request: web.Request) -> web.StreamResponse:
    """A link into one board: that board's page when it is the current one, else the question
    "switch to it?"; a clear refusal for a board the person has no seat on."""
    short = request.match_info["short"].upper()
    shown = desk(request)
    if short == shown.board_short:
        raise web.HTTPSeeOther("/")
    if any(seat.short == short for seat in shown.seats):
        return _chooser(request, short)
    runtime, member = runtime_of(request), current_member(request)
    assert member is not None  # @signed_in

    def check() -> None:
        with runtime.sessions() as session:
            seat = session.get(Member, member.id)
            assert seat is not None
            web_access.seat_on(session, seat, short)  # raises: no seat there

    try:
        await runtime.run_in_thread(check)
    except (SignInRefused, NotFound) as refusal:
        return _refusal(request, refusal)
    return _chooser(request, short)  # a seat taken a moment ago


@routes.post(BOARDS_PATH)
@signed_in
async def switch(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    short = form.get("board")
    if not isinstance(short, str) or not short:
        return _chooser(request, "", error="Choose the board you want to use")
    runtime, keys, at = runtime_of(request), signing_keys(request), now(request)
    cookie = request.cookies.get(SESSION_COOKIE)

    def move() -> str | None:
        with runtime.sessions() as session, session.begin():
            found = web_access.live_session(session, cookie, keys, at)
            return web_access.switch_seat(session, found, short).board.name if found else None

    try:
        name = await runtime.run_in_thread(move)
    except (SignInRefused, NotFound) as refusal:
        return _refusal(request, refusal)
    if name is None:  # the session ended a moment ago
        raise web.HTTPSeeOther("/login")
    raise see_other(request, "/", notice=f"You are now using the {name}.")


def _chooser(request: web.Request, chosen: str, *, error: str | None = None) -> web.Response:
    shown = desk(request)
    return render(
        request,
        "boards.html",
        {
            "title": "Your boards",
            "seats": shown.seats,
            "chosen": chosen,
            "errors": [("board", error)] if error else [],
        },
        status=400 if error else 200,
    )


def _refusal(request: web.Request, refusal: SignInRefused | NotFound) -> web.Response:
    if isinstance(refusal, NotFound):
        return problem(request, "There is no such board", refusal.message, status=404)
    return problem(request, "You cannot see this board", refusal.message, status=403)
