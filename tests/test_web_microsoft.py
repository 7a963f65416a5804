""" "Sign in with Microsoft": OpenID Connect against a real provider on loopback."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import func, select

from bot.runtime import Runtime
from bot.web.oidc import CALLBACK_PATH, OidcClient, SignInFailed
from db.models import Member, WebSession
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcProvider, User
from tests.web_fixtures import Governance
from tests.web_harness import WebDesk, assert_accessible, screenshot

DP_OID = "00000000-0000-0000-0000-0000000000dp"
CR_EMAIL = "claire.richardson@opcc.example.gov.uk"


def set_member(runtime: Runtime, initials: str, **fields: Any) -> None:
    with runtime.sessions() as session, session.begin():
        member = session.scalars(select(Member).where(Member.initials == initials)).one()
        for name, value in fields.items():
            setattr(member, name, value)


def sessions_started(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(WebSession)) or 0


@pytest.fixture
def provider(sqlite_board: Runtime) -> Iterator[OidcProvider]:
    set_member(sqlite_board, "DP", teams_id=DP_OID)
    set_member(sqlite_board, "CR", email=CR_EMAIL)
    with OidcProvider(redirect_uri="set below") as running:
        yield running


@pytest.fixture
def desk(sqlite_board: Runtime, web_desk_on: Any, provider: OidcProvider) -> WebDesk:
    desk = web_desk_on(
        sqlite_board,
        oidc_issuer=provider.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
    ).public_here()
    provider.client.redirect_uris = [desk.base_url + CALLBACK_PATH]
    provider.clock = lambda: desk.clock().timestamp()  # both sides on the test's time
    return desk


def sign_in_with_microsoft(desk: WebDesk) -> requests.Response:
    """The whole round trip as a browser without JavaScript makes it, redirects followed."""
    return desk.visitor().http.get(desk.url("/auth/microsoft"), timeout=10)


def test_a_member_signs_in_with_microsoft_by_their_teams_account(
    desk: WebDesk, provider: OidcProvider, browser_page: Any
) -> None:
    provider.user = User(sub="dp-sub", name="Damian Pettit", oid=DP_OID)
    page = browser_page
    page.goto(desk.url("/login"))
    assert_accessible(page)
    screenshot(page, "login-with-microsoft")
    page.get_by_role("button", name="Sign in with Microsoft").click()
    page.wait_for_url(desk.url("/"))
    assert "Signed in as Damian Pettit" in page.inner_text("body")


def test_a_member_is_matched_by_a_verified_email(desk: WebDesk, provider: OidcProvider) -> None:
    provider.user = User(sub="cr-sub", name="Claire R", email=CR_EMAIL.upper())
    answer = sign_in_with_microsoft(desk)
    assert answer.status_code == 200 and "Signed in as Claire Richardson" in answer.text


def test_an_unverified_email_is_not_enough(desk: WebDesk, provider: OidcProvider) -> None:
    provider.user = User(sub="cr-sub", name="Claire R", email=CR_EMAIL, email_verified=False)
    answer = sign_in_with_microsoft(desk)
    assert answer.status_code == 403 and "not linked to an active member" in answer.text
    assert sessions_started(desk.runtime) == 0


@pytest.mark.parametrize(
    "user",
    [
        User(sub="x", name="A Stranger", email="stranger@example.org", oid="unknown-oid"),
        User(sub="dp-sub", name="Damian Pettit", oid=DP_OID),  # made inactive below
    ],
    ids=["stranger", "inactive"],
)
def test_someone_who_is_not_an_active_member_is_refused(
    desk: WebDesk, provider: OidcProvider, user: User
) -> None:
    set_member(desk.runtime, "DP", active=False)
    provider.user = user
    answer = sign_in_with_microsoft(desk)
    assert answer.status_code == 403 and "not linked to an active member" in answer.text
    assert sessions_started(desk.runtime) == 0


def test_saying_no_at_microsoft_signs_no_one_in(desk: WebDesk, provider: OidcProvider) -> None:
    provider.user = None
    answer = sign_in_with_microsoft(desk)
    assert answer.status_code == 400 and "did not sign you in" in answer.text
    assert sessions_started(desk.runtime) == 0


def test_the_way_back_works_once_and_only_in_the_browser_that_started(
    desk: WebDesk, provider: OidcProvider
) -> None:
    provider.user = User(sub="dp-sub", name="Damian Pettit", oid=DP_OID)
    visitor = desk.visitor()
    to_provider = visitor.get("/auth/microsoft")
    assert to_provider.status_code == 303
    back = requests.get(to_provider.headers["Location"], allow_redirects=False, timeout=10)
    callback = back.headers["Location"]
    assert callback.startswith(desk.base_url + CALLBACK_PATH)
    # Another browser (no flow cookie), or a forged state: refused, no session.
    assert desk.visitor().get(callback).status_code == 400
    forged = callback.replace("state=", "state=x")
    assert visitor.get(forged).status_code == 400
    assert sessions_started(desk.runtime) == 0
    signed_in = visitor.get(callback)
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == "/"
    assert sessions_started(desk.runtime) == 1
    again = visitor.get(callback)  # replayed: the flow cookie is gone
    assert again.status_code == 400
    assert sessions_started(desk.runtime) == 1


def test_a_sign_in_left_too_long_is_refused(desk: WebDesk, provider: OidcProvider) -> None:
    provider.user = User(sub="dp-sub", name="Damian Pettit", oid=DP_OID)
    visitor = desk.visitor()
    to_provider = visitor.get("/auth/microsoft")
    back = requests.get(to_provider.headers["Location"], allow_redirects=False, timeout=10)
    desk.clock.advance(timedelta(minutes=11))
    assert visitor.get(back.headers["Location"]).status_code == 400
    assert sessions_started(desk.runtime) == 0


def test_microsoft_sign_in_is_off_without_configuration(web_desk: WebDesk) -> None:
    visitor = web_desk.visitor()
    assert "Sign in with Microsoft" not in visitor.get("/login").text
    assert visitor.get("/auth/microsoft").status_code == 404


# ---------------------------------------------------------------- the ID token's checks


@pytest.fixture
def client(desk: WebDesk, provider: OidcProvider) -> OidcClient:
    return OidcClient(desk.runtime.config)


def id_token(provider: OidcProvider, key: RSAKey | None = None, **changes: Any) -> str:
    now = int(provider.clock())
    claims = {
        "iss": provider.issuer,
        "aud": CLIENT_ID,
        "sub": "dp-sub",
        "iat": now,
        "exp": now + 600,
        "nonce": "the-nonce",
        "oid": DP_OID,
    }
    claims.update(changes)
    signer = key or provider.key
    return jwt.encode({"alg": "RS256", "kid": signer.kid}, claims, signer)


def test_a_good_id_token_names_the_person(
    client: OidcClient, provider: OidcProvider, desk: WebDesk
) -> None:
    identity = client.verify(id_token(provider), "the-nonce", desk.clock())
    assert identity.object_id == DP_OID and identity.subject == "dp-sub"


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": "someone-else"},
        {"iss": "https://login.example.org/other"},
        {"nonce": "another-nonce"},
        {"exp": 1},
    ],
    ids=["audience", "issuer", "nonce", "expired"],
)
def test_an_id_token_for_someone_or_something_else_is_refused(
    client: OidcClient, provider: OidcProvider, desk: WebDesk, changes: dict[str, Any]
) -> None:
    with pytest.raises(SignInFailed):
        client.verify(id_token(provider, **changes), "the-nonce", desk.clock())


def test_an_id_token_signed_by_another_key_is_refused(
    client: OidcClient, provider: OidcProvider, desk: WebDesk
) -> None:
    forger = RSAKey.generate_key(2048, {"kid": provider.key.kid})
    with pytest.raises(SignInFailed, match="signature"):
        client.verify(id_token(provider, key=forger), "the-nonce", desk.clock())
    token = id_token(provider)
    altered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(SignInFailed, match="signature"):
        client.verify(altered, "the-nonce", desk.clock())


def test_the_provider_must_name_the_configured_issuer(
    desk: WebDesk, provider: OidcProvider
) -> None:
    # The same provider reached by another name: its documents name 127.0.0.1, not localhost.
    config = replace(
        desk.runtime.config, oidc_issuer=provider.issuer.replace("127.0.0.1", "localhost")
    )
    with pytest.raises(SignInFailed, match="issuer"):
        OidcClient(config).metadata()


@pytest.mark.parametrize(
    ("asked", "landed"),
    [("/signed-out", "/signed-out"), ("//evil.example/x", "/"), ("https://evil.example", "/")],
)
def test_after_signing_in_the_browser_goes_back_only_to_a_page_of_this_site(
    desk: WebDesk, provider: OidcProvider, asked: str, landed: str
) -> None:
    provider.user = User(sub="dp-sub", name="Damian Pettit", oid=DP_OID)
    visitor = desk.visitor()
    login = visitor.get("/login", params={"next": asked})
    start = re.search(r'href="(/auth/microsoft\?[^"]+)"', login.text)
    assert start
    to_provider = visitor.get(html.unescape(start.group(1)))
    back = requests.get(to_provider.headers["Location"], allow_redirects=False, timeout=10)
    assert visitor.get(back.headers["Location"]).headers["Location"] == landed


def test_a_person_on_two_boards_signs_in_with_microsoft_then_chooses_a_board(
    desk: WebDesk, provider: OidcProvider, governance: Governance
) -> None:
    """One Microsoft account, one person, two seats (CRB and GOV): Your boards comes first."""
    provider.user = User(sub="dp-sub", name="Damian Pettit", oid=DP_OID)
    landed = sign_in_with_microsoft(desk)
    assert landed.url == desk.url("/boards")
    assert "Which board do you want to use?" in landed.text
    assert 'value="CRB"' in landed.text and 'value="GOV"' in landed.text
