"""What the reminders say: an owner's nudge, the officers' digest, and snoozing a nudge.

Platform-neutral: each message is a ``Reply`` that the Slack, Teams and email channels render.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import select

from db import queries
from db.models import (
    Action,
    ActionOwner,
    ActionStatus,
    AuditEvent,
    DeliveryState,
    EventKind,
    LedgerEntry,
    Meeting,
    Member,
    SnoozeChoice,
)
from db.models import Snooze as SnoozeRecord
from handlers.audit import record
from handlers.boards import board_page_path, board_prefix
from handlers.commands import Snooze
from handlers.context import Ctx
from handlers.errors import UserError
from handlers.marking import board_marking
from handlers.meetings import NextMeeting, next_meeting
from handlers.reply import About, ActionView, Button, Link, Reply, Section, Tone
from handlers.reports import by_owner
from handlers.views import action_views, buttons_for, display_refs, listed_views
from planning import plan
from planning.calendar import local_date, meeting_start, zone

SNOOZE_BUTTONS = (
    Button("Snooze 1 day", "snooze 1d"),
    Button("Snooze 3 days", "snooze 3d"),
    Button("Until next reminder", "snooze next"),
)


def snooze_buttons(ctx: Ctx, owner: Member) -> tuple[Button, ...]:
    """The nudge's snooze buttons. For someone who sits on several boards they name this
    board ("GOV snooze 1d"): a bare "snooze" could mean either board's reminder."""
    prefix = board_prefix(ctx, owner)
    return tuple(replace(button, command=prefix + button.command) for button in SNOOZE_BUTTONS)


MAX_CHANGES = 40  # a digest is read on a phone: the rest is counted, not listed


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _local(ctx: Ctx, instant: datetime, pattern: str = "%a %-d %b at %H:%M") -> str:
    return f"{instant.astimezone(zone(ctx.board.timezone)):{pattern}}"


def describe(meeting: Meeting) -> str:
    return NextMeeting(meeting.date, meeting.time, meeting.venue, meeting.status, True).describe()


def next_meeting_line(ctx: Ctx, meeting: Meeting) -> str:
    """Names the board: a person on two boards must know whose meeting a message is about."""
    return f"The next meeting of the {ctx.board.name}: {describe(meeting)}."


def _countdown(ctx: Ctx, meeting: Meeting) -> str:
    days = (meeting.date - local_date(ctx.now, ctx.board.timezone)).days
    return "tomorrow" if days == 1 else f"in {_plural(days, 'day')}"


def officers_addresses(ctx: Ctx) -> list[tuple[str, str]]:
    """Where an emailed reply should go: the secretariat and the chair, (name, email)."""
    return [(m.name, m.email) for m in queries.officers(ctx.session, ctx.board) if m.email]


def about(ctx: Ctx, meeting: Meeting, kind: str) -> About:
    return About(
        board_name=ctx.board.name,
        marking=board_marking(ctx.session, ctx.board),
        timezone=ctx.board.timezone,
        meeting_id=meeting.id,
        meeting_date=meeting.date,
        kind=kind,
        board_path=board_page_path(ctx),
    )


# ---------------------------------------------------------------- the owner's nudge


@dataclass(frozen=True)
class Nudge:
    """Whom to nudge before which meeting; ``snoozed``: the follow-up their snooze asked for."""

    owner: Member
    meeting: Meeting
    snoozed: bool = False


def nudge_replies(ctx: Ctx, nudges: Sequence[Nudge]) -> list[Reply | None]:
    """Each owner's open actions before a meeting, each with Mark done and Add update, to snooze.

    None for an owner with no open action left. The nudges are composed together: a fan-out
    reads the owners' actions, their REFs and their latest updates once for all of them, not
    once for each (a REF names its action alone among the board's open actions, whichever of
    them are shown with it).
    """
    owned = queries.open_actions_by_owner(ctx.session, ctx.board, [n.owner.id for n in nudges])
    shown = list({a.id: a for actions in owned.values() for a in actions}.values())
    # Buttons depend on who is looking: each owner's are added to their own nudge below.
    views = {
        a.id: view
        for a, view in zip(shown, listed_views(ctx, shown, with_buttons=False), strict=True)
    }
    replies: list[Reply | None] = []
    for nudge in nudges:
        mine = [
            replace(views[a.id], buttons=buttons_for(nudge.owner, a, views[a.id].ref))
            for a in owned.get(nudge.owner.id, ())
        ]
        replies.append(_nudge(ctx, nudge, mine) if mine else None)
    return replies


