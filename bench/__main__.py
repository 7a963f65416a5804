"""`python -m bench [--smoke] [--out FILE]`: run the benchmarks, print a table, write JSON."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from rich.console import Console

from bench import footprint
from bench.data import Scale, populate
from bench.report import Result, show, write
from db import migrate
from db.session import make_engine

FULL = Scale(boards=50, members=2000, actions=20000)
SMOKE = Scale(boards=2, members=20, actions=50)


def fresh_sqlite(directory: Path, scale: Scale) -> str:
    url = f"sqlite:///{directory / 'bench.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    populate(engine, scale)
    engine.dispose()
    return url


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks that it runs")
    parser.add_argument("--out", type=Path, default=Path("bench/results/latest.json"))
    args = parser.parse_args()
    scale = SMOKE if args.smoke else FULL
    console = Console()
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as directory:
        url = fresh_sqlite(Path(directory), scale)
        console.print(f"Database: SQLite, {scale.label}")
        results += footprint.measure(url, idle_seconds=0.2 if args.smoke else 2.0)
    show(results, console)
    write(results, args.out)
    console.print(f"Wrote {args.out}")


main()
