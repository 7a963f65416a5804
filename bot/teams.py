"""Microsoft Teams, through the Microsoft 365 Agents SDK, on the same aiohttp server as Slack.

A message ("crb done 04-CR", in a 1:1 chat or with an @mention in a channel) and a card button
go through the same ``handlers.run.run_command`` as Slack and the console, as the member whose
Teams account (AAD object id) is linked (``handlers.identity``). A Teams user whose email or UPN
matches a member's email is linked on first contact. Each member's conversation reference is
stored with the claims continue-conversation needs, so ``TeamsChannel`` can nudge them later.

Every SDK import lives here and in ``bot/render_teams.py``: the handlers never see Teams.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import aiohttp
from aiohttp import web
from microsoft_agents.activity import (
    Activity,
    ActivityTypes,
    AdaptiveCardInvokeResponse,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
    ConversationReference,
    load_configuration_from_env,
)
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.aiohttp import CloudAdapter, start_agent_process
from microsoft_agents.hosting.core import (
    AgentApplication,
    CardFactory,
    ClaimsIdentity,
    ConnectorClientBase,
    MemoryStorage,
    MessageFactory,
    TurnContext,
    TurnState,
)
from microsoft_agents.hosting.core.app.adaptive_card import factory as card_responses
from sqlalchemy import delete
from sqlalchemy.orm import Session, object_session, sessionmaker

from bot.config import Config
from bot.render_teams import (
    ACTION_FIELD,
    CARD_VERB,
    MAX_CARD_BYTES,
    NOTE_FIELD,
    RAG_FIELD,
    SHOWN_FIELD,
    card_rows,
    note_form_card,
    replace_row,
    reply_card,
    with_notice,
)
from bot.runtime import Runtime
from bot.teams_auth import (
    BOT_FRAMEWORK_ISSUERS,
    ServiceHosts,
    TokenValidator,
    default_metadata,
    request_guard,
    tenant_issuers,
)
from bot.teams_retry import RetryPolicy, retry_after
from db import queries
from db.models import Member, Rag, TeamsCard, TeamsConversation
from handlers import identity, run
from handlers.commands import Command, Done, Note, Reopen, note_without_text
from handlers.context import Caller
from handlers.identity import Account, Via
from handlers.minutes.read import MAX_BYTES
from handlers.refs import ActionId
from handlers.reply import Reply, Tone, Visibility
from handlers.run import link_account_by_email, run_command
from scheduler.channels import FIRST_SEND, Delivery, DeliveryError
from scheduler.clock import wall_clock

log = logging.getLogger("crb.teams")

PLATFORM = "teams"
PERSONAL = "personal"  # Teams' conversationType of a 1:1 chat with the bot
# The claims continue-conversation needs to pick the connection and the token's audience.
# The bearer token itself is never stored: it expires within the hour.
_KEPT_CLAIMS = ("aud", "appid", "azp", "ver", "iss", "tid", "serviceurl")
_RAG_VALUES = {"", *(rag.value for rag in Rag)}
TOO_LARGE = 413
MICROSOFT_RETRIES = RetryPolicy()
# A message Teams refuses as too large is cut shorter and sent again: 80 KB, then 40, then 20.
CARD_LIMITS = (MAX_CARD_BYTES, MAX_CARD_BYTES // 2, MAX_CARD_BYTES // 4)


def sdk_configuration(config: Config) -> dict[str, Any]:
    """The SDK's own configuration, from its own environment variables."""
    return load_configuration_from_env(config.teams_sdk_env)


def full_list_url(config: Config) -> str | None:
    """Where a card cut for size sends the reader: the web desk's list of actions."""
    return f"{config.public_url}/actions" if config.public_url else None


def service_hosts(config: Config) -> ServiceHosts:
    return ServiceHosts(config.teams_allowed_service_hosts)


def token_validator(config: Config) -> TokenValidator | None:
    """The inbound token rules for this bot registration; None without one (anonymous tests)."""
    if not config.teams_client_id:
        return None
    tenant = config.teams_tenant_id
    issuers = BOT_FRAMEWORK_ISSUERS + (tenant_issuers(tenant) if tenant else ())
    metadata = config.teams_openid_metadata or default_metadata(tenant)
    return TokenValidator(config.teams_client_id, issuers, metadata)


def connection_manager(config: Config) -> MsalConnectionManager:
    return MsalConnectionManager(**sdk_configuration(config))


# ---------------------------------------------------------------- what a Teams activity says


def is_personal(conversation: ConversationAccount | None) -> bool:
    if conversation is None:
        return False
    if conversation.conversation_type:
        return conversation.conversation_type == PERSONAL
    return not conversation.is_group


