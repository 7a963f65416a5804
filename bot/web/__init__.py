"""The web desk: server-rendered pages on the same aiohttp application as Slack and Teams.

``mount_web`` adds every feature module's ``routes`` (an ``aiohttp.web.RouteTableDef``) listed
in ``PAGES``, the templates, the static files and the desk's middleware. See README.md here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from importlib import import_module
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.runtime import Runtime
from bot.web.core import WEB_CHANNELS, WEB_CLOCK, WEB_OIDC, WEB_RESOURCES, WEB_RUNTIME, WEB_SENDS
from bot.web.security import desk_middleware
from scheduler.channels import Channel

log = logging.getLogger("crb.web")
HERE = Path(__file__).parent

# Each module here has ``routes = web.RouteTableDef()``. Add yours to this list.
PAGES = [
    "bot.web.signin",
    "bot.web.microsoft",
    "bot.web.boards",
    "bot.web.board",
    "bot.web.actions",
    "bot.web.minutes",
    "bot.web.email_links",
    "bot.web.members",
    "bot.web.meetings",
    "bot.web.paper",
    "bot.web.audit",
]


def template_loader() -> jinja2.BaseLoader:
    return jinja2.ChoiceLoader(
        [
            jinja2.FileSystemLoader(HERE / "templates"),
            jinja2.PrefixLoader(
                {"govuk_frontend_jinja": jinja2.PackageLoader("govuk_frontend_jinja")}
            ),
        ]
    )


def mount_web(
    app: web.Application,
    runtime: Runtime,
    *,
    clock: Callable[[], datetime],
    channels: list[Channel] | None = None,
) -> None:
    """Serve the desk on ``app``: its pages, templates, static files and middleware.

    ``channels``: the reminder ticker's delivery channels (who can be reached); without a ticker
    in this process, the configured ones are built when a page first needs them.
    """
    app[WEB_RUNTIME] = runtime
    app[WEB_CLOCK] = clock
    app[WEB_CHANNELS] = [channels] if channels is not None else []
    app[WEB_SENDS] = set()
    app[WEB_OIDC] = []

    async def finish_sends() -> None:
        if app[WEB_SENDS]:
            await asyncio.wait(set(app[WEB_SENDS]), timeout=30)

    runtime.on_shutdown.append(finish_sends)
    aiohttp_jinja2.setup(
        app,
        loader=template_loader(),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    before = set(app.router.resources())
    for name in PAGES:
        app.router.add_routes(import_module(name).routes)
    app.router.add_static("/static/", HERE / "static", name="static", append_version=True)
    app[WEB_RESOURCES] = set(app.router.resources()) - before
    app.middlewares.append(desk_middleware)
    if runtime.config.public_url is None:
        log.warning(
            "CRB_PUBLIC_URL is not set: links the bot sends point at this server's own address"
        )
