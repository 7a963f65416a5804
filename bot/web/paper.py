"""The Paper page: "Actions from the meeting held on …" as the next meeting will read it, with
the Word, Markdown and CSV downloads (handlers/export.py renders them), and the signed-in
member's private calendar address, which ``/calendar/{token}.ics`` serves without a sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.web.core import absolute_url, now, runtime_of, signed_in, with_unit
from bot.web.forms import done, page
from handlers import feeds
from handlers.errors import UserError
from handlers.export import Paper, build_paper, render_paper

routes = web.RouteTableDef()

DOWNLOADS = {
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word"),
    "md": ("text/markdown; charset=utf-8", "Markdown"),
    "csv": ("text/csv; charset=utf-8", "CSV"),
}


@dataclass(frozen=True)
class PaperPage:
    paper: Paper | None
    missing: str | None  # why there is no paper yet
    feed_token: str | None


def _paper(ctx: Any) -> tuple[Paper | None, str | None]:
    try:
        return build_paper(ctx), None
    except UserError as error:  # no meeting held yet: the page says so
        return None, error.message


@routes.get("/paper")
@signed_in
async def paper_page(request: web.Request) -> web.StreamResponse:
    def read(ctx: Any) -> PaperPage:
        paper, missing = _paper(ctx)
        feed = feeds.current_feed(ctx)
        return PaperPage(paper, missing, feed.token if feed else None)

    shown = await with_unit(request, read)
    feed_url = (
        absolute_url(request, f"/calendar/{shown.feed_token}.ics") if shown.feed_token else None
    )
    return page(
        request,
        "paper.html",
        {
            "title": shown.paper.title if shown.paper else "The paper",
            "paper": shown.paper,
            "missing": shown.missing,
            "feed_url": feed_url,
            "downloads": [(fmt, label) for fmt, (_type, label) in DOWNLOADS.items()],
        },
    )


@routes.get("/paper/actions.{fmt}")
@signed_in
async def download(request: web.Request) -> web.StreamResponse:
    fmt = request.match_info["fmt"]
    if fmt not in DOWNLOADS:
        raise web.HTTPNotFound()
    paper = await with_unit(request, build_paper)
    body = render_paper(paper, fmt)
    data = body.encode("utf-8") if isinstance(body, str) else body
    name = f"actions-{paper.meeting.isoformat()}.{fmt}"
    return web.Response(
        body=data,
        content_type=DOWNLOADS[fmt][0].split(";")[0],
        charset="utf-8" if fmt != "docx" else None,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@routes.post("/paper/calendar")
@signed_in
async def new_calendar_address(request: web.Request) -> web.StreamResponse:
    def make(ctx: Any) -> None:
        feeds.new_feed(ctx)
        ctx.session.commit()

    await with_unit(request, make)
    raise done("/paper#calendar", "Made your private calendar address. Any earlier one stopped.")


@routes.post("/paper/calendar/revoke")
@signed_in
async def revoke_calendar_address(request: web.Request) -> web.StreamResponse:
    def revoke(ctx: Any) -> bool:
        stopped = feeds.revoke_feed(ctx)
        ctx.session.commit()
        return stopped

    stopped = await with_unit(request, revoke)
    said = "Your calendar address no longer works." if stopped else "You had no calendar address."
    raise done("/paper#calendar", said)


@routes.get("/calendar/{token}.ics")
async def calendar(request: web.Request) -> web.StreamResponse:
    """The meetings for whoever holds a member's calendar address; 404 for any other."""
    runtime = runtime_of(request)
    token = request.match_info["token"]

    def serve() -> bytes | None:
        with runtime.sessions() as session:
            return feeds.calendar_for(session, token, now(request))

    body = await runtime.run_in_thread(serve)
    if body is None:
        raise web.HTTPNotFound(text="No calendar here.")
    return web.Response(body=body, content_type="text/calendar", charset="utf-8")
