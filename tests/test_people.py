"""People, not rows: one person, one identity, a seat on each board they sit on (issue 16).

A person's email and chat accounts are theirs, not a seat's: linking one on any board links them
on every board, and a seat added with the account of someone who sits elsewhere is that person.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from bot.runtime import Runtime
from db import migrate, queries
from db.models import AuditEvent, Board, EventKind, Member, Person
from handlers.boards import BoardNeeded, choose_board
from handlers.errors import NotFound, UserError
from handlers.identity import Account
from handlers.members import add_member, joined_note, link_member
from handlers.run import link_account_by_email
from tests.conftest import AFTER_MEETING, OPERATOR, link_members

DP_EMAIL = "dp@police.example.uk"


def add_board(runtime: Runtime, short: str, name: str) -> None:
    with runtime.sessions() as session, session.begin():
        session.add(Board(short=short, name=name, created_at=AFTER_MEETING))


def seat(runtime: Runtime, short: str, initials: str) -> Member:
    with runtime.sessions() as session:
        board = queries.board_by_short(session, short)
        member = queries.member_by_initials(session, board, initials)
        assert member is not None
        return member


@pytest.fixture
def two_boards(board: Runtime) -> Iterator[Runtime]:
    """The sample board (CRB) with DP's email, and an empty Governance Board (GOV)."""
    link_members(board, {"DP": DP_EMAIL}, "email")  # before GOV: the only board
    add_board(board, "GOV", "Governance Board")
    yield board


def test_a_seat_added_with_the_email_of_someone_on_another_board_is_that_person(
    two_boards: Runtime,
) -> None:
    with two_boards.unit(OPERATOR, AFTER_MEETING, board="GOV") as ctx:
        gov_dp = add_member(ctx, "DP", "Debbie Powell", email=DP_EMAIL.upper())
        note = joined_note(gov_dp)
        ctx.session.commit()
    crb_dp = seat(two_boards, "CRB", "DP")
    assert gov_dp.person_id == crb_dp.person_id
    assert note is not None and "Crime Reduction Board (" in note and "as DP" in note

    link_members(two_boards, {"DP": "U0DP"}, board="CRB")  # linked on the sample board only…
    assert seat(two_boards, "GOV", "DP").slack_id == "U0DP"  # …and so on every board they sit on


def test_a_person_already_on_the_board_cannot_take_a_second_seat(two_boards: Runtime) -> None:
    refused = pytest.raises(UserError, match="already a member of this board, as DP")
    with two_boards.unit(OPERATOR, AFTER_MEETING, board="CRB") as ctx, refused:
        add_member(ctx, "DPX", "Debbie Powell", email=DP_EMAIL)


def test_accounts_of_two_different_people_are_refused(two_boards: Runtime) -> None:
    link_members(two_boards, {"CR": "U0CR"}, board="CRB")
    refused = pytest.raises(UserError, match="belong to different people")
    with two_boards.unit(OPERATOR, AFTER_MEETING, board="GOV") as ctx, refused:
        add_member(ctx, "XX", "Someone", email=DP_EMAIL, slack_id="U0CR")


def test_linking_an_email_held_on_another_board_joins_the_two_people(two_boards: Runtime) -> None:
    with two_boards.unit(OPERATOR, AFTER_MEETING, board="GOV") as ctx:
        gov_dp = add_member(ctx, "DP", "Debbie Powell", teams_id="aad-dp")
        ctx.session.commit()
    with two_boards.unit(OPERATOR, AFTER_MEETING, board="GOV") as ctx:
        member = ctx.session.get(Member, gov_dp.id)
        assert link_member(ctx, member, email=DP_EMAIL)
        ctx.session.commit()

    crb_dp, gov_dp = seat(two_boards, "CRB", "DP"), seat(two_boards, "GOV", "DP")
    assert crb_dp.person_id == gov_dp.person_id
    assert (crb_dp.email, crb_dp.teams_id) == (DP_EMAIL, "aad-dp")  # the accounts came along
    with two_boards.sessions() as session:
        assert session.scalar(select(Person).where(Person.teams_id == "aad-dp")).members
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.kind == EventKind.MEMBER_LINKED)
        ).all()
    assert {(e.board_id, e.member_id) for e in events if e.details == {"joined": "person"}} == {
        (crb_dp.board_id, crb_dp.id),
        (gov_dp.board_id, gov_dp.id),
    }, "each board's trail shows the join, on its own seat"


def test_two_people_whose_accounts_clash_are_never_joined(two_boards: Runtime) -> None:
    link_members(two_boards, {"DP": "U0DP"}, board="CRB")
    with two_boards.unit(OPERATOR, AFTER_MEETING, board="GOV") as ctx:
        gov_dp = add_member(ctx, "DP", "Another DP", slack_id="U0OTHER")
        with pytest.raises(UserError, match="already linked to DP of the West Mercia Crime"):
            link_member(ctx, gov_dp, email=DP_EMAIL)


