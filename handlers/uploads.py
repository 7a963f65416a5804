"""Minutes sent to the bot in chat: a dry-run preview, then "Import" applies exactly that file once.

The preview is the real import rolled back (as ``crb import --dry-run`` does), so it says exactly
what "Import" would do. The file itself waits in ``pending_imports`` until an officer imports or
cancels it, or it expires.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlalchemy.orm import Session

from db.models import Member, PendingImport, PendingImportStatus
from handlers.boards import board_prefix, choose_first_board
from handlers.commands import ImportUpload
from handlers.context import Ctx
from handlers.errors import Forbidden, NotFound, UserError
from handlers.identity import Account, seats_of
from handlers.reply import Button, Reply, Section, Tone

if TYPE_CHECKING:
    from handlers.minutes.importer import ImportReport
    from handlers.minutes.model import Doubt

UPLOAD_LIFETIME = timedelta(hours=24)
_HOURS = int(UPLOAD_LIFETIME.total_seconds() // 3600)
LISTED = 12  # items shown per list in a preview; the rest are counted


@dataclass(frozen=True)
class Preview:
    """What importing a file would do, taken from a dry run."""

    filename: str
    meeting: str  # "25 November 2020"
    created: tuple[str, ...]
    changed: tuple[str, ...]
    unchanged: int
    warnings: tuple[str, ...]
    # One structured record per warning, in the same order (kind, the fact it is about, the
    # evidence, a confidence): what a preview needs to offer a fix.
    doubts: tuple[Doubt, ...] = ()

    @property
    def changes_anything(self) -> bool:
        return bool(self.created or self.changed)


def require_importer(ctx: Ctx) -> Member:
    member = ctx.require_member()
    if not member.is_officer:
        raise Forbidden(
            "Only the chair or the secretariat can import minutes. "
            "Send them to the secretariat instead."
        )
    return member


def upload_board(session: Session, account: Account) -> str:
    """The board that minutes sent in chat are for: the caller's one board where they may import.
    Refused for someone who may import to several: a file says nothing about where it goes until
    it is read. Someone who may import nowhere gets a board too (their first seat's, else the
    first board), so that the refusal they see is the usual one: who may import, or not linked.
    """
    seats = seats_of(session, account)
    boards = sorted({seat.board.short for seat in seats if seat.is_officer})
    if len(boards) > 1:
        raise UserError(
            f"You can import minutes to {len(boards)} boards ({', '.join(boards)}), so I can't "
            "tell which these are for. Upload them on the web desk of their board "
            "(Minutes), where they are previewed the same way. Nothing was imported."
        )
    if boards:
        return boards[0]
    return seats[0].board.short if seats else choose_first_board(session).short


def dry_run(ctx: Ctx, filename: str, data: bytes) -> Preview:
    """Import ``data`` into the session and report. The caller MUST roll the session back."""
    require_importer(ctx)
    report = _import(ctx, filename, data)
    assert report.meeting is not None
    return Preview(
        filename=filename,
        meeting=f"{report.meeting.date:%-d %B %Y}",
        created=tuple(report.created),
        changed=tuple(report.changed),
        unchanged=len(report.unchanged),
        warnings=tuple(report.warnings),
        doubts=tuple(report.doubts),
    )


def keep_upload(ctx: Ctx, member: Member, filename: str, data: bytes) -> PendingImport:
    """Keep uploaded minutes until they are imported or their preview expires."""
    upload = PendingImport(
        board_id=ctx.board.id,
        uploaded_by_id=member.id,
        filename=filename[:300],
        data=data,
        digest=hashlib.sha256(data).hexdigest(),
        created_at=ctx.now,
    )
    ctx.session.add(upload)
    ctx.session.flush()
    return upload


def stage(ctx: Ctx, filename: str, data: bytes, preview: Preview) -> Reply:
    """Keep the file for "Import" and answer with the preview. Commits when it stored the file."""
    member = require_importer(ctx)
    if not preview.changes_anything:
        return Reply(
            f"The minutes of {preview.meeting} are already in: importing {filename} would change "
            "nothing.",
            lines=_warning_lines(preview.warnings),
            tone=Tone.SUCCESS,
        )
    upload = keep_upload(ctx, member, filename, data)
    return Reply(
        title=f"Preview: the minutes of {preview.meeting} ({filename})",
        lines=(
            "Nothing has been imported yet. Import applies exactly this file, once.",
            f"{preview.unchanged} already on the board would be left alone.",
        ),
        sections=_report_sections(preview.created, preview.changed, preview.warnings, "would be"),
        buttons=(
            Button("Import", f"{board_prefix(ctx, member)}import {upload.id}", "primary"),
            Button("Cancel", f"{board_prefix(ctx, member)}import {upload.id} cancel", "danger"),
        ),
        changed=True,  # the file is stored: commit
    )


def apply_upload(ctx: Ctx, command: ImportUpload) -> Reply:
    """`import N` imports a previewed upload; `import N cancel` drops it. Each happens once."""
    require_importer(ctx)
    upload = ctx.session.get(PendingImport, command.upload_id)
    if upload is None or upload.board_id != ctx.board.id:
        raise NotFound(f"There is no upload {command.upload_id}. Send me the minutes again.")
    if upload.status != PendingImportStatus.PENDING:
        return _already_decided(upload)
    if ctx.now - upload.created_at > UPLOAD_LIFETIME:
        raise NotFound(
            f"{upload.filename} was sent over {_HOURS} hours ago "
            "and has expired. Send it again for a fresh preview."
        )
    status = PendingImportStatus.CANCELLED if command.cancel else PendingImportStatus.APPLIED
    if not _claim(ctx, upload, status):
        ctx.session.refresh(upload)
        return _already_decided(upload)
    if command.cancel:
        return Reply(
            f"Cancelled: {upload.filename} was not imported.", tone=Tone.SUCCESS, changed=True
        )
    report = _import(ctx, upload.filename, upload.data)
    return _imported_reply(upload.filename, report)


def _import(ctx: Ctx, filename: str, data: bytes) -> ImportReport:
    # Imported here, not at the top: the Word and HTML readers (python-docx, BeautifulSoup) take
    # about half a second to import, which `crb serve` would otherwise pay before /healthz.
    from handlers.minutes.importer import import_minutes
    from handlers.minutes.read import parse_minutes

    return import_minutes(ctx, parse_minutes(filename, data))


def _claim(ctx: Ctx, upload: PendingImport, status: PendingImportStatus) -> bool:
    """Mark the upload decided, only if it is still pending: two clicks can't both apply it."""
    result = ctx.session.execute(
        update(PendingImport)
        .where(PendingImport.id == upload.id, PendingImport.status == PendingImportStatus.PENDING)
        .values(status=status, decided_at=ctx.now, decided_by=ctx.caller.audit_label)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount == 1


def _already_decided(upload: PendingImport) -> Reply:
    verb = "imported" if upload.status == PendingImportStatus.APPLIED else "cancelled"
    when = f" at {upload.decided_at:%H:%M on %-d %b %Y} UTC" if upload.decided_at else ""
    return Reply(
        f"{upload.filename} was already {verb} by {upload.decided_by or 'someone'}{when}. "
        "Nothing changed.",
        tone=Tone.WARNING,
    )


def _imported_reply(filename: str, report: ImportReport) -> Reply:
    assert report.meeting is not None
    return Reply(
        title=f"Imported the minutes of {report.meeting.date:%-d %B %Y} ({filename})",
        lines=(f"{len(report.unchanged)} already on the board were left alone.",),
        sections=_report_sections(
            tuple(report.created), tuple(report.changed), tuple(report.warnings), "were"
        ),
        tone=Tone.SUCCESS,
        changed=True,
    )


def _listed(items: tuple[str, ...]) -> tuple[str, ...]:
    shown = items[:LISTED]
    more = len(items) - len(shown)
    return (*shown, f"…and {more} more") if more else shown


def _warning_lines(warnings: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"Warning: {w}" for w in _listed(warnings))


def _report_sections(
    created: tuple[str, ...], changed: tuple[str, ...], warnings: tuple[str, ...], verb: str
) -> tuple[Section, ...]:
    sections = []
    for label, items in ((f"{verb} created", created), (f"{verb} changed", changed)):
        heading = f"{len(items)} {label}" if items else f"Nothing {label}"
        sections.append(Section(heading[0].upper() + heading[1:], lines=_grouped(items)))
    if warnings:
        sections.append(Section(f"Warnings ({len(warnings)})", lines=_listed(warnings)))
    return tuple(sections)


def _grouped(items: tuple[str, ...]) -> tuple[str, ...]:
    """Actions one to a line, first; members and meetings each folded into one line."""
    actions = tuple(item for item in items if item.startswith("action "))
    lines = list(_listed(actions))
    for kind, label in (("member ", "Members"), ("meeting ", "Meetings")):
        named = [item.removeprefix(kind) for item in items if item.startswith(kind)]
        if named:
            lines.append(f"{label} ({len(named)}): " + "; ".join(named))
    others = [i for i in items if not i.startswith(("action ", "member ", "meeting "))]
    return (*lines, *_listed(tuple(others)))
