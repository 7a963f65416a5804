"""The REF grammar and the command parser: what people type."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from db.models import Rag
from handlers.commands import (
    Add,
    Done,
    Help,
    Mine,
    Next,
    Note,
    Outstanding,
    Reassign,
    Reopen,
    parse_command,
)
from handlers.errors import UserError
from handlers.refs import Ref, parse_ref, split_ref


@pytest.mark.parametrize(
    "typed", ["04-CR", "4-cr", "04 CR", " 04-cr ", "4 Cr", "004-CR", "04–CR", "04_CR", "04:cr"]
)
def test_ref_spellings_all_name_item_04_owner_cr(typed: str) -> None:
    assert parse_ref(typed) == Ref("04", ("CR",))


def test_joint_owners_and_disambiguators() -> None:
    assert parse_ref("05-DP/RT") == Ref("05", ("DP", "RT"))
    assert parse_ref("5 dp / rt") == Ref("05", ("DP", "RT"))
    assert parse_ref("04-CR.2") == Ref("04", ("CR",), 2)
    assert parse_ref("04-CR.2@2020-11-25") == Ref("04", ("CR",), 2, date(2020, 11, 25))
    assert str(Ref("04", ("CR",), 2, date(2020, 11, 25))) == "04-CR.2@2020-11-25"


@pytest.mark.parametrize("typed", ["GOV:04-DP", "gov:4-dp", "Gov : 04 DP", "gov:04:dp"])
def test_a_board_code_and_a_colon_name_the_board(typed: str) -> None:
    assert parse_ref(typed) == Ref("04", ("DP",), board="GOV")
    assert str(parse_ref(typed)) == "GOV:04-DP"
    assert split_ref(f"{typed} sent on 3 Dec") == (Ref("04", ("DP",), board="GOV"), "sent on 3 Dec")


@pytest.mark.parametrize(
    "typed", ["", "CR", "04", "04-", "-CR", "04-CR.0", "04-CR@2020-13-45", "x" * 200, "04-C R"]
)
def test_not_refs(typed: str) -> None:
    assert parse_ref(typed) is None


def test_split_ref_keeps_the_note_after_a_spaced_ref() -> None:
    ref, rest = split_ref("04 CR sent to the board on 3 Dec")
    assert ref == Ref("04", ("CR",))
    assert rest == "sent to the board on 3 Dec"


@given(st.text(max_size=300))
def test_no_text_crashes_the_ref_parser(text: str) -> None:
    ref = parse_ref(text)
    assert ref is None or (ref.item.isdigit() and ref.owners)
    split_ref(text)


@given(st.text(max_size=300))
def test_no_text_crashes_the_command_parser(text: str) -> None:
    try:
        parse_command(text)
    except UserError as error:
        assert error.message


@given(
    item=st.integers(min_value=0, max_value=999),
    owners=st.lists(
        st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,3}", fullmatch=True), min_size=1, max_size=3
    ),
    separator=st.sampled_from(["-", " ", "–", "_", ":"]),
)
def test_every_well_formed_ref_round_trips(item: int, owners: list[str], separator: str) -> None:
    ref = parse_ref(f"{item}{separator}{'/'.join(owners)}")
    assert ref is not None
    assert parse_ref(str(ref)) == ref
    assert ref.owners == tuple(o.upper() for o in owners)


def test_commands_parse() -> None:
    assert parse_command("") == Help()
    assert parse_command("help") == Help()
    assert parse_command("/crb done 04-CR") == Done(Ref("04", ("CR",)))
    assert parse_command("crb done 4 cr finished") == Done(Ref("04", ("CR",)), "finished")
    assert parse_command("DONE 04-CR") == Done(Ref("04", ("CR",)))
    assert parse_command("reopen 04-DP closed by mistake") == Reopen(
        Ref("04", ("DP",)), "closed by mistake"
    )
    assert parse_command("note 04-CR amber waiting on data") == Note(
        Ref("04", ("CR",)), "waiting on data", Rag.AMBER
    )
    assert parse_command("note 04-CR waiting on data") == Note(
        Ref("04", ("CR",)), "waiting on data"
    )
    assert parse_command("mine") == Mine()
    assert parse_command("outstanding") == Outstanding()
    assert parse_command("outstanding cr --post") == Outstanding("CR", post=True)
    assert parse_command("outstanding gov cr") == Outstanding("CR", board="GOV")
    assert parse_command("next") == Next()
    assert parse_command("add 7 DP/RT Bring the probation update") == Add(
        "07", ("DP", "RT"), "Bring the probation update"
    )
    assert parse_command("reassign 04-CJ CR") == Reassign(Ref("04", ("CJ",)), ("CR",))


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("dne 04-CR", "Did you mean “done”"),
        ("frobnicate", "I don't know the command"),
        ("done", "It needs a REF"),
        ("done CR-04", "is not a REF"),
        ("note 04-CR", "The update is empty"),
        ("note 04-CR red", "The update is empty"),
        ("mine please", "takes nothing after it"),
        ("add 04 CR", "Say the item, the owner and the action"),
        ("add four CR do it", "Say the item, the owner and the action"),
        ("outstanding GOV CR DP", "at most a board"),
        ("reassign 04-CR", "Say whose action it becomes"),
    ],
)
def test_malformed_commands_say_why(typed: str, says: str) -> None:
    with pytest.raises(UserError) as raised:
        parse_command(typed)
    assert says in raised.value.message


def test_control_characters_are_stripped_from_notes() -> None:
    command = parse_command("note 04-CR line one\x00\x1b[31m\nline two")
    assert isinstance(command, Note)
    assert "\x00" not in command.text and "\x1b" not in command.text and "\n" not in command.text
