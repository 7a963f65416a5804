"""Fixtures: each database test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.config import Config
from bot.demo import sample_text
from bot.runtime import Runtime, by_initials
from handlers.context import Caller, Ctx
from handlers.minutes.importer import import_minutes
from handlers.minutes.text import parse_text
from handlers.reply import Reply
from tests.databases import empty_tables, fresh_sqlite, postgres_database, sqlite_template

pytest_plugins = ["tests.slack_fixtures", "tests.web_fixtures"]

# The morning after the sample meeting: the board as the minutes left it.
AFTER_MEETING = datetime(2020, 11, 26, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="session")
def sqlite_template_path(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with sqlite_template(tmp_path_factory.mktemp("template")) as path:
        yield path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return fresh_sqlite(request.getfixturevalue("sqlite_template_path"), tmp_path)
    url = request.getfixturevalue("postgres_url")
    runtime = Runtime(Config(database_url=url))
    empty_tables(runtime.engine)
    runtime.engine.dispose()
    return url


@pytest.fixture
def sqlite_url(sqlite_template_path: Path, tmp_path: Path) -> str:
    return fresh_sqlite(sqlite_template_path, tmp_path)


def make_runtime(url: str, now: datetime = AFTER_MEETING) -> Runtime:
    runtime = Runtime(Config(database_url=url))
    runtime.prepare(now)
    return runtime


@pytest.fixture
def runtime(database_url: str) -> Iterator[Runtime]:
    rt = make_runtime(database_url)
    yield rt
    rt.engine.dispose()


def import_sample(runtime: Runtime, now: datetime = AFTER_MEETING) -> None:
    with runtime.unit(lambda _s, _b: Caller(None, "import:sample"), now) as ctx:
        import_minutes(ctx, parse_text(sample_text()))
        ctx.session.commit()


@pytest.fixture
def board(runtime: Runtime) -> Runtime:
    """The runtime with the sample minutes imported."""
    import_sample(runtime)
    return runtime


@pytest.fixture
def crb(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Run the `crb` CLI in-process on a fresh SQLite board; assert its exit status."""
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args: str, code: int = 0):
        result = runner.invoke(app, list(args), catch_exceptions=False)
        assert result.exit_code == code, (result.stdout, result.stderr)
        return result

    return run


def say(runtime: Runtime, initials: str | None, text: str, now: datetime = AFTER_MEETING) -> Reply:
    """Run a chat command as a member, as every adapter does."""
    return runtime.execute(by_initials(initials, f"test:{initials}"), text, now)


@contextmanager
def acting(runtime: Runtime, initials: str | None, now: datetime = AFTER_MEETING) -> Iterator[Ctx]:
    """A use-case's context as a member (None: the command line's operator); commits on success."""
    caller = (
        by_initials(initials, f"test:{initials}")
        if initials
        else (lambda _s, _b: Caller(None, "cli"))
    )
    with runtime.unit(caller, now) as ctx:
        yield ctx
        ctx.session.commit()
