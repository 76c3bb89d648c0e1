"""The Telegram frontend: relays messages to the core and replies with cited sentences.

`build_application(settings, answerer)` wires the handlers; `run_telegram(settings)` loads the
model once, then polls (or serves a webhook). Answers are computed in worker threads, updates of
different chats run concurrently, and each chat's updates stay in order.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from telegram import Bot, BotCommand, Message, Update
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.core import Answerer
from bot.errors import ArticlebotError, ConfigError, InputError
from bot.logsafety import quiet_http_logs, redact_in_logs
from bot.prompts import render
from bot.settings import Settings, file_url_for
from bot.telegram_flow import ADMIT, ChatOrderedProcessor, QuestionQuota
from bot.telegram_format import TELEGRAM_LIMIT, format_answer, plain, split_html
from bot.telegram_library import Library
from bot.types import Answer, Turn

log = logging.getLogger(__name__)
SEND_ATTEMPTS = 3
COMMANDS = [
    BotCommand("ask", "Ask a question about the article"),
    BotCommand("sources", "Which articles I know"),
    BotCommand("reset", "Forget our conversation"),
    BotCommand("help", "How to use me"),
]


class Conversations:
    """Per-chat history: the last few turns, forgotten after a quiet spell."""

    def __init__(
        self, max_turns: int, ttl_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._turns: dict[int, deque[tuple[float, Turn]]] = defaultdict(
            lambda: deque(maxlen=max_turns)
        )
        self._ttl = ttl_seconds
        self._clock = clock

    def history(self, chat_id: int) -> list[Turn]:
        now = self._clock()
        turns = self._turns.get(chat_id, deque())
        while turns and now - turns[0][0] > self._ttl:
            turns.popleft()
        return [turn for _, turn in turns]

    def add(self, chat_id: int, turn: Turn) -> None:
        self._turns[chat_id].append((self._clock(), turn))

    def reset(self, chat_id: int) -> None:
        self._turns.pop(chat_id, None)


class TelegramFrontend:
    """The handlers, sharing the answerer, the conversations and the quota."""

    def __init__(self, settings: Settings, answerer: Answerer) -> None:
        self.settings = settings
        self.answerer = answerer
        self.conversations = Conversations(settings.history_turns, settings.history_ttl_seconds)
        self.quota = QuestionQuota(settings.rate_limit, settings.rate_window_seconds)
        self.executor = ThreadPoolExecutor(settings.answer_workers, thread_name_prefix="answer")
        self.bot: Bot | None = None  # the application's, once it is built

    def admit(self, update: object) -> str:
        """Before an update takes a slot: one meant for the bot counts against its sender's
        quota; anything else passes, to be ignored."""
        if not isinstance(update, Update) or not self.meant_for_bot(update):
            return ADMIT
        # the sender: a user, or the chat posting as itself (a channel, an anonymous admin)
        sender, chat = update.effective_sender, update.effective_chat
        return self.quota.check(sender.id if sender else chat.id if chat else 0)

    def meant_for_bot(self, update: Update) -> bool:
        """What the handlers would answer: anything in a private chat, a command for us, a
        mention, or a reply to the bot; edits and channel posts alike."""
        message, bot = update.effective_message, self.bot
        if message is None or bot is None:
            return False
        if message.chat.type == ChatType.PRIVATE or is_reply_to(message, bot.id):
            return True
        words = (message.text or "").split(maxsplit=1)
        command = words[0] if words else ""
        if command.startswith("/"):
            return "@" not in command or command.lower().endswith(f"@{bot.username}".lower())
        return addressed_question(message, bot.username, bot.id) is not None

    async def refuse(self, update: object) -> None:
        """The one reply a sender over the quota gets; what they send next is dropped unseen."""
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None or self.bot is None or not isinstance(update, Update):
            return
        message = update.effective_message
        reply_to = message.message_id if message else None
        try:
            await send_with_retry(self.bot, chat.id, render("telegram_rate_limited"), reply_to)
        except TelegramError as error:
            log.warning("could not tell a chat it is over the quota (%s)", error.message)

    def allowed(self, update: Update) -> bool:
        chats = self.settings.allowed_chats
        return chats is None or (
            update.effective_chat is not None and update.effective_chat.id in chats
        )

    async def gate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Runs before every handler: chats off the allowlist get a polite no, and nothing else."""
        if self.allowed(update):
            return
        message = update.effective_message
        if message is not None and (
            message.chat.type == ChatType.PRIVATE
            or (message.text or "").startswith("/")
            or addressed_question(message, context.bot.username, context.bot.id) is not None
        ):
            await self.reply(update, context, [render("telegram_not_allowed")])
        raise ApplicationHandlerStop

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Explain what the bot knows, with example questions."""
        documents = self.answerer.index.documents
        date = f" ({plain(documents[0].date)})" if documents[0].date else ""
        if len(documents) > 1:
            date += f", and {len(documents) - 1} more (see /sources)"
        title = plain(documents[0].title)
        await self.reply(update, context, [render("telegram_help", title=title, date=date)])

    async def reset(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Forget this chat's history."""
        if update.effective_chat:
            self.conversations.reset(update.effective_chat.id)
        await self.reply(update, context, [render("telegram_reset")])

    async def ask_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/ask <question>."""
        question = " ".join(context.args or [])
        if not question.strip():
            await self.reply(
                update,
                context,
                [render("telegram_ask_usage")],
            )
            return
        await self.answer(update, context, question)

    async def message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Any text in a private chat; in groups only when addressed."""
        message = update.effective_message
        if message is None or message.text is None:
            return
        question = addressed_question(message, context.bot.username, context.bot.id)
        if question is not None:
            await self.answer(update, context, question)

    async def not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stickers, photos, voice notes, documents: say what works instead."""
        message = update.effective_message
        if message is None or (
            message.chat.type != ChatType.PRIVATE and not is_reply_to(message, context.bot.id)
        ):
            return
        await self.reply(update, context, [render("telegram_not_text")])

    async def answer(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, question: str
    ) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        computing = asyncio.ensure_future(
            self.compute(question, self.conversations.history(chat.id))
        )
        await show_typing(context, chat.id)
        try:
            result = await computing
        except InputError as error:
            await self.reply(update, context, [plain(error.message)])
            return
        self.conversations.add(chat.id, Turn(question, result))
        several = len(self.answerer.index.documents) > 1
        await self.reply(update, context, format_answer(result, name_documents=several))

    async def compute(self, question: str, history: list[Turn]) -> Answer:
        """Off the event loop, so one slow question never holds up other chats."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, self.answerer.answer, question, history)

    async def reply(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, messages: list[str]
    ) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        reply_to = update.effective_message.message_id if update.effective_message else None
        for text in messages:
            for piece in split_html(text, TELEGRAM_LIMIT):  # every message, whatever made it
                await send_with_retry(context.bot, chat.id, piece, reply_to)
                reply_to = None

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log the error with its traceback; the user gets a short apology, never the trace."""
        log.error("error while handling an update", exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat:
            try:
                await context.bot.send_message(
                    update.effective_chat.id,
                    render("telegram_apology"),
                )
            except Exception:  # the apology is best effort: the error is already logged
                log.warning("could not send the apology", exc_info=True)


async def show_typing(context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> None:
    """Best effort: a lost typing indicator must not cost the user the answer."""
    try:
        await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
    except NetworkError as error:
        log.info("typing action not sent (%s)", error.message)


async def send_with_retry(bot: Bot, chat_id: int, text: str, reply_to: int | None) -> None:
    """Send one HTML message; network errors are retried with backoff (429s by AIORateLimiter)."""
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            await bot.send_message(
                chat_id,
                text,
                parse_mode=ParseMode.HTML,
                reply_to_message_id=reply_to,
                allow_sending_without_reply=True,
            )
            return
        except (BadRequest, Forbidden, RetryAfter):
            raise
        except NetworkError:
            if attempt == SEND_ATTEMPTS:
                raise
            log.warning("network error sending to a chat, attempt %d of %d", attempt, SEND_ATTEMPTS)
            await asyncio.sleep(0.5 * 2 ** (attempt - 1))


def is_reply_to(message: Message, bot_id: int) -> bool:
    replied = message.reply_to_message
    return bool(replied and replied.from_user and replied.from_user.id == bot_id)


def addressed_question(message: Message, username: str, bot_id: int) -> str | None:
    """The question in a message meant for the bot, None when it isn't meant for it."""
    text = message.text or ""
    if message.chat.type == ChatType.PRIVATE:
        return text
    mention = f"@{username}"
    if username and mention.lower() in text.lower():
        start = text.lower().index(mention.lower())
        return (text[:start] + text[start + len(mention) :]).strip(" ,:")
    return text if is_reply_to(message, bot_id) else None


