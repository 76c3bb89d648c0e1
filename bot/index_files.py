"""The files of an index on disk: the lock, the manifest, and complete generations.

A generation is written whole beside the live one, every file flushed to disk (fsync), then
described by its own `generation.json`, and only then does an atomic rename of the manifest
switch to it. So a crash or a full disk leaves either the old index or the new one, and a
damaged manifest can be recovered from the newest generation that describes itself.

Nothing read from disk is trusted: a manifest of the wrong shape, or one that names a path
outside the index directory, is damaged, not followed.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bot.errors import IndexCorruptError, IndexStoreError

FORMAT_VERSION = 6  # 6: int8 token vectors, float16 sentence and paragraph vectors
MANIFEST = "manifest.json"
GENERATION = "generation.json"  # in each generation: its own manifest, written last
DATA_FILES = ("documents.json", "paragraphs.faiss", "tables.bin")
_OURS_AT_TOP = frozenset({".lock", "README.md"})  # index/README.md is tracked
_OURS_HIDDEN = (".probe-", f".{MANIFEST}.")  # a write check; a manifest being switched to
_OURS_IN_GENERATION = frozenset({GENERATION, *DATA_FILES})
_GENERATION_NAME = re.compile(r"gen-[A-Za-z0-9_]{0,64}")
# the only paths a manifest may list: a generation's files
_LISTED = re.compile(r"gen-[A-Za-z0-9_]{1,64}/[A-Za-z0-9_.]{1,64}")


@contextmanager
def index_lock(directory: Path) -> Iterator[None]:
    """An exclusive lock on index/.lock: one writer at a time, from reading what is indexed
    to switching to what replaces it. Readers never wait."""
    with disk_errors(directory), open(directory / ".lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def disk_errors(directory: Path) -> Iterator[None]:
    """A full disk, a file too large, a read-only file system: one line, not a traceback."""
    try:
        yield
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise IndexStoreError(f"Cannot write the index in {directory} ({reason}).") from None
    except RuntimeError as error:  # faiss reports a failed write so
        reason = (str(error).strip().splitlines() or ["a failed write"])[-1]
        raise IndexStoreError(f"Cannot write the index in {directory} ({reason}).") from None


def read_manifest(directory: Path) -> dict[str, Any] | None:
    """The manifest, None when there is no index yet; raises when it can't be used."""
    path = directory / MANIFEST
    try:
        if directory.exists() and not directory.is_dir():
            raise IndexStoreError(f"The index path {directory} is not a directory.")
        if not path.exists():
            return None
        manifest = json.loads(path.read_text("utf-8"))
    except PermissionError:
        raise IndexStoreError(
            f"Cannot read the index in {directory} (permission denied)."
        ) from None
    except (ValueError, UnicodeDecodeError):
        raise IndexCorruptError(f"The index manifest in {directory} is damaged.") from None
    except OSError as error:
        raise IndexStoreError(f"Cannot read the index in {directory} ({error.strerror}).") from None
    if not well_formed(manifest):
        raise IndexCorruptError(f"The index manifest in {directory} is damaged.")
    return dict(manifest)


def well_formed(manifest: Any) -> bool:
    """The shape every reader of a manifest relies on, and no path outside the index. A
    manifest of another format version needs only its documents: it is rebuilt from them."""
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        return False
    documents, generation = manifest.get("documents", []), manifest.get("generation", "gen-")
    if not (
        isinstance(documents, list)
        and all(isinstance(d, dict) and isinstance(d.get("source"), str) for d in documents)
        and isinstance(generation, str)
        and _GENERATION_NAME.fullmatch(generation) is not None
    ):
        return False
    if manifest.get("format_version") != FORMAT_VERSION:
        return True
    return (
        isinstance(manifest.get("model"), str)
        and type(manifest.get("dimension")) is int
        and manifest["dimension"] > 0
        and "generation" in manifest
        and all(_LISTED.fullmatch(str(k)) and type(v) is int for k, v in manifest["files"].items())
    )


def files_intact(directory: Path, manifest: dict[str, Any], prefix: str = "gen-") -> bool:
    """Every listed file whose path starts with `prefix` is there, at its recorded size."""
    for name, size in manifest["files"].items():
        path = directory / name
        if name.startswith(prefix) and (not path.is_file() or path.stat().st_size != size):
            return False
    return True


def complete_generations(directory: Path) -> list[dict[str, Any]]:
    """The manifests of the generations that describe themselves and are whole, newest
    first: what a damaged manifest is recovered from."""
    found: list[tuple[float, dict[str, Any]]] = []
    for generation in directory.glob("gen-*"):
        try:
            manifest = json.loads((generation / GENERATION).read_text("utf-8"))
            stamp = (generation / GENERATION).stat().st_mtime
        except (OSError, ValueError):
            continue
        if (
            well_formed(manifest)
            and manifest.get("format_version") == FORMAT_VERSION
            and manifest["generation"] == generation.name
            and files_intact(directory, manifest, prefix=generation.name)
        ):
            found.append((stamp, manifest))
    return [manifest for _, manifest in sorted(found, key=lambda pair: -pair[0])]


def new_generation(directory: Path) -> Path:
    with disk_errors(directory):
        return Path(tempfile.mkdtemp(dir=directory, prefix="gen-"))


def switch_to(directory: Path, generation: Path, manifest: dict[str, Any]) -> None:
    """Flush the generation's files, describe it, and switch the manifest to it atomically;
    only then remove older generations. On failure the new generation is removed."""
    try:
        with disk_errors(directory):
            for path in generation.iterdir():
                fsync_file(path)
            write_durably(generation / GENERATION, json.dumps(manifest, indent=2))
            fsync_file(generation)
            staged = directory / f".{MANIFEST}.{generation.name}"
            write_durably(staged, json.dumps(manifest, indent=2))
            os.replace(staged, directory / MANIFEST)
            fsync_file(directory)
    except BaseException:
        shutil.rmtree(generation, ignore_errors=True)
        (directory / f".{MANIFEST}.{generation.name}").unlink(missing_ok=True)
        raise
    remove_old_generations(directory, keep=generation.name)


def write_durably(path: Path, text: str) -> None:
    """Write, flush and fsync, so a rename that follows never exposes an empty file."""
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def fsync_file(path: Path) -> None:
    """fsync a file, or a directory (so that the names in it are on disk too)."""
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def foreign_entries(directory: Path) -> list[str]:
    """What in `directory` no build of ours wrote. A directory with no manifest but such
    entries is not an index: building there would delete files that are not ours."""
    if (directory / MANIFEST).exists():
        return []
    return sorted(
        entry.name
        for entry in directory.iterdir()
        if not (entry.name in _OURS_AT_TOP or entry.name.startswith(_OURS_HIDDEN) or _ours(entry))
    )


def _ours(generation: Path) -> bool:
    """A generation directory holding only what a build writes into one."""
    if not (_GENERATION_NAME.fullmatch(generation.name) and generation.is_dir()):
        return False
    return all(entry.name in _OURS_IN_GENERATION for entry in generation.iterdir())


def remove_old_generations(directory: Path, keep: str) -> None:
    for old in directory.glob("gen-*"):
        if old.name != keep and _ours(old):
            shutil.rmtree(old, ignore_errors=True)
    for leftover in ("document.json", *DATA_FILES):  # files of format version 1
        (directory / leftover).unlink(missing_ok=True)
    # format 3 kept its own copy of the query encoder; it now lives in the shared cache
    shutil.rmtree(directory / "query_encoder", ignore_errors=True)
