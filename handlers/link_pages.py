"""What an email link's page shows, and what pressing its button does.

Mail scanners (Microsoft Defender Safe Links and others) open every link in an email before the
person does, so opening a link (``open_link``) only reads: it shows the action and a button.
Only pressing the button (``press_link``, a POST with a CSRF token, checked by the web adapter)
changes anything, as the person the link was sent to, through the "email link" channel.

Both answer with a ``LinkPage``, plain data that the web adapter renders. Time is honest: an
action closed since the email says who closed it and when, and a snooze with no reminder left
says so; neither changes anything nor claims success.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from db import queries
from db.models import Action, ActionStatus, Meeting, Member, Rag, SnoozeChoice
from handlers.commands import Done, Note
from handlers.context import Ctx, Links
from handlers.dispatch import run
from handlers.email_links import (
    SNOOZE_CHOICES,
    ActionLinks,
    LinkClaim,
    LinkMaker,
    LinkRefused,
    Purpose,
    check,
    expiry,
    read,
)
from handlers.errors import UserError
from handlers.identity import Account, Via
from handlers.plain import plain_or_none
from handlers.refs import ActionId
from handlers.reminders import plan_snooze, snooze_nudge
from handlers.reply import ActionView, Reply, Tone
from handlers.run import unit
from handlers.views import action_views, may_change
from planning.calendar import zone

MAX_UPDATE = 2000  # characters: an update is a paragraph for the paper, not a report


@dataclass(frozen=True)
class Form:
    """The one button a page offers, and the fields it asks for first."""

    button: str  # "Mark done", "Add update", "Snooze"
    asks_rag: bool = False  # red, amber or green
    asks_text: bool = False  # the update itself
    asks_note: bool = False  # an optional closing note


@dataclass(frozen=True)
class Listed:
    """An action on the page, with the links to act on it."""

    view: ActionView
    links: ActionLinks | None


@dataclass(frozen=True)
class LinkPage:
    """What a link's page shows (the web desk adds the board's name and marking around it)."""

    person: str  # who the link was sent to
    purpose: Purpose
    title: str
    lines: tuple[str, ...] = ()
    tone: Tone = Tone.INFO
    action: ActionView | None = None  # the action the link is about
    form: Form | None = None  # None: nothing to press
    errors: tuple[tuple[str, str], ...] = ()  # (field, what to correct) before pressing again
    others: tuple[Listed, ...] = ()  # the person's other open actions, with their links
    snooze: tuple[tuple[str, str], ...] = ()  # (label, url)
    mine: str | None = None
    changed: bool = False
    values: dict[str, str] = field(default_factory=dict)  # what was typed, shown again
    board: str = ""  # the short code of the board the link is about (its page shows that board)


@dataclass(frozen=True)
class Pressed:
    """What the person sent with the button."""

    rag: str | None = None
    text: str | None = None


# ---------------------------------------------------------------- the entry points


def visit(
    sessions: sessionmaker[Session],
    links: Links,
    token: str,
    now: datetime,
    pressed: Pressed | None = None,
) -> LinkPage:
    """Open a link (``pressed`` None: reads only) or press its button, as the person the link
    was emailed to, through the "email link" channel, in one transaction that commits only when
    the board changed. A link that cannot be used raises ``LinkRefused``."""
    claim = read(links.keys, token)
    with unit(sessions, Account.member(claim.member_id, Via.EMAIL_LINK), now) as ctx:
        if pressed is None:
            page = open_link(ctx, claim, links)
        else:
            page = press_link(ctx, claim, links, pressed)
            if page.changed:
                ctx.session.commit()
        return replace(page, board=ctx.board.short)


def open_link(ctx: Ctx, claim: LinkClaim, links: Links) -> LinkPage:
    """The page a link opens: reads only, whoever (or whatever) opens it."""
    member = check(claim, ctx.caller.member, ctx.now)
    page = _Page(ctx, claim, member, links)
    if claim.purpose == Purpose.MINE:
        return page.mine()
    if claim.purpose == Purpose.SNOOZE:
        return page.snooze_question()
    action = page.action()
    if action.status != ActionStatus.OPEN:
        return page.already_closed(action)
    if claim.purpose == Purpose.DONE:
        return page.build(
            f"Mark {page.ref(action)} done?",
            lines=("Press the button to record that this action is complete.",),
            action=action,
            form=Form("Mark done", asks_note=True),
        )
    return page.build(
        f"Add an update to {page.ref(action)}",
        lines=("Your update is shown to the board and goes into the paper for the meeting.",),
        action=action,
        form=Form("Add update", asks_rag=True, asks_text=True),
    )


def press_link(ctx: Ctx, claim: LinkClaim, links: Links, pressed: Pressed) -> LinkPage:
    """The button was pressed: act as the link's person, unless time has overtaken the link."""
    member = check(claim, ctx.caller.member, ctx.now)
    page = _Page(ctx, claim, member, links)
    if claim.purpose == Purpose.MINE:
        return page.mine()
    if claim.purpose == Purpose.SNOOZE:
        return page.snooze(member)
    action = page.action()
    if action.status != ActionStatus.OPEN:
        return page.already_closed(action)
    if claim.purpose == Purpose.DONE:
        note = plain_or_none(pressed.text or "")
        return page.result(run(ctx, Done(ActionId(action.id), note)), action)
    errors, rag, text = _update_fields(pressed)
    if errors:
        return page.build(
            f"Add an update to {page.ref(action)}",
            action=action,
            form=Form("Add update", asks_rag=True, asks_text=True),
            errors=errors,
            tone=Tone.ERROR,
            values={"rag": pressed.rag or "", "text": pressed.text or ""},
        )
    assert text is not None
    return page.result(run(ctx, Note(ActionId(action.id), text, rag)), action)


