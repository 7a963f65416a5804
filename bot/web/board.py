"""The Board page (``/``): the next meeting, outstanding actions by owner, who cannot be
reached, and the reminders planned."""

from __future__ import annotations

from aiohttp import web

from bot.web.core import delivery_channels, render, signed_in, with_unit
from handlers.overview import board_overview
from planning.calendar import zone
from scheduler.channels import channel_for

routes = web.RouteTableDef()


@routes.get("/")
@signed_in
async def board_page(request: web.Request) -> web.StreamResponse:
    channels = delivery_channels(request)
    overview = await with_unit(
        request, lambda ctx: board_overview(ctx, lambda m: channel_for(m, channels) is not None)
    )
    return render(
        request,
        "board.html",
        {"title": "The board", "overview": overview, "tz": zone(overview.timezone)},
    )
