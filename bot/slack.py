"""The Slack adapter: Bolt's AsyncApp on /slack/events (or Socket Mode), and the Slack channel.

Each listener does three things, as every adapter does: acknowledge, find out who is asking (the
Slack user id, linked to a board member), and hand the text to ``handlers``. Database work runs in
a worker thread through the ``Runtime``; Slack sees only rendered Block Kit.

Slack wants an acknowledgement within 3 seconds. Commands, clicks and events are acknowledged
first, before anything is read: each listener calls ``ack()`` and returns, and its work goes on
as a task of the bot's own (``_answer_later``), answering through the request's ``response_url``
(or the DM, or the App Home) when it is done. A busy database or a slow Slack API never makes
Slack give up on the bot, and a shutdown waits for answers already acknowledged. Only the
"Add update" form waits for its work (up to ``quick_seconds``), because a refusal is shown on the
form itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient
from sqlalchemy.orm import Session

from bot import render_slack
from bot.config import Config
from bot.runtime import Runtime
from db import queries
from db.models import Member, Rag
from handlers import identity, run
from handlers.commands import (
    Command,
    Note,
    clean_text,
    parse_pinned_value,
    pinned_command,
)
from handlers.context import Caller
from handlers.errors import UserError
from handlers.home import home
from handlers.identity import Account, Via
from handlers.minutes.read import MAX_BYTES, wrong_kind
from handlers.refs import ActionId
from handlers.reply import Reply, Tone, Visibility
from handlers.run import link_account_by_email, run_command
from scheduler.channels import FIRST_SEND, Delivery, DeliveryError
from scheduler.clock import wall_clock

log = logging.getLogger("crb.slack")

PLATFORM = "slack"
EVENTS_PATH = "/slack/events"
QUICK_SECONDS = 2.0  # the update form waits this long to show a refusal on itself; Slack allows 3
FINISH_SECONDS = 20.0  # at shutdown, for acknowledged requests to send their answers
WATCH_SECONDS = 10.0  # how often the Socket Mode watchdog checks the connection
ASK_AGAIN_AFTER = 600.0  # seconds before asking Slack again for an unknown user's email
REPLAY_PLATFORM = "slack-signature"  # processed_events rows for signatures already seen
EMAIL_MATCH = Caller(None, "slack:email-match", Via.SLACK)  # who links a Slack user by email
FAILED = (
    "Something went wrong on my side, so nothing was changed. "
    "Please try again; if it keeps happening, tell the secretariat."
)
# Slack errors about the person, not the moment: retrying will not help.
PERMANENT_ERRORS = {
    "account_inactive",
    "cannot_dm_bot",
    "channel_not_found",
    "invalid_auth",
    "is_archived",
    "missing_scope",
    "not_authed",
    "not_in_channel",
    "token_revoked",
    "user_disabled",
    "user_not_found",
}
_MENTION = re.compile(r"<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>")
# Slack's other markup in what people type: <#C123|general>, <!here>, <!subteam^S1|@team>,
# <https://example.org|example.org>, <mailto:a@b.org|a@b.org>. The label, when there is one.
_MARKUP = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")
_SPECIAL = {"here": "@here", "channel": "@channel", "everyone": "@everyone"}

Clock = Callable[[], datetime]


def make_client(config: Config, *, max_retries: int = 2) -> AsyncWebClient:
    """The Web API client: Retry-After honoured on 429, one retry on a Slack server error."""
    return AsyncWebClient(
        token=config.slack_bot_token,
        base_url=config.slack_api_url,
        timeout=10,
        retry_handlers=[
            RetryAfter(max_retry_count=max_retries),
            AsyncServerErrorRetryHandler(max_retry_count=1),
        ],
    )


class RetryAfter(AsyncRateLimitErrorRetryHandler):
    """On 429, wait as long as Slack's Retry-After says, then try again.

    The SDK's own handler waits up to a second more, at random. Slack's allowance refills while
    the bot waits and holds at most about a second's worth, so with several messages in flight
    every extra moment that all of them spend waiting is allowance thrown away.
    """

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        assert response is not None  # only a 429 answer is retried (_can_retry_async)
        state.next_attempt_requested = True
        await asyncio.sleep(retry_after(response.headers) or 1)
        state.increment_current_attempt()


def retry_after(headers: Mapping[str, Any]) -> float | None:
    """Seconds from a Retry-After header (the SDK gives its value alone, or in a list)."""
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if isinstance(value, list):
        value = value[0] if value else None
    return float(value) if value else None


def mentions_to_accounts(text: str) -> str:
    """``<@U123|claire>`` -> ``slack:U123``: the platform-neutral account form handlers read."""
    return _MENTION.sub(lambda match: f"slack:{match[1]}", text)


def typed_text(text: str) -> str:
    """What the person typed, from Slack's escaped form: the same characters every path stores.

    Slack sends ``&``, ``<`` and ``>`` as entities and wraps mentions, channels and links in
    ``<…>``. Mentions become ``slack:U…`` (handlers name the member, or link the account);
    channels, links and the like become the words shown for them; the entities become the
    characters again, ``&amp;`` last so that a typed "&lt;" stays as typed.
    """
    return unescape(_MARKUP.sub(_markup_words, mentions_to_accounts(text)))


def _markup_words(match: re.Match[str]) -> str:
    target, label = match[1], match[2]
    if target.startswith("#"):
        return f"#{label or target[1:]}"
    if target.startswith("!"):
        word = target[1:].split("^", 1)[0]
        return label or _SPECIAL.get(word, f"@{word}")
    if label and label not in target:  # a link with words of its own: keep both
        return f"{label} ({target.removeprefix('mailto:')})"
    return label or target.removeprefix("mailto:")


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def slack_error_text(error: SlackApiError) -> str:
    """Slack's error code ("channel_not_found"), or the HTTP status when there was no JSON."""
    data = error.response.data
    code = data.get("error") if isinstance(data, dict) else None
    return str(code or f"HTTP {error.response.status_code}")


