"""Several boards through the real `crb` command line (issue 16): `crb boards`, `board add/set/
show`, `--board`/`CRB_BOARD` on every board-scoped command, the import that recognises its board,
a person joined across boards, and one board's backup."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.conftest import SAMPLE

BOARD_KEYS = {
    "short",
    "name",
    "timezone",
    "marking",
    "reminder_days",
    "reminder_time",
    "recurrence",
    "slack_channel",
    "teams_channel",
}
SAMPLE_BOARD = "CRB"  # a fresh board keeps its code when the sample minutes rename it


class Crb:
    """`crb` in-process on one database; asserts each exit status."""

    def __init__(self, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.delenv("CRB_BOARD", raising=False)
        self.runner = CliRunner()

    def __call__(self, *args: str, code: int = 0, board: str | None = None):
        env = {"CRB_BOARD": board} if board else None
        result = self.runner.invoke(app, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == code, (args, result.stdout, result.stderr)
        return result

    def json(self, *args: str, board: str | None = None) -> dict:
        return json.loads(self(*args, "--json", board=board).stdout)


@pytest.fixture
def crb_on(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Crb:
    """The CLI on SQLite and on PostgreSQL."""
    monkeypatch.chdir(tmp_path)
    return Crb(database_url, monkeypatch)


@pytest.fixture
def crb(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Crb:
    monkeypatch.chdir(tmp_path)
    return Crb(sqlite_url, monkeypatch)


def minutes_titled(directory: Path, title: str) -> Path:
    """The sample minutes under another board's title."""
    text = SAMPLE.read_text(encoding="utf-8")
    path = directory / (re.sub(r"\W+", "-", title).lower() + ".txt")
    path.write_text(text.replace("West Mercia Crime Reduction Board", title, 1), encoding="utf-8")
    return path


def two_boards(crb: Crb, directory: Path) -> None:
    """The sample board with its minutes, and the Governance Board with its own."""
    crb("import", str(SAMPLE))
    crb("board", "add", "GOV", "--name", "Governance Board", "--marking", "OFFICIAL")
    imported = crb("import", str(minutes_titled(directory, "West Mercia Governance Board")))
    assert "8 were created" in imported.stdout or "created" in imported.stdout


def member_initials(crb: Crb, board: str) -> list[str]:
    return [m["initials"] for m in crb.json("members", "--board", board)["members"]]


# ---------------------------------------------------------------- one board, as before


def test_a_single_board_database_works_as_before(crb_on: Crb) -> None:
    crb = crb_on
    (fresh,) = crb.json("boards")["boards"]
    assert set(fresh) == BOARD_KEYS and fresh["short"] == "CRB"
    crb("import", str(SAMPLE))
    (board,) = crb.json("boards")["boards"]
    # The fresh board took the minutes' name, and its code followed the name.
    assert board["name"] == "West Mercia Crime Reduction Board"
    assert board["short"] == SAMPLE_BOARD and board["timezone"] == "Europe/London"
    assert len(crb.json("actions")["actions"]) == 8  # no --board anywhere: it is implied
    assert "Done: 04-DP" in crb("console", "--as", "DP", "-c", "done 04-DP").stdout
    assert crb.json("board", "show")["board"]["short"] == SAMPLE_BOARD
    assert crb.json("members", "--board", "crb")["members"]  # any case


def test_a_board_named_by_its_full_name_still_works(crb: Crb) -> None:
    crb("import", str(SAMPLE))
    again = crb("board", "set", "West Mercia Crime Reduction Board", "--marking", "OFFICIAL")
    assert "protective marking is now OFFICIAL" in again.stdout
    refused = crb("actions", "--board", "NOPE", code=1)
    assert "There is no board 'NOPE'" in refused.stderr and SAMPLE_BOARD in refused.stderr


# ---------------------------------------------------------------- boards


