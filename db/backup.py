"""The whole board as one JSON document, and back: ``crb backup`` and ``crb restore``.

A backup holds every table of ``Base.metadata`` (so tables added later are included without
touching this module), in dependency order, each row an object keyed by column name. Instants,
dates and times are ISO-8601 strings; everything else is stored as the database gives it. The
document is deterministic: the same board gives the same bytes, whichever database it came from,
so a round trip can be checked by comparing two backups byte for byte.

A restore loads a backup into an empty database in one transaction, keeping every id, then moves
PostgreSQL's id sequences past the restored rows so that new rows do not collide with them.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    Table,
    TypeDecorator,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.types import Date, DateTime, LargeBinary, Time, TypeEngine

from db import migrate
from db.errors import UserError
from db.models import Base

FORMAT = "crb-backup"
FORMAT_VERSION = 1


class BackupError(UserError):
    """A backup cannot be read or restored: the message says why and what to do."""


# ---------------------------------------------------------------- values


def _base_type(column: Column[Any]) -> TypeEngine[Any]:
    kind = column.type
    return kind.impl_instance if isinstance(kind, TypeDecorator) else kind


def encode_value(value: Any) -> Any:
    """A database value as JSON: instants, dates and times become ISO-8601, bytes base64."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def decode_value(column: Column[Any], value: Any) -> Any:
    """The JSON value of ``column`` back to what the database takes."""
    if value is None:
        return None
    kind = _base_type(column)
    try:
        if isinstance(kind, DateTime):
            return datetime.fromisoformat(value)
        if isinstance(kind, Date):
            return date.fromisoformat(value)
        if isinstance(kind, Time):
            return time.fromisoformat(value)
        if isinstance(kind, LargeBinary):
            return base64.b64decode(value, validate=True)
    except (TypeError, ValueError, binascii.Error) as error:
        raise BackupError(
            f"{column.table.name}.{column.name} holds {str(value)[:60]!r}, which is not "
            "a value of its type."
        ) from error
    return value


# ---------------------------------------------------------------- backup


def schema_revision(connection: Connection) -> str | None:
    heads = MigrationContext.configure(connection).get_current_heads()
    return ",".join(sorted(heads)) or None


def _rows(connection: Connection, table: Table) -> list[dict[str, Any]]:
    order = list(table.primary_key.columns) or list(table.columns)
    result = connection.execute(select(table).order_by(*order)).mappings()
    return [{name: encode_value(value) for name, value in row.items()} for row in result]


def _snapshot(connection: Connection) -> None:
    """Read every table from one snapshot, even while the bot keeps writing."""
    if connection.dialect.name == "sqlite":
        # pysqlite opens no transaction for reads; in WAL mode a BEGIN pins one snapshot.
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


def dump(engine: Engine, now: datetime, board: str | None = None) -> dict[str, Any]:
    """Every row of every table, in dependency order, as one JSON-ready document; with
    ``board`` (a short code), that board's rows only (``one_board``)."""
    with engine.connect() as connection:
        _snapshot(connection)
        tables = {table.name: _rows(connection, table) for table in Base.metadata.sorted_tables}
        document = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "schema_revision": schema_revision(connection),
            "created_at": now.isoformat(),
            "tables": tables if board is None else one_board(tables, board),
        }
        connection.rollback()
    if board is not None:
        document["board"] = board.upper()
    return document


def one_board(tables: Mapping[str, list[dict[str, Any]]], short: str) -> dict[str, list[Any]]:
    """One board's rows of a whole backup: the board, every row that hangs off it through
    foreign keys (its members, meetings, actions, audit events, ledger, sessions …), and the
    people its members are. A table that no foreign key ties to a board is left out: the
    installation's signing keys, the replay memory, rate-limit counts and chat caches."""
    board_rows = [row for row in tables["boards"] if row["short"].upper() == short.upper()]
    if not board_rows:
        raise BackupError(f"There is no board {short!r} to back up.")
    kept = _Kept({"boards": board_rows})
    for table in Base.metadata.sorted_tables:  # parents come first
        if table.foreign_keys:
            kept.rows[table.name] = [r for r in tables[table.name] if kept.hangs_off(table, r)]
    for table in Base.metadata.sorted_tables:  # the people kept seats are: pointed at, no board
        if table.foreign_keys or table.name == "boards":
            continue
        wanted = kept.pointed_at(table)
        if wanted:
            kept.rows[table.name] = [row for row in tables[table.name] if row["id"] in wanted]
    return {t.name: kept.rows[t.name] for t in Base.metadata.sorted_tables if t.name in kept.rows}


class _Kept:
    """The rows a one-board backup keeps so far, by table."""

    def __init__(self, rows: dict[str, list[dict[str, Any]]]) -> None:
        self.rows = rows
        self._values: dict[tuple[str, str], set[Any]] = {}

    def values(self, table: str, column: str) -> set[Any]:
        """A kept table's values of ``column``: asked only once the table is complete."""
        key = (table, column)
        if key not in self._values:
            self._values[key] = {row[column] for row in self.rows[table]}
        return self._values[key]

    def hangs_off(self, table: Table, row: Mapping[str, Any]) -> bool:
        """Whether every key of ``row`` into kept tables points at a kept row (and one does)."""
        ties = [fk for fk in table.foreign_keys if fk.column.table.name in self.rows]
        return bool(ties) and all(
            row[fk.parent.name] is None
            or row[fk.parent.name] in self.values(fk.column.table.name, fk.column.name)
            for fk in ties
        )

    def pointed_at(self, table: Table) -> set[Any]:
        """The ids in ``table`` that kept rows point at."""
        return {
            row[fk.parent.name]
            for other in Base.metadata.sorted_tables
            if other.name in self.rows
            for fk in other.foreign_keys
            if fk.column.table is table
            for row in self.rows[other.name]
        }