def build_application(settings: Settings, answerer: Answerer) -> Application:  # type: ignore[type-arg]
    """The Application with handlers, rate limiting and ordered concurrency; not yet started."""
    if not settings.telegram_token:
        raise ConfigError("No Telegram token: set TELEGRAM_BOT_TOKEN or pass --token-file.")
    quiet_http_logs()
    redact_in_logs(settings.telegram_token)
    frontend = TelegramFrontend(settings, answerer)
    processor = ChatOrderedProcessor(admit=frontend.admit, refuse=frontend.refuse)
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_token)
        .rate_limiter(AIORateLimiter(overall_max_rate=settings.telegram_max_rate, max_retries=5))
    )
    builder = builder.concurrent_updates(processor).post_init(_register_commands)
    if settings.telegram_base_url:
        builder = builder.base_url(settings.telegram_base_url)
        file_url = file_url_for(settings.telegram_base_url)
        if file_url:  # files (documents sent to the bot) come from the same server
            builder = builder.base_file_url(file_url)
    application = builder.build()
    frontend.bot = application.bot
    application.bot_data["frontend"] = frontend
    application.add_handler(TypeHandler(Update, frontend.gate), group=-1)
    application.add_handler(CommandHandler(["start", "help"], frontend.start))
    library = Library(settings, frontend)
    application.add_handler(CommandHandler(["sources", "source"], library.sources))
    application.add_handler(CommandHandler("load", library.load))
    application.add_handler(CommandHandler("reset", frontend.reset))
    application.add_handler(CommandHandler("ask", frontend.ask_command))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, frontend.message))
    non_text = (
        filters.Sticker.ALL
        | filters.PHOTO
        | filters.VOICE
        | filters.AUDIO
        | filters.VIDEO
        | filters.Document.ALL
    )
    application.add_handler(MessageHandler(non_text, frontend.not_text))
    application.add_error_handler(frontend.on_error)
    return application


