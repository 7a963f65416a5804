"""Teams cards that always arrive: valid for Microsoft's Adaptive Cards library, under 80 KB,
readable on a 360 px phone, sent again smaller after a 413, and retried as Microsoft documents."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.render_teams import MAX_CARD_BYTES, card_bytes, note_form_card, reply_card
from bot.runtime import Runtime
from bot.teams import TeamsChannel
from bot.teams_retry import RetryPolicy
from handlers.reminders import SNOOZE_BUTTONS
from handlers.reply import ActionView, Button, Link, Reply, Section, Tone
from scheduler.channels import DeliveryError
from tests.teams_cards import PHONE_WIDTH, card_problems, render_at_360
from tests.teams_harness import (
    DP,
    activity,
    card_text,
    dp_member,
    nudge,
    post,
    run_teams,
)
from tests.teams_standin import BotConnectorStandIn

# Where the phone renders are saved: a temporary folder, or docs/screenshots with
# CRB_SCREENSHOTS=docs (how the README's pictures were made).
DOCS_SCREENSHOTS = Path(__file__).parents[1] / "docs" / "screenshots"
OPEN_ACTIONS = 48  # the digest the review measured at 106 KB


def long_view(number: int) -> ActionView:
    """An open action with the long text and update real minutes have."""
    ref = f"{number:02d}-DP"
    return ActionView(
        ref=ref,
        item=f"{number:02d}",
        meeting="2020-11-25",
        owners=("DP",),
        owner_names=("Damian Pettit",),
        text=f"Action {number}: " + "review the estates strategy and report back " * 30,
        status="open",
        latest_update="Draft circulated to the finance sub-group for comment " * 12,
        rag="amber",
        buttons=(
            Button("Mark done", f"done {ref}", "primary"),
            Button("Add update", f"note {ref}"),
        ),
    )


def digest(count: int = OPEN_ACTIONS) -> Reply:
    views = tuple(long_view(number) for number in range(1, count + 1))
    return Reply(
        title=f"Weekly digest: {count} open actions",
        lines=("Before the meeting on Wed 24 Feb 2021.",),
        sections=(Section("Open actions", actions=views),),
        buttons=SNOOZE_BUTTONS,
    )


def shown_refs(card: dict[str, Any]) -> list[str]:
    return [
        line.split()[0]
        for line in card_text(card).splitlines()
        if re.match(r"\d\d-DP  Action", line)
    ]


def test_the_48_action_digest_stays_under_80_kb_and_counts_the_rest_exactly() -> None:
    """Defect 2: the digest for 48 open actions was 106 KB, over Teams' 100 KB."""
    full = reply_card(digest(), limit=10**9)
    assert card_bytes(full) > 100_000  # as the review measured: it would be refused whole
    card = reply_card(digest(), full_list_url="https://crb.example.gov.uk/actions")
    assert card_bytes(card) <= MAX_CARD_BYTES
    shown = shown_refs(card)
    assert 0 < len(shown) < OPEN_ACTIONS
    assert shown == [f"{n:02d}-DP" for n in range(1, len(shown) + 1)]  # the first ones, in order
    assert f"{OPEN_ACTIONS - len(shown)} more — see the full list" in card_text(card)
    links = [a for a in _nodes(card, "Action.OpenUrl")]
    assert [link["url"] for link in links] == ["https://crb.example.gov.uk/actions"]
    # The snooze buttons survive the cut.
    assert "Snooze 1 day" in [a["title"] for a in _nodes(card, "Action.Execute")]


def test_a_short_reply_is_never_cut() -> None:
    card = reply_card(digest(3))
    assert shown_refs(card) == ["01-DP", "02-DP", "03-DP"]
    assert "more — see the full list" not in card_text(card)