def to_json(document: Mapping[str, Any]) -> str:
    """The canonical text of a backup: the same document always gives the same bytes."""
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


# ---------------------------------------------------------------- restore


def parse(text_: str) -> dict[str, Any]:
    """A backup document, checked for shape before anything touches the database."""
    try:
        document = json.loads(text_)
    except json.JSONDecodeError as error:
        raise BackupError(f"This is not a crb backup: it is not JSON ({error.msg}).") from error
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BackupError("This is not a crb backup: it has no “format”: “crb-backup”.")
    version = document.get("format_version")
    if version != FORMAT_VERSION:
        raise BackupError(
            f"This backup is format version {version!r}; this crb reads version {FORMAT_VERSION}."
        )
    tables = document.get("tables")
    if not isinstance(tables, dict) or not all(isinstance(rows, list) for rows in tables.values()):
        raise BackupError("This backup is damaged: “tables” must map each table to its rows.")
    unknown = sorted(set(tables) - set(Base.metadata.tables))
    if unknown:
        raise BackupError(
            f"This backup has tables this crb does not know ({', '.join(unknown)}): "
            "restore it with the release that made it, or a newer one."
        )
    return document


def row_counts(connection: Connection) -> dict[str, int]:
    """Rows in each of the board's tables that exist in this database (none: all zero)."""
    present = set(inspect(connection).get_table_names())
    return {
        table.name: connection.scalar(select(func.count()).select_from(table)) or 0
        for table in Base.metadata.sorted_tables
        if table.name in present
    }


def _prepare_schema(engine: Engine, revision: str | None) -> None:
    """Bring the schema to the backup's revision: a blank database is migrated to it first."""
    with engine.connect() as connection:
        current = schema_revision(connection)
    if current is None and revision is not None:
        migrate.upgrade(engine, revision)
    elif current != revision:
        raise BackupError(
            f"The backup was made at schema revision {revision}, but this database is at "
            f"{current}. Restore into a new, empty database (it is migrated to the backup's "
            "revision and then upgraded), or upgrade the old one with its release first."
        )


def _tables_now(engine: Engine) -> list[Table]:
    """The tables as the database holds them, in dependency order: the models' at head; for a
    backup made by an earlier release, read from the database migrated to its revision (a later
    revision may have moved a column: 0013 moved the members' accounts to ``people``)."""
    if migrate.is_current(engine):
        return list(Base.metadata.sorted_tables)
    found = MetaData()
    found.reflect(bind=engine)
    return list(found.sorted_tables)


def _check_rows(table: Table, rows: Iterable[Any]) -> list[dict[str, Any]]:
    checked = []
    for row in rows:
        if not isinstance(row, dict):
            raise BackupError(f"This backup is damaged: a row of {table.name} is not an object.")
        extra = set(row) - set(table.columns.keys())
        if extra:
            raise BackupError(
                f"This backup's {table.name} rows have columns this crb does not know: "
                f"{', '.join(sorted(extra))}."
            )
        checked.append({name: decode_value(table.columns[name], v) for name, v in row.items()})
    return checked


def _reset_sequences(connection: Connection, tables: Iterable[Table]) -> None:
    """PostgreSQL hands out ids from sequences: move each past the largest restored id."""
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        column = table.autoincrement_column
        if column is None:
            continue
        connection.execute(
            text(
                "SELECT setval(pg_get_serial_sequence(:table, :column), "
                f'COALESCE((SELECT MAX("{column.name}") FROM "{table.name}"), 1), '
                f'(SELECT MAX("{column.name}") FROM "{table.name}") IS NOT NULL)'
            ),
            {"table": table.name, "column": column.name},
        )


def restore(
    engine: Engine, document: Mapping[str, Any], *, replace: bool = False
) -> dict[str, int]:
    """Load ``document`` in one transaction; returns the rows restored per table.

    The database must hold no data, unless ``replace``: then everything in it is deleted in the
    same transaction, so a failed restore leaves the old board as it was.
    """
    _prepare_schema(engine, document.get("schema_revision"))
    tables = [t for t in _tables_now(engine) if t.name in document["tables"]]
    loaded = {t.name: _check_rows(t, document["tables"][t.name]) for t in tables}
    with engine.begin() as connection:
        held = {name: count for name, count in row_counts(connection).items() if count}
        if held and not replace:
            listed = ", ".join(f"{count} in {name}" for name, count in held.items())
            raise BackupError(
                f"This database already holds data ({listed}). Restore into a new, empty "
                "database, or add --replace to delete everything in this one first."
            )
        for table in reversed(Base.metadata.sorted_tables):
            if held.get(table.name):
                connection.execute(table.delete())
        for table in tables:
            if loaded[table.name]:
                connection.execute(table.insert(), loaded[table.name])
        _reset_sequences(connection, tables)
    migrate.upgrade(engine)
    return {name: len(rows) for name, rows in loaded.items()}
