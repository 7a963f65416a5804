"""Real database faults for tests: a trigger that refuses a table's writes, as a full disk or a
failing constraint would."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from bot.runtime import Runtime


@contextmanager
def audit_writes_fail(runtime: Runtime) -> Iterator[None]:
    """A real database fault: every insert into the audit trail is refused by a trigger."""
    postgres = runtime.engine.dialect.name == "postgresql"
    with runtime.engine.begin() as connection:
        if postgres:
            connection.execute(
                text(
                    "CREATE FUNCTION crb_test_refuse() RETURNS trigger AS $$ BEGIN "
                    "RAISE EXCEPTION 'could not extend file: No space left on device'; "
                    "END $$ LANGUAGE plpgsql"
                )
            )
            connection.execute(
                text(
                    "CREATE TRIGGER crb_test_disk_full BEFORE INSERT ON audit_events "
                    "FOR EACH ROW EXECUTE FUNCTION crb_test_refuse()"
                )
            )
        else:
            connection.execute(
                text(
                    "CREATE TRIGGER crb_test_disk_full BEFORE INSERT ON audit_events BEGIN "
                    "SELECT RAISE(ABORT, 'database or disk is full'); END"
                )
            )
    try:
        yield
    finally:
        with runtime.engine.begin() as connection:
            if postgres:
                connection.execute(text("DROP TRIGGER crb_test_disk_full ON audit_events"))
                connection.execute(text("DROP FUNCTION crb_test_refuse()"))
            else:
                connection.execute(text("DROP TRIGGER crb_test_disk_full"))
