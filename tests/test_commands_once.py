"""The property behind issue 13: a command or a click changes at most the one action it names,
and typing (or clicking) it again changes nothing.

Hypothesis writes sequences of `done`, `reopen` and `note` commands and button clicks by any
member of the sample board: typed with the REF the bot shows for an action at that moment, or
with the plain item and owners, or clicked on a button as it was shown some steps earlier (so
perhaps stale). After each step, only the action named may have changed; the same step again
changes nothing at all.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.runtime import Runtime
from db import queries
from db.models import Action, AuditEvent, EventKind
from handlers import run
from handlers.commands import Done, Note, Reopen
from handlers.identity import Account, Via
from handlers.refs import ActionId, format_ref
from handlers.views import display_refs
from tests.conftest import AFTER_MEETING, import_sample, make_runtime

MEMBERS = ("AC", "RT", "CR", "DP", "JS", "SG", "CJ")  # the chair, the secretariat, owners
NOTES = ("draft circulated", "waiting on IP", "A&E data > 4h")
State = dict[int, tuple[str, int | None, int]]  # action id -> (status, closed by, updates)


@pytest.fixture(scope="module")
def sample_file(tmp_path_factory: pytest.TempPathFactory, sqlite_template_path: Path) -> Path:
    """The sample board on SQLite, made once: each example starts from a copy of it."""
    path = tmp_path_factory.mktemp("once") / "sample.db"
    shutil.copyfile(sqlite_template_path, path)
    runtime = make_runtime(f"sqlite:///{path}")
    import_sample(runtime)
    runtime.engine.dispose()
    return path


@pytest.fixture(scope="module")
def fresh_board(
    sample_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[], Runtime]]:
    directory = tmp_path_factory.mktemp("examples")
    made: list[Runtime] = []

    def fresh() -> Runtime:
        path = directory / f"board{len(made)}.db"
        shutil.copyfile(sample_file, path)
        made.append(make_runtime(f"sqlite:///{path}"))
        return made[-1]

    yield fresh
    for runtime in made:
        runtime.engine.dispose()


def state(runtime: Runtime) -> State:
    with runtime.sessions() as session:
        updates = dict(
            session.execute(
                select(AuditEvent.action_id, func.count(AuditEvent.id))
                .where(AuditEvent.kind == EventKind.NOTE)
                .group_by(AuditEvent.action_id)
            ).all()
        )
        return {
            a.id: (a.status, a.done_by_id, updates.get(a.id, 0))
            for a in session.scalars(select(Action))
        }


steps = st.lists(
    st.tuples(
        st.sampled_from(MEMBERS),
        st.sampled_from(("done", "reopen", "note")),
        st.integers(0, 8),  # which action (of the 9 the minutes raised)
        st.sampled_from(("shown", "plain", "click")),
        st.integers(0, 3),  # a click: how many steps ago its message was shown
        st.sampled_from(NOTES),
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=steps)
def test_each_command_changes_at_most_the_action_it_names_and_again_nothing(
    fresh_board: Callable[[], Runtime], sequence: list[tuple[str, str, int, str, int, str]]
) -> None:
    runtime = fresh_board()
    history: list[State] = [state(runtime)]
    ids = sorted(history[0])
    for number, (who, verb, which, how, ago, words) in enumerate(sequence):
        target = ids[which % len(ids)]
        now = AFTER_MEETING + timedelta(minutes=number)
        shown_state = history[max(0, len(history) - 1 - ago)][target][0]
        run = _step(runtime, who, verb, target, how, shown_state, words)
        before = state(runtime)
        run(now)
        after = state(runtime)
        changed = {a for a in after if after[a] != before[a]}
        assert changed <= {target}, (who, verb, how, changed, target)
        if how == "click" and shown_state != before[target][0] and verb != "note":
            assert not changed  # a stale button shows the action and changes nothing
        run(now + timedelta(seconds=30))  # the same again
        assert state(runtime) == after, (who, verb, how, "changed on the second time")
        history.append(after)


def _step(
    runtime: Runtime, who: str, verb: str, target: int, how: str, shown_state: str, words: str
) -> Callable[[datetime], object]:
    """The step as a callable of the time: a typed command, or a click on a button."""
    caller = Account.initials(who, Via.CONSOLE, f"test:{who}")
    if how == "click":
        pinned = ActionId(target, None if verb == "note" else shown_state)
        command = {"done": Done(pinned), "reopen": Reopen(pinned), "note": Note(pinned, words)}[
            verb
        ]

        return lambda now: run.run_command(runtime.sessions, caller, command, now)
    with runtime.sessions() as session:
        board = queries.default_board(session)
        (listed,) = queries.listed_actions(session, board, ids=[target])
        if how == "shown":
            ref = display_refs(session, board, [listed])[target]
        else:
            ref = format_ref(listed.item, listed.owner_initials)
    text = f"{verb} {ref} {words}" if verb == "note" else f"{verb} {ref}"
    return lambda now: runtime.execute(caller, text, now)