def test_board_add_validates_and_records_who_added_it(crb_on: Crb) -> None:
    crb = crb_on
    for args, says in (
        (("G-V", "--name", "Governance Board"), "can't be a board's short code"),
        (("crb", "--name", "Copy"), "already the Crime Reduction Board's short code"),
        (("GOV", "--name", "  "), "needs a name"),
        (("GOV", "--name", "G", "--timezone", "Mars/Base"), "not a time zone"),
        (("GOV", "--name", "G", "--recurrence", "FREQ=SOMETIMES"), "not a recurrence rule"),
    ):
        assert says in crb("board", "add", *args, code=1).stderr
    assert [b["short"] for b in crb.json("boards")["boards"]] == ["CRB"]  # nothing half-added

    rule = "FREQ=YEARLY;BYMONTH=1,4,7,10;BYDAY=2TU"
    added = crb(
        "board", "add", "gov", "--name", "Governance Board", "--timezone", "Europe/Dublin",
        "--recurrence", rule, "--marking", "OFFICIAL",
    )  # fmt: skip
    assert "Added the Governance Board (GOV), in Europe/Dublin." in added.stdout
    gov = next(b for b in crb.json("boards")["boards"] if b["short"] == "GOV")
    assert gov == {
        "short": "GOV",
        "name": "Governance Board",
        "timezone": "Europe/Dublin",
        "marking": "OFFICIAL",
        "reminder_days": "14,7,1",
        "reminder_time": "09:00",
        "recurrence": rule,
        "slack_channel": None,
        "teams_channel": None,
    }
    events = crb.json("audit", "--board", "GOV")["events"]
    created = next(e for e in events if (e["details"] or {}).get("created") == "board")
    assert created["kind"] == "board_changed" and created["by"] == "cli"
    assert created["details"]["short"] == "GOV" and created["details"]["recurrence"] == rule
    assert all(e["by"] == "cli" for e in events)
    listed = crb("boards").stdout  # the table
    assert "Boards: 2" in listed and "│ GOV " in listed


def test_board_set_changes_one_board_and_binds_channels(crb: Crb, tmp_path: Path) -> None:
    two_boards(crb, tmp_path)
    changed = crb(
        "board", "set", "GOV", "--name", "Governance Board (West Mercia)",
        "--timezone", "Europe/Dublin", "--slack-channel", "C0GOV", "--teams-channel", "19:gov",
        "--reminder-days", "10,3",
    )  # fmt: skip
    assert "name: Governance Board -> Governance Board (West Mercia)" in changed.stdout
    assert "slack channel: none -> C0GOV" in changed.stdout
    assert "reminder days: 14,7,1 -> 10,3" in changed.stdout
    boards = {b["short"]: b for b in crb.json("boards")["boards"]}
    assert boards["GOV"]["slack_channel"] == "C0GOV" and boards["GOV"]["teams_channel"] == "19:gov"
    assert boards[SAMPLE_BOARD]["slack_channel"] is None  # the other board is untouched
    assert boards[SAMPLE_BOARD]["reminder_days"] == "14,7,1"

    taken = crb("board", "set", SAMPLE_BOARD, "--slack-channel", "C0GOV", code=1)
    assert "already bound to the Governance Board (West Mercia) (GOV)" in taken.stderr
    crb("board", "set", "GOV", "--slack-channel", "")  # "" unbinds
    assert crb.json("board", "show", "GOV")["board"]["slack_channel"] is None
    assert "not a time zone" in crb("board", "set", "GOV", "--timezone", "X", code=1).stderr
    assert (
        "Those settings are as given."
        in crb("board", "set", "GOV", "--reminder-days", "10,3").stdout
    )


