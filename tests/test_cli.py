"""The CLI against the contract: JSON shapes, exit statuses, and the issue's console examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import SAMPLE

ACTION_KEYS = {"ref", "item", "meeting", "owners", "text", "status", "done_at", "done_by"}
MEMBER_KEYS = {"initials", "name", "role", "slack_id", "email"}
MEETING_KEYS = {"date", "time", "venue"}


@pytest.fixture
def imported(crb):
    crb("import", str(SAMPLE))
    return crb


def test_import_json_follows_the_contract(crb) -> None:
    document = json.loads(crb("import", str(SAMPLE), "--json").stdout)
    assert {"meeting", "actions", "members", "next_meeting", "warnings"} <= set(document)
    assert set(document["meeting"]) >= MEETING_KEYS
    assert document["meeting"]["date"] == "2020-11-25"
    assert document["next_meeting"] == {
        "date": "2021-02-24",
        "time": None,
        "venue": "Allsop Rm, Hindlip Hall/Zoom",
        "status": "tentative",
        "minutes_imported_at": None,  # a date the minutes name, not minutes imported
    }
    assert document["meeting"]["minutes_imported_at"].startswith("20")
    refs = [a["ref"] for a in document["actions"]]
    assert refs == ["04-CR", "04-DP", "04-CR", "04-CJ", "05-RT", "05-DP/RT", "06-SG", "06-JS"]
    assert [a["unique_ref"] for a in document["actions"]][:3] == ["04-CR.1", "04-DP", "04-CR.2"]
    assert all(set(a) >= ACTION_KEYS for a in document["actions"])
    assert all(set(m) >= MEMBER_KEYS for m in document["members"])


def test_dry_run_changes_nothing(crb) -> None:
    result = crb("import", str(SAMPLE), "--dry-run")
    assert "8 would be created" not in result.stdout  # members are created too
    assert "Dry run: nothing was changed." in result.stdout
    assert "+ action 04-CR: CR to co-ordinate" in result.stdout
    assert json.loads(crb("actions", "--json").stdout) == {"actions": []}


def test_listings_print_one_json_document(imported) -> None:
    actions = json.loads(imported("actions", "--json").stdout)["actions"]
    assert len(actions) == 8
    first = actions[0]
    assert first == {
        "ref": "04-CR",
        "unique_ref": "04-CR.1",
        "item": "04",
        "meeting": "2020-11-25",
        "owners": ["CR"],
        "text": first["text"],
        "status": "open",
        "done_at": None,
        "done_by": None,
    }
    members = json.loads(imported("members", "--json").stdout)["members"]
    claire = next(m for m in members if m["initials"] == "CR")
    assert claire["name"] == "Claire Richardson" and claire["role"] == "member"
    meetings = json.loads(imported("meetings", "--json").stdout)["meetings"]
    assert [m["date"] for m in meetings] == ["2020-11-25", "2021-02-24"]


def test_the_issues_console_examples(imported) -> None:
    closed = imported("console", "--as", "DP", "-c", "done 04-DP")
    assert "Done: 04-DP" in closed.stdout and "Recorded by DP" in closed.stdout
    ambiguous = imported("console", "--as", "CR", "-c", "done 04-CR", code=1)
    assert "2 actions match 04-CR" in ambiguous.stderr
    assert "04-CR.1" in ambiguous.stderr and "04-CR.2" in ambiguous.stderr
    refused = imported("console", "--as", "JS", "-c", "done 06-SG", code=1)
    assert "belongs to Steven Gabriel (SG)" in refused.stderr
    done = json.loads(imported("actions", "--status", "done", "--json").stdout)["actions"]
    assert [(a["ref"], a["done_by"]) for a in done] == [("04-DP", "DP")]
    assert len(json.loads(imported("actions", "--owner", "cr", "--json").stdout)["actions"]) == 2


def test_members_and_meetings_are_kept_by_the_cli(imported) -> None:
    imported(
        "member",
        "add",
        "ZZ",
        "--name",
        "Zara Zeal",
        "--role",
        "secretariat",
        "--email",
        "zz@example.org",
    )
    imported("member", "link", "CR", "--slack-id", "U0CLAIRE")
    members = {
        m["initials"]: m for m in json.loads(imported("members", "--json").stdout)["members"]
    }
    assert members["ZZ"]["role"] == "secretariat" and members["ZZ"]["email"] == "zz@example.org"
    assert members["CR"]["slack_id"] == "U0CLAIRE"
    imported("meeting", "add", "2021-05-26", "--time", "10:00", "--venue", "Hindlip Hall")
    meetings = json.loads(imported("meetings", "--json").stdout)["meetings"]
    assert meetings[-1] == {
        "date": "2021-05-26",
        "time": "10:00",
        "venue": "Hindlip Hall",
        "status": "scheduled",
        "minutes_imported_at": None,
    }


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["meeting", "add", "24/02/2021"], "is not a date like 2021-02-24"),
        (["meeting", "add", "2021-02-24", "--time", "ten"], "is not a time like 10:00"),
        (["member", "link", "XX", "--slack-id", "U1"], "No member has the initials XX"),
        (["member", "link", "DP", "--slack-id", "U0CLAIRE"], "already linked to CR"),
        (["member", "add", "C R", "--name", "x"], "can't be initials"),
        (["member", "add", "CR", "--name", "Another"], "CR is already a member"),
        (["member", "link", "DP", "--email", "not-an-email"], "is not an email address"),
        (["import", "/nonexistent/minutes.txt"], "There is no file at"),
        (["actions", "--owner", "QQ"], "No member has the initials QQ"),
        (["console", "--as", "DP", "--at", "yesterday", "-c", "mine"], "is not an ISO-8601 time"),
    ],
)
def test_bad_input_exits_1_with_a_message_and_changes_nothing(imported, args, says) -> None:
    imported("member", "link", "CR", "--slack-id", "U0CLAIRE")
    before = imported("members", "--json").stdout
    result = imported(*args, code=1)
    assert says in result.stderr
    assert imported("members", "--json").stdout == before


def test_usage_errors_exit_2(crb) -> None:
    crb("member", "link", "CR", code=2)
    crb("actions", "--status", "maybe", code=2)
    crb("no-such-command", code=2)


def test_unreadable_minutes_are_refused(crb, tmp_path: Path) -> None:
    binary = tmp_path / "minutes.txt"
    binary.write_bytes(b"\x00\x01\x02PK\x03\x04" * 100)
    assert "is not a text file" in crb("import", str(binary), code=1).stderr
    odd = tmp_path / "minutes.pdf"
    odd.write_text("hello")
    assert "can't read .pdf files" in crb("import", str(odd), code=1).stderr


def test_demo_without_a_terminal_prints_the_board_and_exits(crb, tmp_path: Path) -> None:
    result = crb("demo")
    assert "Next meeting: Wednesday 24 February 2021" in result.stdout
    assert "Outstanding actions: 8" in result.stdout
    assert "Reminders planned" in result.stdout
    assert "Wed 10 Feb 2021 09:00" in result.stdout  # the 14-day nudge
    assert (tmp_path / "crb-demo.db").exists()


def test_adding_a_tentative_meeting_confirms_it(imported) -> None:
    # The minutes gave 24 February 2021 as "TBC": adding it confirms it, with its time.
    confirmed = imported("meeting", "add", "2021-02-24", "--time", "10:00")
    assert "Confirmed the meeting on Wednesday 24 February 2021." in confirmed.stdout
    meetings = json.loads(imported("meetings", "--json").stdout)["meetings"]
    assert meetings[-1] == {
        "date": "2021-02-24",
        "time": "10:00",
        "venue": "Allsop Rm, Hindlip Hall/Zoom",
        "status": "scheduled",
        "minutes_imported_at": None,
    }
    again = imported("meeting", "add", "2021-02-24", code=1)
    assert "is already recorded" in again.stderr


def test_crb_audit_shows_who_changed_what_and_through_which_channel(imported) -> None:
    imported("member", "link", "CR", "--slack-id", "U0CLAIRE")
    events = json.loads(imported("audit", "--last", "1", "--json").stdout)["events"]
    assert [(e["kind"], e["by"], e["channel"]) for e in events] == [("member_linked", "cli", "cli")]

    history = json.loads(imported("audit", "--action", "04-DP", "--json").stdout)["events"]
    assert [(e["kind"], e["channel"], e["action"]) for e in history] == [
        ("imported", "import", "04-DP")
    ]
    refused = imported("audit", "--action", "not a ref", code=1)
    assert "is not a REF" in refused.stderr
