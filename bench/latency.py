"""Signed `/crb done` and `/crb outstanding` against `crb serve`, beside a bare Bolt app.

Both servers run as child processes on 127.0.0.1 with the Slack Web API pointed at the loopback
stand-in from the tests, so nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlencode

import aiohttp
from sqlalchemy import select

from bench.footprint import free_port, wait_healthy
from bench.report import Result
from db import queries
from db.models import ActionStatus, Member, Role
from db.session import make_engine, make_session_factory
from handlers.views import display_refs
from tests.slack_harness import SIGNING_SECRET, sign
from tests.slack_standin import BOT_TOKEN, SlackStandIn


@dataclass(frozen=True)
class Timing:
    latencies: list[float]  # seconds
    errors: int

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@contextmanager
def server(command: Sequence[str], env: dict[str, str], port: int) -> Iterator[str]:
    process = subprocess.Popen(
        list(command), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}/healthz", time.monotonic() + 30)
        yield f"http://127.0.0.1:{port}/slack/events"
    finally:
        process.terminate()
        process.wait(timeout=10)


def environment(database_url: str, slack: SlackStandIn) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CONNECTIONS__"))}
    return env | {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
    }


def chair_and_refs(database_url: str) -> tuple[str, list[str]]:
    """The bot board's chair (who may close anything) and a REF for each of its open actions."""
    engine = make_engine(database_url)
    with make_session_factory(engine)() as session:
        board = queries.default_board(session)
        chair = session.scalars(
            select(Member).where(Member.board_id == board.id, Member.role == Role.CHAIR)
        ).first()
        open_actions = queries.actions(session, board, status=ActionStatus.OPEN)
        refs = display_refs(session, board, open_actions)
        result = chair.slack_id, [refs[a.id] for a in open_actions]
    engine.dispose()
    return result


def body(user_id: str, text: str, response_url: str) -> str:
    return urlencode(
        {
            "command": "/crb",
            "text": text,
            "user_id": user_id,
            "user_name": "bench",
            "team_id": "T0BENCH",
            "channel_id": "C0BENCH",
            "trigger_id": "1.2.3",
            "response_url": response_url,
        }
    )


async def drive(url: str, bodies: list[str], concurrency: int) -> Timing:
    latencies: list[float] = []
    errors = 0
    gate = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(text: str) -> None:
            nonlocal errors
            async with gate:
                headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(text)}
                started = time.perf_counter()
                async with session.post(url, data=text, headers=headers) as response:
                    await response.read()
                    latencies.append(time.perf_counter() - started)
                    errors += response.status != 200

        await asyncio.gather(*(one(text) for text in bodies))
    return Timing(latencies, errors)


def bare_results(label: str, baseline: Timing, concurrency: int) -> list[Result]:
    """The floor itself: the bare Bolt app acking the same signed requests."""
    where = f"bare Bolt ack, c={concurrency}, beside {label}"
    return [
        Result("latency", f"{where}: p50", baseline.quantile(0.5) * 1000, "ms"),
        Result("latency", f"{where}: p99", baseline.quantile(0.99) * 1000, "ms"),
    ]


def scenario_results(
    label: str, name: str, target: Timing, baseline: Timing, concurrency: int
) -> list[Result]:
    p50, p99 = target.quantile(0.5) * 1000, target.quantile(0.99) * 1000
    floor = baseline.quantile(0.5) * 1000
    where = f"{name}, c={concurrency}, {label}"
    return [
        Result(
            "latency",
            f"{where}: p50",
            p50,
            "ms",
            f"≤ 1.3 × bare ({floor * 1.3:.1f} ms)",
            p50 <= floor * 1.3,
        ),
        Result(
            "latency",
            f"{where}: p99",
            p99,
            "ms",
            "< 100 ms" if concurrency == 20 else "",
            p99 < 100 if concurrency == 20 else None,
        ),
        Result("latency", f"{where}: errors", target.errors, "", "0", target.errors == 0),
    ]


def measure(database_url: str, label: str, *, requests: int) -> list[Result]:
    warmup = min(10, requests)
    chair, refs = chair_and_refs(database_url)
    if len(refs) < warmup + 2 * requests:
        raise RuntimeError(f"the bench board has {len(refs)} open actions: too few")
    with SlackStandIn() as slack:
        env = environment(database_url, slack)
        ours_port, bare_port = free_port(), free_port()
        ours = [sys.executable, "-m", "bot", "serve", "--port", str(ours_port), "--no-scheduler"]
        bare = [sys.executable, "-m", "bench.bare_bolt", "--port", str(bare_port)]
        with server(ours, env, ours_port) as ours_url, server(bare, env, bare_port) as bare_url:
            reply_to = slack.response_url()

            def closing(chosen: list[str]) -> list[str]:
                return [body(chair, f"done {ref}", reply_to) for ref in chosen]

            outstanding = [body(chair, "outstanding", reply_to)] * requests
            asyncio.run(drive(ours_url, closing(refs[:warmup]), 1))
            asyncio.run(drive(bare_url, outstanding[:warmup], 1))
            results = []
            for n, concurrency in enumerate((1, 20)):
                start = warmup + n * requests
                done = closing(refs[start : start + requests])
                floor = asyncio.run(drive(bare_url, done, concurrency))
                ours_done = asyncio.run(drive(ours_url, done, concurrency))
                ours_list = asyncio.run(drive(ours_url, outstanding, concurrency))
                results += bare_results(label, floor, concurrency)
                results += scenario_results(label, "/crb done", ours_done, floor, concurrency)
                results += scenario_results(
                    label, "/crb outstanding", ours_list, floor, concurrency
                )
    return results
