"""Fixtures for the Slack tests: the loopback stand-in, the sample board's members linked on it,
and the real Bolt app served against both. A test module may override any of them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.runtime import Runtime
from db import queries
from handlers.context import Caller
from handlers.identity import Via
from handlers.members import link_member
from tests.conftest import AFTER_MEETING
from tests.slack_harness import SlackHarness
from tests.slack_standin import SlackStandIn

LINKED = {"DP": "U0DP", "CR": "U0CR", "JS": "U0JS", "SG": "U0SG", "AC": "U0AC", "RT": "U0RT"}


def link_members(runtime: Runtime, links: dict[str, str]) -> None:
    with runtime.unit(Caller(None, "cli", Via.CLI), AFTER_MEETING) as ctx:
        for initials, slack_id in links.items():
            member = queries.member_by_initials(ctx.session, ctx.board, initials)
            link_member(ctx, member, slack_id=slack_id)
        ctx.session.commit()


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        yield standin


@pytest.fixture
def linked(board: Runtime) -> Runtime:
    link_members(board, LINKED)
    return board


@pytest.fixture
def bot(linked: Runtime, slack: SlackStandIn) -> Iterator[SlackHarness]:
    with SlackHarness(linked, slack, AFTER_MEETING) as harness:
        yield harness
