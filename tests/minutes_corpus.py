"""Scoring the minutes reader against the corpus in tests/fixtures/minutes (see its make_corpus.py
and expected.json): per document and in total, the actions found right (item and owners),
missed and invented; the meeting date, the next meeting, and the attendees' names and initials.

Used by tests/test_minutes_corpus.py (which asserts 100%) and by `python -m bench`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path

from handlers.members import derive_initials
from handlers.minutes.model import Attendance, Minutes
from handlers.minutes.read import read_minutes

CORPUS = Path(__file__).parent / "fixtures" / "minutes"
SAME_TEXT = 0.9  # an action's text may differ in spacing or a stray character, not in substance


@dataclass
class Score:
    document: str
    actions_expected: int = 0
    actions_right: int = 0  # found with the right item and owners
    actions_wrong: list[str] = field(default_factory=list)  # found, but item or owners wrong
    actions_missed: list[str] = field(default_factory=list)
    actions_invented: list[str] = field(default_factory=list)
    date_right: bool = False
    next_right: bool = False
    attendees_expected: int = 0
    attendees_right: int = 0
    attendees_wrong: list[str] = field(default_factory=list)  # missed, or named wrongly
    attendees_invented: list[str] = field(default_factory=list)
    updates_expected: int = 0
    updates_found: int = 0
    seconds: float = 0.0

    @property
    def perfect(self) -> bool:
        return (
            self.actions_right == self.actions_expected
            and not self.actions_invented
            and self.date_right
            and self.next_right
            and self.attendees_right == self.attendees_expected
            and not self.attendees_invented
            and self.updates_found == self.updates_expected
        )

    def line(self) -> str:
        return (
            f"{self.document:<36} actions {self.actions_right}/{self.actions_expected} right, "
            f"{len(self.actions_missed)} missed, {len(self.actions_invented)} invented; "
            f"date {_ok(self.date_right)}, next {_ok(self.next_right)}; "
            f"attendees {self.attendees_right}/{self.attendees_expected}"
            f"{f' +{len(self.attendees_invented)} invented' if self.attendees_invented else ''}"
        )


def _ok(right: bool) -> str:
    return "ok" if right else "WRONG"


def expectations() -> dict[str, dict[str, object]]:
    return json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))


def score_all() -> list[Score]:
    return [score(name, expected) for name, expected in expectations().items()]


def score(name: str, expected: dict[str, object]) -> Score:
    started = time.perf_counter()
    minutes = read_minutes(CORPUS / name)
    result = Score(name, seconds=time.perf_counter() - started)
    result.date_right = str(minutes.meeting_date) == expected["meeting_date"]
    found_next = minutes.next_meeting.date.isoformat() if minutes.next_meeting else None
    result.next_right = found_next == expected["next_meeting"]
    _score_actions(minutes, expected["actions"], result)  # type: ignore[arg-type]
    _score_people(minutes, expected, result)
    result.updates_expected = int(expected["updates"])  # type: ignore[call-overload]
    result.updates_found = len(minutes.previous_updates)
    return result


def _score_actions(minutes: Minutes, expected: list[list[str]], result: Score) -> None:
    result.actions_expected = len(expected)
    found = [(a.item, "/".join(a.owners), a.text) for a in minutes.actions]
    unmatched = list(found)
    for item, owners, text in expected:
        match = max(unmatched, key=lambda f: _similar(f[2], text), default=None)
        if match is None or _similar(match[2], text) < SAME_TEXT:
            result.actions_missed.append(f"{item} {owners}: {text}")
            continue
        unmatched.remove(match)
        if (match[0], match[1]) == (item, owners):
            result.actions_right += 1
        else:
            result.actions_wrong.append(f"{item} {owners} read as {match[0]} {match[1]}: {text}")
            result.actions_missed.append(f"{item} {owners}: {text}")
    result.actions_invented = [f"{i} {o}: {t}" for i, o, t in unmatched]


def _similar(a: str, b: str) -> float:
    return SequenceMatcher(None, " ".join(a.split()), " ".join(b.split())).ratio()


def _score_people(minutes: Minutes, expected: dict[str, object], result: Score) -> None:
    wanted = {
        entry: kind
        for kind in (Attendance.PRESENT, Attendance.APOLOGIES)
        for entry in expected["present" if kind == Attendance.PRESENT else "apologies"]  # type: ignore[attr-defined]
    }
    read = {
        f"{p.name} ({p.initials or derive_initials(p.name)})": p.attendance for p in minutes.people
    }
    result.attendees_expected = len(wanted)
    for entry, kind in wanted.items():
        if read.get(entry) == kind:
            result.attendees_right += 1
        else:
            result.attendees_wrong.append(f"{entry} {kind.value}, read as {read.get(entry)}")
    result.attendees_invented = [entry for entry in read if entry not in wanted]


def total(scores: list[Score]) -> str:
    expected = sum(s.actions_expected for s in scores)
    right = sum(s.actions_right for s in scores)
    missed = sum(len(s.actions_missed) for s in scores)
    invented = sum(len(s.actions_invented) for s in scores)
    dates = sum(s.date_right for s in scores)
    nexts = sum(s.next_right for s in scores)
    people = sum(s.attendees_right for s in scores)
    people_expected = sum(s.attendees_expected for s in scores)
    return (
        f"{len(scores)} documents: actions {right}/{expected} right "
        f"({100 * right / expected:.0f}%), "
        f"{missed} missed, {invented} invented; meeting date {dates}/{len(scores)}, "
        f"next meeting {nexts}/{len(scores)}, attendees {people}/{people_expected}"
    )
