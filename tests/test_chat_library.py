"""Each chat's own articles, without Telegram: embedded once, capped, evicted, persistent."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.chat_library import ChatLibrary
from bot.core import Answerer
from bot.embeddings import SentenceTransformerEncoder
from bot.errors import ArticleError
from bot.readers import document_from, raw_from_bytes
from bot.settings import Settings
from bot.types import Document

BRIDGE = (
    "Harbour bridge reopens\n\nThe harbour bridge in Port Elston reopened on Tuesday after "
    "eleven months of repairs.\n\nEngineers replaced 240 steel cables, the city council said."
)
KILN = "Pottery notes\n\nThe kiln reached 900 degrees on its first firing.\n\nIt cooled overnight."
FERRY = "Ferry news\n\nThe ferry to Wexmoor carried 310 passengers on Sunday.\n\nIt left at 9."


def document(text: str, name: str = "story.txt") -> Document:
    return document_from(raw_from_bytes(text.encode(), name))


class CountingEncoder(SentenceTransformerEncoder):
    """The real encoder, counting the documents it embeds."""

    def __init__(self, model: str) -> None:
        super().__init__(model)
        self.documents = 0

    def encode_paragraphs(self, paragraphs: Any, spans: Any) -> Any:
        self.documents += 1
        return super().encode_paragraphs(paragraphs, spans)


@pytest.fixture(scope="module")
def encoder(settings: Settings) -> CountingEncoder:
    return CountingEncoder(settings.model)


def library(settings: Settings, state: Path, encoder: Any, **changes: Any) -> ChatLibrary:
    return ChatLibrary(replace(settings, state_dir=state, **changes), encoder)


def test_a_chat_is_answered_from_its_own_article_and_others_keep_the_default(
    settings: Settings, answerer: Answerer, tmp_path: Path, encoder: CountingEncoder
) -> None:
    chats = library(settings, tmp_path, encoder)
    read = chats.read(1, document(BRIDGE, "bridge.txt"))
    assert read.article.title == "Harbour bridge reopens" and read.article.paragraphs == 3
    own = chats.answerer_for(1, answerer)
    assert own is not None and chats.answerer_for(2, answerer) is None
    answer = own.answer("How many steel cables did engineers replace?")
    assert answer.answered and "240 steel cables" in answer.citations[0].text
    assert answer.citations[0].source == "bridge.txt"
    found = chats.paragraph(1, answer.citations[0].sentence_id, answerer)
    assert found is not None and "240 steel cables" in found[1].text


def test_the_same_text_is_embedded_once_whichever_chats_send_it(
    settings: Settings, answerer: Answerer, tmp_path: Path, encoder: CountingEncoder
) -> None:
    chats = library(settings, tmp_path, encoder)
    before = encoder.documents
    first = chats.read(1, document(KILN, "a.txt"))
    second = chats.read(2, document(KILN, "b.txt"))
    assert (first.reused, second.reused) == (False, True)
    assert encoder.documents - before == 1 and len(chats.store.shas()) == 1
    assert [a.source for a in chats.articles(2)] == ["b.txt"]  # each chat keeps its own name


def test_a_chat_keeps_at_most_its_cap_and_the_oldest_goes(
    settings: Settings, tmp_path: Path, encoder: CountingEncoder
) -> None:
    now = [1000.0]
    chats = ChatLibrary(
        replace(settings, state_dir=tmp_path, chat_articles=2), encoder, clock=lambda: now[0]
    )
    for name, text in (("bridge.txt", BRIDGE), ("kiln.txt", KILN), ("ferry.txt", FERRY)):
        now[0] += 1
        read = chats.read(7, document(text, name))
    assert [a.title for a in read.dropped] == ["Harbour bridge reopens"]
    assert [a.title for a in chats.articles(7)] == ["Pottery notes", "Ferry news"]
    chats.read(7, document(FERRY + "\n\nUpdated.", "ferry.txt"))  # the same source, read again
    assert [a.title for a in chats.articles(7)] == ["Pottery notes", "Ferry news"]


def test_over_the_disk_budget_the_least_recently_used_text_goes(
    settings: Settings, answerer: Answerer, tmp_path: Path, encoder: CountingEncoder
) -> None:
    now = [1000.0]
    probe = library(settings, tmp_path / "probe", encoder)
    sizes = []
    for text in (BRIDGE, KILN, FERRY):
        probe.read(1, document(text, f"{len(sizes)}.txt"))
        sizes.append(probe.store.size(document(text).sha256))
    budget = (sum(sizes) - 1) / 2**20  # room for any two, not all three
    chats = ChatLibrary(
        replace(settings, state_dir=tmp_path / "state", state_budget_mb=budget),
        encoder,
        clock=lambda: now[0],
    )
    for chat, text in ((1, BRIDGE), (2, KILN)):
        now[0] += 100
        chats.read(chat, document(text))
    now[0] += 100
    assert chats.answerer_for(1, answerer) is not None  # chat 1 asks: the bridge is recent
    now[0] += 100
    read = chats.read(3, document(FERRY))
    assert read.evicted == 1
    assert chats.articles(2) == [] and len(chats.articles(1)) == 1  # the kiln went
    assert document(KILN).sha256 not in chats.store.shas()


def test_an_article_larger_than_the_whole_budget_is_refused(
    settings: Settings, tmp_path: Path, encoder: CountingEncoder
) -> None:
    chats = library(settings, tmp_path, encoder, state_budget_mb=0.001)
    with pytest.raises(ArticleError, match=r"more than the 0\.001 MB"):
        chats.read(1, document(BRIDGE))
    assert chats.articles(1) == [] and chats.store.shas() == set()


def test_everything_survives_a_restart_and_a_crash_leaves_nothing_half_done(
    settings: Settings, answerer: Answerer, tmp_path: Path, encoder: CountingEncoder
) -> None:
    chats = library(settings, tmp_path, encoder)
    chats.read(5, document(BRIDGE, "bridge.txt"))
    assert chats.take_read(42) == 0.0
    chats.state.close()
    (tmp_path / "documents" / ".new-crashed").mkdir()  # a write cut short
    (tmp_path / "documents" / ("f" * 64)).mkdir()  # files no row describes
    again = library(settings, tmp_path, encoder)
    assert [a.source for a in again.articles(5)] == ["bridge.txt"]
    assert again.store.shas() == {document(BRIDGE).sha256}
    assert not list((tmp_path / "documents").glob(".new-*"))
    own = again.answerer_for(5, answerer)
    assert own is not None and own.answer("How many steel cables did engineers replace?").answered


def test_the_read_quota_is_per_user_and_persistent(
    settings: Settings, tmp_path: Path, encoder: CountingEncoder
) -> None:
    now = [0.0]
    state = replace(settings, state_dir=tmp_path, read_quota=2, read_window_seconds=100)
    chats = ChatLibrary(state, encoder, clock=lambda: now[0])
    assert [chats.take_read(1) for _ in range(2)] == [0.0, 0.0]
    now[0] = 30
    assert chats.take_read(1) == 70.0 and chats.take_read(2) == 0.0
    chats.state.close()
    restarted = ChatLibrary(state, encoder, clock=lambda: now[0])
    assert restarted.take_read(1) == 70.0
    now[0] = 101
    assert restarted.take_read(1) == 0.0


def test_forget_drops_the_chats_articles(
    settings: Settings, answerer: Answerer, tmp_path: Path, encoder: CountingEncoder
) -> None:
    chats = library(settings, tmp_path, encoder)
    chats.read(9, document(KILN))
    assert chats.forget(9) == 1 and chats.answerer_for(9, answerer) is None
    assert chats.paragraph(9, "zz:p1s1", answerer) is None


def test_a_text_evicted_between_finding_it_and_placing_it_is_stored_again(
    settings: Settings, answerer: Answerer, tmp_path: Path, encoder: CountingEncoder
) -> None:
    class Interrupted(ChatLibrary):
        """As if another chat's read evicted the text right after this read found it."""

        def _stored(self, document: Document) -> bool:
            found = super()._stored(document)
            if found and not getattr(self, "interrupted", False):
                self.interrupted = True
                self.state.remove([document.sha256])
                self.store.remove(document.sha256)
            return found

    chats = Interrupted(replace(settings, state_dir=tmp_path), encoder)
    chats.read(1, document(KILN))
    read = chats.read(2, document(KILN))
    assert not read.reused and chats.store.has(document(KILN).sha256)
    own = chats.answerer_for(2, answerer)
    assert own is not None and own.answer("How hot did the kiln get?").answered


