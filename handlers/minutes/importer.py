"""Minutes -> the board: meeting, members, actions, previous actions' statuses, next meeting.

The import only ever adds or fills in. Re-importing the same minutes finds everything in place and
changes nothing. A dry run is the same import rolled back by the caller, so its report is exact.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import time
from difflib import SequenceMatcher

from sqlalchemy import func, select

from db import queries
from db.models import (
    Action,
    ActionOwner,
    ActionStatus,
    AuditEvent,
    EventKind,
    Meeting,
    MeetingStatus,
    Member,
    Rag,
    Role,
)
from handlers.audit import record
from handlers.context import Ctx
from handlers.diary import add_meeting
from handlers.errors import MinutesError
from handlers.marking import marking_from_minutes
from handlers.members import add_member, derive_initials, longer_initials
from handlers.minutes.model import CERTAIN, ActionUpdate, Doubt, Fact, Minutes, Person
from handlers.refs import format_ref
from handlers.updates import (
    WORD_KINDS,
    Clock,
    events_of,
    latest_update,
    same_words,
    started,
    words_of,
)
from planning.calendar import meeting_start

MATCH_THRESHOLD = 0.6


@dataclass(frozen=True)
class ChairHandover:
    """The minutes name a chair who is not the board's: the import proposes the handover (the
    secretariat applies it with ``roster.change_role``), never makes it by itself."""

    to_initials: str
    to_name: str
    from_initials: str
    from_name: str


@dataclass
class ImportReport:
    meeting: Meeting | None = None
    next_meeting: Meeting | None = None
    actions: list[Action] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    proposals: list[ChairHandover] = field(default_factory=list)
    # The same warnings as structured records (kind, the fact they concern, the evidence, a
    # confidence), for a preview that offers a fix; and how each fact was read.
    doubts: list[Doubt] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)

    @property
    def changes_anything(self) -> bool:
        return bool(self.created or self.changed)


def import_minutes(ctx: Ctx, minutes: Minutes) -> ImportReport:
    if minutes.meeting_date is None:
        raise MinutesError(
            "I couldn't find the meeting's date in these minutes, so I imported nothing."
        )
    report = ImportReport(warnings=list(minutes.warnings), facts=list(minutes.facts))
    meeting = report.meeting = _upsert_meeting(ctx, minutes, report)
    _follow_marking(ctx, minutes, meeting, report)
    report.members = _upsert_people(ctx, minutes, report)
    _propose_chair(ctx, minutes, meeting, report)
    by_initials = _initials_index(ctx, report)
    report.actions = _upsert_actions(ctx, minutes, meeting, by_initials, report)
    _apply_previous_updates(ctx, minutes, meeting, report)
    report.next_meeting = _upsert_next_meeting(ctx, minutes, report)
    report.warnings = _once(report.warnings)
    report.doubts = doubts_for(report.warnings, minutes.doubts)
    ctx.session.flush()
    return report


def _once(warnings: list[str]) -> list[str]:
    """Each warning once: the reader and the import may both say the next meeting is missing."""
    return list(dict.fromkeys(warnings))


# The import's own warnings, and the house layout reader's, by the kind of fix they need.
_IMPORT_DOUBTS = (
    (re.compile(r"match no member"), "owner unknown"),
    (re.compile(r"has no owner|not someone's initials|lists more owners"), "owner missing"),
    (re.compile(r"next meeting"), "next meeting"),
    (re.compile(r"meeting's date|item numbers carry"), "meeting date"),
    (re.compile(r"previous meeting's action|Action Updates"), "update"),
    (re.compile(r"two members have the initials|share the initials"), "initials"),
    (re.compile(r"record no actions"), "no actions"),
    (re.compile(r"matched no action|not in the database"), "update unmatched"),
    (re.compile(r"it was left closed"), "update"),
)


def doubts_for(warnings: Sequence[str], read: Sequence[Doubt]) -> list[Doubt]:
    """One structured doubt per warning, in the warnings' order: the reader's own where it has
    one, otherwise classified from the import's wording."""
    by_message = {doubt.message: doubt for doubt in read}
    result = []
    for warning in warnings:
        doubt = by_message.get(warning)
        if doubt is None:
            kind = next((k for pattern, k in _IMPORT_DOUBTS if pattern.search(warning)), "other")
            doubt = Doubt(kind, kind, warning, "", CERTAIN)
        result.append(doubt)
    return result


