"""What every web page uses: who is signed in, the clock, database work, rendering, CSRF.

Pages are thin adapters like the chat ones: read the form, call a use-case in ``handlers/``
through ``with_unit`` or ``run_command``, render a template. See ``bot/web/README.md``.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import aiohttp_jinja2
from aiohttp import web
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.delivery import build_channels
from bot.runtime import Runtime
from db.models import Board, Meeting, Member
from handlers import run, web_access
from handlers.commands import Command
from handlers.context import Caller, Ctx
from handlers.identity import Account, Via
from handlers.reply import Reply
from handlers.run import Who
from scheduler.channels import Channel

T = TypeVar("T")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

WEB_RUNTIME = web.AppKey("web_runtime", Runtime)
WEB_CLOCK = web.AppKey("web_clock", Callable[[], datetime])
WEB_RESOURCES = web.AppKey("web_resources", set)  # the routes the desk's middleware looks after
WEB_OIDC = web.AppKey("web_oidc", list)  # [the OpenID Connect client], once first used
WEB_SENDS = web.AppKey("web_sends", set)  # emails still being sent (finished at shutdown)
WEB_CHANNELS = web.AppKey("web_channels", list)  # [the delivery channels], once known
DESK = "crb_desk"  # request key: the ``Desk`` the middleware loaded
CSRF_SEED = "crb_csrf_seed"  # request key: a CSRF cookie value to set on the response

BOARDS_PATH = "/boards"  # "Your boards": the chooser of a person who sits on several
SESSION_COOKIE = "crb_session"
CSRF_COOKIE = "crb_csrf"
NOTICE_COOKIE = "crb_notice"  # the success message shown once on the page a POST redirects to
NOTICE_PURPOSE = "crb.notice"
CSRF_FIELD = "csrf_token"
# Every form a signed-in page renders names its board: a form left open in one tab is refused,
# not applied to another board, after the person switched board in another tab.
BOARD_FIELD = "crb_board"


@dataclass(frozen=True)
class SignedIn:
    """The member behind a web request, as pages need them (no ORM object across threads)."""

    id: int
    initials: str
    name: str
    role: str
    is_officer: bool

    @classmethod
    def of(cls, member: Member) -> SignedIn:
        return cls(member.id, member.initials, member.name, str(member.role), member.is_officer)


@dataclass(frozen=True)
class Seat:
    """One of the signed-in person's seats, as the board switcher lists it."""

    short: str
    board_name: str
    initials: str
    role: str

    @classmethod
    def of(cls, member: Member) -> Seat:
        return cls(member.board.short, member.board.name, member.initials, str(member.role))


@dataclass(frozen=True)
class Desk:
    """What every page shows: the board, its marking and who is signed in (None: nobody).

    ``board_short`` is None only before signing in, when the database holds several boards:
    then no board is shown. ``seats``: every board the person sits on (the switcher's choices).
    """

    board_name: str
    marking: str | None
    member: SignedIn | None
    board_short: str | None = None
    seats: tuple[Seat, ...] = ()


# ---------------------------------------------------------------- the marking (one place)


def board_marking(session: Session, board: Board) -> str | None:
    """The protective marking every page shows.

    The board's own marking when ``handlers.marking`` provides one; until then, the marking of
    the latest meeting whose minutes were imported, as the paper (``handlers/export.py``) has it.
    """
    try:
        from handlers.marking import board_marking as boards_own  # type: ignore[import-not-found]
    except ImportError:
        latest = session.scalars(
            select(Meeting.protective_marking)
            .where(Meeting.board_id == board.id, Meeting.minutes_imported_at.is_not(None))
            .order_by(Meeting.date.desc())
            .limit(1)
        ).first()
        return latest or None
    return boards_own(session, board)


# ---------------------------------------------------------------- who, when, keys


def now(request: web.Request) -> datetime:
    """The injected time (tests travel in time; ``crb serve`` uses the wall clock)."""
    return request.app[WEB_CLOCK]()


def desk(request: web.Request) -> Desk:
    return request[DESK]


def current_member(request: web.Request) -> SignedIn | None:
    """The signed-in member, or None."""
    found: Desk | None = request.get(DESK)
    return found.member if found else None


def runtime_of(request: web.Request) -> Runtime:
    return request.app[WEB_RUNTIME]


