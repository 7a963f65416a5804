"""OpenID Connect client for "Sign in with Microsoft" (any OpenID provider, in fact).

Configured by ``CRB_OIDC_ISSUER``, ``CRB_OIDC_CLIENT_ID`` and ``CRB_OIDC_CLIENT_SECRET``. The
authorization code flow with PKCE, through authlib's OAuth 2 client; the ID token is verified
with joserfc against the provider's published keys (JWKS): signature (RS256), issuer, audience,
nonce, expiry. ``state``, ``nonce`` and the PKCE verifier travel in a short-lived signed cookie,
so only the browser that started a sign-in can finish it.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from bot.config import Config
from handlers import web_access

DISCOVERY = "/.well-known/openid-configuration"
CALLBACK_PATH = "/auth/microsoft/callback"
SCOPE = "openid email profile"
TIMEOUT = 10  # seconds for each call to the provider
FLOW_LIFETIME = timedelta(minutes=10)  # from "Sign in with Microsoft" to coming back
CLOCK_LEEWAY = 60  # seconds of difference between our clock and the provider's
FLOW_PURPOSE = "crb.oidc-flow"
ALGORITHMS = ["RS256"]


class SignInFailed(Exception):
    """The provider's answer could not be trusted or used: the message says why (no secrets)."""


@dataclass(frozen=True)
class Flow:
    """One sign-in in progress, kept in the browser's signed cookie."""

    state: str
    nonce: str
    verifier: str
    next_path: str
    expires: float  # Unix time

    @classmethod
    def start(cls, next_path: str, now: datetime) -> Flow:
        return cls(
            secrets.token_urlsafe(24),
            secrets.token_urlsafe(24),
            secrets.token_urlsafe(48),
            next_path,
            (now + FLOW_LIFETIME).timestamp(),
        )

    def to_cookie(self, keys: tuple[str, ...]) -> str:
        raw = base64.urlsafe_b64encode(json.dumps(self.__dict__).encode()).decode().rstrip("=")
        return web_access.sign(keys, FLOW_PURPOSE, raw)

    @classmethod
    def from_cookie(cls, value: str | None, keys: tuple[str, ...], now: datetime) -> Flow | None:
        raw = web_access.unsign(keys, FLOW_PURPOSE, value) if value else None
        if raw is None:
            return None
        try:
            fields = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
            flow = cls(**fields)
        except (ValueError, TypeError):
            return None
        return flow if now.timestamp() < flow.expires else None


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in, as far as matching a member needs."""

    subject: str
    object_id: str | None  # Microsoft Entra's "oid": a member's Teams id
    email: str | None
    email_verified: bool


class OidcClient:
    """The provider's metadata and keys, fetched once (keys again when they rotate)."""

    def __init__(self, config: Config) -> None:
        assert config.oidc_issuer and config.oidc_client_id
        self.issuer = config.oidc_issuer
        self.client_id = config.oidc_client_id
        self.client_secret = config.oidc_client_secret
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._lock = threading.Lock()

    def metadata(self) -> dict[str, Any]:
        with self._lock:
            if self._metadata is None:
                found = _get_json(self.issuer + DISCOVERY)
                if found.get("issuer") != self.issuer:
                    raise SignInFailed(
                        "the provider's discovery document names another issuer "
                        f"({found.get('issuer')!r}, not {self.issuer!r})"
                    )
                self._metadata = found
            return self._metadata

    def keys(self, *, refresh: bool = False) -> KeySet:
        with self._lock:
            if self._keys is None or refresh:
                self._keys = KeySet.import_key_set(_get_json(self._metadata_unlocked("jwks_uri")))
            return self._keys

    def _metadata_unlocked(self, name: str) -> str:
        assert self._metadata is not None
        return str(self._metadata[name])

    def session(self, redirect_uri: str) -> OAuth2Session:
        return OAuth2Session(
            self.client_id,
            self.client_secret,
            scope=SCOPE,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
        )

    def authorization_url(self, redirect_uri: str, flow: Flow) -> str:
        endpoint = self.metadata()["authorization_endpoint"]
        url, _state = self.session(redirect_uri).create_authorization_url(
            endpoint, state=flow.state, nonce=flow.nonce, code_verifier=flow.verifier
        )
        return url

    def sign_in(self, redirect_uri: str, code: str, flow: Flow, now: datetime) -> Identity:
        """Exchange the code for tokens and verify the ID token: who signed in."""
        endpoint = self.metadata()["token_endpoint"]
        try:
            token = self.session(redirect_uri).fetch_token(
                endpoint,
                grant_type="authorization_code",
                code=code,
                code_verifier=flow.verifier,
                timeout=TIMEOUT,
            )
        except Exception as error:  # authlib raises its own errors and requests' alike
            raise SignInFailed(
                f"the provider refused the sign-in code ({type(error).__name__})"
            ) from error
        id_token = token.get("id_token")
        if not id_token:
            raise SignInFailed("the provider sent no ID token")
        return self.verify(id_token, flow.nonce, now)

    def verify(self, id_token: str, nonce: str, now: datetime) -> Identity:
        claims = self._decode(id_token)
        registry = jwt.JWTClaimsRegistry(
            now=int(now.timestamp()),
            leeway=CLOCK_LEEWAY,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.client_id},
            sub={"essential": True},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(claims)
        except JoseError as error:
            raise SignInFailed(f"the ID token is not valid here ({error.error})") from error
        email = claims.get("email")
        verified = claims.get("email_verified") is True or claims.get("xms_edov") is True
        return Identity(
            str(claims["sub"]),
            str(claims["oid"]) if claims.get("oid") else None,
            str(email) if email else None,
            verified,
        )

    def _decode(self, id_token: str) -> dict[str, Any]:
        self.metadata()
        for refresh in (False, True):  # keys rotate: fetch them again once before refusing
            try:
                return jwt.decode(
                    id_token, self.keys(refresh=refresh), algorithms=ALGORITHMS
                ).claims
            except JoseError as error:
                problem = error
            except ValueError as error:  # a kid the key set does not hold
                problem = error
        raise SignInFailed(f"the ID token's signature does not verify ({type(problem).__name__})")


def _get_json(url: str) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=TIMEOUT)
        response.raise_for_status()
        found = response.json()
    except (requests.RequestException, ValueError) as error:
        raise SignInFailed(f"the provider could not be reached ({type(error).__name__})") from error
    if not isinstance(found, dict):
        raise SignInFailed("the provider answered with something that is not a JSON object")
    return found
