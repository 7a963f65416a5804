"""The pages an email's one-click links open: `/e?token=…`, no account needed.

A GET only shows the action and a button: mail scanners (Microsoft Defender Safe Links and
others) open every link in an email before the person does. Pressing the button (a POST with the
link's token and the CSRF token, which the desk's middleware checks) acts, as the person the
email was sent to. What the page says and does is decided in ``handlers.link_pages``.
"""

from __future__ import annotations

from aiohttp import web

from bot.web.core import DESK, desk, now, public_base, render, runtime_of, signing_keys
from bot.web.security import board_desk
from handlers.context import Links
from handlers.email_links import LINK_PATH, LinkRefused
from handlers.link_pages import LinkPage, Pressed, visit

routes = web.RouteTableDef()


@routes.get(LINK_PATH)
async def link_page(request: web.Request) -> web.StreamResponse:
    return await _answer(request, request.query.get("token", ""), None)


@routes.post(LINK_PATH)
async def press(request: web.Request) -> web.StreamResponse:
    form = await request.post()  # the CSRF token was checked by the desk's middleware
    token = _text(form.get("token"))
    pressed = Pressed(rag=_text(form.get("rag")) or None, text=_text(form.get("text")) or None)
    return await _answer(request, token, pressed)


async def _answer(request: web.Request, token: str, pressed: Pressed | None) -> web.Response:
    runtime = runtime_of(request)
    keys = tuple(signing_keys(request))
    links = Links(public_base(request), lambda: keys)
    try:
        page = await runtime.run_in_thread(
            visit, runtime.sessions, links, token, now(request), pressed
        )
    except LinkRefused as refused:
        return render(
            request,
            "email_link_refused.html",
            {
                "title": "This link cannot be used",
                "message": refused.message,
                "hints": refused.hints,
            },
            status=403,
        )
    if page.board != desk(request).board_short:  # a link about another board than the session's
        request[DESK] = await runtime.run_in_thread(board_desk, request, page.board)
    status = 400 if page.errors else 200
    return render(request, "email_link.html", _context(page, token), status=status)


def _context(page: LinkPage, token: str) -> dict[str, object]:
    return {
        "title": page.title,
        "page": page,
        "token": token,
        "errors": list(page.errors),
    }


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
