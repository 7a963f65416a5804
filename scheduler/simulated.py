"""A simulated clock for the reminder ticker: for tests only, never for a real board.

`crb serve --simulate-from ISO` runs the serve process's own ticker, through the same
``Ticker.run_once`` and ``tick`` as production, at simulated instants: ``start``, ``start + step``,
… up to ``until``, back to back, instead of once a wall-clock minute. That lets a test drive a
whole quarter of reminders through real `crb serve` processes in seconds. The CLI refuses it
unless every delivery target is a local stand-in (see ``bot.server.refuse_simulation``).

With a ``speed`` the ticks are paced against the wall clock: tick k waits until
``wall_start + (instant_k - start) / speed``. Several processes given the same ``wall_start``
then tick at the same simulated instant at the same real moment, as processes with synchronised
clocks do, and compete for the same messages. A process that falls behind (a slow fan-out) ticks
back to back until it has caught up; it never skips an instant.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta


class SimulatedClock:
    """A clock the ticker advances itself, one step per tick."""

    def __init__(
        self,
        start: datetime,
        until: datetime,
        step: timedelta,
        *,
        speed: float | None = None,
        wall_start: float | None = None,
    ) -> None:
        if start.tzinfo is None or until.tzinfo is None:
            raise ValueError("a simulated clock needs aware instants")
        if step <= timedelta(0):
            raise ValueError("a simulated clock must step forward")
        if until < start:
            raise ValueError("a simulated clock must end after it starts")
        if speed is not None and speed <= 0:
            raise ValueError("a simulated clock's speed must be positive")
        self.start, self.until, self.step = start, until, step
        self.speed, self.wall_start = speed, wall_start
        self.now = start

    def seconds_until(self, at: datetime, wall_now: float) -> float:
        """Real seconds to wait before ticking at ``at`` (0 when unpaced or behind)."""
        if self.speed is None:
            return 0.0
        if self.wall_start is None:
            self.wall_start = wall_now  # paced from the first tick
        due = self.wall_start + (at - self.start).total_seconds() / self.speed
        return max(0.0, due - wall_now)

    def __call__(self) -> datetime:
        return self.now

    def instants(self) -> Iterator[datetime]:
        """Each instant to tick at, setting the clock to it first."""
        at = self.start
        while at <= self.until:
            self.now = at
            yield at
            at += self.step
