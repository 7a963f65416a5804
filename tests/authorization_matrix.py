"""The authorization matrix: every role × every command × one's own or another's action, and
the check that runs one case through an adapter. Shared by the console, Slack and Teams matrices
(test_authorization*.py); registered as a plugin (conftest.py) for its fixtures."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from bot.runtime import Runtime
from db import backup
from db.models import Action, PendingImport
from handlers.identity import Account, Via
from tests.conftest import AFTER_MEETING, import_sample, make_runtime, say
from tests.databases import fresh_sqlite

LATER = AFTER_MEETING + timedelta(hours=2)


@dataclass(frozen=True)
class Role:
    name: str
    initials: str | None  # None: a person not linked to the board
    own: str  # a REF of an action this person owns (a stranger owns nothing: someone else's)
    officer: bool
    chair: bool


CHAIR = Role("chair", "AC", "07-AC", officer=True, chair=True)


SECRETARIAT = Role("secretariat", "RT", "05-RT", officer=True, chair=False)


MEMBER = Role("member", "CR", "04-CR.1", officer=False, chair=False)


UNLINKED = Role("unlinked", None, "04-CR.1", officer=False, chair=False)


ROLES = [CHAIR, SECRETARIAT, MEMBER, UNLINKED]


ANOTHERS = "04-DP"  # Damian Pettit's: none of the roles above owns it


@dataclass(frozen=True)
class Case:
    command: str  # {ref}: the action acted on; {me}: the caller's own initials
    changes: bool  # an allowed request changes the board
    allowed: object  # Role -> bool
    needs_done: bool = False  # the action must be closed first (reopen)


def owner_or_officer(role: Role) -> bool:
    return role.initials is not None


def officer(role: Role) -> bool:
    return role.officer


def linked(role: Role) -> bool:
    return role.initials is not None


def chair_only(role: Role) -> bool:
    return role.chair


def anyone(_role: Role) -> bool:
    return True


# On one's own action, any linked member may; on another's, only an officer.
OWN_CASES = {
    "done": Case("done {ref} finished", True, owner_or_officer),
    "reopen": Case("reopen {ref} not finished after all", True, owner_or_officer, needs_done=True),
    "note": Case("note {ref} amber on track", True, owner_or_officer),
    "add": Case("add 09 {me} a new action", True, officer),
    "reassign": Case("reassign {ref} SG", True, officer),
    "link": Case("link DP damian.pettit@example.org", True, officer),
    "import": Case("import {upload} cancel", True, officer),
}


ANOTHERS_CASES = {
    "done": Case("done {ref} finished", True, officer),
    "reopen": Case("reopen {ref} not finished after all", True, officer, needs_done=True),
    "note": Case("note {ref} amber on track", True, officer),
    "add": Case("add 09 DP a new action", True, officer),
    "reassign": Case("reassign {ref} SG", True, officer),
    "link": Case("link DP damian.pettit@example.org", True, officer),
    "import": Case("import {upload} cancel", True, officer),
}


READ_CASES = {
    "snooze": Case("snooze", False, linked),
    "help": Case("help", False, anyone),
    "mine": Case("mine", False, linked),
    "next": Case("next", False, linked),
    "outstanding": Case("outstanding", False, linked),
    "outstanding for one": Case("outstanding DP", False, linked),
    "outstanding --post": Case("outstanding --post", False, chair_only),
    "web": Case("web", True, linked),  # a sign-in link is recorded: only for a member
}


MATRIX = [
    pytest.param(role, case, ref, id=f"{role.name}-{verb}-{whose}")
    for role in ROLES
    for whose, cases in (("own", OWN_CASES), ("anothers", ANOTHERS_CASES), ("-", READ_CASES))
    for verb, case in cases.items()
    for ref in [role.own if whose == "own" else ANOTHERS]
]


@pytest.fixture(scope="session")
def matrix_template(sqlite_template_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample board, with an action of the chair's own (07-AC), made once per session."""
    directory = tmp_path_factory.mktemp("matrix")
    runtime = make_runtime(fresh_sqlite(sqlite_template_path, directory))
    import_sample(runtime)
    assert say(runtime, "RT", "add 07 AC the chair's own action").changed
    with runtime.unit(Account.initials("RT", Via.CONSOLE, "test"), AFTER_MEETING) as ctx:
        # Minutes the secretariat sent in chat and has not yet imported: upload 1.
        upload = PendingImport(
            board_id=ctx.board.id,
            uploaded_by_id=ctx.caller.member.id,
            filename="minutes.txt",
            data=b"minutes",
            digest="0" * 64,
            created_at=AFTER_MEETING,
        )
        ctx.session.add(upload)
        ctx.session.commit()
    with runtime.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    runtime.engine.dispose()
    return directory / "crb.db"


@pytest.fixture
def matrix_board(matrix_template: Path, tmp_path: Path) -> Iterator[Runtime]:
    path = tmp_path / "board.db"
    shutil.copyfile(matrix_template, path)
    runtime = make_runtime(f"sqlite:///{path}")
    yield runtime
    runtime.engine.dispose()


def whole_board(runtime: Runtime) -> str:
    return backup.to_json(backup.dump(runtime.engine, AFTER_MEETING))


def all_action_texts(runtime: Runtime) -> list[str]:
    with runtime.sessions() as session:
        return list(session.scalars(Action.__table__.select().with_only_columns(Action.text)))


def through_an_adapter(
    runtime: Runtime,
    role: Role,
    case: Case,
    ref: str,
    ask: Callable[[Role, str], str],
    adapter_tables: tuple[str, ...],
) -> None:
    """A matrix case through a chat platform: ``ask`` sends the command as ``role`` and returns
    the text shown. The platform must allow exactly what the handlers allow; the tables the
    adapter keeps for itself (requests handled, conversations) may change either way."""

    def board() -> dict:
        document = backup.dump(runtime.engine, LATER)
        for table in adapter_tables:
            document["tables"].pop(table)
        return document

    if case.needs_done:
        assert say(runtime, "RT", f"done {ref}").changed
    before = board()
    command = case.command.format(ref=ref, me=role.initials or "CR", upload=1)
    shown = ask(role, command)
    assert shown, f"{role.name} got no answer to “{command}”"
    changed = board() != before
    allowed = case.allowed(role) and case.changes
    assert changed == allowed, f"{role.name} “{command}”: changed={changed}"
    if role.initials is None:
        leaked = [text for text in all_action_texts(runtime) if text[:40] in shown]
        assert not leaked, f"a stranger was shown action text: {leaked}"