def test_more_context_finds_a_paragraph_of_an_archive_from_its_tables(
    settings: Settings, tmp_path: Path, encoder: CountingEncoder
) -> None:
    """The default index's paragraph is read from its tables (memory-mapped), without
    making every document of the archive whole."""
    from bot.index import build_index, open_index

    own = replace(settings, index_dir=tmp_path / "archive", state_dir=tmp_path / "state")
    build_index(own, [document(KILN, "kiln.txt"), document(FERRY, "ferry.txt")], encoder)
    default = Answerer(open_index(own), own)
    chats = library(settings, tmp_path / "state", encoder)
    sha = default.index.tables.meta[1]["sha256"][:8]
    found = chats.paragraph(3, f"{sha}:p2s1", default)
    assert found is not None and found[0].title == "Ferry news"
    assert found[1].text.startswith("The ferry to Wexmoor carried 310")
    assert chats.paragraph(3, f"{sha}:p9s1", default) is None
    assert chats.paragraph(3, "0000000f:p1s1", default) is None


def test_only_recent_notes_of_use_are_remembered(
    settings: Settings, tmp_path: Path, encoder: CountingEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.chat_state import Article

    monkeypatch.setattr("bot.chat_library.MAX_TOUCHED", 3)
    now = [1000.0]
    chats = ChatLibrary(replace(settings, state_dir=tmp_path), encoder, clock=lambda: now[0])
    for n in range(5):
        now[0] += 61  # each note is older than TOUCH_EVERY when the next comes
        chats._touch([Article(f"{n:064x}", "s", "t", 1, now[0])])
    assert len(chats._touched) <= 3 and f"{4:064x}" in chats._touched