def _note(report: ImportReport, bucket: str, text: str) -> None:
    getattr(report, bucket).append(text)


def _upsert_meeting(ctx: Ctx, minutes: Minutes, report: ImportReport) -> Meeting:
    assert minutes.meeting_date is not None
    meeting = queries.meeting_on(ctx.session, ctx.board, minutes.meeting_date)
    created = meeting is None
    if meeting is None:
        meeting = Meeting(board_id=ctx.board.id, date=minutes.meeting_date, created_at=ctx.now)
        ctx.session.add(meeting)
    wanted = {
        "time": minutes.meeting_time,
        "venue": minutes.venue,
        "protective_marking": minutes.protective_marking,
        "chair_name": minutes.chair.name if minutes.chair else None,
        "notes_taker_name": minutes.notes_taker.name if minutes.notes_taker else None,
        "status": MeetingStatus.HELD,
    }
    said = _what_changed(meeting, wanted)
    changed = _fill(meeting, wanted)
    _remember_minutes(ctx, meeting, minutes)
    ctx.session.flush()
    if created:
        record(ctx, EventKind.MEETING_ADDED, meeting=meeting)
        _note(report, "created", f"meeting {meeting.date}")
    elif changed:
        details = {k: str(v) for k, v in changed.items()}
        record(ctx, EventKind.MEETING_CHANGED, meeting=meeting, details=details)
        _note(report, "changed", f"meeting {meeting.date}: {said}")
    else:
        _note(report, "unchanged", f"meeting {meeting.date}")
    _name_a_fresh_board(ctx, minutes.board_name)
    ctx.session.flush()
    return meeting


def _name_a_fresh_board(ctx: Ctx, title: str | None) -> None:
    """The only board, still called by the default name, takes the minutes' name. Its short
    code stays: people may have typed it already (``CRB_BOARD``), and a code that changed
    behind them would refuse what worked. With several boards, names are the operator's."""
    board = ctx.board
    if not title or board.name != queries.DEFAULT_BOARD_NAME:
        return
    if len(queries.boards(ctx.session)) > 1:
        return
    board.name = title
    record(ctx, EventKind.BOARD_CHANGED, details={"name": title})


def _propose_chair(ctx: Ctx, minutes: Minutes, meeting: Meeting, report: ImportReport) -> None:
    """Minutes of the latest meeting that name another chair propose handing the chair over."""
    if minutes.chair is None:
        return
    named = next(
        (m for m in report.members if m.name.casefold() == minutes.chair.name.casefold()), None
    )
    chairs = [m for m in queries.officers(ctx.session, ctx.board) if m.role == Role.CHAIR]
    if named is None or not chairs or chairs[0].id == named.id or not named.active:
        return
    later = [
        m
        for m in queries.meetings(ctx.session, ctx.board)
        if m.date > meeting.date and m.minutes_imported_at is not None
    ]
    if later:  # older minutes name the chair of their day, not today's
        return
    chair = chairs[0]
    report.proposals.append(ChairHandover(named.initials, named.name, chair.initials, chair.name))
    report.warnings.append(
        f"The minutes name {named.name} as chair, but the board's chair is {chair.name} "
        f"({chair.initials}), who still gets the chair's digests. To hand the chair over: "
        f"crb member role {named.initials} chair (on the web desk: Members, {named.name}, "
        "Change role)."
    )


def _follow_marking(ctx: Ctx, minutes: Minutes, meeting: Meeting, report: ImportReport) -> None:
    was = ctx.board.marking
    if marking_from_minutes(ctx, minutes.protective_marking, meeting):
        _note(report, "changed", f"board marking {_shown(was)} → {ctx.board.marking}")


def _remember_minutes(ctx: Ctx, meeting: Meeting, minutes: Minutes) -> None:
    """Which minutes were last imported for the meeting, and when: a re-import of the same
    minutes keeps the first time, different minutes record theirs."""
    fingerprint = minutes.fingerprint()
    if meeting.minutes_digest != fingerprint:
        meeting.minutes_digest = fingerprint
        meeting.minutes_imported_at = ctx.now


