"""Benchmark results: one row each, printed as a table and written as JSON."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table


@dataclass(frozen=True)
class Result:
    section: str
    measure: str
    value: float
    unit: str
    goal: str = ""
    ok: bool | None = None


def machine() -> dict[str, object]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }


def show(results: list[Result], console: Console) -> None:
    table = Table(title="crb-bot benchmarks", title_justify="left")
    for column in ("Section", "Measure", "Value", "Goal", "Met"):
        table.add_column(column)
    for r in results:
        met = "" if r.ok is None else ("yes" if r.ok else "NO")
        table.add_row(r.section, r.measure, f"{r.value:,.1f} {r.unit}", r.goal, met)
    console.print(table)


def write(results: list[Result], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "at": datetime.now(UTC).isoformat(),
        "machine": machine(),
        "results": [asdict(r) for r in results],
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