def _nudge(ctx: Ctx, nudge: Nudge, views: Sequence[ActionView]) -> Reply:
    count = _plural(len(views), "open action")
    title = f"Reminder: {count} for the board meeting {_countdown(ctx, nudge.meeting)}"
    lines = [next_meeting_line(ctx, nudge.meeting)]
    if nudge.snoozed:
        lines.append("You asked me to remind you again today.")
    lines.append("Mark each one done, or add an update for the board to read before it meets.")
    return Reply(
        title=title,
        lines=tuple(lines),
        sections=(Section("Your open actions", actions=tuple(views)),),
        buttons=snooze_buttons(ctx, nudge.owner),
        about=about(ctx, nudge.meeting, "nudge"),
    )


# ---------------------------------------------------------------- the officers' digest

_CHANGE_VERBS = {
    EventKind.CREATED: "added",
    EventKind.DONE: "marked done",
    EventKind.REOPENED: "reopened",
    EventKind.NOTE: "updated",
    EventKind.REASSIGNED: "reassigned",
    EventKind.TEXT_EDITED: "edited",
    EventKind.STATUS_FROM_MINUTES: "closed from the minutes",
}
_MEETING_VERBS = {EventKind.MEETING_ADDED: "added", EventKind.MEETING_CHANGED: "changed"}


def digest_reply(
    ctx: Ctx,
    meeting: Meeting,
    *,
    since: datetime,
    since_label: str,
    last_meeting: Meeting | None,
    reachable: Callable[[Member], bool],
) -> Reply:
    """Outstanding by owner, what changed, who gave no update, who could not be reached."""
    open_actions = queries.actions(ctx.session, ctx.board, status=ActionStatus.OPEN)
    views = {a.id: v for a, v in zip(open_actions, action_views(ctx, open_actions), strict=True)}
    sections = [
        Section(
            f"{owner.name} ({owner.initials}) — {len(owned)}" if owner else "No owner",
            actions=tuple(views[a.id] for a in owned),
        )
        for owner, owned in by_owner(open_actions).items()
    ]
    sections.append(
        Section(
            f"What changed since {since_label}",
            lines=tuple(changes_since(ctx, since)) or ("Nothing has changed.",),
        )
    )
    silent = owners_without_update(ctx, open_actions, last_meeting)
    if silent:
        where = f"the meeting on {last_meeting.date:%-d %B %Y}" if last_meeting else "ever"
        sections.append(
            Section(
                f"No update since {where}",
                lines=tuple(f"{m.name} ({m.initials})" for m in silent),
            )
        )
    unreached = unreachable_owners(ctx, meeting, open_actions, reachable)
    if unreached:
        sections.append(Section("Could not be reached", lines=tuple(unreached)))
    title = (
        f"Board digest: {_plural(len(open_actions), 'open action')} "
        f"before the meeting {_countdown(ctx, meeting)}"
    )
    concerning = about(ctx, meeting, "digest")
    # With several boards its path names this board, and so must the button ("outstanding GOV").
    several = concerning.board_path != "/"
    outstanding = f"outstanding {ctx.board.short}" if several else "outstanding"
    board_page = f"{ctx.links.base}{concerning.board_path}" if ctx.links else None
    return Reply(
        title=title,
        lines=(next_meeting_line(ctx, meeting),),
        sections=tuple(sections),
        buttons=(Button("Outstanding actions", outstanding),),
        tone=Tone.INFO,
        about=concerning,
        link=Link("Open the board on the web desk", board_page) if board_page else None,
    )


