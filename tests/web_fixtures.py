"""Fixtures for the web desk: the live server, one Chromium per test process, a fresh page.

Browser tests run on SQLite (``sqlite_board``) unless the database matters: the page is the same
on either, and a browser test is the slowest kind. Use ``web_desk_on`` for a particular runtime.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from bot.runtime import Runtime
from db import queries
from db.models import Action, ActionOwner, Board, Meeting, Member, Role
from handlers.identity import Account, Via
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


@dataclass(frozen=True)
class Governance:
    """The second board beside the sample one: what on it no page of the first may show."""

    dp_email: str
    action_id: int  # GOV's action owned by its DP
    only_here: tuple[str, ...]  # text that appears on the Governance Board's pages alone


GOV_MARKING = "OFFICIAL: GOVERNANCE BOARD ONLY"


def add_governance_board(runtime: Runtime) -> Governance:
    """A second board, GOV, made directly (``crb board add`` is the CLI's): the sample board's DP
    is its chair (one person, the same email), Gina Vale (GV) its secretariat; one meeting, one
    action for DP with an update on the audit trail."""
    dp_email = "dp@example.org"
    with runtime.sessions() as session, session.begin():
        crb_dp = queries.member_by_initials(session, queries.board_by_short(session, "CRB"), "DP")
        assert crb_dp is not None
        crb_dp.email = dp_email
        gov = Board(
            short="GOV",
            name="Governance Board",
            created_at=AFTER_MEETING,
            marking=GOV_MARKING,
            marking_by_hand=True,
        )
        session.add(gov)
        session.flush()
        dp = Member(
            board_id=gov.id,
            initials="DP",
            name=crb_dp.name,
            role=Role.CHAIR,
            created_at=AFTER_MEETING,
            person=crb_dp.person,
        )
        gv = Member(
            board_id=gov.id,
            initials="GV",
            name="Gina Vale",
            role=Role.SECRETARIAT,
            created_at=AFTER_MEETING,
            email="gina.vale@example.org",
        )
        met = Meeting(
            board_id=gov.id,
            date=date(2020, 11, 18),
            venue="Governance Room 7",
            minutes_imported_at=AFTER_MEETING,
            created_at=AFTER_MEETING,
        )
        session.add_all([dp, gv, met])
        session.add(
            Meeting(
                board_id=gov.id,
                date=date(2020, 12, 9),
                venue="Governance Room 7",
                created_at=AFTER_MEETING,
            )
        )
        session.flush()
        action = Action(
            board_id=gov.id,
            meeting_id=met.id,
            item="02",
            position=1,
            text="Refresh the governance risk register",
            created_at=AFTER_MEETING,
        )
        action.owner_links.append(ActionOwner(member_id=dp.id, position=0))
        session.add(action)
        session.flush()
        action_id, gv_id = action.id, gv.id
    reply = runtime.execute(
        Account.member(gv_id, Via.WEB),
        "note 02-DP Gina checked the risk appetite",
        AFTER_MEETING,
        board="GOV",
    )
    assert reply.changed, reply
    return Governance(
        dp_email,
        action_id,
        (
            "Gina Vale",
            "governance risk register",
            "risk appetite",
            "Governance Room 7",
            GOV_MARKING,
        ),
    )


@pytest.fixture
def governance(sqlite_board: Runtime) -> Governance:
    """The sample board (CRB) and the Governance Board (GOV) in one database: both have a DP."""
    return add_governance_board(sqlite_board)


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
