from pathlib import Path

import pytest
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_tests.integration_tests import VectorStoreIntegrationTests

from bot.errors import IndexCorruptError
from bot.store import FaissStore


class TestFaissStoreStandard(VectorStoreIntegrationTests):
    """LangChain's own standard suite, sync and async."""

    @pytest.fixture()
    def vectorstore(self) -> FaissStore:
        return FaissStore(self.get_embeddings())


@pytest.fixture()
def store() -> FaissStore:
    store = FaissStore(DeterministicFakeEmbedding(size=8))
    store.add_documents(
        [
            Document(page_content=t, metadata={"n": i})
            for i, t in enumerate(["alpha", "beta", "gamma"])
        ],
        ids=["a", "b", "c"],
    )
    return store


def test_round_trip_without_pickle(tmp_path: Path, store: FaissStore) -> None:
    written = store.save(tmp_path)
    assert {p.suffix for p in written} == {".faiss", ".json"}
    assert not any(b"pickle" in p.read_bytes()[:64] for p in written)
    loaded = FaissStore.load(tmp_path, store.embeddings)
    assert loaded.similarity_search("beta", k=1) == store.similarity_search("beta", k=1)
    assert loaded.get_by_ids(["c", "a"]) == store.get_by_ids(["c", "a"])
    loaded.add_texts(["delta"], ids=["d"])  # ids keep counting after a load
    assert {d.id for d in loaded.similarity_search("delta", k=4)} == {"a", "b", "c", "d"}


def test_scores_are_cosine_similarities(store: FaissStore) -> None:
    (doc, score), *_ = store.similarity_search_with_score("gamma", k=3)
    assert doc.id == "c"
    assert score == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("damage", ["truncate_faiss", "bad_json", "count_mismatch"])
def test_damaged_files_raise_a_clear_error(tmp_path: Path, store: FaissStore, damage: str) -> None:
    store.save(tmp_path)
    faiss_file, json_file = tmp_path / "paragraphs.faiss", tmp_path / "paragraphs.json"
    if damage == "truncate_faiss":
        faiss_file.write_bytes(faiss_file.read_bytes()[:40])
    elif damage == "bad_json":
        json_file.write_text("{not json", "utf-8")
    else:
        json_file.write_text('{"records": []}', "utf-8")
    with pytest.raises(IndexCorruptError, match="damaged"):
        FaissStore.load(tmp_path, store.embeddings)
