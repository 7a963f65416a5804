"""`python -m bench [--smoke] [--out FILE]`: run the benchmarks, print a table, write JSON.

Sections: footprint (start to healthy, idle RSS), reminder planning (pure at three sizes, and one
tick's planning from SQLite and PostgreSQL), command latency (signed /crb done and outstanding
against `crb serve` on SQLite and PostgreSQL, beside a bare Bolt app), the web desk's board page
(server-side, signed in, on SQLite and PostgreSQL), fan-out (nudges through a rate-limiting Slack
stand-in), import (a long .docx, and long minutes in another layout as .txt and .pdf) and the
minutes corpus's score. ``--smoke`` runs every section at tiny sizes, to show in CI that it all
still runs.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from bench import boards, fanout, footprint, importing, latency, planning, web
from bench.data import Scale, populate
from bench.report import Result, show, write
from db import migrate
from db.session import make_engine, make_session_factory
from tests.databases import postgres_database


@dataclass(frozen=True)
class Sizes:
    served: Scale  # the database `crb serve` answers from
    planned: Scale  # the database one tick plans from
    boards: Scale  # many boards, each planned in turn by one tick (issue 16)
    pure: list[int]  # open actions for the pure planner
    requests: int  # per latency scenario
    renders: int  # per web desk page
    # (nudges, messages a second the workspace allows, whether DM channels are known already)
    fan_outs: list[tuple[int, float, bool]]
    import_items: int
    idle_seconds: float


FULL = Sizes(
    served=Scale(boards=50, members=2000, actions=20_000),
    planned=Scale(boards=1, members=2000, actions=100_000, meetings_per_board=1000),
    boards=Scale(boards=100, members=2000, actions=40_000),
    pure=[10_000, 100_000, 1_000_000],
    requests=150,
    renders=50,
    # 100/s: faster than one tick sends, so the limits should not bite; 20/s: they must, and
    # the 429s must cost time, never a message. A later quarter knows every DM channel; the
    # first opens each at Tier 3 (50 a minute): 100 people take a minute of wall time.
    fan_outs=[(2000, 100, True), (400, 20, True), (100, 100, False)],
    import_items=70,
    idle_seconds=2.0,
)
SMOKE = Sizes(
    served=Scale(boards=2, members=20, actions=50),
    planned=Scale(boards=1, members=20, actions=200, meetings_per_board=20),
    boards=Scale(boards=3, members=30, actions=90),
    pure=[1000],
    requests=5,
    renders=3,
    fan_outs=[(20, 10, True), (20, 10, False)],
    import_items=3,
    idle_seconds=0.2,
)


@contextmanager
def database(kind: str, directory: Path, name: str, scale: Scale) -> Iterator[str]:
    """A migrated database of ``kind`` filled to ``scale``; PostgreSQL's is dropped afterwards."""
    if kind == "PostgreSQL":
        with postgres_database() as url:
            _fill(url, scale)
            yield url
        return
    url = f"sqlite:///{directory / f'{name}.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    _fill(url, scale)
    yield url


def _fill(url: str, scale: Scale) -> None:
    engine = make_engine(url)
    populate(engine, scale)
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
    engine.dispose()


SECTIONS = ("footprint", "web", "latency", "planning", "fanout", "import")


def run(
    sizes: Sizes,
    console: Console,
    only: frozenset[str] = frozenset(SECTIONS),
    before: Path | None = None,
) -> list[Result]:
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        for kind in ("SQLite", "PostgreSQL"):
            if only & {"footprint", "web", "latency"}:
                results += served(sizes, console, only, before, kind, directory)
            if "planning" in only:
                results += planned(sizes, console, kind, directory)
    if "planning" in only:
        console.print("Planning in memory")
        results += planning.pure(sizes.pure)
    if "fanout" in only:
        results += fan_outs(sizes, console)
    if "import" in only:
        results += imports(sizes, console)
    return results


def served(
    sizes: Sizes,
    console: Console,
    only: frozenset[str],
    before: Path | None,
    kind: str,
    directory: Path,
) -> list[Result]:
    results: list[Result] = []
    label = f"{kind}, {sizes.served.label}"
    with database(kind, directory, "served", sizes.served) as url:
        console.print(f"Serving from {label}")
        if kind == "SQLite" and "footprint" in only:
            results += footprint.measure(url, idle_seconds=sizes.idle_seconds)
        # Before the latency runs: they close actions, and the board page shows the open.
        if "web" in only:
            results += web.measure(url, kind, renders=sizes.renders)
        if "latency" in only:
            results += latency.measure(url, kind, requests=sizes.requests, before=before)
    return results


def planned(sizes: Sizes, console: Console, kind: str, directory: Path) -> list[Result]:
    results = []
    for name, scale, label in (
        ("planned", sizes.planned, f"{sizes.planned.meetings_per_board:,} meetings"),
        ("boards", sizes.boards, f"{sizes.boards.boards:,} boards"),
    ):
        with database(kind, directory, name, scale) as url:
            console.print(f"Planning from {kind}, {scale.label}")
            engine = make_engine(url)
            results.append(
                planning.from_database(
                    make_session_factory(engine),
                    f"{kind}, {scale.actions:,} open actions, {label}",
                )
            )
            engine.dispose()
            if name == "boards":
                results += boards.measure(url, f"{kind}, {scale.label}", runs=sizes.renders)
    return results


def fan_outs(sizes: Sizes, console: Console) -> list[Result]:
    results: list[Result] = []
    for nudges, per_second, known in sizes.fan_outs:
        console.print(f"Fan-out: {nudges:,} nudges at {per_second:g}/s")
        results += fanout.measure(
            members=nudges, workspace_per_second=per_second, channels_known=known
        )
    return results


def imports(sizes: Sizes, console: Console) -> list[Result]:
    console.print("Import")
    results = importing.measure(items=sizes.import_items)
    results += importing.measure_plain(items=sizes.import_items * 5 // 4)
    results += importing.measure_pdf(items=sizes.import_items * 5 // 4)
    console.print("Minutes corpus")
    results += importing.corpus_score()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks that it runs")
    parser.add_argument("--out", type=Path, default=Path("bench/results/latest.json"))
    parser.add_argument(
        "--only", action="append", choices=SECTIONS, help="run only this section (repeatable)"
    )
    parser.add_argument(
        "--before",
        type=Path,
        help="a checkout of another commit (such as main's): its `crb serve` is measured too",
    )
    args = parser.parse_args()
    console = Console(width=150)  # the table stays readable when written to a file or CI log
    only = frozenset(args.only or SECTIONS)
    results = run(SMOKE if args.smoke else FULL, console, only, args.before)
    show(results, console)
    write(results, args.out)
    console.print(f"Wrote {args.out}")


main()