def changes_since(ctx: Ctx, since: datetime) -> list[str]:
    """The audit trail since ``since``, one line per change to an action or to the diary."""
    kinds = [*_CHANGE_VERBS, *_MEETING_VERBS]
    events = ctx.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.board_id == ctx.board.id,
            AuditEvent.at > since,
            AuditEvent.at <= ctx.now,
            AuditEvent.kind.in_(kinds),
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    touched = {e.action_id for e in events if e.action_id is not None}
    acted_on = ctx.session.scalars(select(Action).where(Action.id.in_(touched))).all()
    refs = display_refs(ctx.session, ctx.board, acted_on)
    meetings = {m.id: m for m in queries.meetings(ctx.session, ctx.board)}
    lines = []
    for event in events:
        when = _local(ctx, event.at, "%a %-d %b")
        if event.action_id is not None:
            line = f"{when}: {refs[event.action_id]} {_CHANGE_VERBS[event.kind]}"
        elif event.meeting_id in meetings:
            meeting = meetings[event.meeting_id]
            if event.kind == EventKind.MEETING_ADDED and meeting.date < local_date(
                event.at, ctx.board.timezone
            ):
                continue  # a past meeting recorded from its minutes is not news
            line = f"{when}: meeting of {meeting.date:%-d %b %Y}"
            line += f" {_MEETING_VERBS[event.kind]}"
            if event.details:
                line += " (" + ", ".join(f"{k} {v}" for k, v in event.details.items()) + ")"
        else:
            continue
        line += f" by {event.actor_label}"
        if event.note:
            rag = f"[{event.rag.upper()}] " if event.rag else ""
            line += f": {rag}{event.note}"
        lines.append(line)
    if len(lines) > MAX_CHANGES:
        hidden = len(lines) - MAX_CHANGES
        lines = [*lines[-MAX_CHANGES:], f"… and {_plural(hidden, 'earlier change')}."]
    return lines


def owners_without_update(
    ctx: Ctx, open_actions: Sequence[Action], last_meeting: Meeting | None
) -> list[Member]:
    """Owners of open actions with no update or closure on any of their actions since the last
    meeting. An update counts when the owner gave it, or someone who is not a fellow owner gave it
    for them (the secretariat recording what they heard); DP's note on a joint DP/RT action is
    DP's update, not RT's."""
    owners = {o.id: o for a in open_actions for o in a.owners if o.active}
    if not owners:
        return []
    since = (
        meeting_start(last_meeting.date, last_meeting.time, ctx.board.timezone)
        if last_meeting
        else None
    )
    query = (
        select(AuditEvent.actor_id, ActionOwner.member_id, AuditEvent.action_id)
        .join(ActionOwner, ActionOwner.action_id == AuditEvent.action_id)
        .where(
            AuditEvent.board_id == ctx.board.id,
            AuditEvent.kind.in_([EventKind.NOTE, EventKind.DONE]),
            AuditEvent.at <= ctx.now,
        )
    )
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    rows = ctx.session.execute(query).all()
    owners_of: dict[int, set[int]] = {}
    for _actor, member_id, action_id in rows:
        owners_of.setdefault(action_id, set()).add(member_id)
    updated = {
        member_id
        for actor_id, member_id, action_id in rows
        if actor_id == member_id or actor_id not in owners_of[action_id]
    }
    return sorted((m for mid, m in owners.items() if mid not in updated), key=lambda m: m.name)


def unreachable_owners(
    ctx: Ctx,
    meeting: Meeting,
    open_actions: Sequence[Action],
    reachable: Callable[[Member], bool],
) -> list[str]:
    owners = [o for a in open_actions for o in a.owners]
    return unreachable_lines(ctx, meeting, owners, reachable)


def unreachable_lines(
    ctx: Ctx,
    meeting: Meeting | None,
    owners: Iterable[Member],
    reachable: Callable[[Member], bool],
) -> list[str]:
    """Each active owner no channel reaches, or whose nudge for ``meeting`` failed, and why."""
    active = sorted({o.id: o for o in owners if o.active}.values(), key=lambda m: m.name)
    failed = queries.undelivered_nudges(ctx.session, meeting) if meeting is not None else {}
    lines = []
    for owner in active:
        entry = failed.get(owner.id)
        if not reachable(owner):
            lines.append(f"{owner.name} ({owner.initials}): {why_unreachable(owner)}")
        elif entry is not None and entry.state == DeliveryState.FAILED:
            lines.append(f"{owner.name} ({owner.initials}): delivery failed ({entry.last_error})")
        elif entry is not None and entry.state == DeliveryState.RETRY:
            lines.append(
                f"{owner.name} ({owner.initials}): delivery failing, still retrying "
                f"({entry.last_error})"
            )
    return lines


def why_unreachable(member: Member) -> str:
    if member.slack_id or member.teams_id or member.email:
        return "linked, but no channel configured here reaches them (Slack, Teams or SMTP)"
    return "no Slack, Teams or email is linked"


@dataclass(frozen=True)
class PlannedReminder:
    """A nudge or digest the planner will send before a meeting, and to whom."""

    at: datetime  # UTC
    kind: str  # "nudge" | "digest"
    days_before: int
    recipients: tuple[str, ...]  # initials

    @property
    def what(self) -> str:
        days = f"{self.days_before} day{'s' if self.days_before != 1 else ''}"
        return f"{self.kind}, {days} before"


