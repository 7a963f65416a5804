"""Who was there, as boards write it: one person per line, bullet, table row or comma.

An entry may be "Name (XX) – Role", "Name (XX) Role", "Role Name (XX)", "Name, Role",
"Name<TAB>Role", a Name | Capacity table row, or a bare name in a comma-separated list. Initials
written in brackets are authoritative; where they are, they also tell where the name ends and a
rank or title before it begins ("ACC Rachel Jones (RJ)": the name is the words whose initials
are RJ). A notes taker is written "(minutes)" or "(notes)"; a chair "(Chair)".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from handlers.members import derive_initials
from handlers.minutes.html_fragments import normalise_space
from handlers.minutes.model import Attendance, Person

MARKER = re.compile(
    r"^\s*(?P<marker>(?:Members\s+|Officers\s+|Also\s+)?(?:Present|In\s+attendance|Attendees"
    r"|Attendance|Attending)|Apologies(?:\s+(?:received|for\s+absence))?)"
    r"(?:\s*[:–—-]\s*(?P<rest>.*)|\s*$)",
    re.I,
)
_BRACKETED = re.compile(r"\((?P<inside>[^()]{1,40})\)")
_INITIALS = re.compile(r"[A-Z]{2,4}")
_NOTES = re.compile(r"^(?:minutes?|notes?|minute\s+taker|note\s+taker|secretariat)$", re.I)
_CHAIR = re.compile(r"^(?:chair(?:man|person|woman)?|in\s+the\s+chair)$", re.I)
# Words that make a piece of an entry a role, not a name ("Community Safety Manager").
_ROLE_WORDS = frozenset(
    [
        "manager",
        "officer",
        "chief",
        "director",
        "head",
        "chair",
        "deputy",
        "assistant",
        "executive",
        "commissioner",
        "council",
        "police",
        "service",
        "services",
        "partnership",
        "board",
        "lead",
        "coordinator",
        "co-ordinator",
        "analyst",
        "practitioner",
        "governor",
        "secretary",
        "safety",
        "community",
        "justice",
        "health",
        "probation",
        "superintendent",
        "inspector",
        "sergeant",
        "constable",
        "commander",
        "detective",
        "councillor",
        "county",
        "district",
        "city",
        "borough",
        "office",
        "team",
        "unit",
        "trust",
        "authority",
        "representative",
        "adviser",
        "advisor",
        "officer's",
        "treasurer",
        "member",
        "fire",
        "rescue",
        "nhs",
        "ccg",
        "icb",
        "opcc",
        "pcc",
        "clerk",
        "panel",
        "group",
        "victims",
        "youth",
        "offending",
        "crime",
        "policy",
    ]
)
RANKS = (
    r"(?:T/)?(?:ACC|DCC|CC|ACO|DCS|DCI|DI|DS|DC|PC|Sgt|Insp|C/Supt|Ch\.?\s*Supt|Supt|Cllr"
    r"|Councillor|Dr|Mr|Mrs|Ms|Miss|Prof|Chief\s+Constable|Deputy\s+Chief\s+Constable"
    r"|Assistant\s+Chief\s+Constable|Chief\s+Superintendent|Superintendent|Inspector|PCC|DPCC)"
)
_LEADING_RANK = re.compile(rf"^(?P<rank>{RANKS}\.?)\s+(?=[A-Z])")
_DASH = re.compile(r"\s+[–—-]\s+|\s*[–—]\s*")
_NAME_WORD = re.compile(r"^[A-Z][a-zA-Z'’]*(?:-[A-Z][a-zA-Z'’]+)*$")


@dataclass(frozen=True)
class Entry:
    person: Person
    chair: bool = False
    notes_taker: bool = False


def initials_of(person: Person) -> str:
    """The initials written beside the person's name (authoritative), or derived as always."""
    return person.initials or derive_initials(person.name)


def attendance_of(marker: str) -> Attendance:
    return Attendance.APOLOGIES if marker.lower().startswith("apolog") else Attendance.PRESENT


