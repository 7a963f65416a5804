"""The authorization matrix once more, through the Teams endpoint.

The same roles, commands and actions as ``test_authorization``; here each request is an
Activity posted to `/api/messages` from the role's Teams account (or from an account linked to
nobody), answered through the Bot Connector stand-in at the Activity's serviceUrl. Teams must
allow exactly what the handlers allow, and a refusal must leave the board as it was.
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
from tests.teams_harness import (
    ask_on_teams,
    person,
    teams_config,
)

AAD = {
    "AC": "6f0a5d1e-0000-4000-8000-0000000000ac",
    "RT": "6f0a5d1e-0000-4000-8000-0000000000rt",
    "CR": "6f0a5d1e-0000-4000-8000-0000000000cr",
}
STRANGER = person("6f0a5d1e-0000-4000-8000-00000000000x", "Someone Else")
BOOKKEEPING = ("processed_events", "teams_conversations", "teams_cards")  # Teams bookkeeping


@pytest.fixture
def teams_board(matrix_board: Runtime) -> Iterator[Runtime]:
    runtime = Runtime(teams_config(matrix_board.config.database_url))
    link_members(runtime, AAD, "teams_id", LATER)
    yield runtime
    runtime.engine.dispose()


@pytest.mark.parametrize(("role", "case", "ref"), MATRIX)
def test_teams_allows_exactly_what_the_handlers_allow(
    teams_board: Runtime, role: Role, case: Case, ref: str
) -> None:
    def ask(role: Role, command: str) -> str:
        sender = person(AAD[role.initials], role.name) if role.initials else STRANGER
        return ask_on_teams(teams_board, sender, command, LATER)

    through_an_adapter(teams_board, role, case, ref, ask, BOOKKEEPING)
