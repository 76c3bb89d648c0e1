"""Which chat holds which articles, who read how many lately, and what is stored: SQLite.

One database file under the state directory (stdlib sqlite3, write-ahead log, full sync).
Every change is one transaction, so a crash or a full disk leaves the map as it was
before the change or as it is after, never in between:

  documents(sha256, bytes, last_used)          what bot.docstore holds, for the disk budget
  articles(chat_id, sha256, source, title, paragraphs, added)   each chat's articles
  reads(user_id, at)                           articles handed in, for the per-user quota
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.errors import IndexStoreError

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    sha256 TEXT PRIMARY KEY, bytes INTEGER NOT NULL, last_used REAL NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    chat_id INTEGER NOT NULL, sha256 TEXT NOT NULL REFERENCES documents ON DELETE CASCADE,
    source TEXT NOT NULL, title TEXT NOT NULL, paragraphs INTEGER NOT NULL, added REAL NOT NULL,
    PRIMARY KEY (chat_id, sha256));
CREATE TABLE IF NOT EXISTS reads (user_id INTEGER NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS reads_by_user ON reads (user_id, at);
"""


@dataclass(frozen=True)
class Article:
    """One article a chat holds."""

    sha256: str
    source: str
    title: str
    paragraphs: int
    added: float


class ChatState:
    """The SQLite map; safe to share between threads (one connection, one lock)."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path, self.clock = path, clock
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # autocommit: transactions are begun and ended here, explicitly (_Transaction)
            self._db = sqlite3.connect(
                path, check_same_thread=False, timeout=10, isolation_level=None
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(SCHEMA)
        except sqlite3.Error as error:
            raise IndexStoreError(f"Cannot use the state database {path} ({error}).") from None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def articles(self, chat_id: int) -> list[Article]:
        """The chat's articles, oldest first."""
        rows = self._read(
            "SELECT sha256, source, title, paragraphs, added FROM articles "
            "WHERE chat_id = ? ORDER BY added, rowid",
            (chat_id,),
        )
        return [Article(*row) for row in rows]

    def add(self, chat_id: int, article: Article, size: int, cap: int) -> list[Article]:
        """Give the chat `article` (replacing one from the same source), keep at most
        `cap` articles, and return those that made room, oldest first."""
        with self._write() as db:
            db.execute(
                "INSERT INTO documents VALUES (?, ?, ?) ON CONFLICT (sha256) "
                "DO UPDATE SET bytes = excluded.bytes, last_used = excluded.last_used",
                (article.sha256, size, article.added),
            )
            db.execute(
                "DELETE FROM articles WHERE chat_id = ? AND (source = ? OR sha256 = ?)",
                (chat_id, article.source, article.sha256),
            )
            db.execute(
                "INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?)",
                (
                    chat_id,
                    article.sha256,
                    article.source,
                    article.title,
                    article.paragraphs,
                    article.added,
                ),
            )
            held = [
                Article(*row)
                for row in db.execute(
                    "SELECT sha256, source, title, paragraphs, added FROM articles "
                    "WHERE chat_id = ? ORDER BY added, rowid",
                    (chat_id,),
                )
            ]
            dropped = held[: max(0, len(held) - cap)]
            db.executemany(
                "DELETE FROM articles WHERE chat_id = ? AND sha256 = ?",
                [(chat_id, a.sha256) for a in dropped],
            )
        return dropped

    def forget(self, chat_id: int) -> int:
        """Drop every article of the chat; how many there were."""
        with self._write() as db:
            return db.execute("DELETE FROM articles WHERE chat_id = ?", (chat_id,)).rowcount

    def touch(self, shas: Iterable[str]) -> None:
        """The documents were just used (for least-recently-used eviction)."""
        now = self.clock()
        with self._write() as db:
            db.executemany(
                "UPDATE documents SET last_used = ? WHERE sha256 = ?", [(now, s) for s in shas]
            )

    def take_read(self, user_id: int, limit: int, window: float) -> float:
        """Count one article handed in by `user_id` and return 0, or, when they have
        handed in `limit` within `window` seconds, count nothing and return the seconds
        until they may again."""
        now = self.clock()
        with self._write() as db:
            db.execute("DELETE FROM reads WHERE at <= ?", (now - window,))
            times = [
                at
                for (at,) in db.execute(
                    "SELECT at FROM reads WHERE user_id = ? ORDER BY at", (user_id,)
                )
            ]
            if len(times) >= limit:
                return float(max(1.0, times[len(times) - limit] + window - now))
            db.execute("INSERT INTO reads VALUES (?, ?)", (user_id, now))
        return 0.0

    def evict(self, budget: int, keep: str) -> list[str]:
        """Documents to remove so that all fit in `budget` bytes: those no chat holds
        first, then the least recently used; never `keep`. They leave the map here, in
        one transaction (the chats that held them lose them); the caller removes files."""
        with self._write() as db:
            total = db.execute("SELECT COALESCE(SUM(bytes), 0) FROM documents").fetchone()[0]
            order = db.execute(
                "SELECT d.sha256, d.bytes FROM documents d WHERE d.sha256 != ? ORDER BY "
                "EXISTS (SELECT 1 FROM articles a WHERE a.sha256 = d.sha256), d.last_used",
                (keep,),
            ).fetchall()
            evicted = []
            for sha, size in order:
                if total <= budget:
                    break
                evicted.append(sha)
                total -= size
            db.executemany("DELETE FROM documents WHERE sha256 = ?", [(s,) for s in evicted])
        return evicted

    def stored(self) -> set[str]:
        return {sha for (sha,) in self._read("SELECT sha256 FROM documents", ())}

    def remove(self, shas: Iterable[str]) -> None:
        """Documents whose files are gone, with every chat's hold on them."""
        with self._write() as db:
            db.executemany("DELETE FROM documents WHERE sha256 = ?", [(s,) for s in shas])

    def _read(self, sql: str, args: tuple[object, ...]) -> list[Any]:
        try:
            with self._lock:
                return list(self._db.execute(sql, args))
        except sqlite3.Error as error:
            raise IndexStoreError(
                f"Cannot read the state database {self.path} ({error})."
            ) from None

    def _write(self) -> _Transaction:
        return _Transaction(self)


class _Transaction:
    """The lock, then one transaction: committed on success, rolled back on any error."""

    def __init__(self, state: ChatState) -> None:
        self.state = state

    def __enter__(self) -> sqlite3.Connection:
        self.state._lock.acquire()
        try:
            self.state._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            self.state._lock.release()
            raise IndexStoreError(
                f"Cannot write the state database {self.state.path} ({error})."
            ) from None
        return self.state._db

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        db = self.state._db
        try:
            if kind is None:
                db.execute("COMMIT")
            else:
                db.execute("ROLLBACK")
        except sqlite3.Error as failure:
            raise IndexStoreError(
                f"Cannot write the state database {self.state.path} ({failure})."
            ) from None
        finally:
            self.state._lock.release()
        if isinstance(error, sqlite3.Error):
            raise IndexStoreError(
                f"Cannot write the state database {self.state.path} ({error})."
            ) from None
