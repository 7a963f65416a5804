"""Signed `/crb done` and `/crb outstanding` against `crb serve`, beside a bare Bolt app.

Both servers run as child processes on 127.0.0.1 with the Slack Web API pointed at the loopback
stand-in from the tests, so nothing leaves the machine. Two times are taken for each request: the
acknowledgement (what Slack's 3-second clock waits for, compared with the bare app's) and the
answer's arrival at the request's response_url (what the person waits for; the bare app has none).
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
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
class Sent:
    """One signed request, and where its answer goes."""

    body: str
    response_url: str


@dataclass(frozen=True)
class Timing:
    acks: list[float]  # seconds from sending to the HTTP acknowledgement
    answers: list[float]  # seconds from sending to the answer at the response_url
    errors: int  # a status other than 200, or an answer that is not the one expected


def quantile(values: list[float], q: float) -> float:
    """The ``q`` quantile; NaN when nothing was measured (every answer failed: see the errors)."""
    if not values:
        return math.nan
    ordered = sorted(values)
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


def signed_command(user_id: str, text: str, slack: SlackStandIn) -> Sent:
    """A `/crb` request as Slack sends it, with its own response_url and trigger id: no two
    bodies (so no two signatures) are alike, or the bot would refuse repeats as replays."""
    response_url = slack.response_url()
    fields = {
        "command": "/crb",
        "text": text,
        "user_id": user_id,
        "user_name": "bench",
        "team_id": "T0BENCH",
        "channel_id": "C0BENCH",
        "trigger_id": f"bench.{response_url.rsplit('/', 1)[-1]}",
        "response_url": response_url,
    }
    return Sent(urlencode(fields), response_url)


@dataclass(frozen=True)
class Outcome:
    ack_seconds: float
    answer_seconds: float | None  # None: no answer expected, or none came
    error: bool


async def drive(
    url: str, requests: list[Sent], concurrency: int, slack: SlackStandIn, expect: str | None
) -> list[Outcome]:
    """``concurrency`` people, each sending their next request once the last one is answered.

    With ``expect`` (our bot), a request is answered when its response_url receives an answer
    that says ``expect``; without (the bare app, which only acks), when it is acknowledged.
    """
    outcomes: list[Outcome] = []
    gate = asyncio.Semaphore(concurrency)
    waiting = ThreadPoolExecutor(concurrency)  # the stand-in's wait for an answer blocks
    loop = asyncio.get_running_loop()
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def answer(request: Sent, started: float) -> tuple[float | None, bool]:
            try:
                (call,) = await loop.run_in_executor(
                    waiting, partial(slack.answers_at, request.response_url, timeout=60)
                )
            except AssertionError:
                return None, True
            said = json.dumps(call.params, ensure_ascii=False)
            return call.at - started, expect not in said

        async def one(request: Sent) -> None:
            async with gate:
                headers = {"Content-Type": "application/x-www-form-urlencoded"}
                headers |= sign(request.body)
                started = time.monotonic()  # the stand-in stamps answers on this clock
                async with session.post(url, data=request.body, headers=headers) as response:
                    await response.read()
                    acked, status = time.monotonic() - started, response.status
                answered, wrong = await answer(request, started) if expect else (None, False)
                outcomes.append(Outcome(acked, answered, status != 200 or wrong))

        await asyncio.gather(*(one(request) for request in requests))
    waiting.shutdown()
    return outcomes


def run(
    url: str,
    requests: list[Sent],
    concurrency: int,
    slack: SlackStandIn,
    expect: str | None = None,
) -> Timing:
    outcomes = asyncio.run(drive(url, requests, concurrency, slack, expect))
    return Timing(
        acks=[o.ack_seconds for o in outcomes],
        answers=[o.answer_seconds for o in outcomes if o.answer_seconds is not None],
        errors=sum(o.error for o in outcomes),
    )


@dataclass(frozen=True)
class Floors:
    """The bare app's acknowledgements, in Bolt's two modes."""

    polling: Timing  # Bolt's default: the floor
    on_return: Timing  # process_before_response=True, as `crb serve` runs


def bare_results(label: str, floors: Floors, concurrency: int) -> list[Result]:
    """The floor itself: the bare Bolt app acking the same signed requests."""
    results = []
    for mode, timing in (("Bolt's default", floors.polling), ("acks on return", floors.on_return)):
        where = f"bare Bolt ack ({mode}), c={concurrency}, beside {label}"
        results += [
            Result("latency", f"{where}: p50", quantile(timing.acks, 0.5) * 1000, "ms"),
            Result("latency", f"{where}: p99", quantile(timing.acks, 0.99) * 1000, "ms"),
        ]
    return results


def scenario_results(
    label: str, name: str, target: Timing, floors: Floors, concurrency: int
) -> list[Result]:
    """The acknowledgement against the floors', then the answer the person waits for."""
    p50, p99 = quantile(target.acks, 0.5) * 1000, quantile(target.acks, 0.99) * 1000
    floor = quantile(floors.polling.acks, 0.5) * 1000
    same_mode = quantile(floors.on_return.acks, 0.5) * 1000
    where = f"{name}, c={concurrency}, {label}"
    loaded = concurrency == 20
    return [
        Result(
            "latency",
            f"{where}: ack p50",
            p50,
            "ms",
            f"≤ 1.3 × bare ({floor * 1.3:.1f} ms)",
            p50 <= floor * 1.3,
        ),
        Result("latency", f"{where}: ack p50 ÷ bare acking on return", p50 / same_mode, "×"),
        Result(
            "latency",
            f"{where}: ack p99",
            p99,
            "ms",
            "< 100 ms" if loaded else "",
            p99 < 100 if loaded else None,
        ),
        Result("latency", f"{where}: answer p50", quantile(target.answers, 0.5) * 1000, "ms"),
        Result("latency", f"{where}: answer p99", quantile(target.answers, 0.99) * 1000, "ms"),
        Result("latency", f"{where}: errors", target.errors, "", "0", target.errors == 0),
    ]


