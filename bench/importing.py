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
from handlers.minutes.read import parse_minutes, read_minutes
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


def long_plain_minutes(items: int) -> tuple[bytes, int]:
    """Minutes in another board's layout (plain text, numbered headings, "Action:" lines, a
    Present: list with initials), ``items`` items of two actions each; and the word count."""
    initials = ["".join(part[0] for part in name.split()) for name, _ in PEOPLE]
    lines = ["Crime Reduction Board", "Tuesday 18 January 2022, 13:30-15:30", "", "Present:"]
    lines += [f"{name} ({initials[k]}) – {role}" for k, (name, role) in enumerate(PEOPLE)]
    words = 0
    for n in range(1, items + 1):
        first, second = initials[n % len(initials)], initials[(n + 3) % len(initials)]
        body = [
            DISCUSSION,
            DISCUSSION,
            DISCUSSION,
            f"Action: {first} to circulate the district figures for item {n}.",
            DISCUSSION,
            f"Action – {second} to report back on the referral pathway for item {n}.",
        ]
        lines += ["", f"{n}. Partnership update {n}", *body]
        words += sum(len(line.split()) for line in body)
    lines += ["", "Date of next meeting: 12 April 2022"]
    return "\n".join(lines).encode(), words


def measure_plain(*, items: int) -> list[Result]:
    data, words = long_plain_minutes(items)
    pages = words / WORDS_PER_PAGE
    started = time.perf_counter()
    minutes = parse_minutes("minutes.txt", data)
    elapsed = time.perf_counter() - started
    if len(minutes.actions) != 2 * items:
        raise RuntimeError(f"read {len(minutes.actions)} actions, expected {2 * items}")
    return [
        Result(
            "import",
            f".txt minutes in another layout, read, ~{pages:.0f} pages ({2 * items} actions)",
            elapsed * 1000,
            "ms",
            "< 1000 ms" if pages >= 40 else "",
            elapsed < 1.0 if pages >= 40 else None,
        )
    ]


def long_pdf_minutes(items: int) -> tuple[bytes, int]:
    """The long plain-text minutes set as a PDF (headings in bold), as Word's "Save as PDF"
    would; and the word count."""
    from fpdf import FPDF  # a dev dependency: it writes the corpus's PDFs too

    text, words = long_plain_minutes(items)
    fonts = Path("/usr/share/fonts/truetype/dejavu")
    pdf = FPDF()
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    for line in text.decode().split("\n"):
        pdf.set_font("DejaVu", "B" if line[:1].isdigit() else "", 11)
        pdf.multi_cell(0, 6, line or " ", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output()), words


def measure_pdf(*, items: int) -> list[Result]:
    data, words = long_pdf_minutes(items)
    pages = words / WORDS_PER_PAGE
    started = time.perf_counter()
    minutes = parse_minutes("minutes.pdf", data)
    elapsed = time.perf_counter() - started
    if len(minutes.actions) != 2 * items:
        raise RuntimeError(f"read {len(minutes.actions)} actions, expected {2 * items}")
    return [
        Result(
            "import",
            f".pdf minutes in another layout, read, ~{pages:.0f} pages ({2 * items} actions)",
            elapsed * 1000,
            "ms",
            "< 1000 ms" if pages >= 40 else "",
            elapsed < 1.0 if pages >= 40 else None,
        )
    ]


def corpus_score() -> list[Result]:
    """The minutes corpus (tests/fixtures/minutes), scored: every document, then the total."""
    from tests.minutes_corpus import score_all, total

    scores = score_all()
    results = [
        Result(
            "minutes corpus",
            each.line(),
            100 * each.actions_right / max(each.actions_expected, 1),
            "%",
            "100%, none invented",
            each.perfect,
        )
        for each in scores
    ]
    right = sum(s.actions_right for s in scores)
    expected = sum(s.actions_expected for s in scores)
    results.append(
        Result(
            "minutes corpus",
            total(scores),
            100 * right / expected,
            "%",
            "100%, none invented",
            all(s.perfect for s in scores),
        )
    )
    return results


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
