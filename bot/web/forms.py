"""What the desk's forms share: reading fields, GOV.UK date inputs, and the one-time "done"
banner after a POST redirects (POST, redirect, GET).

The banner's text travels in a short-lived cookie, never in the URL, so that nobody can craft a
link that makes the desk say something it did not.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, time
from typing import Any
from urllib.parse import quote, unquote

from aiohttp import web

from bot.web.core import render
from handlers.errors import UserError
from handlers.plain import plain_line

FLASH_COOKIE = "crb_done"
IMPORTANT_COOKIE = "crb_important"  # something more to know about the change: a blue banner
FLASHES = (("banner", FLASH_COOKIE), ("important", IMPORTANT_COOKIE))  # (template key, cookie)


def text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return plain_line(value) if isinstance(value, str) else ""


def done(location: str, message: str, *, important: str | None = None) -> web.HTTPSeeOther:
    """A redirect after a change that shows ``message`` once on the page it lands on, and
    ``important`` (something more the person should know) in an "Important" banner."""
    redirect = web.HTTPSeeOther(location)
    for cookie, text in ((FLASH_COOKIE, message), (IMPORTANT_COOKIE, important)):
        if text:
            redirect.set_cookie(
                cookie, quote(text[:600]), httponly=True, samesite="Lax", path="/", max_age=60
            )
    return redirect


def page(
    request: web.Request,
    template: str,
    context: Mapping[str, Any],
    *,
    status: int = 200,
) -> web.Response:
    """``core.render`` with the banner from the change just made, if any (shown once)."""
    shown = dict(context)
    flashed = {key: request.cookies.get(cookie) for key, cookie in FLASHES}
    for key, value in flashed.items():
        if value:
            shown[key] = plain_line(unquote(value))
    response = render(request, template, shown, status=status)
    for key, cookie in FLASHES:
        if flashed[key]:
            response.del_cookie(cookie, path="/")
    return response


def date_from(form: Mapping[str, Any], prefix: str, what: str) -> date:
    """A GOV.UK date input's three fields (``prefix-day``, ``-month``, ``-year``) as a date."""
    parts = [text(form, f"{prefix}-{part}") for part in ("day", "month", "year")]
    if not all(parts):
        missing = [n for n, p in zip(("a day", "a month", "a year"), parts, strict=True) if not p]
        raise UserError(f"{what} must include {' and '.join(missing)}.")
    if not all(p.isdigit() for p in parts) or len(parts[2]) != 4:
        raise UserError(f"{what} must be a real date, like 24 2 2021.")
    try:
        return date(int(parts[2]), int(parts[1]), int(parts[0]))
    except ValueError as error:
        raise UserError(f"{what} must be a real date, like 24 2 2021.") from error


def time_from(form: Mapping[str, Any], name: str, what: str) -> time | None:
    """An "HH:MM" field; empty means no time."""
    value = text(form, name).replace(".", ":")
    if not value:
        return None
    try:
        return time.fromisoformat(value if len(value) > 2 else f"{value}:00")
    except ValueError as error:
        raise UserError(f"{what} must be a time like 10:00 or 14:30.") from error


def date_fields(day: date | None) -> dict[str, str]:
    """A date's values for a GOV.UK date input."""
    if day is None:
        return {"day": "", "month": "", "year": ""}
    return {"day": str(day.day), "month": str(day.month), "year": str(day.year)}
