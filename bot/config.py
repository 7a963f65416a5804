"""Configuration from the environment: the contract's table, read once at the edge."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from urllib.parse import unquote, urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from db.models import parse_day_list
from handlers.errors import UserError

DEFAULT_DATABASE_URL = "sqlite:///crb.db"
# The Microsoft 365 Agents SDK reads its own nested names: CONNECTIONS__SERVICE_CONNECTION__...
TEAMS_SETTINGS = "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__"
TEAMS_SDK_PREFIXES = ("CONNECTIONS__", "CONNECTIONSMAP__", "AGENTAPPLICATION__")
# Microsoft's Bot Connector hosts (the serviceUrl of Teams activities): the public cloud, then
# GCC, GCC High and DoD. The bot answers nowhere else.
DEFAULT_TEAMS_SERVICE_HOSTS = (
    "smba.trafficmanager.net",
    "*.botframework.com",
    "smba.infra.gcc.teams.microsoft.com",
    "smba.infra.gov.teams.microsoft.us",
    "smba.infra.dod.teams.microsoft.us",
    "*.botframework.us",
)
DEFAULT_TEAMS_SERVICE_URL = "https://smba.trafficmanager.net/teams/"
# Where a file sent to the bot in Teams is downloaded from (its OneDrive / SharePoint).
DEFAULT_TEAMS_FILE_HOSTS = ("*.sharepoint.com", "*.sharepoint.us", "*.sharepoint-mil.us")


@dataclass(frozen=True)
class Config:
    database_url: str = DEFAULT_DATABASE_URL
    timezone: str | None = None  # None: keep the board's own setting
    reminder_days: str | None = None
    reminder_time: time | None = None
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = "https://slack.com/api/"
    smtp_url: str | None = None
    mail_from: str | None = None
    port: int = 3000
    # How long a claimed reminder stays with the process that claimed it before another may
    # retry it (a claim left by a process that died). Shorter only in tests.
    claim_lease_seconds: int = 300
    teams_client_id: str | None = None
    teams_tenant_id: str | None = None
    teams_anonymous_allowed: bool = False
    # Hosts Teams activities may come from and answers go to (CRB_TEAMS_ALLOWED_SERVICE_HOSTS).
    teams_allowed_service_hosts: tuple[str, ...] = DEFAULT_TEAMS_SERVICE_HOSTS
    # The OpenID metadata whose keys sign inbound tokens (CRB_TEAMS_OPENID_METADATA); empty:
    # Bot Framework's, and the tenant's for a single-tenant bot.
    teams_openid_metadata: tuple[str, ...] = ()
    # Where files sent to the bot may be downloaded from (CRB_TEAMS_FILE_HOSTS).
    teams_file_hosts: tuple[str, ...] = DEFAULT_TEAMS_FILE_HOSTS
    # Where a 1:1 chat is created for a member who never wrote to the bot.
    teams_service_url: str = DEFAULT_TEAMS_SERVICE_URL
    # Answers meant for one person in a channel as targeted messages (a preview feature whose
    # messages vanish after 24 hours): off, such answers go to the person's 1:1 chat.
    teams_targeted_messages: bool = False
    # Every CONNECTIONS__* / CONNECTIONSMAP__* / AGENTAPPLICATION__* variable, as the SDK reads
    # them (it holds the client secret, so the repr never shows it).
    teams_sdk_env: dict[str, str] = field(default_factory=dict, compare=False)
    # The web desk: the base of every link the bot sends (None: the local server's address).
    public_url: str | None = None
    # Signs web sessions and links: one key, or several separated by commas, newest first
    # (the older ones are still accepted: rotate a key without signing everyone out at once).
    # None: a key generated once and kept in the database (``handlers.web_access``).
    secret_key: str | None = None
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None

    def __repr__(self) -> str:
        # Secrets never reach a log line through a repr: they show as set or not, URLs lose
        # their passwords.
        shown = {
            name: ("[set]" if value else None)
            if is_secret_field(name)
            else (hide_password(value) if isinstance(value, str) else value)
            for name, value in self.__dict__.items()
        }
        return f"Config({shown})"

    __str__ = __repr__

    def secrets(self) -> list[str]:
        """Every secret value in this configuration, for the logs to redact."""
        found = [v for k, v in self.__dict__.items() if is_secret_field(k) and isinstance(v, str)]
        found += [v for k, v in self.teams_sdk_env.items() if is_secret_field(k)]
        found += [p for v in self.__dict__.values() if isinstance(v, str) and (p := password(v))]
        found += list(self.secret_keys)
        found += [unquote(value) for value in found]  # a URL's password, percent-decoded
        return sorted({value for value in found if value})

    @property
    def secret_keys(self) -> tuple[str, ...]:
        """``CRB_SECRET_KEY``'s keys, newest first; empty when it is not set."""
        return tuple(k.strip() for k in (self.secret_key or "").split(",") if k.strip())

    @property
    def link_base(self) -> str:
        """The base of every link the bot sends: ``CRB_PUBLIC_URL``, else this server."""
        return self.public_url or f"http://localhost:{self.port}"

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    @property
    def claim_lease(self) -> timedelta:
        return timedelta(seconds=self.claim_lease_seconds)

    @property
    def full_list_url(self) -> str:
        """Where a list too long for a chat message is shown whole: the web desk's actions."""
        return f"{self.link_base}/actions"

    @property
    def teams_enabled(self) -> bool:
        """Teams is on with a bot registration, or anonymously for a local test harness."""
        return bool(self.teams_client_id) or self.teams_anonymous_allowed

    def board_settings(self) -> dict[str, object]:
        """The board settings the operator set explicitly in the environment."""
        settings = {
            "timezone": self.timezone,
            "reminder_days": self.reminder_days,
            "reminder_time": self.reminder_time,
        }
        return {k: v for k, v in settings.items() if v is not None}