def stored_reference(activity: Activity) -> dict[str, Any]:
    """The conversation reference as JSON, without the message it was taken from.

    Without an activity id, a proactive message starts a new post instead of replying to an
    old one.
    """
    reference = activity.get_conversation_reference()
    reference.activity_id = None
    return reference.model_dump(mode="json", by_alias=True, exclude_none=True)


def kept_claims(identity: ClaimsIdentity | None) -> dict[str, Any]:
    claims = identity.claims if identity else {}
    return {name: claims[name] for name in _KEPT_CLAIMS if name in claims}


def account_emails(account: ChannelAccount | None) -> list[str]:
    """The email and UPN a Teams account carries (TeamsChannelAccount's extra fields)."""
    if account is None:
        return []
    extra = account.model_extra or {}
    found = [extra.get(key) for key in ("email", "userPrincipalName", "upn")]
    return list(dict.fromkeys(value for value in found if isinstance(value, str) and "@" in value))


def command_text(activity: Activity, accounts: dict[str, str] | None = None) -> str:
    """The command in a message: the SDK has removed the bot's @mention already. A mention of
    a person whose AAD object id is known (``accounts``: mention text -> id) becomes
    ``teams:<id>``, the account form ``link`` reads; any other mention, and an HTML
    non-breaking space, does not reach the parser."""
    text = (activity.text or "").replace("\u00a0", " ")
    for mention in activity.get_mentions():
        if mention.text:
            account = (accounts or {}).get(mention.text)
            text = text.replace(mention.text, f" teams:{account} " if account else " ")
    return " ".join(text.split())


FILE_DOWNLOAD = "application/vnd.microsoft.teams.file.download.info"


@dataclass(frozen=True)
class SentFile:
    name: str
    url: str


def file_sent(activity: Activity) -> SentFile | None:
    """The file a message carries (Teams' download info attachment), if any."""
    for attachment in activity.attachments or []:
        content = attachment.content if isinstance(attachment.content, dict) else {}
        url = content.get("downloadUrl")
        if attachment.content_type == FILE_DOWNLOAD and isinstance(url, str):
            return SentFile(attachment.name or "minutes", url)
    return None


class DownloadError(Exception):
    """A file sent in chat could not be fetched."""


async def download(sent: SentFile, hosts: ServiceHosts) -> bytes:
    """The file's bytes, from its pre-authorised download URL: no token is sent, and only a
    host on CRB_TEAMS_FILE_HOSTS (the tenant's SharePoint) is asked."""
    if not hosts.allows(sent.url):
        raise DownloadError("it is not stored in Microsoft 365")
    timeout = aiohttp.ClientTimeout(total=30)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(sent.url, allow_redirects=False) as response,
        ):
            if response.status != 200:
                raise DownloadError(f"Teams answered {response.status}")
            data = await response.content.read(MAX_BYTES + 1)
    except (aiohttp.ClientError, TimeoutError) as error:
        raise DownloadError(f"the download failed ({type(error).__name__})") from error
    if len(data) > MAX_BYTES:
        raise DownloadError(f"it is over {MAX_BYTES // 2**20} MB")
    return data


def mentioned_people(activity: Activity) -> list[tuple[str, ChannelAccount]]:
    """The people @mentioned in a message (not the bot), with their mention text."""
    bot_id = activity.recipient.id if activity.recipient else None
    return [
        (mention.text, mention.mentioned)
        for mention in activity.get_mentions()
        if mention.text and mention.mentioned and mention.mentioned.id != bot_id
    ]


def card_command(data: object) -> str | None:
    """The chat command a card button or the update form carries; None when it is malformed."""
    if not isinstance(data, dict):
        return None
    command = data.get("command")
    if not isinstance(command, str) or not command.strip():
        return None
    if NOTE_FIELD not in data:
        return command
    update, rag = data.get(NOTE_FIELD), data.get(RAG_FIELD) or ""
    if not isinstance(update, str) or not isinstance(rag, str) or rag.lower() not in _RAG_VALUES:
        return None
    return " ".join(part for part in (command, rag.lower(), update.strip()) if part)


_BY_ID = {"done": Done, "reopen": Reopen}


def card_action_id(data: object) -> int | None:
    """The action id a button carries, if it carries a well-formed one."""
    found = data.get(ACTION_FIELD) if isinstance(data, dict) else None
    if not isinstance(found, int) or isinstance(found, bool) or found <= 0:
        return None
    return found


