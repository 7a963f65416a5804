"""What a reader of minutes keeps beside what it read: facts with their evidence and doubts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from handlers.minutes.lines import Line
from handlers.minutes.model import CERTAIN, GUESSED, Doubt, Fact


@dataclass
class Record:
    """The facts read and the doubts met, in the order a reader meets them."""

    facts: list[Fact] = field(default_factory=list)
    doubts: list[Doubt] = field(default_factory=list)

    def fact(self, about: str, value: str, evidence: str, confidence: float = CERTAIN) -> None:
        self.facts.append(Fact(about, value, shorten(evidence, 200), confidence))

    def doubt(self, kind: str, about: str, message: str, evidence: str = "") -> None:
        self.doubts.append(Doubt(kind, about, message, shorten(evidence, 200), GUESSED))


def evidence_of(line: Line | None) -> str:
    return line.text if line is not None else ""


def shorten(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def day_name(day: date) -> str:
    return f"{day.day} {day:%B %Y}"
