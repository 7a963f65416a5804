"""The web desk under test: the real application on loopback, a real browser, and helpers.

``WebDesk`` serves ``bot.server.make_app`` (Slack, Teams, the desk and /healthz, as `crb serve`
does) on 127.0.0.1 from a background thread, on a runtime's database, with a clock the test moves.
``Visitor`` is a plain HTTP client with its own cookies (a mail scanner, a forger, a browser
without JavaScript). The browser pieces use Playwright's sync API on Debian's Chromium.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from aiohttp import web

from bot.runtime import Runtime
from bot.server import make_app
from bot.web.core import WEB_RESOURCES
from handlers import web_access
from handlers.context import Caller
from handlers.identity import Via
from handlers.members import find_member
from tests.doubles import MailHandler, smtp_server
from tests.loopback import LoopbackServer

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
# axe-core impacts that fail a page (moderate and minor ones are reported, not failed).
BLOCKING_IMPACTS = ("serious", "critical")


class MovableClock:
    """The time the server sees: set it, or move it on."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> datetime:
        self.now += by
        return self.now


class WebDesk:
    """``make_app`` served on loopback for one test, on ``runtime``'s database."""

    def __init__(
        self,
        runtime: Runtime,
        clock: MovableClock,
        *,
        extra_routes: web.RouteTableDef | None = None,
        **config: Any,
    ) -> None:
        """``config``: settings to change (``public_url=…``); ``extra_routes``: pages a test
        adds, looked after by the desk's middleware like its own."""
        if config:
            runtime.config = replace(runtime.config, **config)
        self.runtime = runtime
        self.clock = clock
        app = make_app(runtime, clock=clock)
        if extra_routes is not None:
            app[WEB_RESOURCES].update(r.resource for r in app.router.add_routes(extra_routes))
        self.server = LoopbackServer(app)

    def __enter__(self) -> WebDesk:
        self.server.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.stop()

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def public_here(self) -> WebDesk:
        """Make ``CRB_PUBLIC_URL`` this server, so that the links it sends can be opened."""
        self.runtime.config = replace(self.runtime.config, public_url=self.base_url)
        return self

    def url(self, path: str) -> str:
        return self.base_url + path

    def sign_in_link(
        self,
        initials: str,
        *,
        at: datetime | None = None,
        board: str | None = None,
        via: str = "cli",
    ) -> str:
        """A one-time sign-in link for ``initials`` (on ``board``, when there are several), made
        as `crb web link` makes it (``via="email"``: as /login's email makes it)."""
        now = at or self.clock()
        keys = self.runtime.signing_keys(now)
        with self.runtime.unit(Caller(None, "cli", Via.CLI), now, board) as ctx:
            token = web_access.issue_sign_in_link(ctx, find_member(ctx, initials), keys, via=via)
            ctx.session.commit()
        return web_access.sign_in_url(self.base_url, token)

    def visitor(self) -> Visitor:
        return Visitor(self)


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Visitor:
    """A plain HTTP client with its own cookie jar; it never follows redirects by itself."""

    desk: WebDesk

    def __post_init__(self) -> None:
        self.http = requests.Session()

    def get(self, path_or_url: str, **kwargs: Any) -> requests.Response:
        return self.http.get(self._url(path_or_url), allow_redirects=False, timeout=10, **kwargs)

    def post(self, path: str, data: dict[str, str], **kwargs: Any) -> requests.Response:
        return self.http.post(
            self._url(path), data=data, allow_redirects=False, timeout=10, **kwargs
        )

    def csrf_from(self, response: requests.Response) -> str:
        found = _CSRF.search(response.text)
        assert found, "the page has no form with a CSRF token"
        return found.group(1)

    def sign_in(self, initials: str, **link: str) -> requests.Response:
        """Open a fresh sign-in link and press "Sign in", as a person would (``board=``,
        ``via=``: as ``WebDesk.sign_in_link``)."""
        url = self.desk.sign_in_link(initials, **link)
        page = self.get(url)
        token = url.split("token=", 1)[1]
        return self.post("/signin", {"token": token, "csrf_token": self.csrf_from(page)})

    def _url(self, path_or_url: str) -> str:
        return path_or_url if "://" in path_or_url else self.desk.url(path_or_url)


@contextmanager
def loopback_smtp() -> Iterator[tuple[int, MailHandler]]:
    """``tests.doubles.smtp_server``, started from a worker thread, so that it never depends on
    the state of the test thread's event loop (see ``loop_free_between_browser_calls``)."""
    server = smtp_server()
    with ThreadPoolExecutor(1) as starter:
        started = starter.submit(server.__enter__).result()
        try:
            yield started
        finally:
            starter.submit(server.__exit__, None, None, None).result()


# ---------------------------------------------------------------- the browser


def require_chromium(path: Path = CHROMIUM) -> Path:
    """The browser to launch. Missing, the browser tests are skipped and say why; in CI
    (``CRB_REQUIRE_BROWSER=1``) they fail instead."""
    if not path.exists():
        reason = f"{path} is missing: apt-get install -y chromium (browser tests skipped)"
        if os.environ.get("CRB_REQUIRE_BROWSER", "") == "1":
            pytest.fail(f"CRB_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    return path


@contextmanager
def loop_free_between_browser_calls() -> Iterator[None]:
    """Playwright's sync API leaves its event loop marked as running on the test's thread between
    calls (``playwright._impl._greenlets.wait_for_future``). With one browser kept for the whole
    test process, every later test that calls ``asyncio.run`` (a tick, the CLI) or starts a loop
    of its own would fail with "cannot be called from a running event loop". Here the loop is
    marked running only for the duration of each browser call."""
    from playwright._impl._sync_base import SyncBase

    original = SyncBase._sync

    def _sync(self: Any, awaitable: Any) -> Any:
        asyncio.events._set_running_loop(self._loop)
        try:
            return original(self, awaitable)
        finally:
            asyncio.events._set_running_loop(None)

    SyncBase._sync = _sync  # type: ignore[method-assign]
    try:
        yield
    finally:
        SyncBase._sync = original  # type: ignore[method-assign]


def sign_in(page: Any, desk: WebDesk, initials: str) -> None:
    """Sign ``page``'s browser in as ``initials`` with a one-time link, and land on the board."""
    page.goto(desk.sign_in_link(initials))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(desk.url("/"))


def assert_accessible(page: Any) -> None:
    """axe-core on the page as it stands: no serious or critical violations."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    blocking = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:5])
        for v in results.response["violations"]
        if v.get("impact") in BLOCKING_IMPACTS
    ]
    assert not blocking, f"{page.url} has accessibility violations:\n" + "\n".join(blocking)


def screenshot(page: Any, name: str) -> Path:
    """The whole page as ``docs/screenshots/NAME.png`` (the README shows them)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
