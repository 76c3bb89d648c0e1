"""Never lose a document: concurrent writers, damaged manifests, vanished generations, full
disks and cut exports, against real processes and real files."""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.fetch import FetchPolicy
from bot.index import build_index, open_index, read_manifest
from bot.readers import load_documents
from bot.settings import PROJECT_ROOT, Settings

Done = subprocess.CompletedProcess[str]


def cli(*args: str, index_dir: Path, file_size_limit: int | None = None, wait: bool = True) -> Any:
    """`python -m bot ARGS` on `index_dir`; with `file_size_limit`, every file it writes is
    capped at that many bytes, as a full disk would (EFBIG: "File too large")."""

    def limit() -> None:
        if file_size_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))

    command = [sys.executable, "-m", "bot", *args, "--index-dir", str(index_dir)]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=PROJECT_ROOT,
        env=os.environ,
        preexec_fn=limit,
    )
    if not wait:
        return process
    stdout, stderr = process.communicate(timeout=300)
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def one_line_error(result: Done, code: int) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and result.stderr.rstrip().endswith(errors[0]), result.stderr


@pytest.fixture()
def with_url(
    tmp_path: Path, settings: Settings, page_server: Any, index_dir: Path, article_index: Any
) -> Settings:
    """An index of the article and a page fetched from 127.0.0.1: a page that only the
    index's own files can give back."""
    own = settings.with_overrides(index_dir=tmp_path / "index")
    policy = FetchPolicy(allow_private=True)
    build_index(own, load_documents([settings.article, page_server.url("/article.html")], policy))
    return own


def test_two_adds_at_once_both_land(tmp_path: Path, index_dir: Path, article_index: Any) -> None:
    own = tmp_path / "index"
    shutil.copytree(index_dir, own)
    files = []
    for name, text in (("alpha", "The alpha team won the cup."), ("beta", "The beta band toured.")):
        path = tmp_path / f"{name}.txt"
        path.write_text(f"{name.title()} news\n\n{text}\n", "utf-8")
        files.append(path)
    running = [cli("index", "--add", str(path), index_dir=own, wait=False) for path in files]
    for process in running:
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr
    listed = cli("sources", "--json", index_dir=own)
    titles = [json.loads(line)["title"] for line in listed.stdout.splitlines()]
    assert len(titles) == 3 and {"Alpha news", "Beta news"} <= set(titles), titles


def test_a_truncated_manifest_is_read_from_the_generation_and_left_alone(
    with_url: Settings, page_server: Any
) -> None:
    manifest = with_url.index_dir / "manifest.json"
    manifest.write_bytes(manifest.read_bytes()[:100])
    damaged = manifest.read_bytes()
    listed = cli("sources", "--json", index_dir=with_url.index_dir)
    assert listed.returncode == 0, listed.stderr
    sources = [json.loads(line)["source"] for line in listed.stdout.splitlines()]
    assert sources == [str(with_url.article), page_server.url("/article.html")]
    assert "damaged" in listed.stderr and "Traceback" not in listed.stderr
    asked = cli("ask", "--json", "How many steel cables?", index_dir=with_url.index_dir)
    assert "240 steel cables" in json.loads(asked.stdout)["citations"][0]["text"]
    assert manifest.read_bytes() == damaged  # read-only commands never rewrite the index


@pytest.mark.parametrize(
    "change",
    [
        {"files": []},
        {"dimension": None},
        {"documents": ["x"]},
        {"generation": "../../elsewhere"},
        {"generation": "/etc"},
        {"files": {"../../etc/passwd": 1}},
    ],
)
def test_a_malformed_manifest_is_damaged_not_followed(
    with_url: Settings, change: dict[str, Any]
) -> None:
    path = with_url.index_dir / "manifest.json"
    manifest = {**json.loads(path.read_text()), **change}
    path.write_text(json.dumps({k: v for k, v in manifest.items() if v is not None}))
    notes: list[str] = []
    index = open_index(with_url, notes.append)
    assert len(index.documents) == 2 and any("damaged" in n for n in notes)


