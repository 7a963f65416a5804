"""Signed `/crb done` and `/crb outstanding` against `crb serve`, beside a bare Bolt app.

Both servers run as child processes on 127.0.0.1 with the Slack Web API pointed at the loopback
stand-in from the tests, which also serves every request's own response_url, so nothing leaves
the machine. Three things are measured for each scenario: the acknowledgement (what Slack's
3-second clock waits for), the answer's arrival at the request's response_url (what the person
waits for), and answers a second (closed loop: each person types again once answered). The bare
app acks and then answers one line through ``respond()``, so its answer is the floor.
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
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from sqlalchemy import select, update

from bench.bare_bolt import BARE_ANSWER
from bench.footprint import free_port, wait_healthy
from bench.report import Result
from db import queries
from db.models import Action, ActionStatus, Member, Role
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
    seconds: float  # wall time of the whole scenario

    @property
    def per_second(self) -> float:
        return len(self.answers) / self.seconds if self.seconds else math.nan


def quantile(values: list[float], q: float) -> float:
    """The ``q`` quantile; NaN when nothing was measured (every answer failed: see the errors)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@contextmanager
def server(
    command: Sequence[str], env: dict[str, str], port: int, cwd: Path | None = None
) -> Iterator[str]:
    process = subprocess.Popen(
        list(command), env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
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
                answered, wrong = await answer(request, started)
                outcomes.append(Outcome(acked, answered, status != 200 or wrong))

        await asyncio.gather(*(one(request) for request in requests))
    waiting.shutdown()
    return outcomes


def run(
    url: str,
    requests: list[Sent],
    concurrency: int,
    slack: SlackStandIn,
    expect: str = BARE_ANSWER,
) -> Timing:
    started = time.monotonic()
    outcomes = asyncio.run(drive(url, requests, concurrency, slack, expect))
    return Timing(
        acks=[o.ack_seconds for o in outcomes],
        answers=[o.answer_seconds for o in outcomes if o.answer_seconds is not None],
        errors=sum(o.error for o in outcomes),
        seconds=time.monotonic() - started,
    )


@dataclass(frozen=True)
class Floors:
    """The bare app (ack, then one line through respond()), in Bolt's two modes."""

    polling: Timing  # Bolt's default: the listener beside the request, ack() polled
    on_return: Timing  # process_before_response=True and the answer in a task, as `crb serve`


def ms(timing: Timing, q: float, *, answers: bool = True) -> float:
    return quantile(timing.answers if answers else timing.acks, q) * 1000


def timing_results(where: str, timing: Timing) -> list[Result]:
    """What a person sees: the ack, the answer at the response_url, answers a second."""
    return [
        Result("latency", f"{where}: ack p50", ms(timing, 0.5, answers=False), "ms"),
        Result("latency", f"{where}: ack p99", ms(timing, 0.99, answers=False), "ms"),
        Result("latency", f"{where}: answer p50", ms(timing, 0.5), "ms"),
        Result("latency", f"{where}: answer p99", ms(timing, 0.99), "ms"),
        Result("latency", f"{where}: answers/s", timing.per_second, "/s"),
        Result("latency", f"{where}: errors", timing.errors, "", "0", timing.errors == 0),
    ]


def bare_results(label: str, floors: Floors, concurrency: int) -> list[Result]:
    """The floor itself: the bare Bolt app acking and answering the same signed requests."""
    results = []
    for mode, timing in (("Bolt's default", floors.polling), ("as crb serve", floors.on_return)):
        results += timing_results(f"bare Bolt ({mode}), c={concurrency}, {label}", timing)
    return results


def scenario_results(
    label: str, name: str, target: Timing, floors: Floors, concurrency: int
) -> list[Result]:
    """The answer against the bare app's in the same arrangement: the issue's goals."""
    where = f"{name}, c={concurrency}, {label}"
    ratio = ms(target, 0.5) / ms(floors.on_return, 0.5)
    limit = 1.5 if concurrency == 1 else 2.0
    results = timing_results(where, target)
    results.append(
        Result(
            "latency",
            f"{where}: answer p50 ÷ bare's",
            ratio,
            "×",
            f"≤ {limit:g} ×",
            ratio <= limit,
        )
    )
    if concurrency > 1:
        p99 = ms(target, 0.99)
        results.append(Result("latency", f"{where}: answer p99", p99, "ms", "< 150 ms", p99 < 150))
    return results


def reopen_all(database_url: str) -> None:
    """Every action the bot's board had open is open again (the bench board starts with none
    done): each scenario, and each server, meets the same board, and REFs can be used again."""
    engine = make_engine(database_url)
    with make_session_factory(engine)() as session, session.begin():
        board = queries.default_board(session)
        session.execute(
            update(Action)
            .where(Action.board_id == board.id, Action.status == ActionStatus.DONE)
            .values(status=ActionStatus.OPEN, done_at=None, done_by_id=None)
        )
    engine.dispose()


def measure(
    database_url: str, label: str, *, requests: int, before: Path | None = None
) -> list[Result]:
    """The scenarios against `crb serve`; with ``before`` (a checkout of another commit, such
    as main's), against that commit's `crb serve` too, in the same run, on the same database."""
    warmup = min(10, requests)
    chair, refs = chair_and_refs(database_url)
    requests = min(requests, len(refs) - warmup)
    if requests < 1:
        raise RuntimeError(f"the bench board has {len(refs)} open actions: too few")
    with SlackStandIn() as slack, ExitStack() as stack:
        env = environment(database_url, slack)
        ports = [free_port() for _ in range(4)]

        def serve(port: int, *extra: str, cwd: Path | None = None) -> str:
            command = [sys.executable, "-m", *extra, "--port", str(port)]
            where = env if cwd is None else env | {"PYTHONPATH": str(cwd)}
            return stack.enter_context(server(command, where, port, cwd))

        crb = ("bot", "serve", "--no-scheduler")
        urls = {"": serve(ports[0], *crb)}
        if before:
            urls[" (before)"] = serve(ports[3], *crb, cwd=before)
        bare_url = serve(ports[1], "bench.bare_bolt")
        on_return_url = serve(ports[2], "bench.bare_bolt", "--process-before-response")

        def closing(chosen: list[str]) -> list[Sent]:
            return [signed_command(chair, f"done {ref}", slack) for ref in chosen]

        def listing(count: int = requests) -> list[Sent]:
            return [signed_command(chair, "outstanding", slack) for _ in range(count)]

        for url in urls.values():
            run(url, closing(refs[:warmup]), 1, slack, expect="Done: ")
            reopen_all(database_url)
            run(url, listing(warmup), 1, slack, expect="Outstanding")
        run(bare_url, listing(warmup), 1, slack)
        run(on_return_url, listing(warmup), 1, slack)
        results = []
        chosen = refs[warmup : warmup + requests]
        for concurrency in (1, 20):
            floors = Floors(
                polling=run(bare_url, listing(), concurrency, slack),
                on_return=run(on_return_url, listing(), concurrency, slack),
            )
            results += bare_results(label, floors, concurrency)
            for suffix, url in urls.items():
                done = run(url, closing(chosen), concurrency, slack, expect="Done: ")
                reopen_all(database_url)  # each server closes the same actions
                listed = run(url, listing(), concurrency, slack, expect="Outstanding")
                results += scenario_results(label, f"/crb done{suffix}", done, floors, concurrency)
                results += scenario_results(
                    label, f"/crb outstanding{suffix}", listed, floors, concurrency
                )
    return results
