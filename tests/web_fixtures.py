"""Fixtures for the web desk: the live server, one Chromium per test process, a fresh page.

Browser tests run on SQLite (``sqlite_board``) unless the database matters: the page is the same
on either, and a browser test is the slowest kind. Use ``web_desk_on`` for a particular runtime.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from bot.runtime import Runtime
from tests.conftest import AFTER_MEETING, import_sample, make_runtime
from tests.web_harness import (
    MovableClock,
    WebDesk,
    loop_free_between_browser_calls,
    require_chromium,
)


@pytest.fixture
def clock() -> MovableClock:
    """The server's time: the morning after the sample meeting, until the test moves it."""
    return MovableClock(AFTER_MEETING)


@pytest.fixture
def sqlite_board(sqlite_url: str) -> Iterator[Runtime]:
    """The sample board on SQLite only."""
    runtime = make_runtime(sqlite_url)
    import_sample(runtime)
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def web_desk_on(clock: MovableClock) -> Iterator[Callable[..., WebDesk]]:
    """Serve the desk on a given runtime: ``web_desk_on(board, public_url=...)``."""
    with ExitStack() as stack:
        yield lambda runtime, **config: stack.enter_context(WebDesk(runtime, clock, **config))


@pytest.fixture
def web_desk(sqlite_board: Runtime, web_desk_on: Callable[..., WebDesk]) -> WebDesk:
    """The desk on the sample board (SQLite), at ``clock``'s time."""
    return web_desk_on(sqlite_board)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One headless Chromium per test process (Debian's, by path)."""
    path = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright, loop_free_between_browser_calls():
        browser = playwright.chromium.launch(executable_path=str(path), headless=True)
        yield browser
        browser.close()
        asyncio.events._set_running_loop(playwright._loop)  # as stopping Playwright expects


@pytest.fixture
def browser_page(chromium: Any) -> Iterator[Any]:
    """A fresh page in its own browser context (no cookies from another test), en-GB."""
    context = chromium.new_context(locale="en-GB", viewport={"width": 1024, "height": 768})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()
