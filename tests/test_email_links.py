"""The one-click links' rules, below the web (issue 18): who a link acts for, for how long, and
that opening one never changes anything."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.runtime import Runtime
from db.models import AuditEvent, Meeting, Member, SnoozeChoice
from handlers.context import Links
from handlers.email_links import LinkRefused, Purpose, read, revoke_links
from handlers.link_pages import Pressed, visit
from handlers.reply import Tone
from tests.conftest import AFTER_MEETING, FEB_10, SAMPLE
from tests.email_harness import KEYS, OPERATOR, PUBLIC_URL
from tests.link_harness import FEB_24, counts, member_id, token

LINKS = Links(PUBLIC_URL, lambda: KEYS)
LATER = FEB_10 + timedelta(hours=2)
DONE_04_DP = {"action": ("DP", "04"), "issued": FEB_10}


def test_a_token_altered_by_one_character_is_refused(board: Runtime) -> None:
    good = token(board, "DP", Purpose.DONE, **DONE_04_DP)
    assert read(KEYS, good).purpose == Purpose.DONE
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
    before = counts(board)
    for place, char in enumerate(good):
        changed = good[:place] + alphabet[(alphabet.index(char) + 1) % len(alphabet)]
        altered = changed + good[place + 1 :]
        with pytest.raises(LinkRefused, match="not valid"):
            visit(board.sessions, LINKS, altered, LATER, Pressed())
    assert counts(board) == before


def test_a_link_naming_another_persons_action_changes_nothing(board: Runtime) -> None:
    # Signed with the real key, for DP, but naming CR's action: as if minted by mistake.
    theirs = token(board, "DP", Purpose.DONE, action=("CR", "04"), issued=FEB_10)
    before = counts(board)
    for pressed in (None, Pressed()):
        with pytest.raises(LinkRefused, match="not yours"):
            visit(board.sessions, LINKS, theirs, LATER, pressed)
    assert counts(board) == before


def test_a_link_acts_only_for_the_person_it_was_sent_to(board: Runtime) -> None:
    page = visit(
        board.sessions, LINKS, token(board, "DP", Purpose.DONE, **DONE_04_DP), LATER, Pressed()
    )
    assert page.person == "Damian Pettit" and page.changed
    with board.sessions() as session:
        event = session.query(AuditEvent).order_by(AuditEvent.id.desc()).first()
        assert event is not None and event.actor_id == member_id(board, "DP")


def test_an_expired_link_changes_nothing(board: Runtime) -> None:
    link = token(board, "DP", Purpose.DONE, **DONE_04_DP)
    after_the_meeting_day = read(KEYS, link).expires_at
    before = counts(board)
    with pytest.raises(LinkRefused, match="expired"):
        visit(board.sessions, LINKS, link, after_the_meeting_day, Pressed())
    assert counts(board) == before
    assert visit(board.sessions, LINKS, link, after_the_meeting_day - timedelta(seconds=1))


def test_links_are_revoked_from_the_desk_or_by_rotating_the_key(board: Runtime) -> None:
    link = token(board, "DP", Purpose.UPDATE, **DONE_04_DP)
    with board.unit(OPERATOR, FEB_10 + timedelta(hours=1)) as ctx:
        revoke_links(ctx, ctx.session.get_one(Member, member_id(board, "DP")))
        ctx.session.commit()
    with pytest.raises(LinkRefused, match="withdrawn"):
        visit(board.sessions, LINKS, link, LATER)
    fresh = token(board, "DP", Purpose.UPDATE, action=("DP", "04"), issued=LATER)
    assert visit(board.sessions, LINKS, fresh, LATER).form is not None

    rotated = Links(PUBLIC_URL, lambda: ("a new key, rotated in", *KEYS))  # the old verifies…
    assert visit(board.sessions, rotated, fresh, LATER).form is not None
    new_only = Links(PUBLIC_URL, lambda: ("a new key, rotated in",))  # …until it is dropped
    with pytest.raises(LinkRefused, match="not valid"):
        visit(board.sessions, new_only, fresh, LATER)


def test_opening_any_link_changes_nothing(board: Runtime) -> None:
    """What a mail scanner does: open every link. Only pressing acts."""
    links = [
        token(board, "DP", Purpose.DONE, **DONE_04_DP),
        token(board, "DP", Purpose.UPDATE, **DONE_04_DP),
        token(board, "DP", Purpose.MINE, issued=FEB_10),
        *(token(board, "DP", Purpose.SNOOZE, snooze=c, issued=FEB_10) for c in SnoozeChoice),
    ]
    before = counts(board)
    pages = [visit(board.sessions, LINKS, link, LATER) for link in links]
    assert counts(board) == before
    assert [page.form.button if page.form else None for page in pages] == [
        "Mark done",
        "Add update",
        None,
        "Snooze",
        "Snooze",
        "Snooze",
    ]


def test_an_action_closed_since_says_who_closed_it_and_when(board: Runtime) -> None:
    link = token(board, "DP", Purpose.DONE, **DONE_04_DP)
    visit(board.sessions, LINKS, link, LATER, Pressed())
    before = counts(board)
    for pressed in (None, Pressed()):
        page = visit(board.sessions, LINKS, link, LATER + timedelta(days=1), pressed)
        assert page.title == "04-DP is already done" and not page.changed
        assert page.lines == (
            "It was marked done by Damian Pettit on Wednesday 10 February 2021 at 11:00. "
            "Nothing changed.",
        )
    assert counts(board) == before


def test_an_update_needs_a_rag_and_a_line(board: Runtime) -> None:
    link = token(board, "DP", Purpose.UPDATE, **DONE_04_DP)
    before = counts(board)
    page = visit(board.sessions, LINKS, link, LATER, Pressed(rag="purple", text="  "))
    assert page.tone == Tone.ERROR and not page.changed
    assert page.errors == (
        ("rag", "Choose red, amber or green."),
        ("text", "Write the update: a line or two on where the action stands."),
    )
    assert counts(board) == before
    page = visit(board.sessions, LINKS, link, LATER, Pressed(rag="amber", text="Draft sent."))
    assert page.changed and page.action is not None
    assert (page.action.rag, page.action.latest_update) == ("amber", "Draft sent.")


def test_a_snooze_after_the_last_reminder_says_there_is_nothing_left(board: Runtime) -> None:
    last_nudge = FEB_10 + timedelta(days=13)  # Tue 23 Feb, the day before the meeting
    link = token(board, "DP", Purpose.SNOOZE, snooze=SnoozeChoice.ONE_DAY, issued=last_nudge)
    before = counts(board)
    for pressed in (None, Pressed()):
        page = visit(board.sessions, LINKS, link, last_nudge, pressed)
        assert page.title == "Nothing left to snooze" and page.form is None
        assert page.tone == Tone.WARNING and not page.changed
        assert "that was your last reminder before the meeting" in page.lines[0]
    assert counts(board) == before


def test_after_a_press_the_page_offers_the_rest_of_the_email(board: Runtime) -> None:
    page = visit(
        board.sessions, LINKS, token(board, "DP", Purpose.DONE, **DONE_04_DP), LATER, Pressed()
    )
    assert page.title == "Done: 04-DP"
    assert [listed.view.ref for listed in page.others] == ["05-DP/RT"]
    assert [label for label, _ in page.snooze] == ["1 day", "3 days", "until the next reminder"]
    assert page.mine is not None and page.mine.startswith(PUBLIC_URL + "/e?token=")


def test_a_link_for_a_member_no_longer_active_is_refused(board: Runtime) -> None:
    link = token(board, "DP", Purpose.MINE, issued=FEB_10)
    with board.unit(OPERATOR, AFTER_MEETING) as ctx:
        ctx.session.get_one(Member, member_id(board, "DP")).active = False
        ctx.session.commit()
    with pytest.raises(LinkRefused, match="no longer a member"):
        visit(board.sessions, LINKS, link, LATER)


def test_crb_member_revoke_links_withdraws_a_members_links(crb) -> None:
    crb("import", str(SAMPLE))
    shown = crb("member", "revoke-links", "DP").stdout
    assert "Every email link sent to Damian Pettit (DP) until now is withdrawn." in shown
    assert "No member" in crb("member", "revoke-links", "ZZ", code=1).stderr


def test_a_digest_link_lets_an_officer_act_on_anyones_action(board: Runtime) -> None:
    """The secretariat's digest links close an owner's action, as the secretariat."""
    link = token(board, "RT", Purpose.DONE, action=("CR", "04"), issued=FEB_10)
    page = visit(board.sessions, LINKS, link, LATER, Pressed())
    assert page.changed and page.title == "Done: 04-CR.1"
    with board.sessions() as session:
        event = session.query(AuditEvent).order_by(AuditEvent.id.desc()).first()
        assert event is not None
        assert (event.actor_id, event.channel) == (member_id(board, "RT"), "email link")


def test_a_link_expires_with_its_meeting_when_the_meeting_moves_earlier(board: Runtime) -> None:
    link = token(board, "DP", Purpose.DONE, **DONE_04_DP)
    with board.unit(OPERATOR, FEB_10) as ctx:
        meeting = ctx.session.query(Meeting).filter_by(date=FEB_24).one()
        meeting.date = FEB_24 - timedelta(days=10)  # brought forward to Sunday 14 February
        ctx.session.commit()
    with pytest.raises(LinkRefused, match="expired"):
        visit(board.sessions, LINKS, link, FEB_10 + timedelta(days=5))
    assert visit(board.sessions, LINKS, link, FEB_10 + timedelta(days=4)).form is not None
