"""Who may post to ``/api/messages``, and where the bot may answer: checked before the SDK sees
a request.

Microsoft's rules for a bot's inbound requests ("Authenticate requests from the Bot Connector
service"): a bearer JWT signed with a key published in the OpenID metadata, its ``iss`` the Bot
Framework (``https://api.botframework.com``), or for a single-tenant bot that tenant's Entra
issuer; its ``aud`` the bot's app id; not expired (five minutes of clock skew); its signing key
endorsed for the activity's ``channelId``; and its ``serviceurl`` claim equal to the activity's
``serviceUrl``. On top of that, the ``serviceUrl`` must be on ``CRB_TEAMS_ALLOWED_SERVICE_HOSTS``:
the bot never sends its own token (or anything) to a host a request names, unless it is one of
Microsoft's. Anonymous test mode skips the token, never the allow-list.

The Agents SDK 1.9 validator does not check the issuer by default, skips the ``serviceUrl``
comparison when the claim is missing, and fetches keys from fixed Microsoft URLs, so this module
does the checking itself with PyJWT (the SDK's own dependency).
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import jwt
from aiohttp import web

from bot.config import DEFAULT_TEAMS_SERVICE_HOSTS

log = logging.getLogger("crb.teams.auth")

BOT_FRAMEWORK_ISSUERS = ("https://api.botframework.com", "https://api.botframework.us")
BOT_FRAMEWORK_METADATA = "https://login.botframework.com/v1/.well-known/openidconfiguration"
CLOCK_SKEW_SECONDS = 300  # Microsoft allows five minutes
KEYS_FOR_SECONDS = 24 * 3600  # Microsoft: keys change rarely; refresh at least daily
_REFETCH_AFTER_SECONDS = 300  # an unknown key id refetches, at most this often
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def tenant_issuers(tenant_id: str) -> tuple[str, ...]:
    """The Entra issuers of a single-tenant bot's tokens (v1 and v2)."""
    return (
        f"https://sts.windows.net/{tenant_id}/",
        f"https://login.microsoftonline.com/{tenant_id}/v2.0",
    )


def default_metadata(tenant_id: str | None) -> tuple[str, ...]:
    """Bot Framework's OpenID metadata, and the tenant's for a single-tenant bot."""
    if not tenant_id:
        return (BOT_FRAMEWORK_METADATA,)
    tenant = f"https://login.microsoftonline.com/{tenant_id}/v2.0/.well-known/openid-configuration"
    return (BOT_FRAMEWORK_METADATA, tenant)


@dataclass(frozen=True)
class ServiceHosts:
    """The hosts the bot may be told to answer at: exact names, or ``*.`` wildcards."""

    patterns: tuple[str, ...] = DEFAULT_TEAMS_SERVICE_HOSTS

    def allows(self, url: str | None) -> bool:
        if not url:
            return False
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
        except ValueError:
            return False
        # The bot's bearer token travels only over TLS, but to a loopback stand-in in tests.
        if parts.scheme != "https" and not (parts.scheme == "http" and host in _LOOPBACK):
            return False
        return any(_host_matches(host, pattern) for pattern in self.patterns)


def _host_matches(host: str, pattern: str) -> bool:
    pattern = pattern.strip().lower()
    if pattern.startswith("*."):
        # "*.botframework.com" is any subdomain, never the bare or a look-alike domain.
        return host.endswith(pattern[1:]) and fnmatch.fnmatchcase(host, pattern)
    return host == pattern


def same_service_url(claimed: object, given: str) -> bool:
    """The token's ``serviceurl`` claim and the activity's ``serviceUrl`` name the same place."""
    if not isinstance(claimed, str):
        return False
    return claimed.strip().rstrip("/").lower() == given.strip().rstrip("/").lower()


class InvalidToken(Exception):
    """A token this bot must not accept; the reason is logged, never sent to the caller."""


@dataclass
class _Keys:
    by_kid: dict[str, dict[str, Any]] = field(default_factory=dict)
    fetched_at: float = float("-inf")


