"""The real time, read in one place: everything else is handed a clock or an instant."""

from __future__ import annotations

from datetime import UTC, datetime


def wall_clock() -> datetime:
    """Now, aware and in UTC."""
    return datetime.now(UTC)
