"""A database made by the first release upgrades to the newest schema with nothing lost.

``fixtures/first_release.db`` was made by the first release (schema revision 0001) and
``fixtures/first_release.json`` is its backup taken then. A copy is upgraded to head; every row
and every value the first release wrote must still be there, and the board must still work.
On PostgreSQL the backup is restored into a new database (migrated to 0001, loaded, upgraded).
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect

from bot.config import Config
from bot.runtime import Runtime
from db import backup, migrate, queries
from handlers.boards import choose_board
from handlers.reply import Tone
from scheduler.dispatch import tick
from tests.conftest import link_members, say
from tests.databases import empty_postgres_database
from tests.doubles import RecordingChannel

FIXTURES = Path(__file__).parent / "fixtures"
LATER = datetime(2020, 12, 10, 9, 0, tzinfo=UTC)
MIGRATION_LOG = "alembic.runtime.migration"
# Columns a later revision moved to another table (0013: a member's accounts are their person's).
MOVED = {
    ("members", column): ("people", "person_id") for column in ("email", "slack_id", "teams_id")
}


@pytest.fixture(params=["sqlite", "postgresql"])
def upgraded(
    request: pytest.FixtureRequest, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> Iterator[Runtime]:
    caplog.set_level(logging.INFO, logger=MIGRATION_LOG)  # what `crb db upgrade` reports
    if request.param == "sqlite":
        path = tmp_path / "first_release.db"
        shutil.copyfile(FIXTURES / "first_release.db", path)
        runtime = Runtime(Config(database_url=f"sqlite:///{path}"))
        with runtime.engine.connect() as connection:
            assert backup.schema_revision(connection) == "0001"
        migrate.upgrade(runtime.engine)
        yield runtime
        runtime.engine.dispose()
        return
    with empty_postgres_database() as url:
        runtime = Runtime(Config(database_url=url))
        backup.restore(runtime.engine, json.loads((FIXTURES / "first_release.json").read_text()))
        yield runtime
        runtime.engine.dispose()


def test_the_fixture_is_the_first_release(upgraded: Runtime) -> None:
    snapshot = json.loads((FIXTURES / "first_release.json").read_text())
    assert snapshot["schema_revision"] == "0001"
    counts = {name: len(rows) for name, rows in snapshot["tables"].items()}
    assert counts["actions"] >= 9 and counts["audit_events"] >= 40
    assert {row["kind"] for row in snapshot["tables"]["audit_events"]} >= {
        "imported",
        "done",
        "reopened",
        "note",
        "created",
        "reassigned",
        "member_linked",
    }


def test_upgrading_the_first_release_loses_nothing(upgraded: Runtime) -> None:
    assert migrate.is_current(upgraded.engine)
    snapshot = json.loads((FIXTURES / "first_release.json").read_text())["tables"]
    now = backup.dump(upgraded.engine, LATER)["tables"]
    for name, old_rows in snapshot.items():
        assert name in now, f"the table {name} is gone after the upgrade"
        table = inspect(upgraded.engine).get_pk_constraint(name)["constrained_columns"]
        new_by_key = {tuple(row[c] for c in table): row for row in now[name]}
        assert len(now[name]) >= len(old_rows), f"{name} lost rows"
        for old in old_rows:
            key = tuple(old[c] for c in table)
            assert key in new_by_key, f"{name} row {key} is gone after the upgrade"
            new = new_by_key[key]
            lost = {c: (v, _now_value(now, name, new, c)) for c, v in old.items()}
            lost = {c: values for c, values in lost.items() if values[0] != values[1]}
            assert not lost, f"{name} row {key} changed in the upgrade: {lost}"


def _now_value(tables: dict, table: str, row: dict, column: str) -> object:
    """The column's value now, followed to where a later revision moved it."""
    if (table, column) not in MOVED:
        return row.get(column, "<column gone>")
    home, key = MOVED[table, column]
    (moved,) = [other for other in tables[home] if other["id"] == row[key]]
    return moved[column]


def test_the_upgraded_board_still_works(upgraded: Runtime) -> None:
    reply = say(upgraded, "CR", "mine", LATER)
    assert reply.title == "Your open actions (2)"
    assert {view.ref for view in reply.actions} == {"04-CR.1", "04-CR.2"}
    assert reply.actions[0].latest_update == "waiting on IP's dates"
    closed = say(upgraded, "CR", "done 04-CR.1 agreed with IP", LATER)
    assert closed.tone == Tone.SUCCESS and closed.changed
    assert say(upgraded, "SG", "done 06-SG.2", LATER).changed  # reassigned to SG from JS


def test_the_upgrade_gives_the_board_its_latest_minutes_marking(upgraded: Runtime) -> None:
    from db import queries
    from handlers.marking import board_marking

    with upgraded.sessions() as session:
        board = queries.default_board(session)
        latest = max(
            (m for m in queries.meetings(session, board) if m.protective_marking),
            key=lambda m: m.date,
        )
        assert board.marking == latest.protective_marking is not None
        assert board.marking_by_hand is False
        assert board_marking(session, board) == board.marking
        for meeting in queries.meetings(session, board):
            assert meeting.updated_at is not None and meeting.sequence >= 0


def test_the_upgrade_says_which_short_code_it_gave_the_board(
    upgraded: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    said = [r.getMessage() for r in caplog.get_records("setup") if r.name == MIGRATION_LOG]
    assert (
        "The board “West Mercia Crime Reduction Board” has the short code WMCRB: "
        "use --board WMCRB to name it."
    ) in said
    with upgraded.sessions() as session:
        (board,) = queries.boards(session)
        assert board.short == "WMCRB"
        assert choose_board(session, None) is board  # the only board: nothing need name it
        assert choose_board(session, "wmcrb") is board


def test_the_upgraded_board_is_reminded_as_before(upgraded: Runtime) -> None:
    """Its next meeting's 14-day nudges go to each owner once, as the first release sent them."""
    chat = RecordingChannel()
    for member, slack_id in ((m, f"U{m}") for m in ("CR", "DP", "SG")):
        link_members(upgraded, {member: slack_id}, now=LATER)
    due = datetime(2021, 2, 10, 9, 0, 30, tzinfo=UTC)
    result = asyncio.run(tick(upgraded.sessions, [chat], due))
    nudged = {o.to: o.actions for o in result.sent if o.kind == "nudge" and o.platform == "slack"}
    assert set(nudged) == {"CR", "DP", "SG"}
    assert nudged["CR"] == ("04-CR.1", "04-CR.2")
    assert {o.board for o in result.sent} == {"WMCRB"}
    assert asyncio.run(tick(upgraded.sessions, [chat], due)).sent == []
    assert chat.recipients() == ["CR", "DP", "SG"]
