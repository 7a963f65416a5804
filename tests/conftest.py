"""Fixtures: each database test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.config import Config
from bot.demo import sample_text
from bot.runtime import Runtime
from db import queries
from handlers.context import Caller, Ctx
from handlers.identity import Account, Via
from handlers.members import link_member
from handlers.minutes.importer import ImportReport, import_minutes
from handlers.minutes.model import Minutes
from handlers.minutes.text import parse_text
from handlers.reply import Reply
from tests.databases import empty_tables, fresh_sqlite, postgres_database, sqlite_template

pytest_plugins = [
    "tests.slack_fixtures",
    "tests.teams_harness",
    "tests.authorization_matrix",
    "tests.web_fixtures",
]

# The bundled sample minutes, as `crb import` reads them.
SAMPLE = Path(__file__).parent.parent / "bot" / "samples" / "crb-minutes-2020-11-25.txt"

# The morning after the sample meeting: the board as the minutes left it.
AFTER_MEETING = datetime(2020, 11, 26, 9, 30, tzinfo=UTC)
OPERATOR = Caller(None, "test", Via.SYSTEM)  # who sets a test's board up


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
    with runtime.unit(Caller(None, "import:sample", Via.IMPORT), now) as ctx:
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
    return runtime.execute(Account.initials(initials, Via.CONSOLE, f"test:{initials}"), text, now)


def link_members(
    runtime: Runtime,
    accounts: Mapping[str, str],
    field: str = "slack_id",
    now: datetime = AFTER_MEETING,
    board: str | None = None,
) -> None:
    """Link each member (by initials) to an account: the one way a test links members.

    ``field`` is the kind of account: "slack_id", "teams_id" or "email"; ``board`` the short
    code of the board whose members these are (needed once a test has several boards).
    """
    with runtime.unit(OPERATOR, now, board) as ctx:
        for initials, value in accounts.items():
            member = queries.member_by_initials(ctx.session, ctx.board, initials)
            assert member is not None, f"no member {initials}"
            link_member(ctx, member, **{field: value})
        ctx.session.commit()


def link(runtime: Runtime, *initials: str, field: str = "slack_id") -> None:
    """Link members to made-up accounts: U<initials> on chat, <initials>@example.org by email."""
    made_up = {
        each: f"{each.lower()}@example.org" if field == "email" else f"U{each}" for each in initials
    }
    link_members(runtime, made_up, field)


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Whether ``condition`` comes true within ``timeout`` seconds (asked every 20 ms)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def run_import(runtime: Runtime, minutes: Minutes, now: datetime = AFTER_MEETING) -> ImportReport:
    with runtime.unit(Caller(None, "import:test", Via.IMPORT), now) as ctx:
        report = import_minutes(ctx, minutes)
        ctx.session.commit()
        return report


OWNERS = ("CJ", "CR", "DP", "JS", "RT", "SG")


FEB_10 = datetime(2021, 2, 10, 9, 0, 30, tzinfo=UTC)  # 14 days before 24 Feb, 09:00 GMT


SECRETS = {
    "SLACK_BOT_TOKEN": "xoxb-1111-2222-SECRETBOTTOKEN",
    "SLACK_SIGNING_SECRET": "signing-SECRET-8f14e45fceea167a",
    "SLACK_APP_TOKEN": "xapp-1-SECRETAPPTOKEN",
    "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTSECRET": "teams-CLIENT-SECRET-value",
    "SMTP_URL": "smtp://mailer:smtp-PASSWORD-secret@127.0.0.1:2525",
}


@contextmanager
def acting(runtime: Runtime, initials: str | None, now: datetime = AFTER_MEETING) -> Iterator[Ctx]:
    """A use-case's context as a member on the console (None: the command line's operator);
    it commits when the body ends without an error."""
    who = Account.initials(initials, Via.CONSOLE, f"test:{initials}") if initials else CLI
    with runtime.unit(who, now) as ctx:
        yield ctx
        ctx.session.commit()


CLI = Caller(None, "cli", Via.CLI)  # the command line's operator, as `crb` acts
