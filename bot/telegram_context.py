"""The "More context" button under an answer: the cited sentence's whole paragraph.

The button's callback data names the sentence by its id (`more:<sha256[:8]>:p<n>s<m>`,
well under Telegram's 64 bytes), so nothing needs remembering between the answer and the
tap, and a tap still works after a restart. The callback query is always answered, so the
user's client stops its spinner, even when the passage is gone.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.chat_library import ChatLibrary
from bot.telegram_format import Block, render_messages
from bot.types import Answer, Document, Paragraph

log = logging.getLogger(__name__)
PREFIX = "more:"
CALLBACK_LIMIT = 64  # bytes of callback data Telegram keeps
MORE = "More context"
GONE = "That passage is no longer here."


def context_keyboard(answer: Answer) -> InlineKeyboardMarkup | None:
    """One "More context" button per cited sentence of an answer; none for a refusal."""
    if not answer.answered:
        return None
    buttons: list[tuple[InlineKeyboardButton]] = []
    several = len({c.sentence_id for c in answer.citations}) > 1
    for citation in answer.citations:
        data = f"{PREFIX}{citation.sentence_id}"
        if not citation.sentence_id or len(data.encode()) > CALLBACK_LIMIT:
            continue
        label = f"{MORE} (paragraph {citation.paragraph})" if several else MORE
        if all(button.callback_data != data for (button,) in buttons):
            buttons.append((InlineKeyboardButton(label, callback_data=data),))
    return InlineKeyboardMarkup(buttons) if buttons else None


def paragraph_messages(document: Document, paragraph: Paragraph, name_document: bool) -> list[str]:
    """The paragraph as HTML messages, under where it stands."""
    named = f"{document.title}, paragraph" if name_document else "Paragraph"
    label = Block(f"{named} {paragraph.number}, in full", "i")
    return render_messages([label, Block(paragraph.text, "blockquote")])


class MoreContext:
    """The callback handler; `frontend` replies and holds the default answerer."""

    def __init__(self, frontend: Any, library: ChatLibrary) -> None:
        self.frontend, self.library = frontend, library

    async def tapped(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer the callback, then send the paragraph as a reply to the answer."""
        query, chat = update.callback_query, update.effective_chat
        if query is None:
            return
        data = query.data or ""
        found = None
        if chat is not None and data.startswith(PREFIX):
            found = await asyncio.to_thread(self.lookup, chat.id, data[len(PREFIX) :])
        try:
            await query.answer(None if found else GONE)
        except TelegramError as error:  # the tap is old, or the network hiccuped
            log.info("could not answer a callback query (%s)", error.message)
        if found is not None:
            await self.frontend.reply(update, context, paragraph_messages(*found))

    def lookup(self, chat_id: int, sentence_id: str) -> tuple[Document, Paragraph, bool] | None:
        """In a thread: the paragraph, and whether to name its article (as the answer did)."""
        default = self.frontend.answerer
        found = self.library.paragraph(chat_id, sentence_id, default)
        if found is None:
            return None
        several = bool(self.library.articles(chat_id)) or len(default.index.documents) > 1
        return found[0], found[1], several
