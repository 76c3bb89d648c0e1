import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from bot.errors import IndexCorruptError, IndexFormatError, IndexStoreError
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
    manifest["documents"][0]["source"] = str(article)
    (target / "manifest.json").write_text(json.dumps(manifest))
    return settings.with_overrides(index_dir=target, article=article)


def test_manifest_records_model_dimension_article_and_version(
    index_dir: Path, article_index: object
) -> None:
    manifest = read_manifest(index_dir)
    assert manifest is not None
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["model"] == "all-MiniLM-L6-v2"
    assert manifest["dimension"] == 384
    (entry,) = manifest["documents"]
    assert len(entry["sha256"]) == 64 and entry["local"]
    assert entry["title"] == "US defence chief says Russia ‘probably’ not targeting ISIS"
    assert (index_dir / manifest["generation"] / "documents.json").is_file()
    assert not list(index_dir.rglob("*.pkl"))


def test_a_current_index_loads_without_rebuilding(own_index: Settings) -> None:
    notes: list[str] = []
    index = open_index(own_index, notes.append)
    assert notes == []
    assert len(index.document.sentences) == index.sentence_vectors.shape[0]


def snapshot(directory: Path) -> dict[str, tuple[int, int]]:
    """Every file under `directory` with its size and modification time."""
    return {
        str(p.relative_to(directory)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in directory.rglob("*")
        if p.is_file() and p.name != ".lock"
    }


def test_a_changed_article_is_answered_as_it_is_now_without_writing(own_index: Settings) -> None:
    own_index.article.write_text(
        "A new headline\n\nSomething else happened today in Paris.\n", "utf-8"
    )
    before = snapshot(own_index.index_dir)
    notes: list[str] = []
    index = open_index(own_index, notes.append)
    assert any("has changed" in n and "articlebot index" in n for n in notes)
    assert index.document.title == "A new headline"
    assert snapshot(own_index.index_dir) == before  # reading never writes


def test_an_index_of_an_older_format_is_one_line_saying_to_rebuild(own_index: Settings) -> None:
    path = own_index.index_dir / "manifest.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "format_version": 3}))
    before = snapshot(own_index.index_dir)
    with pytest.raises(IndexFormatError, match=r"older articlebot \(format 3;.*rebuild") as error:
        open_index(own_index)
    assert "\n" not in error.value.message
    with pytest.raises(IndexFormatError):
        build_index(own_index, add=True)  # what it held cannot be read back: rebuild
    assert snapshot(own_index.index_dir) == before
    build_index(own_index)  # a build from the sources is what rewrites it
    assert open_index(own_index).manifest["format_version"] == FORMAT_VERSION


def test_another_model_is_rebuilt_in_memory_and_the_index_left_alone(
    own_index: Settings,
) -> None:
    path = own_index.index_dir / "manifest.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "model": "some-other-model"}))
    before = snapshot(own_index.index_dir)
    notes: list[str] = []
    index = open_index(own_index, notes.append)
    assert any("built with model" in n for n in notes)
    assert index.store.similarity_search("Carter", k=1)
    assert snapshot(own_index.index_dir) == before
    build_index(own_index)  # a build is what rewrites it
    assert json.loads(path.read_text())["model"] == "all-MiniLM-L6-v2"


@pytest.mark.parametrize(
    "victim",
    ["GEN/paragraphs.faiss", "GEN/tables.bin", "manifest.json", "CACHE/model.onnx"],
)
def test_damaged_files_are_reported_and_read_around_in_memory(
    own_index: Settings, victim: str, tmp_path: Path
) -> None:
    manifest = read_manifest(own_index.index_dir)
    assert manifest is not None
    if victim.startswith("CACHE"):  # a private copy of the encoder cache, damaged
        shutil.copytree(own_index.cache_dir, tmp_path / "cache")
        own_index = own_index.with_overrides(cache_dir=tmp_path / "cache")
        victim = victim.replace("CACHE", f"../cache/encoders/{manifest['encoder']}")
    path = own_index.index_dir / victim.replace("GEN", manifest["generation"])
    path.write_bytes(path.read_bytes()[: max(1, path.stat().st_size // 3)])
    before = snapshot(own_index.index_dir)
    notes: list[str] = []
    index = open_index(own_index, notes.append)
    assert any("damaged" in n for n in notes)
    assert index.store.similarity_search("Carter", k=1)
    assert snapshot(own_index.index_dir) == before


@pytest.mark.parametrize("array", ["token_offsets", "par_sentences", "sen_bytes", "post_offsets"])
def test_an_offset_damaged_in_place_is_found_at_load(own_index: Settings, array: str) -> None:
    """Same size, one entry wrong: the sizes agree, the offsets do not (a question read
    through it and died with a traceback)."""
    manifest = read_manifest(own_index.index_dir)
    assert manifest is not None
    path = own_index.index_dir / manifest["generation"] / "tables.bin"
    data = bytearray(path.read_bytes())
    length = int.from_bytes(data[4:12], "little")
    entry = json.loads(data[12 : 12 + length])[array]
    at = -(-(12 + length) // 64) * 64 + entry["offset"] + 16  # its third number
    data[at : at + 8] = (10**12).to_bytes(8, "little", signed=True)
    path.write_bytes(bytes(data))
    notes: list[str] = []
    index = open_index(own_index, notes.append)
    assert any("damaged (offsets out of order)" in n for n in notes)
    assert index.store.similarity_search("Carter", k=1)


def test_an_index_path_that_is_a_file_is_a_clear_error(tmp_path: Path, settings: Settings) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(IndexStoreError, match="not a directory"):
        open_index(settings.with_overrides(index_dir=blocker))
    with pytest.raises(IndexStoreError):
        build_index(settings.with_overrides(index_dir=blocker / "sub"))


@pytest.fixture(scope="module")
def library(
    tmp_path_factory: pytest.TempPathFactory, debian_docs: tuple[Path, Path], settings: Settings
) -> Settings:
    """An index of the article and both Debian documents."""
    from bot.readers import load_documents

    own = settings.with_overrides(index_dir=tmp_path_factory.mktemp("library"))
    build_index(own, load_documents([settings.article, *debian_docs]))
    return own


@pytest.mark.parametrize(
    ("question", "title", "evidence"),
    [
        ("Who founded Debian?", "Chapter 2. Leadership", "Ian Murdock founded Debian"),
        ("Who led Debian from April 2010?", "Chapter 2. Leadership", "Stefano Zacchiroli"),
        (
            "Will Debian hide problems in its bug report database?",
            "social contract",
            "bug report database open",
        ),
        ("How many flights did the Russian jets conduct?", "US defence chief", "20 flights"),
    ],
)
def test_each_question_is_answered_from_the_right_document(
    library: Settings, question: str, title: str, evidence: str
) -> None:
    from bot.core import Answerer

    index = open_index(library)
    assert len(index.documents) == 3
    # the routing to a document is under test here, not the refusal bar
    answer = Answerer(index, library.with_overrides(min_confidence=0.0)).answer(question)
    assert answer.answered, answer.closest
    assert evidence in " ".join(c.text for c in answer.citations)
    top = next(c for c in answer.citations if evidence in c.text)
    assert top.document.startswith(title)
    document = next(d for d in index.documents if d.title == top.document)
    assert top.source == document.source
    assert any(s.text == top.text and s.paragraph == top.paragraph for s in document.sentences)


def test_a_question_can_be_limited_to_one_document(library: Settings) -> None:
    from bot.core import Answerer
    from bot.errors import InputError

    answerer = Answerer(open_index(library), library)
    answer = answerer.answer("Who founded Debian?", source="social-contract")
    assert all(c.document == "social contract" for c in answer.citations + answer.closest)
    with pytest.raises(InputError, match="No indexed document matches"):
        answerer.answer("Who founded Debian?", source="nonexistent")
    with pytest.raises(InputError, match="matches several"):
        answerer.answer("Who founded Debian?", source="/usr/share/doc/")


def test_reindexing_embeds_only_what_changed(library: Settings, tmp_path: Path) -> None:
    from bot.index import indexed_documents
    from bot.readers import load_documents, merge_documents

    notes: list[str] = []
    extra = tmp_path / "extra.md"
    extra.write_text("# Extra\n\nThe lighthouse keeper retired in 1990.\n", "utf-8")
    documents = merge_documents(indexed_documents(library), load_documents([extra]))
    before = read_manifest(library.index_dir)
    index = build_index(library, documents, notify=notes.append)
    assert "Reused the embeddings of 3 unchanged document(s)." in notes
    assert [d.title for d in index.documents][-1] == "Extra"
    after = read_manifest(library.index_dir)
    assert before is not None and after is not None
    assert after["generation"] != before["generation"]
    assert not (library.index_dir / before["generation"]).exists()  # the old one is gone
    reloaded = open_index(library)
    assert np.allclose(
        reloaded.sentence_vectors[: len(index.documents[0].sentences)],
        index.sentence_vectors[: len(index.documents[0].sentences)],
    )


@pytest.mark.parametrize(
    ("which", "question", "evidence"),
    [
        (0, "What will Debian never make the system require?", "non-free component"),
        (1, "Who led Debian from April 2017 until April 2019?", "Chris Lamb"),
    ],
)
def test_each_debian_document_alone(
    tmp_path: Path,
    debian_docs: tuple[Path, Path],
    settings: Settings,
    which: int,
    question: str,
    evidence: str,
) -> None:
    from bot.core import Answerer
    from bot.readers import load_documents

    own = settings.with_overrides(index_dir=tmp_path / "alone")
    index = build_index(own, load_documents([debian_docs[which]]))
    answer = Answerer(index, own).answer(question)
    assert answer.answered and evidence in answer.citations[0].text
    assert {c.source for c in answer.citations} == {str(debian_docs[which])}
    refusal = Answerer(index, own).answer("How many flights did the Russian jets conduct?")
    assert not refusal.answered


def test_two_builds_at_once_leave_one_whole_index(tmp_path: Path, settings: Settings) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from bot.readers import load_documents

    own = settings.with_overrides(index_dir=tmp_path / "race")
    first = tmp_path / "a.txt"
    first.write_text("Alpha news\n\nThe alpha team won the cup on Sunday.\n", "utf-8")
    second = tmp_path / "b.txt"
    second.write_text("Beta news\n\nThe beta team lost the final on Monday.\n", "utf-8")
    with ThreadPoolExecutor(2) as pool:
        builds = [
            pool.submit(build_index, own, load_documents([path]), reuse=False)
            for path in (first, second)
        ]
        titles = {future.result().document.title for future in builds}
    assert titles == {"Alpha news", "Beta news"}
    notes: list[str] = []
    index = open_index(own, notes.append)
    assert notes == [] and index.document.title in titles
    assert len(list(own.index_dir.glob("gen-*"))) == 1


def test_documents_embedded_together_get_their_own_vectors(tmp_path: Path) -> None:
    """One pass over several documents' paragraphs gives each what it gets alone."""
    from bot.embeddings import SentenceTransformerEncoder
    from bot.index import embed_document, embed_documents
    from bot.readers import load_documents

    texts = ["Alpha news\n\nThe alpha team won.\n", "Beta news\n\nBeta lost. Fans wept.\n\nNo.\n"]
    for number, text in enumerate(texts):
        (tmp_path / f"{number}.txt").write_text(text, "utf-8")
    documents = load_documents([tmp_path / "0.txt", tmp_path / "1.txt"])
    encoder = SentenceTransformerEncoder("all-MiniLM-L6-v2")
    for together, document in zip(embed_documents(encoder, documents), documents, strict=True):
        alone = embed_document(encoder, document)
        for name in ("paragraphs", "sentences", "tokens"):
            np.testing.assert_allclose(getattr(together, name), getattr(alone, name), atol=1e-3)
        np.testing.assert_array_equal(together.token_ids, alone.token_ids)
        np.testing.assert_array_equal(together.token_counts, alone.token_counts)


@pytest.mark.parametrize(
    ("victim", "was", "now"),
    [
        ("tables.bin", b"Khoja, the head", b"Putin, the head"),
        ("documents.json", b"defence", b"offence"),
    ],
)
def test_a_byte_changed_in_the_stored_text_or_title_is_never_quoted(
    own_index: Settings, victim: str, was: bytes, now: bytes
) -> None:
    """Same size, valid JSON and arrays: only the words differ, and a citation would have
    put them in the article's mouth ("Putin, the head of the Syrian National Coalition")."""
    manifest = read_manifest(own_index.index_dir)
    assert manifest is not None
    path = own_index.index_dir / manifest["generation"] / victim
    data = path.read_bytes()
    assert data.count(was) == 1
    path.write_bytes(data.replace(was, now))
    index = open_index(own_index)
    with pytest.raises(IndexCorruptError, match="does not read as it was written"):
        index.tables.sentence(0)
    with pytest.raises(IndexCorruptError):
        index.tables.document(0)


def test_an_intact_index_reads_as_written(own_index: Settings) -> None:
    index = open_index(own_index)
    assert index.tables.meta[0]["digest"] == index.tables.digest(0)
    assert "Khoja, the head" in index.tables.document(0).text