def split_entries(text: str) -> list[str]:
    """One line of an attendance block as entries: "A (AB), C (CD)" or "A; B" are several.

    Commas also separate a name from its role ("Andy Champness, CEO OPCC"), so a piece that
    reads as a role joins the entry before it.
    """
    if "\t" in text:
        return [text]  # "Name<TAB>Role, Organisation": the commas are the role's
    if ";" in text:
        return [p.strip() for p in text.split(";") if p.strip()]
    pieces = [p.strip() for p in _split_outside_brackets(text) if p.strip()]
    # With initials written, each entry has its own: "A (AB) – Manager, Wyre Forest, C (CD)".
    by_initials = any(_has_initials(p) for p in pieces)
    if not by_initials and _DASH.search(pieces[0] if pieces else ""):
        return [text]  # "Name – Role, Organisation"
    entries: list[str] = []
    for piece in pieces:
        joins = not _has_initials(piece) if by_initials else not _could_be_a_name(piece)
        if entries and joins:
            entries[-1] = f"{entries[-1]}, {piece}"
        else:
            entries.append(piece)
    return entries


def _has_initials(piece: str) -> bool:
    return any(_INITIALS.fullmatch(m["inside"].strip()) for m in _BRACKETED.finditer(piece))


def _split_outside_brackets(text: str) -> list[str]:
    pieces, depth, current = [], 0, []
    for char in text:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth <= 0:
            pieces.append("".join(current))
            current = []
        else:
            current.append(char)
    pieces.append("".join(current))
    return pieces


def _could_be_a_name(piece: str) -> bool:
    body = _BRACKETED.sub(" ", piece)
    body = _LEADING_RANK.sub("", body.strip())
    words = body.split()
    if not 1 <= len(words) <= 4:
        return False
    return all(_NAME_WORD.match(w) for w in words) and not any(
        w.lower().strip("'’s") in _ROLE_WORDS for w in words
    )


def read_entry(text: str, attendance: Attendance) -> Entry | None:
    """One person from one entry, or None if the entry names no one."""
    text = "\t".join(normalise_space(p) for p in text.split("\t")).strip(" .,;\t")
    if not text or len(text) > 160:
        return None
    initials, chair, notes, roles = None, False, False, []
    for match in _BRACKETED.finditer(text):
        inside = match["inside"].strip()
        if _INITIALS.fullmatch(inside) and initials is None:
            initials = inside
        elif _NOTES.match(inside):
            notes = True
        elif _CHAIR.match(inside):
            chair = True
        else:
            roles.append(inside)
    before, after = _around_initials(text, initials)
    name, role_before = _name_in(before, initials)
    if name is None:
        return None
    role_after = _DASH.sub(" ", after).strip(" ,.–—-") if after else ""
    capacity = ", ".join(r for r in (role_before, role_after, *roles) if r) or None
    if notes and capacity is None:
        capacity = "Minutes"
    # "Tracey Onslow (TO) – Deputy PCC, Chair", "Amy Ross (AR) Notes": the role says so.
    parts = [part.strip() for part in (capacity or "").split(",")]
    chair = chair or any(_CHAIR.match(part) for part in parts)
    notes = notes or any(_NOTES.match(part) for part in parts)
    return Entry(Person(name, capacity, attendance, initials=initials), chair, notes)


def _around_initials(text: str, initials: str | None) -> tuple[str, str]:
    """The text before and after the initials' brackets; without initials, the name part and
    the role part of "Name – Role", "Name, Role" or "Name<TAB>Role"."""
    if initials is not None:
        at = text.index(f"({initials}")
        end = text.index(")", at) + 1
        return _BRACKETED.sub("", text[:at]).strip(), _BRACKETED.sub("", text[end:]).strip()
    plain = _BRACKETED.sub("", text).strip()
    for separator in ("\t", " – ", " — ", " - ", ","):
        if separator in plain:
            name, rest = plain.split(separator, 1)
            return name.strip(), rest.strip()
    return plain, ""


def _name_in(text: str, initials: str | None) -> tuple[str | None, str]:
    """(name, the role written before it) in the words before the initials' brackets."""
    words = text.replace("–", " ").split()
    if not words:
        return None, ""
    if initials is not None:
        for start in range(len(words) - 1, -1, -1):
            if _initials_of(words[start:]) == initials:
                return " ".join(words[start:]), " ".join(words[:start]).strip(" ,")
    rank = _LEADING_RANK.match(text)
    if rank is not None:
        rest = text[rank.end() :].split()
        if rest and all(_NAME_WORD.match(w) for w in rest):
            return " ".join(rest), rank["rank"]
    if not all(_NAME_WORD.match(w) for w in words) or len(words) > 4:
        return None, ""
    return " ".join(words), ""


def _initials_of(words: list[str]) -> str:
    """ "Rebecca Harris-Lowe" -> "RHL": every word's and hyphenated part's first letter."""
    return "".join(part[0] for word in words for part in word.split("-") if part).upper()