def test_the_environment_pins_the_first_boards_settings_only(
    crb: Crb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    two_boards(crb, tmp_path)
    monkeypatch.setenv("CRB_REMINDER_DAYS", "5,2")
    crb("boards")  # every start applies the environment: to the first board
    boards = {b["short"]: b for b in crb.json("boards")["boards"]}
    assert boards[SAMPLE_BOARD]["reminder_days"] == "5,2"
    assert boards["GOV"]["reminder_days"] == "14,7,1"
    pinned = crb("board", "set", SAMPLE_BOARD, "--reminder-days", "3", code=1)
    assert "CRB_REMINDER_DAYS" in pinned.stderr
    assert "10" in crb("board", "set", "GOV", "--reminder-days", "10").stdout


# ---------------------------------------------------------------- which board?

NEEDS_A_BOARD = [
    ("actions",),
    ("members",),
    ("meetings",),
    ("audit",),
    ("member", "add", "AB", "--name", "Ann Bell"),
    ("member", "link", "DP", "--email", "dp@example.org"),
    ("member", "unlink", "DP", "--email"),
    ("member", "edit", "DP", "--capacity", "Clerk"),
    ("member", "role", "DP", "chair"),
    ("member", "deactivate", "DP"),
    ("member", "reactivate", "DP"),
    ("member", "revoke-links", "DP"),
    ("meeting", "add", "2027-03-10"),
    ("meeting", "move", "2021-02-24", "2021-03-03"),
    ("meeting", "cancel", "2021-02-24"),
    ("meeting", "restore", "2021-02-24"),
    ("meeting", "edit", "2021-02-24", "--venue", "Hall"),
    ("action", "reassign", "04-DP", "CR"),
    ("export",),
    ("console", "--as", "DP", "-c", "mine"),
    ("web", "link", "--as", "DP"),
    ("board", "show"),
    ("board", "set", "--marking", "OFFICIAL"),
]


def test_with_several_boards_a_command_that_names_none_exits_2_naming_them(
    crb_on: Crb, tmp_path: Path
) -> None:
    crb = crb_on
    two_boards(crb, tmp_path)
    before = crb("backup", "-o", "-").stdout
    for command in NEEDS_A_BOARD:
        refused = crb(*command, code=2).stderr
        assert "Which board? This database holds 2:" in refused, command
        assert "GOV (Governance Board)" in refused, command
        assert f"{SAMPLE_BOARD} (West Mercia Crime Reduction Board)" in refused, command
    unknown = crb("import", str(minutes_titled(tmp_path, "Victims' Board")), code=2).stderr
    assert "matches no board's name" in unknown and "GOV (Governance Board)" in unknown
    after = crb("backup", "-o", "-").stdout
    before, after = _without_created_at(before), _without_created_at(after)
    for name in set(before["tables"]) - {"web_keys"}:  # `web link` makes the key it signs with
        assert after["tables"][name] == before["tables"][name], name


def _without_created_at(backup_text: str) -> dict:
    document = json.loads(backup_text)
    document.pop("created_at")
    return document


def test_every_board_scoped_command_takes_board_and_crb_board(crb: Crb, tmp_path: Path) -> None:
    two_boards(crb, tmp_path)
    theirs = member_initials(crb, SAMPLE_BOARD)
    crb("member", "add", "AB", "--name", "Ann Bell", "--board", "GOV")
    crb("member", "edit", "AB", "--capacity", "Clerk", board="GOV")
    crb("member", "link", "AB", "--email", "ann@example.org", "--board", "GOV")
    crb("member", "unlink", "AB", "--email", board="GOV")
    crb("member", "role", "AB", "secretariat", "--board", "GOV")
    crb("member", "revoke-links", "AB", board="GOV")
    crb("member", "deactivate", "AB", "--board", "GOV")
    crb("member", "reactivate", "AB", board="GOV")
    ann = next(m for m in crb.json("members", board="GOV")["members"] if m["initials"] == "AB")
    assert ann["role"] == "secretariat" and ann["email"] is None
    assert member_initials(crb, SAMPLE_BOARD) == theirs  # not on the other board

    crb("meeting", "add", "2027-03-10", "--board", "GOV")
    crb("meeting", "edit", "2027-03-10", "--venue", "Hall", board="GOV")
    crb("meeting", "move", "2027-03-10", "2027-03-11", "--board", "GOV")
    crb("meeting", "cancel", "2027-03-11", board="GOV")
    crb("meeting", "restore", "2027-03-11", "--board", "GOV")
    gov_days = [m["date"] for m in crb.json("meetings", board="GOV")["meetings"]]
    assert "2027-03-11" in gov_days
    assert "2027-03-11" not in [
        m["date"] for m in crb.json("meetings", "--board", SAMPLE_BOARD)["meetings"]
    ]

    crb("action", "reassign", "04-DP", "CR", "--board", "GOV")
    gov = {a["text"]: a["owners"] for a in crb.json("actions", board="GOV")["actions"]}
    ours = {a["text"]: a["owners"] for a in crb.json("actions", "--board", SAMPLE_BOARD)["actions"]}
    moved = next(text for text in gov if text.startswith("DP will circulate"))
    assert gov[moved] == ["CR"] and ours[moved] == ["DP"]

    assert crb("export", "--board", "GOV").stdout.startswith("**OFFICIAL**")
    assert not crb("export", board=SAMPLE_BOARD).stdout.startswith("**OFFICIAL**")
    assert crb.json("audit", "--board", "GOV")["events"]
    mine = crb("console", "--as", "CR", "-c", "mine", board="GOV").stdout
    assert "DP will circulate" in mine  # CR's on GOV only, now theirs
    assert (
        "DP will circulate"
        not in crb("console", "--as", "CR", "-c", "mine", "--board", SAMPLE_BOARD).stdout
    )
    assert crb.json("web", "link", "--as", "DP", board="GOV")["url"].startswith("http")
    assert crb.json("board", "show", board="GOV")["board"]["short"] == "GOV"
    backup = json.loads(crb("backup", "-o", "-", "--board", "GOV").stdout)
    assert [b["short"] for b in backup["tables"]["boards"]] == ["GOV"]


def test_crb_board_names_no_board_or_an_unknown_one(crb: Crb, tmp_path: Path) -> None:
    two_boards(crb, tmp_path)
    refused = crb("members", board="VIC", code=1).stderr
    assert "There is no board 'VIC'" in refused and "GOV (Governance Board)" in refused
    # The option wins over the environment.
    assert member_initials(crb, "GOV") == [
        m["initials"] for m in crb.json("members", "--board", "GOV", board=SAMPLE_BOARD)["members"]
    ]


# ---------------------------------------------------------------- import and people


def test_import_recognises_the_board_from_the_minutes_title(crb_on: Crb, tmp_path: Path) -> None:
    crb = crb_on
    two_boards(crb, tmp_path)  # the GOV minutes went to GOV by their title alone
    assert len(crb.json("actions", "--board", "GOV")["actions"]) == 8
    again = crb.json("import", str(SAMPLE))  # the sample's title names the sample board
    assert again["created"] == [] and again["changed"] == []
    both = minutes_titled(tmp_path, "West Mercia Crime Reduction Board and Governance Board")
    refused = crb("import", str(both), code=2).stderr
    assert "names several boards" in refused and "give --board" in refused
    boards = {b["short"]: b["name"] for b in crb.json("boards")["boards"]}
    assert boards == {SAMPLE_BOARD: "West Mercia Crime Reduction Board", "GOV": "Governance Board"}


def test_a_fresh_board_beside_another_keeps_its_name_and_code(crb: Crb, tmp_path: Path) -> None:
    crb("board", "add", "GOV", "--name", "Governance Board")
    # Two boards: "Crime Reduction Board" is a name the operator has, not one to replace.
    crb("import", str(SAMPLE), "--board", "CRB")
    shorts = {b["short"]: b["name"] for b in crb.json("boards")["boards"]}
    assert shorts == {"CRB": "Crime Reduction Board", "GOV": "Governance Board"}


def test_member_add_joins_a_person_who_sits_on_another_board(crb_on: Crb, tmp_path: Path) -> None:
    crb = crb_on
    crb("import", str(SAMPLE))
    crb("member", "link", "DP", "--email", "dp@example.org")
    crb("board", "add", "GOV", "--name", "Governance Board")
    added = crb(
        "member", "add", "DPA", "--name", "David Pugh", "--role", "chair",
        "--email", "DP@example.org", "--board", "GOV",
    ).stdout  # fmt: skip
    assert "Added" in added
    assert "is the same person who sits on the West Mercia Crime Reduction Board" in added
    crb("member", "link", "DPA", "--slack-id", "U0DP", "--board", "GOV")
    sample_dp = next(
        m for m in crb.json("members", "--board", SAMPLE_BOARD)["members"] if m["initials"] == "DP"
    )
    assert sample_dp["slack_id"] == "U0DP"  # linked once, on every board they sit on
    stranger = crb("member", "add", "ZZ", "--name", "Zed", "--board", "GOV").stdout
    assert "same person" not in stranger


# ---------------------------------------------------------------- backups


def test_one_boards_backup_holds_nothing_of_the_other_and_restores_alone(
    crb_on: Crb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    crb = crb_on
    two_boards(crb, tmp_path)
    crb("member", "link", "CR", "--email", "claire@example.org", "--board", SAMPLE_BOARD)
    crb("member", "add", "ZG", "--name", "Zoe Gov", "--email", "zoe@example.org", "--board", "GOV")
    crb("member", "link", "CR", "--email", "cr.gov@example.org", "--board", "GOV")
    crb("console", "--as", "CR", "-c", "done 04-CR.1", "--board", SAMPLE_BOARD, code=0)
    crb("web", "link", "--as", "DP", "--board", SAMPLE_BOARD)
    everything = json.loads(crb("backup", "-o", "-").stdout)
    assert {b["short"] for b in everything["tables"]["boards"]} == {SAMPLE_BOARD, "GOV"}

    file = tmp_path / "gov.json"
    said = crb("backup", "-o", str(file), "--board", "gov").stdout
    assert "(board GOV only)" in said
    document = json.loads(file.read_text())
    tables = document["tables"]
    (gov,) = tables["boards"]
    assert gov["short"] == "GOV" and document["board"] == "GOV"
    for name, rows in tables.items():
        if name != "boards" and rows and "board_id" in rows[0]:
            assert {row["board_id"] for row in rows} == {gov["id"]}, name
    gov_members = {m["id"] for m in tables["members"]}
    assert {o["member_id"] for o in tables["action_owners"]} <= gov_members
    assert {p["id"] for p in tables["people"]} == {m["person_id"] for m in tables["members"]}
    text = file.read_text()
    assert "claire@example.org" not in text  # the sample board's CR is another person
    assert "cr.gov@example.org" in text and "zoe@example.org" in text
    for unscoped in ("web_keys", "processed_events", "web_rate_events", "slack_dm_channels"):
        assert unscoped not in tables

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'gov-only.db'}")
    assert "Restored" in crb("restore", str(file)).stdout
    (restored,) = crb.json("boards")["boards"]
    assert restored["short"] == "GOV" and restored["marking"] == "OFFICIAL"
    assert len(crb.json("actions", "--status", "all")["actions"]) == 8  # implied: one board
    assert "Zoe Gov" in crb("members").stdout
    again = json.loads(crb("backup", "-o", "-").stdout)["tables"]
    assert again["actions"] == tables["actions"]  # the same rows, the same ids
    assert "Done: 04-DP" in crb("console", "--as", "DP", "-c", "done 04-DP").stdout
