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


def test_a_loaded_store_names_rows_as_its_documents_come(tmp_path: Path, store: FaissStore) -> None:
    store.save(tmp_path)
    assert store.nearest_rows(store.embeddings.embed_query("beta"), k=2) is None  # in memory
    loaded = FaissStore.load(tmp_path, store.embeddings)
    vector = store.embeddings.embed_query("beta")
    rows = loaded.nearest_rows(vector, k=3)
    hits = loaded.similarity_search_with_score_by_vector(vector, k=3)
    assert rows is not None
    assert [("abc"[row], score) for row, score in rows] == [(d.id, s) for d, s in hits]


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


def test_a_large_store_is_saved_as_an_inverted_file_that_finds_the_same_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import faiss

    monkeypatch.setattr("bot.store.APPROXIMATE_FROM", 200)
    monkeypatch.setattr("bot.store.PROBED", 0.035)  # 4 of 113 lists: a real approximation
    texts = [f"record number {n}" for n in range(800)]
    store = FaissStore(DeterministicFakeEmbedding(size=32))
    store.add_texts(texts, ids=[str(n) for n in range(800)])
    store.save(tmp_path)
    saved = faiss.read_index(str(tmp_path / "paragraphs.faiss"))
    assert isinstance(saved, faiss.IndexIVFFlat) and saved.nprobe == 4 and saved.nlist == 113
    loaded = FaissStore.load(tmp_path, store.embeddings)
    for n in (0, 317, 799):  # a record's own vector lies in the list probed first
        (doc, score), *_ = loaded.similarity_search_with_score(texts[n], k=3)
        assert doc.id == str(n) and score == pytest.approx(1.0, abs=1e-5)
    assert len(loaded.similarity_search("record number 5", k=8)) == 8
    loaded.add_texts(["one more"], ids=["new"])  # a change copies the rows out of the lists
    assert [d.id for d in loaded.similarity_search("record number 12", k=1)] == ["12"]
    assert loaded.similarity_search("one more", k=1)[0].id == "new"


def test_a_small_store_stays_exact(tmp_path: Path, store: FaissStore) -> None:
    import faiss

    store.save(tmp_path)
    assert isinstance(faiss.read_index(str(tmp_path / "paragraphs.faiss")), faiss.IndexFlatIP)
