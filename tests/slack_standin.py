"""A loopback stand-in for the Slack Web API, for tests: it records every call and fails on demand.

    with SlackStandIn() as slack:
        config = Config(slack_api_url=slack.api_url, slack_bot_token=slack.bot_token, ...)
        slack.add_user("U0DP", email="dp@example.org")
        slack.fail("chat.postMessage", status=429, retry_after=1)   # the next call only
        slack.fail("chat.postMessage", times=2, channel="D0DP")      # the next 2 posts to DP
        slack.hang("views.publish", seconds=5)                        # answer late
        ...
        (call,) = slack.wait_for("chat.postMessage")
        call.params["channel"], call.params["blocks"]

It serves the Web API methods the bot uses under ``/api/`` (auth.test, chat.postMessage,
chat.postEphemeral, chat.update, conversations.open, conversations.history (of the messages
it accepted: ``posted``), views.open, views.publish,
users.lookupByEmail, users.info, files.info, apps.connections.open and its Socket Mode
websocket, driven with ``socket_send``), every ``response_url`` it
hands out (``response_url()``; recorded as method "response_url"), and files for download
(``add_file``; recorded as "files.download"). A wrong bot token gets ``invalid_auth``, as Slack
answers. It runs on 127.0.0.1 on a free port, in its own thread, so synchronous tests can use it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web

from tests.loopback import LoopbackServer

BOT_TOKEN = "xoxb-test-standin"
BOT_USER_ID = "UBOTCRB01"
TEAM_ID = "T0CRB0001"
T = TypeVar("T")


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)
    peer: tuple[str, int] | None = None  # the client's address and port: one per connection

    @property
    def blocks(self) -> list[dict[str, Any]]:
        blocks = self.params.get("blocks") or []
        return json.loads(blocks) if isinstance(blocks, str) else blocks

    @property
    def view(self) -> dict[str, Any]:
        view = self.params.get("view") or {}
        return json.loads(view) if isinstance(view, str) else view


@dataclass(frozen=True)
class Fault:
    status: int = 200  # 429, 500, … ; 200 with ``error`` is Slack's {"ok": false}
    error: str | None = None
    retry_after: int | None = None
    delay: float = 0.0  # seconds before answering: a hang
    channel: str | None = None  # only calls naming this channel; None: any call of the method

    def applies_to(self, params: dict[str, Any]) -> bool:
        return self.channel is None or str(params.get("channel")) == self.channel


class SlackStandIn:
    def __init__(self, *, bot_token: str = BOT_TOKEN) -> None:
        self.bot_token = bot_token
        self.calls: list[Call] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.files: dict[str, bytes] = {}
        self.file_types: dict[str, str] = {}  # the Content-Type each file is served with
        self.file_ids: dict[str, str] = {}  # file id -> name, for files.info
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self._changed = threading.Condition()
        self._ids = itertools.count(1)
        app = web.Application(middlewares=[_slack_errors])
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{token}", self._respond)
        app.router.add_get("/files/{name}", self._file)
        app.router.add_get("/socket", self._socket)
        self._sockets: set[web.WebSocketResponse] = set()
        # The messages Slack accepted, by channel: a chat.postMessage is here once it has been
        # answered ok (a call that hangs is here after its delay, whether or not the caller is
        # still waiting). conversations.history reads them, newest first, as Slack does.
        self.posted: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.server = LoopbackServer(app)

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> SlackStandIn:
        self.server.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.stop()

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def api_url(self) -> str:
        return f"{self.server.base_url}/api/"

    # ------------------------------------------------------------------ setting the scene

    def add_user(self, user_id: str, *, email: str | None = None, name: str = "") -> None:
        profile = {"real_name": name or user_id, "display_name": name or user_id}
        if email:
            profile["email"] = email
        self.users[user_id] = {"id": user_id, "name": name or user_id, "profile": profile}

    def add_file(
        self, name: str, data: bytes, *, content_type: str = "text/plain"
    ) -> dict[str, Any]:
        """Store a file; returns the ``files`` entry Slack puts in a file_share message.

        ``content_type``: what the download answers with (Slack's sign-in page is text/html).
        """
        file_id = f"F{next(self._ids):08d}"
        self.files[name] = data
        self.file_types[name] = content_type
        self.file_ids[file_id] = name
        url = f"{self.base_url}/files/{name}"
        return {
            "id": file_id,
            "name": name,
            "title": name,
            "size": len(data),
            "mimetype": "text/plain",
            "url_private": url,
            "url_private_download": url,
        }

    def response_url(self) -> str:
        return f"{self.base_url}/respond/{next(self._ids)}"

    def fail(
        self,
        method: str,
        *,
        status: int = 500,
        error: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
        channel: str | None = None,
    ) -> None:
        """The next ``times`` calls of ``method`` fail: an HTTP status, or {"ok": false}.

        ``channel``: only calls naming that channel fail, so that a test of one message's fate
        does not depend on the order in which concurrent sends arrive.
        """
        if status == 429 and retry_after is None:
            retry_after = 1
        fault = Fault(status=status, error=error, retry_after=retry_after, channel=channel)
        self._faults[method].extend([fault] * times)

    def hang(self, method: str, *, seconds: float = 30.0, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` answer only after ``seconds``."""
        self._faults[method].extend([Fault(delay=seconds)] * times)

    def socket_send(self, envelope_type: str, payload: dict[str, Any]) -> str:
        """Push a Socket Mode envelope to every connected client; returns its envelope_id.

        The client's acknowledgement is recorded as a call to "socket_mode.ack".
        """
        envelope_id = f"env-{next(self._ids)}"
        envelope = {
            "envelope_id": envelope_id,
            "type": envelope_type,
            "payload": payload,
            "accepts_response_payload": envelope_type != "events_api",
        }

        async def push() -> None:
            for socket in list(self._sockets):
                await socket.send_json(envelope)

        self.server.run(push())
        return envelope_id

    def drop_sockets(self) -> None:
        """Close every Socket Mode connection from Slack's side, as a restart of Slack does."""

        async def close() -> None:
            for socket in list(self._sockets):
                await socket.close()

        self.server.run(close())

    # ------------------------------------------------------------------ looking at what happened

    def calls_to(self, method: str) -> list[Call]:
        with self._changed:
            return [call for call in self.calls if call.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """The first ``count`` calls of ``method``, waiting up to ``timeout`` seconds for them."""

        def found() -> list[Call] | None:
            calls = [call for call in self.calls if call.method == method]
            return calls if len(calls) >= count else None

        def failure() -> str:
            got = sum(1 for call in self.calls if call.method == method)
            seen = sorted({call.method for call in self.calls})
            return (
                f"expected {count} call(s) to {method} within {timeout}s; "
                f"got {got}. Calls seen: {seen}"
            )

        return self._wait(found, timeout, failure)

    def answers_at(self, response_url: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """The first ``count`` answers posted to ``response_url``, waiting up to ``timeout`` s."""
        token = response_url.rsplit("/", 1)[-1]

        def found() -> list[Call] | None:
            answers = [c for c in self.calls_to("response_url") if c.params["token"] == token]
            return answers if len(answers) >= count else None

        def failure() -> str:
            return f"expected {count} answer(s) at {response_url} within {timeout}s"

        return self._wait(found, timeout, failure)

    def _wait(self, found: Callable[[], T | None], timeout: float, failure: Callable[[], str]) -> T:
        deadline = time.monotonic() + timeout
        with self._changed:
            while (result := found()) is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(failure())
                self._changed.wait(left)
            return result

    def reset(self) -> None:
        with self._changed:
            self.calls.clear()
            self._faults.clear()

    def _record(self, method: str, params: dict[str, Any], request: web.Request) -> None:
        with self._changed:
            peer = request.transport.get_extra_info("peername") if request.transport else None
            self.calls.append(Call(method, params, dict(request.headers), peer=peer))
            self._changed.notify_all()

    # ------------------------------------------------------------------ serving

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                params.update(dict(await request.post()))
        return params

    async def _fault(self, method: str, params: dict[str, Any]) -> web.Response | None:
        queue = self._faults.get(method) or deque()
        index = next((i for i, fault in enumerate(queue) if fault.applies_to(params)), None)
        if index is None:
            return None
        fault = queue[index]
        del queue[index]
        if fault.delay:
            await asyncio.sleep(fault.delay)
            return None
        if fault.status == 429:
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(fault.retry_after)},
            )
        if fault.status != 200:
            return web.Response(status=fault.status, text="stand-in failure")
        return web.json_response({"ok": False, "error": fault.error or "internal_error"})

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        self._record(method, params, request)
        if (failure := await self._fault(method, params)) is not None:
            return failure
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        token = token or str(params.get("token", ""))
        if method != "apps.connections.open" and token != self.bot_token:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        answer = getattr(self, "_" + method.replace(".", "_"), None)
        if answer is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        return web.json_response({"ok": True, **answer(params)})

    async def _respond(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        params["token"] = request.match_info["token"]
        self._record("response_url", params, request)
        if (failure := await self._fault("response_url", params)) is not None:
            return failure
        return web.Response(text="ok")

    async def _file(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self._record("files.download", {"name": name}, request)
        if (failure := await self._fault("files.download", {})) is not None:
            return failure
        if request.headers.get("Authorization") != f"Bearer {self.bot_token}":
            return web.Response(status=403, text="not authorised")
        if name not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[name], content_type=self.file_types[name])

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode: say hello, then record every acknowledgement the client sends."""
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self._sockets.add(socket)
        self._record("socket.connect", {}, request)
        await socket.send_json({"type": "hello", "num_connections": 1})
        try:
            async for message in socket:
                if message.type == web.WSMsgType.TEXT:
                    self._record("socket_mode.ack", json.loads(message.data), request)
        finally:
            self._sockets.discard(socket)
        return socket

    # ------------------------------------------------------------------ the methods

    def _apps_connections_open(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {"url": f"ws://127.0.0.1:{self.server.port}/socket"}

    def _auth_test(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://crb-standin.slack.com/",
            "team": "CRB",
            "team_id": TEAM_ID,
            "user": "crb",
            "user_id": BOT_USER_ID,
            "bot_id": "BCRB0001",
        }

    def _chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel"))
        message: dict[str, Any] = {"type": "message", "ts": f"{time.time():.6f}"}
        message |= {"text": params.get("text", ""), "bot_id": "BCRB0001"}
        if metadata := params.get("metadata"):
            message["metadata"] = json.loads(metadata) if isinstance(metadata, str) else metadata
        with self._changed:
            self.posted[channel].append(message)
            self._changed.notify_all()
        return {"channel": channel, "ts": message["ts"], "message": message}

    def _conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        with_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        limit = int(params.get("limit") or 100)
        with self._changed:
            newest_first = list(reversed(self.posted.get(str(params.get("channel")), [])))
        shown = [
            m if with_metadata else {k: v for k, v in m.items() if k != "metadata"}
            for m in newest_first[:limit]
        ]
        return {"messages": shown, "has_more": len(newest_first) > limit}

    def _chat_postEphemeral(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {"message_ts": f"{time.time():.6f}"}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"channel": params.get("channel"), "ts": params.get("ts")}

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"channel": {"id": "D" + str(params.get("users", "")).lstrip("UW")}}

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"view": {"id": f"V{next(self._ids):08d}", **self._view(params)}}

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"view": {"id": f"V{next(self._ids):08d}", **self._view(params)}}

    @staticmethod
    def _view(params: dict[str, Any]) -> dict[str, Any]:
        view = params.get("view") or {}
        return json.loads(view) if isinstance(view, str) else view

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(params.get("user")))
        if user is None:
            raise _SlackError("user_not_found")
        return {"user": user}

    def _users_lookupByEmail(self, params: dict[str, Any]) -> dict[str, Any]:
        email = str(params.get("email", "")).lower()
        for user in self.users.values():
            if user["profile"].get("email", "").lower() == email:
                return {"user": user}
        raise _SlackError("users_not_found")

    def _files_info(self, params: dict[str, Any]) -> dict[str, Any]:
        name = self.file_ids.get(str(params.get("file")))
        if name is None:
            raise _SlackError("file_not_found")
        url = f"{self.base_url}/files/{name}"
        file = {"id": params["file"], "name": name, "size": len(self.files[name])}
        return {"file": {**file, "url_private": url, "url_private_download": url}}


class _SlackError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@web.middleware
async def _slack_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        return await handler(request)
    except _SlackError as error:
        return web.json_response({"ok": False, "error": error.code})