def card_target(data: object, command: str) -> Command | str:
    """What a button on one action runs: the verb on the action's stable id, which still names
    that action when REFs have shifted as others closed (and says so when it has changed since);
    the command as typed for any other button."""
    action_id = card_action_id(data)
    if action_id is None:
        return command
    verb = command.split()[0].lower()
    shown = data.get(SHOWN_FIELD) if isinstance(data, dict) else None
    target = ActionId(action_id, shown if shown in ("open", "done") else None)
    if verb in _BY_ID:
        return _BY_ID[verb](target)
    update = data.get(NOTE_FIELD) if isinstance(data, dict) else None
    if verb == "note" and isinstance(update, str) and update.strip():
        rag = str(data.get(RAG_FIELD) or "").lower()
        if rag not in _RAG_VALUES:
            return command  # refused by the parser with its own message
        return Note(target, update.strip(), Rag(rag) if rag else None)
    return command


def card_activity(card: dict[str, Any], *, title: str = "") -> Activity:
    activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
    if title:
        activity.summary = title  # the notification preview
    return activity


# ---------------------------------------------------------------- the stored conversations


def store_card(
    sessions: sessionmaker[Session],
    conversation_id: str,
    activity_id: str,
    card: dict[str, Any],
    now: datetime,
) -> None:
    with sessions() as session, session.begin():
        row = session.get(TeamsCard, (conversation_id, activity_id))
        if row is None:
            row = TeamsCard(conversation_id=conversation_id, activity_id=activity_id)
            session.add(row)
        row.card = card
        row.updated_at = now


# A card's buttons matter until its meeting has passed; two quarters is well beyond that. Older
# cards are forgotten: a press on one still acts, it only cannot redraw that old message.
CARD_MEMORY = timedelta(days=183)


def forget_old_cards(sessions: sessionmaker[Session], now: datetime) -> int:
    """Delete the cards not touched within ``CARD_MEMORY``; how many went."""
    with sessions() as session, session.begin():
        old = delete(TeamsCard).where(TeamsCard.updated_at < now - CARD_MEMORY)
        return session.execute(old).rowcount or 0


def remember_conversation(
    session: Session,
    member_id: int,
    reference: dict[str, Any],
    claims: dict[str, Any],
    *,
    personal: bool,
    now: datetime,
) -> None:
    """Store where the member can be reached; a 1:1 chat is never replaced by a channel."""
    row = session.get(TeamsConversation, member_id)
    if row is not None and row.personal and not personal:
        return
    if row is None:
        row = TeamsConversation(member_id=member_id)
        session.add(row)
    row.conversation_id = reference["conversation"]["id"]
    row.personal = personal
    row.reference = reference
    row.claims = claims
    row.updated_at = now