def test_an_account_holds_on_the_board_of_each_seat_alone(two_boards: Runtime) -> None:
    with two_boards.unit(OPERATOR, AFTER_MEETING, board="GOV") as ctx:
        add_member(ctx, "CJ", "Chris Jones", slack_id="U0GOVONLY")
        ctx.session.commit()
    reply = two_boards.execute(Account.slack("U0GOVONLY"), "mine", AFTER_MEETING)
    assert "open actions" in reply.title.lower() or "no open actions" in reply.title.lower()
    with two_boards.unit(Account.slack("U0GOVONLY"), AFTER_MEETING) as ctx:
        assert ctx.board.short == "GOV"  # their only seat decides, although CRB has a CJ too
        assert ctx.caller.member is not None and ctx.caller.member.name == "Chris Jones"


def test_a_chat_account_linked_by_email_is_linked_on_every_board(two_boards: Runtime) -> None:
    with two_boards.unit(OPERATOR, AFTER_MEETING, board="GOV") as ctx:
        add_member(ctx, "DP", "Debbie Powell", email=DP_EMAIL)
        ctx.session.commit()
    linked = link_account_by_email(
        two_boards.sessions, OPERATOR, "slack_id", "U0DPNEW", [DP_EMAIL], AFTER_MEETING
    )
    assert linked is not None
    assert seat(two_boards, "CRB", "DP").slack_id == "U0DPNEW"
    assert seat(two_boards, "GOV", "DP").slack_id == "U0DPNEW"


def test_a_board_is_named_by_its_short_code_or_asked_for(two_boards: Runtime) -> None:
    with two_boards.sessions() as session:
        assert choose_board(session, " gov ").name == "Governance Board"
        with pytest.raises(NotFound, match=r"no board 'XYZ'.*CRB .*GOV \(Governance Board\)"):
            choose_board(session, "XYZ")
        with pytest.raises(BoardNeeded, match=r"Which board\? This database holds 2") as asked:
            choose_board(session, None)
    assert asked.value.exit_code == 2


def test_with_one_board_nothing_needs_naming(board: Runtime) -> None:
    with board.sessions() as session:
        (only,) = queries.boards(session)
        assert choose_board(session, None) is only
        assert only.short == "CRB"


# ---------------------------------------------------------------- the migration


@pytest.fixture
def at_0012(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    migrate.upgrade(engine, "0012")
    yield url
    engine.dispose()


def test_the_migration_makes_one_person_of_seats_sharing_an_account(at_0012: str) -> None:
    engine = create_engine(at_0012)
    now = datetime(2021, 1, 1, tzinfo=UTC).isoformat()
    with engine.begin() as connection:
        for board_id, name in ((1, "Crime Reduction Board"), (2, "Crime Review Board")):
            connection.execute(
                text(
                    "INSERT INTO boards (id, name, command_prefix, timezone, recurrence, "
                    "reminder_days, digest_days, reminder_time, created_at) VALUES "
                    "(:id, :name, 'crb', 'Europe/London', 'FREQ=YEARLY', '14', '7', "
                    "'09:00:00', :now)"
                ),
                {"id": board_id, "name": name, "now": now},
            )
        seats = [
            (1, 1, "DP", "dp@x.uk", "U0DP"),  # the same person on two boards: one person
            (2, 2, "DP", "DP@X.UK", None),
            (3, 1, "SG", "shared@x.uk", None),  # two seats on one board: two people, always
            (4, 1, "JS", "shared@x.uk", None),
            (5, 2, "CR", None, None),
        ]
        for member_id, board_id, initials, email, slack_id in seats:
            connection.execute(
                text(
                    "INSERT INTO members (id, board_id, initials, name, role, email, slack_id, "
                    "active, created_at) VALUES (:id, :board, :initials, :initials, 'member', "
                    ":email, :slack, 1, :now)"
                ),
                {
                    "id": member_id,
                    "board": board_id,
                    "initials": initials,
                    "email": email,
                    "slack": slack_id,
                    "now": now,
                },
            )
    reports = migrate.upgrade(engine)
    with engine.connect() as connection:
        people = dict(connection.execute(text("SELECT id, person_id FROM members")).all())
        shorts = connection.execute(text("SELECT short FROM boards ORDER BY id")).scalars().all()
        dp = connection.execute(text("SELECT email, slack_id FROM people WHERE id = 1")).one()
    engine.dispose()
    assert people == {1: 1, 2: 1, 3: 3, 4: 4, 5: 5}
    assert tuple(dp) == ("dp@x.uk", "U0DP")
    assert shorts == ["CRB", "CRB2"]
    assert any("“Crime Reduction Board” has the short code CRB" in r for r in reports)
    assert any("“Crime Review Board” has the short code CRB2" in r for r in reports)
