"""Crash safety: `crb serve` killed with SIGKILL in the middle of a 200-owner fan-out, restarted.

What it proves, on the real CLI process, the real Slack adapter and the Slack stand-in:
- a restarted process sends every nudge the killed one had not claimed;
- the claims the killed process held are left alone until their lease (CRB_CLAIM_LEASE_SECONDS)
  has run out, then taken over;
- the messages those claims were posting had in fact reached Slack just after the kill (the
  kill lands while several chat.postMessage calls are in flight, and Slack finishes them), so
  the ledger never heard: the send-then-crash window. Each takeover finds its message in the
  DM's history by its metadata key and does not post it again; a claim whose message never left
  is posted then, once.
So every one of the 200 owners has exactly one nudge in their DM, none missing, none twice, and
the ledger records all 200 as sent.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import config
from db.models import DeliveryState, LedgerEntry, Member
from handlers.errors import UserError
from scheduler.dispatch import IN_FLIGHT
from tests.conftest import make_runtime, wait_until
from tests.crowd import crowd_board, dm_of, serve_env, serving, simulate
from tests.slack_standin import SlackStandIn

OWNERS = 200
DUE = datetime(2021, 2, 10, 9, 0, 30, tzinfo=UTC)  # the 14-day nudges of the 24 Feb meeting
LEASE = 60  # seconds, in simulated time: CRB_CLAIM_LEASE_SECONDS for both processes
POSTED_BEFORE_KILL = 60


def test_a_fan_out_killed_midway_and_restarted_nudges_every_owner_exactly_once(
    sqlite_url: str,
) -> None:
    runtime = make_runtime(sqlite_url)
    links = crowd_board(runtime, OWNERS)
    with SlackStandIn() as slack:
        # After 60 posts Slack turns slow: the process is killed while the posts it has in flight
        # (at most IN_FLIGHT) wait for their answers, and the stand-in still accepts each of them
        # a moment later, as Slack would.
        slack.hang("chat.postMessage", seconds=0.001, times=POSTED_BEFORE_KILL)
        slack.hang("chat.postMessage", seconds=0.5, times=IN_FLIGHT)
        env = serve_env(sqlite_url, slack, CRB_CLAIM_LEASE_SECONDS=str(LEASE))

        with serving(env, *simulate(DUE)) as first:
            slack.wait_for("chat.postMessage", count=POSTED_BEFORE_KILL + 1, timeout=60)
            first.kill()
        late = slack.calls_to("chat.postMessage")[POSTED_BEFORE_KILL:]
        in_flight = {call.params["channel"] for call in late}
        assert wait_until(lambda: all(len(slack.posted[dm]) == 1 for dm in in_flight))
        with runtime.sessions() as session:
            at_kill = ledger_states(session)
        held = {who for who, state in at_kill.items() if state == DeliveryState.SENDING}
        assert in_flight <= {dm_of(links[who]) for who in held}  # on Slack, not recorded as sent
        settled = list(at_kill.values()).count(DeliveryState.SENT)

        # Restarted: a tick inside the dead process's lease, then one after it.
        inside, after = DUE + timedelta(seconds=LEASE // 2), DUE + timedelta(seconds=LEASE + 30)
        with serving(env, *simulate(inside, after, step=LEASE)) as second:
            second.wait_for("simulated clock finished")
            resent = second.sent()

    left = OWNERS - settled - len(held)
    assert len(resent) == left + len(held) and not held & set(resent[:left])  # leases respected
    assert sorted(resent[left:]) == sorted(held)  # …then taken over
    posts = {dm_of(slack_id): len(slack.posted[dm_of(slack_id)]) for slack_id in links.values()}
    assert sorted(set(posts.values())) == [1], {dm: n for dm, n in posts.items() if n != 1}
    assert len(slack.calls_to("chat.postMessage")) == OWNERS  # no second attempt at anyone
    looked = [call.params["channel"] for call in slack.calls_to("conversations.history")]
    assert sorted(looked) == sorted(dm_of(links[who]) for who in held)  # only the taken-over
    with runtime.sessions() as session:
        final = ledger_states(session)
        attempts = session.execute(
            select(Member.initials, LedgerEntry.attempts).join(
                Member, LedgerEntry.recipient_id == Member.id
            )
        ).all()
    assert final == {who: DeliveryState.SENT for who in links}
    assert {who for who, tries in attempts if tries == 2} == held
    assert {tries for _, tries in attempts} <= {1, 2}
    runtime.engine.dispose()


def ledger_states(session: Session) -> dict[str, str]:
    rows = session.execute(
        select(Member.initials, LedgerEntry.state)
        .join(Member, LedgerEntry.recipient_id == Member.id)
        .where(LedgerEntry.kind == "nudge")
    )
    return {initials: state for initials, state in rows}


def test_the_claim_lease_is_five_minutes_unless_the_environment_says_otherwise() -> None:
    assert config.load({}).claim_lease == timedelta(minutes=5)
    assert config.load({"CRB_CLAIM_LEASE_SECONDS": "45"}).claim_lease == timedelta(seconds=45)
    for wrong in ("0", "-5", "1.5", "five", str(8 * 24 * 3600)):
        with pytest.raises(UserError, match="CRB_CLAIM_LEASE_SECONDS"):
            config.load({"CRB_CLAIM_LEASE_SECONDS": wrong})
