"""Secrets and tokens never reach a log line, the terminal, a backup or an error message."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot import config as config_module
from bot.cli import app
from db.session import make_engine
from tests.conftest import SECRETS
from tests.databases import empty_tables

SAMPLE = Path(__file__).parent.parent / "bot" / "samples" / "crb-minutes-2020-11-25.txt"
DB_PASSWORD = "pg-PASSWORD-secret"


def every_secret() -> list[str]:
    return [*SECRETS.values(), DB_PASSWORD, "smtp-PASSWORD-secret"]


def test_the_configuration_never_shows_a_secret(postgres_url: str) -> None:
    env = {**SECRETS, "DATABASE_URL": postgres_url.replace("postgres@", f"postgres:{DB_PASSWORD}@")}
    config = config_module.load(env)
    assert config.slack_bot_token == SECRETS["SLACK_BOT_TOKEN"]  # loaded, just never shown
    logged = logging.makeLogRecord({"msg": "config: %s", "args": (config,)}).getMessage()
    for shown in (repr(config), str(config), f"{config}", logged, f"{config!r}"):
        for secret in every_secret():
            assert secret not in shown
    assert "postgres:***@" in repr(config) and "[set]" in repr(config)
    assert set(config.secrets()) >= {
        SECRETS["SLACK_BOT_TOKEN"],
        SECRETS["SLACK_SIGNING_SECRET"],
        SECRETS["SLACK_APP_TOKEN"],
        DB_PASSWORD,
        "smtp-PASSWORD-secret",
    }


CLI_RUNS = [
    ["db", "upgrade"],
    ["import", str(SAMPLE)],
    ["import", str(SAMPLE), "--dry-run", "--json"],
    ["members", "--json"],
    ["actions", "--status", "all"],
    ["meetings"],
    ["member", "link", "CR", "--slack-id", "U01CLAIRE"],
    ["member", "add", "cr", "--name", "Duplicate"],  # refused
    ["console", "--as", "DP", "-c", "done 04-DP"],
    ["console", "--as", "DP", "-c", "done 99-ZZ"],  # refused
    ["console", "-c", "help"],
    ["meeting", "add", "not-a-date"],  # refused
    ["backup", "-o", "-"],
    ["restore", "missing.json"],  # refused
]


def test_no_cli_command_prints_or_logs_a_secret(
    postgres_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:

    engine = make_engine(postgres_url)
    empty_tables(engine)
    engine.dispose()
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(
        "DATABASE_URL", postgres_url.replace("postgres@", f"postgres:{DB_PASSWORD}@")
    )
    monkeypatch.chdir(tmp_path)
    caplog.set_level(logging.DEBUG)
    runner = CliRunner()
    captured = []
    for args in CLI_RUNS:
        result = runner.invoke(app, args)
        assert result.exit_code in (0, 1), (args, result.stdout, result.stderr)
        assert result.exception is None or isinstance(result.exception, SystemExit), args
        captured += [result.stdout, result.stderr]
    captured += [record.getMessage() for record in caplog.records]
    captured += [repr(record.__dict__) for record in caplog.records]
    everything = "\n".join(captured)
    assert "Backed up" not in everything  # "-o -" wrote the document itself to stdout
    assert '"format": "crb-backup"' in everything
    for secret in every_secret():
        assert secret not in everything, f"a secret leaked: {secret}"


def test_an_unreachable_database_error_does_not_show_its_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"postgresql://crb:{DB_PASSWORD}@127.0.0.1:1/crb")
    result = CliRunner().invoke(app, ["members"])
    assert result.exit_code == 1
    assert "crb: I can't reach the database at postgresql://crb:***@127.0.0.1:1/crb" in (
        result.stderr
    )
    shown = result.stdout + result.stderr + repr(result.exception)
    assert DB_PASSWORD not in shown
