"""Alembic environment: the engine is handed in by ``db.migrate``."""

from __future__ import annotations

from alembic import context

from db.models import Base


def run_migrations() -> None:
    engine = context.config.attributes["engine"]
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A batch migration rebuilds a table: drops it and renames a copy. With foreign keys
            # on, dropping ``boards`` would cascade to every meeting and action. SQLite takes
            # this pragma only outside a transaction, so before ``begin``.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()  # ends SQLAlchemy's autobegun transaction; SQLite began none
        try:
            with connection.begin():
                context.configure(
                    connection=connection, target_metadata=Base.metadata, render_as_batch=sqlite
                )
                context.run_migrations()
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


run_migrations()
