"""Minutes checked before they are imported: the web desk's upload, preview, fixes and import.

The secretariat uploads a file; it is kept in ``pending_imports`` (as minutes sent in chat are),
so nothing is lost between the preview and the import. The preview is the real import with the
secretariat's fixes, rolled back: what would be created, changed and left alone, every warning,
and a question for each thing the secretariat can settle there:

- an action with no owner, or whose initials match no member: give it owners;
- initials that match no member (or two): map them to a member, or add the member they stand for;
- an action that isn't one: drop it;
- a chair named in the minutes who is not the board's chair: hand the chair over.

Importing runs the same import with the same fixes. It applies only if it does exactly what the
preview showed (the preview's lines travel with the form); otherwise nothing changes and the
answer says what is different now, so the secretariat can look again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy import select, update

from db import queries
from db.models import Action, Member, PendingImport, PendingImportStatus, Role
from handlers.context import Ctx
from handlers.errors import NotFound, UserError
from handlers.members import add_member, check_initials
from handlers.minutes.importer import ChairHandover, import_minutes, owner_index
from handlers.minutes.model import Minutes
from handlers.refs import format_ref
from handlers.reply import Reply, Section, Tone
from handlers.roster import change_role
from handlers.uploads import UPLOAD_LIFETIME, keep_upload, require_importer

# What an action of the minutes becomes in the import.
CREATED, CHANGED, UNCHANGED, DROPPED = "created", "changed", "unchanged", "dropped"


@dataclass(frozen=True)
class NewMember:
    """A member to add before importing, for initials the minutes use that match no one."""

    initials: str
    name: str
    capacity: str | None = None


@dataclass(frozen=True)
class Fixes:
    """The secretariat's answers to the preview's questions. Actions are numbered from 1 in the
    order the minutes give them (the preview's numbers)."""

    owners: Mapping[int, tuple[str, ...]] = field(default_factory=dict)  # action -> initials
    initials: Mapping[str, str] = field(default_factory=dict)  # as minuted -> a member's
    new_members: tuple[NewMember, ...] = ()
    dropped: frozenset[int] = frozenset()
    accept_chair: bool = False


NO_FIXES = Fixes()
_QUOTED = re.compile(r"“([^”]+)”")


def _quotes(text: str, quoted: str) -> bool:
    """Whether a warning's quotation ``quoted`` is ``text``, whole or shortened with "…"."""
    if quoted.endswith("…"):
        return len(quoted) > 10 and text.startswith(quoted[:-1].rstrip())
    return text == quoted


@dataclass(frozen=True)
class MinutedAction:
    """One action of the minutes, as this import would take it."""

    number: int
    item: str
    text: str
    minuted: tuple[str, ...]  # the owners' initials as the minutes write them
    owners: tuple[str, ...]  # the members it would belong to
    unresolved: tuple[str, ...]  # initials (after fixes) that match no member, or two
    ref: str  # its REF once imported ("03-?" with no owner)
    outcome: str  # CREATED, CHANGED, UNCHANGED or DROPPED
    closed_session: bool = False

    @property
    def needs_owner(self) -> bool:
        return self.outcome != DROPPED and not self.owners


@dataclass(frozen=True)
class InitialsQuestion:
    """Initials the minutes use that match no member (or two): who are they?"""

    initials: str
    actions: tuple[int, ...]  # the numbers of the actions that use them
    ambiguous: bool  # two members share them
    mapped_to: str | None  # the member's initials the secretariat chose
    new_member: NewMember | None  # or the member the secretariat is adding for them


@dataclass(frozen=True)
class ChairProposal:
    """The minutes name a chair who is not the board's chair."""

    name: str
    initials: str | None  # the member they are (or that the import makes them)
    current: tuple[str, ...]  # the board's chair now: "Andy Champness (AC)"
    accepted: bool


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class ImportPreview:
    upload_id: int
    filename: str
    meeting: date
    actions: tuple[MinutedAction, ...]
    created: tuple[str, ...]
    changed: tuple[str, ...]
    unchanged: tuple[str, ...]
    warnings: tuple[str, ...]
    initials: tuple[InitialsQuestion, ...]
    chair: ChairProposal | None
    members: tuple[Choice, ...]  # who an action may be given to (those the import adds too)
    fixes: Fixes

    @property
    def changes_anything(self) -> bool:
        return bool(self.created or self.changed)

    @property
    def settled(self) -> tuple[str, ...]:
        """Warnings the secretariat's answers have dealt with: the reader's doubts about an
        action that has since been given its owners, or left out (a warning names its action by
        quoting its text, perhaps shortened: "“circulate the plan to…”"), and the proposed
        chair handover, once accepted."""
        answered = [a.text for a in self.actions if self._answered(a)]
        handed_over = self.chair is not None and self.chair.accepted
        chair = f"The minutes name {self.chair.name} as chair" if self.chair else "\0"
        return tuple(
            warning
            for warning in self.warnings
            if (handed_over and warning.startswith(chair))
            or any(
                _quotes(text, quoted) for quoted in _QUOTED.findall(warning) for text in answered
            )
        )

    def _answered(self, action: MinutedAction) -> bool:
        if action.outcome == DROPPED:
            return True
        if not action.owners or action.unresolved:
            return False
        given = {*self.fixes.initials, *(new.initials.upper() for new in self.fixes.new_members)}
        return action.number in self.fixes.owners or bool(given & set(action.minuted))

    @property
    def open_warnings(self) -> tuple[str, ...]:
        return tuple(w for w in self.warnings if w not in self.settled)

    @property
    def lines(self) -> tuple[str, ...]:
        """Everything the import would do, one line each: what the import form carries back,
        so that "Import" applies this and nothing else."""
        return (
            *(f"created: {line}" for line in self.created),
            *(f"changed: {line}" for line in self.changed),
            *(f"unchanged: {line}" for line in self.unchanged),
            *(f"action {a.number}: {a.outcome} as {a.ref}: {a.text}" for a in self.actions),
            *(f"warning: {line}" for line in self.warnings),
        )


@dataclass(frozen=True)
class Waiting:
    """An upload not yet imported or cancelled."""

    id: int
    filename: str
    uploaded_by: str
    uploaded_at: datetime


# ---------------------------------------------------------------- the use-cases


def waiting(ctx: Ctx) -> tuple[Waiting, ...]:
    """Uploads still waiting for their import (chat's and the web's), newest first."""
    require_importer(ctx)
    uploads = ctx.session.scalars(
        select(PendingImport)
        .where(
            PendingImport.board_id == ctx.board.id,
            PendingImport.status == PendingImportStatus.PENDING,
            PendingImport.created_at > ctx.now - UPLOAD_LIFETIME,
        )
        .order_by(PendingImport.created_at.desc(), PendingImport.id.desc())
    ).all()
    names = {m.id: f"{m.name} ({m.initials})" for m in queries.members(ctx.session, ctx.board)}
    return tuple(
        Waiting(u.id, u.filename, names.get(u.uploaded_by_id or 0, "someone"), u.created_at)
        for u in uploads
    )


def receive(ctx: Ctx, filename: str, data: bytes) -> int:
    """Keep uploaded minutes for their preview (chair and secretariat); the upload's id. Minutes
    that can't be read are refused, and nothing is kept. The caller commits."""
    member = require_importer(ctx)
    from handlers.minutes.read import parse_minutes  # the Word and HTML readers: see uploads

    minutes = parse_minutes(filename, data)
    if minutes.meeting_date is None:
        raise UserError(
            f"I couldn't find the meeting's date in {filename}, so there is nothing to import."
        )
    return keep_upload(ctx, member, filename, data).id


def preview(ctx: Ctx, upload_id: int, fixes: Fixes = NO_FIXES) -> ImportPreview:
    """What importing the upload with ``fixes`` would do. It imports for real into the session:
    the caller MUST roll it back (a request that does not commit does)."""
    require_importer(ctx)
    return _import(ctx, _pending(ctx, upload_id), fixes)


@dataclass(frozen=True)
class ImportResult:
    """What "Import" did: applied (the caller commits), or nothing, because the import would no
    longer do what the preview showed."""

    applied: bool
    preview: ImportPreview  # what the import did, or would do now
    gone: tuple[str, ...] = ()  # what the preview showed that is no longer so
    new: tuple[str, ...] = ()  # what the import would now also do

    def reply(self) -> Reply:
        """The result as every adapter says it."""
        if not self.applied:
            return Reply(
                "The board has changed since your preview, so nothing was imported. "
                "Check the preview again.",
                sections=tuple(
                    Section(heading, lines=lines)
                    for heading, lines in (
                        ("The preview said, and no longer", self.gone),
                        ("Now also", self.new),
                    )
                    if lines
                ),
                tone=Tone.WARNING,
            )
        done = self.preview
        return Reply(
            f"Imported the minutes of {done.meeting:%-d %B %Y} ({done.filename})",
            lines=(f"{len(done.unchanged)} already on the board were left alone.",),
            sections=tuple(
                Section(f"{label} ({len(items)})", lines=items)
                for label, items in (
                    ("Created", done.created),
                    ("Changed", done.changed),
                    ("Warnings", done.open_warnings),
                )
                if items
            ),
            tone=Tone.SUCCESS,
            changed=True,
        )


def apply(ctx: Ctx, upload_id: int, fixes: Fixes, previewed: Sequence[str]) -> ImportResult:
    """Import the upload with ``fixes``, once, if that does exactly what ``previewed`` (the
    preview's lines) said; the caller commits when it was applied, and rolls back otherwise."""
    require_importer(ctx)
    upload = _pending(ctx, upload_id)
    result = _import(ctx, upload, fixes)
    now, before = list(result.lines), list(previewed)
    if sorted(now) != sorted(before):
        gone = tuple(line for line in before if line not in now)
        new = tuple(line for line in now if line not in before)
        return ImportResult(applied=False, preview=result, gone=gone, new=new)
    if not _claim(ctx, upload):
        raise UserError(_decided_message(upload))
    return ImportResult(applied=True, preview=result)


def cancel(ctx: Ctx, upload_id: int) -> Reply:
    """Drop an upload without importing it."""
    require_importer(ctx)
    upload = _pending(ctx, upload_id)
    if not _claim(ctx, upload, PendingImportStatus.CANCELLED):
        raise UserError(_decided_message(upload))
    return Reply(f"Cancelled: {upload.filename} was not imported.", tone=Tone.SUCCESS, changed=True)


# ---------------------------------------------------------------- the upload


def _pending(ctx: Ctx, upload_id: int) -> PendingImport:
    upload = ctx.session.get(PendingImport, upload_id)
    if upload is None or upload.board_id != ctx.board.id:
        raise NotFound(f"There is no upload {upload_id}. Upload the minutes again.")
    if upload.status != PendingImportStatus.PENDING:
        raise UserError(_decided_message(upload))
    if ctx.now - upload.created_at > UPLOAD_LIFETIME:
        hours = int(UPLOAD_LIFETIME.total_seconds() // 3600)
        raise UserError(
            f"{upload.filename} was uploaded over {hours} hours ago and has expired. "
            "Upload it again for a fresh preview."
        )
    return upload


def _decided_message(upload: PendingImport) -> str:
    verb = "imported" if upload.status == PendingImportStatus.APPLIED else "cancelled"
    when = f" at {upload.decided_at:%H:%M on %-d %b %Y} UTC" if upload.decided_at else ""
    by = upload.decided_by or "someone"
    return f"{upload.filename} was already {verb} by {by}{when}. Nothing changed."


def _claim(
    ctx: Ctx, upload: PendingImport, status: PendingImportStatus = PendingImportStatus.APPLIED
) -> bool:
    """Decide the upload only if it is still pending: two clicks can't both import it."""
    result = ctx.session.execute(
        update(PendingImport)
        .where(PendingImport.id == upload.id, PendingImport.status == PendingImportStatus.PENDING)
        .values(status=status, decided_at=ctx.now, decided_by=ctx.caller.audit_label)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount == 1


# ---------------------------------------------------------------- the import with fixes


def _import(ctx: Ctx, upload: PendingImport, fixes: Fixes) -> ImportPreview:
    from handlers.minutes.read import parse_minutes  # the Word and HTML readers: see uploads

    minutes = parse_minutes(upload.filename, upload.data)
    assert minutes.meeting_date is not None  # checked when it was received
    before = _owners_before(ctx, minutes.meeting_date)
    added = [_add_member(ctx, new) for new in fixes.new_members]
    kept = [n for n in range(1, len(minutes.actions) + 1) if n not in fixes.dropped]
    report = import_minutes(ctx, _fixed(minutes, fixes, kept))
    index = owner_index(ctx)
    chair = _chair(ctx, report.proposals, fixes.accept_chair, report.changed)
    actions = _actions(ctx, minutes, fixes, kept, report.actions, before, index)
    return ImportPreview(
        upload_id=upload.id,
        filename=upload.filename,
        meeting=minutes.meeting_date,
        actions=actions,
        created=(*(f"member {m.initials} {m.name} ({m.role})" for m in added), *report.created),
        changed=tuple(report.changed),
        unchanged=tuple(report.unchanged),
        warnings=tuple(report.warnings),
        initials=_initials_questions(minutes, fixes, kept, index),
        chair=chair,
        members=tuple(
            Choice(m.initials, f"{m.name} ({m.initials})")
            for m in queries.members(ctx.session, ctx.board)
            if m.active
        ),
        fixes=fixes,
    )


def _owners_before(ctx: Ctx, day: date) -> dict[int, tuple[int, ...]]:
    """The owners of the meeting's actions before the import: what "changed" is measured by."""
    meeting = queries.meeting_on(ctx.session, ctx.board, day)
    if meeting is None:
        return {}
    return {a.id: tuple(o.id for o in a.owners) for a in meeting.actions}


def _add_member(ctx: Ctx, new: NewMember) -> Member:
    return add_member(ctx, check_initials(new.initials), new.name, capacity=new.capacity)


def _fixed(minutes: Minutes, fixes: Fixes, kept: list[int]) -> Minutes:
    """The minutes as the secretariat corrected them: actions dropped, owners given or mapped."""
    actions = []
    for number in kept:
        action = minutes.actions[number - 1]
        given = fixes.owners.get(number)
        owners = given or tuple(fixes.initials.get(each, each) for each in action.owners)
        actions.append(replace(action, owners=tuple(owners)))
    return replace(minutes, actions=tuple(actions))


def _actions(
    ctx: Ctx,
    minutes: Minutes,
    fixes: Fixes,
    kept: list[int],
    imported: list[Action],
    before: dict[int, tuple[int, ...]],
    index: Mapping[str, Member | None],
) -> tuple[MinutedAction, ...]:
    from handlers.actions import named

    by_number = dict(zip(kept, imported, strict=True))
    result = []
    for number, minuted in enumerate(minutes.actions, start=1):
        action = by_number.get(number)
        if action is None:
            outcome, owners, ref = DROPPED, (), format_ref(minuted.item, minuted.owners)
        else:
            owners = tuple(action.owner_initials)
            ref = named(ctx, action)
            if action.id not in before:
                outcome = CREATED
            elif before[action.id] != tuple(o.id for o in action.owners):
                outcome = CHANGED
            else:
                outcome = UNCHANGED
        wanted = fixes.owners.get(number) or tuple(fixes.initials.get(i, i) for i in minuted.owners)
        result.append(
            MinutedAction(
                number=number,
                item=minuted.item,
                text=minuted.text,
                minuted=minuted.owners,
                owners=owners,
                unresolved=tuple(i for i in wanted if index.get(i) is None) if action else (),
                ref=ref,
                outcome=outcome,
                closed_session=minuted.closed_session,
            )
        )
    return tuple(result)


def _initials_questions(
    minutes: Minutes, fixes: Fixes, kept: list[int], index: Mapping[str, Member | None]
) -> tuple[InitialsQuestion, ...]:
    """Initials minuted for the kept actions (those not given owners outright) that match no
    member, or that the secretariat has already answered for."""
    created = {new.initials.strip().upper(): new for new in fixes.new_members}
    used: dict[str, list[int]] = {}
    for number in kept:
        if number in fixes.owners:
            continue
        for initials in minutes.actions[number - 1].owners:
            used.setdefault(initials, []).append(number)
    questions = []
    for initials, numbers in used.items():
        answered = initials in fixes.initials or initials in created
        if answered or index.get(initials) is None:
            questions.append(
                InitialsQuestion(
                    initials=initials,
                    actions=tuple(numbers),
                    ambiguous=initials in index and index[initials] is None,
                    mapped_to=fixes.initials.get(initials),
                    new_member=created.get(initials),
                )
            )
    return tuple(questions)


# ---------------------------------------------------------------- the chair


def _chair(
    ctx: Ctx, proposals: Sequence[ChairHandover], accept: bool, changed: list[str]
) -> ChairProposal | None:
    """The handover the import proposes (minutes naming a chair who is not the board's), made
    when the secretariat accepts it, by the same use-case as ``crb member role TO chair``."""
    if not proposals:
        return None
    proposal = proposals[0]
    if accept:
        chosen = queries.member_by_initials(ctx.session, ctx.board, proposal.to_initials)
        before = chosen.role if chosen else Role.MEMBER
        change_role(ctx, proposal.to_initials, Role.CHAIR)
        changed.append(f"member {proposal.from_initials}: role chair → member")
        changed.append(f"member {proposal.to_initials}: role {before} → chair")
    return ChairProposal(
        name=proposal.to_name,
        initials=proposal.to_initials,
        current=(f"{proposal.from_name} ({proposal.from_initials})",),
        accepted=accept,
    )
