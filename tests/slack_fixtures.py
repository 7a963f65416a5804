"""Fixtures for the Slack tests: the loopback stand-in, the sample board's members linked on it,
and the real Bolt app served against both. A test module may override any of them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.runtime import Runtime
from db.models import (
    Action,
    AuditEvent,
    EventKind,
)
from tests.conftest import AFTER_MEETING, link_members
from tests.slack_harness import SlackHarness
from tests.slack_standin import SlackStandIn

LINKED = {"DP": "U0DP", "CR": "U0CR", "JS": "U0JS", "SG": "U0SG", "AC": "U0AC", "RT": "U0RT"}


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


DP, CR, JS, CHAIR, SECRETARIAT = "U0DP", "U0CR", "U0JS", "U0AC", "U0RT"


STRANGER = "U0STRANGER"


def action(runtime: Runtime, fragment: str) -> Action:
    with runtime.sessions() as session:
        found = session.scalars(select(Action).where(Action.text.contains(fragment))).one()
        _ = found.done_by, found.owners
        return found


def events_of(runtime: Runtime, kind: EventKind) -> list[AuditEvent]:
    with runtime.sessions() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.kind == kind)).all())


def block_text(blocks: list[dict[str, Any]]) -> str:
    """Every piece of text in some blocks, as a person would read them."""
    parts = []
    for block in blocks:
        for key in ("text",):
            if isinstance(block.get(key), dict):
                parts.append(block[key]["text"])
        for element in block.get("elements", []):
            if isinstance(element.get("text"), dict):
                parts.append(element["text"]["text"])
            elif element.get("type") in ("plain_text", "mrkdwn"):
                parts.append(element["text"])
    return "\n".join(parts)
