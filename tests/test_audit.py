"""Every change is an audit event with an actor and a time.

Each changing chat command and CLI command is run once; the whole board is compared before and
after (through a backup), and every row that was added, changed or removed must be explained by a
new audit event that names an actor and carries the time of the change.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot import config as config_module
from bot.cli import app
from bot.config import Config
from bot.runtime import Runtime
from db import backup
from tests.conftest import AFTER_MEETING, SAMPLE, say

Rows = dict[str, dict[tuple[Any, ...], dict[str, Any]]]

# Which audit event explains a changed row: the event's column that must point at the row (any
# of a set of values). ``rows`` are all the tables after the change.
EXPLAINED_BY: dict[str, Callable[[dict[str, Any], Rows], tuple[str, Any]]] = {
    "actions": lambda row, rows: ("action_id", row["id"]),
    "action_owners": lambda row, rows: ("action_id", row["action_id"]),
    "members": lambda row, rows: ("member_id", row["id"]),
    "meetings": lambda row, rows: ("meeting_id", row["id"]),
    "boards": lambda row, rows: ("kind", "board_changed"),
    # A person's accounts change through one of their seats, and the event names that member.
    "people": lambda row, rows: (
        "member_id",
        {m["id"] for m in rows["members"].values() if m["person_id"] == row["id"]},
    ),
    # An owner's notice of an action added or given to them names the change's event.
    "reminder_ledger": lambda row, rows: ("id", int(row["slot"].removeprefix("notice-"))),
}


def snapshot(runtime: Runtime) -> Rows:
    document = backup.dump(runtime.engine, AFTER_MEETING)
    rows: Rows = {}
    for table, table_rows in document["tables"].items():
        key = ("action_id", "member_id") if table == "action_owners" else ("id",)
        rows[table] = {tuple(row[k] for k in key): row for row in table_rows}
    return rows


def assert_every_change_is_audited(
    before: Rows, after: Rows, earliest: datetime, latest: datetime
) -> list[dict[str, Any]]:
    new_events = [
        e for key, e in after["audit_events"].items() if key not in before["audit_events"]
    ]
    assert new_events, "a change left no audit event"
    for event in new_events:
        assert event["actor_label"], f"an audit event names no actor: {event}"
        at = datetime.fromisoformat(event["at"])
        assert earliest <= at <= latest, f"an audit event has the wrong time: {event}"
    for table, rows in after.items():
        if table == "audit_events":
            continue
        old = before.get(table, {})
        touched = [row for key, row in rows.items() if old.get(key) != row]
        touched += [row for key, row in old.items() if key not in rows]  # removed
        if touched and table not in EXPLAINED_BY:
            raise AssertionError(f"{table} changed, and this test has no rule for its audit event")
        for row in touched:
            column, value = EXPLAINED_BY[table](row, after)
            values = value if isinstance(value, set) else {value}
            assert any(e[column] in values for e in new_events), (
                f"{table} row {row} changed without an audit event ({column}={value})"
            )
    return new_events


CHAT_CHANGES = [
    ("DP", "done 04-DP circulated"),
    ("AC", "done 04-CR.1 closed by the chair"),
    ("CR", "note 04-CR.2 green sent today"),
    ("RT", "add 07 CR a new action"),
    ("RT", "add 07 DP/RT a joint action"),
    ("AC", "reassign 06-JS SG"),
    ("AC", "reassign 05-DP/RT RT/DP"),
]


@pytest.mark.parametrize(("initials", "command"), CHAT_CHANGES)
def test_every_changing_chat_command_is_audited(
    board: Runtime, initials: str, command: str
) -> None:
    now = AFTER_MEETING + timedelta(hours=3)
    before = snapshot(board)
    assert say(board, initials, command, now).changed
    events = assert_every_change_is_audited(before, snapshot(board), now, now)
    assert {e["actor_label"] for e in events} == {initials}


def test_reopen_is_audited(board: Runtime) -> None:
    assert say(board, "DP", "done 04-DP").changed
    now = AFTER_MEETING + timedelta(days=1)
    before = snapshot(board)
    assert say(board, "DP", "reopen 04-DP not finished", now).changed
    (event,) = assert_every_change_is_audited(before, snapshot(board), now, now)
    assert (event["kind"], event["actor_label"], event["note"]) == (
        "reopened",
        "DP",
        "not finished",
    )


CLI_CHANGES = [
    ["import", str(SAMPLE)],
    ["member", "add", "ZZ", "--name", "Zoe Zed", "--role", "secretariat", "--email", "z@x.org"],
    ["member", "link", "CR", "--slack-id", "U01CLAIRE"],
    ["member", "link", "DP", "--teams-id", "8c3f1c2e-0d5b-4a39-9a57-1f0f5b8f9e10"],
    ["member", "link", "RT", "--email", "rachael@example.org"],
    ["meeting", "add", "2021-05-26", "--time", "10:00", "--venue", "Hindlip Hall"],
    ["console", "--as", "RT", "-c", "add 08 CR from the console"],
    ["member", "edit", "CR", "--name", "Claire Rich", "--capacity", ""],
    ["member", "role", "TO", "chair"],
    ["member", "unlink", "RT", "--email"],
    ["member", "deactivate", "SG"],
    ["member", "reactivate", "SG"],
    ["meeting", "add", "2031-08-27"],
    ["meeting", "edit", "2031-08-27", "--time", "10:00", "--venue", "Zoom"],
    ["meeting", "cancel", "2031-08-27"],
    ["meeting", "restore", "2031-08-27"],
    ["action", "reassign", "06-JS", "SG"],
]


def test_every_changing_cli_command_is_audited(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    runtime = Runtime(Config(database_url=sqlite_url))
    for args in CLI_CHANGES:
        before = snapshot(runtime)
        start = datetime.now(UTC)
        result = runner.invoke(app, args, catch_exceptions=False)
        assert result.exit_code == 0, (args, result.stderr)
        assert_every_change_is_audited(before, snapshot(runtime), start, datetime.now(UTC))
    runtime.engine.dispose()


def test_a_board_setting_from_the_environment_is_audited(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = Runtime(Config(database_url=sqlite_url))
    runtime.prepare(AFTER_MEETING)
    before = snapshot(runtime)
    monkeypatch.setenv("CRB_REMINDER_DAYS", "10,3")
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    changed = Runtime(config_module.load())
    changed.prepare(AFTER_MEETING + timedelta(days=1))
    (event,) = assert_every_change_is_audited(
        before, snapshot(runtime), AFTER_MEETING, AFTER_MEETING + timedelta(days=1)
    )
    assert event["kind"] == "board_changed" and event["actor_label"] == "system"
    runtime.engine.dispose()
    changed.engine.dispose()


def test_read_only_commands_leave_no_trace(board: Runtime) -> None:
    before = snapshot(board)
    for initials, command in [
        ("CR", "mine"),
        ("AC", "outstanding"),
        ("AC", "outstanding --post"),
        ("DP", "next"),
        (None, "help"),
        ("CR", "done 04-DP"),  # refused
        ("CR", "done 04-CR"),  # ambiguous
    ]:
        assert not say(board, initials, command).changed
    assert snapshot(board) == before
