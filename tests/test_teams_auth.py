"""Who may post to /api/messages: real JWTs, signed by a key this test publishes through a
loopback OpenID metadata endpoint, against a bot registered with an app id.

Each refusal leaves the board as it was and makes no outbound call: the Bot Connector stand-in
records every request, and the one outside the allow-list (reached as ``localhost``) must see
nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.config import TEAMS_SETTINGS
from bot.runtime import Runtime
from bot.server import RUNTIME, make_app
from bot.teams import service_hosts, token_validator
from bot.teams_auth import ServiceHosts, request_guard, same_service_url
from db.models import ActionStatus, AuditEvent
from tests.conftest import AFTER_MEETING, import_sample, link_members
from tests.teams_harness import (
    DP,
    DP_AAD,
    LOOPBACK_ONLY,
    TENANT,
    action_status,
    activity,
    teams_config,
)
from tests.teams_standin import BotConnectorStandIn, OpenIdStandIn

APP_ID = "00000000-0000-0000-0000-0000000a11ce"
OTHER_TENANT = "0badc0de-0000-4000-8000-000000000bad"
BOT_FRAMEWORK = "https://api.botframework.com"


def registered_env(metadata_url: str) -> dict[str, str]:
    return {
        TEAMS_SETTINGS + "CLIENTID": APP_ID,
        TEAMS_SETTINGS + "TENANTID": TENANT,
        "CRB_TEAMS_OPENID_METADATA": metadata_url,
        **LOOPBACK_ONLY,
    }


def claims(service_url: str | None, **changes: Any) -> dict[str, Any]:
    """What Bot Framework puts in a token for this bot, with ``changes``."""
    now = int(time.time())
    found: dict[str, Any] = {
        "iss": BOT_FRAMEWORK,
        "aud": APP_ID,
        "iat": now - 60,
        "nbf": now - 60,
        "exp": now + 3600,
        "serviceurl": service_url,
    }
    found.update(changes)
    return {name: value for name, value in found.items() if value is not None}


Scenario = Callable[[TestClient, BotConnectorStandIn, OpenIdStandIn], Awaitable[None]]


def run_registered(database_url: str, scenario: Scenario) -> Runtime:
    """The sample board behind a bot registered with APP_ID, keys from the loopback metadata."""

    async def main() -> Runtime:
        async with OpenIdStandIn() as openid, BotConnectorStandIn() as connector:
            runtime = Runtime(teams_config(database_url, registered_env(openid.metadata_url)))
            runtime.prepare(AFTER_MEETING)
            import_sample(runtime)
            link_members(runtime, {"DP": DP_AAD}, "teams_id")
            app = make_app(runtime, clock=lambda: AFTER_MEETING)
            async with TestClient(TestServer(app)) as client:
                await scenario(client, connector, openid)
            return runtime

    return asyncio.run(main())


def runtime_of(client: TestClient) -> Runtime:
    return client.app[RUNTIME]


async def post_with(client: TestClient, body: dict[str, Any], token: str | None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post("/api/messages", json=body, headers=headers)
    return response.status


def audit_events(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return session.query(AuditEvent).count()


def test_a_bot_framework_token_for_this_bot_is_accepted(sqlite_url: str) -> None:
    """The guard in front of a handler that records what reaches it. (Through the whole bot, a
    registered bot's answer needs a token from Entra ID, which has no loopback stand-in here.)"""
    reached: list[dict[str, Any]] = []

    async def handler(request: web.Request) -> web.Response:
        reached.append(request["claims_identity"].claims)
        return web.json_response({}, status=202)

    async def main() -> None:
        async with OpenIdStandIn() as openid:
            config = teams_config(sqlite_url, registered_env(openid.metadata_url))
            guard = request_guard(token_validator(config), service_hosts(config), anonymous=False)
            app = web.Application(middlewares=[guard])
            app.router.add_post("/api/messages", handler)
            async with TestClient(TestServer(app)) as client:
                service_url = "http://127.0.0.1:9/"
                body = activity(service_url, DP, text="crb done 04-DP")
                assert await post_with(client, body, openid.token(claims(service_url))) == 202
                assert await post_with(client, body, None) == 401
                # The keys are read once, not on every request.
                assert await post_with(client, body, openid.token(claims(service_url))) == 202
                assert openid.metadata_requests == 1

    asyncio.run(main())
    assert [found["serviceurl"] for found in reached] == ["http://127.0.0.1:9/"] * 2
    assert all(found["iss"] == BOT_FRAMEWORK and found["aud"] == APP_ID for found in reached)


REFUSED = {
    # The attack the review found: another tenant's token, aud = the app id, no serviceurl.
    "foreign issuer, no serviceurl claim": lambda url: claims(
        None, iss=f"https://sts.windows.net/{OTHER_TENANT}/", tid=OTHER_TENANT
    ),
    "foreign issuer": lambda url: claims(url, iss=f"https://sts.windows.net/{OTHER_TENANT}/"),
    "foreign v2 issuer": lambda url: claims(
        url, iss=f"https://login.microsoftonline.com/{OTHER_TENANT}/v2.0"
    ),
    "wrong audience": lambda url: claims(url, aud="11111111-2222-3333-4444-555555555555"),
    "expired": lambda url: claims(url, exp=int(time.time()) - 3600),
    "no expiry": lambda url: claims(url, exp=None),
    "no serviceurl claim": lambda url: claims(None),
    "mismatched serviceurl claim": lambda url: claims("https://smba.trafficmanager.net/emea/"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_a_token_that_breaks_a_rule_is_refused_and_nothing_happens(
    database_url: str, case: str
) -> None:
    imported_events: list[int] = []

    async def scenario(client: TestClient, connector: BotConnectorStandIn, openid) -> None:
        imported_events.append(audit_events(runtime_of(client)))
        body = activity(connector.url, DP, text="crb done 04-DP")
        assert await post_with(client, body, openid.token(REFUSED[case](connector.url))) == 401
        assert connector.posted == [] and connector.created == []

    runtime = run_registered(database_url, scenario)
    assert action_status(runtime, "04", "DP") == ActionStatus.OPEN
    assert audit_events(runtime) == imported_events[0]
    runtime.engine.dispose()


def test_a_token_signed_by_an_unpublished_key_is_refused(sqlite_url: str) -> None:
    stranger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    async def scenario(client: TestClient, connector: BotConnectorStandIn, openid) -> None:
        body = activity(connector.url, DP, text="crb done 04-DP")
        forged = openid.token(claims(connector.url), key=stranger_key)
        assert await post_with(client, body, forged) == 401
        unknown_kid = openid.token(claims(connector.url), key=stranger_key, kid="other")
        assert await post_with(client, body, unknown_kid) == 401
        assert connector.posted == []

    runtime = run_registered(sqlite_url, scenario)
    assert action_status(runtime, "04", "DP") == ActionStatus.OPEN
    runtime.engine.dispose()


def test_a_key_not_endorsed_for_teams_is_refused(sqlite_url: str) -> None:
    async def scenario(client: TestClient, connector: BotConnectorStandIn, openid) -> None:
        body = activity(connector.url, DP, text="crb done 04-DP", channelId="webchat")
        assert await post_with(client, body, openid.token(claims(connector.url))) == 401
        assert connector.posted == []

    runtime = run_registered(sqlite_url, scenario)
    assert action_status(runtime, "04", "DP") == ActionStatus.OPEN
    runtime.engine.dispose()


def test_a_service_url_off_the_allow_list_is_refused_even_with_a_valid_token(
    database_url: str,
) -> None:
    async def scenario(client: TestClient, connector: BotConnectorStandIn, openid) -> None:
        # The same stand-in, named "localhost": a host the allow-list (127.0.0.1) does not hold.
        elsewhere = connector.url.replace("127.0.0.1", "localhost")
        body = activity(elsewhere, DP, text="crb done 04-DP")
        assert await post_with(client, body, openid.token(claims(elsewhere))) == 401
        missing = activity(connector.url, DP, text="crb done 04-DP")
        del missing["serviceUrl"]
        assert await post_with(client, missing, openid.token(claims(connector.url))) == 401
        assert connector.posted == []

    runtime = run_registered(database_url, scenario)
    assert action_status(runtime, "04", "DP") == ActionStatus.OPEN
    runtime.engine.dispose()


def test_anonymous_test_mode_obeys_the_allow_list(teams: Runtime) -> None:
    async def main() -> None:
        async with BotConnectorStandIn() as connector:
            app = make_app(teams, clock=lambda: AFTER_MEETING)
            async with TestClient(TestServer(app)) as client:
                elsewhere = connector.url.replace("127.0.0.1", "localhost")
                body = activity(elsewhere, DP, text="crb done 04-DP")
                assert await post_with(client, body, None) == 401
                assert connector.posted == []

    asyncio.run(main())
    assert action_status(teams, "04", "DP") == ActionStatus.OPEN


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://smba.trafficmanager.net/teams/", True),
        ("https://smba.trafficmanager.net/amer/", True),
        ("https://europe.webchat.botframework.com/", True),
        ("https://smba.infra.gov.teams.microsoft.us/teams", True),
        ("http://smba.trafficmanager.net/teams/", False),  # never the token over plain HTTP
        ("https://botframework.com.evil.example/", False),
        ("https://evilbotframework.com/", False),
        ("https://smba.trafficmanager.net.evil.example/", False),
        ("https://127.0.0.1/", False),
        ("not a url", False),
    ],
)
def test_the_default_allow_list_holds_microsofts_hosts_only(url: str, allowed: bool) -> None:
    assert ServiceHosts().allows(url) is allowed


def test_service_urls_compare_without_a_trailing_slash_or_case() -> None:
    assert same_service_url(
        "https://SMBA.trafficmanager.net/teams", "https://smba.trafficmanager.net/teams/"
    )
    assert not same_service_url(None, "https://smba.trafficmanager.net/teams/")
    assert not same_service_url(
        "https://smba.trafficmanager.net/emea/", "https://smba.trafficmanager.net/teams/"
    )