def planned_reminders(ctx: Ctx, meeting_day: date, owners: Iterable[str]) -> list[PlannedReminder]:
    """Every reminder slot before the meeting on ``meeting_day``, earliest first: nudges to
    ``owners`` (the open actions' owners' initials), digests to the chair and secretariat."""
    nudged = tuple(sorted(set(owners)))
    officers = tuple(m.initials for m in queries.officers(ctx.session, ctx.board))
    return [
        PlannedReminder(
            slot.at, slot.kind, slot.days_before, nudged if slot.kind == "nudge" else officers
        )
        for slot in plan.slots_for(ctx.board, meeting_day)
    ]


# ---------------------------------------------------------------- snooze


def _last_nudge(ctx: Ctx, member: Member, meeting: Meeting) -> LedgerEntry | None:
    return ctx.session.scalars(
        select(LedgerEntry)
        .where(
            LedgerEntry.recipient_id == member.id,
            LedgerEntry.meeting_id == meeting.id,
            LedgerEntry.kind == "nudge",
            LedgerEntry.state == DeliveryState.SENT,
        )
        .order_by(LedgerEntry.sent_at.desc())
        .limit(1)
    ).first()


def snooze(ctx: Ctx, command: Snooze) -> Reply:
    """Put off the latest nudge: 1 day, 3 days, or until the next reminder day."""
    member = ctx.require_member()
    if command.choice is None:
        return Reply("Snooze your reminder for how long?", buttons=snooze_buttons(ctx, member))
    upcoming = next_meeting(ctx.session, ctx.board, ctx.now)
    meeting = upcoming.meeting if upcoming else None
    if meeting is None or _last_nudge(ctx, member, meeting) is None:
        raise UserError("You have no reminder to snooze: I haven't nudged you before this meeting.")
    return snooze_nudge(ctx, member, meeting, command.choice)


@dataclass(frozen=True)
class SnoozePlan:
    """What a snooze would do, worked out before anything is recorded."""

    until: datetime  # when the snoozed nudge may come back
    follow_up: datetime | None  # the snooze's own nudge, unless the cycle's comes first
    regular: datetime | None  # the cycle's next nudge before the meeting

    def line(self, ctx: Ctx) -> str:
        if self.follow_up is not None:
            return f"I'll remind you again on {_local(ctx, self.follow_up)}."
        assert self.regular is not None
        return f"Your next reminder comes as planned, on {_local(ctx, self.regular)}."


def plan_snooze(ctx: Ctx, meeting: Meeting, choice: SnoozeChoice) -> SnoozePlan:
    """The snooze ``choice`` before ``meeting`` at ``ctx.now``; refused when no reminder is
    left before the meeting (nothing to snooze, so nothing is claimed)."""
    fact = plan.MeetingFact.of(meeting)
    regular = plan.next_nudge_after(ctx.board, fact, ctx.now)
    starts = plan.meeting_starts(ctx.board, fact)
    if ctx.now >= starts:
        raise UserError("The meeting has started: there is no reminder left to snooze.")
    until = plan.snooze_until(ctx.board, choice, ctx.now) or (regular.at if regular else starts)
    member_id = ctx.caller.member.id if ctx.caller.member else 0
    proposed = plan.SnoozeFact(0, member_id, meeting.id, until, ctx.now)
    follow_up = plan.snooze_slot(ctx.board, fact, proposed)
    if follow_up is None and regular is None:
        raise UserError(
            "There is nothing left to snooze: that was your last reminder before the meeting on "
            f"{meeting.date:%A %-d %B}. Nothing changed."
        )
    return SnoozePlan(until, follow_up.at if follow_up else None, regular.at if regular else None)


def snooze_nudge(ctx: Ctx, member: Member, meeting: Meeting, choice: SnoozeChoice) -> Reply:
    """Record ``member``'s snooze of their nudges before ``meeting``."""
    planned = plan_snooze(ctx, meeting, choice)
    ctx.session.add(
        SnoozeRecord(
            board_id=ctx.board.id,
            member_id=member.id,
            meeting_id=meeting.id,
            choice=choice,
            until=planned.until,
            created_at=ctx.now,
        )
    )
    record(
        ctx,
        EventKind.SNOOZED,
        member=member,
        meeting=meeting,
        details={"choice": str(choice), "until": planned.until.isoformat()},
    )
    ctx.session.flush()
    return Reply("Snoozed", lines=(planned.line(ctx),), tone=Tone.SUCCESS, changed=True)