# "sdk_env" holds the Agents SDK's own variables, the Teams client secret among them.
_SECRET_WORDS = ("token", "secret", "password", "credential", "private_key", "sdk_env")


def is_secret_field(name: str) -> bool:
    return any(word in name.lower() for word in _SECRET_WORDS)


def password(url: str) -> str | None:
    """The password in a URL such as ``postgresql://user:pw@host/db``, if it has one."""
    try:
        return urlsplit(url).password if "://" in url else None
    except ValueError:
        return None


def hide_password(url: str) -> str:
    """The URL with its password replaced by ``***``; any other text unchanged."""
    secret = password(url)
    if not secret:
        return url
    parts = urlsplit(url)
    netloc = parts.netloc.replace(f":{secret}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise UserError(
            f"CRB_TIMEZONE={value!r} is not a time zone, e.g. Europe/London."
        ) from error
    return value


def _days(value: str) -> str:
    try:
        days = parse_day_list(value)
    except ValueError as error:
        raise UserError(f"CRB_REMINDER_DAYS={value!r}: give whole days, e.g. 14,7,1.") from error
    if not days or any(d < 0 or d > 90 for d in days):
        raise UserError(f"CRB_REMINDER_DAYS={value!r}: give days from 0 to 90, e.g. 14,7,1.")
    return ",".join(str(d) for d in days)


def _time(value: str) -> time:
    try:
        return time.fromisoformat(value)
    except ValueError as error:
        raise UserError(f"CRB_REMINDER_TIME={value!r} is not a time of day like 09:00.") from error


def _port(value: str) -> int:
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise UserError(f"PORT={value!r} is not a port number.")
    return int(value)


WEEK_SECONDS = 7 * 24 * 3600


