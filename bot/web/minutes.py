"""The Minutes pages (chair and secretariat): upload a file (``/minutes``), check its preview and
settle its questions (``/minutes/{id}``), then import exactly that.

The preview is a dry run, rolled back, so showing it (even after "Update the preview", a POST)
changes nothing. "Import these minutes" sends the preview's lines with the fixes; the import
applies only if it would do exactly that (see ``handlers.minutes.review``).
"""

from __future__ import annotations

from importlib.util import find_spec
from typing import Any

from aiohttp import web

from bot.web.core import officer_only, problem, render, see_other, with_unit
from handlers.context import Ctx
from handlers.errors import NotFound, UserError
from handlers.members import check_initials
from handlers.minutes import review
from handlers.minutes.read import MAX_BYTES
from handlers.minutes.review import Fixes, ImportPreview, ImportResult, NewMember
from handlers.reply import Reply

routes = web.RouteTableDef()

FILE_FIELD = "minutes-file"
NEW = "+new"  # the "who are these initials?" answer that adds a member
# A hint to the file picker (the readers decide): .pdf once its reader is there.
READABLE = (".docx", ".html", ".htm", ".txt")
ACCEPTED = ",".join((*READABLE, ".pdf") if find_spec("handlers.minutes.pdf") else READABLE)


@routes.get("/minutes")
@officer_only
async def minutes_page(request: web.Request) -> web.StreamResponse:
    return await _upload_page(request)


async def _upload_page(
    request: web.Request, errors: list[tuple[str, str]] | None = None, status: int = 200
) -> web.StreamResponse:
    waiting = await with_unit(request, review.waiting)
    context = {
        "title": "Import minutes",
        "waiting": waiting,
        "errors": errors or [],
        "accepted": ACCEPTED,
        "max_mb": MAX_BYTES // 2**20,
    }
    return render(request, "minutes_upload.html", context, status=status)


@routes.post("/minutes")
@officer_only
async def upload(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    sent = form.get(FILE_FIELD)
    if not isinstance(sent, web.FileField) or not sent.filename:
        return await _upload_page(request, [(FILE_FIELD, "Select the minutes file")], 400)
    data = sent.file.read()
    if not data:
        return await _upload_page(request, [(FILE_FIELD, f"{sent.filename} is empty")], 400)

    def work(ctx: Ctx) -> int:
        upload_id = review.receive(ctx, sent.filename, data)
        ctx.session.commit()
        return upload_id

    try:
        upload_id = await with_unit(request, work)
    except UserError as error:
        return await _upload_page(request, [(FILE_FIELD, error.message)], 400)
    raise see_other(request, f"/minutes/{upload_id}")


# ---------------------------------------------------------------- the preview


@routes.get(r"/minutes/{upload_id:\d+}")
@officer_only
async def preview_page(request: web.Request) -> web.StreamResponse:
    return await _preview(request, review.NO_FIXES)


@routes.post(r"/minutes/{upload_id:\d+}")
@officer_only
async def preview_or_import(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    errors: list[tuple[str, str]] = []
    fixes = fixes_from(form, errors)
    if errors or form.get("intent") != "import":
        return await _preview(request, fixes, errors=errors, status=400 if errors else 200)
    upload_id = int(request.match_info["upload_id"])
    previewed = [line for line in form.getall("line", []) if isinstance(line, str)]

    def work(ctx: Ctx) -> ImportResult:
        result = review.apply(ctx, upload_id, fixes, previewed)
        if result.applied:
            ctx.session.commit()
        return result

    try:
        result = await with_unit(request, work)
    except UserError as error:
        return problem(request, "Nothing was imported", error.message, status=409)
    if not result.applied:  # the board changed since the preview: show it again, and what differs
        return _preview_page(request, result.preview, since=result.reply(), status=409)
    return render(
        request,
        "minutes_imported.html",
        {
            "title": "Minutes imported",
            "reply": result.reply(),
            "meeting": result.preview.meeting.isoformat(),
        },
    )


@routes.post(r"/minutes/{upload_id:\d+}/cancel")
@officer_only
async def cancel(request: web.Request) -> web.StreamResponse:
    upload_id = int(request.match_info["upload_id"])

    def work(ctx: Ctx) -> Reply:
        reply = review.cancel(ctx, upload_id)
        ctx.session.commit()
        return reply

    try:
        reply = await with_unit(request, work)
    except UserError as error:
        return problem(request, "Nothing was cancelled", error.message, status=409)
    raise see_other(request, "/minutes", notice=reply.title)


async def _preview(
    request: web.Request,
    fixes: Fixes,
    *,
    errors: list[tuple[str, str]] | None = None,
    since: Reply | None = None,
    status: int = 200,
) -> web.StreamResponse:
    upload_id = int(request.match_info["upload_id"])
    try:
        shown: ImportPreview = await with_unit(
            request, lambda ctx: review.preview(ctx, upload_id, fixes)
        )  # rolled back: a preview changes nothing
    except NotFound as error:
        return problem(request, "No such upload", error.message, status=404)
    except UserError as error:
        return problem(request, "This upload can't be previewed", error.message, status=409)
    return _preview_page(request, shown, errors=errors, since=since, status=status)


def _preview_page(
    request: web.Request,
    shown: ImportPreview,
    *,
    errors: list[tuple[str, str]] | None = None,
    since: Reply | None = None,
    status: int = 200,
) -> web.StreamResponse:
    return render(
        request,
        "minutes_preview.html",
        {
            "title": f"Check the minutes of {shown.meeting:%-d %B %Y} before importing them",
            "preview": shown,
            "errors": errors or [],
            "since": since,
            "new": NEW,
        },
        status=status,
    )


# ---------------------------------------------------------------- the secretariat's answers


def fixes_from(form: Any, errors: list[tuple[str, str]]) -> Fixes:
    """The preview form's answers as ``Fixes``; a wrong answer is reported and left out.

    Fields: ``owner-N`` (initials for action N), ``drop-N``, ``who-XX`` (a member's initials for
    the minutes' XX, or ``+new`` with ``name-XX`` and ``capacity-XX``), and ``chair``.
    """
    owners: dict[int, tuple[str, ...]] = {}
    dropped: set[int] = set()
    initials: dict[str, str] = {}
    new_members: list[NewMember] = []
    for key, value in form.items():
        if not isinstance(value, str):
            continue
        kind, _, subject = key.partition("-")
        if kind == "owner" and subject.isdigit() and value:
            owners[int(subject)] = (value.strip().upper(),)
        elif kind == "drop" and subject.isdigit() and value == "yes":
            dropped.add(int(subject))
        elif kind == "who" and subject and value == NEW:
            name = str(form.get(f"name-{subject}", "")).strip()
            if not name:
                errors.append(
                    (f"name-{subject}", f"Give the name of the member {subject} stands for")
                )
                continue
            capacity = str(form.get(f"capacity-{subject}", "")).strip() or None
            new_members.append(NewMember(subject, name, capacity))
        elif kind == "who" and subject and value:
            try:
                initials[subject] = check_initials(value)
            except UserError as error:
                errors.append((f"who-{subject}", error.message))
    return Fixes(
        owners=owners,
        initials=initials,
        new_members=tuple(new_members),
        dropped=frozenset(dropped),
        accept_chair=form.get("chair") == "yes",
    )