class TeamsBot:
    """The Teams side of ``crb serve``: one AgentApplication, the CloudAdapter, the routes."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        clock: Callable[[], datetime] = wall_clock,
        retries: RetryPolicy = MICROSOFT_RETRIES,
    ) -> None:
        self.runtime = runtime
        self.clock = clock
        self.retries = retries
        self.hosts = service_hosts(runtime.config)
        self.file_hosts = ServiceHosts(runtime.config.teams_file_hosts)
        settings = sdk_configuration(runtime.config)
        if runtime.config.teams_anonymous_allowed:
            log.warning(
                "Teams accepts unauthenticated requests (ANONYMOUS_ALLOWED=true): "
                "for a local test harness only, never on the internet"
            )
        self.connections = MsalConnectionManager(**settings)
        self.adapter = CloudAdapter(connection_manager=self.connections)
        self.adapter.on_turn_error = self._on_adapter_error
        self.app = AgentApplication[TurnState](
            storage=MemoryStorage(),
            connection_manager=self.connections,
            start_typing_timer=False,
            **settings,
        )
        self._routes()

    # ------------------------------------------------------------ mounting

    def mount(self, app: web.Application) -> None:
        """``POST /api/messages`` behind ``bot.teams_auth``'s guard, in a sub-application so
        that the guard covers Teams only (Slack verifies its own signatures)."""
        config = self.runtime.config
        guard = request_guard(
            token_validator(config),
            service_hosts(config),
            anonymous=config.teams_anonymous_allowed,
        )
        teams = web.Application(middlewares=[guard])
        teams.router.add_post("/messages", self._messages)
        app.add_subapp("/api/", teams)

    async def _messages(self, request: web.Request) -> web.StreamResponse:
        return await start_agent_process(request, self.app, self.adapter)

    # ------------------------------------------------------------ routes

    def _routes(self) -> None:
        self.app.conversation_update("membersAdded")(self.on_members_added)
        self.app.installation_update()(self.on_installation_update)
        self.app.adaptive_card.action_execute(CARD_VERB)(self.on_card_execute)
        self.app.adaptive_card.action_submit(CARD_VERB)(self.on_card_submit)
        self.app.message()(self.on_message)
        self.app.error(self.on_error)

    async def on_message(self, context: TurnContext, _state: TurnState) -> None:
        await self.recognise(context)
        sent_file = file_sent(context.activity)
        if sent_file is not None and is_personal(context.activity.conversation):
            await self._send(context, await self.stage_upload(context, sent_file))
            return
        accounts = await self._mentioned_accounts(context)
        text = command_text(context.activity, accounts) or "help"
        await self._answer(context, text)

    # ------------------------------------------------------------ minutes sent as a file

    async def stage_upload(self, context: TurnContext, sent: SentFile) -> Reply:
        """Download the file sent in the 1:1 chat, dry-run its import, keep it, and answer with
        the preview: the same ``import N`` as on Slack (``handlers.uploads``)."""
        account = self._account(context)
        refusal = await self.runtime.run_in_thread(self._upload_refusal, account)
        if refusal is not None:
            return refusal
        try:
            data = await download(sent, self.file_hosts)
        except DownloadError as error:
            return Reply.error(
                f"I couldn't fetch {sent.name} from Teams: {error}. Nothing changed."
            )
        return await self.runtime.run_in_thread(self._stage, account, sent.name, data)

    def _upload_refusal(self, account: Account) -> Reply | None:
        return run.upload_refusal(self.runtime.sessions, account, self.clock())

    def _stage(self, account: Account, name: str, data: bytes) -> Reply:
        return run.stage_minutes(self.runtime.sessions, account, name, data, self.clock())

    def _account(self, context: TurnContext) -> Account:
        sender = context.activity.from_property
        aad_object_id = sender.aad_object_id if sender else None
        label = f"teams:{aad_object_id or (sender.id if sender else 'unknown')}"
        return Account.teams(aad_object_id, label)

    async def _mentioned_accounts(self, context: TurnContext) -> dict[str, str]:
        """Mention text -> AAD object id, from the mention entity, or from the member's
        profile in the conversation when Teams left the object id out of the entity."""
        found: dict[str, str] = {}
        for text, account in mentioned_people(context.activity):
            aad = account.aad_object_id or await self._profile_object_id(context, account)
            if aad:
                found[text] = aad
        return found

    async def _profile_object_id(self, context: TurnContext, account: ChannelAccount) -> str | None:
        profile = await self._profile(context, account)
        return profile.aad_object_id if profile else None

    async def on_card_submit(self, context: TurnContext, _state: TurnState, data: Any) -> None:
        await self.recognise(context)
        command = card_command(data)
        if command is None:
            await self._send(context, _stale_button())
            return
        await self._answer(context, command)

    async def on_card_execute(
        self, context: TurnContext, _state: TurnState, data: Any
    ) -> AdaptiveCardInvokeResponse:
        """Action.Execute: the answer replaces the card for the person who pressed the button;
        a failure answers with an error card (HTTP 200), never an empty 501."""
        try:
            return card_responses.adaptive_card(await self._execute(context, data))
        except Exception:  # whatever failed, the person who pressed gets an answer
            log.exception("Teams: a card button failed")
            return card_responses.adaptive_card(self._card(_press_failed()))

    async def _execute(self, context: TurnContext, data: Any) -> dict[str, Any]:
        await self.recognise(context)
        command = card_command(data)
        if command is None:
            return self._card(_stale_button())
        form_ref = note_without_text(command)
        if form_ref is not None:
            return note_form_card(form_ref, command, card_action_id(data))
        reply = await self.run(context, card_target(data, command))
        in_channel = not is_personal(context.activity.conversation)
        if reply.visibility == Visibility.CHANNEL and in_channel:
            await self._send(context, reply)  # "Post to channel": a new message, for everyone
            return self._card(Reply("Posted to the channel.", tone=Tone.SUCCESS))
        return await self._updated_message(context, reply)

    async def _updated_message(self, context: TurnContext, reply: Reply) -> dict[str, Any]:
        """The card the button was on, with the changed action's row drawn as it is now (its
        other rows and buttons kept), updated in place for every viewer and device; without
        one (an old or unknown card), the answer itself."""
        message_id = context.activity.reply_to_id
        conversation_id = context.activity.conversation.id
        stored = (
            await self.runtime.run_in_thread(self._stored_card, conversation_id, message_id)
            if message_id
            else None
        )
        answer = self._card(reply)
        if stored is None or len(reply.actions) != 1:
            return answer
        updated = replace_row(stored, reply.actions[0])
        if updated is None:
            return answer
        if len(card_rows(stored)) == 1:
            updated = answer  # a card about that one action: the answer says it all
        message = card_activity(updated)
        message.id = message_id
        await self.retries.run(partial(context.update_activity, message))
        await self.runtime.run_in_thread(
            self._store_card, conversation_id, message_id, updated, self.clock()
        )
        # The action had changed since (or could not change): its row now shows it as it is,
        # and the person who pressed is told why nothing happened.
        return updated if reply.changed else with_notice(updated, reply)

    async def on_members_added(self, context: TurnContext, _state: TurnState) -> None:
        activity = context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        if not any(account.id == bot_id for account in activity.members_added or []):
            return  # someone else joined a team the bot is in
        member_id = await self.recognise(context)
        if is_personal(activity.conversation):
            await self._send(context, await self.run(context, "help"))
        elif member_id is None:
            log.info("Teams: installed in a conversation by an account not linked to a member")

    async def on_installation_update(self, context: TurnContext, _state: TurnState) -> None:
        if (context.activity.action or "add").startswith("add"):
            await self.recognise(context)

    async def on_error(self, context: TurnContext, error: Exception) -> None:
        log.exception("Teams: a turn failed", exc_info=error)
        if context.activity.type == ActivityTypes.message:
            await self._send(context, _failed())

    async def _on_adapter_error(self, context: TurnContext, error: Exception) -> None:
        # The SDK's default handler would post the exception's text into the conversation.
        log.error("Teams: the adapter failed: %s", error, exc_info=error)

    # ------------------------------------------------------------ the work

    async def _answer(self, context: TurnContext, text: str) -> None:
        form_ref = note_without_text(text)
        if form_ref is not None:
            card = note_form_card(form_ref, f"note {form_ref}")
            await self._send_card(context, card, "Add an update", Visibility.EPHEMERAL)
            return
        await self._send(context, await self.run(context, text))

    async def run(self, context: TurnContext, text: str | Command) -> Reply:
        """Run one chat command as the Teams user behind this activity, once per activity."""
        account = context.activity.from_property
        aad_object_id = account.aad_object_id if account else None
        label = f"teams:{aad_object_id or (account.id if account else 'unknown')}"
        # The same activity again (Teams redelivering it, or a repeated request) is refused as
        # a replay: a note or an add must not be recorded twice.
        key = activity_key(context.activity)
        conversation = context.activity.conversation
        return await self.runtime.run_in_thread(
            partial(
                run_command,
                self.runtime.sessions,
                Account.teams(aad_object_id, label),
                text,
                self.clock(),
                request_key=(PLATFORM, key) if key else None,
                channel=conversation.id if conversation else None,  # may be bound to a board
            )
        )

    async def _send(self, context: TurnContext, reply: Reply) -> None:
        await self._send_card(context, self._card(reply), reply.title, reply.visibility)

    def _card(self, reply: Reply) -> dict[str, Any]:
        return reply_card(reply, full_list_url=full_list_url(self.runtime.config))

    async def _send_card(
        self, context: TurnContext, card: dict[str, Any], title: str, visibility: Visibility
    ) -> None:
        activity = card_activity(card, title=title)
        private = visibility == Visibility.EPHEMERAL
        if private and not is_personal(context.activity.conversation):
            await self._send_privately(context, activity, card)
            return
        sent = await self.retries.run(partial(context.send_activity, activity))
        await self._remember_card(context.activity.conversation.id, sent.id if sent else None, card)

    async def _send_privately(
        self, context: TurnContext, activity: Activity, card: dict[str, Any]
    ) -> None:
        """In a channel or group chat, an answer meant for one person: as a targeted message
        only if CRB_TEAMS_TARGETED_MESSAGES is on (a preview whose messages vanish after a
        day); otherwise in their 1:1 chat with the bot, with a short note where they asked."""
        asker = context.activity.from_property
        if self.runtime.config.teams_targeted_messages:
            activity.make_targeted_activity(asker)
            await self.retries.run(partial(context.send_activity, activity))
            return
        member_id = await self.runtime.run_in_thread(
            self._member_id, asker.aad_object_id if asker else ""
        )
        known = await self.runtime.run_in_thread(self._personal_chat, member_id)
        if known is not None and self.hosts.allows(known.service_url):
            sent_id = await self.retries.run(partial(_post_to, context, known, activity))
            await self._remember_card(known.conversation.id, sent_id, card)
        else:
            reference = context.activity.get_conversation_reference()
            personal, sent_id = await self.retries.run(
                partial(_open_personal_chat, context, reference, activity, self.hosts)
            )
            await self._remember_card(personal["conversation"]["id"], sent_id, card)
            if member_id is not None:
                claims = kept_claims(context.identity)
                now = self.clock()
                await self.runtime.run_in_thread(
                    self._remember, member_id, personal, claims, True, now
                )
        name = asker.name if asker and asker.name else "you"
        note = Reply(f"I've sent {name} the answer in our 1:1 chat.")
        await self.retries.run(
            partial(context.send_activity, card_activity(self._card(note), title=note.title))
        )

    async def _remember_card(
        self, conversation_id: str, activity_id: str | None, card: dict[str, Any]
    ) -> None:
        """Keep a card with action rows, so that a button pressed on it can update it."""
        if activity_id and card_rows(card):
            await self.runtime.run_in_thread(
                self._store_card, conversation_id, activity_id, card, self.clock()
            )

    def _personal_chat(self, member_id: int | None) -> ConversationReference | None:
        if member_id is None:
            return None
        with self.runtime.sessions() as session:
            row = session.get(TeamsConversation, member_id)
            if row is None or not row.personal:
                return None
            return ConversationReference.model_validate(row.reference)

    def _stored_card(self, conversation_id: str, activity_id: str) -> dict[str, Any] | None:
        with self.runtime.sessions() as session:
            row = session.get(TeamsCard, (conversation_id, activity_id))
            return dict(row.card) if row else None

    def _store_card(
        self, conversation_id: str, activity_id: str, card: dict[str, Any], now: datetime
    ) -> None:
        store_card(self.runtime.sessions, conversation_id, activity_id, card, now)

    async def recognise(self, context: TurnContext) -> int | None:
        """The member behind this activity, linked by email on first contact; their
        conversation is stored so that reminders can reach them."""
        activity = context.activity
        account = activity.from_property
        aad_object_id = account.aad_object_id if account else None
        if not aad_object_id:
            return None
        now = self.clock()
        member_id = await self.runtime.run_in_thread(self._member_id, aad_object_id)
        if member_id is None:
            emails = account_emails(account) or await self._profile_emails(context, account)
            member_id = await self.runtime.run_in_thread(
                self._link_by_email, aad_object_id, emails, now
            )
        if member_id is not None and activity.conversation and activity.service_url:
            await self.runtime.run_in_thread(
                self._remember,
                member_id,
                stored_reference(activity),
                kept_claims(context.identity),
                is_personal(activity.conversation),
                now,
            )
        return member_id

    async def _profile_emails(self, context: TurnContext, account: ChannelAccount) -> list[str]:
        """Teams sends no email with a message: ask the Bot Connector for the member's profile."""
        return account_emails(await self._profile(context, account))

    async def _profile(
        self, context: TurnContext, account: ChannelAccount
    ) -> ChannelAccount | None:
        """A member's profile in this conversation (what TeamsInfo.get_member does)."""
        connector = context.services.get(ConnectorClientBase)
        conversation = context.activity.conversation
        if connector is None or conversation is None or not account.id:
            return None
        try:
            return await connector.conversations.get_conversation_member(
                conversation.id, account.id
            )
        except (TimeoutError, aiohttp.ClientError, ValueError) as error:
            log.warning("Teams: could not read the profile of %s: %s", account.id, error)
            return None

    def _member_id(self, aad_object_id: str) -> int | None:
        """The member holding this Teams account (active or not: a deactivated member keeps
        their link, and is refused by ``handlers.identity`` when they ask for anything)."""
        with self.runtime.sessions() as session:
            member = identity.any_seat(session, identity.TEAMS_ID, aad_object_id)
            return member.id if member else None

    def _link_by_email(
        self, aad_object_id: str, emails: Sequence[str], now: datetime
    ) -> int | None:
        """Link the Teams account to the member with that email, if it has no Teams id yet."""
        if not emails:
            return None
        linker = Caller(None, f"teams:{aad_object_id}", Via.TEAMS)
        return link_account_by_email(
            self.runtime.sessions, linker, identity.TEAMS_ID, aad_object_id, emails, now
        )

    def _remember(
        self,
        member_id: int,
        reference: dict[str, Any],
        claims: dict[str, Any],
        personal: bool,
        now: datetime,
    ) -> None:
        with self.runtime.sessions() as session, session.begin():
            remember_conversation(session, member_id, reference, claims, personal=personal, now=now)