def _fill(meeting: Meeting, wanted: dict[str, object]) -> dict[str, object]:
    """Set what the minutes say where the meeting differs; return the fields that changed."""
    changed = {}
    for name, value in wanted.items():
        if value is not None and getattr(meeting, name) != value:
            changed[name] = value
            setattr(meeting, name, value)
    return changed


def _what_changed(meeting: Meeting, wanted: dict[str, object]) -> str:
    """ "venue Zoom → Hindlip Hall, status tentative → held": said before :func:`_fill`."""
    return "; ".join(
        f"{name.replace('_', ' ')} {_shown(getattr(meeting, name))} → {_shown(value)}"
        for name, value in wanted.items()
        if value is not None and getattr(meeting, name) != value
    )


def _shown(value: object) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, time):
        return f"{value:%H:%M}"
    return str(value)


def _people(minutes: Minutes) -> list[tuple[Person, Role]]:
    """Everyone the minutes name, once each, with the role a new member would get."""
    seen: dict[str, tuple[Person, Role]] = {}
    for person in minutes.people:
        seen.setdefault(person.name.casefold(), (person, Role.MEMBER))
    for person, role in ((minutes.chair, Role.CHAIR), (minutes.notes_taker, Role.SECRETARIAT)):
        if person is not None:
            known = seen.get(person.name.casefold())
            seen[person.name.casefold()] = (known[0] if known else person, role)
    return list(seen.values())


def _upsert_people(ctx: Ctx, minutes: Minutes, report: ImportReport) -> list[Member]:
    existing = {m.name.casefold(): m for m in queries.members(ctx.session, ctx.board)}
    newcomers = [(p, r) for p, r in _people(minutes) if p.name.casefold() not in existing]
    taken: dict[str, list[str]] = defaultdict(list)
    for member in existing.values():
        taken[member.initials].append(member.name)
    for person, _role in newcomers:
        taken[_initials_of(person)].append(person.name)
    result = []
    for person, role in _people(minutes):
        member = existing.get(person.name.casefold())
        if member is None:
            member = _add_person(ctx, person, role, taken, report)
        elif member.capacity is None and person.capacity:
            member.capacity = person.capacity
            record(
                ctx, EventKind.MEMBER_CHANGED, member=member, details={"capacity": person.capacity}
            )
            _note(report, "changed", f"member {member.initials}: capacity {person.capacity}")
        else:
            _note(report, "unchanged", f"member {member.initials}")
        result.append(member)
    return result


def _add_person(
    ctx: Ctx, person: Person, role: Role, taken: dict[str, list[str]], report: ImportReport
) -> Member:
    initials = _initials_of(person)
    if len(taken[initials]) > 1:
        handle = longer_initials(person.name)
        others = " and ".join(n for n in taken[initials])
        report.warnings.append(
            f"{others} share the initials {initials}: {person.name} is {handle}. "
            f"An action owned by {initials} can't be given to either; check it by hand."
        )
        initials = handle
    chair = role == Role.CHAIR and any(
        m.role == Role.CHAIR for m in queries.officers(ctx.session, ctx.board)
    )
    member = add_member(
        ctx, initials, person.name, role=Role.MEMBER if chair else role, capacity=person.capacity
    )
    _note(report, "created", f"member {initials} {person.name} ({member.role})")
    return member


def _initials_of(person: Person) -> str:
    """The initials the minutes wrote for the person (authoritative), or derived as always."""
    return person.initials or derive_initials(person.name)


def _initials_index(ctx: Ctx, report: ImportReport) -> dict[str, Member | None]:
    return owner_index(ctx)


def owner_index(ctx: Ctx) -> dict[str, Member | None]:
    """Initials -> member, as the import gives actions their owners; None marks initials that
    two people share (an ambiguous owner)."""
    index: dict[str, Member | None] = {}
    for member in queries.members(ctx.session, ctx.board):
        index[member.initials] = member
        base = derive_initials(member.name)
        if base != member.initials:
            index[base] = None if base in index and index[base] is not member else member
    return index


def _normal(text: str) -> str:
    return " ".join(text.casefold().split())


