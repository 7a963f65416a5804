"""The authorization matrix again, through the real Bolt app over signed HTTP.

The same roles, commands and actions as ``test_authorization``; here each request is a signed
`/crb` slash command from the role's Slack account (or from an account linked to nobody). Slack
must allow exactly what the handlers allow, and a refusal must leave the board as it was.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.runtime import Runtime
from tests.authorization_matrix import (
    LATER,
    MATRIX,
    Case,
    Role,
    through_an_adapter,
)
from tests.conftest import link_members
from tests.slack_fixtures import LINKED, block_text
from tests.slack_harness import SlackHarness
from tests.slack_standin import SlackStandIn

STRANGER = "U0STRANGER"


@pytest.fixture
def slack_board(
    matrix_board: Runtime,
) -> Iterator[tuple[Runtime, SlackHarness]]:
    link_members(matrix_board, LINKED)
    with SlackStandIn() as slack, SlackHarness(matrix_board, slack, LATER) as harness:
        yield matrix_board, harness


@pytest.mark.parametrize(("role", "case", "ref"), MATRIX)
def test_slack_allows_exactly_what_the_handlers_allow(
    slack_board: tuple[Runtime, SlackHarness], role: Role, case: Case, ref: str
) -> None:
    runtime, harness = slack_board

    def ask(role: Role, command: str) -> str:
        user = LINKED[role.initials] if role.initials else STRANGER
        return block_text(harness.slash(user, command).reply.get("blocks", []))

    # Every Slack request is remembered in processed_events (replays are refused by it).
    through_an_adapter(runtime, role, case, ref, ask, ("processed_events",))
