"""Who owns an action, from the words of the action itself, by the rules boards write them.

In the order they are tried:

1. leading initials, maybe after a rank or title: "RHL is to ...", "CR to ...", "TB and SV to
   ...", "XX/YY to ...", "ACC RJ is to ...", "DCC AB to ...";
2. leading full names: "Damian Pettit to ...", "Damian Pettit and Chris Jensen to ...";
3. initials in brackets: "Force to survey Specials ... (RM) to report back";
4. a trailing owner list: "... to the next meeting – RJ/DB", "... (Owner: RJ)".

Initials have two to four capital letters. Agency acronyms that open sentences ("OPCC to
...", "IOM to be reviewed") are not taken for people unless someone on the attendance list has
those initials.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from handlers.minutes.attendance import RANKS

INIT = r"[A-Z]{2,4}"
_JOIN = r"\s*(?:/|,|&|\+|\band\b)\s*"
LIST = rf"{INIT}(?:{_JOIN}{INIT})*"
_NAME = r"[A-Z][a-z'’]+(?:-[A-Z][a-z'’]+)?(?:\s+[A-Z][a-z'’]+(?:-[A-Z][a-z'’]+)?){1,2}"
_VERB = r"(?:is\s+to|are\s+to|to|will|would|should|agreed\s+to|has\s+agreed\s+to)\b"
_LEADING = re.compile(rf"^(?:{RANKS}\.?\s+)?(?P<who>{LIST})\s+{_VERB}")
# Not names, though capitalised: "The Board to ...", "All Partners to ...".
_NOT_A_NAME = (
    r"(?!(?:The|All|Each|Every|Any|Members?|Partners?|Board|This|That|These|Those|Police|Force"
    r"|Officers?|Chair|Secretariat|It|We|They|Local|Area|County|District|City)\b)"
)
_LEADING_NAMES = re.compile(
    rf"^(?:{RANKS}\.?\s+)?{_NOT_A_NAME}(?P<who>{_NAME}(?:\s*(?:,|and|&)\s*{_NAME})*)\s+{_VERB}"
)
_LEADING_DASHED = re.compile(rf"^(?P<who>{LIST})\s*[:–—-]\s+")
_BRACKETED = re.compile(rf"\((?P<who>{LIST})\)")
_BRACKETED_OWNER = re.compile(rf"\((?P<who>{LIST})\)\s+(?:is\s+)?to\b")
_OWNER_WORD = r"(?i:owner|lead|by|action\s+by)"
_TRAILING = re.compile(
    rf"(?:\s[–—-]\s*|\(\s*(?:{_OWNER_WORD}\s*:\s*)?|\b{_OWNER_WORD}\s*:\s*)"
    rf"(?P<who>{LIST})\s*\)?\s*\.?$"
)
_OWNER_LIST = re.compile(rf"^\s*(?P<who>{LIST})\s*\.?\s*$")
_SPLIT = re.compile(_JOIN)
_NAME_SPLIT = re.compile(r"\s*(?:,|\band\b|&)\s*")
# Organisations and subjects that open sentences as initials do.
NOT_PEOPLE = frozenset(
    [
        "ALL",
        "TBC",
        "TBA",
        "NONE",
        "NA",
        "OPCC",
        "PCC",
        "DPCC",
        "WMP",
        "NPS",
        "CRC",
        "CSP",
        "CSPS",
        "CPS",
        "NHS",
        "ICB",
        "CCG",
        "YOS",
        "YJS",
        "HMPPS",
        "MOJ",
        "SOC",
        "IOM",
        "ASB",
        "VAWG",
        "DA",
        "CJS",
        "LCJB",
        "PCP",
        "HMP",
        "HMICFRS",
        "ACC",
        "DCC",
        "CC",
        "ACO",
        "DCS",
        "DCI",
        "DI",
        "DS",
        "DC",
        "PC",
        "CEO",
        "CFO",
        "SMT",
        "AOB",
        "ICT",
        "IT",
        "HR",
        "ICO",
        "GDPR",
        "LA",
        "LAS",
        "MASH",
        "MAPPA",
        "MARAC",
        "TOR",
        "KPI",
        "QPR",
        "UK",
    ]
)


@dataclass(frozen=True)
class Owners:
    initials: tuple[str, ...]
    evidence: str  # the words the owners were read from
    rule: str  # which rule found them: "leading initials", "full name", ...


def owner_list(text: str) -> tuple[str, ...] | None:
    """ "RJ/DB/AC" (and nothing else) as initials; None when the text is more than that."""
    match = _OWNER_LIST.match(text)
    if match is None:
        return None
    initials = _initials(match["who"])
    return initials or None


def read_owners(text: str, people: Mapping[str, str]) -> Owners | None:
    """The owners named in an action's text; ``people`` maps full names (casefolded) to the
    initials the attendance list gives them."""
    known = set(people.values())
    match = _LEADING.match(text)
    if match and (found := _initials(match["who"], known)):
        # "RM to visit the centres ... (OP) to follow up": a second owner, in brackets, later.
        later = [
            t
            for m in _BRACKETED_OWNER.finditer(text, match.end())
            for t in _initials(m["who"], known)
            if t not in found
        ]
        return Owners((*found, *later), match.group(0).strip(), "leading initials")
    match = _LEADING_DASHED.match(text)
    if match and (found := _initials(match["who"], known)):
        return Owners(found, match.group(0).strip(" :–—-"), "leading initials")
    match = _LEADING_NAMES.match(text)
    if match:
        names = [n for n in _NAME_SPLIT.split(match["who"]) if n]
        found = tuple(_initials_for_name(name, people) for name in names)
        return Owners(found, match.group(0).strip(), "full name")
    for match in _BRACKETED.finditer(text):
        if found := _initials(match["who"], known):
            return Owners(found, match.group(0), "initials in brackets")
    match = _TRAILING.search(text)
    if match and (found := _initials(match["who"], known)):
        return Owners(found, match.group(0).strip(" –—-"), "trailing initials")
    return None


def _initials(who: str, known: set[str] | None = None) -> tuple[str, ...]:
    tokens = [t for t in _SPLIT.split(who) if t]
    return tuple(t for t in tokens if t not in NOT_PEOPLE or (known and t in known))


def _initials_for_name(name: str, people: Mapping[str, str]) -> str:
    """A full name's initials: the attendance list's own, or (for someone not on it, or named
    by first name and surname only) derived from the name."""
    written = people.get(" ".join(name.split()).casefold())
    if written:
        return written
    return "".join(word[0] for word in (name.split()[0], name.split()[-1])).upper()


def is_full_name_owner(owners: Owners) -> bool:
    return owners.rule == "full name"