def _lease(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= WEEK_SECONDS:
        raise UserError(
            f"CRB_CLAIM_LEASE_SECONDS={value!r}: give whole seconds from 1 to {WEEK_SECONDS} "
            "(default 300)."
        )
    return int(value)


def _flag(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("", "false", "0", "no", "off"):
        return False
    raise UserError(f"{name}={value!r}: say true or false.")


def _list(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


_HOST = re.compile(r"^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")


def _hosts(name: str, value: str | None) -> tuple[str, ...]:
    """Host names separated by commas, ``*.`` wildcards allowed; empty when not set."""
    if value is None:
        return ()
    hosts = tuple(host.lower() for host in _list(value))
    wrong = [host for host in hosts if not _HOST.match(host)]
    if wrong or not hosts:
        raise UserError(
            f"{name}={value!r}: give host names separated by commas, "
            "with an optional leading *. (e.g. smba.trafficmanager.net,*.botframework.com)."
        )
    return hosts


def _teams_anonymous(env: Mapping[str, str]) -> bool:
    anonymous = _flag(
        TEAMS_SETTINGS + "ANONYMOUS_ALLOWED", env.get(TEAMS_SETTINGS + "ANONYMOUS_ALLOWED", "")
    )
    if anonymous and env.get(TEAMS_SETTINGS + "CLIENTID", "").strip():
        # Anonymous access is for a local test harness; with a real bot registration it would
        # let anyone on the internet act as any board member.
        raise UserError(
            f"{TEAMS_SETTINGS}ANONYMOUS_ALLOWED=true cannot be used together with "
            f"{TEAMS_SETTINGS}CLIENTID: anonymous Teams access is for tests only. "
            "Remove one of them."
        )
    return anonymous


def _public_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserError(
            f"CRB_PUBLIC_URL={value!r} is not a web address like https://crb.example.gov.uk."
        )
    if parts.query or parts.fragment:
        raise UserError(f"CRB_PUBLIC_URL={value!r}: give the base address only, no ? or #.")
    return value.rstrip("/")


MIN_SECRET_KEY = 32


def _secret_key(value: str) -> str:
    keys = [k.strip() for k in value.split(",") if k.strip()]
    if not keys or any(len(k) < MIN_SECRET_KEY for k in keys):
        raise UserError(
            f"CRB_SECRET_KEY: each key must be at least {MIN_SECRET_KEY} characters "
            "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)."
        )
    return ",".join(keys)


def _oidc_issuer(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserError(
            f"CRB_OIDC_ISSUER={value!r} is not an issuer URL like "
            "https://login.microsoftonline.com/TENANT-ID/v2.0."
        )
    return value.rstrip("/")


def load(env: Mapping[str, str] | None = None) -> Config:
    env = os.environ if env is None else env

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    return Config(
        database_url=get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        timezone=_timezone(tz) if (tz := get("CRB_TIMEZONE")) else None,
        reminder_days=_days(days) if (days := get("CRB_REMINDER_DAYS")) else None,
        reminder_time=_time(at) if (at := get("CRB_REMINDER_TIME")) else None,
        slack_bot_token=get("SLACK_BOT_TOKEN"),
        slack_signing_secret=get("SLACK_SIGNING_SECRET"),
        slack_app_token=get("SLACK_APP_TOKEN"),
        slack_api_url=get("SLACK_API_URL") or "https://slack.com/api/",
        smtp_url=get("SMTP_URL"),
        mail_from=get("CRB_MAIL_FROM"),
        port=_port(port) if (port := get("PORT")) else 3000,
        claim_lease_seconds=_lease(lease) if (lease := get("CRB_CLAIM_LEASE_SECONDS")) else 300,
        teams_client_id=get(TEAMS_SETTINGS + "CLIENTID"),
        teams_tenant_id=get(TEAMS_SETTINGS + "TENANTID") or get("CRB_TEAMS_TENANT_ID"),
        teams_anonymous_allowed=_teams_anonymous(env),
        teams_allowed_service_hosts=_hosts(
            "CRB_TEAMS_ALLOWED_SERVICE_HOSTS", get("CRB_TEAMS_ALLOWED_SERVICE_HOSTS")
        )
        or DEFAULT_TEAMS_SERVICE_HOSTS,
        teams_file_hosts=_hosts("CRB_TEAMS_FILE_HOSTS", get("CRB_TEAMS_FILE_HOSTS"))
        or DEFAULT_TEAMS_FILE_HOSTS,
        teams_openid_metadata=_list(get("CRB_TEAMS_OPENID_METADATA")),
        teams_service_url=get("CRB_TEAMS_SERVICE_URL") or DEFAULT_TEAMS_SERVICE_URL,
        teams_targeted_messages=_flag(
            "CRB_TEAMS_TARGETED_MESSAGES", env.get("CRB_TEAMS_TARGETED_MESSAGES", "")
        ),
        teams_sdk_env={k: v for k, v in env.items() if k.startswith(TEAMS_SDK_PREFIXES)},
        public_url=_public_url(url) if (url := get("CRB_PUBLIC_URL")) else None,
        secret_key=_secret_key(key) if (key := get("CRB_SECRET_KEY")) else None,
        oidc_issuer=_oidc_issuer(issuer) if (issuer := get("CRB_OIDC_ISSUER")) else None,
        oidc_client_id=get("CRB_OIDC_CLIENT_ID"),
        oidc_client_secret=get("CRB_OIDC_CLIENT_SECRET"),
    )
