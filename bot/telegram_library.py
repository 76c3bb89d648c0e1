"""Telegram commands about the indexed documents: /sources for everyone (the chat's own
articles, when it holds some), /load for operators.

A /load runs in the background: the new index is built beside the old one while every chat
keeps being answered from the old, then the answerer is swapped in one assignment.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from bot.core import Answerer
from bot.embeddings import SentenceTransformerEncoder
from bot.errors import ArticlebotError
from bot.logsafety import redact_url, url_without_credentials
from bot.prompts import render
from bot.settings import Settings
from bot.telegram_flow import background_pool
from bot.telegram_format import plain

log = logging.getLogger(__name__)
MAX_LISTED = 30


def rebuild_with(
    settings: Settings, answerer: Answerer, url: str, encoder: SentenceTransformerEncoder
) -> Answerer:
    """Fetch `url`, add it to the indexed documents (unchanged ones are not embedded again),
    and return an answerer over the result. Raises ArticlebotError on failure."""
    from bot.fetch import FetchPolicy
    from bot.index import build_index
    from bot.readers import load_documents

    new = load_documents([url], FetchPolicy(allow_private=settings.allow_private_urls))
    # merged with what is indexed on disk, under the index's lock, so that an `index --add`
    # running meanwhile is not undone
    return answerer.with_index(build_index(settings, new, encoder, add=True))


class Library:
    """The /sources and /load handlers; `frontend.answerer` is what every chat asks."""

    def __init__(self, settings: Settings, frontend: Any) -> None:
        self.settings = settings
        self.frontend = frontend
        # loaded on the first /load, then kept: a model load per article would cost seconds
        self.encoder = SentenceTransformerEncoder(settings.model)
        self.loading = False
        self.pool = background_pool(1, "load")

    async def sources(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The chat's own articles when it holds some, else every indexed document."""
        chat, library = update.effective_chat, self.frontend.library
        held = await asyncio.to_thread(library.articles, chat.id) if chat and library else []
        if held:
            cap = self.settings.chat_articles
            lines = [f"<b>This chat's articles ({len(held)} of at most {cap}):</b>"]
            for number, article in enumerate(held, start=1):
                lines.append(
                    f"{number}. {plain(article.title)} ({article.paragraphs} paragraphs)\n"
                    f"<i>{plain(redact_url(article.source))}</i>"
                )
            lines.append("/forget drops them, and I answer about the default article again.")
            await self.frontend.reply(update, context, ["\n".join(lines)])
            return
        documents = self.frontend.answerer.index.documents
        lines = [f"<b>I know {len(documents)} document(s):</b>"]
        for number, document in enumerate(documents[:MAX_LISTED], start=1):
            date = f" ({plain(document.date)})" if document.date else ""
            lines.append(
                f"{number}. {plain(document.title)}{date}\n<i>{plain(document.source)}</i>"
            )
        if len(documents) > MAX_LISTED:
            lines.append(f"… and {len(documents) - MAX_LISTED} more.")
        lines.append("Send me a link or a file to ask about another article here.")
        await self.frontend.reply(update, context, ["\n".join(lines)])

    async def load(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/load URL: operators only (by user id); the chat hears back when it is done."""
        chat, user = update.effective_chat, update.effective_user
        if chat is None:
            return
        # the user, not the chat: in an operators' group every member shares the chat's id
        if user is None or user.id not in self.settings.admin_users:
            await self.frontend.reply(update, context, [render("telegram_load_refused")])
            return
        if len(context.args or []) != 1:
            await self.frontend.reply(update, context, [render("telegram_load_usage")])
            return
        if self.loading:
            await self.frontend.reply(update, context, [render("telegram_load_busy")])
            return
        url = (context.args or [""])[0]
        self.loading = True
        await self.frontend.reply(
            update, context, [render("telegram_load_started", url=plain(redact_url(url)))]
        )
        context.application.create_task(self._load(update, context, url), update=update)

    async def _load(self, update: Update, context: ContextTypes.DEFAULT_TYPE, url: str) -> None:
        loop = asyncio.get_running_loop()
        try:
            answerer = await loop.run_in_executor(
                self.pool, rebuild_with, self.settings, self.frontend.answerer, url, self.encoder
            )
        except ArticlebotError as error:
            log.warning("loading %s failed: %s", redact_url(url), error.message)
            text = render("telegram_load_failed", reason=plain(error.message))
        except Exception:  # logged with its traceback; the operator gets one line
            log.exception("loading %s failed", redact_url(url))
            text = render("telegram_load_failed", reason="an internal error (see the log).")
        else:
            self.frontend.answerer = answerer
            documents = answerer.index.documents
            source = url_without_credentials(url)
            added = next((d for d in documents if d.source == source), documents[-1])
            text = render(
                "telegram_load_done",
                title=plain(added.title),
                paragraphs=len(added.paragraphs),
                count=len(answerer.index.documents),
            )
        finally:
            self.loading = False
        await self.frontend.reply(update, context, [text])
