"""Retrying a call to the Bot Connector as Microsoft documents ("Rate limiting for bots"):
429, 412, 502 and 504 are retried with exponential backoff and random jitter, never sooner than
the ``Retry-After`` the service sent.

Only short waits happen here, within one send: a ``Retry-After`` longer than ``longest_wait`` is
not waited out in a turn or a tick. The error goes up instead, and a reminder's ledger row is
retried on a later tick, at that time or later (``scheduler.ledger.retry_delay``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import aiohttp
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

log = logging.getLogger("crb.teams")

RETRIED_STATUSES = frozenset({412, 429, 502, 504})
T = TypeVar("T")


def retry_after(error: BaseException | None) -> float | None:
    """The seconds a ``Retry-After`` header asks for, if the error carries one."""
    if not isinstance(error, aiohttp.ClientResponseError) or not error.headers:
        return None
    value = error.headers.get("Retry-After", "").strip()
    return float(value) if value.isdigit() else None


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # the first try and three retries
    first_wait: float = 0.5  # seconds: the jitter's ceiling doubles from here
    longest_wait: float = 8.0
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, compare=False)

    def worth_retrying(self, error: BaseException) -> bool:
        if not isinstance(error, aiohttp.ClientResponseError):
            return False
        if error.status not in RETRIED_STATUSES:
            return False
        asked = retry_after(error)
        return asked is None or asked <= self.longest_wait

    def wait(self, state: RetryCallState) -> float:
        """Full jitter (random up to first_wait · 2ⁿ), never below the Retry-After."""
        jitter = wait_random_exponential(multiplier=self.first_wait, max=self.longest_wait)
        error = state.outcome.exception() if state.outcome else None
        return max(jitter(state), retry_after(error) or 0.0)

    async def run(self, call: Callable[[], Awaitable[T]]) -> T:
        retrying = AsyncRetrying(
            retry=retry_if_exception(self.worth_retrying),
            stop=stop_after_attempt(self.attempts),
            wait=self.wait,
            sleep=self.sleep,
            before_sleep=_log_retry,
            reraise=True,
        )
        return await retrying(call)


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    wait = state.next_action.sleep if state.next_action else 0
    log.warning("Teams: %s; trying again in %.1f s", error, wait)
