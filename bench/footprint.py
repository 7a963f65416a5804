"""`crb serve` from launch to a healthy /healthz, and its resident memory once idle."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench.report import Result


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS: is this Linux?")


def wait_healthy(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=0.5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"{url} was not healthy in time")


def measure(database_url: str, *, idle_seconds: float = 2.0) -> list[Result]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "PORT": str(port)}
    env = {k: v for k, v in env.items() if not k.startswith("SLACK_")}
    started = time.monotonic()
    server = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(port), "--no-scheduler"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}/healthz", started + 30)
        to_healthy = time.monotonic() - started
        time.sleep(idle_seconds)
        memory = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=10)
    return [
        Result(
            "footprint",
            "start to healthy",
            to_healthy * 1000,
            "ms",
            goal="< 2000 ms",
            ok=to_healthy < 2.0,
        ),
        Result("footprint", "idle RSS", memory, "MB", goal="< 120 MB", ok=memory < 120),
    ]