def _update_fields(
    pressed: Pressed,
) -> tuple[tuple[tuple[str, str], ...], Rag | None, str | None]:
    errors = []
    rag = None
    try:
        rag = Rag((pressed.rag or "").strip().lower())
    except ValueError:
        errors.append(("rag", "Choose red, amber or green."))
    text = plain_or_none(pressed.text or "")
    if text is None:
        errors.append(("text", "Write the update: a line or two on where the action stands."))
    elif len(text) > MAX_UPDATE:
        errors.append(("text", f"Keep the update to {MAX_UPDATE} characters or fewer."))
    return tuple(errors), rag, text


# ---------------------------------------------------------------- composing the page


class _Page:
    """One page's facts: the person, their board, and the links it may offer."""

    def __init__(self, ctx: Ctx, claim: LinkClaim, member: Member, links: Links) -> None:
        self.ctx = ctx
        self.claim = claim
        self.member = member
        meeting = ctx.session.get(Meeting, claim.meeting_id)
        if meeting is None or meeting.board_id != member.board_id:
            raise LinkRefused("This link is for a meeting that is no longer on the board's diary.")
        if ctx.now >= expiry(ctx.board.timezone, meeting.date):  # the meeting moved earlier
            raise LinkRefused(
                "This link has expired: it was for a meeting that has now taken place.",
                hints=("Your next reminder will have new links.",),
            )
        self.meeting = meeting
        self.maker = LinkMaker(
            keys=links.keys,
            public_url=links.base,
            member_id=member.id,
            meeting_id=meeting.id,
            now=ctx.now,
            expires_at=claim.expires_at,
            from_nudge=claim.from_nudge,
        )
        self._views: dict[int, ActionView] = {}

    def action(self) -> Action:
        """The action the link names, when this person may still change it."""
        action = (
            self.ctx.session.get(Action, self.claim.action_id) if self.claim.action_id else None
        )
        if action is None or action.board_id != self.member.board_id:
            raise LinkRefused("This link is for an action that is no longer on the board.")
        if not may_change(self.member, action):
            raise LinkRefused(
                "This link is for an action that is not yours, so it cannot change it.",
                hints=("Only an action's owner, the chair or the secretariat can change it.",),
            )
        return action

    def view(self, action: Action) -> ActionView:
        if action.id not in self._views:
            self._views[action.id] = action_views(self.ctx, [action])[0]
        return self._views[action.id]

    def ref(self, action: Action) -> str:
        return self.view(action).ref

    def build(self, title: str, *, action: Action | None = None, **fields: object) -> LinkPage:
        return LinkPage(
            person=self.member.name,
            purpose=self.claim.purpose,
            title=title,
            action=self.view(action) if action is not None else None,
            mine=self.maker.link(Purpose.MINE),
            **fields,  # type: ignore[arg-type]
        )

    def already_closed(self, action: Action) -> LinkPage:
        view = self.view(action)
        who = action.done_by.name if action.done_by else "the minutes"
        when = _local(self.ctx, action.done_at) if action.done_at else "an earlier meeting"
        return self.build(
            f"{view.ref} is already done",
            lines=(f"It was marked done by {who} on {when}. Nothing changed.",),
            tone=Tone.WARNING,
            action=action,
            others=self.others(exclude=action.id),
            snooze=self.snooze_links(),
        )

    def result(self, reply: Reply, action: Action) -> LinkPage:
        """The page after the command ran: its outcome, and the rest of the email."""
        self._views.pop(action.id, None)  # shown as it is now, after the change
        return self.build(
            reply.title,
            lines=reply.lines,
            tone=reply.tone,
            action=action,
            others=self.others(exclude=action.id),
            snooze=self.snooze_links(),
            changed=reply.changed,
        )

    def mine(self) -> LinkPage:
        listed = self.others(exclude=None)
        count = len(listed)
        return self.build(
            "Your open actions",
            lines=(
                f"You have {count} open action{'' if count == 1 else 's'}."
                if count
                else "You have no open actions. Thank you.",
            ),
            others=listed,
            snooze=self.snooze_links(),
        )

    def snooze_question(self) -> LinkPage:
        choice = self._choice()
        try:
            planned = plan_snooze(self.ctx, self.meeting, choice)
        except UserError as nothing_left:
            return self.nothing_to_snooze(nothing_left)
        return self.build(
            f"Snooze your reminder {_snooze_label(choice)}?",
            lines=(
                "If you press the button, the reminders for your open actions pause.",
                _will(planned.line(self.ctx)),
            ),
            form=Form("Snooze"),
            others=self.others(exclude=None),
        )

    def snooze(self, member: Member) -> LinkPage:
        try:
            reply = snooze_nudge(self.ctx, member, self.meeting, self._choice())
        except UserError as nothing_left:
            return self.nothing_to_snooze(nothing_left)
        return self.build(
            "Snoozed",
            lines=reply.lines,
            tone=Tone.SUCCESS,
            others=self.others(exclude=None),
            changed=True,
        )

    def nothing_to_snooze(self, error: UserError) -> LinkPage:
        return self.build(
            "Nothing left to snooze",
            lines=(error.message,),
            tone=Tone.WARNING,
            others=self.others(exclude=None),
        )

    def _choice(self) -> SnoozeChoice:
        return self.claim.snooze or SnoozeChoice.NEXT

    def others(self, exclude: int | None) -> tuple[Listed, ...]:
        """The person's open actions (but ``exclude``), each with its links."""
        owned = queries.open_actions_by_owner(self.ctx.session, self.ctx.board, [self.member.id])
        ids = [a.id for a in owned.get(self.member.id, ()) if a.id != exclude]
        shown = [self.ctx.session.get_one(Action, each) for each in ids]
        return tuple(
            Listed(
                view,
                ActionLinks(
                    done=self.maker.link(Purpose.DONE, action_id=action.id),
                    update=self.maker.link(Purpose.UPDATE, action_id=action.id),
                ),
            )
            for action, view in zip(shown, action_views(self.ctx, shown), strict=True)
        )

    def snooze_links(self) -> tuple[tuple[str, str], ...]:
        """A nudge's links offer to snooze it; a digest's (the officers') do not."""
        if not self.claim.from_nudge:
            return ()
        return tuple(
            (label, self.maker.link(Purpose.SNOOZE, snooze=choice))
            for choice, label in SNOOZE_CHOICES
        )


def _snooze_label(choice: SnoozeChoice) -> str:
    return {
        SnoozeChoice.ONE_DAY: "for 1 day",
        SnoozeChoice.THREE_DAYS: "for 3 days",
        SnoozeChoice.NEXT: "until the next reminder",
    }[choice]


def _will(line: str) -> str:
    """ "I'll remind you again on …" as what pressing would do."""
    return line.replace("I'll remind you again on", "You will be reminded again on", 1)


def _local(ctx: Ctx, instant: datetime) -> str:
    return f"{instant.astimezone(zone(ctx.board.timezone)):%A %-d %B %Y at %H:%M}"
