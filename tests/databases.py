"""Throwaway databases for the tests: a SQLite file, or a PostgreSQL database made and dropped here.

PostgreSQL is the machine's own (127.0.0.1:5432, user postgres). Each test session creates its own
uniquely named database and drops it at the end, so no other database is ever touched.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy import Engine, text

from db import migrate
from db.models import Base
from db.session import make_engine

PG_ADMIN = os.environ.get("CRB_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def pg_url(name: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session; dropped afterwards."""
    with empty_postgres_database() as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        yield url


@contextmanager
def empty_postgres_database() -> Iterator[str]:
    """A new PostgreSQL database with no schema at all (not migrated); dropped afterwards."""
    name = f"crb_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        raise RuntimeError(
            f"PostgreSQL is not reachable at {PG_ADMIN}: start it "
            "(pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start)"
        ) from error
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_url(name)
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def sqlite_template(directory: Path) -> Iterator[Path]:
    """A migrated SQLite file that each test copies, so migrations run once per session."""
    path = directory / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    yield path


def fresh_sqlite(template: Path, directory: Path) -> str:
    path = directory / "crb.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


def empty_tables(engine: Engine) -> None:
    """Remove every row, keeping the schema and the migration stamp."""
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
