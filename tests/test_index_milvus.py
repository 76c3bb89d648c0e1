"""An index whose paragraph vectors live in Milvus (Milvus Lite, in process and as a gRPC
server on 127.0.0.1): built, asked, added to, shared by processes, its old collections
dropped, a lost collection read around, and one-line errors for a Milvus that is not there
or another store than the index was built with."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from langchain_core.embeddings import Embeddings

from bot.core import Answerer
from bot.errors import IndexStoreError
from bot.index import build_index, open_index, read_manifest
from bot.index_load import previous_vectors
from bot.readers import load_documents
from bot.settings import Settings, parse_store
from tests.conftest import CliResult

pytest.importorskip("langchain_milvus", reason="the [milvus] extra is not installed")

from bot.store_milvus import MilvusStore

QUESTION = "How many flights did the Russian jets conduct?"
EXTRA = "# Harbour\n\nThe lighthouse keeper retired in 1990 after forty years.\n"


@pytest.fixture()
def on_milvus(tmp_path: Path, settings: Settings, article_index: object) -> Settings:
    """An index of the article on Milvus Lite; the session index's vectors are reused."""
    own = settings.with_overrides(
        index_dir=tmp_path / "index", store=f"milvus-lite:{tmp_path / 'archive.db'}"
    )
    build_index(own, known=previous_vectors(settings))
    return own


def collections(settings: Settings) -> set[str]:
    from pymilvus import MilvusClient

    return {str(c) for c in MilvusClient(uri=parse_store(settings.store).uri).list_collections()}


class _NoEmbedding(Embeddings):
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        raise AssertionError("nothing is embedded here")

    def embed_query(self, text: str) -> list[float]:
        raise AssertionError("nothing is embedded here")


def test_an_index_on_milvus_answers_as_the_faiss_one_does(
    on_milvus: Settings, answerer: Answerer
) -> None:
    manifest = read_manifest(on_milvus.index_dir)
    assert manifest is not None
    entry = manifest["store"]
    assert entry["kind"] == "milvus-lite" and entry["previous"] is None
    generation = on_milvus.index_dir / manifest["generation"]
    assert not (generation / "paragraphs.faiss").exists()  # the vectors are in Milvus
    assert collections(on_milvus) == {entry["collection"]}
    index = open_index(on_milvus)
    assert isinstance(index.store, MilvusStore) and len(index.store) == 30
    ours, theirs = Answerer(index, on_milvus).answer(QUESTION), answerer.answer(QUESTION)
    assert ours.answered and "20 flights" in ours.text
    assert [c.text for c in ours.citations] == [c.text for c in theirs.citations]


def test_adding_keeps_the_previous_collection_and_drops_the_one_before(
    on_milvus: Settings, tmp_path: Path
) -> None:
    first = read_manifest(on_milvus.index_dir)
    extra = tmp_path / "harbour.md"
    extra.write_text(EXTRA, "utf-8")
    notes: list[str] = []
    build_index(on_milvus, load_documents([extra]), add=True, notify=notes.append)
    second = read_manifest(on_milvus.index_dir)
    assert first is not None and second is not None
    assert "Reused the embeddings of 1 unchanged document(s)." in notes
    assert second["store"]["previous"] == first["store"]["collection"]
    assert collections(on_milvus) == {first["store"]["collection"], second["store"]["collection"]}
    index = open_index(on_milvus)
    answer = Answerer(index, on_milvus.with_overrides(min_confidence=0.0)).answer(
        "When did the lighthouse keeper retire?"
    )
    assert "1990" in answer.text and answer.citations[0].document == "Harbour"
    assert "20 flights" in Answerer(index, on_milvus).answer(QUESTION).text
    extra.write_text(EXTRA.replace("1990", "1991"), "utf-8")
    build_index(on_milvus, load_documents([extra]), add=True)
    third = read_manifest(on_milvus.index_dir)
    assert third is not None
    assert collections(on_milvus) == {second["store"]["collection"], third["store"]["collection"]}


def test_a_lost_collection_is_read_around_with_a_notice(on_milvus: Settings) -> None:
    manifest = read_manifest(on_milvus.index_dir)
    assert manifest is not None
    MilvusStore(
        _NoEmbedding(), parse_store(on_milvus.store), manifest["store"]["collection"]
    ).drop()
    notes: list[str] = []
    index = open_index(on_milvus, notes.append)
    assert any("Milvus collection" in n and "is not in" in n for n in notes), notes
    assert "20 flights" in Answerer(index, on_milvus).answer(QUESTION).text


