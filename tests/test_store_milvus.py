"""The Milvus store behind the same VectorStore interface: LangChain's standard suite on
Milvus Lite, and one-line errors for a server that is not there or does not answer."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_tests.integration_tests import VectorStoreIntegrationTests

from bot.errors import StoreError
from bot.settings import parse_store

pytest.importorskip("langchain_milvus", reason="the [milvus] extra is not installed")

from bot.store_milvus import MilvusStore


@pytest.fixture(scope="module")
def lite_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One Milvus Lite file for the module (it serves one process), a collection per test."""
    return f"milvus-lite:{tmp_path_factory.mktemp('milvus') / 'store.db'}"


class TestMilvusStoreStandard(VectorStoreIntegrationTests):
    """LangChain's own standard suite, sync and async, on Milvus Lite."""

    @pytest.fixture()
    def vectorstore(self, lite_db: str) -> Iterator[MilvusStore]:
        store = MilvusStore(
            self.get_embeddings(), parse_store(lite_db), f"t_{uuid.uuid4().hex}", timeout=10
        )
        yield store
        store.drop()


def test_scores_are_cosine_similarities(lite_db: str) -> None:
    store = MilvusStore(DeterministicFakeEmbedding(size=8), parse_store(lite_db), "cosine")
    store.add_texts(["alpha", "beta", "gamma"], [{"n": i} for i in range(3)], ids=["a", "b", "c"])
    (doc, score), *_ = store.similarity_search_with_score("gamma", k=3)
    assert (doc.id, doc.page_content, doc.metadata) == ("c", "gamma", {"n": 2})
    assert score == pytest.approx(1.0, abs=1e-5)
    assert len(store) == 3
    store.drop()
    assert len(store) == 0 and store.similarity_search("gamma") == []


def test_a_closed_port_is_one_line_naming_the_server() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    spec = parse_store(f"milvus://127.0.0.1:{port}")
    with pytest.raises(
        StoreError, match=rf"Cannot connect to the Milvus server at 127\.0\.0\.1:{port}"
    ) as caught:
        MilvusStore(DeterministicFakeEmbedding(size=8), spec, "c", timeout=2)
    assert "\n" not in caught.value.message


def test_a_server_that_never_answers_times_out_in_bounded_time() -> None:
    """A listener that accepts and stays silent: the wait ends at the time-out."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    threading.Thread(target=lambda: held.append(listener.accept()[0]), daemon=True).start()
    port = listener.getsockname()[1]
    started = time.monotonic()
    try:
        with pytest.raises(StoreError, match=r"waited at most 1 s"):
            MilvusStore(
                DeterministicFakeEmbedding(size=8),
                parse_store(f"milvus://127.0.0.1:{port}"),
                "c",
                timeout=1,
            )
    finally:
        listener.close()
        for connection in held:
            connection.close()
    assert time.monotonic() - started < 10


def test_a_milvus_lite_file_another_process_holds_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "held.db"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pymilvus import MilvusClient; "
            f"c = MilvusClient(uri={str(path)!r}); print('held', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(StoreError, match="another process may hold it") as caught:
            MilvusStore(DeterministicFakeEmbedding(size=8), parse_store(f"milvus-lite:{path}"), "c")
        assert caught.value.message.startswith(f"Cannot connect to the Milvus Lite file {path}")
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)


def test_a_collection_dropped_under_a_running_store_is_an_error_not_silence(
    lite_db: str,
) -> None:
    embedding = DeterministicFakeEmbedding(size=8)
    store = MilvusStore(embedding, parse_store(lite_db), "dropped")
    store.add_texts(["alpha"], ids=["a"])
    assert [d.id for d in store.similarity_search("alpha", k=1)] == ["a"]
    MilvusStore(embedding, parse_store(lite_db), "dropped").drop()  # another process, say
    with pytest.raises(StoreError, match=r"^Cannot search the Milvus Lite file .*store\.db: "):
        store.similarity_search("alpha", k=1)


def test_a_failed_call_prints_no_traceback(tmp_path: Path) -> None:
    """pymilvus logs every failed call with a traceback through a handler of its own."""
    code = (
        "from langchain_core.embeddings import DeterministicFakeEmbedding as E; "
        "from bot.errors import StoreError; from bot.settings import parse_store; "
        "from bot.store_milvus import MilvusStore; "
        f"spec = parse_store('milvus-lite:{tmp_path / 'x.db'}'); "
        "s = MilvusStore(E(size=8), spec, 'x'); s.add_texts(['a'], ids=['a']); "
        "MilvusStore(E(size=8), spec, 'x').drop()\n"
        "try: s.similarity_search('a')\n"
        "except StoreError as e: print(e)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert "collection 'x' does not exist" in done.stdout
    assert "Traceback" not in done.stderr and "ERROR" not in done.stderr, done.stderr


def test_without_the_extra_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "langchain_milvus", None)  # as if not installed
    with pytest.raises(StoreError, match=r"pip install 'articlebot\[milvus\]'"):
        MilvusStore(DeterministicFakeEmbedding(size=8), parse_store("milvus://127.0.0.1:1"), "c")
