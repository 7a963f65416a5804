"""Structured logs: one JSON object per line, each carrying the request id it belongs to.

``configure`` installs the JSON formatter on the root logger. ``request_id_middleware`` gives
every HTTP request an id (the caller's ``X-Request-Id`` when it is sensible, else a new one),
puts it in a context variable that every log line of the request picks up (database work run in a
thread included, since ``asyncio.to_thread`` copies the context), returns it in the response's
``X-Request-Id`` and logs one line per request.

Secrets: the configuration's secrets are registered with ``configure(secrets=...)`` and any log
line that would contain one has it replaced by ``[redacted]``, whatever logged it; so is the value
of any ``token=``, ``code=``, ``state=``, ``crb_session=`` (and the like) in a line. That is the
last line of defence; the first is that nothing logs them (``Config.__repr__`` hides them).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable, Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any

from aiohttp import web

REQUEST_ID_HEADER = "X-Request-Id"
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Attributes every LogRecord has: anything else on a record came from ``extra=`` and is logged.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
REDACTED = "[redacted]"
# Sign-in and email-link tokens, session and CSRF cookies, OpenID Connect codes: whatever logged a
# URL or a header carrying one, the value never reaches the log.
_CREDENTIAL_IN_TEXT = re.compile(
    r"(?i)\b(token|code|state|nonce|id_token|access_token|crb_session|crb_csrf)=[^&\s\"';,]+"
)


class JsonFormatter(logging.Formatter):
    """A log record as one line of JSON: time, level, logger, message, request id, extras."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # Longest first, so that a secret containing another is replaced whole.
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if (rid := request_id.get()) is not None:
            entry["request_id"] = rid
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["error"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return self.redact(json.dumps(entry, ensure_ascii=False, default=str))

    def redact(self, line: str) -> str:
        line = _CREDENTIAL_IN_TEXT.sub(rf"\1={REDACTED}", line)
        for secret in self.secrets:
            line = line.replace(secret, REDACTED)
            # json.dumps may have escaped it: catch that spelling too.
            escaped = json.dumps(secret)[1:-1]
            if escaped != secret:
                line = line.replace(escaped, REDACTED)
        return line


def configure(
    level: int | str = logging.INFO, *, secrets: Iterable[str] = (), stream: IO[str] | None = None
) -> logging.Handler:
    """JSON lines on ``stream`` (stderr) for every logger; returns the handler installed."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(secrets))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_crb", False)]:
        root.removeHandler(old)
    handler._crb = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    return handler


def incoming_request_id(request: web.Request) -> str:
    """The caller's request id when it is a sensible token, else a fresh one."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given if _SAFE_ID.match(given) else uuid.uuid4().hex


access_log = logging.getLogger("crb.http")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# A private calendar address is a secret in the path (calendar apps need a plain .ics URL).
_SECRET_PATHS = re.compile(r"^(/calendar/)[^/]+(\.ics)$")


def loggable_path(path: str) -> str:
    """The path as logs may show it: a calendar address's token is left out."""
    return _SECRET_PATHS.sub(r"\1[redacted]\2", path)


@web.middleware
async def request_id_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    rid = incoming_request_id(request)
    token = request_id.set(rid)
    started = time.perf_counter()
    status = 500
    try:
        try:
            response = await handler(request)
        except web.HTTPException as http_error:
            status = http_error.status
            http_error.headers[REQUEST_ID_HEADER] = rid
            raise
        except Exception:
            access_log.exception("request failed", extra={"path": loggable_path(request.path)})
            response = web.json_response({"error": "internal error", "request_id": rid}, status=500)
        status = response.status
        response.headers[REQUEST_ID_HEADER] = rid
        return response
    finally:
        access_log.info(
            "request",
            extra={
                "method": request.method,
                "path": loggable_path(request.path),  # never a query string: it may hold a token
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        request_id.reset(token)
