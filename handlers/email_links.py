"""The signed links in an emailed nudge or digest: one press, no account.

A link's token names the person it was sent to, what it is for (mark done, add an update,
snooze, see all my actions), the action or the meeting it is about, when it was issued and when
it expires (the end of the meeting's day: after the meeting there is a new paper and new
nudges). It is signed with itsdangerous under the installation's secret keys: the newest key
signs, every listed key verifies, so a key can be rotated in without breaking the links already
sent, and dropping an old key revokes every link it signed (keys are listed newest first). One
person's links are revoked by setting their ``links_revoked_at`` (from the web desk); links
issued before it are refused.

A token is only ever read here. Whoever holds it acts as the person it names, and only on what
it names: never on another person's action, never after its meeting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from urllib.parse import quote

from itsdangerous import BadData, URLSafeSerializer
from itsdangerous.encoding import base64_decode, base64_encode

from db.models import EventKind, Member, SnoozeChoice
from handlers.audit import record
from handlers.context import Ctx
from handlers.errors import UserError
from handlers.reply import Reply
from planning.calendar import zone

SALT = "crb.email-link.v1"  # a token for anything else signed with the same key is refused here
LINK_PATH = "/e"  # the token goes in the query string, which the logs leave out


class Purpose(StrEnum):
    DONE = "done"
    UPDATE = "update"
    SNOOZE = "snooze"
    MINE = "mine"  # see all my actions


class LinkRefused(UserError):
    """A link that cannot be used: altered, expired, revoked, or not this person's to use."""


@dataclass(frozen=True)
class LinkClaim:
    """What a token says: who, for what, about which action or meeting, and for how long."""

    member_id: int
    purpose: Purpose
    meeting_id: int  # the meeting the email was about: the link dies after it
    issued_at: datetime
    expires_at: datetime
    action_id: int | None = None  # for DONE and UPDATE
    snooze: SnoozeChoice | None = None  # for SNOOZE
    from_nudge: bool = False  # sent in an owner's nudge (which can be snoozed), not a digest

    def payload(self) -> dict[str, object]:
        data: dict[str, object] = {
            "m": self.member_id,
            "p": self.purpose.value,
            "n": self.meeting_id,
            "i": int(self.issued_at.timestamp()),
            "x": int(self.expires_at.timestamp()),
        }
        if self.action_id is not None:
            data["a"] = self.action_id
        if self.snooze is not None:
            data["s"] = self.snooze.value
        if self.from_nudge:
            data["k"] = 1
        return data

    @classmethod
    def from_payload(cls, data: object) -> LinkClaim:
        if not isinstance(data, dict):
            raise ValueError("not a link")
        action = data.get("a")
        snooze = data.get("s")
        return cls(
            member_id=int(data["m"]),
            purpose=Purpose(data["p"]),
            meeting_id=int(data["n"]),
            issued_at=datetime.fromtimestamp(int(data["i"]), UTC),
            expires_at=datetime.fromtimestamp(int(data["x"]), UTC),
            action_id=int(action) if action is not None else None,
            snooze=SnoozeChoice(snooze) if snooze is not None else None,
            from_nudge=bool(data.get("k")),
        )


def _serializer(keys: Sequence[str | bytes]) -> URLSafeSerializer:
    if not keys:
        raise ValueError("email links need at least one secret key")
    # ``keys`` are newest first, as the web desk keeps them; itsdangerous signs with the last
    # of its list and accepts any.
    return URLSafeSerializer(list(reversed(keys)), salt=SALT)


def sign(keys: Sequence[str | bytes], claim: LinkClaim) -> str:
    return str(_serializer(keys).dumps(claim.payload()))


def read(keys: Sequence[str | bytes], token: str) -> LinkClaim:
    """The claim in ``token``, if one of ``keys`` signed it; its time is checked by ``check``."""
    try:
        _require_canonical(token)
        return LinkClaim.from_payload(_serializer(keys).loads(token))
    except (BadData, KeyError, ValueError, TypeError) as error:
        raise LinkRefused(
            "This link is not valid. It may have been altered or cut short, or it was signed "
            "with a key this board no longer uses.",
            hints=("Use the newest email from the board, or ask the secretariat for help.",),
        ) from error