class SlackBot:
    """The Bolt app, its listeners and the ways it answers."""

    def __init__(
        self,
        runtime: Runtime,
        config: Config,
        *,
        clock: Clock = wall_clock,
        quick_seconds: float = QUICK_SECONDS,
        client: AsyncWebClient | None = None,
        watch_seconds: float = WATCH_SECONDS,
    ) -> None:
        self.runtime = runtime
        self.config = config
        self.clock = clock
        self.quick_seconds = quick_seconds
        self.watch_seconds = watch_seconds
        self._started = wall_clock()
        self._connected = False  # Socket Mode: the connection's state, and since when
        self._since: datetime | None = None
        self.client = client or make_client(config)
        self._linking = asyncio.Lock()  # one email match at a time: never two links for one id
        self._asked_slack: dict[str, float] = {}  # unknown user id -> when users.info was asked
        self._owed: set[asyncio.Task[Any]] = set()  # listeners acknowledged, still answering
        self._answers: aiohttp.ClientSession | None = None  # kept alive for response_url posts
        self._answers_loop: asyncio.AbstractEventLoop | None = None  # the loop it belongs to
        self.dms = DmChannels(self.client, runtime.sessions, run=runtime.run_in_thread, clock=clock)
        self.full_list = config.full_list_url
        self.app = AsyncApp(
            client=self.client,
            signing_secret=config.slack_signing_secret or "",
            request_verification_enabled=not config.slack_app_token,
            logger=logging.getLogger("crb.slack.bolt"),
            # Bolt answers Slack as soon as a listener returns, and every listener returns
            # right after ack(): its work goes on as a task of ours (``_answer_later``). Bolt's
            # other mode runs the listener beside the request and polls every 10 ms for ack().
            process_before_response=True,
        )
        self._register()

    # ------------------------------------------------------------------ wiring

    def _register(self) -> None:
        self.app.command(re.compile(r"^/crb"))(self.on_command)
        self.app.action(re.compile(f"^{render_slack.COMMAND_ACTION_PREFIX}"))(self.on_button)
        self.app.view(render_slack.NOTE_MODAL)(self.on_note_submitted)
        self.app.event("message")(self.on_message)
        self.app.event("app_home_opened")(self.on_home_opened)
        self.app.error(self._on_error)

    @property
    def socket_mode(self) -> bool:
        return bool(self.config.slack_app_token)

    def attach(self, app: web.Application) -> None:
        """Serve Slack from ``app``: the HTTP route, or a Socket Mode connection beside it."""
        if self.socket_mode:
            app.cleanup_ctx.append(self._socket_mode_context)
        else:
            app.router.add_post(EVENTS_PATH, self.handle_http)
        app.cleanup_ctx.append(self._email_links_context)
        self.runtime.on_shutdown.append(self.finish_answers)

    def _answer_later(self, answer: Coroutine[Any, Any, None]) -> None:
        """Run ``answer`` after the listener has returned, so Slack has its ack at once.

        A shutdown waits for it (``finish_answers``); a failure is logged, never lost silently.
        """
        task = asyncio.create_task(answer)
        self._owed.add(task)
        task.add_done_callback(self._settled)

    def _settled(self, task: asyncio.Task[None]) -> None:
        self._owed.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("A Slack answer failed", exc_info=error)

    async def finish_answers(self) -> None:
        """At shutdown: requests already acknowledged finish their work and send their answers."""
        if self._owed:
            log.info("finishing %d answer(s) already acknowledged", len(self._owed))
            await asyncio.wait(set(self._owed), timeout=FINISH_SECONDS)
        if self._answers is not None:
            await self._answers.close()

    async def _email_links_context(self, _app: web.Application) -> AsyncIterator[None]:
        """At start-up, link members whose email Slack knows (users.lookupByEmail)."""

        async def link() -> None:
            try:
                linked = await self.link_members_by_email()
            except Exception:
                log.exception("Linking members by email failed")
                return
            if linked:
                log.info("Linked by email on Slack: %s", ", ".join(linked))

        task = asyncio.create_task(link())
        yield
        task.cancel()

    async def handle_http(self, request: web.Request) -> web.Response:
        retry = request.headers.get("X-Slack-Retry-Num")
        if retry:
            reason = request.headers.get("X-Slack-Retry-Reason", "?")
            log.info("Slack retry %s (%s)", retry, reason)
        bolt_response = await self.app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    def socket_mode_handler(self) -> AsyncSocketModeHandler:
        return AsyncSocketModeHandler(
            self.app, app_token=self.config.slack_app_token, web_client=self.client
        )

    async def _socket_mode_context(self, _app: web.Application) -> AsyncIterator[None]:
        handler = self.socket_mode_handler()
        task = asyncio.create_task(self._keep_connected(handler))
        yield
        task.cancel()
        await handler.close_async()

    async def _keep_connected(self, handler: AsyncSocketModeHandler) -> None:
        """Connect, then watch the connection for as long as the bot runs: a dead one (Slack
        restarted, the network dropped, pings unanswered) is replaced with a new one."""
        first = True
        while True:
            try:
                if not await handler.client.is_connected():
                    self._connection_changed(False)
                    if first:
                        await handler.connect_async()
                    else:
                        log.warning("Slack Socket Mode connection lost; reconnecting")
                        await handler.client.connect_to_new_endpoint(force=True)
                    first = False
                if await handler.client.is_connected():
                    self._connection_changed(True)
            except Exception as error:  # the network or Slack: keep trying, say so in the log
                self._connection_changed(False)
                log.error("Slack Socket Mode did not connect (%s)", error)
            await asyncio.sleep(self.watch_seconds)

    def _connection_changed(self, connected: bool) -> None:
        if connected != self._connected:
            self._connected, self._since = connected, wall_clock()
            if connected:
                log.info("Slack Socket Mode connected")

    def health(self) -> dict[str, object]:
        """For /healthz: how Slack reaches the bot, whether it can now, and since when."""
        if not self.socket_mode:
            return {"mode": "http", "connected": True, "since": self._started.isoformat()}
        return {
            "mode": "socket",
            "connected": self._connected,
            "since": self._since.isoformat() if self._since else None,
        }

    async def _on_error(self, error: Exception, body: dict[str, Any]) -> None:
        log.error("Slack request failed: %s (%s)", error, body.get("type"), exc_info=error)

    # ------------------------------------------------------------------ running handlers

    def now(self) -> datetime:
        return self.clock()

    def render(self, reply: Reply) -> dict[str, Any]:
        """A message's text and blocks; a list too long for it links to the full list."""
        return render_slack.message(reply, full_list=self.full_list)

    async def run_text(
        self,
        user_id: str,
        text: str,
        *,
        signature: str | None = None,
        channel: str | None = None,
    ) -> Reply:
        """Run typed text as ``user_id``; a ``signature`` seen before is refused as a replay.
        ``channel`` is where it was typed: a channel bound to a board means that board."""
        return await self.run_command(
            user_id, typed_text(text), signature=signature, channel=channel
        )

    async def run_command(
        self,
        user_id: str,
        command: Command | str,
        *,
        signature: str | None = None,
        channel: str | None = None,
    ) -> Reply:
        """Run as ``user_id``, linking an unknown user by email first (``ensure_linked``).

        A linked user (nearly every request) is checked and served in one hand-off to a worker
        thread; only an unknown one goes back to the event loop to ask Slack for an email.
        """
        run = self.runtime.run_in_thread
        reply = await run(self._execute_if_linked, user_id, command, signature, channel)
        if reply is not None:
            return reply
        await self.ensure_linked(user_id)
        return await run(self._execute_command, user_id, command, signature, channel)

    def _execute_if_linked(
        self, user_id: str, command: Command | str, signature: str | None, channel: str | None
    ) -> Reply | None:
        """The reply, run as a linked user; None when the user is not linked (nothing was run)."""
        if not self._is_linked(user_id):
            return None
        return self._execute_command(user_id, command, signature, channel)

    def _execute_command(
        self, user_id: str, command: Command | str, signature: str | None, channel: str | None
    ) -> Reply:
        """Run as the Slack user. A signed request is run once: its signature is its key.

        The signature is genuine and fresh (Bolt checked both), so only memory can tell a
        replay: each signature is unique to its timestamp and body, and is kept longer than the
        5 minutes a signature is accepted. Slack itself never repeats one (its event retries
        are signed anew and deduplicated by event id). Socket Mode requests carry no signature
        and come over the bot's own authenticated connection.
        """
        key = (REPLAY_PLATFORM, signature) if signature else None
        return run_command(
            self.runtime.sessions,
            Account.slack(user_id),
            command,
            self.now(),
            request_key=key,
            channel=channel,
            room=render_slack.MESSAGE_ROOM,
        )

    async def _safely(self, work: Awaitable[Reply]) -> Reply:
        """The reply, or an apology when something broke (logged in full, never swallowed)."""
        try:
            return await work
        except Exception:
            log.exception("A Slack request failed")
            return Reply.error(FAILED)

    async def _respond(
        self,
        respond: Callable[..., Awaitable[Any]],
        reply: Reply,
        user_id: str,
        channel: str | None,
    ) -> None:
        """Answer through the response_url; when Slack refuses it, find another way to say it.

        A webhook answer that fails does not raise: its status code says so, and is checked.
        """
        try:
            payload = response_payload(reply, self.full_list)
            answer = await self._send_answer(respond, payload)
            status = getattr(answer, "status_code", 200)
            if status < 300:
                return
            problem = f"HTTP {status}"
        except Exception as error:
            problem = f"{type(error).__name__}: {error}"
        log.error("Could not answer through the response_url (%s); trying another way", problem)
        await self._answer_another_way(user_id, channel, reply)

    async def _send_answer(
        self, respond: Callable[..., Awaitable[Any]], payload: dict[str, Any]
    ) -> Any:
        """``respond(**payload)``, over one kept-alive connection pool for every answer: Bolt's
        ``respond()`` opens (and closes) a session and a connection for each."""
        if not isinstance(respond, AsyncRespond) or respond.response_url is None:
            return await respond(**payload, replace_original=False)
        if respond.proxy or respond.ssl:
            return await respond(**payload, replace_original=False)
        loop = asyncio.get_running_loop()
        if self._answers is None or self._answers.closed or self._answers_loop is not loop:
            self._answers, self._answers_loop = aiohttp.ClientSession(), loop
        client = AsyncWebhookClient(respond.response_url, session=self._answers)
        return await client.send_dict(payload | {"replace_original": False})

    async def _answer_another_way(self, user_id: str, channel: str | None, reply: Reply) -> None:
        """The answer, privately: ephemeral in the channel the request came from, else in a DM."""
        if channel:
            try:
                await self.client.chat_postEphemeral(
                    channel=channel, user=user_id, **self.render(reply)
                )
                return
            except SlackApiError as error:
                problem = slack_error_text(error)
            except (aiohttp.ClientError, TimeoutError) as error:
                problem = type(error).__name__
            log.error("chat.postEphemeral to %s in %s failed: %s", user_id, channel, problem)
        await self.send_dm(user_id, reply)

    # ------------------------------------------------------------------ linking

    def _is_linked(self, user_id: str) -> bool:
        with self.runtime.sessions() as session:  # on any board: the person holds the account
            return queries.person_by_identity(session, slack_id=user_id) is not None

    async def ensure_linked(self, user_id: str) -> None:
        """Link an unknown Slack user to the member with the same email, if there is one."""
        if await self.runtime.run_in_thread(self._is_linked, user_id):
            return
        asked = self._asked_slack.get(user_id)
        if asked is not None and time.monotonic() - asked < ASK_AGAIN_AFTER:
            return  # a stranger who keeps typing costs Slack one users.info, not one each time
        self._asked_slack[user_id] = time.monotonic()
        try:
            info = await self.client.users_info(user=user_id)
        except SlackApiError as error:
            log.warning("users.info for %s failed: %s", user_id, slack_error_text(error))
            return
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("users.info for %s failed: %s", user_id, type(error).__name__)
            return
        email = (info.get("user") or {}).get("profile", {}).get("email")
        if email:
            async with self._linking:
                await self.runtime.run_in_thread(self._link_by_email, user_id, email)

    def _link_by_email(self, user_id: str, email: str) -> int | None:
        return link_account_by_email(
            self.runtime.sessions, EMAIL_MATCH, identity.SLACK_ID, user_id, [email], self.now()
        )

    async def link_members_by_email(self) -> list[str]:
        """Find each unlinked member with an email on Slack (users.lookupByEmail) and link them."""
        pending = await self.runtime.run_in_thread(self._unlinked_with_email)
        linked = []
        for initials, email in pending:
            try:
                found = await self.client.users_lookupByEmail(email=email)
            except SlackApiError as error:
                if slack_error_text(error) != "users_not_found":
                    log.warning("users.lookupByEmail for %s failed: %s", initials, error)
                continue
            user_id = (found.get("user") or {}).get("id")
            if not user_id:
                continue
            async with self._linking:
                if await self.runtime.run_in_thread(self._link_by_email, user_id, email):
                    linked.append(initials)
        return linked

    def _unlinked_with_email(self) -> list[tuple[str, str]]:
        with self.runtime.sessions() as session:
            return list(identity.unlinked_with_email(session, identity.SLACK_ID))

    # ------------------------------------------------------------------ replays

    def claim_event(self, event_id: str, platform: str = PLATFORM) -> bool:
        """True the first time this event id (or request signature) is seen."""
        return self.runtime.first_time(platform, event_id, self.now())

    # ------------------------------------------------------------------ listeners

    async def on_command(
        self,
        ack: Callable[..., Awaitable[Any]],
        command: dict[str, Any],
        respond: Callable[..., Awaitable[Any]],
        request: AsyncBoltRequest,
    ) -> None:
        """`/crb …`: acknowledged at once, then answered ephemerally (or posted, by the chair)."""
        await ack()
        self._answer_later(self._answer_command(command, respond, signature_of(request)))

    async def _answer_command(
        self,
        command: dict[str, Any],
        respond: Callable[..., Awaitable[Any]],
        signature: str | None,
    ) -> None:
        user_id = command["user_id"]
        text = command.get("text") or "help"
        channel = command.get("channel_id")
        reply = await self._safely(
            self.run_text(user_id, text, signature=signature, channel=channel)
        )
        await self._respond(respond, reply, user_id, channel)

    async def on_button(
        self,
        ack: Callable[..., Awaitable[Any]],
        body: dict[str, Any],
        action: dict[str, Any],
        respond: Callable[..., Awaitable[Any]],
        request: AsyncBoltRequest,
    ) -> None:
        """Every button runs its command as the person who clicked; "Add update" opens a form."""
        await ack()
        self._answer_later(self._run_button(body, action, respond, signature_of(request)))

    async def _run_button(
        self,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: Callable[..., Awaitable[Any]],
        signature: str | None,
    ) -> None:
        """A button on one action names it by its id (never a REF parsed again); other buttons
        (snooze, import, post to channel) carry their command. Either way, the message clicked
        is then shown again as things now are."""
        user_id = body["user"]["id"]
        click = Click.of(body, action)
        value = action.get("value") or "help"
        pinned = parse_pinned_value(value)
        if pinned is not None and pinned[0] == "note":
            await self._open_note_form(body, pinned[1], _label_ref(value), click, respond)
            return
        if pinned is not None:
            work = self.run_command(user_id, pinned_command(*pinned), signature=signature)
        else:
            work = self.run_text(user_id, value, signature=signature, channel=click.channel)
        reply = await self._safely(work)
        await self._show_click(user_id, click, reply, respond)

    async def _show_click(
        self, user_id: str, click: Click, reply: Reply, respond: Callable[..., Awaitable[Any]]
    ) -> None:
        """The answer to a click, in the message clicked: replaced in place, with the changed
        action shown as it is now and no button left that would act on an old state."""
        if click.on_home:
            await self.publish_home(user_id, banner=reply)
            return
        refusal = reply.tone == Tone.ERROR and not click.blocks  # keep the list it refuses
        if reply.visibility == Visibility.CHANNEL or not click.response_url or refusal:
            await self._respond(respond, reply, user_id, click.channel)  # a new message
            return
        shown = render_slack.updated_message(
            click.blocks, reply, click.block_id, full_list=self.full_list
        )
        answer = {"response_type": "ephemeral", **shown}
        if await self._webhook(click.response_url, answer, replace_original=True):
            return
        if click.channel and click.ts and not click.ephemeral:
            try:
                await self.client.chat_update(channel=click.channel, ts=click.ts, **shown)
                return
            except SlackApiError as error:
                log.error("chat.update in %s failed: %s", click.channel, slack_error_text(error))
        await self._answer_another_way(user_id, click.channel, reply)

    async def _webhook(self, url: str, payload: dict[str, Any], *, replace_original: bool) -> bool:
        """Post to a response_url; whether Slack took it (a failure status is not raised)."""
        try:
            answer = await AsyncWebhookClient(url).send(
                **payload, replace_original=replace_original
            )
        except (aiohttp.ClientError, TimeoutError) as error:
            log.error("Could not answer through the response_url: %s", type(error).__name__)
            return False
        if answer.status_code >= 300:
            log.error("The response_url answered HTTP %s", answer.status_code)
            return False
        return True

    async def _open_note_form(
        self,
        body: dict[str, Any],
        pinned: ActionId,
        ref: str,
        click: Click,
        respond: Callable[..., Awaitable[Any]],
    ) -> None:
        origin = {
            "action": pinned.id,
            "ref": ref,
            "home": click.on_home,
            "response_url": click.response_url,
            "channel": click.channel,
        }
        try:
            await self.client.views_open(
                trigger_id=body["trigger_id"], view=render_slack.note_modal(ref, origin)
            )
        except SlackApiError as error:
            log.error("views.open failed: %s", slack_error_text(error))
            reply = Reply.error(
                f"I couldn't open the update form (Slack said: {slack_error_text(error)}).",
                f"Type the update instead: /crb note {ref} amber TEXT",
            )
            user_id = body["user"]["id"]
            if click.on_home:
                await self.publish_home(user_id, banner=reply)
            else:
                await self._respond(respond, reply, user_id, click.channel)

    async def on_note_submitted(
        self,
        ack: Callable[..., Awaitable[Any]],
        body: dict[str, Any],
        view: dict[str, Any],
        request: AsyncBoltRequest,
    ) -> None:
        """The "Add update" form: a refusal shows on the form; success closes it and says so.

        The form names the action by its id. An update is recorded whatever the action's state
        (as a typed ``note`` is), so a note written while someone else closed it is not lost.
        """
        user_id = body["user"]["id"]
        origin = json.loads(view.get("private_metadata") or "{}")
        values = view["state"]["values"]
        text = clean_text(values["note"]["text"].get("value") or "")
        chosen = (values.get("rag", {}).get("rag") or {}).get("selected_option") or {}
        action_id = origin.get("action")
        if not isinstance(action_id, int) or not text:
            await ack(response_action="errors", errors={"note": "Say what has happened."})
            return
        rag = Rag(chosen["value"]) if chosen.get("value") in {r.value for r in Rag} else None
        command = Note(ActionId(action_id), text, rag)
        note = self.run_command(user_id, command, signature=signature_of(request))
        task = asyncio.ensure_future(self._safely(note))
        try:
            reply = await asyncio.wait_for(asyncio.shield(task), self.quick_seconds)
        except TimeoutError:
            await ack()  # the form closes; the answer comes where the button was
            self._answer_later(self._deliver_to_origin(user_id, origin, task))
            return
        if reply.tone == Tone.ERROR:
            problem = render_slack.truncate(reply.title, 150)
            await ack(response_action="errors", errors={"note": problem})
            return
        await ack()
        self._answer_later(self._deliver_to_origin(user_id, origin, task))

    async def _deliver_to_origin(
        self, user_id: str, origin: dict[str, Any], work: Awaitable[Reply]
    ) -> None:
        """The form's answer where its button was: the App Home, the conversation, or a DM."""
        reply = await work
        if origin.get("home"):
            await self.publish_home(user_id, banner=reply)
            return
        url = origin.get("response_url")
        payload = response_payload(reply, self.full_list)
        if url and await self._webhook(url, payload, replace_original=False):
            return
        await self._answer_another_way(user_id, origin.get("channel"), reply)

    async def on_message(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        """A message in the bot's DM: the same commands as /crb, or minutes sent as a file."""
        if event.get("channel_type") != "im" or event.get("bot_id"):
            return
        subtype = event.get("subtype")
        if subtype not in (None, "file_share"):
            return  # edits, deletions, joins: nothing to answer
        user_id, channel = event.get("user"), event.get("channel")
        if not user_id or not channel:
            return
        self._answer_later(self._once(body, self._answer_dm(user_id, channel, event)))

    async def _once(self, body: dict[str, Any], answer: Coroutine[Any, Any, None]) -> None:
        """Answer an event unless it was handled before (Slack retried it, or sent it twice).

        Checked after the acknowledgement, in the answer's own task: a busy database never
        holds the ack, which Slack wants within 3 seconds.
        """
        event_id = body.get("event_id")
        if event_id and not await self.runtime.run_in_thread(self.claim_event, event_id):
            log.info("Slack event %s was already handled: ignored", event_id)
            answer.close()
            return
        await answer

    async def _answer_dm(self, user_id: str, channel: str, event: dict[str, Any]) -> None:
        files = event.get("files") or []
        if files:
            reply = await self._safely(self.stage_upload(user_id, files[0]))
        else:
            reply = await self._safely(self.run_text(user_id, event.get("text") or "help"))
        await self.post(channel, reply, thread_ts=event.get("thread_ts"))

    async def on_home_opened(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        if event.get("tab", "home") == "home":
            self._answer_later(self._once(body, self.publish_home(event["user"])))

    # ------------------------------------------------------------------ answering

    async def post(self, channel: str, reply: Reply, *, thread_ts: str | None = None) -> None:
        """Post ``reply``; in the thread ``thread_ts`` when the request came from one."""
        thread = {"thread_ts": thread_ts} if thread_ts else {}
        try:
            await self.client.chat_postMessage(channel=channel, **self.render(reply), **thread)
        except SlackApiError as error:
            log.error("chat.postMessage to %s failed: %s", channel, slack_error_text(error))

    async def send_dm(self, user_id: str, reply: Reply) -> None:
        try:
            channel = await self.dms.channel(user_id)
        except SlackApiError as error:
            log.error("conversations.open with %s failed: %s", user_id, slack_error_text(error))
            return
        await self.post(channel, reply)

    def _home_reply(self, user_id: str) -> Reply:
        return run.read_on_every_board(
            self.runtime.sessions, Account.slack(user_id), self.now(), home
        )

    async def publish_home(self, user_id: str, banner: Reply | None = None) -> None:
        await self.ensure_linked(user_id)
        reply = await self._safely(self.runtime.run_in_thread(self._home_reply, user_id))
        try:
            await self.client.views_publish(
                user_id=user_id,
                view=render_slack.home_view(reply, banner, full_list=self.full_list),
            )
        except SlackApiError as error:
            log.error("views.publish for %s failed: %s", user_id, slack_error_text(error))

    # ------------------------------------------------------------------ minutes sent in chat

    async def stage_upload(self, user_id: str, file: dict[str, Any]) -> Reply:
        """Download the file, dry-run its import, keep it, and answer with the preview."""
        await self.ensure_linked(user_id)
        name = file.get("name") or file.get("title") or "minutes"
        refusal = await self.runtime.run_in_thread(self._upload_refusal, user_id)
        if refusal is not None:
            return refusal
        if (file.get("size") or 0) > MAX_BYTES:
            return Reply.error(f"{name} is over {MAX_BYTES // 2**20} MB: is it really minutes?")
        try:
            data = await self.download(file)
        except DownloadError as error:
            return Reply.error(f"I couldn't fetch {name} from Slack: {error}. Nothing changed.")
        return await self.runtime.run_in_thread(self._stage, user_id, name, data)

    def _upload_refusal(self, user_id: str) -> Reply | None:
        return run.upload_refusal(self.runtime.sessions, Account.slack(user_id), self.now())

    def _stage(self, user_id: str, name: str, data: bytes) -> Reply:
        account = Account.slack(user_id)
        return run.stage_minutes(self.runtime.sessions, account, name, data, self.now())

    async def download(self, file: dict[str, Any]) -> bytes:
        """The file's bytes, checked to be the kind its name says before anything parses them.

        A file entry without addresses (a stub: Slack sends them for large or slow files) is
        looked up with files.info. A 200 answer that is really a web page (Slack's sign-in page,
        when the token lacks files:read) is refused, as is a .docx that is not a Word file.
        """
        url = file.get("url_private_download") or file.get("url_private")
        if not url and file.get("id"):
            file = {**file, **await self._file_info(file["id"])}
            url = file.get("url_private_download") or file.get("url_private")
        if not url:
            raise DownloadError("Slack gave no address for it")
        if urlparse(url).hostname not in self._file_hosts():
            raise DownloadError("it is not stored on Slack")  # never send the token elsewhere
        headers = {"Authorization": f"Bearer {self.config.slack_bot_token}"}
        timeout = aiohttp.ClientTimeout(total=30)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.get(url, headers=headers) as response,
            ):
                if response.status != 200:
                    raise DownloadError(f"Slack answered {response.status}")
                content_type = response.content_type
                data = await response.content.read(MAX_BYTES + 1)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise DownloadError(f"the download failed ({type(error).__name__})") from error
        if len(data) > MAX_BYTES:
            raise DownloadError(f"it is over {MAX_BYTES // 2**20} MB")
        name = file.get("name") or file.get("title") or ""
        if problem := wrong_kind(name, content_type, data):
            raise DownloadError(problem)
        return data

    async def _file_info(self, file_id: str) -> dict[str, Any]:
        try:
            info = await self.client.files_info(file=file_id)
        except SlackApiError as error:
            problem = slack_error_text(error)
            raise DownloadError(f"Slack would not say where it is ({problem})") from error
        return dict(info.get("file") or {})

    def _file_hosts(self) -> set[str]:
        api_host = urlparse(self.config.slack_api_url).hostname
        return {"files.slack.com", *([api_host] if api_host else [])}


class DownloadError(Exception):
    """A file sent in chat could not be fetched."""


def _label_ref(value: str) -> str:
    """The REF a pinned button showed, for the form's heading only: it is never resolved."""
    try:
        ref = json.loads(value).get("ref")
    except (ValueError, AttributeError):
        ref = None
    return ref if isinstance(ref, str) and ref else "this action"


@dataclass(frozen=True)
class Click:
    """Where a button was clicked: what it takes to show the message again, changed."""

    on_home: bool
    response_url: str | None
    channel: str | None
    ts: str | None
    ephemeral: bool
    blocks: list[dict[str, Any]] | None  # the message as it was: Slack omits an ephemeral one
    block_id: str | None

    @classmethod
    def of(cls, body: dict[str, Any], action: dict[str, Any]) -> Click:
        container = body.get("container") or {}
        message = body.get("message") or {}
        return cls(
            on_home=(body.get("view") or {}).get("type") == "home",
            response_url=body.get("response_url"),
            channel=(body.get("channel") or {}).get("id") or container.get("channel_id"),
            ts=message.get("ts") or container.get("message_ts"),
            ephemeral=bool(container.get("is_ephemeral")),
            blocks=message.get("blocks"),
            block_id=action.get("block_id"),
        )


def signature_of(request: AsyncBoltRequest) -> str | None:
    """The request's Slack signature, unique to its timestamp and body; None in Socket Mode."""
    return (request.headers.get("x-slack-signature") or [""])[0] or None


def response_payload(reply: Reply, full_list: str | None = None) -> dict[str, Any]:
    """An ack() or respond() body: ephemeral unless the reply is meant for the channel."""
    in_channel = reply.visibility == Visibility.CHANNEL
    return {
        "response_type": "in_channel" if in_channel else "ephemeral",
        **render_slack.message(reply, full_list=full_list),
    }


class DmChannels:
    """Each person's DM channel id, opened once and kept in the database.

    conversations.open is Tier 3 (about 50 a minute): asked for every message, a digest day's
    fan-out spent the allowance on it. The database, not memory, keeps them, so that every
    instance of the bot shares them. A cached channel Slack no longer knows is opened anew.
    """

    def __init__(
        self,
        client: AsyncWebClient,
        sessions: Callable[[], Session] | None,
        *,
        run: Callable[..., Awaitable[Any]] | None = None,
        clock: Clock = wall_clock,
    ) -> None:
        self.client, self.sessions, self.clock = client, sessions, clock
        self.run = run or asyncio.to_thread
        self._read_ahead: dict[str, str] | None = None  # in a tick: every kept channel

    @asynccontextmanager
    async def read_ahead(self) -> AsyncIterator[None]:
        """For a tick's fan-out: every kept channel read in one query, not one query a message
        (2,000 of them, each a session and a hand-off to a thread). Forgotten afterwards, so
        the next tick reads what other instances have kept since."""
        self._read_ahead = {}
        if self.sessions is not None:
            try:
                self._read_ahead = await self.run(self._read_all)
            except Exception:  # a cache: each message can still read its own, or ask Slack
                log.exception("Could not read the kept DM channels")
        try:
            yield
        finally:
            self._read_ahead = None

    async def channel(self, user_id: str, *, fresh: bool = False) -> str:
        """The DM channel with ``user_id``; ``fresh``: ask Slack even if one is kept."""
        if not fresh and self._read_ahead and (known := self._read_ahead.get(user_id)):
            return known
        if not fresh and (known := await self._cached(user_id)):
            return known
        opened = await self.client.conversations_open(users=user_id)
        channel = str(opened["channel"]["id"])
        await self._keep(user_id, channel)
        if self._read_ahead is not None:
            self._read_ahead[user_id] = channel  # the rest of the tick uses the new one
        return channel

    async def _cached(self, user_id: str) -> str | None:
        if self.sessions is None:
            return None
        try:
            return await self.run(self._read, user_id)
        except Exception:  # a cache: Slack can still be asked
            log.exception("Could not read the DM channel of %s", user_id)
            return None

    async def _keep(self, user_id: str, channel: str) -> None:
        if self.sessions is None:
            return
        try:
            await self.run(self._write, user_id, channel)
        except Exception:
            log.exception("Could not keep the DM channel of %s", user_id)

    def _read(self, user_id: str) -> str | None:
        assert self.sessions is not None
        with self.sessions() as session:
            return queries.slack_dm_channel(session, user_id)

    def _read_all(self) -> dict[str, str]:
        assert self.sessions is not None
        with self.sessions() as session:
            return queries.slack_dm_channels(session)

    def _write(self, user_id: str, channel: str) -> None:
        assert self.sessions is not None
        with self.sessions() as session, session.begin():
            queries.remember_slack_dm_channel(session, user_id, channel, self.clock())


STALE_CHANNEL_ERRORS = {"channel_not_found", "is_archived"}


class SlackChannel:
    """Delivers nudges and digests to a member's Slack DM (the scheduler's Channel protocol)."""

    platform = PLATFORM

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        sessions: Callable[[], Session] | None = None,
        full_list: str | None = None,
    ) -> None:
        self.client = client
        self.dms = DmChannels(client, sessions)
        self.full_list = full_list

    def can_reach(self, member: Member) -> bool:
        return bool(member.slack_id)

    @asynccontextmanager
    async def connected(self) -> AsyncIterator[None]:
        """One aiohttp session for a tick's sends, so its connections are kept alive, and the
        DM channels kept in the database read once (``DmChannels.read_ahead``).

        Without one, AsyncWebClient opens a new session and a new connection for every call,
        two per message. The session is made on the running loop (`crb serve` and `crb tick`
        each run their own) and closed on leaving.
        """
        async with self.dms.read_ahead():
            if self.client.session is not None:  # the caller's own session, or a tick's already
                yield
                return
            timeout = aiohttp.ClientTimeout(total=self.client.timeout)
            async with aiohttp.ClientSession(timeout=timeout) as session:
                self.client.session = session
                try:
                    yield
                finally:
                    self.client.session = None

    async def send(self, member: Member, message: Reply, delivery: Delivery = FIRST_SEND) -> None:
        if not member.slack_id:
            raise DeliveryError(f"{member.initials} has no Slack account linked", permanent=True)
        key = delivery.message_key
        try:
            channel = await self.dms.channel(member.slack_id)
            if key and delivery.attempt > 1 and await self._posted(channel, key):
                # An earlier attempt did go out (its process died, or its answer was lost,
                # before the ledger heard): posting again would nudge this person twice.
                log.info("%s already has reminder %s; not posting it again", channel, key)
                return
            metadata = {"metadata": reminder_metadata(key)} if key else {}
            rendered = render_slack.message(message, full_list=self.full_list)
            try:
                await self.client.chat_postMessage(channel=channel, **rendered, **metadata)
            except SlackApiError as error:
                if slack_error_text(error) not in STALE_CHANNEL_ERRORS:
                    raise
                channel = await self.dms.channel(member.slack_id, fresh=True)
                await self.client.chat_postMessage(channel=channel, **rendered, **metadata)
        except SlackApiError as error:
            raise delivery_error(error) from error
        except (aiohttp.ClientError, TimeoutError) as error:
            raise DeliveryError(f"Slack could not be reached: {type(error).__name__}") from error

    async def _posted(self, channel: str, key: str) -> bool:
        """Whether the DM's recent history holds the bot's message for this ledger row.

        Needs the im:history scope. When the history cannot be read, the message is posted
        (at least once beats never).
        """
        try:
            history = await self.client.conversations_history(
                channel=channel, include_all_metadata=True, limit=HISTORY_LOOKBACK
            )
        except SlackApiError as error:
            log.warning("could not read %s to check for %s: %s", channel, key, error)
            return False
        return any(reminder_key(posted) == key for posted in history.get("messages") or [])


