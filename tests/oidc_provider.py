"""A real OpenID Connect provider on loopback, built with authlib's server side.

It speaks the protocol the desk's client speaks to Microsoft Entra: a discovery document, an
authorization endpoint (authorization code flow with PKCE and nonce), a token endpoint that
authenticates the client by its secret and issues an RS256-signed ID token, and the JWKS to check
it with. The authorization endpoint signs in ``user`` without asking (the person at the keyboard
is the test), or answers ``access_denied`` when ``user`` is None.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, ClassVar
from urllib.parse import urlencode

from aiohttp import web
from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, OAuth2Payload, OAuth2Request
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.core.models import AuthorizationCodeMixin
from joserfc.jwk import KeySet, RSAKey

from tests.loopback import LoopbackServer

CLIENT_ID = "crb-desk-test-client"
CLIENT_SECRET = "a-client-secret-for-the-loopback-provider"


@cache
def signing_key() -> RSAKey:
    """The provider's RSA key: made once per test process (2048-bit keys take a while)."""
    return RSAKey.generate_key(2048, {"kid": "k1"})


@dataclass
class User:
    """The account the provider signs in: ``oid`` as Microsoft Entra sends it."""

    sub: str
    name: str
    email: str | None = None
    email_verified: bool = True
    oid: str | None = None


@dataclass
class Client(ClientMixin):
    client_id: str
    client_secret: str
    redirect_uris: list[str]

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in scope.split() if s in ("openid", "email", "profile"))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class Code(AuthorizationCodeMixin):
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    user: User
    auth_time: int

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time


class _Payload(OAuth2Payload):
    def __init__(self, values: dict[str, list[str]]) -> None:
        self._values = values

    @property
    def data(self) -> dict[str, str]:
        return {key: values[-1] for key, values in self._values.items()}

    @property
    def datalist(self) -> dict[str, list[str]]:
        return self._values


class _Request(OAuth2Request):
    """An aiohttp request as authlib reads one (its body read beforehand)."""

    def __init__(self, method: str, url: str, headers: Any, query: Any, form: Any) -> None:
        super().__init__(method, url, headers=dict(headers))
        self._query = {k: query.getall(k) for k in query}
        self._form = {k: [str(v) for v in form.getall(k)] for k in form}
        self.payload = _Payload({**self._query, **self._form})

    @property
    def args(self) -> dict[str, str]:
        return {k: v[-1] for k, v in self._query.items()}

    @property
    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in self._form.items()}


@dataclass
class OidcProvider:
    """The provider: ``with OidcProvider(redirect_uri) as provider: provider.issuer``."""

    redirect_uri: str
    user: User | None = None
    clock: Callable[[], float] = time.time  # what "now" is in the tokens it issues
    key: RSAKey = field(default_factory=signing_key)
    codes: dict[str, Code] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.client = Client(CLIENT_ID, CLIENT_SECRET, [self.redirect_uri])
        self.server = LoopbackServer(self._app())
        self.authorization = _authorization_server(self)

    def __enter__(self) -> OidcProvider:
        self.server.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.stop()

    @property
    def issuer(self) -> str:
        return self.server.base_url

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/.well-known/openid-configuration", self._discovery)
        app.router.add_get("/authorize", self._authorize)
        app.router.add_post("/token", self._token)
        app.router.add_get("/jwks", self._jwks)
        return app

    async def _discovery(self, _request: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
                "scopes_supported": ["openid", "email", "profile"],
            }
        )

    async def _jwks(self, _request: web.Request) -> web.Response:
        return web.json_response(KeySet([self.key]).as_dict(private=False))

    async def _authorize(self, request: web.Request) -> web.StreamResponse:
        oauth = _Request("GET", str(request.url), request.headers, request.query, {})
        if self.user is None:  # the person said no
            state = urlencode({"error": "access_denied", "state": oauth.args.get("state", "")})
            raise web.HTTPFound(f"{oauth.args.get('redirect_uri')}?{state}")
        grant = self.authorization.get_consent_grant(oauth, end_user=self.user)
        return self.authorization.create_authorization_response(oauth, self.user, grant)

    async def _token(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        oauth = _Request("POST", str(request.url), request.headers, request.query, form)
        return self.authorization.create_token_response(oauth)


def _authorization_server(provider: OidcProvider) -> AuthorizationServer:
    class Server(AuthorizationServer):
        def query_client(self, client_id: str) -> Client | None:
            return provider.client if client_id == provider.client.client_id else None

        def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
            pass  # access tokens are not used again here

        def create_oauth2_request(self, request: Any) -> OAuth2Request:
            return request

        def handle_response(self, status: int, body: Any, headers: Any) -> web.Response:
            headers = dict(headers)
            if isinstance(body, dict):
                headers.pop("Content-Type", None)
                return web.json_response(body, status=status, headers=headers)
            return web.Response(status=status, body=(body or "").encode(), headers=headers)

        def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
            pass

    class CodeGrant(AuthorizationCodeGrant):
        TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = [
            "client_secret_basic",
            "client_secret_post",
        ]

        def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
            data = request.payload.data
            provider.codes[code] = Code(
                code,
                request.client.get_client_id(),
                request.payload.redirect_uri,
                request.payload.scope,
                data.get("nonce"),
                data.get("code_challenge"),
                data.get("code_challenge_method"),
                request.user,
                int(provider.clock()),
            )

        def query_authorization_code(self, code: str, client: Client) -> Code | None:
            found = provider.codes.get(code)
            return found if found and found.client_id == client.get_client_id() else None

        def delete_authorization_code(self, authorization_code: Code) -> None:
            provider.codes.pop(authorization_code.code, None)  # a code works once

        def authenticate_user(self, authorization_code: Code) -> User:
            return authorization_code.user

    class OpenID(OpenIDCode):
        def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
            return any(code.nonce == nonce for code in provider.codes.values())

        def resolve_client_private_key(self, client: Client) -> RSAKey:
            return provider.key

        def get_client_algorithm(self, client: Client) -> str:
            return "RS256"

        def get_encode_header(self, client: Client) -> dict[str, str]:
            return {"alg": "RS256", "kid": provider.key.kid or "k1"}

        def get_client_claims(self, client: Client) -> dict[str, Any]:
            now = int(provider.clock())
            return {
                "iss": provider.issuer,
                "aud": [client.get_client_id()],
                "iat": now,
                "exp": now + 600,
            }

        def generate_user_info(self, user: User, scope: str) -> UserInfo:
            info = UserInfo(sub=user.sub, name=user.name)
            if user.email and "email" in scope:
                info["email"] = user.email
                info["email_verified"] = user.email_verified
            if user.oid:
                info["oid"] = user.oid
            return info

    server = Server()
    server.register_token_generator(
        "default", BearerTokenGenerator(lambda **_facts: secrets.token_urlsafe(32))
    )
    server.register_grant(CodeGrant, [CodeChallenge(required=True), OpenID(require_nonce=True)])
    return server