class TokenValidator:
    """Validates a Bot Connector token against the keys of the configured OpenID metadata."""

    def __init__(
        self,
        app_id: str,
        issuers: Sequence[str],
        metadata_urls: Sequence[str],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app_id = app_id
        self.issuers = tuple(issuers)
        self.metadata_urls = tuple(metadata_urls)
        self.clock = clock
        self._keys = _Keys()
        self._lock = asyncio.Lock()

    async def claims(self, token: str, channel_id: str | None) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise InvalidToken(f"not a JWT: {error}") from error
        if header.get("alg") != "RS256" or not isinstance(header.get("kid"), str):
            raise InvalidToken("not an RS256 token with a key id")
        jwk = await self._key(header["kid"])
        endorsements = jwk.get("endorsements")
        if endorsements is not None and channel_id not in endorsements:
            raise InvalidToken(f"the key is not endorsed for channel {channel_id!r}")
        try:
            return jwt.decode(
                token,
                key=jwt.PyJWK(jwk, algorithm="RS256"),
                algorithms=["RS256"],
                audience=self.app_id,
                issuer=self.issuers,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from error

    async def _key(self, kid: str) -> dict[str, Any]:
        async with self._lock:
            age = self.clock() - self._keys.fetched_at
            stale = age > KEYS_FOR_SECONDS
            if stale or (kid not in self._keys.by_kid and age > _REFETCH_AFTER_SECONDS):
                self._keys = await self._fetch()
        if kid not in self._keys.by_kid:
            raise InvalidToken(f"no published key has id {kid!r}")
        return self._keys.by_kid[kid]

    async def _fetch(self) -> _Keys:
        keys = _Keys(fetched_at=self.clock())
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            for url in self.metadata_urls:
                try:
                    metadata = await _json(http, url)
                    published = await _json(http, metadata["jwks_uri"])
                except (aiohttp.ClientError, TimeoutError, KeyError, ValueError) as error:
                    log.warning("Teams: could not read the signing keys from %s: %s", url, error)
                    continue
                for key in published.get("keys", []):
                    if isinstance(key, dict) and isinstance(key.get("kid"), str):
                        keys.by_kid.setdefault(key["kid"], key)
        if not keys.by_kid:
            keys.fetched_at = float("-inf")  # nothing read: try again on the next request
        return keys


async def _json(http: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with http.get(url) as response:
        response.raise_for_status()
        return json.loads(await response.text())


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_REFUSED = {"error": "Unauthorized."}


def request_guard(
    validator: TokenValidator | None, hosts: ServiceHosts, *, anonymous: bool
) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """An aiohttp middleware that refuses, with 401 and before the SDK sees it, any activity
    whose token or ``serviceUrl`` breaks the rules above; it leaves the verified claims in
    ``request["claims_identity"]`` as the SDK expects."""
    from microsoft_agents.hosting.core import ClaimsIdentity

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            body = json.loads(await request.read())
        except ValueError:
            return web.json_response({"error": "The body is not JSON."}, status=400)
        if not isinstance(body, dict):
            return web.json_response({"error": "The body is not an activity."}, status=400)
        service_url = body.get("serviceUrl")
        if not isinstance(service_url, str) or not hosts.allows(service_url):
            log.warning("Teams: refused an activity for serviceUrl %r", service_url)
            return web.json_response(_REFUSED, status=401)
        header = request.headers.get("Authorization")
        if header is None and anonymous:
            request["claims_identity"] = ClaimsIdentity()
            return await handler(request)
        token = _bearer(header)
        if token is None or validator is None:
            return web.json_response(_REFUSED, status=401)
        try:
            claims = await validator.claims(token, body.get("channelId"))
        except InvalidToken as error:
            log.warning("Teams: refused a token: %s", error)
            return web.json_response(_REFUSED, status=401)
        if not same_service_url(claims.get("serviceurl"), service_url):
            log.warning("Teams: the token's serviceurl is not the activity's %r", service_url)
            return web.json_response(_REFUSED, status=401)
        request["claims_identity"] = ClaimsIdentity(claims, "Bearer", security_token=token)
        return await handler(request)

    return guard


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    parts = header.split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return None
    return parts[1]
