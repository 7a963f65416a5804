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
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
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

from bot import render_slack
from bot.config import Config
from bot.runtime import Runtime, wall_clock
from db import queries
from db.models import Member, Rag
from handlers import identity, uploads
from handlers.commands import Command, Note, clean_text
from handlers.context import Caller
from handlers.errors import UserError
from handlers.home import home
from handlers.identity import Account, Via
from handlers.minutes.read import MAX_BYTES
from handlers.refs import parse_ref
from handlers.reply import Reply, Tone, Visibility
from handlers.run import link_account_by_email, run_command, run_use_case
from scheduler.channels import FIRST_SEND, Delivery, DeliveryError

log = logging.getLogger("crb.slack")

PLATFORM = "slack"
EVENTS_PATH = "/slack/events"
QUICK_SECONDS = 2.0  # the update form waits this long to show a refusal on itself; Slack allows 3
FINISH_SECONDS = 20.0  # at shutdown, for acknowledged requests to send their answers
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
    ) -> None:
        self.runtime = runtime
        self.config = config
        self.clock = clock
        self.quick_seconds = quick_seconds
        self.client = client or make_client(config)
        self._linking = asyncio.Lock()  # one email match at a time: never two links for one id
        self._asked_slack: dict[str, float] = {}  # unknown user id -> when users.info was asked
        self._owed: set[asyncio.Task[Any]] = set()  # listeners acknowledged, still answering
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
        self.app.middleware(self._dedupe_events)
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
        delay = 1.0
        while True:
            try:
                await handler.connect_async()
                log.info("Slack Socket Mode connected")
                return
            except Exception as error:  # the network or Slack: keep trying, say so in the log
                log.error("Slack Socket Mode did not connect (%s); retry in %.0fs", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60)

    async def _on_error(self, error: Exception, body: dict[str, Any]) -> None:
        log.error("Slack request failed: %s (%s)", error, body.get("type"), exc_info=error)

    # ------------------------------------------------------------------ running handlers

    def now(self) -> datetime:
        return self.clock()

    async def run_text(self, user_id: str, text: str, *, signature: str | None = None) -> Reply:
        """Run typed text as ``user_id``; a ``signature`` seen before is refused as a replay."""
        await self.ensure_linked(user_id)
        return await self.runtime.run_in_thread(self._execute_text, user_id, text, signature)

    def _execute_text(self, user_id: str, text: str, signature: str | None) -> Reply:
        return self._execute_command(user_id, mentions_to_accounts(text), signature)

    async def run_command(
        self, user_id: str, command: Command, *, signature: str | None = None
    ) -> Reply:
        await self.ensure_linked(user_id)
        return await self.runtime.run_in_thread(self._execute_command, user_id, command, signature)

    def _execute_command(
        self, user_id: str, command: Command | str, signature: str | None
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
            self.runtime.sessions, Account.slack(user_id), command, self.now(), request_key=key
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
            answer = await respond(**response_payload(reply), replace_original=False)
            status = getattr(answer, "status_code", 200)
            if status < 300:
                return
            problem = f"HTTP {status}"
        except Exception as error:
            problem = f"{type(error).__name__}: {error}"
        log.error("Could not answer through the response_url (%s); trying another way", problem)
        await self._answer_another_way(user_id, channel, reply)

    async def _answer_another_way(self, user_id: str, channel: str | None, reply: Reply) -> None:
        """The answer, privately: ephemeral in the channel the request came from, else in a DM."""
        if channel:
            try:
                await self.client.chat_postEphemeral(
                    channel=channel, user=user_id, **render_slack.message(reply)
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
        with self.runtime.sessions() as session:
            board = queries.default_board(session)
            return bool(board and identity.account_holder(session, board, Account.slack(user_id)))

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
            board = queries.default_board(session)
            if board is None:
                return []
            return list(identity.unlinked_with_email(session, board, identity.SLACK_ID))

    # ------------------------------------------------------------------ events: dedupe

    async def _dedupe_events(
        self, body: dict[str, Any], next: Callable[[], Awaitable[Any]]
    ) -> BoltResponse | None:
        """An event already handled (Slack retried it, or sent it twice) is acknowledged only."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not await self.runtime.run_in_thread(self.claim_event, event_id):
            log.info("Slack event %s was already handled: ignored", event_id)
            return BoltResponse(status=200, body="", headers={"X-Slack-No-Retry": "1"})
        return await next()

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
        reply = await self._safely(self.run_text(user_id, text, signature=signature))
        await self._respond(respond, reply, user_id, command.get("channel_id"))

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
        user_id = body["user"]["id"]
        command = action.get("value") or "help"
        on_home = (body.get("view") or {}).get("type") == "home"
        ref = _bare_note_ref(command)
        if ref is not None:
            await self._open_note_form(body, ref, on_home, respond)
            return
        reply = await self._safely(self.run_text(user_id, command, signature=signature))
        if on_home:
            await self.publish_home(user_id, banner=reply)
        elif body.get("response_url"):
            await self._respond(respond, reply, user_id, (body.get("channel") or {}).get("id"))
        else:
            await self.send_dm(user_id, reply)

    async def _open_note_form(
        self,
        body: dict[str, Any],
        ref: str,
        on_home: bool,
        respond: Callable[..., Awaitable[Any]],
    ) -> None:
        origin = {"home": on_home, "response_url": body.get("response_url")}
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
            if on_home:
                await self.publish_home(user_id, banner=reply)
            else:
                await self._respond(respond, reply, user_id, (body.get("channel") or {}).get("id"))

    async def on_note_submitted(
        self,
        ack: Callable[..., Awaitable[Any]],
        body: dict[str, Any],
        view: dict[str, Any],
        request: AsyncBoltRequest,
    ) -> None:
        """The "Add update" form: a refusal shows on the form; success closes it and says so."""
        user_id = body["user"]["id"]
        origin = json.loads(view.get("private_metadata") or "{}")
        values = view["state"]["values"]
        text = clean_text(values["note"]["text"].get("value") or "")
        chosen = (values.get("rag", {}).get("rag") or {}).get("selected_option") or {}
        ref = parse_ref(origin.get("ref", ""))
        if ref is None or not text:
            await ack(response_action="errors", errors={"note": "Say what has happened."})
            return
        rag = Rag(chosen["value"]) if chosen.get("value") in {r.value for r in Rag} else None
        note = self.run_command(user_id, Note(ref, text, rag), signature=signature_of(request))
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
        reply = await work
        if origin.get("home"):
            await self.publish_home(user_id, banner=reply)
        elif origin.get("response_url"):
            try:
                await AsyncWebhookClient(origin["response_url"]).send(
                    **response_payload(reply), replace_original=False
                )
            except Exception:
                log.exception("Could not answer through the response_url")
        else:
            await self.send_dm(user_id, reply)

    async def on_message(self, event: dict[str, Any]) -> None:
        """A message in the bot's DM: the same commands as /crb, or minutes sent as a file."""
        if event.get("channel_type") != "im" or event.get("bot_id"):
            return
        subtype = event.get("subtype")
        if subtype not in (None, "file_share"):
            return  # edits, deletions, joins: nothing to answer
        user_id, channel = event.get("user"), event.get("channel")
        if not user_id or not channel:
            return
        self._answer_later(self._answer_dm(user_id, channel, event))

    async def _answer_dm(self, user_id: str, channel: str, event: dict[str, Any]) -> None:
        files = event.get("files") or []
        if files:
            reply = await self._safely(self.stage_upload(user_id, files[0]))
        else:
            reply = await self._safely(self.run_text(user_id, event.get("text") or "help"))
        await self.post(channel, reply)

    async def on_home_opened(self, event: dict[str, Any]) -> None:
        if event.get("tab", "home") == "home":
            self._answer_later(self.publish_home(event["user"]))

    # ------------------------------------------------------------------ answering

    async def post(self, channel: str, reply: Reply) -> None:
        try:
            await self.client.chat_postMessage(channel=channel, **render_slack.message(reply))
        except SlackApiError as error:
            log.error("chat.postMessage to %s failed: %s", channel, slack_error_text(error))

    async def send_dm(self, user_id: str, reply: Reply) -> None:
        try:
            opened = await self.client.conversations_open(users=user_id)
        except SlackApiError as error:
            log.error("conversations.open with %s failed: %s", user_id, slack_error_text(error))
            return
        await self.post(opened["channel"]["id"], reply)

    def _home_reply(self, user_id: str) -> Reply:
        with self.runtime.unit(Account.slack(user_id), self.now()) as ctx:
            return home(ctx)

    async def publish_home(self, user_id: str, banner: Reply | None = None) -> None:
        await self.ensure_linked(user_id)
        reply = await self._safely(self.runtime.run_in_thread(self._home_reply, user_id))
        try:
            await self.client.views_publish(
                user_id=user_id, view=render_slack.home_view(reply, banner)
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
        with self.runtime.unit(Account.slack(user_id), self.now()) as ctx:
            try:
                uploads.require_importer(ctx)
            except UserError as error:
                return Reply.error(error.message)
            return None

    def _stage(self, user_id: str, name: str, data: bytes) -> Reply:
        try:
            account = Account.slack(user_id)
            with self.runtime.unit(account, self.now()) as ctx:
                preview = uploads.dry_run(ctx, name, data)  # rolled back when the unit ends
            return run_use_case(
                self.runtime.sessions,
                account,
                self.now(),
                lambda ctx: uploads.stage(ctx, name, data, preview),
            )
        except UserError as error:
            return Reply.error(error.message, *error.hints, "Nothing was imported.")

    async def download(self, file: dict[str, Any]) -> bytes:
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
                data = await response.content.read(MAX_BYTES + 1)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise DownloadError(f"the download failed ({type(error).__name__})") from error
        if len(data) > MAX_BYTES:
            raise DownloadError(f"it is over {MAX_BYTES // 2**20} MB")
        return data

    def _file_hosts(self) -> set[str]:
        api_host = urlparse(self.config.slack_api_url).hostname
        return {"files.slack.com", *([api_host] if api_host else [])}


class DownloadError(Exception):
    """A file sent in chat could not be fetched."""


def _bare_note_ref(command: str) -> str | None:
    """The REF of a button's `note REF` with no text: that button opens the update form."""
    verb, _, rest = clean_text(command).partition(" ")
    if verb.lower() != "note" or not rest:
        return None
    ref = parse_ref(rest)
    return str(ref) if ref is not None else None


def signature_of(request: AsyncBoltRequest) -> str | None:
    """The request's Slack signature, unique to its timestamp and body; None in Socket Mode."""
    return (request.headers.get("x-slack-signature") or [""])[0] or None


def response_payload(reply: Reply) -> dict[str, Any]:
    """An ack() or respond() body: ephemeral unless the reply is meant for the channel."""
    in_channel = reply.visibility == Visibility.CHANNEL
    return {
        "response_type": "in_channel" if in_channel else "ephemeral",
        **render_slack.message(reply),
    }


class SlackChannel:
    """Delivers nudges and digests to a member's Slack DM (the scheduler's Channel protocol)."""

    platform = PLATFORM

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    def can_reach(self, member: Member) -> bool:
        return bool(member.slack_id)

    @asynccontextmanager
    async def connected(self) -> AsyncIterator[None]:
        """One aiohttp session for a tick's sends, so its connections are kept alive.

        Without one, AsyncWebClient opens a new session and a new connection for every call,
        two per message. The session is made on the running loop (`crb serve` and `crb tick`
        each run their own) and closed on leaving.
        """
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
            opened = await self.client.conversations_open(users=member.slack_id)
            channel = opened["channel"]["id"]
            if key and delivery.attempt > 1 and await self._posted(channel, key):
                # An earlier attempt did go out (its process died, or its answer was lost,
                # before the ledger heard): posting again would nudge this person twice.
                log.info("%s already has reminder %s; not posting it again", channel, key)
                return
            metadata = {"metadata": reminder_metadata(key)} if key else {}
            await self.client.chat_postMessage(
                channel=channel, **render_slack.message(message), **metadata
            )
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
