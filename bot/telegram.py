"""The Telegram frontend: relays messages to the core and replies with cited sentences.

`build_application(settings, answerer)` wires the handlers; `run_telegram(settings)` loads the
model once, then polls (or serves a webhook). Answers are computed in worker threads, updates of
different chats run concurrently, and each chat's updates stay in order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from telegram import Bot, BotCommand, InlineKeyboardMarkup, LinkPreviewOptions, Update
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
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.chat_library import ChatLibrary
from bot.core import Answerer
from bot.errors import ArticlebotError, ConfigError, InputError
from bot.logsafety import quiet_http_logs, redact_in_logs
from bot.prompts import render
from bot.settings import Settings, file_url_for
from bot.telegram_context import MoreContext, context_keyboard
from bot.telegram_flow import (
    ADMIT,
    ChatOrderedProcessor,
    Conversations,
    QuestionQuota,
    addressed_question,
    is_reply_to,
)
from bot.telegram_format import TELEGRAM_LIMIT, format_answer, plain, split_html
from bot.telegram_library import Library
from bot.telegram_reading import URL_ONLY, Reading
from bot.types import Answer, Turn

log = logging.getLogger(__name__)
SEND_ATTEMPTS = 3
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)  # an answer's links are not its subject
COMMANDS = [
    BotCommand("ask", "Ask a question about the article"),
    BotCommand("read", "Read an article: /read followed by its address"),
    BotCommand("sources", "Which articles I answer from here"),
    BotCommand("forget", "Forget this chat's articles"),
    BotCommand("reset", "Forget our conversation"),
    BotCommand("help", "How to use me"),
]


class TelegramFrontend:
    """The handlers, sharing the answerer, the conversations and the quota."""

    def __init__(
        self, settings: Settings, answerer: Answerer, library: ChatLibrary | None = None
    ) -> None:
        self.settings = settings
        self.answerer = answerer  # the default: for chats that hold no articles of their own
        self.library = library
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
        if (
            update.callback_query is not None
            or message.chat.type == ChatType.PRIVATE
            or is_reply_to(message, bot.id)
        ):
            return True
        words = (message.text or message.caption or "").split(maxsplit=1)
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
        """Explain what the bot knows here (the chat's own articles, when it holds some), with
        example questions."""
        chat = update.effective_chat
        held = (
            await asyncio.to_thread(self.library.articles, chat.id) if chat and self.library else []
        )
        documents = self.answerer.index.documents
        first, date = (held[0].title, "") if held else (documents[0].title, documents[0].date)
        date, count = f" ({plain(date)})" if date else "", len(held) or len(documents)
        if count > 1:
            date += f", and {count - 1} more (see /sources)"
        await self.reply(update, context, [render("telegram_help", title=plain(first), date=date)])

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
            self.compute(chat.id, question, self.conversations.history(chat.id))
        )
        await show_typing(context, chat.id)
        try:
            result, name_documents = await computing
        except InputError as error:
            await self.reply(update, context, [plain(error.message)])
            return
        self.conversations.add(chat.id, Turn(question, result))
        messages = format_answer(result, name_documents=name_documents)
        await self.reply(update, context, messages, context_keyboard(result))

    async def compute(
        self, chat_id: int, question: str, history: list[Turn]
    ) -> tuple[Answer, bool]:
        """Off the event loop, so one slow question never holds up other chats: the answer,
        and whether it should name its article."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self.executor, self.answer_in_thread, chat_id, question, history
        )

    def answer_in_thread(
        self, chat_id: int, question: str, history: list[Turn]
    ) -> tuple[Answer, bool]:
        """From the chat's own articles when it holds some (each answer names its article),
        else from the default index."""
        default = self.answerer
        own = self.library.answerer_for(chat_id, default) if self.library else None
        answerer = own or default
        several = own is not None or len(default.index.documents) > 1
        return answerer.answer(question, history), several

    async def reply(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        messages: list[str],
        markup: InlineKeyboardMarkup | None = None,
    ) -> None:
        """Send `messages`, the first as a reply; `markup` (buttons) goes with the last."""
        chat = update.effective_chat
        if chat is None:
            return
        reply_to = update.effective_message.message_id if update.effective_message else None
        pieces = [p for text in messages for p in split_html(text, TELEGRAM_LIMIT)]
        for number, piece in enumerate(pieces, start=1):  # every message, whatever made it
            buttons = markup if number == len(pieces) else None
            await send_with_retry(context.bot, chat.id, piece, reply_to, buttons)
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


