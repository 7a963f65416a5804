"""Minutes checked before they are imported (the web desk's use-cases), on SQLite and PostgreSQL:
the preview changes nothing, the secretariat's fixes shape the import, and the import applies
exactly what the preview showed, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.runtime import Runtime
from db import queries
from db.models import (
    Action,
    AuditEvent,
    Meeting,
    MeetingStatus,
    Member,
    PendingImport,
    PendingImportStatus,
    Role,
)
from handlers.errors import Forbidden, MinutesError, UserError
from handlers.identity import Account, Via
from handlers.members import add_member
from handlers.minutes import review
from handlers.minutes.review import CREATED, DROPPED, Fixes, NewMember
from handlers.reply import Tone
from tests.action_harness import read_as
from tests.docx_fixtures import later_minutes, to_bytes

FEBRUARY = datetime(2021, 2, 25, 10, 0, tzinfo=UTC)
# The February minutes, with an owner nobody knows (ZW) and one that two members share (ML).
EXTRA = [
    ("05/24/02/21", ["Action: ZW to review the CCTV contract."], ["ZW"]),
    ("05/24/02/21", ["Action: ML to brief the Chief Constable."], ["ML"]),
]


def upload(runtime: Runtime, initials: str = "RT") -> int:
    data = to_bytes(later_minutes(extra_rows=EXTRA))
    with_ctx = runtime.unit(_caller(initials), FEBRUARY)
    with with_ctx as ctx:
        upload_id = review.receive(ctx, "February.docx", data)
        ctx.session.commit()
    return upload_id


def _caller(initials: str) -> Account:
    return Account.initials(initials, Via.WEB, f"test:{initials}")


def preview(
    runtime: Runtime, upload_id: int, fixes: Fixes = review.NO_FIXES
) -> review.ImportPreview:
    return read_as(runtime, "RT", lambda ctx: review.preview(ctx, upload_id, fixes), FEBRUARY)


def apply(runtime: Runtime, upload_id: int, fixes: Fixes, lines, when: datetime = FEBRUARY):
    """Import as the web desk does: commit only when it was applied; the result as a reply."""
    with runtime.unit(_caller("RT"), when) as ctx:
        result = review.apply(ctx, upload_id, fixes, lines)
        if result.applied:
            ctx.session.commit()
        return result.reply()


def counts(runtime: Runtime) -> tuple[int, ...]:
    with runtime.sessions() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(table))
            for table in (Action, Member, Meeting, AuditEvent)
        )


def owners_of(runtime: Runtime, fragment: str) -> list[str]:
    with runtime.sessions() as session:
        action = session.scalars(select(Action).where(Action.text.contains(fragment))).one()
        return action.owner_initials


def roles(runtime: Runtime) -> dict[str, Role]:
    with runtime.sessions() as session:
        return {m.initials: m.role for m in session.scalars(select(Member))}


def test_the_preview_says_what_the_import_would_do_and_changes_nothing(board: Runtime) -> None:
    uploaded = upload(board)
    before = counts(board)
    shown = preview(board, uploaded)
    assert counts(board) == before
    assert shown.meeting.isoformat() == "2021-02-24" and shown.filename == "February.docx"
    numbered = {a.number: a for a in shown.actions}
    assert [a.outcome for a in shown.actions] == [CREATED] * 7
    assert (numbered[5].ref, numbered[5].needs_owner) == ("05-?.1", True)  # "book a larger room"
    assert numbered[6].unresolved == ("ZW",) and numbered[7].unresolved == ("ML",)
    assert [(q.initials, q.actions, q.ambiguous) for q in shown.initials] == [
        ("ZW", (6,), False),
        ("ML", (7,), True),
    ]
    assert "created: member NO Nadia Okafor (member)" in shown.lines
    assert any("the initials ZW match no member" in w for w in shown.warnings)
    chair = shown.chair
    assert (chair.name, chair.initials, chair.current) == (
        "Tracey Onslow",
        "TO",
        ("Andy Champness (AC)",),
    )
    with board.sessions() as session:
        assert session.get(PendingImport, uploaded).status == PendingImportStatus.PENDING


def test_the_secretariat_fixes_the_preview_and_the_import_is_what_it_showed(
    board: Runtime,
) -> None:
    """Defect (issue 17): minutes naming a new chair recorded only her name, so the old chair
    kept the digests; and an action imported with initials nobody has stayed ``05-?``."""
    uploaded = upload(board)
    fixes = Fixes(
        owners={5: ("PS",)},  # the notes taker, whom these minutes add
        initials={"ML": "MLO"},
        new_members=(NewMember("zw", "Zoe Walker", "CCTV Manager"),),
        dropped=frozenset({4}),
        accept_chair=True,
    )
    shown = preview(board, uploaded, fixes)
    assert [q.initials for q in shown.initials if q.mapped_to or q.new_member] == ["ZW", "ML"]
    assert [a.ref for a in shown.actions if a.number in (5, 6, 7)] == ["05-PS", "05-ZW", "05-MLO"]
    assert shown.actions[3].outcome == DROPPED and shown.chair.accepted
    assert "changed: member AC: role chair → member" in shown.lines
    assert not any("initials" in w for w in shown.warnings)
    assert [w[:40] for w in shown.settled] == [
        "Item 05: the action “book a larger room ",
        "The minutes name Tracey Onslow as chair,",
    ]
    assert not set(shown.settled) & set(shown.open_warnings)
    assert shown.open_warnings == (
        "Update d. “Arrange the Christmas party” matched no action of 25 November 2020; "
        "apply it by hand.",
    )

    reply = apply(board, uploaded, fixes, shown.lines)

    assert reply.changed and reply.tone == Tone.SUCCESS
    assert reply.title == "Imported the minutes of 24 February 2021 (February.docx)"
    assert owners_of(board, "larger room") == ["PS"]
    assert owners_of(board, "CCTV contract") == ["ZW"]
    assert owners_of(board, "brief the Chief Constable") == ["MLO"]
    with board.sessions() as session:
        assert session.scalar(select(Member.name).where(Member.initials == "ZW")) == "Zoe Walker"
        dropped = select(Action).where(Action.text.contains("PCP panel report"))
        assert len(session.scalars(dropped).all()) == 1  # November's only
        held = queries.meeting_on(
            session, queries.default_board(session), FEBRUARY.date() - timedelta(days=1)
        )
        assert held.status == MeetingStatus.HELD
        assert session.get(PendingImport, uploaded).status == PendingImportStatus.APPLIED
    assert (roles(board)["TO"], roles(board)["AC"]) == (Role.CHAIR, Role.MEMBER)


def test_a_change_since_the_preview_stops_the_import_and_says_what_changed(
    board: Runtime,
) -> None:
    uploaded = upload(board)
    shown = preview(board, uploaded)
    with board.unit(_caller("RT"), FEBRUARY) as ctx:  # meanwhile, ZW joins the board
        add_member(ctx, "ZW", "Zach Wood")
        ctx.session.commit()
    before = counts(board)

    reply = apply(board, uploaded, Fixes(), shown.lines, FEBRUARY + timedelta(minutes=5))

    assert not reply.changed and reply.tone == Tone.WARNING
    assert reply.title.startswith("The board has changed since your preview")
    gone, new = reply.sections
    assert gone.heading == "The preview said, and no longer"
    assert gone.lines == (
        "action 6: created as 05-?.2: ZW to review the CCTV contract.",
        "action 7: created as 05-?.3: ML to brief the Chief Constable.",
        "warning: Action 05-ZW: the initials ZW match no member.",
    )
    assert new.lines == (
        "action 6: created as 05-ZW: ZW to review the CCTV contract.",
        "action 7: created as 05-?.2: ML to brief the Chief Constable.",
    )
    assert counts(board) == before
    with board.sessions() as session:
        assert session.get(PendingImport, uploaded).status == PendingImportStatus.PENDING


def test_fixes_changed_after_the_preview_are_not_imported_unseen(board: Runtime) -> None:
    uploaded = upload(board)
    shown = preview(board, uploaded)
    reply = apply(board, uploaded, Fixes(dropped=frozenset({1})), shown.lines)
    assert not reply.changed and reply.tone == Tone.WARNING


def test_minutes_are_imported_once(board: Runtime) -> None:
    uploaded = upload(board)
    shown = preview(board, uploaded)
    assert apply(board, uploaded, Fixes(), shown.lines).changed
    before = counts(board)
    with pytest.raises(UserError, match=r"February\.docx was already imported by RT"):
        apply(board, uploaded, Fixes(), shown.lines)
    with pytest.raises(UserError, match="already imported"):
        preview(board, uploaded)
    assert counts(board) == before


def test_a_cancelled_upload_is_not_imported(board: Runtime) -> None:
    uploaded = upload(board)
    with board.unit(_caller("RT"), FEBRUARY) as ctx:
        assert review.cancel(ctx, uploaded).changed
        ctx.session.commit()
    with pytest.raises(UserError, match="already cancelled"):
        preview(board, uploaded)


def test_only_the_chair_and_the_secretariat_upload_preview_and_import(board: Runtime) -> None:
    uploaded = upload(board)
    data = to_bytes(later_minutes())
    with board.unit(_caller("CR"), FEBRUARY) as ctx, pytest.raises(Forbidden):
        review.receive(ctx, "February.docx", data)
    for use_case in (
        lambda ctx: review.preview(ctx, uploaded),
        lambda ctx: review.apply(ctx, uploaded, Fixes(), ()),
        lambda ctx: review.cancel(ctx, uploaded),
    ):
        with pytest.raises(Forbidden):
            read_as(board, "CR", use_case, FEBRUARY)


def test_minutes_that_cannot_be_read_are_refused_and_nothing_is_kept(board: Runtime) -> None:
    before = counts(board)
    with board.unit(_caller("RT"), FEBRUARY) as ctx:
        with pytest.raises(MinutesError):
            review.receive(ctx, "February.docx", b"not a word file")
        with pytest.raises(UserError, match="date"):
            review.receive(ctx, "notes.txt", b"Some notes with no date at all.")
    with board.sessions() as session:
        assert session.scalar(select(func.count(PendingImport.id))) == 0
    assert counts(board) == before


def test_an_upload_expires_after_a_day(board: Runtime) -> None:
    uploaded = upload(board)
    later = FEBRUARY + timedelta(hours=25)
    with pytest.raises(UserError, match="has expired"):
        read_as(board, "RT", lambda ctx: review.preview(ctx, uploaded), later)