REMINDER_EVENT = "crb_reminder"  # the metadata event_type on every nudge and digest
HISTORY_LOOKBACK = 100  # messages: a resend comes minutes after the first attempt, not days


def reminder_metadata(key: str) -> dict[str, Any]:
    """Slack message metadata naming the ledger row a reminder was sent for."""
    return {"event_type": REMINDER_EVENT, "event_payload": {"key": key}}


def reminder_key(posted: dict[str, Any]) -> str | None:
    metadata = posted.get("metadata") or {}
    if metadata.get("event_type") != REMINDER_EVENT:
        return None
    return (metadata.get("event_payload") or {}).get("key")


def delivery_error(error: SlackApiError) -> DeliveryError:
    """A Slack API error as the scheduler understands it: when to retry, or never."""
    code = slack_error_text(error)
    if error.response.status_code == 429 or code == "ratelimited":
        seconds = retry_after(error.response.headers) or 60
        return DeliveryError(f"Slack rate-limited the bot: {code}", retry_after=seconds)
    return DeliveryError(f"Slack refused the message: {code}", permanent=code in PERMANENT_ERRORS)


def slack_bot_from_config(runtime: Runtime) -> SlackBot | None:
    """The Slack bot this configuration asks for, or None when Slack is off."""
    config = runtime.config
    if not config.slack_bot_token:
        return None
    if not config.slack_app_token and not config.slack_signing_secret:
        raise UserError(
            "SLACK_SIGNING_SECRET is required to serve Slack over HTTP "
            "(or set SLACK_APP_TOKEN to use Socket Mode)."
        )
    return SlackBot(runtime, config)