def test_another_store_than_the_index_was_built_with_is_one_line(on_milvus: Settings) -> None:
    with pytest.raises(IndexStoreError, match="keeps its paragraph vectors in milvus-lite:"):
        open_index(on_milvus.with_overrides(store="faiss"))


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_cli_moves_an_index_to_milvus_adds_and_asks(
    run_cli: Callable[..., CliResult], index_dir: Path, tmp_path: Path
) -> None:
    """`index --add --store milvus-lite:...` over the session's faiss index: the article's
    vectors are reused, the new document embedded, and both are answered from Milvus."""
    own = tmp_path / "index"
    shutil.copytree(index_dir, own)
    extra = tmp_path / "harbour.md"
    extra.write_text(EXTRA, "utf-8")
    store = f"milvus-lite:{tmp_path / 'archive.db'}"
    env = {"ARTICLEBOT_INDEX_DIR": str(own)}
    added = run_cli("index", "--add", str(extra), "--store", store, env=env)
    assert added.returncode == 0, added.stderr
    assert "Reused the embeddings of 1 unchanged document(s)." in added.stderr
    questions = f"{QUESTION}\nWhen did the lighthouse keeper retire?\n"
    asked = run_cli(
        "ask",
        "--json",
        "-",
        "--min-confidence",
        "0",
        stdin=questions,
        env=env | {"ARTICLEBOT_STORE": store},
    )
    assert asked.returncode == 0, asked.stderr
    answers = [json.loads(line) for line in asked.stdout.splitlines()]
    assert "20 flights" in answers[0]["answer"] and "1990" in answers[1]["answer"]
    wrong = run_cli("ask", QUESTION, env=env)
    assert wrong.returncode == 4
    assert wrong.stderr.startswith("error: The index in") and wrong.stderr.count("\n") == 1


def test_the_cli_says_in_one_line_that_milvus_cannot_be_reached(
    run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    store = f"milvus://127.0.0.1:{closed_port()}"
    env = {"ARTICLEBOT_INDEX_DIR": str(tmp_path / "index"), "ARTICLEBOT_STORE_TIMEOUT": "2"}
    done = run_cli("index", "--store", store, env=env)
    assert done.returncode == 4
    assert done.stderr.startswith("error: Cannot connect to the Milvus server at 127.0.0.1:")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert read_manifest(tmp_path / "index") is None  # nothing was switched to
    malformed = run_cli("ask", "--store", "milvus://nowhere", QUESTION, env=env)
    assert malformed.returncode == 2
    assert malformed.stderr == (
        "error: --store milvus://HOST:PORT needs a host and a port, not 'milvus://nowhere'.\n"
    )


@contextmanager
def running_milvus(data: Path) -> Iterator[str]:
    """A real Milvus gRPC server on 127.0.0.1 (Milvus Lite's `server`, in its own process),
    as a deployment's replicas would reach it; yields its store spec, stops it after."""
    port = closed_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "milvus_lite",
            "server",
            "--data-dir",
            str(data),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not _accepts(port):
            assert server.poll() is None and time.monotonic() < deadline, "no Milvus server"
            time.sleep(0.2)
        yield f"milvus://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def _accepts(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_processes_share_one_archive_on_a_milvus_server(
    run_cli: Callable[..., CliResult], index_dir: Path, tmp_path: Path
) -> None:
    """One process indexes into a Milvus server, then two bot processes answer from it at
    once, each over its own connection; with the server gone, asking is one line."""
    own = tmp_path / "index"
    shutil.copytree(index_dir, own)
    extra = tmp_path / "harbour.md"
    extra.write_text(EXTRA, "utf-8")
    with running_milvus(tmp_path / "milvus") as store:
        env = {"ARTICLEBOT_INDEX_DIR": str(own), "ARTICLEBOT_STORE": store}
        added = run_cli("index", "--add", str(extra), env=env)
        assert added.returncode == 0, added.stderr
        manifest = read_manifest(own)
        assert manifest is not None and manifest["store"]["spec"] == store
        questions = [QUESTION, "When did the lighthouse keeper retire?"]
        with ThreadPoolExecutor(max_workers=2) as pool:
            asked = list(pool.map(lambda q: run_cli("ask", "--json", q, env=env), questions))
        assert [a.returncode for a in asked] == [0, 0], [a.stderr for a in asked]
        answers = [json.loads(a.stdout)["answer"] for a in asked]
        assert "20 flights" in answers[0] and "1990" in answers[1]
    gone = run_cli("ask", QUESTION, env=env | {"ARTICLEBOT_STORE_TIMEOUT": "2"})
    assert gone.returncode == 4
    assert gone.stderr.startswith("error: Cannot connect to the Milvus server at 127.0.0.1:")
    assert gone.stderr.count("\n") == 1 and "Traceback" not in gone.stderr