def signing_keys(request: web.Request) -> tuple[str, ...]:
    """The keys that sign sessions and links, newest first (``Runtime.signing_keys``)."""
    return runtime_of(request).signing_keys(now(request))


def delivery_channels(request: web.Request) -> list[Channel]:
    """The channels reminders go through (Slack, Teams, email): who can be reached."""
    known = request.app[WEB_CHANNELS]
    if not known:
        known.append(build_channels(runtime_of(request).config))
    return known[0]


def public_base(request: web.Request) -> str:
    """The base of every link: ``CRB_PUBLIC_URL``, else this server's local address.

    Never the request's own Host header: anyone can send any Host, and a sign-in link emailed
    to a member must not point at the sender's choice of site."""
    return runtime_of(request).config.link_base


def local_path(path: str) -> str:
    """``path`` if it is a page of this site, else "/": a ``next=`` never sends anyone elsewhere
    (``//evil.example``, ``/\\evil.example`` and ``https://…`` are all refused)."""
    if path.startswith("/") and not path.startswith(("//", "/\\")):
        return path
    return "/"


def absolute_url(request: web.Request, path: str, **query: str) -> str:
    url = public_base(request) + path
    return f"{url}?{urlencode(query)}" if query else url


# ---------------------------------------------------------------- access decorators


def signed_in(handler: Handler) -> Handler:
    """The page needs a signed-in member; anyone else is sent to /login (and back after)."""

    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        if current_member(request) is None:
            raise web.HTTPSeeOther(f"/login?next={quote(request.path_qs, safe='')}")
        return await handler(request)

    return guarded


def officer_only(handler: Handler) -> Handler:
    """The page is for the chair and the secretariat; other members get a friendly 403."""

    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        member = current_member(request)
        if member is None:
            raise web.HTTPSeeOther(f"/login?next={quote(request.path_qs, safe='')}")
        if not member.is_officer:
            return render(
                request,
                "problem.html",
                {
                    "title": "Only the chair and the secretariat can use this page",
                    "message": "Ask the chair or the secretariat if you need something changed.",
                },
                status=403,
            )
        return await handler(request)

    return guarded


# ---------------------------------------------------------------- database work


def web_who(request: web.Request, channel: Via | str = Via.WEB) -> Who:
    """Who a web request comes from: the signed-in member (looked up again, so a member
    deactivated a moment ago is nobody), or an anonymous visitor, through ``channel``."""
    member = current_member(request)
    if member is not None:
        return Account.member(member.id, channel)
    return Caller(None, str(Via(channel)), str(Via(channel)))


async def with_unit(
    request: web.Request, work: Callable[[Ctx], T], *, channel: Via | str = Via.WEB
) -> T:
    """Run ``work(ctx)`` on the runtime's worker threads, as the signed-in member.

    ``work`` calls ``ctx.session.commit()`` when it changed something; anything else is rolled
    back (so a ``UserError`` raised half-way changes nothing). ORM objects must not leave
    ``work``: return plain values. The audit trail records ``channel`` (``Via.WEB``).
    """
    runtime, who, at = runtime_of(request), web_who(request, channel), now(request)

    def run() -> T:
        with runtime.unit(who, at) as ctx:
            return work(ctx)

    return await runtime.run_in_thread(run)


async def run_command(
    request: web.Request, command: Command | str, *, channel: Via | str = Via.WEB
) -> Reply:
    """Run one command (``done 04-CR``, or a parsed ``Command``) as the signed-in member: the same
    use-case as chat (``handlers.run.run_command``), committed only when the reply says it
    changed the board."""
    runtime = runtime_of(request)
    return await runtime.run_in_thread(
        run.run_command, runtime.sessions, web_who(request, channel), command, now(request)
    )


async def run_use_case(
    request: web.Request, use_case: Callable[[Ctx], Reply], *, channel: Via | str = Via.WEB
) -> Reply:
    """Run a use-case (a parsed command, say) as the signed-in member through the one entry point
    (``handlers.run.run_use_case``): one transaction, committed only when the reply says it
    changed the board. A ``UserError`` raised inside rolls everything back and is raised here,
    for the page to show beside the field at fault, with the status that fits."""
    runtime = runtime_of(request)
    return await runtime.run_in_thread(
        run.run_use_case, runtime.sessions, web_who(request, channel), now(request), use_case
    )


