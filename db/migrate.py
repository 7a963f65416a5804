"""Alembic, driven from code so that ``crb db upgrade`` needs no alembic.ini.

Alembic is imported only when a migration must run: `crb serve` checks at start whether the
schema is already at head by reading the revision ids from the migration files and the one row
of ``alembic_version``, which is cheap, and leaves Alembic (about a quarter of a second of
imports) unloaded when it is.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
_ASSIGNMENT = r"^{name}\s*(?::[^=\n]+)?=\s*(.+?)\s*$"
_QUOTED = re.compile(r"""^["']([\w.-]+)["']$""")


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> list[str]:
    """Apply the migrations; returns what they reported (such as how many rows one repaired)."""
    from alembic import command

    config = alembic_config(engine)
    command.upgrade(config, revision)
    return list(config.attributes.get("reports", []))


def upgrade_if_behind(engine: Engine) -> None:
    """``upgrade`` to head, skipped (without importing Alembic) when the schema is at head."""
    if not is_current(engine):
        upgrade(engine)


def is_current(engine: Engine) -> bool:
    heads = _heads_from_files()
    if heads is None:  # a migration file this reader cannot follow: ask Alembic
        from alembic.script import ScriptDirectory

        heads = frozenset(ScriptDirectory.from_config(alembic_config(engine)).get_heads())
    return _current(engine) == heads


def _current(engine: Engine) -> frozenset[str]:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return frozenset()
        versions = connection.execute(text("SELECT version_num FROM alembic_version"))
        return frozenset(versions.scalars())


@cache
def _heads_from_files() -> frozenset[str] | None:
    """The head revisions, read from the files' ``revision``/``down_revision`` lines.

    None when any file is not in the simple form (a quoted id, and a quoted id or None before
    it): then Alembic decides.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("[!_]*.py"):
        source = path.read_text(encoding="utf-8")
        revision = _value(source, "revision")
        parent = _value(source, "down_revision")
        if revision is None or not _QUOTED.match(revision):
            return None
        revisions.add(_QUOTED.match(revision)[1])  # type: ignore[index]
        if parent != "None":
            if parent is None or not _QUOTED.match(parent):
                return None
            parents.add(_QUOTED.match(parent)[1])  # type: ignore[index]
    heads = frozenset(revisions - parents)
    return heads or None


def _value(source: str, name: str) -> str | None:
    found = re.search(_ASSIGNMENT.format(name=name), source, re.MULTILINE)
    return found[1] if found else None