async def send_with_retry(
    bot: Bot,
    chat_id: int,
    text: str,
    reply_to: int | None,
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Send one HTML message; network errors are retried with backoff (429s by AIORateLimiter)."""
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            await bot.send_message(
                chat_id,
                text,
                parse_mode=ParseMode.HTML,
                reply_to_message_id=reply_to,
                allow_sending_without_reply=True,
                reply_markup=markup,
                link_preview_options=NO_PREVIEW,
            )
            return
        except (BadRequest, Forbidden, RetryAfter):
            raise
        except NetworkError:
            if attempt == SEND_ATTEMPTS:
                raise
            log.warning("network error sending to a chat, attempt %d of %d", attempt, SEND_ATTEMPTS)
            await asyncio.sleep(0.5 * 2 ** (attempt - 1))


def build_application(settings: Settings, answerer: Answerer) -> Application:  # type: ignore[type-arg]
    """The Application with handlers, rate limiting and ordered concurrency; not yet started."""
    if not settings.telegram_token:
        raise ConfigError("No Telegram token: set TELEGRAM_BOT_TOKEN or pass --token-file.")
    quiet_http_logs()
    redact_in_logs(settings.telegram_token)
    library = ChatLibrary(settings)
    frontend = TelegramFrontend(settings, answerer, library)
    processor = ChatOrderedProcessor(admit=frontend.admit, refuse=frontend.refuse)
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_token)
        .rate_limiter(AIORateLimiter(overall_max_rate=settings.telegram_max_rate, max_retries=5))
    )
    builder = builder.concurrent_updates(processor).post_init(_register_commands)
    builder = builder.post_shutdown(_stop_reading)
    if settings.telegram_base_url:
        builder = builder.base_url(settings.telegram_base_url)
        file_url = file_url_for(settings.telegram_base_url)
        if file_url:  # files (documents sent to the bot) come from the same server
            builder = builder.base_file_url(file_url)
    application = builder.build()
    frontend.bot = application.bot
    application.bot_data["frontend"] = frontend
    _add_handlers(application, frontend, Reading(settings, frontend, library))
    return application


def _add_handlers(application: Application, frontend: TelegramFrontend, reading: Reading) -> None:  # type: ignore[type-arg]
    """Every handler, in the order they are tried: the allowlist first, then commands."""
    operators = Library(frontend.settings, frontend)
    application.add_handler(TypeHandler(Update, frontend.gate), group=-1)
    application.add_handler(CommandHandler(["start", "help"], frontend.start))
    application.add_handler(CommandHandler(["sources", "source"], operators.sources))
    application.add_handler(CommandHandler("load", operators.load))
    application.add_handler(CommandHandler("read", reading.read_command))
    application.add_handler(CommandHandler("forget", reading.forget))
    application.add_handler(CommandHandler("reset", frontend.reset))
    application.add_handler(CommandHandler("ask", frontend.ask_command))
    link = filters.ChatType.PRIVATE & filters.Regex(URL_ONLY) & ~filters.COMMAND
    application.add_handler(MessageHandler(link, reading.link))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, frontend.message))
    application.add_handler(MessageHandler(filters.Document.ALL, reading.document))
    non_text = filters.Sticker.ALL | filters.PHOTO | filters.VOICE | filters.AUDIO | filters.VIDEO
    application.add_handler(MessageHandler(non_text, frontend.not_text))
    application.add_handler(CallbackQueryHandler(MoreContext(frontend, reading.library).tapped))
    application.bot_data["reading"] = reading
    application.add_error_handler(frontend.on_error)


async def _register_commands(application: Application) -> None:  # type: ignore[type-arg]
    await application.bot.set_my_commands(COMMANDS)


async def _stop_reading(application: Application) -> None:  # type: ignore[type-arg]
    """Reads still waiting for a worker are dropped; a stop does not wait for them."""
    application.bot_data["reading"].shutdown()


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