def _upsert_actions(
    ctx: Ctx,
    minutes: Minutes,
    meeting: Meeting,
    by_initials: dict[str, Member | None],
    report: ImportReport,
) -> list[Action]:
    known = {(a.item, _normal(a.text)): a for a in meeting.actions}
    last = ctx.session.scalar(
        select(func.max(Action.position)).where(Action.meeting_id == meeting.id)
    )
    position = last or 0
    result = []
    for minuted in minutes.actions:
        ref = format_ref(minuted.item, minuted.owners)
        owners = _resolve_owners(minuted.owners, ref, by_initials, report)
        action = known.get((minuted.item, _normal(minuted.text)))
        if action is None:
            position += 1
            action = Action(
                board_id=ctx.board.id,
                meeting=meeting,
                item=minuted.item,
                position=position,
                text=minuted.text,
                closed_session=minuted.closed_session,
                created_at=ctx.now,
            )
            action.owner_links = [ActionOwner(member=m, position=n) for n, m in enumerate(owners)]
            ctx.session.add(action)
            ctx.session.flush()
            record(ctx, EventKind.IMPORTED, action=action, meeting=meeting, details={"ref": ref})
            _note(report, "created", f"action {ref}: {minuted.text}")
        elif owners and [m.id for m in action.owners] != [m.id for m in owners]:
            before = action.owner_initials
            action.owner_links.clear()
            ctx.session.flush()
            action.owner_links = [ActionOwner(member=m, position=n) for n, m in enumerate(owners)]
            record(ctx, EventKind.REASSIGNED, action=action, details={"from": before, "to": ref})
            _note(report, "changed", f"action {ref}: owners were {'/'.join(before) or 'none'}")
        else:
            _note(report, "unchanged", f"action {ref}")
        result.append(action)
    if not minutes.actions and not any(d.kind == "no actions" for d in minutes.doubts):
        report.warnings.append("These minutes record no actions.")
    return result


def _resolve_owners(
    initials: tuple[str, ...],
    ref: str,
    by_initials: dict[str, Member | None],
    report: ImportReport,
) -> list[Member]:
    owners = []
    for each in initials:
        member = by_initials.get(each)
        if member is not None:
            owners.append(member)
        elif each in by_initials:
            report.warnings.append(
                f"Action {ref}: two members have the initials {each}; owner left unset."
            )
        else:
            report.warnings.append(f"Action {ref}: the initials {each} match no member.")
    return owners


def _apply_previous_updates(
    ctx: Ctx, minutes: Minutes, meeting: Meeting, report: ImportReport
) -> None:
    if not minutes.previous_updates:
        return
    previous = (
        queries.meeting_on(ctx.session, ctx.board, minutes.previous_meeting_date)
        if minutes.previous_meeting_date
        else _meeting_before(ctx, meeting)
    )
    if previous is None:
        when = (
            f"{minutes.previous_meeting_date:%-d %B %Y}" if minutes.previous_meeting_date else "?"
        )
        report.warnings.append(
            f"The minutes report {len(minutes.previous_updates)} updates on actions from the "
            f"meeting of {when}, which is not in the database; they were not applied."
        )
        return
    matches = match_updates(reported_on(ctx, previous), minutes.previous_updates)
    for update in minutes.previous_updates:
        action = matches.get(update.label)
        if action is None:
            report.warnings.append(
                f"Update {update.label}. “{update.text}” matched no action of "
                f"{previous.date:%-d %B %Y}; apply it by hand."
            )
        else:
            _apply_update(ctx, action, update, meeting, report)


def reported_on(ctx: Ctx, previous: Meeting) -> list[Action]:
    """The actions the previous meeting's item 02 may report on: those raised at it, and those
    raised earlier and still open when it started, as the paper for it lists them. An action
    carried over from an older meeting is reported on again at every meeting until it is done."""
    start = started(ctx.board, previous)
    return [
        action
        for action in queries.actions(ctx.session, ctx.board)
        if action.meeting_id == previous.id
        or (
            action.meeting.date < previous.date
            and (action.status == ActionStatus.OPEN or (action.done_at or start) >= start)
        )
    ]


