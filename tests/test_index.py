import json
import shutil
from pathlib import Path

import pytest

from bot.errors import IndexStoreError
from bot.index import FORMAT_VERSION, build_index, open_index, read_manifest
from bot.settings import Settings


@pytest.fixture()
def own_index(
    tmp_path: Path, index_dir: Path, settings: Settings, article_index: object
) -> Settings:
    """A private copy of the session index (and a private article) that a test may damage."""
    target = tmp_path / "index"
    shutil.copytree(index_dir, target)
    article = tmp_path / "article.txt"
    shutil.copy(settings.article, article)
    manifest = json.loads((target / "manifest.json").read_text())
    manifest["source"] = str(article)
    (target / "manifest.json").write_text(json.dumps(manifest))
    return Settings(index_dir=target, article=article)


def test_manifest_records_model_dimension_article_and_version(
    index_dir: Path, article_index: object
) -> None:
    manifest = read_manifest(index_dir)
    assert manifest is not None
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["model"] == "all-MiniLM-L6-v2"
    assert manifest["dimension"] == 384
    assert len(manifest["article_sha256"]) == 64
    assert not list(index_dir.glob("*.pkl"))


def test_a_current_index_loads_without_rebuilding(own_index: Settings) -> None:
    notes: list[str] = []
    index = open_index(own_index, notes.append)
    assert notes == []
    assert len(index.document.sentences) == index.sentence_vectors.shape[0]


def test_a_changed_article_is_reindexed(own_index: Settings) -> None:
    own_index.article.write_text(
        "A new headline\n\nSomething else happened today in Paris.\n", "utf-8"
    )
    notes: list[str] = []
    index = open_index(own_index, notes.append)
    assert any("has changed" in n for n in notes)
    assert index.document.title == "A new headline"


def test_another_model_triggers_a_rebuild(own_index: Settings) -> None:
    path = own_index.index_dir / "manifest.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "model": "some-other-model"}))
    notes: list[str] = []
    open_index(own_index, notes.append)
    assert any("built with model" in n for n in notes)
    assert json.loads(path.read_text())["model"] == "all-MiniLM-L6-v2"


@pytest.mark.parametrize(
    "victim", ["paragraphs.faiss", "sentences.npy", "manifest.json", "query_encoder/model.onnx"]
)
def test_damaged_files_are_reported_and_rebuilt(own_index: Settings, victim: str) -> None:
    path = own_index.index_dir / victim
    path.write_bytes(path.read_bytes()[: max(1, path.stat().st_size // 3)])
    notes: list[str] = []
    index = open_index(own_index, notes.append)
    assert any("damaged" in n for n in notes)
    assert index.store.similarity_search("Carter", k=1)


def test_an_index_path_that_is_a_file_is_a_clear_error(tmp_path: Path, settings: Settings) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(IndexStoreError, match="not a directory"):
        open_index(Settings(index_dir=blocker, article=settings.article))
    with pytest.raises(IndexStoreError):
        build_index(Settings(index_dir=blocker / "sub", article=settings.article))