def test_the_digest_opens_the_board_on_the_web_desk() -> None:
    """Issue 18: the digest links to the board page, as a link to open, not a command."""
    board = Link("Open the board on the web desk", "https://crb.example.gov.uk/")
    card = reply_card(replace(digest(3), link=board))
    (opens,) = _nodes(card, "Action.OpenUrl")
    assert (opens["title"], opens["url"]) == (board.label, board.url)
    assert card_problems([card]) == [[]]


def _nodes(card: Any, kind: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(card, dict):
        if card.get("type") == kind:
            found.append(card)
        for value in card.values():
            found += _nodes(value, kind)
    elif isinstance(card, list):
        for item in card:
            found += _nodes(item, kind)
    return found


def every_kind_of_card() -> list[dict[str, Any]]:
    hostile = "**bold** [x](https://evil.example) {{DATE(2021-01-01T00:00:00Z)}} <at>x</at> # | !"
    return [
        reply_card(nudge()),
        reply_card(digest()),
        reply_card(digest(), full_list_url="https://crb.example.gov.uk/actions"),
        reply_card(Reply.error("That button is out of date.", hostile)),
        reply_card(Reply("Done: 04-DP", (hostile,), tone=Tone.SUCCESS)),
        note_form_card("04-DP", "note 04-DP"),
    ]


def test_every_kind_of_card_passes_the_official_adaptive_cards_validator() -> None:
    """Defect 6: the update form failed the validator ({"title": "No rating", "value": ""})."""
    cards = every_kind_of_card()
    assert all(card["version"] == "1.5" for card in cards)
    assert card_problems(cards) == [[]] * len(cards)
    # The validator does catch the old form's choice.
    old_form = note_form_card("04-DP", "note 04-DP")
    old_form["body"][2]["choices"].insert(0, {"title": "No rating", "value": ""})
    (found,) = card_problems([old_form])
    assert any("Input.ChoiceSet" in problem["message"] for problem in found)


def test_the_cards_the_bot_sends_in_a_conversation_pass_the_validator(teams: Runtime) -> None:
    cards: list[dict[str, Any]] = []

    async def scenario(client: TestClient, standin: BotConnectorStandIn) -> None:
        for text in ("help", "mine", "outstanding", "next", "done 04-DP", "done 99-XX"):
            await post(client, activity(standin.url, DP, text=f"crb {text}"))
        cards.extend(message.card for message in standin.messages())

    run_teams(teams, scenario)
    assert len(cards) == 6
    assert card_problems(cards) == [[]] * 6


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    return DOCS_SCREENSHOTS if os.environ.get("CRB_SCREENSHOTS") == "docs" else tmp_path


@pytest.fixture
def phone_page(chromium: Any) -> Iterator[Any]:
    """A page in the process's one headless Chromium (tests/web_fixtures.py), phone-sized."""
    context = chromium.new_context(viewport={"width": PHONE_WIDTH, "height": 800})
    page = context.new_page()
    yield page
    context.close()


def test_a_nudge_with_snooze_buttons_fits_a_360_px_phone(
    phone_page: Any, screenshots: Path
) -> None:
    """Defect 6: the snooze buttons' labels were cut at 360 px."""
    reminder = replace(nudge(), buttons=SNOOZE_BUTTONS)
    shown = render_at_360(phone_page, reply_card(reminder), screenshots / "teams-nudge-360.png")
    assert shown["width"] <= PHONE_WIDTH
    assert shown["cut"] == []
    for label in (
        "Mark done",
        "Add update",
        "Snooze 1 day",
        "Snooze 3 days",
        "Until next reminder",
    ):
        assert label in shown["buttons"]
    assert "DP will circulate a previous draft paper for comment." in shown["text"]


def test_the_update_form_and_a_cut_digest_fit_a_360_px_phone(
    phone_page: Any, screenshots: Path
) -> None:
    form = render_at_360(
        phone_page, note_form_card("04-DP", "note 04-DP"), screenshots / "teams-update-form-360.png"
    )
    assert form["width"] <= PHONE_WIDTH and form["cut"] == []
    cut = reply_card(digest(), full_list_url="https://crb.example.gov.uk/actions", limit=8_000)
    shown = render_at_360(phone_page, cut, screenshots / "teams-digest-cut-360.png")
    assert shown["width"] <= PHONE_WIDTH and shown["cut"] == []
    assert "more — see the full list" in shown["text"]


# ---------------------------------------------------------------- sending


class Sleeps:
    """The waits a retry policy asked for (no real sleeping in tests)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def test_a_413_is_sent_again_smaller_never_lost(teams: Runtime) -> None:
    """Defect 2: a 413 was classed as permanent and the digest lost for good."""

    async def scenario(client: TestClient, standin: BotConnectorStandIn) -> None:
        await post(client, activity(standin.url, DP, text="crb mine"))
        channel = TeamsChannel(teams.config, teams.sessions)
        standin.fail_next(413)
        await channel.send(dp_member(teams), digest())
        sent = standin.messages()[-1].card
        assert card_bytes(sent) <= MAX_CARD_BYTES // 2
        assert "more — see the full list" in card_text(sent)
        standin.fail_next(413, times=3)  # too large however short: tried again on a later tick
        with pytest.raises(DeliveryError) as error:
            await channel.send(dp_member(teams), digest())
        assert not error.value.permanent

    run_teams(teams, scenario)


@pytest.mark.parametrize("status", [429, 412, 502, 504])
def test_busy_answers_are_retried_with_backoff_and_jitter(teams: Runtime, status: int) -> None:
    """Defect 6: 412, 502 and 504 were not retried, and retries had no jitter."""
    sleeps = Sleeps()

    async def scenario(client: TestClient, standin: BotConnectorStandIn) -> None:
        await post(client, activity(standin.url, DP, text="crb mine"))
        before = len(standin.messages())
        channel = TeamsChannel(teams.config, teams.sessions, retries=RetryPolicy(sleep=sleeps))
        standin.fail_next(status, times=3)
        await channel.send(dp_member(teams), nudge())
        assert len(standin.messages()) == before + 1

    run_teams(teams, scenario)
    assert len(sleeps.waits) == 3
    # Full jitter: each wait is random, below a ceiling that doubles (0.5 s, 1 s, 2 s).
    assert all(0 <= wait <= 0.5 * 2**n for n, wait in enumerate(sleeps.waits, start=1))


def test_retry_after_is_honoured_and_a_long_one_is_left_to_the_ledger(teams: Runtime) -> None:
    sleeps = Sleeps()

    async def scenario(client: TestClient, standin: BotConnectorStandIn) -> None:
        await post(client, activity(standin.url, DP, text="crb mine"))
        channel = TeamsChannel(teams.config, teams.sessions, retries=RetryPolicy(sleep=sleeps))
        standin.fail_next(429, retry_after=3)
        await channel.send(dp_member(teams), nudge())
        assert sleeps.waits[0] >= 3
        standin.fail_next(429, retry_after=120)
        with pytest.raises(DeliveryError) as later:
            await channel.send(dp_member(teams), nudge())
        assert later.value.retry_after == 120 and not later.value.permanent
        assert len(sleeps.waits) == 1  # two minutes are not waited out inside a tick

    run_teams(teams, scenario)


def test_a_reply_in_a_conversation_is_retried_too(teams: Runtime) -> None:
    async def scenario(client: TestClient, standin: BotConnectorStandIn) -> None:
        standin.fail_next(502)
        await post(client, activity(standin.url, DP, text="crb mine"))
        (reply,) = standin.messages()
        assert "Your open actions" in card_text(reply.card)

    run_teams(teams, scenario)


def test_cards_are_under_the_limit_for_any_limit() -> None:
    for limit in (MAX_CARD_BYTES, 40_000, 20_000, 8_000):
        card = reply_card(digest(), limit=limit)
        assert card_bytes(card) <= limit
