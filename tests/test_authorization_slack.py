"""The authorization matrix again, through the real Bolt app over signed HTTP.

The same roles, commands and actions as ``test_authorization``; here each request is a signed
`/crb` slash command from the role's Slack account (or from an account linked to nobody). Slack
must allow exactly what the handlers allow, and a refusal must leave the board as it was.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.runtime import Runtime
from db import backup
from tests.conftest import say
from tests.slack_fixtures import LINKED, link_members
from tests.slack_harness import SlackHarness
from tests.slack_standin import SlackStandIn
from tests.test_authorization import (  # noqa: F401 - fixtures are found by name
    LATER,
    MATRIX,
    Case,
    Role,
    all_action_texts,
    matrix_board,
    matrix_template,
)
from tests.test_slack import block_text

STRANGER = "U0STRANGER"


def board_data(runtime: Runtime) -> dict:
    """The whole board but the adapter's own bookkeeping: every Slack request it has handled is
    remembered in ``processed_events`` (replays and retries are refused by it), allowed or not."""
    document = backup.dump(runtime.engine, LATER)
    document["tables"].pop("processed_events")
    return document


@pytest.fixture
def slack_board(
    matrix_board: Runtime,  # noqa: F811 - the fixture, imported by name
) -> Iterator[tuple[Runtime, SlackHarness]]:
    link_members(matrix_board, LINKED)
    with SlackStandIn() as slack, SlackHarness(matrix_board, slack, LATER) as harness:
        yield matrix_board, harness


@pytest.mark.parametrize(("role", "case", "ref"), MATRIX)
def test_slack_allows_exactly_what_the_handlers_allow(
    slack_board: tuple[Runtime, SlackHarness], role: Role, case: Case, ref: str
) -> None:
    runtime, harness = slack_board
    if case.needs_done:
        assert say(runtime, "RT", f"done {ref}").changed
    before = board_data(runtime)
    command = case.command.format(ref=ref, me=role.initials or "CR", upload=1)
    user = LINKED[role.initials] if role.initials else STRANGER
    shown = block_text(harness.slash(user, command).reply.get("blocks", []))
    assert shown, f"{role.name} got no answer to “{command}”"
    allowed = case.allowed(role)
    changed = board_data(runtime) != before
    assert changed == (allowed and case.changes), f"{role.name} “{command}”: changed={changed}"
    if role.initials is None:
        leaked = [text for text in all_action_texts(runtime) if text[:40] in shown]
        assert not leaked, f"a stranger was shown action text: {leaked}"