# ---------------------------------------------------------------- CSRF


def _csrf_seed(request: web.Request) -> str:
    seed = _good_seed(request.cookies.get(CSRF_COOKIE)) or request.get(CSRF_SEED)
    if not seed:
        seed = request[CSRF_SEED] = secrets.token_urlsafe(32)
    return seed


def _good_seed(seed: str | None) -> str | None:
    """The browser's CSRF cookie, if it could be ours (a mangled one is replaced)."""
    return seed if seed and seed.isascii() and 16 <= len(seed) <= 100 else None


def _csrf_for(key: str, seed: str) -> str:
    return hmac.new(key.encode(), f"csrf|{seed}".encode(), hashlib.sha256).hexdigest()


def csrf_token(request: web.Request) -> str:
    """The token every form carries in a hidden ``csrf_token`` field (``{{ csrf_field() }}``)."""
    return _csrf_for(signing_keys(request)[0], _csrf_seed(request))


def csrf_valid(request: web.Request, form: Mapping[str, Any]) -> bool:
    seed = _good_seed(request.cookies.get(CSRF_COOKIE))
    given = form.get(CSRF_FIELD)
    if not seed or not isinstance(given, str) or not given.isascii():
        return False  # ours are ASCII; compare_digest refuses a str that is not
    return any(hmac.compare_digest(_csrf_for(k, seed), given) for k in signing_keys(request))


# ---------------------------------------------------------------- rendering


NAVIGATION: Sequence[tuple[str, str]] = (
    ("Board", "/"),
    ("Actions", "/actions"),
    ("Minutes", "/minutes"),
    ("Members", "/members"),
    ("Meetings", "/meetings"),
    ("Paper", "/paper"),
    ("Audit", "/audit"),
)


def render(
    request: web.Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
) -> web.Response:
    """A page from ``bot/web/templates``, with what base.html needs.

    ``context`` may hold ``title`` (the page's <h1> and <title>) and ``errors``: a list of
    ``(field_id, message)`` for the error summary (field_id "" when no field is at fault).
    """
    page = dict(context or {})
    page.setdefault("errors", [])
    page["errors_list"] = [
        {"text": message, **({"href": f"#{field}"} if field else {})}
        for field, message in page["errors"]
    ]
    token = csrf_token(request)
    shown: Desk | None = request.get(DESK)
    csrf_input = Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, token)
    if shown is not None and shown.member is not None:
        csrf_input += Markup('<input type="hidden" name="{}" value="{}">').format(
            BOARD_FIELD, shown.board_short
        )
    page.update(
        desk=shown,
        csrf_token=token,
        csrf_input=csrf_input,
        navigation=NAVIGATION,
        current_path=request.path,
    )
    page["notice"] = _notice(request)
    response = aiohttp_jinja2.render_template(template, request, page, status=status)
    if NOTICE_COOKIE in request.cookies:
        response.del_cookie(NOTICE_COOKIE, path="/")  # shown once
    return response


def see_other(
    request: web.Request, location: str, *, notice: str | None = None
) -> web.HTTPSeeOther:
    """Redirect after a POST (raise it); ``notice`` shows once, as a success banner, on the page
    it leads to: ``raise see_other(request, "/actions", notice="04-CR is done")``."""
    response = web.HTTPSeeOther(local_path(location))
    if notice:
        encoded = base64.urlsafe_b64encode(notice.encode()).decode().rstrip("=")
        response.set_cookie(
            NOTICE_COOKIE,
            web_access.sign(signing_keys(request), NOTICE_PURPOSE, encoded),
            httponly=True,
            samesite="Lax",
            path="/",
            max_age=300,
        )
    return response


def _notice(request: web.Request) -> str | None:
    value = request.cookies.get(NOTICE_COOKIE)
    encoded = web_access.unsign(signing_keys(request), NOTICE_PURPOSE, value) if value else None
    if encoded is None:
        return None
    try:
        return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except ValueError:
        return None


def problem(request: web.Request, title: str, message: str, *, status: int = 400) -> web.Response:
    """A friendly page that says what went wrong (and that nothing changed)."""
    return render(request, "problem.html", {"title": title, "message": message}, status=status)
