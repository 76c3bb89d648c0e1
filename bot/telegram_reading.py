"""Telegram: anyone hands the bot an article (a link, /read URL, a file), and /forget.

The handler replies at once and reads in the background, in a pool of its own
(`read_workers` threads), so answering never waits on reading: a chat's next question is
answered while its article is still being fetched and embedded. The article is read under
the same rules as `articlebot index` (bot.readers, bot.fetch), then kept by
bot.chat_library. Every refusal and failure is one polite line; the chat's articles stay
as they were.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, replace
from pathlib import PurePath
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.chat_library import ChatLibrary, Read
from bot.decoding import without_controls
from bot.errors import ArticlebotError, FetchError
from bot.logsafety import redact_url
from bot.prompts import render
from bot.settings import Settings
from bot.telegram_flow import background_pool, is_reply_to
from bot.telegram_format import plain
from bot.types import Document

log = logging.getLogger(__name__)
URL_ONLY = re.compile(r"^\s*(https?://\S+)\s*$", re.IGNORECASE)
READABLE = {".txt", ".md", ".html", ".htm"}
MAX_NAME = 100  # characters of a sent file's name kept to name it
QUEUED_PER_WORKER = 4  # reads waiting for a worker, beyond which newcomers are told to wait


@dataclass(frozen=True)
class Source:
    """What a chat handed in: a URL, or a Telegram file by its id and name."""

    url: str = ""
    file_id: str = ""
    name: str = ""

    @property
    def shown(self) -> str:
        return redact_url(self.url) if self.url else self.name


class Reading:
    """The handlers for handing in articles; `frontend` replies and holds the conversations."""

    def __init__(self, settings: Settings, frontend: Any, library: ChatLibrary) -> None:
        self.settings, self.frontend, self.library = settings, frontend, library
        self.pool = background_pool(settings.read_workers, "read")
        self.pending = 0  # reads accepted and not yet finished
        self.max_pending = settings.read_workers * (1 + QUEUED_PER_WORKER)

    async def link(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A private message that is just an http(s) address."""
        message = update.effective_message
        match = URL_ONLY.match(message.text or "") if message else None
        if match:
            await self.start(update, context, Source(url=match.group(1)))

    async def read_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/read URL, in any chat."""
        args = context.args or []
        if len(args) != 1 or URL_ONLY.match(args[0]) is None:
            await self.frontend.reply(update, context, [render("telegram_read_usage")])
            return
        await self.start(update, context, Source(url=args[0]))

    async def document(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A file: in a private chat always; in a group when its caption says /read or
        mentions the bot, or it replies to the bot."""
        message = update.effective_message
        if message is None or message.document is None or not self.addressed(message, context):
            return
        sent = message.document
        name = file_name(sent.file_name)
        if not readable(name):
            await self.frontend.reply(
                update, context, [render("telegram_read_kind", name=plain(name))]
            )
            return
        limit = int(self.settings.max_file_mb * 2**20)
        if sent.file_size and sent.file_size > limit:
            text = render(
                "telegram_read_too_big",
                name=plain(name),
                size=file_size(sent.file_size),
                limit=file_size(limit),
            )
            await self.frontend.reply(update, context, [text])
            return
        await self.start(update, context, Source(file_id=sent.file_id, name=name))

    def addressed(self, message: Any, context: ContextTypes.DEFAULT_TYPE) -> bool:
        if message.chat.type == ChatType.PRIVATE or is_reply_to(message, context.bot.id):
            return True
        caption = (message.caption or "").lower()
        mention = f"@{context.bot.username}".lower()
        return caption.startswith("/read") or (bool(context.bot.username) and mention in caption)

    async def start(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, source: Source
    ) -> None:
        """Within the quota and the queue: say so at once, and read in the background."""
        chat, sender = update.effective_chat, update.effective_sender
        if chat is None:
            return
        if self.pending >= self.max_pending:
            await self.frontend.reply(update, context, [render("telegram_read_busy")])
            return
        wait = await asyncio.to_thread(self.library.take_read, sender.id if sender else chat.id)
        if wait:
            await self.frontend.reply(update, context, [self.quota_text(wait)])
            return
        text = render("telegram_read_started", source=plain(source.shown))
        await self.frontend.reply(update, context, [text])
        self.pending += 1
        context.application.create_task(self.read(update, context, source), update=update)

    def quota_text(self, wait: float) -> str:
        return render(
            "telegram_read_quota",
            limit=self.settings.read_quota,
            window=duration(self.settings.read_window_seconds),
            wait=duration(wait),
        )

    async def read(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, source: Source
    ) -> None:
        """Fetch or download, then read and embed in the pool; tell the chat how it went."""
        chat_id = update.effective_chat.id if update.effective_chat else 0
        try:
            data = await self.download(context, source) if source.file_id else b""
            loop = asyncio.get_running_loop()
            done, count = await loop.run_in_executor(
                self.pool, self.read_into, chat_id, source, data
            )
        except ArticlebotError as error:
            log.info("reading %s failed: %s", source.shown, error.message)
            text = render("telegram_read_failed", reason=plain(one_line(error.message)))
        except Exception:  # logged with its traceback; the chat gets one line
            log.exception("reading %s failed", source.shown)
            text = render("telegram_read_failed", reason="an internal error (see the log).")
        else:
            self.frontend.conversations.reset(chat_id)  # its follow-ups were about others
            text = self.done_text(done, count)
        finally:
            self.pending -= 1
        await self.frontend.reply(update, context, [text])

    async def download(self, context: ContextTypes.DEFAULT_TYPE, source: Source) -> bytes:
        """The file's bytes from the Bot API (getFile, then its file URL), within the cap."""
        limit = int(self.settings.max_file_mb * 2**20)
        try:
            sent = await context.bot.get_file(source.file_id)
            if sent.file_size and sent.file_size > limit:
                raise FetchError(f"{source.name} is larger than {file_size(limit)}.")
            data = bytes(await sent.download_as_bytearray())
        except TelegramError as error:
            raise FetchError(
                f"Telegram would not give me {source.name} ({error.message})."
            ) from None
        if len(data) > limit:
            raise FetchError(f"{source.name} is larger than {file_size(limit)}.")
        return data

    def read_into(self, chat_id: int, source: Source, data: bytes) -> tuple[Read, int]:
        """In a worker thread: the document, read as `articlebot index` reads, into the
        chat; and how many articles the chat holds now."""
        from bot.fetch import FetchPolicy
        from bot.readers import document_from, load_document, raw_from_bytes

        document: Document
        if source.url:
            policy = FetchPolicy(allow_private=self.settings.allow_private_urls)
            document = load_document(source.url, policy)
        else:
            document = replace(document_from(raw_from_bytes(data, source.name)), source=source.name)
        words = len(document.text.split())
        if words > self.settings.max_read_words:
            raise FetchError(
                f"{source.name} has {words:,} words; I read articles of at most "
                f"{self.settings.max_read_words:,}."
            )
        done = self.library.read(chat_id, document)
        return done, len(self.library.articles(chat_id))

    def done_text(self, done: Read, count: int) -> str:
        dropped = ""
        if done.dropped:
            titles = ", ".join(f"<b>{plain(a.title)}</b>" for a in done.dropped)
            dropped = f" To make room I let go of the oldest, {titles}."
        return render(
            "telegram_read_done",
            title=plain(done.article.title),
            paragraphs=done.article.paragraphs,
            count=count,
            cap=self.settings.chat_articles,
            dropped=dropped,
        )

    async def forget(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/forget: the chat's articles go, and it is answered from the default again."""
        chat = update.effective_chat
        if chat is None:
            return
        count = await asyncio.to_thread(self.library.forget, chat.id)
        title = plain(self.frontend.answerer.index.documents[0].title)
        if count:
            self.frontend.conversations.reset(chat.id)
            text = render("telegram_forgot", count=count, title=title)
        else:
            text = render("telegram_forget_none", title=title)
        await self.frontend.reply(update, context, [text])

    def shutdown(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def file_name(name: str | None) -> str:
    """A sent file's name fit to show: its last part, no control characters, capped."""
    shown = PurePath(without_controls(name or "").replace("\\", "/")).name.strip()
    return (shown or "the file")[:MAX_NAME]


def file_size(size: int) -> str:
    """'5 MB', '7.25 MB', '19.5 KB': as a person reads a file's size."""
    if size >= 2**20:
        return f"{size / 2**20:.3g} MB"
    return f"{size / 2**10:.3g} KB" if size >= 2**10 else f"{size} bytes"


def readable(name: str) -> bool:
    suffixes = [s.lower() for s in PurePath(name).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return bool(suffixes) and suffixes[-1] in READABLE


def duration(seconds: float) -> str:
    """'1 hour', '40 minutes', '30 seconds': rounded up, as a person would say it."""
    for unit, size in (("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds >= size or unit == "second":
            count = max(1, -int(-seconds // size))
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return ""


def one_line(text: str) -> str:
    return " ".join(text.split())