def _stale_button() -> Reply:
    return Reply.error("That button is out of date. Type “crb help” to see what I can do.")


def _press_failed() -> Reply:
    # The command may have run before the failure (updating the message): say where to look.
    return Reply.error(
        "Sorry, something went wrong on my side. Type “crb mine” to see where things stand."
    )


def _failed() -> Reply:
    return Reply.error("Sorry, something went wrong on my side. Nothing changed; try again.")


def mount_teams(
    app: web.Application, runtime: Runtime, *, clock: Callable[[], datetime] = wall_clock
) -> TeamsBot:
    bot = TeamsBot(runtime, clock=clock)
    bot.mount(app)
    return bot


# ---------------------------------------------------------------- proactive delivery


class TeamsChannel:
    """Nudges and digests to a member's stored Teams conversation (the Channel protocol)."""

    platform = PLATFORM

    def __init__(
        self,
        config: Config,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime] = wall_clock,
        retries: RetryPolicy = MICROSOFT_RETRIES,
    ) -> None:
        self.config = config
        self.sessions = sessions  # the runtime's: one engine per process
        self.clock = clock
        self.retries = retries
        self.hosts = service_hosts(config)
        self.adapter = CloudAdapter(connection_manager=connection_manager(config))
        self.adapter.on_turn_error = _reraise  # a failed send is the dispatcher's to handle

    def can_reach(self, member: Member) -> bool:
        """A stored conversation, or a linked Teams account and the tenant to open one in."""
        if member.teams_id and self.config.teams_tenant_id:
            return True
        session = object_session(member)
        if session is not None:
            return queries.teams_conversation(session, member.id) is not None
        with self.sessions() as own:
            return queries.teams_conversation(own, member.id) is not None

    def connected(self) -> AbstractAsyncContextManager[object]:
        """Nothing is held open across sends (the Agents SDK connects per call); a tick is
        where the stored cards of past quarters are forgotten, once, not at every send."""
        return self._ticking()

    @asynccontextmanager
    async def _ticking(self) -> AsyncIterator[None]:
        forgotten = await asyncio.to_thread(forget_old_cards, self.sessions, self.clock())
        if forgotten:
            log.info("Teams: forgot %d cards older than %d days", forgotten, CARD_MEMORY.days)
        yield

    async def send(self, member: Member, message: Reply, delivery: Delivery = FIRST_SEND) -> None:
        """A Teams message has no key to look up a resend by: ``delivery`` is not needed."""
        stored = await asyncio.to_thread(self._load, member.id) or self._first_contact(member)
        reference, claims, personal = stored
        if not self.hosts.allows(reference.service_url):
            # Stored before the allow-list, or by hand: the bot's token never goes there.
            raise DeliveryError(
                f"{member.initials}'s Teams conversation is at {reference.service_url}, "
                "which is not on CRB_TEAMS_ALLOWED_SERVICE_HOSTS.",
                permanent=True,
            )
        opened: dict[str, Any] | None = None
        for limit in CARD_LIMITS:
            card = reply_card(message, full_list_url=full_list_url(self.config), limit=limit)
            try:
                opened = await self.retries.run(
                    partial(self._deliver, reference, claims, personal, card, message.title)
                )
                break
            except aiohttp.ClientResponseError as error:
                if error.status == TOO_LARGE and limit != CARD_LIMITS[-1]:
                    log.warning("Teams: a message to %s was too large", member.initials)
                    continue  # the same message, cut shorter
                raise _delivery_error(member, error) from error
            except (TimeoutError, aiohttp.ClientError) as error:
                raise DeliveryError(f"Teams could not be reached: {error}") from error
            except (ValueError, TypeError, RuntimeError) as error:
                raise DeliveryError(
                    f"Teams refused the message: {error}", permanent=True
                ) from error
        if opened is not None:
            await asyncio.to_thread(self._store_personal, member.id, opened, claims)

    async def _deliver(
        self,
        reference: ConversationReference,
        claims: dict[str, Any],
        personal: bool,
        card: dict[str, Any],
        title: str,
    ) -> dict[str, Any] | None:
        """Post the card; the reference of a 1:1 chat it had to open, if it did."""
        activity = card_activity(card, title=title)
        opened: list[dict[str, Any]] = []
        posted: list[tuple[str, str | None]] = []  # (conversation id, message id)

        async def deliver(context: TurnContext) -> None:
            if personal:
                sent = await context.send_activity(activity)
                posted.append((reference.conversation.id, sent.id if sent else None))
            else:
                chat, sent_id = await _open_personal_chat(context, reference, activity, self.hosts)
                opened.append(chat)
                posted.append((chat["conversation"]["id"], sent_id))

        continuation = reference.get_continuation_activity()
        continuation.id = None  # post a new message, not a reply to an old one
        await self.adapter.continue_conversation_with_claims(
            self._identity(claims), continuation, deliver
        )
        for conversation_id, message_id in posted:
            if message_id and card_rows(card):
                await asyncio.to_thread(
                    store_card, self.sessions, conversation_id, message_id, card, self.clock()
                )
        return opened[0] if opened else None

    def _first_contact(self, member: Member) -> tuple[ConversationReference, dict[str, Any], bool]:
        """A member linked by AAD object id who never wrote to the bot: their 1:1 chat is
        created (as Microsoft's proactive-messaging sample does) from the object id and the
        tenant, at ``CRB_TEAMS_SERVICE_URL``; Teams needs the app installed for them."""
        tenant = self.config.teams_tenant_id
        if not member.teams_id or not tenant:
            missing = "no Teams account linked" if not member.teams_id else "no tenant configured"
            raise DeliveryError(
                f"{member.initials} has no Teams conversation with the bot yet ({missing}).",
                permanent=True,
            )
        bot_id = f"28:{self.config.teams_client_id or 'crb'}"
        reference = ConversationReference(
            channel_id="msteams",
            service_url=self.config.teams_service_url,
            agent=ChannelAccount(id=bot_id),
            user=ChannelAccount(id=member.teams_id, aad_object_id=member.teams_id),
            # Only a placeholder to continue from: the 1:1 chat is created in ``deliver``.
            conversation=ConversationAccount(id=f"new-chat:{member.teams_id}", tenant_id=tenant),
        )
        return reference, {}, False

    def _identity(self, claims: dict[str, Any]) -> ClaimsIdentity:
        """The stored claims; for a conversation stored while the bot ran anonymously and now
        registered, the bot's own identity (what the SDK's continue_conversation builds)."""
        if not claims and self.config.teams_client_id:
            return self.adapter.create_claims_identity(self.config.teams_client_id)
        return ClaimsIdentity(claims)

    def _load(self, member_id: int) -> tuple[ConversationReference, dict[str, Any], bool] | None:
        with self.sessions() as session:
            row = queries.teams_conversation(session, member_id)
            if row is None:
                return None
            reference = ConversationReference.model_validate(row.reference)
            return reference, dict(row.claims), row.personal

    def _store_personal(
        self, member_id: int, reference: dict[str, Any], claims: dict[str, Any]
    ) -> None:
        with self.sessions() as session, session.begin():
            remember_conversation(
                session, member_id, reference, claims, personal=True, now=self.clock()
            )


