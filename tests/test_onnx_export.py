"""The shared encoder cache: an export is found by the model's hash, and only when whole."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from bot.onnx_export import cached_encoder, encoder_directory, ensure_query_encoder, model_hash


class FakeModel:
    """What model_hash reads of an encoder: the name of a local model directory."""

    def __init__(self, directory: Path) -> None:
        self.model_name = str(directory)


def model_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "model"
    (directory / "onnx").mkdir(parents=True)
    (directory / "model.safetensors").write_bytes(b"weights")
    (directory / "config.json").write_text("{}")
    (directory / "onnx" / "model.onnx").write_bytes(b"someone else's export")
    return directory


def test_the_hash_follows_the_model_files_only(tmp_path: Path) -> None:
    directory = model_dir(tmp_path)
    fake: Any = FakeModel(directory)
    first = model_hash(fake)
    assert model_hash(fake) == first and len(first) == 24
    (directory / "onnx" / "model.onnx").write_bytes(b"another export shipped beside")
    assert model_hash(fake) == first  # exports shipped with the weights are not the model
    (directory / "model.safetensors").write_bytes(b"weights, fine-tuned")
    assert model_hash(fake) != first


def whole_export(cache: Path, digest: str) -> Path:
    target = encoder_directory(cache, digest)
    target.mkdir(parents=True)
    for name, data in (("model.onnx", b"onnx"), ("tokenizer.json", b"{}"), ("encoder.json", b"{}")):
        (target / name).write_bytes(data)
    sizes = {p.name: p.stat().st_size for p in sorted(target.glob("*"))}
    (target / "model.json").write_text(json.dumps({"model": "m", "sizes": sizes, "ok": True}))
    return target


def test_only_a_whole_stamped_export_is_found(tmp_path: Path) -> None:
    target = whole_export(tmp_path, "abc")
    assert cached_encoder(tmp_path, "abc") == target
    assert cached_encoder(tmp_path, None) is None
    assert cached_encoder(tmp_path, "another") is None
    (target / "model.onnx").write_bytes(b"on")  # cut short
    assert cached_encoder(tmp_path, "abc") is None


def test_an_unstamped_export_is_not_found(tmp_path: Path) -> None:
    target = whole_export(tmp_path, "abc")
    (target / "model.json").unlink()  # an export cut short before its stamp
    assert cached_encoder(tmp_path, "abc") is None


def test_trainings_started_together_each_link_the_cached_encoder(tmp_path: Path) -> None:
    fake: Any = FakeModel(model_dir(tmp_path))
    target = whole_export(tmp_path / "cache", model_hash(fake))
    start = threading.Barrier(8)
    failures: list[BaseException] = []

    def link() -> None:
        start.wait(timeout=10)
        try:
            for _ in range(20):
                assert ensure_query_encoder(fake, tmp_path / "cache", "m")
        except BaseException as error:  # a thread's failure, reported below
            failures.append(error)

    threads = [threading.Thread(target=link) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures
    assert (tmp_path / "cache" / "query_encoder").resolve() == target.resolve()
    assert not list((tmp_path / "cache").glob(".query_encoder*"))  # no staged link left
