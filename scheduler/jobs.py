"""The clock: APScheduler 3.11's AsyncIOScheduler runs one tick a minute inside `crb serve`.

APScheduler is only a clock here. Its job lives in memory (the default MemoryJobStore), never in
a shared job store: APScheduler's own FAQ warns that a job store shared between processes runs
jobs twice. Everything that must survive a restart, or be shared between processes, is in our
database: the ledger decides what is sent, so any number of `crb serve` processes can tick.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.orm import Session, sessionmaker

from scheduler import ledger
from scheduler.channels import Channel
from scheduler.clock import wall_clock
from scheduler.dispatch import TickResult, tick
from scheduler.simulated import SimulatedClock

log = logging.getLogger("crb.scheduler")
JOB_ID = "crb-reminder-tick"


class Ticker:
    """Runs the reminder tick; remembers when it last ran, for /healthz."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        channels: Sequence[Channel],
        clock: Callable[[], datetime],
        *,
        lease: timedelta = ledger.LEASE,
        simulation: SimulatedClock | None = None,
    ) -> None:
        self.sessions = sessions
        self.channels = list(channels)
        self.clock: Callable[[], datetime] = simulation or clock
        self.lease = lease
        self.simulation = simulation
        self._simulating: asyncio.Task[None] | None = None
        self._stopping = False
        self.last_tick: datetime | None = None
        self.last_result: TickResult | None = None
        self.last_error: str | None = None
        self.scheduler: AsyncIOScheduler | None = None
        self._in_flight: asyncio.Task[object] | None = None

    async def run_once(self) -> TickResult | None:
        """One tick at the clock's time. An error is logged and kept; the next minute retries."""
        now = self.clock()
        self._in_flight = asyncio.current_task()
        try:
            result = await tick(self.sessions, self.channels, now, lease=self.lease)
        except Exception as error:
            log.exception("reminder tick at %s failed", now.isoformat())
            self.last_error = f"{type(error).__name__}: {error}"
            return None
        self.last_tick, self.last_result, self.last_error = now, result, None
        for outcome in result.sent + result.failed:
            log.info("tick %s: %s", now.isoformat(), outcome.record())
        return result

    def start(self) -> AsyncIOScheduler | None:
        """Start ticking on the running event loop: now (to catch up), then each minute at :00."""
        if self.simulation is not None:
            self._simulating = asyncio.get_running_loop().create_task(self._simulate())
            return None
        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.add_job(
            self.run_once,
            CronTrigger(second=0, timezone=UTC),
            id=JOB_ID,
            max_instances=1,  # a slow tick is never overlapped by the next one in this process
            coalesce=True,  # after a stall, one tick catches up, not a burst
            misfire_grace_time=50,
            # At once. APScheduler keeps real time, whatever the board's clock says: handed a
            # past instant, it would first count every minute missed since then.
            next_run_time=wall_clock(),
        )
        scheduler.start()
        self.scheduler = scheduler
        return scheduler

    async def _simulate(self) -> None:
        """Tick at each simulated instant in turn (tests only: see scheduler.simulated)."""
        assert self.simulation is not None
        ticks = 0
        for at in self.simulation.instants():  # each sets the clock
            await asyncio.sleep(self.simulation.seconds_until(at, time.time()))
            if self._stopping:
                break
            await self.run_once()
            ticks += 1
        log.info(
            "simulated clock finished",
            extra={"ticks": ticks, "until": self.simulation.now.isoformat()},
        )

    def stop(self) -> None:
        self._stopping = True  # a simulation ends after the tick in flight
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.scheduler = None

    async def drain(self, timeout: float = 25.0) -> None:
        """Stop ticking, and let a tick in flight finish its sends (SIGTERM's shutdown hook)."""
        self.stop()
        running = self._in_flight
        if running is not None and not running.done() and running is not asyncio.current_task():
            try:
                await asyncio.wait_for(asyncio.shield(running), timeout)
            except TimeoutError:
                log.warning("a tick was still sending after %.0f s; the ledger retries it", timeout)

    def health(self) -> dict[str, object]:
        return {
            "running": (self.scheduler is not None and self.scheduler.running)
            or (self._simulating is not None and not self._simulating.done()),
            "last_tick": self.last_tick.isoformat() if self.last_tick else None,
            "last_error": self.last_error,
        }