# "CR to ...", "DP/RT will ...": the owners' initials that open an action's text. An update
# restates the action without them ("Co-ordinate discussion of ..."), so they are left out.
_OWNER_OPENING = re.compile(
    r"^\s*(?P<who>[A-Za-z]{1,4}(?:\s*/\s*[A-Za-z]{1,4})*)\s+(?:is\s+to|are\s+to|to|will)\s+"
)


def without_owner_opening(text: str, owners: Sequence[str]) -> str:
    """ "CR to co-ordinate discussion ..." -> "co-ordinate discussion ...", when CR is an owner.

    Only the owners' own initials are taken off, so "Data will be shared" keeps its subject.
    """
    match = _OWNER_OPENING.match(text)
    if match is None:
        return text
    named = {part.strip().upper() for part in match["who"].split("/")}
    return text[match.end() :] if named <= {o.upper() for o in owners} else text


# A middle part that names no one: "agenda item 3", "see item 5", "TBC", "n/a".
_NOT_A_PERSON = re.compile(r"\bagenda\s+item|\bitem\s+[0-9]|\bsee\s|\btbc\b|\bn/?a\b", re.I)
_RAG = re.compile(r"\b(?:red|amber|green)\b", re.I)
_JOINT_NAMES = re.compile(r"\s*(?:/|,|&|\band\b)\s*", re.I)
OWNER_AGREES, OWNER_DIFFERS = 0.25, -0.15


def match_updates(
    candidates: Sequence[Action], updates: Sequence[ActionUpdate]
) -> dict[str, Action]:
    """Each update's action (by label), matched by text and owner, one action per update.

    The owner in an update's middle part ("– CR –", "– Claire Richardson –") counts for the
    action it names and against others. The best-scoring pairs are taken first, so two updates
    never claim the same action; an update whose best score is too low matches nothing.
    """
    scored = sorted(
        (
            (_score(update, action), n, update.label, action)
            for n, update in enumerate(updates)
            for action in candidates
        ),
        key=lambda entry: (-entry[0], entry[1], entry[3].position),
    )
    matched: dict[str, Action] = {}
    taken: set[int] = set()
    for score, _n, label, action in scored:
        if score < MATCH_THRESHOLD:
            break
        if label in matched or action.id in taken:
            continue
        matched[label] = action
        taken.add(action.id)
    return matched


def _score(update: ActionUpdate, action: Action) -> float:
    text = _normal(without_owner_opening(action.text, action.owner_initials)).rstrip(".")
    similarity = SequenceMatcher(None, _normal(update.text).rstrip("."), text).ratio()
    return similarity + _owner_agreement(update.detail, action)


def _owner_agreement(detail: str | None, action: Action) -> float:
    if not detail or _NOT_A_PERSON.search(detail):
        return 0.0
    # "Damian Pettit and Rachael Thorold", "DP/RT": any one of the owners named will do.
    for named in filter(None, map(_normal, _JOINT_NAMES.split(detail))):
        for owner in action.owners:
            if named in (_normal(owner.name), owner.initials.casefold()):
                return OWNER_AGREES
            if named.upper() == derive_initials(owner.name):
                return OWNER_AGREES
    return OWNER_DIFFERS if action.owners else 0.0


def _meeting_before(ctx: Ctx, meeting: Meeting) -> Meeting | None:
    """The board's last meeting before this one that has actions: where updates that don't
    name their meeting ("RHL is to clarify ... Update 18.01.22 – Complete") look."""
    return ctx.session.scalars(
        select(Meeting)
        .where(Meeting.board_id == ctx.board.id, Meeting.date < meeting.date)
        .where(Meeting.actions.any())
        .order_by(Meeting.date.desc())
        .limit(1)
    ).first()