def test_a_vanished_generation_is_an_error_not_a_loss(with_url: Settings) -> None:
    manifest = read_manifest(with_url.index_dir)
    assert manifest is not None
    shutil.rmtree(with_url.index_dir / manifest["generation"])
    before = (with_url.index_dir / "manifest.json").read_bytes()
    listed = cli("sources", index_dir=with_url.index_dir)
    one_line_error(listed, 4)
    assert "http://127.0.0.1" in listed.stderr and "again" in listed.stderr
    assert (with_url.index_dir / "manifest.json").read_bytes() == before
    added = cli("index", "--add", "data/article.txt", index_dir=with_url.index_dir)
    one_line_error(added, 4)  # --add would drop the page: it says so and writes nothing
    assert (with_url.index_dir / "manifest.json").read_bytes() == before


def test_a_generation_replaced_while_reading_is_followed(with_url: Settings) -> None:
    """A reader that read the manifest just before a build switched generations finds its
    generation gone; it reads the new one and loses nothing."""
    old = read_manifest(with_url.index_dir)
    assert old is not None
    build_index(with_url, reuse=True, add=True)  # a writer switches generations
    notes: list[str] = []
    stale = with_url.with_overrides()
    (with_url.index_dir / "manifest.json").write_text(json.dumps(old))  # as the reader saw it
    index = open_index(stale, notes.append)
    assert len(index.documents) == 2


def test_a_full_disk_is_one_line_and_the_old_index_stays(with_url: Settings) -> None:
    before = (with_url.index_dir / "manifest.json").read_bytes()
    result = cli(
        "index", "--add", "data/article.txt", index_dir=with_url.index_dir, file_size_limit=4096
    )
    one_line_error(result, 4)
    assert "File too large" in result.stderr
    assert (with_url.index_dir / "manifest.json").read_bytes() == before
    assert len(list(with_url.index_dir.glob("gen-*"))) == 1  # the failed build left nothing
    assert cli("sources", index_dir=with_url.index_dir).returncode == 0


def test_an_export_cut_short_is_not_stamped_and_is_tried_again(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = settings.with_overrides(index_dir=tmp_path / "index", cache_dir=tmp_path / "cache")
    monkeypatch.setenv("ARTICLEBOT_CACHE_DIR", str(own.cache_dir))
    first = cli("index", index_dir=own.index_dir, file_size_limit=8 * 2**20)
    assert first.returncode == 0, first.stderr  # the index itself is small enough
    manifest = read_manifest(own.index_dir)
    assert manifest is not None and manifest["encoder"] is None
    assert not list(own.cache_dir.glob("encoders/*/model.json"))
    build_index(own)
    manifest = read_manifest(own.index_dir)
    assert manifest is not None and (own.cache_dir / "encoders" / manifest["encoder"]).is_dir()


def test_indexes_of_one_model_share_one_encoder(tmp_path: Path, settings: Settings) -> None:
    """The export lives once per model in the cache, not in every index."""
    for name in ("one", "two"):
        build_index(settings.with_overrides(index_dir=tmp_path / name))
    digests = {read_manifest(tmp_path / n)["encoder"] for n in ("one", "two")}  # type: ignore[index]
    assert len(digests) == 1 and None not in digests
    assert list(settings.cache_dir.glob("encoders/*/model.onnx"))
    assert not list(tmp_path.rglob("*.onnx"))


def test_a_document_that_cannot_be_recovered_is_one_line_not_a_promise_then_an_error(
    tmp_path: Path, index_dir: Path, article_index: Any
) -> None:
    source = tmp_path / "gone.txt"
    source.write_text("Town news\n\nThe mayor of Springfield is Joe Quimby.\n", "utf-8")
    own = tmp_path / "index"
    assert cli("index", str(source), index_dir=own).returncode == 0
    for tables in own.glob("gen-*/tables.bin"):
        tables.unlink()
    source.unlink()
    result = cli("ask", "Who is the mayor?", index_dir=own)
    assert result.returncode == 4
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "cannot give back" in result.stderr and "rebuilt in memory" not in result.stderr
