"""The Meetings pages: the diary (add, change the time and venue, move, cancel, restore) and the
board's settings (when it meets, when owners are reminded). The chair and the secretariat only;
every change is a use-case in handlers/diary and handlers/settings.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from aiohttp import web

from bot.web.core import officer_only, runtime_of, with_unit
from bot.web.forms import date_fields, date_from, done, page, text, time_from
from handlers import diary, settings
from handlers.errors import UserError
from handlers.settings import ORDINALS, Cadence

routes = web.RouteTableDef()

MONTHS = [(n, calendar.month_name[n]) for n in range(1, 13)]
WEEKDAYS = [(n, calendar.day_name[n]) for n in range(7)]


def day_of(request: web.Request) -> date:
    try:
        return date.fromisoformat(request.match_info["day"])
    except ValueError as error:
        raise web.HTTPNotFound() from error


def path_of(day: date) -> str:
    return f"/meetings/{day.isoformat()}"


async def commit(request: web.Request, work: Callable[[Any], Any]) -> Any:
    def run(ctx: Any) -> Any:
        result = work(ctx)
        ctx.session.commit()
        return result

    return await with_unit(request, run)


def when(day: date) -> str:
    return f"{day:%A %-d %B %Y}"


# ---------------------------------------------------------------- the diary


@routes.get("/meetings")
@officer_only
async def meetings_page(request: web.Request) -> web.StreamResponse:
    def read(ctx: Any) -> tuple[list[diary.MeetingRow], settings.SettingsView]:
        return diary.meeting_rows(ctx), settings.board_settings(ctx)

    rows, board = await with_unit(request, read)
    return page(request, "meetings.html", {"title": "Meetings", "rows": rows, "settings": board})


@routes.get("/meetings/new")
@officer_only
async def new_form(request: web.Request) -> web.StreamResponse:
    return page(
        request,
        "meeting_new.html",
        {"title": "Add a meeting", "form": {}, "day": date_fields(None)},
    )


@routes.post("/meetings/new")
@officer_only
async def new(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    errors, day, start = [], None, None
    try:
        day = date_from(form, "date", "The date")
    except UserError as error:
        errors.append(("date-day", error.message))
    try:
        start = time_from(form, "time", "The start time")
    except UserError as error:
        errors.append(("time", error.message))
    if not errors and day is not None:
        chosen = day
        try:
            _meeting, created = await commit(
                request, lambda ctx: diary.new_meeting(ctx, chosen, start, text(form, "venue"))
            )
        except UserError as error:
            errors.append(("date-day", error.message))
        else:
            what = "Added" if created else "Confirmed"
            raise done("/meetings", f"{what} the meeting on {when(chosen)}.")
    fields = {part: text(form, f"date-{part}") for part in ("day", "month", "year")}
    return page(
        request,
        "meeting_new.html",
        {"title": "Add a meeting", "form": dict(form), "day": fields, "errors": errors},
        status=400,
    )


# ---------------------------------------------------------------- time and venue


@routes.get("/meetings/{day}/edit")
@officer_only
async def edit_form(request: web.Request) -> web.StreamResponse:
    day = day_of(request)
    row = await with_unit(request, lambda ctx: diary.meeting_row(ctx, day))
    values = {"time": f"{row.time:%H:%M}" if row.time else "", "venue": row.venue or ""}
    return page(request, "meeting_edit.html", _edit_context(row, values, []))


def _edit_context(row: diary.MeetingRow, form: Mapping[str, Any], errors: list) -> dict[str, Any]:
    return {
        "title": f"Change the time or venue of {when(row.date)}",
        "row": row,
        "form": form,
        "errors": errors,
        "path": path_of(row.date),
    }


@routes.post("/meetings/{day}/edit")
@officer_only
async def edit(request: web.Request) -> web.StreamResponse:
    day = day_of(request)
    form = await request.post()
    row = await with_unit(request, lambda ctx: diary.meeting_row(ctx, day))
    errors = []
    try:
        start = time_from(form, "time", "The start time")
        await commit(
            request, lambda ctx: diary.edit_meeting(ctx, day, at=start, venue=text(form, "venue"))
        )
    except UserError as error:
        field = "venue" if "venue" in error.message and "time" not in error.message else "time"
        errors.append((field, error.message))
    else:
        raise done("/meetings", f"Changed the meeting on {when(day)}.")
    return page(request, "meeting_edit.html", _edit_context(row, dict(form), errors), status=400)


# ---------------------------------------------------------------- move


@routes.get("/meetings/{day}/move")
@officer_only
async def move_form(request: web.Request) -> web.StreamResponse:
    day = day_of(request)
    row = await with_unit(request, lambda ctx: diary.meeting_row(ctx, day))
    values = {"time": f"{row.time:%H:%M}" if row.time else ""}
    return page(request, "meeting_move.html", _move_context(row, values, date_fields(None), []))


def _move_context(
    row: diary.MeetingRow, form: Mapping[str, Any], fields: dict[str, str], errors: list
) -> dict[str, Any]:
    return {
        "title": f"Move the meeting of {when(row.date)}",
        "row": row,
        "form": form,
        "day": fields,
        "errors": errors,
        "path": path_of(row.date),
    }


@routes.post("/meetings/{day}/move")
@officer_only
async def move(request: web.Request) -> web.StreamResponse:
    day = day_of(request)
    form = await request.post()
    row = await with_unit(request, lambda ctx: diary.meeting_row(ctx, day))
    errors = []
    try:
        new_day = date_from(form, "date", "The new date")
        start = time_from(form, "time", "The start time")
        await commit(request, lambda ctx: diary.move_meeting(ctx, day, new_day, start))
    except UserError as error:
        errors.append(("date-day", error.message))
    else:
        raise done("/meetings", f"Moved the meeting of {when(day)} to {when(new_day)}.")
    fields = {part: text(form, f"date-{part}") for part in ("day", "month", "year")}
    return page(
        request, "meeting_move.html", _move_context(row, dict(form), fields, errors), status=400
    )


# ---------------------------------------------------------------- cancel and restore


@routes.get("/meetings/{day}/cancel")
@officer_only
async def cancel_form(request: web.Request) -> web.StreamResponse:
    day = day_of(request)
    row = await with_unit(request, lambda ctx: diary.meeting_row(ctx, day))
    return page(
        request,
        "meeting_cancel.html",
        {"title": f"Cancel the meeting of {when(day)}?", "row": row, "path": path_of(day)},
    )


@routes.post("/meetings/{day}/cancel")
@officer_only
async def cancel(request: web.Request) -> web.StreamResponse:
    day = day_of(request)
    try:
        await commit(request, lambda ctx: diary.cancel_meeting(ctx, day))
    except UserError as error:
        row = await with_unit(request, lambda ctx: diary.meeting_row(ctx, day))
        context = {"title": f"Cancel the meeting of {when(day)}?", "row": row, "path": path_of(day)}
        return page(
            request, "meeting_cancel.html", {**context, "errors": [("", error.message)]}, status=400
        )
    raise done("/meetings", f"Cancelled the meeting of {when(day)}. It gets no more reminders.")


@routes.post("/meetings/{day}/restore")
@officer_only
async def restore(request: web.Request) -> web.StreamResponse:
    day = day_of(request)
    await commit(request, lambda ctx: diary.restore_meeting(ctx, day))
    raise done(
        "/meetings", f"Restored the meeting of {when(day)}. Its reminders still to come will go."
    )


# ---------------------------------------------------------------- the board's settings


@routes.get("/meetings/settings")
@officer_only
async def settings_form(request: web.Request) -> web.StreamResponse:
    board = await with_unit(request, settings.board_settings)
    return page(
        request, "meeting_settings.html", _settings_context(request, board, _values(board), [])
    )


def _values(board: settings.SettingsView) -> dict[str, Any]:
    cadence = board.cadence
    return {
        "months": [str(m) for m in cadence.months] if cadence else [],
        "ordinal": str(cadence.ordinal) if cadence else "",
        "weekday": str(cadence.weekday) if cadence else "",
        "rule": "" if cadence else board.recurrence,
        "meeting_time": f"{board.meeting_time:%H:%M}" if board.meeting_time else "",
        "reminder_days": board.reminder_days,
        "digest_days": board.digest_days,
        "reminder_time": f"{board.reminder_time:%H:%M}",
        "marking": board.marking if board.marking_by_hand else "",
    }


def _settings_context(
    request: web.Request, board: settings.SettingsView, values: dict[str, Any], errors: list
) -> dict[str, Any]:
    pinned = runtime_of(request).config.board_settings()
    return {
        "title": "The board's settings",
        "settings": board,
        "form": values,
        "errors": errors,
        "months": MONTHS,
        "weekdays": WEEKDAYS,
        "ordinals": list(ORDINALS.items()),
        "pinned": {name: settings.ENVIRONMENT.get(name, name) for name in pinned},
    }


@routes.post("/meetings/settings")
@officer_only
async def save_settings(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    values = {
        "months": [m for m in form.getall("months", []) if isinstance(m, str)],
        "ordinal": text(form, "ordinal"),
        "weekday": text(form, "weekday"),
        "rule": text(form, "rule"),
        "meeting_time": text(form, "meeting_time"),
        "reminder_days": text(form, "reminder_days"),
        "digest_days": text(form, "digest_days"),
        "reminder_time": text(form, "reminder_time"),
        "marking": text(form, "marking"),
    }
    errors: list[tuple[str, str]] = []
    changes = _changes(form, values, errors)
    pinned = set(runtime_of(request).config.board_settings())
    if not errors:
        try:
            said = await commit(
                request,
                lambda ctx: (
                    settings.change_settings(ctx, pinned=pinned, **changes)
                    + settings.change_marking(ctx, values["marking"])
                ),
            )
        except UserError as error:
            errors.append((_settings_field(error.message), error.message))
        else:
            raise done(
                "/meetings", "Changed " + "; ".join(said) + "." if said else "Nothing changed."
            )
    board = await with_unit(request, settings.board_settings)
    return page(
        request,
        "meeting_settings.html",
        _settings_context(request, board, values, errors),
        status=400,
    )


def _changes(form: Any, values: dict[str, Any], errors: list[tuple[str, str]]) -> dict[str, Any]:
    """The settings as the use-case takes them; each field's problem noted against it."""
    changes: dict[str, Any] = {
        "reminder_days": values["reminder_days"],
        "digest_days": values["digest_days"],
    }
    if values["rule"]:
        changes["recurrence"] = values["rule"]
    else:
        try:
            months = tuple(sorted({int(m) for m in values["months"]}))
            cadence = Cadence(months, int(values["ordinal"]), int(values["weekday"]))
        except ValueError:
            errors.append(("months", "Choose the months, the week and the day the board meets."))
        else:
            if not months or not all(1 <= m <= 12 for m in months):
                errors.append(("months", "Choose at least one month."))
            else:
                changes["recurrence"] = cadence.rule()
    for name, what in (
        ("meeting_time", "The usual start time"),
        ("reminder_time", "The reminders' time"),
    ):
        try:
            changes[name] = time_from(form, name, what)
        except UserError as error:
            errors.append((name, error.message))
    if changes.get("reminder_time") is None and not any(f == "reminder_time" for f, _ in errors):
        errors.append(("reminder_time", "Enter the reminders' time of day, like 09:00."))
    return changes


def _settings_field(message: str) -> str:
    for field, words in (
        ("reminder_days", "Reminder days"),
        ("digest_days", "Digest days"),
        ("rule", "recurrence"),
        ("reminder_days", "CRB_REMINDER_DAYS"),
        ("reminder_time", "CRB_REMINDER_TIME"),
        ("marking", "protective marking"),
    ):
        if words in message:
            return field
    return ""