def measure(database_url: str, label: str, *, requests: int) -> list[Result]:
    warmup = min(10, requests)
    chair, refs = chair_and_refs(database_url)
    if len(refs) < warmup + 2 * requests:
        raise RuntimeError(f"the bench board has {len(refs)} open actions: too few")
    with SlackStandIn() as slack:
        env = environment(database_url, slack)
        ports = [free_port() for _ in range(3)]
        ours = [sys.executable, "-m", "bot", "serve", "--port", str(ports[0]), "--no-scheduler"]
        bare = [sys.executable, "-m", "bench.bare_bolt", "--port", str(ports[1])]
        bare_on_return = [*bare[:-1], str(ports[2]), "--process-before-response"]
        with (
            server(ours, env, ports[0]) as ours_url,
            server(bare, env, ports[1]) as bare_url,
            server(bare_on_return, env, ports[2]) as on_return_url,
        ):

            def closing(chosen: list[str]) -> list[Sent]:
                return [signed_command(chair, f"done {ref}", slack) for ref in chosen]

            def listing() -> list[Sent]:
                return [signed_command(chair, "outstanding", slack) for _ in range(requests)]

            run(ours_url, closing(refs[:warmup]), 1, slack, expect="Done: ")
            run(bare_url, listing()[:warmup], 1, slack)
            run(on_return_url, listing()[:warmup], 1, slack)
            results = []
            for n, concurrency in enumerate((1, 20)):
                start = warmup + n * requests
                done = closing(refs[start : start + requests])
                floors = Floors(
                    polling=run(bare_url, done, concurrency, slack),
                    on_return=run(on_return_url, done, concurrency, slack),
                )
                ours_done = run(ours_url, done, concurrency, slack, expect="Done: ")
                ours_list = run(ours_url, listing(), concurrency, slack, expect="Outstanding")
                results += bare_results(label, floors, concurrency)
                results += scenario_results(label, "/crb done", ours_done, floors, concurrency)
                results += scenario_results(
                    label, "/crb outstanding", ours_list, floors, concurrency
                )
    return results
