"""A loopback stand-in for the Bot Connector service, the ``serviceUrl`` of Teams activities.

It answers what the bot calls, records every request, and can be told to fail the next calls
(status, ``Retry-After``), for fault tests:

- ``POST /v3/conversations/{id}/activities`` and ``…/activities/{replyToId}``: a message;
- ``PUT /v3/conversations/{id}/activities/{activityId}``: update a message (recorded in
  ``updated``);
- ``POST /v3/conversations``: open a 1:1 chat (answers a new conversation id);
- ``GET /files/{name}``: a file a user sent the bot, at its pre-authorised download URL
  (``file_url``);
- ``GET /v3/conversations/{id}/members/{memberId}``: a member's profile (TeamsInfo.get_member),
  from ``profiles``; 404 for anyone else.

``OpenIdStandIn`` is the loopback OpenID metadata the bot reads its signing keys from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa


@dataclass
class Posted:
    conversation_id: str
    reply_to_id: str | None
    activity: dict[str, Any]
    authorization: str | None

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [
            attachment["content"]
            for attachment in self.activity.get("attachments", [])
            if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]

    @property
    def card(self) -> dict[str, Any]:
        (card,) = self.cards
        return card


@dataclass
class Fault:
    status: int
    retry_after: int | None = None


@dataclass
class BotConnectorStandIn:
    posted: list[Posted] = field(default_factory=list)
    updated: list[Posted] = field(default_factory=list)  # reply_to_id: the message updated
    created: list[dict[str, Any]] = field(default_factory=list)
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)  # by account id (29:…)
    profile_requests: list[str] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)  # by name: a tenant's SharePoint
    downloads: list[dict[str, str]] = field(default_factory=list)  # each file request's headers
    faults: list[Fault] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None
    _ids: count = field(default_factory=lambda: count(1))

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create_conversation)
        app.router.add_post("/v3/conversations/{conversation}/activities", self._post)
        app.router.add_post("/v3/conversations/{conversation}/activities/{reply_to}", self._post)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self._update)
        app.router.add_get("/v3/conversations/{conversation}/members/{member}", self._member)
        app.router.add_get("/files/{name}", self._file)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> BotConnectorStandIn:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    def fail_next(self, status: int, *, times: int = 1, retry_after: int | None = None) -> None:
        self.faults.extend(Fault(status, retry_after) for _ in range(times))

    def messages(self, conversation_id: str | None = None) -> list[Posted]:
        """What the bot posted (messages, not typing or invoke traffic), oldest first."""
        return [
            p
            for p in self.posted
            if p.activity.get("type") == "message"
            and (conversation_id is None or p.conversation_id == conversation_id)
        ]

    def _fault(self) -> web.Response | None:
        if not self.faults:
            return None
        fault = self.faults.pop(0)
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else None
        return web.json_response(
            {"error": {"code": "StandInFault", "message": "as the test asked"}},
            status=fault.status,
            headers=headers,
        )

    async def _post(self, request: web.Request) -> web.Response:
        if (fault := self._fault()) is not None:
            return fault
        self.posted.append(
            Posted(
                conversation_id=request.match_info["conversation"],
                reply_to_id=request.match_info.get("reply_to"),
                activity=await request.json(),
                authorization=request.headers.get("Authorization"),
            )
        )
        return web.json_response({"id": f"activity-{next(self._ids)}"}, status=201)

    async def _update(self, request: web.Request) -> web.Response:
        if (fault := self._fault()) is not None:
            return fault
        self.updated.append(
            Posted(
                conversation_id=request.match_info["conversation"],
                reply_to_id=request.match_info["activity"],
                activity=await request.json(),
                authorization=request.headers.get("Authorization"),
            )
        )
        return web.json_response({"id": request.match_info["activity"]})

    async def _create_conversation(self, request: web.Request) -> web.Response:
        if (fault := self._fault()) is not None:
            return fault
        parameters = await request.json()
        self.created.append(parameters)
        conversation_id = f"a:standin-chat-{next(self._ids)}"
        return web.json_response({"id": conversation_id, "serviceUrl": self.url}, status=201)

    def file_url(self, name: str, data: bytes) -> str:
        """Keep ``data`` and answer its pre-authorised download URL, as OneDrive would."""
        self.files[name] = data
        return f"{self.url}files/{name}?tempauth=standin"

    async def _file(self, request: web.Request) -> web.Response:
        self.downloads.append(dict(request.headers))
        name = request.match_info["name"]
        if name not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[name], content_type="application/octet-stream")

    async def _member(self, request: web.Request) -> web.Response:
        member = request.match_info["member"]
        self.profile_requests.append(member)
        if member not in self.profiles:
            return web.json_response({"error": {"code": "MemberNotFound"}}, status=404)
        return web.json_response(self.profiles[member])


@dataclass
class OpenIdStandIn:
    """A loopback OpenID metadata endpoint publishing this test's own RSA key as a JWKS, the
    way ``login.botframework.com`` publishes Bot Framework's; ``token`` signs with that key."""

    kid: str = "standin-key"
    endorsements: tuple[str, ...] = ("msteams",)
    url: str = ""
    metadata_requests: int = 0
    _key: Any = None
    _runner: web.AppRunner | None = None

    @property
    def metadata_url(self) -> str:
        return f"{self.url}v1/.well-known/openidconfiguration"

    async def start(self) -> str:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        app = web.Application()
        app.router.add_get("/v1/.well-known/openidconfiguration", self._metadata)
        app.router.add_get("/v1/.well-known/keys", self._keys)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> OpenIdStandIn:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    def token(self, claims: dict[str, Any], *, key: Any = None, kid: str | None = None) -> str:
        """A JWT over ``claims``, RS256-signed with the published key (or ``key``)."""
        signer = key or self._key
        return jwt.encode(claims, signer, algorithm="RS256", headers={"kid": kid or self.kid})

    async def _metadata(self, _request: web.Request) -> web.Response:
        self.metadata_requests += 1
        return web.json_response(
            {
                "issuer": "https://api.botframework.com",
                "jwks_uri": f"{self.url}v1/.well-known/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

    async def _keys(self, _request: web.Request) -> web.Response:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key()))
        public.update(kid=self.kid, use="sig", endorsements=list(self.endorsements))
        return web.json_response({"keys": [public]})
