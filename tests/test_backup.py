"""`crb backup` and `crb restore`: a whole board, losslessly, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import stat
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner

from bot.cli import app
from bot.config import Config
from bot.runtime import Runtime
from db import backup, queries
from db.models import Action, AuditEvent, Base, Member
from db.session import make_engine
from handlers.context import Caller
from handlers.errors import UserError
from handlers.identity import Account, Via
from handlers.members import find_member, link_member
from handlers.records import action_record, meeting_record, member_record
from tests.conftest import AFTER_MEETING, import_sample, say
from tests.databases import PG_ADMIN, empty_tables, pg_url

BACKED_UP_AT = AFTER_MEETING + timedelta(days=30)


def use_the_board(runtime: Runtime) -> None:
    """The sample board after some weeks of use: every kind of value in every table."""
    import_sample(runtime)
    with runtime.unit(Caller(None, "cli", Via.CLI), AFTER_MEETING) as ctx:
        link_member(ctx, find_member(ctx, "CR"), slack_id="U01CLAIRE")
        link_member(ctx, find_member(ctx, "DP"), teams_id="8c3f1c2e-0d5b-4a39-9a57-1f0f5b8f9e10")
        link_member(ctx, find_member(ctx, "RT"), email="rachael.thorold@example.org")
        action = ctx.session.scalars(select(Action).where(Action.text.contains("Cookson"))).one()
        action.closed_session = True
        ctx.session.commit()
    for later, initials, text in [
        (timedelta(hours=1, seconds=7, microseconds=123456), "DP", "done 04-DP circulated"),
        (timedelta(hours=2), "CR", "note 04-CR.1 amber “CLIMB” <b>dates</b> & 'quotes' — Zoë ✓"),
        (timedelta(hours=3), "AC", "add 07 JS Circulate the revised terms of reference"),
        (timedelta(hours=4, microseconds=1), "RT", "reassign 06-JS SG"),
    ]:
        assert say(runtime, initials, text, AFTER_MEETING + later).changed


def backup_text(engine: Engine) -> str:
    return backup.to_json(backup.dump(engine, BACKED_UP_AT))


@contextmanager
def blank_postgres() -> Iterator[str]:
    """A PostgreSQL database with no schema at all, dropped afterwards."""
    name = f"crb_blank_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_url(name)
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fresh_database_like(engine: Engine) -> Engine:
    """An empty database of the same kind: a new SQLite file, or PostgreSQL emptied."""
    if engine.dialect.name == "sqlite":
        return make_engine(f"sqlite:///{Path(engine.url.database).parent}/restored.db")
    empty_tables(engine)  # TRUNCATE … RESTART IDENTITY: as fresh as a new database
    return engine


def test_the_backup_holds_every_table_in_dependency_order(runtime: Runtime) -> None:
    use_the_board(runtime)
    document = json.loads(backup_text(runtime.engine))
    assert document["format"] == "crb-backup" and document["format_version"] == 1
    assert document["schema_revision"] and document["created_at"] == BACKED_UP_AT.isoformat()
    assert list(document["tables"]) == [t.name for t in Base.metadata.sorted_tables]
    action = next(a for a in document["tables"]["actions"] if a["status"] == "done")
    assert action["done_at"] == "2020-11-26T10:30:07.123456+00:00"
    assert document["tables"]["boards"][0]["reminder_time"] == "09:00:00"
    assert document["tables"]["meetings"][0]["date"] == "2020-11-25"


def test_backup_then_restore_then_backup_is_byte_for_byte_the_same(runtime: Runtime) -> None:
    use_the_board(runtime)
    first = backup_text(runtime.engine)
    seen_before = as_the_board_sees_it(runtime.engine)
    target = fresh_database_like(runtime.engine)
    counts = backup.restore(target, backup.parse(first))
    assert counts["actions"] == 9 and counts["members"] == 25
    assert backup_text(target) == first
    # Not only the same document: the same board, read through the models, to the microsecond.
    assert as_the_board_sees_it(target) == seen_before
    target.dispose()


def as_the_board_sees_it(engine: Engine) -> dict[str, list[object]]:
    runtime = Runtime(Config(database_url=str(engine.url)), engine=engine)
    with runtime.sessions() as session:
        board = queries.default_board(session)
        return {
            "board": [board.name, board.timezone, board.reminder_time, board.created_at],
            "actions": [
                (action_record(a), a.created_at, a.closed_session)
                for a in queries.actions(session, board)
            ],
            "members": [member_record(m) for m in queries.members(session, board)],
            "meetings": [meeting_record(m) for m in queries.meetings(session, board)],
            "audit": [
                (e.at, e.kind, e.actor_label, e.action_id, e.note, e.rag, e.details)
                for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))
            ],
        }


def test_a_sqlite_board_moves_to_a_blank_postgresql_database(sqlite_url: str) -> None:
    source = Runtime(Config(database_url=sqlite_url))
    source.prepare(AFTER_MEETING)
    use_the_board(source)
    first = backup_text(source.engine)
    with blank_postgres() as url:
        target = make_engine(url)
        backup.restore(target, backup.parse(first))
        assert backup_text(target) == first
        # The id sequences moved past the restored rows: new rows get new ids.
        moved = Runtime(Config(database_url=url), engine=target)
        assert say(moved, "AC", "add 08 CR A new action after the move", BACKED_UP_AT).changed
        with moved.sessions() as session:
            assert session.scalar(select(func.max(Action.id))) == 10
        target.dispose()
    source.engine.dispose()


def test_restore_refuses_a_database_that_holds_data_and_changes_nothing(board: Runtime) -> None:
    document = backup.dump(board.engine, BACKED_UP_AT)
    say(board, "DP", "done 04-DP")
    before = backup_text(board.engine)
    with pytest.raises(UserError, match=r"already holds data .*--replace"):
        backup.restore(board.engine, document)
    assert backup_text(board.engine) == before


def test_restore_with_replace_puts_the_old_board_back(board: Runtime) -> None:
    document = backup.dump(board.engine, BACKED_UP_AT)
    saved = backup.to_json(document)
    say(board, "DP", "done 04-DP")
    say(board, "AC", "add 09 CR Something added after the backup")
    backup.restore(board.engine, document, replace=True)
    assert backup_text(board.engine) == saved
    assert say(board, "AC", "add 09 CR Added again", BACKED_UP_AT).changed


def test_a_failed_restore_leaves_the_old_board(board: Runtime) -> None:
    document = backup.dump(board.engine, BACKED_UP_AT)
    before = backup_text(board.engine)
    # Two members with one id: the restore fails half way through its inserts.
    document["tables"]["members"].append(dict(document["tables"]["members"][0]))
    with pytest.raises(IntegrityError):
        backup.restore(board.engine, document, replace=True)
    assert backup_text(board.engine) == before


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("not json", "not JSON"),
        ('{"format": "something-else"}', "not a crb backup"),
        ('{"format": "crb-backup", "format_version": 99, "tables": {}}', "format version 99"),
        ('{"format": "crb-backup", "format_version": 1, "tables": {"x": []}}', "does not know"),
        ('{"format": "crb-backup", "format_version": 1, "tables": []}', "damaged"),
    ],
)
def test_a_bad_backup_is_refused_before_the_database_is_touched(text: str, says: str) -> None:
    with pytest.raises(UserError, match=says):
        backup.parse(text)


def test_a_backup_from_another_schema_is_refused(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    document = backup.dump(engine, BACKED_UP_AT)
    document["schema_revision"] = "0000-older"
    with pytest.raises(UserError, match="schema revision 0000-older"):
        backup.restore(engine, document)
    engine.dispose()


def test_the_cli_backs_up_privately_and_restores(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = Runtime(Config(database_url=sqlite_url))
    source.prepare(AFTER_MEETING)
    use_the_board(source)
    runner = CliRunner()
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    file = tmp_path / "board.json"
    result = runner.invoke(app, ["backup", "-o", str(file)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert "Backed up" in result.stdout
    assert stat.S_IMODE(file.stat().st_mode) == 0o600  # the board's data is restricted

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    result = runner.invoke(app, ["restore", str(file)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert "Restored" in result.stdout
    again = runner.invoke(app, ["restore", str(file)], catch_exceptions=False)
    assert again.exit_code == 1 and "already holds data" in again.stderr
    restored = Runtime(Config(database_url=f"sqlite:///{tmp_path / 'new.db'}"))
    with restored.sessions() as session:
        board = queries.default_board(session)
        assert find_linked(session, board, "U01CLAIRE").initials == "CR"
    assert say(restored, "DP", "mine", BACKED_UP_AT).title == "Your open actions (1)"
    assert runtime_reply(restored, "CR") == runtime_reply(source, "CR")

    garbage = tmp_path / "garbage.json"
    garbage.write_text("{ nope")
    bad = runner.invoke(app, ["restore", str(garbage)], catch_exceptions=False)
    assert bad.exit_code == 1 and "not a crb backup" in bad.stderr
    missing = runner.invoke(app, ["restore", str(tmp_path / "absent.json")])
    assert missing.exit_code == 1 and "There is no file" in missing.stderr


def find_linked(session, board, slack_id: str) -> Member:
    return queries.member_by_identity(session, board, slack_id=slack_id)


def runtime_reply(runtime: Runtime, initials: str) -> object:
    return runtime.execute(
        Account.initials(initials, Via.CONSOLE, "test"), "outstanding", BACKED_UP_AT
    )
