"""The Actions pages: the board's actions filtered by status, owner and meeting (``/actions``),
and each action with its history and the forms that change it (``/actions/{id}``).

Every change is a chat command naming the action by id and by the version the page showed
(``ActionId``), run through the same use-case as chat. A form sent from a page that is out of date
changes nothing: the action is shown again as it is now.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.web.core import problem, render, run_use_case, see_other, signed_in, with_unit
from db.models import Rag
from handlers import dispatch
from handlers.action_log import action_log, action_record
from handlers.commands import Command, Done, EditText, Note, Reassign, Reopen, parse_owners
from handlers.errors import Forbidden, NotFound, NotLinked, Stale, UserError
from handlers.refs import ActionId
from planning.calendar import zone

routes = web.RouteTableDef()

RAGS = {"red": Rag.RED, "amber": Rag.AMBER, "green": Rag.GREEN}


@routes.get("/actions")
@signed_in
async def actions_page(request: web.Request) -> web.StreamResponse:
    query = request.query
    log = await with_unit(
        request,
        lambda ctx: action_log(ctx, query.get("status"), query.get("owner"), query.get("meeting")),
    )
    return render(
        request,
        "actions.html",
        {"title": "Actions", "log": log, "errors": list(log.errors.items())},
        status=400 if log.errors else 200,
    )


@routes.get(r"/actions/{action_id:\d+}")
@signed_in
async def action_page(request: web.Request) -> web.StreamResponse:
    return await _action_page(request)


async def _action_page(
    request: web.Request,
    *,
    info: str | None = None,
    errors: list[tuple[str, str]] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> web.StreamResponse:
    action_id = int(request.match_info["action_id"])
    try:
        record = await with_unit(request, lambda ctx: action_record(ctx, action_id))
    except NotFound as error:
        return problem(request, "No such action", error.message, status=404)
    return render(
        request,
        "action.html",
        {
            "title": f"Action {record.view.ref}",
            "record": record,
            "tz": zone(record.timezone),
            "info": info,
            "errors": errors or [],
            "form": form or {},
        },
        status=status,
    )


# ---------------------------------------------------------------- the forms


def _seen(form: Any, action_id: int) -> ActionId:
    return ActionId(action_id, seen=str(form.get("version", "")) or None)


def _text(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def _done(form: Any, target: ActionId) -> Command:
    return Done(target, _text(form, "note").strip() or None)


def _reopen(form: Any, target: ActionId) -> Command:
    return Reopen(target, _text(form, "reason").strip() or None)


def _update(form: Any, target: ActionId) -> Command:
    text = _text(form, "update-text").strip()
    if not text:
        raise FieldError("update-text", "Say what has happened")
    return Note(target, text, RAGS.get(_text(form, "rag")))


def _reassign(form: Any, target: ActionId) -> Command:
    typed = _text(form, "owners").strip()
    if not typed:
        raise FieldError("owners", "Give the new owner's initials, like CR, or DP/RT")
    try:
        return Reassign(target, parse_owners(typed))
    except UserError as error:
        raise FieldError("owners", error.message) from error


def _edit(form: Any, target: ActionId) -> Command:
    text = _text(form, "text").strip()
    if not text:
        raise FieldError("text", "Say what the action is")
    return EditText(target, text)


# verb -> (what the form becomes, the field an error of the use-case belongs to)
FORMS = {
    "done": (_done, "note"),
    "reopen": (_reopen, "reason"),
    "update": (_update, "update-text"),
    "reassign": (_reassign, "owners"),
    "text": (_edit, "text"),
}


class FieldError(UserError):
    """A form field was left empty or filled wrongly: shown beside it, nothing changed."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@routes.post(r"/actions/{action_id:\d+}/{verb:done|reopen|update|reassign|text}")
@signed_in
async def change_action(request: web.Request) -> web.StreamResponse:
    action_id = int(request.match_info["action_id"])
    verb = request.match_info["verb"]
    build, field = FORMS[verb]
    form = await request.post()
    kept = {
        name: _text(form, name)
        for name in ("note", "reason", "update-text", "rag", "owners", "text")
    }
    try:
        command = build(form, _seen(form, action_id))
    except FieldError as error:
        return await _action_page(
            request, errors=[(error.field, error.message)], form=kept, status=400
        )

    try:
        reply = await run_use_case(request, lambda ctx: dispatch.perform(ctx, command))
    except UserError as error:
        status = ERROR_STATUS.get(type(error), 400)
        return await _action_page(
            request, errors=[(field, error.message)], form=kept, status=status
        )
    if not reply.changed:  # "already says that", "already belongs to": nothing to do
        return await _action_page(request, info=reply.title)
    raise see_other(request, f"/actions/{action_id}", notice=reply.title)


ERROR_STATUS = {Forbidden: 403, NotLinked: 403, NotFound: 404, Stale: 409}