def _apply_update(
    ctx: Ctx, action: Action, update: ActionUpdate, meeting: Meeting, report: ImportReport
) -> None:
    ref = format_ref(action.item, action.owner_initials)
    where = f"action {ref} of {action.meeting.date}"
    # The paper's own furniture never becomes an update: "no update received", "(updated …)".
    words = words_of(update.note)
    if update.done and _recorded_from(
        ctx, action, meeting, update.status, EventKind.STATUS_FROM_MINUTES
    ):
        _note(report, "unchanged", where)  # closed by these minutes before, and reopened since
    elif update.done and action.status == ActionStatus.OPEN:
        action.status = ActionStatus.DONE
        action.done_at = meeting_start(meeting.date, meeting.time, ctx.board.timezone)
        record(
            ctx, EventKind.STATUS_FROM_MINUTES, action=action, meeting=meeting, note=update.status
        )
        if words:  # the commentary after "Complete" becomes the action's latest update
            record(ctx, EventKind.NOTE, action=action, meeting=meeting, note=words)
        _note(report, "changed", f"{where}: open → {update.status} (update {update.label}.)")
    elif not update.done and action.status == ActionStatus.DONE:
        if not _closed_since(ctx, action, meeting):  # open at the meeting, closed after: no news
            closed = f"{action.done_at:%-d %B %Y}" if action.done_at else "earlier"
            report.warnings.append(
                f"Update {update.label}. says {ref} is “{update.status or 'not done'}”, but it "
                f"was closed on {closed}; it was left closed: reopen it if it isn't done."
            )
        _note(report, "unchanged", where)
    elif not update.done and update.status:
        _apply_progress(ctx, action, update, words, meeting, report, where)
    else:
        _note(report, "unchanged", where)


def _closed_since(ctx: Ctx, action: Action, meeting: Meeting) -> bool:
    return action.done_at is not None and action.done_at > started(ctx.board, meeting)


def _apply_progress(
    ctx: Ctx,
    action: Action,
    update: ActionUpdate,
    words: str | None,
    meeting: Meeting,
    report: ImportReport,
    where: str,
) -> None:
    """An open action reported as still open: its words, or its status, as an update, unless
    the board has it already (the paper's own line read back, or these minutes imported before)."""
    said = words or update.status
    found = _RAG.search(update.status)
    rag = Rag(found[0].lower()) if found else None
    known = latest_update(
        events_of(ctx.session, [action.id], WORD_KINDS)[action.id],
        Clock(ctx.session, ctx.board),
        ctx.now,
        still_open=True,
    )
    if words is None:  # "Ongoing, amber" alone: a rating, new only if it differs
        repeated = rag is not None and known is not None and known.rag == rag
    else:
        repeated = known is not None and same_words(known.event.note, words)
        repeated = repeated and rag in (None, known.rag if known else None)
    if repeated or _recorded_from(ctx, action, meeting, said):
        _note(report, "unchanged", where)
        return
    record(ctx, EventKind.NOTE, action=action, meeting=meeting, note=said, rag=rag)
    _note(report, "changed", f"{where}: update “{said}” (update {update.label}.)")


def _recorded_from(
    ctx: Ctx, action: Action, meeting: Meeting, said: str, kind: EventKind = EventKind.NOTE
) -> bool:
    """These minutes already gave this update: re-importing them must not give it again, even
    when the owner has written a newer update, or reopened the action, since."""
    found = ctx.session.scalar(
        select(AuditEvent.id)
        .where(
            AuditEvent.action_id == action.id,
            AuditEvent.meeting_id == meeting.id,
            AuditEvent.kind == kind,
            AuditEvent.note == said,
        )
        .limit(1)
    )
    return found is not None


def _upsert_next_meeting(ctx: Ctx, minutes: Minutes, report: ImportReport) -> Meeting | None:
    upcoming = minutes.next_meeting
    if upcoming is None:
        report.warnings.append("These minutes give no date for the next meeting.")
        return None
    meeting = queries.meeting_on(ctx.session, ctx.board, upcoming.date)
    status = MeetingStatus.TENTATIVE if upcoming.tentative else MeetingStatus.SCHEDULED
    if meeting is None:
        meeting, _created = add_meeting(
            ctx, upcoming.date, upcoming.time, upcoming.venue, status=status
        )
        _note(report, "created", f"meeting {upcoming.date} (next meeting)")
        return meeting
    wanted = {"time": upcoming.time, "venue": meeting.venue or upcoming.venue}
    said = _what_changed(meeting, wanted)
    changed = _fill(meeting, wanted)
    if changed:
        record(
            ctx,
            EventKind.MEETING_CHANGED,
            meeting=meeting,
            details={k: str(v) for k, v in changed.items()},
        )
        _note(report, "changed", f"meeting {upcoming.date}: {said}")
    else:
        _note(report, "unchanged", f"meeting {upcoming.date}")
    return meeting
