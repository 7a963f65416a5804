"""The Audit page: every change with who, when, how and what, filtered by who, kind and date
(a GET form: a filter changes nothing and can be bookmarked), and the same rows as a CSV file.
The chair and the secretariat only."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web

from bot.web.core import now, officer_only, render, with_unit
from handlers.audit_log import KIND_NAMES, PAGE, AuditFilter, audit_csv, audit_rows
from handlers.errors import UserError
from handlers.plain import plain_line

routes = web.RouteTableDef()


def _day(request: web.Request, name: str, what: str) -> date | None:
    value = plain_line(request.query.get(name, ""))
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise UserError(f"{what} must be a date like 2021-02-24.") from error


def _filter(request: web.Request) -> tuple[AuditFilter, dict[str, str], list[tuple[str, str]]]:
    shown = {
        name: plain_line(request.query.get(name, "")) for name in ("who", "kind", "from", "to")
    }
    errors: list[tuple[str, str]] = []
    days: dict[str, date | None] = {}
    for name, what in (("from", "From"), ("to", "To")):
        try:
            days[name] = _day(request, name, what)
        except UserError as error:
            errors.append((name, error.message))
            days[name] = None
    try:
        wanted = AuditFilter(
            who=shown["who"] or None,
            kind=shown["kind"] or None,
            since=days["from"],
            until=days["to"],
        )
    except UserError as error:
        errors.append(("kind" if "kind" in error.message else "from", error.message))
        wanted = AuditFilter()
    return wanted, shown, errors


def _page_number(request: web.Request) -> int:
    """``?page=N``, 1 for the newest; anything else is the first page."""
    typed = request.query.get("page", "1")
    return int(typed) if typed.isdigit() and 0 < int(typed) < 10**6 else 1


def _page_href(request: web.Request, page: int) -> str:
    """This page's address with its filters, at another page."""
    return str(request.rel_url.update_query(page=str(page)))


@routes.get("/audit")
@officer_only
async def audit_page(request: web.Request) -> web.StreamResponse:
    wanted, shown, errors = _filter(request)
    page = _page_number(request)
    rows, total = await with_unit(
        request, lambda ctx: audit_rows(ctx, wanted, offset=(page - 1) * PAGE)
    )
    pages = max(1, -(-total // PAGE))
    return render(
        request,
        "audit.html",
        {
            "title": "Audit trail",
            "rows": rows,
            "total": total,
            "form": shown,
            "errors": errors,
            "kinds": [(str(kind), name) for kind, name in KIND_NAMES.items()],
            "csv_href": "/audit.csv" + (f"?{request.query_string}" if request.query_string else ""),
            "first": (page - 1) * PAGE + 1,
            "previous_href": _page_href(request, page - 1) if page > 1 else None,
            "next_href": _page_href(request, page + 1) if page < pages else None,
            "page": page,
            "pages": pages,
        },
        status=400 if errors else 200,
    )


@routes.get("/audit.csv")
@officer_only
async def audit_download(request: web.Request) -> web.StreamResponse:
    wanted, _shown, errors = _filter(request)
    if errors:
        raise UserError(errors[0][1])

    def everything(ctx: Any) -> str:
        rows, _total = audit_rows(ctx, wanted, limit=None)
        return audit_csv(rows)

    body = await with_unit(request, everything)
    name = f"audit-{now(request):%Y-%m-%d}.csv"
    return web.Response(
        text=body,
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
