"""The SQLite map of which chat holds which articles: caps, eviction order, the read quota,
and changes that land whole or not at all."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.chat_state import Article, ChatState
from bot.errors import IndexStoreError


def article(sha: str, added: float, source: str = "") -> Article:
    return Article(sha * 64, source or f"{sha}.txt", f"Title {sha}", 2, added)


@pytest.fixture()
def state(tmp_path: Path) -> ChatState:
    return ChatState(tmp_path / "chats.sqlite3", clock=lambda: 500.0)


def test_a_chat_keeps_its_newest_articles_and_a_source_read_again_replaces_its_old_text(
    state: ChatState,
) -> None:
    assert state.add(1, article("a", 1), 10, cap=2) == []
    assert state.add(1, article("b", 2), 10, cap=2) == []
    dropped = state.add(1, article("c", 3), 10, cap=2)
    assert [a.sha256[0] for a in dropped] == ["a"]
    state.add(1, article("d", 4, source="c.txt"), 10, cap=2)  # c.txt again, new text
    assert [a.sha256[0] for a in state.articles(1)] == ["b", "d"]
    assert state.articles(2) == []
    assert state.forget(1) == 2 and state.articles(1) == []


def test_eviction_takes_texts_no_chat_holds_first_then_the_least_recently_used(
    state: ChatState,
) -> None:
    for chat, sha, added in ((1, "a", 1), (2, "b", 2), (3, "c", 3), (4, "d", 4)):
        state.add(chat, article(sha, added), 100, cap=3)
    state.forget(4)  # d is held by no chat now, though it is the newest
    state.touch(["a" * 64])  # a was asked about last (at 500)
    assert state.evict(budget=250, keep="c" * 64) == ["d" * 64, "b" * 64]
    assert state.stored() == {"a" * 64, "c" * 64}
    assert state.articles(2) == []  # the chat that held b lost it with the text
    assert state.evict(budget=0, keep="c" * 64) == ["a" * 64]  # never the one kept


def test_the_read_quota_slides_and_a_refused_read_is_not_counted(tmp_path: Path) -> None:
    now = [0.0]
    state = ChatState(tmp_path / "chats.sqlite3", clock=lambda: now[0])
    assert [state.take_read(7, limit=2, window=60) for _ in range(2)] == [0.0, 0.0]
    now[0] = 10
    assert state.take_read(7, limit=2, window=60) == 50.0
    assert state.take_read(8, limit=2, window=60) == 0.0  # another user
    now[0] = 60.5
    assert state.take_read(7, limit=2, window=60) == 0.0


def test_a_change_that_fails_leaves_the_map_as_it_was(state: ChatState) -> None:
    state.add(1, article("a", 1), 10, cap=3)
    with (
        pytest.raises(IndexStoreError, match="Cannot write the state database"),
        state._write() as db,
    ):
        db.execute("DELETE FROM articles WHERE chat_id = 1")
        db.execute("INSERT INTO nowhere VALUES (1)")  # fails half way
    assert [a.sha256[0] for a in state.articles(1)] == ["a"]
    state.add(1, article("b", 2), 10, cap=3)  # and the lock was let go
    assert len(state.articles(1)) == 2


def test_a_database_that_is_not_one_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "chats.sqlite3"
    path.write_bytes(b"this is not SQLite" * 100)
    with pytest.raises(IndexStoreError, match="Cannot use the state database"):
        ChatState(path)


def test_the_map_is_on_disk_for_the_next_process(tmp_path: Path) -> None:
    first = ChatState(tmp_path / "chats.sqlite3", clock=lambda: 1.0)
    first.add(3, article("a", 1), 10, cap=3)
    first.close()
    rows = sqlite3.connect(tmp_path / "chats.sqlite3").execute("SELECT chat_id FROM articles")
    assert list(rows) == [(3,)]
    assert ChatState(tmp_path / "chats.sqlite3").articles(3)[0].title == "Title a"
