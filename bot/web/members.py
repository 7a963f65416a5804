"""The Members pages: the list, one member, and the forms that add, edit, link and unlink,
change a role (handing the chair over after a check-your-answers page), deactivate and
reactivate. The chair and the secretariat only; every change is a use-case in handlers/roster.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NoReturn, TypeVar
from urllib.parse import quote

from aiohttp import web

from bot.web.core import delivery_channels, officer_only, with_unit
from bot.web.forms import done, page, text
from db.models import Role
from handlers import roster
from handlers.errors import UserError
from handlers.members import (
    check_email,
    check_initials,
    derive_initials,
    find_member,
    joined_note,
)

routes = web.RouteTableDef()
T = TypeVar("T")

ROLE_CHOICES = (
    (Role.MEMBER, "Member", "Owns actions and is nudged about them."),
    (Role.SECRETARIAT, "Secretariat", "Keeps members, meetings and actions; gets the digests."),
    (Role.CHAIR, "Chair", "Chairs the board and gets the digests. The board has one chair."),
)
IDENTITY_FIELDS = {"slack_id": "Slack user id", "teams_id": "Teams object id", "email": "Email"}


def configured(request: web.Request) -> set[str]:
    return {channel.platform for channel in delivery_channels(request)}


def path_of(initials: str) -> str:
    return f"/members/{quote(initials, safe='')}"


async def row_of(request: web.Request) -> roster.MemberRow:
    platforms = configured(request)
    initials = request.match_info["initials"]
    return await with_unit(request, lambda ctx: roster.member_row(ctx, initials, platforms))


async def change(request: web.Request, work: Callable[[Any], T]) -> T:
    """Run a roster change as the signed-in officer; commit only when it changed something
    (``work`` returns its ``roster.Changed``, alone or first of a tuple)."""

    def run(ctx: Any) -> T:
        result = work(ctx)
        changed = result[0] if isinstance(result, tuple) else result
        if changed.changed:
            ctx.session.commit()
        return result

    return await with_unit(request, run)


def said(result: roster.Changed) -> str:
    return " ".join((result.summary, *result.notes))


def member_page_of(
    request: web.Request,
    template: str,
    row: roster.MemberRow,
    title: str,
    *,
    status: int = 200,
    **context: Any,
) -> web.Response:
    """A page about one member: their row and their page's address go with it."""
    shown = {"title": title, "row": row, "path": path_of(row.initials), **context}
    return page(request, template, shown, status=status)


# ---------------------------------------------------------------- the list and one member


@routes.get("/members")
@officer_only
async def members_page(request: web.Request) -> web.StreamResponse:
    platforms = configured(request)
    rows = await with_unit(request, lambda ctx: roster.member_rows(ctx, platforms))
    return page(request, "members.html", {"title": "Members", "rows": rows})


# ---------------------------------------------------------------- add


@routes.get("/members/new")
@officer_only
async def new_member_form(request: web.Request) -> web.StreamResponse:
    return page(
        request, "member_new.html", {"title": "Add a member", "form": {}, "roles": ROLE_CHOICES}
    )


