"""Real `crb serve` child processes on a simulated clock, and a board with a crowd of owners.

Used by the process-level tests (crash safety, two processes): each process is the real CLI,
started with `crb serve --port 0 --simulate-from …` so its own ticker runs the reminder ticks.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bot.runtime import Runtime
from db import queries
from db.models import Action, ActionOwner, Meeting, Member, Role
from tests.conftest import AFTER_MEETING, import_sample, link_members
from tests.slack_standin import SlackStandIn

CRB = Path(sys.executable).with_name("crb")
SAMPLE_OWNERS = ("CJ", "CR", "DP", "JS", "RT", "SG")


class CrbServe:
    """`crb serve --port 0` with extra arguments; its JSON log lines are collected as they come."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.process = subprocess.Popen(
            [str(CRB), "serve", "--port", "0", *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[dict[str, Any]] = []
        self._changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            try:
                line = json.loads(raw)
            except json.JSONDecodeError:
                line = {"message": raw.rstrip()}
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()

    def wait_for(self, message: str, timeout: float = 60) -> dict[str, Any]:
        """The first log line whose message starts with ``message``, waiting for it."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    if str(line.get("message", "")).startswith(message):
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or (self.process.poll() is not None and not self._reading()):
                    shown = "\n".join(json.dumps(line) for line in self.lines[-30:])
                    raise AssertionError(f"crb serve never logged {message!r}:\n{shown}")
                self._changed.wait(min(left, 0.5))

    def _reading(self) -> bool:
        return self.process.stderr is not None and not self.process.stderr.closed

    def sent(self) -> list[str]:
        """Whom this process's ticker reported sending a message to (its "tick" log lines)."""
        with self._changed:
            ticks = [m["message"] for m in self.lines if m.get("logger") == "crb.scheduler"]
        found = []
        for message in ticks:
            if message.startswith("tick ") and "'error'" not in message:
                found.append(message.split("'to': '", 1)[1].split("'", 1)[0])
        return found

    def kill(self) -> None:
        """SIGKILL: no shutdown hook, no drain, nothing recorded after this instant."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def serve_env(database_url: str, slack: SlackStandIn, **extra: str) -> dict[str, str]:
    """The environment of a `crb serve` that talks to the Slack stand-in and nothing real."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "CONNECTIONS__", "SMTP_", "CRB_", "DATABASE_URL"))
    }
    return env | {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_API_URL": slack.api_url,
        "SLACK_SIGNING_SECRET": "crowd-signing-secret",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


@contextmanager
def serving(env: dict[str, str], *args: str) -> Iterator[CrbServe]:
    process = CrbServe(env, *args)
    try:
        yield process
    finally:
        process.stop()


def simulate(start: datetime, until: datetime | None = None, step: int = 3600) -> list[str]:
    """`crb serve` arguments for its ticker to run on a simulated clock."""
    args = ["--simulate-from", start.isoformat(), "--simulate-step", str(step)]
    return args + (["--simulate-until", until.isoformat()] if until else [])


def crowd_board(runtime: Runtime, owners: int) -> dict[str, str]:
    """The sample board plus generated members, ``owners`` in all with an open action each,
    every one linked on Slack. Returns each owner's initials -> Slack user id."""
    import_sample(runtime)
    links = {initials: f"U0{initials}" for initials in SAMPLE_OWNERS}
    with runtime.sessions() as session, session.begin():
        board = queries.default_board(session)
        assert board is not None
        meeting = queries.meetings(session, board)[0]
        for number in range(1, owners - len(SAMPLE_OWNERS) + 1):
            initials = f"G{number:03d}"
            member = Member(
                board=board,
                initials=initials,
                name=f"Generated Owner {number}",
                created_at=AFTER_MEETING,
            )
            session.add(member)
            action = Action(
                board_id=board.id,
                meeting=meeting,
                item="99",
                position=1000 + number,
                text=f"Report back on workstream {number}",
                created_at=AFTER_MEETING,
            )
            action.owner_links.append(ActionOwner(member=member, position=0))
            session.add(action)
            links[initials] = f"U{initials}"
    link_members(runtime, links)
    return links


def dm_of(slack_id: str) -> str:
    """The DM channel the stand-in opens with a user (conversations.open)."""
    return "D" + slack_id.lstrip("UW")


def long_board(runtime: Runtime, *, actions: int, owners: int, chair: str) -> None:
    """A board of ``owners`` members with ``actions`` open actions among them, every tenth held
    jointly with the next owner, raised at one meeting. Member 1 is the chair, linked on Slack
    as ``chair``. Each action's text is as long as a real one."""
    with runtime.sessions() as session, session.begin():
        board = queries.default_board(session)
        assert board is not None
        meeting = Meeting(board=board, date=date(2020, 11, 25), created_at=AFTER_MEETING)
        people = [
            Member(
                board=board,
                initials=f"L{n:02d}",
                name=f"Long-list Owner {n:02d}",
                role=Role.CHAIR if n == 1 else Role.MEMBER,
                slack_id=chair if n == 1 else None,
                created_at=AFTER_MEETING,
            )
            for n in range(1, owners + 1)
        ]
        session.add_all([meeting, *people])
        for n in range(actions):
            action = Action(
                board_id=board.id,
                meeting=meeting,
                item=f"{n % 12 + 1:02d}",
                position=n + 1,
                text=f"Action {n + 1}: circulate the workstream's report on partnership "
                "performance, with the data behind it, before the next meeting",
                created_at=AFTER_MEETING,
            )
            holders = [people[n % owners]]
            if n % 10 == 0:
                holders.append(people[(n + 1) % owners])
            for place, holder in enumerate(holders):
                action.owner_links.append(ActionOwner(member=holder, position=place))
            session.add(action)
