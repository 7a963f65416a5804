"""A long Word minutes file through `crb import`'s parse and import, timed in-process."""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.report import Result
from bot.config import Config
from bot.runtime import Runtime
from handlers.context import Caller, Ctx
from handlers.identity import Via
from handlers.minutes.importer import import_minutes
from handlers.minutes.read import read_minutes
from tests.docx_fixtures import (
    Bullet,
    U,
    add_attendance,
    add_item_row,
    add_item_table,
    add_lines,
    new_minutes,
    to_bytes,
)

NOW = datetime(2020, 11, 26, 9, 0, tzinfo=UTC)
WORDS_PER_PAGE = 500  # a Word page of 11-point body text, tables included
PEOPLE = [
    ("Andy Champness", "Chair, CEO West Mercia OPCC"),
    ("Julian Moss", "DCC West Mercia Police"),
    ("Chris Jensen", "CJS Business Manager, West Mercia OPCC"),
    ("Tracey Onslow", "DPCC, West Mercia OPCC"),
    ("Claire Richardson", "Commissioning Manager, OPCC"),
    ("Deb Rood", "Commissioning Officer, OPCC"),
    ("Bev Houghton", "NWCSP Manager"),
    ("Tim Rice", "Snr PH Practitioner, WCC"),
    ("Keith Barham", "Head of Service, WMYJS"),
    ("Rachael Thorold", "OPCC"),
]
DISCUSSION = (
    "The board discussed the quarter's figures for this area in detail, including the trend in "
    "reported offences, the response times of each partner and the effect of the new referral "
    "pathway on repeat victims. Members agreed that the data should be broken down by district "
    "and that the partners would share their own figures before the next meeting so the picture "
    "is complete."
)


def long_minutes(items: int) -> tuple[bytes, int]:
    """Minutes with ``items`` agenda items (at most 99), two actions each; and its word count."""
    document = new_minutes()
    add_lines(
        document,
        "West Mercia Crime Reduction Board Minutes",
        "Date: 25th November 2020",
        "Venue: Zoom",
        "Chairman: Andy Champness, CEO West Mercia OPCC",
        "Notes: Rachael Thorold, OPCC",
    )
    add_attendance(document, PEOPLE[:-2], PEOPLE[-2:])
    table = add_item_table(document)
    initials = ["".join(part[0] for part in name.split()) for name, _ in PEOPLE]
    words = 0
    for n in range(1, items + 1):
        first, second = initials[n % len(initials)], initials[(n + 3) % len(initials)]
        body = [
            U(f"Agenda item {n}: partnership update"),
            DISCUSSION,
            Bullet("Figures to follow from each district."),
            DISCUSSION,
            DISCUSSION,
            Bullet("Partners to confirm their leads for the work."),
            DISCUSSION,
            f"Action: {first} to circulate the district figures for item {n}.",
            f"Action: {second} to report back on the referral pathway for item {n}.",
        ]
        add_item_row(table, str(n), body, [first, second])
        words += sum(len(str(getattr(part, "text", part)).split()) for part in body)
    return to_bytes(document), words


def measure(*, items: int) -> list[Result]:
    data, words = long_minutes(items)
    pages = words / WORDS_PER_PAGE
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "minutes.docx"
        path.write_bytes(data)
        config = Config(database_url=f"sqlite:///{Path(directory) / 'import.db'}")
        runtime = Runtime(config)
        runtime.prepare(NOW)
        started = time.perf_counter()
        minutes = read_minutes(path)
        with runtime.unit(Caller(None, "import:bench", Via.IMPORT), NOW) as ctx:
            report = import_minutes(Ctx(ctx.session, ctx.board, ctx.caller, NOW), minutes)
            ctx.session.commit()
        elapsed = time.perf_counter() - started
        runtime.engine.dispose()
    if len(report.actions) != 2 * items:
        raise RuntimeError(f"imported {len(report.actions)} actions, expected {2 * items}")
    return [
        Result(
            "import",
            f".docx minutes, ~{pages:.0f} pages ({items} items, {2 * items} actions)",
            elapsed * 1000,
            "ms",
            "< 1000 ms" if pages >= 40 else "",
            elapsed < 1.0 if pages >= 40 else None,
        )
    ]