@routes.post("/members/new")
@officer_only
async def new_member(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    name, capacity, email = text(form, "name"), text(form, "capacity"), text(form, "email")
    initials = text(form, "initials")
    role = text(form, "role") or Role.MEMBER
    errors = _member_errors(name, initials, email)
    if role not in set(Role):
        errors.append(("role", "Choose a role."))
    if not errors:
        chosen = initials or derive_initials(name)

        def add(ctx: Any) -> tuple[roster.Changed, str | None]:
            result = roster.new_member(
                ctx, chosen, name, role=Role(role), capacity=capacity or None, email=email or None
            )
            return result, joined_note(find_member(ctx, chosen))

        try:
            result, joined = await change(request, add)
        except UserError as error:
            errors.append((_field_at_fault(error.message), error.message))
        else:
            raise done(path_of(chosen.upper()), said(result), important=joined)
    return page(
        request,
        "member_new.html",
        {"title": "Add a member", "form": dict(form), "roles": ROLE_CHOICES, "errors": errors},
        status=400,
    )


@routes.get("/members/{initials}")
@officer_only
async def member_page(request: web.Request) -> web.StreamResponse:
    row = await row_of(request)
    return member_page_of(request, "member.html", row, row.name, fields=IDENTITY_FIELDS)


def _field_at_fault(message: str) -> str:
    return "initials" if "initials" in message or "already a member" in message else "name"


def _member_errors(name: str, initials: str, email: str) -> list[tuple[str, str]]:
    """Each field's own problem, so the error summary links to the field at fault."""
    errors = []
    if not name:
        errors.append(("name", "Enter the member's full name."))
    for field, value, check in (
        ("initials", initials, check_initials),
        ("email", email, check_email),
    ):
        if value:
            try:
                check(value)
            except UserError as error:
                errors.append((field, error.message))
    if not initials and name:
        try:
            derive_initials(name)
        except UserError as error:
            errors.append(("initials", error.message))
    return errors


# ---------------------------------------------------------------- edit


@routes.get("/members/{initials}/edit")
@officer_only
async def edit_form(request: web.Request) -> web.StreamResponse:
    row = await row_of(request)
    values = {
        "name": row.name,
        "initials": row.initials,
        "capacity": row.capacity or "",
        "email": row.email or "",
    }
    return member_page_of(
        request,
        "member_edit.html",
        row,
        f"Change {row.name}'s details",
        form=values,
    )


@routes.post("/members/{initials}/edit")
@officer_only
async def edit(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    row = await row_of(request)
    name, initials = text(form, "name"), text(form, "initials")
    capacity, email = text(form, "capacity"), text(form, "email")
    errors = _member_errors(name, initials, email)
    if not initials:
        errors.append(("initials", "Enter the member's initials."))
    if not errors:
        try:
            result = await change(
                request,
                lambda ctx: roster.edit_member(
                    ctx,
                    row.initials,
                    name=name,
                    new_initials=initials,
                    capacity=capacity,
                    email=email,
                ),
            )
        except UserError as error:
            field = "email" if "linked" in error.message or "email" in error.message else "initials"
            errors.append((field, error.message))
        else:
            raise done(path_of(initials.upper()), said(result))
    return member_page_of(
        request,
        "member_edit.html",
        row,
        f"Change {row.name}'s details",
        form=dict(form),
        errors=errors,
        status=400,
    )


# ---------------------------------------------------------------- role, with the chair's handover


@routes.get("/members/{initials}/role")
@officer_only
async def role_form(request: web.Request) -> web.StreamResponse:
    row = await row_of(request)
    return member_page_of(
        request,
        "member_role.html",
        row,
        f"What is {row.name}'s role?",
        roles=ROLE_CHOICES,
    )


@routes.post("/members/{initials}/role")
@officer_only
async def role(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    row = await row_of(request)
    chosen = text(form, "role")
    context: dict[str, Any] = {
        "title": f"What is {row.name}'s role?",
        "row": row,
        "roles": ROLE_CHOICES,
        "path": path_of(row.initials),
    }
    if chosen not in set(Role):
        return page(
            request,
            "member_role.html",
            {**context, "errors": [("role", "Choose a role.")]},
            status=400,
        )
    if chosen == Role.CHAIR and row.role != Role.CHAIR and text(form, "confirmed") != "yes":
        chair = await with_unit(request, roster.chair_row)
        return member_page_of(
            request,
            "member_handover.html",
            row,
            "Check the chair's handover",
            chair=chair,
        )
    try:
        result = await change(
            request, lambda ctx: roster.change_role(ctx, row.initials, Role(chosen))
        )
    except UserError as error:
        return page(
            request,
            "member_role.html",
            {**context, "errors": [("role", error.message)]},
            status=400,
        )
    raise done(path_of(row.initials), said(result))


# ---------------------------------------------------------------- deactivate and reactivate


@routes.get("/members/{initials}/deactivate")
@officer_only
async def deactivate_form(request: web.Request) -> web.StreamResponse:
    row = await row_of(request)
    return member_page_of(request, "member_deactivate.html", row, f"Deactivate {row.name}?")


@routes.post("/members/{initials}/deactivate")
@officer_only
async def deactivate(request: web.Request) -> web.StreamResponse:
    row = await row_of(request)
    try:
        result = await change(request, lambda ctx: roster.deactivate(ctx, row.initials))
    except UserError as error:
        return member_page_of(
            request,
            "member_deactivate.html",
            row,
            f"Deactivate {row.name}?",
            errors=[("", error.message)],
            status=400,
        )
    raise done(path_of(row.initials), said(result))


@routes.post("/members/{initials}/reactivate")
@officer_only
async def reactivate(request: web.Request) -> web.StreamResponse:
    return await one_step(request, roster.reactivate)


@routes.post("/members/{initials}/revoke-links")
@officer_only
async def revoke_links(request: web.Request) -> web.StreamResponse:
    return await one_step(request, roster.revoke_email_links)


async def one_step(
    request: web.Request, use_case: Callable[[Any, str], roster.Changed]
) -> NoReturn:
    """A change with nothing to ask: made at once, then back to the member's page."""
    row = await row_of(request)
    result = await change(request, lambda ctx: use_case(ctx, row.initials))
    raise done(path_of(row.initials), said(result))


# ---------------------------------------------------------------- link and unlink


@routes.get("/members/{initials}/link")
@officer_only
async def link_form(request: web.Request) -> web.StreamResponse:
    row = await row_of(request)
    return member_page_of(
        request,
        "member_link.html",
        row,
        f"Link {row.name}",
        fields=IDENTITY_FIELDS,
        form={},
    )


@routes.post("/members/{initials}/link")
@officer_only
async def link(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    row = await row_of(request)
    field, value = text(form, "field"), text(form, "value")
    errors = []
    if field not in IDENTITY_FIELDS:
        errors.append(("field", "Choose what to link."))
    elif not value:
        errors.append(("value", f"Enter the {IDENTITY_FIELDS[field].lower()}."))
    if not errors:
        try:
            result = await change(request, lambda ctx: roster.link(ctx, row.initials, field, value))
        except UserError as error:
            errors.append(("value", error.message))
        else:
            raise done(path_of(row.initials), said(result))
    return member_page_of(
        request,
        "member_link.html",
        row,
        f"Link {row.name}",
        fields=IDENTITY_FIELDS,
        form=dict(form),
        errors=errors,
        status=400,
    )


@routes.post("/members/{initials}/unlink")
@officer_only
async def unlink(request: web.Request) -> web.StreamResponse:
    form: Mapping[str, Any] = await request.post()
    row = await row_of(request)
    field = text(form, "field")
    result = await change(request, lambda ctx: roster.unlink(ctx, row.initials, field))
    raise done(path_of(row.initials), said(result))