def activity_key(activity: Activity) -> str | None:
    """An activity's identity: its id is unique within its conversation."""
    conversation = activity.conversation.id if activity.conversation else ""
    if not activity.id:
        return None
    return hashlib.sha256(f"{conversation}\n{activity.id}".encode()).hexdigest()


async def _reraise(_context: TurnContext, error: Exception) -> None:
    raise error


async def _post_to(
    context: TurnContext, reference: ConversationReference, activity: Activity
) -> str | None:
    """Post ``activity`` in another conversation of the same bot (a member's 1:1 chat); the
    message's id."""
    connector = context.services.get(ConnectorClientBase)
    outgoing = activity.model_copy(deep=True)
    outgoing.apply_conversation_reference(reference)
    sent = await connector.conversations.send_to_conversation(reference.conversation.id, outgoing)
    return sent.id


async def _open_personal_chat(
    context: TurnContext,
    reference: ConversationReference,
    activity: Activity,
    hosts: ServiceHosts,
) -> tuple[dict[str, Any], str | None]:
    """A member known only from a channel gets their nudge in a 1:1 chat with the bot, never in
    the channel: create it (POST /v3/conversations), post there, and return its reference and
    the message's id."""
    connector = context.services.get(ConnectorClientBase)
    tenant_id = reference.conversation.tenant_id if reference.conversation else None
    parameters = ConversationParameters(
        is_group=False,
        agent=reference.agent,
        members=[ChannelAccount(id=reference.user.id)],
        tenant_id=tenant_id,
        channel_data={"tenant": {"id": tenant_id}} if tenant_id else None,
    )
    created = await connector.conversations.create_conversation(parameters)
    chat = ConversationAccount(id=created.id, conversation_type=PERSONAL, tenant_id=tenant_id)
    # The chat's own service URL, when Teams names one the bot may answer at.
    service_url = created.service_url if hosts.allows(created.service_url) else None
    personal = reference.model_copy(
        update={"conversation": chat, "service_url": service_url or reference.service_url}
    )
    outgoing = activity.model_copy(deep=True)
    outgoing.apply_conversation_reference(personal)
    sent = await connector.conversations.send_to_conversation(chat.id, outgoing)
    return personal.model_dump(mode="json", by_alias=True, exclude_none=True), sent.id


def _delivery_error(member: Member, error: aiohttp.ClientResponseError) -> DeliveryError:
    # 412 (a conflict Microsoft says to retry), 413 (still too large even cut short: the board
    # may shrink, and a digest is never lost for good), 408, 429 and 5xx: a later tick retries.
    if error.status in (408, 412, TOO_LARGE, 429) or error.status >= 500:
        return DeliveryError(
            f"Teams is busy ({error.status}); try again later.", retry_after=retry_after(error)
        )
    # 401/403: the bot was removed or has no access; 404: the conversation is gone.
    return DeliveryError(
        f"Teams refused the message to {member.initials} ({error.status}).", permanent=True
    )
