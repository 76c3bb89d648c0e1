"""Each chat's own articles: read by the chat, embedded once by content, answered apart.

A chat that hands the bot an article is answered from its own articles from then on; other
chats keep theirs, or the default index. Documents are stored by sha256 (bot.docstore), so
the same text sent by many chats is embedded once; which chat holds which is a SQLite map
(bot.chat_state). Both live under the state directory and survive a restart. Bounds: at
most `chat_articles` per chat (the oldest makes room), `read_quota` reads per user per
window, and `state_budget_mb` of disk, least recently used documents removed first.

Everything here blocks (embedding, disk): the Telegram frontend calls it from threads.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.chat_state import Article, ChatState
from bot.core import Answerer
from bot.docstore import DocumentStore
from bot.embeddings import SentenceTransformerEncoder
from bot.errors import ArticleError, IndexCorruptError
from bot.index import embed_document, memory_index
from bot.settings import Settings
from bot.tables import Tables
from bot.types import Document, Paragraph

log = logging.getLogger(__name__)
CACHED_CHATS = 32  # chats whose answerer is kept built in memory
TOUCH_EVERY = 60.0  # seconds between two notes that a document was used
MAX_TOUCHED = 10_000  # documents whose last note is remembered; older notes are due anyway
_SENTENCE_ID = re.compile(r"([0-9a-f]{1,64}):p(\d{1,6})s(\d{1,6})")


@dataclass(frozen=True)
class Read:
    """What reading an article into a chat did."""

    article: Article
    dropped: tuple[Article, ...]  # the chat's oldest, to stay within its cap
    evicted: int  # stored documents removed to stay within the disk budget
    reused: bool  # the same text was embedded before, for this chat or another


class ChatLibrary:
    """The chats' articles, on disk under `settings.state_dir`; safe to share between threads."""

    def __init__(
        self,
        settings: Settings,
        encoder: SentenceTransformerEncoder | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings, self.clock = settings, clock
        self.store = DocumentStore(settings.state_dir / "documents")
        self.state = ChatState(settings.state_dir / "chats.sqlite3", clock)
        # loaded on the first article that needs embedding, then kept
        self.encoder = encoder or SentenceTransformerEncoder(settings.model)
        self.embedded = 0  # documents this process embedded; the others were reused
        self._guard = threading.Lock()
        self._embedding: dict[str, threading.Lock] = {}
        # one embedding at a time: the model is shared, and the CPU would be shared anyway;
        # fetching and reading of other articles go on meanwhile
        self._encoding = threading.Lock()
        # one read at a time places its text and evicts others: without it, a read could
        # evict the very text another read has just found stored and is about to place
        self._placing = threading.Lock()
        self._answerers: OrderedDict[int, tuple[tuple[Any, ...], Answerer]] = OrderedDict()
        self._touched: dict[str, float] = {}
        self.reconcile()

    @property
    def budget(self) -> int:
        return int(self.settings.state_budget_mb * 2**20)

    def reconcile(self) -> None:
        """After a crash: files that no row describes go, and rows whose files are gone."""
        self.store.remove_leftovers()
        on_disk, known = self.store.shas(), self.state.stored()
        for sha in on_disk - known:
            self.store.remove(sha)
        self.state.remove(sha for sha in known if not self.store.has(sha))

    def take_read(self, user_id: int) -> float:
        """0 when `user_id` may hand in one more article (it is counted), else the seconds
        until they may."""
        settings = self.settings
        return self.state.take_read(user_id, settings.read_quota, settings.read_window_seconds)

    def read(self, chat_id: int, document: Document) -> Read:
        """Give the chat `document`: embedded unless its text is stored already, within the
        chat's cap and the disk budget. On failure the chat's articles are as they were."""
        reused = self._stored(document)
        with self._placing:
            if not self.store.has(document.sha256):  # another read evicted it meanwhile
                reused = self._stored(document)
            size = self._fitting(document)
            article = Article(
                document.sha256,
                document.source,
                document.title,
                len(document.paragraphs),
                self.clock(),
            )
            dropped = self.state.add(chat_id, article, size, self.settings.chat_articles)
            evicted = self.state.evict(self.budget, keep=document.sha256)
            for sha in evicted:
                self.store.remove(sha)
        if evicted:
            log.info("removed %d stored article(s) to stay within the disk budget", len(evicted))
        return Read(article, tuple(dropped), len(evicted), reused)

    def _fitting(self, document: Document) -> int:
        """The stored document's size on disk; an ArticleError (and the text gone, unless
        a chat holds it) when it alone is over the whole budget."""
        size = self.store.size(document.sha256)
        if size > self.budget:
            if document.sha256 not in self.state.stored():
                self.store.remove(document.sha256)
            raise ArticleError(
                f"{document.title} needs {size / 2**20:.1f} MB kept on disk, more than the "
                f"{self.settings.state_budget_mb:g} MB this bot keeps for chats' articles."
            )
        return size

    def articles(self, chat_id: int) -> list[Article]:
        return self.state.articles(chat_id)

    def forget(self, chat_id: int) -> int:
        """Drop the chat's articles (their text stays stored for other chats, until the
        disk budget needs the room); how many there were."""
        return self.state.forget(chat_id)

    def answerer_for(self, chat_id: int, default: Answerer) -> Answerer | None:
        """An answerer over the chat's own articles, or None when it holds none. Built from
        stored vectors (nothing is embedded) and kept for the chats asking most lately."""
        held = self.state.articles(chat_id)
        if not held:
            return None
        key = (id(default), *((a.sha256, a.source) for a in held))
        with self._guard:
            cached = self._answerers.get(chat_id)
            if cached is not None and cached[0] == key:
                self._answerers.move_to_end(chat_id)
                self._touch(held)
                return cached[1]
        answerer = self._build(held, default)
        with self._guard:
            if answerer is None:
                self._answerers.pop(chat_id, None)
                return None
            self._answerers[chat_id] = (key, answerer)
            while len(self._answerers) > CACHED_CHATS:
                self._answerers.popitem(last=False)
            self._touch(held)
        return answerer

    def paragraph(
        self, chat_id: int, sentence_id: str, default: Answerer
    ) -> tuple[Document, Paragraph] | None:
        """The paragraph of the sentence `sentence_id` names, in the chat's articles or the
        default index; None when neither holds it (any more)."""
        match = _SENTENCE_ID.fullmatch(sentence_id)
        if match is None:
            return None
        own = self.answerer_for(chat_id, default)
        number = int(match.group(2))
        for index in [own.index] if own else []:
            for document in index.documents:  # a chat's own few articles
                if document.sha256.startswith(match.group(1)):
                    found = [p for p in document.paragraphs if p.number == number]
                    if found:
                        return document, found[0]
        return _indexed_paragraph(default.index.tables, default.index.documents, match)

    def _stored(self, document: Document) -> bool:
        """Embed and store `document` unless its text is stored; True when it was. One
        thread embeds a text while others that bring the same one wait for it."""
        with self._guard:
            lock = self._embedding.setdefault(document.sha256, threading.Lock())
        with lock:
            if self.store.has(document.sha256):
                return True
            with self._encoding:
                vectors = embed_document(self.encoder, document)
            self.store.put(document, vectors)
            self.embedded += 1
        with self._guard:
            self._embedding.pop(document.sha256, None)
        return False

    def _build(self, held: Sequence[Article], default: Answerer) -> Answerer | None:
        documents, vectors = [], []
        for article in held:
            try:
                document, vector = self.store.get(article.sha256)
            except IndexCorruptError as error:
                log.warning("%s Dropping it.", error.message)
                self.state.remove([article.sha256])
                self.store.remove(article.sha256)
                continue
            documents.append(replace(document, source=article.source, title=article.title))
            vectors.append(vector)
        if not documents:
            return None
        index = memory_index(documents, self.encoder, default.index.encoder, vectors)
        return default.with_index(index)

    def _touch(self, held: Sequence[Article]) -> None:
        """Note the use for the disk budget's eviction order, at most once a minute each."""
        now = self.clock()
        due = [a.sha256 for a in held if now - self._touched.get(a.sha256, 0.0) >= TOUCH_EVERY]
        if due:
            self.state.touch(due)
            self._touched.update(dict.fromkeys(due, now))
        if len(self._touched) > MAX_TOUCHED:  # every document ever used would stay here
            self._touched = {k: t for k, t in self._touched.items() if now - t < TOUCH_EVERY}


def _indexed_paragraph(
    tables: Tables, documents: Sequence[Document], match: re.Match[str]
) -> tuple[Document, Paragraph] | None:
    """The paragraph from the default index's tables: an archive's documents are not all
    made whole to find one."""
    found = tables.by_prefix.get(match.group(1))
    if found is None:
        return None
    first, last = (int(n) for n in tables.arrays["doc_paragraphs"][found : found + 2])
    number = int(match.group(2))
    if not 1 <= number <= last - first:
        return None
    document = documents[found]
    return document, document.paragraphs[number - 1]