def _require_canonical(token: str) -> None:
    """Base64 leaves spare bits in a part's last character: "…zbQ" and "…zbR" decode alike, so
    a token altered there would still verify. Only the one spelling the signer wrote is taken."""
    for part in token.split("."):
        if base64_encode(base64_decode(part)).decode("ascii") != part:
            raise ValueError("not the signer's spelling")


def expiry(board_timezone: str, meeting_date: date) -> datetime:
    """The end of the meeting's day, in the board's time zone: a link outlives its meeting
    by the rest of that day, no more."""
    tz = zone(board_timezone)
    end = datetime.combine(meeting_date + timedelta(days=1), time(0), tzinfo=tz)
    return end.astimezone(UTC)


def check(claim: LinkClaim, member: Member | None, now: datetime) -> Member:
    """The member the claim names, when the link may still be used at ``now``."""
    if member is None or member.id != claim.member_id or not member.active:
        raise LinkRefused(
            "This link belongs to someone who is no longer a member of the board.",
            hints=("Ask the secretariat if you still need to update an action.",),
        )
    if now >= claim.expires_at:
        raise LinkRefused(
            "This link has expired: it was for a meeting that has now taken place.",
            hints=("Your next reminder will have new links.",),
        )
    if member.links_revoked_at is not None and claim.issued_at <= member.links_revoked_at:
        raise LinkRefused(
            "This link has been withdrawn by the board's secretariat.",
            hints=("Your next reminder will have new links.",),
        )
    return member


def url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}{LINK_PATH}?token={quote(token, safe='')}"


def revoke_links(ctx: Ctx, member: Member) -> None:
    """Withdraw every link emailed to ``member`` until now (a forwarded email, a lost phone)."""
    member.links_revoked_at = ctx.now
    record(ctx, EventKind.MEMBER_CHANGED, member=member, details={"email_links": "revoked"})


@dataclass(frozen=True)
class LinkMaker:
    """Mints one email's links: for its recipient, about its meeting, issued at ``now``."""

    keys: Sequence[str | bytes]
    public_url: str
    member_id: int
    meeting_id: int
    now: datetime
    expires_at: datetime
    from_nudge: bool = False
    board_path: str = "/"  # the board's page on the web desk

    def link(
        self,
        purpose: Purpose,
        *,
        action_id: int | None = None,
        snooze: SnoozeChoice | None = None,
    ) -> str:
        claim = LinkClaim(
            member_id=self.member_id,
            purpose=purpose,
            meeting_id=self.meeting_id,
            issued_at=self.now,
            expires_at=self.expires_at,
            action_id=action_id,
            snooze=snooze,
            from_nudge=self.from_nudge,
        )
        return url(self.public_url, sign(self.keys, claim))


SNOOZE_CHOICES = (
    (SnoozeChoice.ONE_DAY, "1 day"),
    (SnoozeChoice.THREE_DAYS, "3 days"),
    (SnoozeChoice.NEXT, "until the next reminder"),
)


@dataclass(frozen=True)
class ActionLinks:
    done: str
    update: str


@dataclass(frozen=True)
class EmailLinks:
    """Every link one email carries: per action, to snooze (a nudge only), and to see them all."""

    actions: dict[int, ActionLinks]  # by action id
    snooze: tuple[tuple[str, str], ...]  # (label, url)
    mine: str | None
    expires_at: datetime | None
    board: str | None = None  # a digest's link to the web desk's board page (signing in)

    @classmethod
    def none(cls) -> EmailLinks:
        """For a message about no meeting: nothing to press, so no links at all."""
        return cls({}, (), None, None)


def links_for(reply: Reply, maker: LinkMaker) -> EmailLinks:
    """The links for the actions ``reply`` shows that its reader may change (those with
    buttons), snooze links when it is a nudge, and the reader's own list."""
    per_action = {
        view.action_id: ActionLinks(
            done=maker.link(Purpose.DONE, action_id=view.action_id),
            update=maker.link(Purpose.UPDATE, action_id=view.action_id),
        )
        for view in reply.actions
        if view.action_id is not None and view.buttons and view.status == "open"
    }
    snooze: tuple[tuple[str, str], ...] = ()
    if maker.from_nudge:
        snooze = tuple(
            (label, maker.link(Purpose.SNOOZE, snooze=choice)) for choice, label in SNOOZE_CHOICES
        )
    board = None if maker.from_nudge else f"{maker.public_url.rstrip('/')}{maker.board_path}"
    return EmailLinks(per_action, snooze, maker.link(Purpose.MINE), maker.expires_at, board)