async def _register_commands(application: Application) -> None:  # type: ignore[type-arg]
    await application.bot.set_my_commands(COMMANDS)


@contextmanager
def bot_api_errors() -> Iterator[None]:
    """Start-up failures of the Bot API as one-line errors, not PTB's logged tracebacks."""
    try:
        yield
    except InvalidToken:
        raise ConfigError(
            "Telegram rejected the token: check TELEGRAM_BOT_TOKEN or --token-file."
        ) from None
    except NetworkError as error:
        raise ArticlebotError(f"Cannot reach the Telegram Bot API ({error.message}).") from None


def preflight(application: Application) -> None:  # type: ignore[type-arg]
    """Check the token and the server once, quietly, before PTB's retry loops take over."""

    async def check() -> None:
        async with application.bot:
            pass

    with bot_api_errors():
        asyncio.run(check())


def run_telegram(settings: Settings, load: Callable[[Settings], Answerer]) -> None:
    """Load the model once, then serve until SIGINT or SIGTERM. Pending updates are kept."""
    if settings.webhook_url and not settings.webhook_secret:
        raise ConfigError("Webhook mode needs a secret: set ARTICLEBOT_WEBHOOK_SECRET.")
    quiet_http_logs()
    answerer = load(settings)
    answerer.answer("What is this article about?")  # warm every lazy part before the first user
    application = build_application(settings, answerer)
    preflight(application)
    with bot_api_errors():
        if settings.webhook_url:
            application.run_webhook(
                listen=settings.webhook_listen,
                port=settings.webhook_port,
                webhook_url=settings.webhook_url,
                secret_token=settings.webhook_secret,
                drop_pending_updates=False,
                allowed_updates=Update.ALL_TYPES,
            )
        else:
            application.run_polling(drop_pending_updates=False, allowed_updates=Update.ALL_TYPES)
